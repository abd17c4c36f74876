"""The 32-bit requantization of the OpenCL int8 conv epilogues (kernels/opencl/conv_int8.h,
CONV_REQ32) modelled in NumPy lane by lane -- the high word of the 64-bit product, the 2^(s-33)
rounding term, the shift by s - 32, each step checked to stay in int32 -- against the one rule,
fpgaops.quant.requantize, over the whole range the launcher allows it for (conv_common.REQ32_SHIFTS,
multipliers >= 0). The kernels themselves are checked bit-exactly in tests/ops/test_opencl_requant.py."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fpgaops import quant
from fpgaops.backends.opencl.conv_common import REQ32_SHIFTS

I32 = (-2**31, 2**31 - 1)


def in_int32(v):
    v = np.asarray(v, np.int64)
    assert np.all(v >= I32[0]) and np.all(v <= I32[1])
    return v


def requant32(a, m, s):
    """conv_int8.h: ((mul_hi8(a, m) + (1 << (s - 33))) >> (s - 32)) in int32 lanes."""
    a, m, s = (np.asarray(t, np.int64) for t in (a, m, s))
    p = a * m                                   # exact: |p| < 2^62
    hi = in_int32(p >> 32)                      # mul_hi: floor(p / 2^32), the high word
    assert np.all(p - (hi << 32) >= 0) and np.all(p - (hi << 32) < 2**32)
    t = in_int32(hi + (np.int64(1) << (s - 33)))
    return in_int32(t >> (s - 32))


@settings(max_examples=400, deadline=None)
@given(a=st.integers(*I32), m=st.integers(0, 2**31 - 1), s=st.integers(*REQ32_SHIFTS))
def test_requant32_is_the_rule(a, m, s):
    assert requant32(a, m, s) == quant.requantize(a, m, s)


def test_requant32_corners_and_real_multipliers():
    rng = np.random.default_rng(0)
    corners = np.array([I32[0], I32[0] + 1, -1, 0, 1, I32[1] - 1, I32[1]], np.int64)
    a = np.concatenate([corners, rng.integers(*I32, 20000, endpoint=True)])
    for m in (0, 1, 2**30, 2**31 - 1):
        for s in range(REQ32_SHIFTS[0], REQ32_SHIFTS[1] + 1):
            np.testing.assert_array_equal(requant32(a, m, s), quant.requantize(a, m, s))
    # the multipliers quantize_multiplier gives for ratios below 1/4 (the layers that take this path),
    # and ties: a * m an odd multiple of 2^(s-1) rounds half up in both
    for real in np.geomspace(1e-12, 0.2499, 200):
        m, s = quant.quantize_multiplier(real)
        assert REQ32_SHIFTS[0] <= s <= REQ32_SHIFTS[1] and m >= 0
        np.testing.assert_array_equal(requant32(a, m, s), quant.requantize(a, m, s))
    for s in (33, 40, 61):  # a * 2^30 = +-2^(s-1), exactly half a step (a within int32 for s <= 61)
        tie = np.array([1, -1, 3, -3], np.int64) << (s - 31)
        tie = tie[np.abs(tie) <= I32[1]]
        np.testing.assert_array_equal(requant32(tie, 2**30, s), quant.requantize(tie, 2**30, s))
