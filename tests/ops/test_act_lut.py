"""Activations on every backend against the reference: float32 within
fpgaops.reference.act_lut.tolerance of the reference's table evaluation (closed forms bit-exact),
and within the documented table error of the exact function; int8 bit-exact (the 256-entry LUT);
special values (+-inf, NaN, +-0, subnormals) as docs/act_lut.md defines them -- never as a peer
computes them on this CPU; PyTorch only on finite ordinary values; bad input names the argument."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops.ops.act_lut import Activation
from fpgaops.reference import act_lut as ref

SPECS = [("relu", {}), ("relu6", {}), ("leaky_relu", {"negative_slope": 0.2}), ("leaky_relu", {}),
         ("leaky_relu", {"negative_slope": 0.0}),
         ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("hardtanh", {}), ("sigmoid", {}), ("tanh", {}),
         ("hardsigmoid", {}), ("hardswish", {}), ("silu", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"})]
IDS = [f"{n}{'-' + '-'.join(map(str, p.values())) if p else ''}" for n, p in SPECS]
CLOSED_FORMS = {"relu", "relu6", "leaky_relu", "hardtanh", "hardsigmoid", "hardswish"}


def sample(rng, n):
    """Normal values, wide values past every table's domain, and the special values."""
    x = np.concatenate([rng.standard_normal(n) * 3, rng.uniform(-40, 40, n),
                        [np.nan, np.inf, -np.inf, 0.0, -0.0, 6.0, -3.0, 3.0, 16.0, -16.0, 8.0, -8.0]])
    return x.astype(np.float32)


def reference_float(x, act):
    kind, alpha, beta, table = act.float_kernel()
    return ref.apply_float(x, kind, alpha, beta, ref.float_table(table) if table else None)


@pytest.mark.parametrize("name, params", SPECS, ids=IDS)
def test_float32(backend, name, params):
    x = sample(np.random.default_rng(0), 5000)
    act = Activation.of(name, **params)
    got = fo.activation(x, name, **params)
    want = reference_float(x, act)
    assert got.shape == x.shape and got.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[np.isinf(want)], want[np.isinf(want)])
    ok = np.isfinite(want)
    if name in CLOSED_FORMS:
        np.testing.assert_array_equal(got[ok], want[ok])
    else:
        err = np.abs(got[ok].astype(np.float64) - want[ok])
        assert np.all(err <= ref.tolerance(want[ok])), f"max err {err.max():.3e}"
        # and the table against the exact function (finite inputs), the documented bound
        fin = np.isfinite(x)
        exact = ref.exact(act.function, x[fin].astype(np.float64), **dict(act.exact_params))
        bound = ref.interpolation_bound(act.function) + ref.tolerance(exact)
        assert np.all(np.abs(got[fin] - exact) <= bound)


# docs/act_lut.md, "Special values": (f(-inf), f(+inf), f(+-0)) of every spec, in SPECS order. NaN -> NaN
# everywhere. Zeros compare with ==, so the sign of a zero result is not asserted (documented).
INF = np.inf
SPECIAL = {"relu": (0, INF, 0), "relu6": (0, 6, 0), "leaky_relu-0.2": (-INF, INF, 0), "leaky_relu": (-INF, INF, 0),
           "leaky_relu-0.0": (0, INF, 0), "hardtanh--0.5-2.0": (-0.5, 2, 0), "hardtanh": (-1, 1, 0),
           "sigmoid": (0, 1, 0.5), "tanh": (-1, 1, 0), "hardsigmoid": (0, 1, 0.5), "hardswish": (0, INF, 0),
           "silu": (0, INF, 0), "gelu": (0, INF, 0), "gelu-tanh": (0, INF, 0)}
# float32 subnormals, the smallest normals and their negatives
TINY = np.array([2.0**-149, 2.0**-140, 1e-40, 2.0**-127, 2.0**-126, 2.0**-125], np.float64)


def test_special_value_table_covers_every_spec():
    assert sorted(SPECIAL) == sorted(IDS)


@pytest.mark.parametrize("name, params", SPECS, ids=IDS)
def test_special_values_follow_the_documented_definition(backend, name, params):
    """+-inf: the function's limit; NaN: NaN; +-0: f(0); subnormal inputs: within the float
    tolerance (absolute, >> any subnormal) of the exact function, whether or not the device flushes
    subnormals to zero. The same through the reference's exact function."""
    at_minus_inf, at_plus_inf, at_zero = SPECIAL[IDS[SPECS.index((name, params))]]
    x = np.array([-np.inf, np.inf, np.nan, 0.0, -0.0], np.float32)
    got = getattr(fo, name)(x, **params)
    assert got[0] == at_minus_inf and got[1] == at_plus_inf, got
    assert np.isnan(got[2]) and got[3] == at_zero and got[4] == at_zero, got
    act = Activation.of(name, **params)
    exact = ref.exact(act.function, x.astype(np.float64), **dict(act.exact_params))
    assert exact[0] == at_minus_inf and exact[1] == at_plus_inf and np.isnan(exact[2]), exact
    tiny = np.concatenate([TINY, -TINY])
    got = getattr(fo, name)(tiny.astype(np.float32), **params).astype(np.float64)
    want = ref.exact(act.function, tiny.astype(np.float32).astype(np.float64), **dict(act.exact_params))
    assert np.all(np.abs(got - want) <= ref.tolerance(want)), (got, want)


def ordinary(x):
    """Finite values that are 0 or normal in float32: where a peer's result is comparable."""
    return np.isfinite(x) & ((x == 0) | (np.abs(x) >= np.finfo(np.float32).tiny))


