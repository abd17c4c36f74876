"""add / mul on every backend against the reference: broadcasting (per-channel squeeze-excitation,
bias-like, alternating patterns in any rank), fused activations, float32 bit-exact without a table
activation (within act_lut.tolerance with one), int8 bit-exact; bad input names the argument."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops.ops.act_lut import Activation
from fpgaops.reference import act_lut as act_ref
from fpgaops.reference import eltwise as ref

OPS = {"add": (fo.add, ref.ADD), "mul": (fo.mul, ref.MUL)}
ACTS = [None, "relu", "relu6", "sigmoid", "hardswish", "silu"]


def want_float(a, b, op, act):
    a, b = np.broadcast_arrays(a, b)
    if act is None:
        return ref.eltwise_float(a, b, op)
    kind, alpha, beta, table = Activation.of(act).float_kernel()
    return ref.eltwise_float(a, b, op, kind, alpha, beta, act_ref.float_table(table) if table else None)


def want_int8(a, b, op, act, qa, qb, qo):
    a, b = np.broadcast_arrays(a, b)
    lut = Activation.of(act).lut(qo, qo) if act else None
    fn = ref.add if op == ref.ADD else ref.mul
    return fn(a, b, qa, qb, qo, lut)


@st.composite
def shapes(draw):
    """Two broadcast-compatible shapes: each dim of each operand is the full size or 1."""
    rank = draw(st.integers(1, 5))
    full = [draw(st.integers(1, 9)) for _ in range(rank)]
    sa = [d if draw(st.booleans()) else 1 for d in full]
    sb = [d if draw(st.booleans()) else 1 for d in full]
    drop = draw(st.integers(0, rank - 1))  # b may have fewer dims (NumPy's leading-1 rule)
    return tuple(sa), tuple(sb[drop:])


@settings(max_examples=30)
@given(sh=shapes(), op=st.sampled_from(sorted(OPS)), act=st.sampled_from(ACTS), seed=st.integers(0, 2**31))
def test_float32_broadcasting(backend, sh, op, act, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(sh[0]).astype(np.float32)
    b = rng.standard_normal(sh[1]).astype(np.float32)
    fn, code = OPS[op]
    got = fn(a, b, act)
    want = want_float(a, b, code, act)
    assert got.shape == want.shape and got.dtype == np.float32
    if act in (None, "relu", "relu6", "hardswish"):
        np.testing.assert_array_equal(got, want)
    else:
        assert np.all(np.abs(got.astype(np.float64) - want) <= act_ref.tolerance(want))


@settings(max_examples=30)
@given(sh=shapes(), op=st.sampled_from(sorted(OPS)), act=st.sampled_from(ACTS),
       q=st.lists(st.tuples(st.floats(0.002, 0.5), st.integers(-128, 127)), min_size=3, max_size=3),
       seed=st.integers(0, 2**31))
def test_int8_is_bit_exact(backend, sh, op, act, q, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, sh[0]).astype(np.int8)
    b = rng.integers(-128, 128, sh[1]).astype(np.int8)
    fn, code = OPS[op]
    qa, qb, qo = (fo.QParams(*v) for v in q)
    got = fn(a, b, act, a_q=qa, b_q=qb, out_q=qo)
    np.testing.assert_array_equal(got, want_int8(a, b, code, act, qa, qb, qo))


@pytest.mark.parametrize("sa, sb", [
    ((2, 96, 56, 56), (2, 96, 1, 1)),      # MobileNetV3 squeeze-excitation gate
    ((1, 64, 56, 56), (1, 64, 56, 56)),    # ResNet residual
    ((2, 32, 17, 13), (32, 1, 1)),         # per-channel bias
    ((3, 1, 7, 1), (1, 5, 1, 9)),          # both operands repeat
    ((4, 1000), (1000,)),
])
@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_cnn_patterns(backend, sa, sb, dtype):
    rng = np.random.default_rng(5)
    if dtype == "float32":
        a, b = rng.standard_normal(sa).astype(np.float32), rng.standard_normal(sb).astype(np.float32)
        np.testing.assert_array_equal(fo.add(a, b, "relu"), want_float(a, b, ref.ADD, "relu"))
        np.testing.assert_array_equal(fo.mul(a, b), want_float(a, b, ref.MUL, None))
    else:
        a, b = rng.integers(-128, 128, sa).astype(np.int8), rng.integers(-128, 128, sb).astype(np.int8)
        qa, qb, qo = fo.QParams(0.05, -3), fo.QParams(0.02, 10), fo.QParams(0.06, -128)
        np.testing.assert_array_equal(fo.add(a, b, "relu", a_q=qa, b_q=qb, out_q=qo),
                                      want_int8(a, b, ref.ADD, "relu", qa, qb, qo))
        np.testing.assert_array_equal(fo.mul(a, b, a_q=qa, b_q=qb, out_q=qo), want_int8(a, b, ref.MUL, None, qa, qb, qo))


def test_nan_inf_propagate(backend):
    a = np.array([np.nan, np.inf, -np.inf, np.inf, 1.0], np.float32)
    b = np.array([1.0, 1.0, 1.0, -np.inf, 0.0], np.float32)
    got = fo.add(a, b)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(got, a + b)
    got = fo.mul(a, b, "relu")
    np.testing.assert_array_equal(np.isnan(got), [True, False, False, False, False])
    assert got[1] == np.inf and got[2] == 0 and got[3] == 0


def test_tensors_and_views(backend):
    x = np.random.default_rng(6).standard_normal((2, 8, 5, 5)).astype(np.float32)
    s = np.random.default_rng(7).standard_normal((2, 8, 1, 1)).astype(np.float32)
    tx, ts = fo.to_device(x), fo.to_device(s)
    y = fo.mul(tx, fo.sigmoid(ts))
    assert isinstance(y, fo.Tensor) and y.device.name == backend
    gate = want_float(s, np.zeros_like(s), ref.ADD, "sigmoid")
    np.testing.assert_allclose(y.numpy(), x * gate, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("call, arg, exc", [
    (lambda: fo.add(np.zeros((2, 3), np.float32), np.zeros((4,), np.float32)), "b", ValueError),
    (lambda: fo.mul(np.zeros((2, 3, 4), np.float32), np.zeros((3, 3, 1), np.float32)), "b", ValueError),
    (lambda: fo.add(np.zeros(3, np.float32), np.zeros(3, np.int8)), "b", ValueError),
    (lambda: fo.add(np.zeros(3, np.float64), np.zeros(3, np.float64)), "a", TypeError),
    (lambda: fo.add(np.zeros(0, np.float32), np.zeros(1, np.float32)), "a", ValueError),
    (lambda: fo.add(np.zeros(3, np.float32), 1.0), "b", TypeError),
    (lambda: fo.add(np.zeros(3, np.int8), np.zeros(3, np.int8)), "a_q", ValueError),
    (lambda: fo.add(np.zeros(3, np.int8), np.zeros(3, np.int8), a_q=(0.1, 0), b_q=(0.1, 0)), "out_q", ValueError),
    (lambda: fo.add(np.zeros(3, np.float32), np.zeros(3, np.float32), out_q=(0.1, 0)), "out_q", ValueError),
    (lambda: fo.add(np.zeros(3, np.float32), np.zeros(3, np.float32), "unknown"), "activation", ValueError),
    (lambda: fo.mul(np.zeros(3, np.float32), np.zeros(3, np.float32), 7), "activation", TypeError),
])
def test_bad_input(no_kernel_launch, call, arg, exc):
    with pytest.raises(exc) as e:
        call()
    assert isinstance(e.value, fo.FpgaopsError)
    assert e.value.argument == arg, str(e.value)
