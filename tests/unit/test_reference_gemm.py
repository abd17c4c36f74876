"""The GEMM golden model against independent math: explicit loops / einsum in exact arithmetic,
and the error bound against a float32 computation that is known to be badly ordered."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from fpgaops.reference import gemm as ref


@given(m=st.integers(1, 9), n=st.integers(1, 9), k=st.integers(1, 9), seed=st.integers(0, 2**31))
def test_int8_matches_python_integers(m, n, k, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    c = rng.integers(-2**31, 2**31, (m, n), dtype=np.int32)
    got = ref.gemm(a, b, c, 1, 1)
    for i in range(m):
        for j in range(n):
            exact = sum(int(a[i, p]) * int(b[p, j]) for p in range(k)) + int(c[i, j])
            wrapped = (exact + 2**31) % 2**32 - 2**31
            assert got[i, j] == wrapped


@given(m=st.integers(1, 12), n=st.integers(1, 12), k=st.integers(1, 40), seed=st.integers(0, 2**31))
def test_float_matches_einsum_in_float64(m, n, k, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((2, m, k)).astype(np.float32), rng.standard_normal((2, k, n)).astype(np.float32)
    c = rng.standard_normal((2, m, n)).astype(np.float32)
    want = (0.5 * np.einsum("bik,bkj->bij", a.astype(np.float64), b.astype(np.float64)) - 2.0 * c).astype(np.float32)
    np.testing.assert_array_equal(ref.gemm(a, b, c, 0.5, -2.0), want)


def test_bound_holds_for_naive_float32_summation():
    # Left-to-right float32 accumulation: the worst ordering a kernel could use. The bound holds.
    rng = np.random.default_rng(7)
    for k in (1, 17, 1000, 4099):
        a = rng.standard_normal((3, k)).astype(np.float32)
        b = rng.standard_normal((k, 2)).astype(np.float32)
        acc = np.zeros((3, 2), np.float32)
        for p in range(k):
            acc = acc + np.outer(a[:, p], b[p]).astype(np.float32)
        err = np.abs(acc.astype(np.float64) - a.astype(np.float64) @ b.astype(np.float64))
        assert np.all(err <= ref.tolerance(a, b))


def test_bound_is_not_vacuous():
    # A result off by a couple of percent must fail the bound.
    rng = np.random.default_rng(8)
    a = rng.standard_normal((8, 64)).astype(np.float32)
    b = rng.standard_normal((64, 8)).astype(np.float32)
    wrong = ref.gemm(a, b) * np.float32(1.02)
    assert np.any(np.abs(wrong.astype(np.float64) - ref.gemm(a, b)) > ref.tolerance(a, b))
