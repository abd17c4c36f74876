"""The activation golden model against independent math: the exact functions against PyTorch (when
installed) and closed forms, the float tables' max error over a dense sweep (printed and bounded by
the a-priori bound of reference.act_lut.interpolation_bound; docs/act_lut.md lists the numbers), the
saturation outside each table's domain, and the exact int8 tables."""
import math

import numpy as np
import pytest

from fpgaops import config, quant
from fpgaops.errors import ConfigError
from fpgaops.reference import act_lut as ref

TABLES = config.ACT_TABLES

# The measured max |table - exact| of the shipped config must stay below these (docs/act_lut.md).
DOCUMENTED_MAX_ERROR = {"sigmoid": 5e-7, "tanh": 8e-6, "silu": 3e-6, "gelu": 8e-6, "gelu_tanh": 8e-6}


def sweep(name, points=1 << 20):
    """Dense sweep of the domain plus a margin of 4 on each side, every knot and every midpoint."""
    g = ref.geometry(name)
    x = np.linspace(g["lo"] - 4, g["hi"] + 4, points)
    knots = g["lo"] + np.arange(g["segments"] + 1) * g["step"]
    return np.concatenate([x, knots, knots[:-1] + g["step"] / 2]).astype(np.float32)


def measured_error(name):
    x = sweep(name)
    got = ref.eval_table(x, ref.float_table(name)).astype(np.float64)
    want = ref.exact(name, x.astype(np.float64))
    return float(np.max(np.abs(got - want)))


@pytest.mark.parametrize("name", TABLES)
def test_table_error_within_bound_over_dense_sweep(name):
    err = measured_error(name)
    bound = ref.interpolation_bound(name)
    print(f"{name}: max |table - exact| = {err:.3e} (a-priori bound {bound:.3e})")
    assert err <= bound
    assert err <= DOCUMENTED_MAX_ERROR[name]


@pytest.mark.parametrize("name", TABLES)
def test_table_saturation_outside_domain(name):
    g = ref.geometry(name)
    tab = ref.float_table(name)
    far = np.array([g["lo"] - 0.5, g["lo"] - 100, -1e30, g["hi"], g["hi"] + 0.5, g["hi"] + 100, 1e30], np.float32)
    got = ref.eval_table(far, tab).astype(np.float64)
    x = far.astype(np.float64)
    want = np.where(x < g["lo"], g["below_offset"] + g["below_slope"] * x, g["above_offset"] + g["above_slope"] * x)
    np.testing.assert_array_equal(got, want.astype(np.float32))
    # and the saturated value is close to the exact function there (the tail gap is in the bound)
    assert np.all(np.abs(got - ref.exact(name, x)) <= ref.interpolation_bound(name))


@pytest.mark.parametrize("name", TABLES)
def test_table_special_values(name):
    tab = ref.float_table(name)
    got = ref.eval_table(np.array([np.nan, np.inf, -np.inf], np.float32), tab)
    assert np.isnan(got[0])
    g = ref.geometry(name)
    assert got[1] == (np.inf if g["above_slope"] > 0 else g["above_offset"])
    # silu / gelu: 0 at -inf, the limit (docs/act_lut.md, "Special values")
    assert got[2] == (-np.inf if g["below_slope"] > 0 else g["below_offset"])


def test_table_is_exact_at_knots():
    for name in TABLES:
        g = ref.geometry(name)
        knots = (g["lo"] + np.arange(g["segments"]) * g["step"]).astype(np.float32)
        got = ref.eval_table(knots, ref.float_table(name))
        np.testing.assert_array_equal(got, ref.exact(name, knots.astype(np.float64)).astype(np.float32))


