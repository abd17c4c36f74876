"""The int8 MAC array's two-MACs-per-DSP48E2 packing (gemm.hpp Dsp48e2T, docs/conv_hls.md) at its
corners, bit-exact against exact integer arithmetic on every backend: the low field of the DSP's P
register at its largest (-128 x -128 chains) and most negative values, the upper field opposite,
sign patterns that make every split borrow, and reductions as long as gemm.max_dim."""
import numpy as np
import pytest

import fpgaops as fo
from fpgaops import config

CFG = config.current().gemm


def exact(a, b):
    return (a.astype(np.int64) @ b.astype(np.int64)).astype(np.int32)


@pytest.mark.parametrize("k", [CFG.simd * 7, CFG.max_dim])
def test_longest_reduction_of_the_largest_products(backend, k):
    # -128 x -128 = 2^14 in every MAC: the low field at its limit in every cascade, the sum 2^14 * K.
    a = np.full((2, k), -128, np.int8)
    b = np.full((k, 2), -128, np.int8)
    np.testing.assert_array_equal(fo.matmul(a, b), np.full((2, 2), (1 << 14) * k, np.int32))


@pytest.mark.parametrize("trans_a, trans_b", [(False, False), (True, True)])
def test_opposite_fields_and_borrows(backend, trans_a, trans_b):
    # Rows pair up as (low field, high field) of one DSP: give them opposite extremes, so one field is
    # at its most positive while the other is at its most negative, and every low field that is
    # negative borrows from the high field (the sign correction must give it back).
    m, k, n = 2 * CFG.pe + 2, 3 * CFG.tile_k + 5, 9
    a = np.empty((m, k), np.int8)
    a[0::2] = -128
    a[1::2] = 127
    a[2] = np.where(np.arange(k) % 3 == 0, -128, 127)  # mixed signs inside one cascade
    b = np.empty((k, n), np.int8)
    b[:, 0] = -128
    b[:, 1] = 127
    b[:, 2] = np.where(np.arange(k) % 2, -128, 127)
    b[:, 3:] = np.random.default_rng(0).integers(-128, 128, (k, n - 3))
    got = fo.gemm(a.T.copy() if trans_a else a, b.T.copy() if trans_b else b, trans_a=trans_a, trans_b=trans_b)
    np.testing.assert_array_equal(got, exact(a, b))


def test_random_sign_patterns_at_pair_boundaries(backend):
    rng = np.random.default_rng(7)
    for m in (1, 2, 3, CFG.pe - 1, CFG.pe + 1):
        a = rng.choice(np.array([-128, -127, -1, 0, 1, 127], np.int8), size=(m, 300))
        b = rng.choice(np.array([-128, -1, 1, 127], np.int8), size=(300, 17))
        np.testing.assert_array_equal(fo.matmul(a, b), exact(a, b))