@pytest.mark.parametrize("name, params", SPECS, ids=IDS)
def test_named_functions_match_torch(backend, name, params):
    """PyTorch on finite ordinary inputs only: its handling of special values differs between its
    scalar and vectorized (AVX2 / AVX-512) paths, so it is no oracle there."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = sample(np.random.default_rng(1), 2000)
    x = x[ordinary(x)]
    t = torch.from_numpy(x)
    want = {"relu": F.relu, "relu6": F.relu6, "leaky_relu": F.leaky_relu, "hardtanh": F.hardtanh,
            "sigmoid": torch.sigmoid, "tanh": torch.tanh, "hardsigmoid": F.hardsigmoid, "hardswish": F.hardswish,
            "silu": F.silu, "gelu": F.gelu}[name](t, **params).numpy().astype(np.float64)
    got = getattr(fo, name)(x, **params).astype(np.float64)
    assert np.all(np.isfinite(want)) and np.all(np.isfinite(got))
    # closed forms: a few ulp (the peer's own rounding may differ by CPU); tables: their error bound
    tol = ref.tolerance(want) if name in CLOSED_FORMS else 1e-5
    bad = np.abs(got - want) > tol
    assert not bad.any(), (name, x[bad][:5], got[bad][:5], want[bad][:5])


@settings(max_examples=25)
@given(shape=st.lists(st.integers(1, 40), min_size=0, max_size=4), spec=st.sampled_from(SPECS),
       seed=st.integers(0, 2**31))
def test_float32_any_shape(backend, shape, spec, seed):
    name, params = spec
    x = np.asarray(np.random.default_rng(seed).standard_normal(shape) * 5, np.float32)
    got = fo.activation(x, name, **params)
    want = reference_float(x, Activation.of(name, **params))
    assert got.shape == tuple(shape)
    assert np.all(np.abs(got.astype(np.float64) - want) <= ref.tolerance(want))


@settings(max_examples=25)
@given(spec=st.sampled_from(SPECS), scale=st.floats(0.005, 0.5), zp=st.integers(-128, 127),
       out=st.one_of(st.none(), st.tuples(st.floats(0.005, 0.5), st.integers(-128, 127))),
       n=st.integers(1, 700), seed=st.integers(0, 2**31))
def test_int8_is_bit_exact(backend, spec, scale, zp, out, n, seed):
    name, params = spec
    x = np.random.default_rng(seed).integers(-128, 128, n).astype(np.int8)
    x[: min(n, 2)] = [-128, 127][: min(n, 2)]
    got = fo.activation(x, name, x_q=(scale, zp), out_q=out, **params)
    act = Activation.of(name, **params)
    in_q = fo.QParams(scale, zp)
    out_q = fo.QParams(*out) if out else act.default_out_q(in_q)
    lut = act.lut(in_q, out_q)
    np.testing.assert_array_equal(got, lut[x.astype(np.int64) + 128])
    assert got.dtype == np.int8


def test_int8_default_output_ranges():
    act = Activation.of("sigmoid")
    assert act.default_out_q(fo.QParams(0.1, 3)) == fo.QParams(1 / 256, -128)
    assert Activation.of("tanh").default_out_q(fo.QParams(0.1, 3)) == fo.QParams(1 / 128, 0)
    assert Activation.of("relu").default_out_q(fo.QParams(0.1, 3)) == fo.QParams(0.1, 3)


def test_large_tensor_chain_stays_on_device(backend):
    x = (np.random.default_rng(2).standard_normal((3, 64, 33, 29)) * 4).astype(np.float32)
    t = fo.to_device(x)
    y = fo.relu6(fo.gelu(t))
    assert isinstance(y, fo.Tensor) and y.device.name == backend
    want = ref.apply_float(reference_float(x, Activation.of("gelu")), ref.CLAMP, 0, 6)
    assert np.all(np.abs(y.numpy().astype(np.float64) - want) <= ref.tolerance(want))


@pytest.mark.parametrize("call, arg, exc", [
    (lambda: fo.activation(np.zeros(3, np.float32), "swish"), "name", ValueError),
    (lambda: fo.activation(np.zeros(3, np.float32), 3), "name", TypeError),
    (lambda: fo.activation(np.zeros(3, np.float32), "relu", slope=1), "slope", ValueError),
    (lambda: fo.leaky_relu(np.zeros(3, np.float32), "a"), "negative_slope", TypeError),
    (lambda: fo.leaky_relu(np.zeros(3, np.float32), float("nan")), "negative_slope", ValueError),
    (lambda: fo.hardtanh(np.zeros(3, np.float32), 1.0, -1.0), "max_val", ValueError),
    (lambda: fo.gelu(np.zeros(3, np.float32), approximate="erf"), "approximate", ValueError),
    (lambda: fo.relu(np.zeros(3, np.float64)), "x", TypeError),
    (lambda: fo.relu(np.zeros((2, 0), np.float32)), "x", ValueError),
    (lambda: fo.relu("x"), "x", TypeError),
    (lambda: fo.sigmoid(np.zeros(3, np.int8)), "x_q", ValueError),
    (lambda: fo.sigmoid(np.zeros(3, np.int8), x_q=(-1.0, 0)), "x_q.scale", ValueError),
    (lambda: fo.sigmoid(np.zeros(3, np.int8), x_q=(0.1, 0), out_q=(0.1, -129)), "out_q.zero_point", ValueError),
    (lambda: fo.sigmoid(np.zeros(3, np.float32), x_q=(0.1, 0)), "x_q", ValueError),
    (lambda: fo.add(np.zeros(3, np.float32), np.zeros(3, np.float32), activation="prelu"), "activation", ValueError),
])
def test_bad_input(no_kernel_launch, call, arg, exc):
    with pytest.raises(exc) as e:
        call()
    assert isinstance(e.value, fo.FpgaopsError)
    assert e.value.argument == arg, str(e.value)
