"""The element-wise golden model and fpgaops.quant's integer rescaling: the rounding rule, the
multipliers' precision, int8 add/mul against exact rational arithmetic, broadcasting levels."""
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fpgaops import quant
from fpgaops.errors import ArgumentError
from fpgaops.ops.eltwise import broadcast_levels
from fpgaops.reference import eltwise as ref


def test_requantize_rounds_half_up():
    acc = np.array([5, -5, 3, -3, 4, -4, 6, -6, 0, 1, -1])
    np.testing.assert_array_equal(quant.requantize(acc, 1, 1), [3, -2, 2, -1, 2, -2, 3, -3, 0, 1, 0])
    np.testing.assert_array_equal(quant.requantize(acc, 1, 0), acc)
    np.testing.assert_array_equal(quant.requantize(np.array([7]), 3, 2), [5])  # 21 / 4 = 5.25


@given(acc=st.integers(-(2**31), 2**31 - 1), m=st.integers(1, 2**31 - 1), s=st.integers(0, 62))
def test_requantize_is_floor_of_x_plus_half(acc, m, s):
    want = (Fraction(acc * m, 2**s) + Fraction(1, 2)).__floor__()
    assert int(quant.requantize(np.array([acc]), m, s)[0]) == want


@given(real=st.floats(2.0**-40, 2.0**30, allow_nan=False, allow_infinity=False))
def test_quantize_multiplier_precision(real):
    m, s = quant.quantize_multiplier(real)
    assert 0 <= s <= quant.MAX_SHIFT and 0 < m < 2**31
    if s < quant.MAX_SHIFT:
        assert 2**30 <= m
        assert abs(m / 2**s - real) <= real * 2.0**-30
    else:
        assert abs(m / 2**s - real) <= 2.0**-62


def test_quantize_multiplier_rejects_huge_and_nonpositive():
    for bad in (0.0, -1.0, float("inf"), 2.0**31):
        with pytest.raises(ArgumentError):
            quant.quantize_multiplier(bad)


@given(sa=st.floats(1e-3, 1.0), sb=st.floats(1e-3, 1.0), so=st.floats(1e-3, 1.0), za=st.integers(-128, 127),
       zb=st.integers(-128, 127), zo=st.integers(-128, 127))
def test_int8_add_is_within_half_a_code_of_exact(sa, sb, so, za, zb, zo):
    qa, qb, qo = quant.QParams(sa, za), quant.QParams(sb, zb), quant.QParams(so, zo)
    a = np.arange(-128, 128, dtype=np.int8)
    b = np.roll(a, 37)
    got = ref.add(a, b, qa, qb, qo).astype(np.int64)
    exact = (qa.scale32 * (a.astype(np.float64) - za) + qb.scale32 * (b.astype(np.float64) - zb)) / qo.scale32 + zo
    inside = (exact > -128.5) & (exact < 127.5)
    # multipliers carry >= 30 bits: the only error is the final rounding (plus ~1e-6 of a code)
    assert np.all(np.abs(got[inside] - exact[inside]) <= 0.5 + 1e-5)
    assert np.all(got[exact <= -128.5] == -128) and np.all(got[exact >= 127.5] == 127)


@given(sa=st.floats(1e-3, 1.0), sb=st.floats(1e-3, 1.0), so=st.floats(1e-4, 1.0), za=st.integers(-128, 127),
       zb=st.integers(-128, 127), zo=st.integers(-128, 127))
def test_int8_mul_is_within_half_a_code_of_exact(sa, sb, so, za, zb, zo):
    qa, qb, qo = quant.QParams(sa, za), quant.QParams(sb, zb), quant.QParams(so, zo)
    a = np.repeat(np.arange(-128, 128, dtype=np.int8), 3)
    b = np.roll(a, 101)
    got = ref.mul(a, b, qa, qb, qo).astype(np.int64)
    exact = qa.scale32 * qb.scale32 * (a.astype(np.float64) - za) * (b.astype(np.float64) - zb) / qo.scale32 + zo
    inside = (exact > -128.5) & (exact < 127.5)
    assert np.all(np.abs(got[inside] - exact[inside]) <= 0.5 + 1e-4)
    assert np.all(got[exact <= -128.5] == -128) and np.all(got[exact >= 127.5] == 127)


def test_float_add_mul_are_ieee_float32():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 1000)).astype(np.float32)
    np.testing.assert_array_equal(ref.eltwise_float(a, b, ref.ADD), a + b)
    np.testing.assert_array_equal(ref.eltwise_float(a, b, ref.MUL), a * b)


@pytest.mark.parametrize("sa, sb, levels", [
    ((2, 3, 4, 5), (2, 3, 4, 5), [(120, True, True)]),
    ((2, 3, 4, 5), (2, 3, 1, 1), [(6, True, True), (20, True, False)]),
    ((2, 3, 4, 5), (1, 3, 1, 1), [(2, True, False), (3, True, True), (20, True, False)]),
    ((2, 1, 4, 5), (2, 3, 1, 1), [(2, True, True), (3, False, True), (20, True, False)]),
    ((5,), (3, 1), [(3, False, True), (5, True, False)]),
    ((1, 1), (1,), []),
])
def test_broadcast_levels(sa, sb, levels):
    assert broadcast_levels(sa, sb)[1] == levels


def test_qparams_validation_names_the_argument():
    with pytest.raises(ArgumentError, match="a_q.zero_point"):
        quant.as_qparams("a_q", (0.1, 300))
    with pytest.raises(ArgumentError, match="out_q.scale"):
        quant.as_qparams("out_q", (0.0, 0))
    with pytest.raises(TypeError, match="x_q"):
        quant.as_qparams("x_q", 0.5)
