"""GEMM family (matmul, gemm, linear) on every backend against the NumPy reference.

float32: every element within fpgaops.reference.gemm.tolerance (a rigorous bound for any
summation order); int8 x int8 -> int32: bit-exact.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops import config
from fpgaops.reference import gemm as ref

CFG = config.current().gemm
# Sizes around the tile and MAC-array edges, plus odd primes, are where blocking bugs live.
EDGES = sorted({1, 2, 3, 7, 13, 31, 97, 257, 300} | {t + d for t in (CFG.tile_m, CFG.tile_n, CFG.tile_k, CFG.pe,
                                                                     CFG.simd, CFG.opencl.block_m, CFG.opencl.block_n)
                                                      for d in (-1, 0, 1) if 1 <= t + d <= 300})
dims = st.one_of(st.sampled_from(EDGES), st.integers(1, 300))


def rand(rng, shape, dtype):
    if np.dtype(dtype) == np.int8:
        return rng.integers(-128, 128, size=shape, dtype=np.int8)
    return rng.standard_normal(shape, dtype=np.float32)


def check(got, a, b, c=None, alpha=1.0, beta=0.0):
    want = ref.gemm(a, b, c, alpha, beta)
    assert got.shape == want.shape and got.dtype == want.dtype
    if a.dtype == np.int8:
        np.testing.assert_array_equal(got, want)
    else:
        err = np.abs(got.astype(np.float64) - want.astype(np.float64))
        bound = ref.tolerance(a, b, c, alpha, beta)
        assert np.all(err <= bound), f"max err {err.max():.3e}, worst err/bound {np.max(err / bound):.3f}"


@given(m=dims, n=dims, k=dims, trans_a=st.booleans(), trans_b=st.booleans(), seed=st.integers(0, 2**31))
def test_gemm_float32_shapes_and_transposes(backend, m, n, k, trans_a, trans_b, seed):
    rng = np.random.default_rng(seed)
    a = rand(rng, (k, m) if trans_a else (m, k), np.float32)
    b = rand(rng, (n, k) if trans_b else (k, n), np.float32)
    got = fo.gemm(a, b, trans_a=trans_a, trans_b=trans_b)
    check(got, a.T if trans_a else a, b.T if trans_b else b)


@given(m=dims, n=dims, k=st.integers(1, 300), cshape=st.sampled_from(["mn", "n", "1n", "m1", "scalar"]),
       alpha=st.sampled_from([1.0, -0.5, 2.0]), beta=st.sampled_from([0.0, 1.0, 0.25]), seed=st.integers(0, 2**31))
def test_gemm_alpha_beta_c_broadcast(backend, m, n, k, cshape, alpha, beta, seed):
    rng = np.random.default_rng(seed)
    a, b = rand(rng, (m, k), np.float32), rand(rng, (k, n), np.float32)
    shape = {"mn": (m, n), "n": (n,), "1n": (1, n), "m1": (m, 1), "scalar": (1, 1)}[cshape]
    c = rand(rng, shape, np.float32)
    got = fo.gemm(a, b, c, alpha=alpha, beta=beta)
    check(got, a, b, np.broadcast_to(c, (m, n)), alpha, beta)


@given(m=dims, n=dims, k=dims, trans_a=st.booleans(), trans_b=st.booleans(), with_c=st.booleans(),
       seed=st.integers(0, 2**31))
def test_gemm_int8_bit_exact(backend, m, n, k, trans_a, trans_b, with_c, seed):
    rng = np.random.default_rng(seed)
    a = rand(rng, (k, m) if trans_a else (m, k), np.int8)
    b = rand(rng, (n, k) if trans_b else (k, n), np.int8)
    c = rng.integers(-2**31, 2**31, size=(m, n), dtype=np.int32) if with_c else None
    got = fo.gemm(a, b, c, beta=1 if with_c else 0, trans_a=trans_a, trans_b=trans_b)
    check(got, a.T if trans_a else a, b.T if trans_b else b, c, 1, 1 if with_c else 0)


def test_int8_extremes_accumulate_exactly(backend):
    # -128 * -128 summed over K: the largest magnitudes the int32 accumulator must hold.
    k = 4099
    a = np.full((3, k), -128, np.int8)
    b = np.full((k, 5), -128, np.int8)
    np.testing.assert_array_equal(fo.matmul(a, b), np.full((3, 5), 128 * 128 * k, np.int32))


def test_int8_bias_add_wraps_like_int32(backend):
    a = np.full((2, 4), 127, np.int8)
    b = np.full((4, 3), 127, np.int8)
    c = np.full((2, 3), 2**31 - 1, np.int32)
    want = ((np.int64(127 * 127 * 4) + 2**31 - 1 + 2**31) % 2**32 - 2**31).astype(np.int32)
    np.testing.assert_array_equal(fo.gemm(a, b, c, beta=1), np.full((2, 3), want))


@given(batch=st.sampled_from([(1,), (3,), (2, 3)]), m=dims, n=st.integers(1, 70), k=st.integers(1, 70),
       share=st.sampled_from(["none", "a", "b"]), dtype=st.sampled_from([np.float32, np.int8]),
       seed=st.integers(0, 2**31))
def test_matmul_batched(backend, batch, m, n, k, share, dtype, seed):
    rng = np.random.default_rng(seed)
    a = rand(rng, (m, k) if share == "a" else batch + (m, k), dtype)
    b = rand(rng, (k, n) if share == "b" else batch + (k, n), dtype)
    got = fo.matmul(a, b)
    shape = batch + (m, n)
    af = np.broadcast_to(a, batch + (m, k)).reshape(-1, m, k)
    bf = np.broadcast_to(b, batch + (k, n)).reshape(-1, k, n)
    check(got.reshape(-1, m, n), af, bf)
    assert got.shape == shape


def test_matmul_partial_batch_broadcast_and_vectors(backend):
    rng = np.random.default_rng(1)
    a = rand(rng, (2, 1, 5, 7), np.float32)
    b = rand(rng, (3, 7, 4), np.float32)
    got = fo.matmul(a, b)
    assert got.shape == (2, 3, 5, 4)
    check(got.reshape(-1, 5, 4), np.broadcast_to(a, (2, 3, 5, 7)).reshape(-1, 5, 7),
          np.broadcast_to(b, (2, 3, 7, 4)).reshape(-1, 7, 4))
    v = rand(rng, (7,), np.float32)
    assert fo.matmul(v, b[0]).shape == (4,)
    assert fo.matmul(a[0, 0], v).shape == (5,)
    np.testing.assert_allclose(fo.matmul(v, v), np.dot(v.astype(np.float64), v), rtol=1e-5)


@given(lead=st.sampled_from([(), (3,), (2, 5)]), fin=st.integers(1, 150), fout=st.integers(1, 150),
       bias=st.booleans(), dtype=st.sampled_from([np.float32, np.int8]), seed=st.integers(0, 2**31))
def test_linear(backend, lead, fin, fout, bias, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rand(rng, lead + (fin,), dtype)
    w = rand(rng, (fout, fin), dtype)
    acc = np.float32 if dtype == np.float32 else np.int32
    bvec = (rng.standard_normal(fout).astype(np.float32) if dtype == np.float32
            else rng.integers(-2**20, 2**20, fout).astype(np.int32)) if bias else None
    got = fo.linear(x, w, bvec)
    assert got.shape == lead + (fout,) and got.dtype == acc
    x2 = x.reshape(-1, fin)
    check(got.reshape(-1, fout), x2, w.T, None if bvec is None else np.broadcast_to(bvec, (x2.shape[0], fout)),
          1, 1 if bias else 0)


def test_non_contiguous_and_fortran_inputs_are_correct(backend):
    rng = np.random.default_rng(2)
    base = rand(rng, (40, 60), np.float32)
    a = base[::2, 1::3]            # strided view (20, 20)
    b = np.asfortranarray(rand(rng, (20, 33), np.float32))
    check(fo.matmul(a, b), np.ascontiguousarray(a), np.ascontiguousarray(b))
    ai = np.asfortranarray(rand(rng, (9, 11), np.int8))
    bi = rand(rng, (30, 11), np.int8)[::3].T  # transposed strided view (11, 10)
    check(fo.matmul(ai, bi), np.ascontiguousarray(ai), np.ascontiguousarray(bi))


def test_tensors_stay_on_device_through_a_chain(backend):
    rng = np.random.default_rng(3)
    a, b, c = (rand(rng, (33, 33), np.float32) for _ in range(3))
    ta = fo.to_device(a)
    assert isinstance(ta, fo.Tensor) and ta.device.name == backend
    t1 = fo.matmul(ta, b)               # Tensor in -> Tensor out, same device
    assert isinstance(t1, fo.Tensor) and t1.device is ta.device
    t2 = fo.linear(t1, c)               # chained without a host round trip
    assert isinstance(t2, fo.Tensor)
    want = (a.astype(np.float64) @ b) @ c.T
    np.testing.assert_allclose(t2.numpy(), want, rtol=1e-4, atol=1e-3)
    assert isinstance(fo.matmul(a, b), np.ndarray)  # NumPy in -> NumPy out


def test_nan_and_inf_propagate(backend):
    a = np.ones((4, 4), np.float32)
    b = np.ones((4, 4), np.float32)
    a[1, 2] = np.nan
    a[2, 0] = np.inf
    got = fo.matmul(a, b)
    assert np.isnan(got[1]).all() and np.isposinf(got[2]).all() and np.isfinite(got[[0, 3]]).all()


def test_tensors_on_different_devices_are_refused():
    t = fo.to_device(np.ones((2, 2), np.float32), "reference")
    other = [d.name for d in fo.devices() if d.available and d.name != "reference"]
    if not other:
        pytest.skip("only the reference device is available")
    u = fo.to_device(np.ones((2, 2), np.float32), other[0])
    with pytest.raises(fo.ArgumentError, match="different devices"):
        fo.matmul(t, u)


# ---- bad input: a clear exception naming the argument, raised before any kernel launch ---------

F = np.ones((4, 5), np.float32)
G = np.ones((5, 3), np.float32)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: fo.matmul(F, F), fo.ArgumentError, r"^b: inner dimensions"),
    (lambda: fo.gemm(F, G.T, trans_b=False), fo.ArgumentError, r"^b: inner dimensions"),
    (lambda: fo.gemm(F[0], G), fo.ArgumentError, r"^a: expected a 2-D"),
    (lambda: fo.gemm(F, G[None]), fo.ArgumentError, r"^b: expected a 2-D"),
    (lambda: fo.matmul(np.float32(1), G), fo.ArgumentTypeError, r"^a: expected a numpy.ndarray"),
    (lambda: fo.matmul(F.tolist(), G), fo.ArgumentTypeError, r"^a: expected a numpy.ndarray"),
    (lambda: fo.matmul(F.astype(np.float64), G), fo.ArgumentTypeError, r"^a: expected dtype float32 or int8"),
    (lambda: fo.matmul(F, G.astype(np.int16)), fo.ArgumentTypeError, r"^b: expected dtype"),
    (lambda: fo.matmul(F, G.astype(np.int8)), fo.ArgumentError, r"^b: dtype int8 differs"),
    (lambda: fo.gemm(F, G, np.ones(3, np.float64), beta=1), fo.ArgumentTypeError, r"^c: expected dtype float32"),
    (lambda: fo.gemm(F.astype(np.int8), G.astype(np.int8), np.ones(3, np.int8), beta=1), fo.ArgumentTypeError,
     r"^c: expected dtype int32"),
    (lambda: fo.gemm(F, G, np.ones((2, 3), np.float32), beta=1), fo.ArgumentError, r"^c: shape \(2, 3\) does not"),
    (lambda: fo.matmul(np.ones((0, 5), np.float32), G), fo.ArgumentError, r"^a: zero-size dimension"),
    (lambda: fo.matmul(F, np.ones((5, 0), np.float32)), fo.ArgumentError, r"^b: zero-size dimension"),
    (lambda: fo.matmul(np.ones((3, 4, 5), np.float32), np.ones((2, 5, 3), np.float32)), fo.ArgumentError,
     r"^b: batch dimensions"),
    (lambda: fo.gemm(F, G, trans_a=1), fo.ArgumentTypeError, r"^trans_a: expected a bool"),
    (lambda: fo.gemm(F, G, alpha="2"), fo.ArgumentTypeError, r"^alpha: expected a real number"),
    (lambda: fo.gemm(F, G, alpha=float("nan")), fo.ArgumentError, r"^alpha: expected a finite"),
    (lambda: fo.gemm(F.astype(np.int8), G.astype(np.int8), alpha=2), fo.UnsupportedError, r"^alpha: int8"),
    (lambda: fo.gemm(F.astype(np.int8), G.astype(np.int8), np.ones(3, np.int32), beta=2), fo.UnsupportedError,
     r"^beta: int8"),
    (lambda: fo.linear(F, np.ones((3, 4), np.float32)), fo.ArgumentError, r"^weight: in_features 4"),
    (lambda: fo.linear(F, G.T, np.ones(4, np.float32)), fo.ArgumentError, r"^bias: expected shape \(3,\)"),
    # element counts past 32-bit indexing, built from zero-stride views so no memory is used
    (lambda: fo.matmul(np.broadcast_to(np.float32(1), (50000, 50000)), np.ones((50000, 2), np.float32)),
     fo.ArgumentError, r"^a: shape \(50000, 50000\) has 2500000000 elements"),
    (lambda: fo.matmul(np.broadcast_to(np.float32(1), (70000, 3)), np.ones((3, 2), np.float32)),
     fo.ArgumentError, r"^M: 70000 exceeds"),
    (lambda: fo.matmul(np.broadcast_to(np.int8(1), (2, CFG.max_dim + 1)),
                       np.broadcast_to(np.int8(1), (CFG.max_dim + 1, 2))), fo.ArgumentError, r"^K: .* gemm.max_dim"),
    (lambda: fo.matmul(np.broadcast_to(np.float32(1), (40000, 1, 8, 8)), np.broadcast_to(np.float32(1), (9000, 8, 8))),
     fo.ArgumentError, r"^result: shape .* more than 32-bit"),
])
def test_bad_input_is_rejected_before_any_kernel(no_kernel_launch, call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_unknown_device_is_a_clear_error():
    with pytest.raises(fo.ArgumentError, match="unknown device 'tpu'"):
        fo.set_device("tpu")