def test_exact_functions_match_closed_forms():
    x = np.linspace(-10, 10, 2001)
    np.testing.assert_allclose(ref.exact("sigmoid", x), 1 / (1 + np.exp(-x)), rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(ref.exact("silu", x), x / (1 + np.exp(-x)), rtol=1e-14, atol=1e-300)
    erf = np.array([math.erf(v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(ref.exact("gelu", x), 0.5 * x * (1 + erf), rtol=1e-15, atol=1e-300)
    np.testing.assert_array_equal(ref.exact("relu6", x), np.clip(x, 0, 6))
    np.testing.assert_array_equal(ref.exact("hardtanh", x, min_val=-2, max_val=3), np.clip(x, -2, 3))
    np.testing.assert_allclose(ref.exact("hardswish", x), x * np.clip(x + 3, 0, 6) / 6, rtol=1e-15)


def test_exact_functions_match_torch():
    """PyTorch on finite inputs only; special values are the documented definition (next test)."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = np.concatenate([np.linspace(-30, 30, 20001), [0.0, -0.0]])
    t = torch.from_numpy(x)
    cases = {"relu": F.relu(t), "relu6": F.relu6(t), "sigmoid": torch.sigmoid(t), "tanh": torch.tanh(t),
             "hardsigmoid": F.hardsigmoid(t), "hardswish": F.hardswish(t), "silu": F.silu(t), "gelu": F.gelu(t),
             "gelu_tanh": F.gelu(t, approximate="tanh")}
    for name, want in cases.items():
        np.testing.assert_allclose(ref.exact(name, x), want.numpy(), rtol=1e-12, atol=1e-15, err_msg=name)


# docs/act_lut.md, "Special values": f(-inf), f(+inf) -- the limits; NaN -> NaN
LIMITS = {"relu": (0, np.inf), "relu6": (0, 6), "sigmoid": (0, 1), "tanh": (-1, 1), "hardsigmoid": (0, 1),
          "hardswish": (0, np.inf), "silu": (0, np.inf), "gelu": (0, np.inf), "gelu_tanh": (0, np.inf)}


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_exact_special_values(name):
    got = ref.exact(name, np.array([-np.inf, np.inf, np.nan, 0.0, -0.0, 5e-324, -5e-324]))
    assert (got[0], got[1]) == LIMITS[name] and np.isnan(got[2]), got
    assert got[3] == got[4] == ref.exact(name, 0.0)
    assert np.all(np.abs(got[5:] - got[3]) <= 1e-300)  # subnormals: continuous at 0
    assert ref.exact("leaky_relu", -np.inf, negative_slope=0.0) == 0
    assert ref.exact("leaky_relu", -np.inf, negative_slope=0.1) == -np.inf


def test_closed_form_kernels_are_exact_float32():
    """The closed forms in float32, bit for bit against their definition in PyTorch's order of
    operations (written here in NumPy); PyTorch itself only on finite values and within 1 ulp."""
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.standard_normal(10000) * 8, [np.nan, np.inf, -np.inf, -3, 3, 0, -0.0]]).astype(np.float32)
    np.testing.assert_array_equal(ref.apply_float(x, ref.CLAMP, 0, np.inf), np.where(x < 0, 0, x).astype(np.float32))
    np.testing.assert_array_equal(ref.apply_float(x, ref.CLAMP, 0, 6), np.where(x < 0, 0, np.where(x > 6, 6, x)))
    np.testing.assert_array_equal(ref.apply_float(x, ref.LEAKY, 0.1), np.where(x < 0, np.float32(0.1) * x, x))
    f3, f6 = np.float32(3), np.float32(6)
    with np.errstate(invalid="ignore"):
        relu6 = np.minimum(np.maximum(x + f3, 0), f6)  # NaN propagates through both
        hardsigmoid = relu6 / f6
        hardswish = np.where(relu6 == 0, np.float32(0), x * relu6 / f6)  # 0 also at -inf (documented)
    np.testing.assert_array_equal(ref.apply_float(x, ref.HARDSIGMOID), hardsigmoid)
    np.testing.assert_array_equal(ref.apply_float(x, ref.HARDSWISH), hardswish)
    assert ref.apply_float(np.float32(-np.inf), ref.HARDSWISH) == 0
    torch = pytest.importorskip("torch")
    fin = x[np.isfinite(x)]
    t = torch.from_numpy(fin)
    for kind, fn in ((ref.HARDSIGMOID, torch.nn.functional.hardsigmoid), (ref.HARDSWISH, torch.nn.functional.hardswish)):
        want = fn(t).numpy().astype(np.float64)
        np.testing.assert_array_less(np.abs(ref.apply_float(fin, kind) - want), ref.tolerance(want) + 1e-300)


@pytest.mark.parametrize("name, params", [("relu", ()), ("sigmoid", ()), ("tanh", ()), ("gelu", ()),
                                          ("leaky_relu", (("negative_slope", 0.1),)), ("hardswish", ())])
def test_int8_lut_is_exact(name, params):
    in_q, out_q = quant.QParams(0.07, -9), quant.QParams(0.031, 4)
    lut = ref.int8_lut(name, params, in_q, out_q)
    codes = np.arange(-128, 128)
    real = np.float64(np.float32(0.07)) * (codes - (-9))
    y = ref.exact(name, real, **dict(params)) / np.float64(np.float32(0.031))
    want = np.clip(np.rint(y) + 4, -128, 127).astype(np.int8)
    np.testing.assert_array_equal(lut, want)
    np.testing.assert_array_equal(ref.apply_int8(codes.astype(np.int8), lut), want)


def test_int8_relu_lut_is_a_clamp_at_the_zero_point():
    q = quant.QParams(0.05, -20)
    lut = ref.int8_lut("relu", (), q, q)
    np.testing.assert_array_equal(lut, np.maximum(np.arange(-128, 128), -20).astype(np.int8))


@pytest.mark.parametrize("key, value, message", [
    ("act_lut.sigmoid.segments", 3000, "power of two"),
    ("act_lut.sigmoid.segments", 16384, "act_lut.max_segments"),
    ("act_lut.tanh.hi", -8, "greater than"),
    ("act_lut.max_segments", 1000, "power of two"),
    ("act_lut.silu.lo", None, "missing"),
])
def test_table_config_is_validated(key, value, message):
    import copy
    import tomllib

    data = copy.deepcopy(tomllib.loads(config.default_path().read_text()))
    node = data
    *path, last = key.split(".")
    for p in path:
        node = node[p]
    if value is None:
        del node[last]
    else:
        node[last] = value
    with pytest.raises(ConfigError, match=message) as e:
        config.KernelConfig(data)
    assert e.value.key.startswith(key.rsplit(".", 1)[0])
