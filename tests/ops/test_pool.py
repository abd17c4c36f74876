"""Pooling (max_pool2d, avg_pool2d, adaptive_avg_pool2d, global_avg_pool2d) on every backend
against the NumPy reference: float max bit-exact (NaN/Inf included), float averages within
fpgaops.reference.pool.tolerance, int8 bit-exact. Hypothesis over shapes, kernel sizes 1-7,
strides, paddings, dilations, ceil_mode, count_include_pad and odd sizes; bad input raises naming
the argument before any kernel runs."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops import config
from fpgaops.reference import pool as ref

MAX_KERNEL = config.current().pool.max_kernel


@st.composite
def geometry(draw, dilation=True):
    """(x shape, kernel, stride, padding, dilation, ceil_mode) with an output of at least 1x1."""
    k = (draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = tuple(draw(st.integers(1, max(1, min(3, (MAX_KERNEL - 1) // max(kk - 1, 1))))) if dilation else 1
              for kk in k)
    hw = []
    for i in range(2):
        need = max(1, d[i] * (k[i] - 1) + 1 - 2 * p[i])
        hw.append(draw(st.integers(need, need + 13)))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 5)), *hw)
    return shape, k, s, p, d, draw(st.booleans())


def rand(rng, shape, dtype, specials=False):
    if np.dtype(dtype) == np.int8:
        return rng.integers(-128, 128, size=shape, dtype=np.int8)
    x = rng.standard_normal(shape, dtype=np.float32)
    if specials and x.size > 3:
        flat = x.reshape(-1)
        idx = rng.choice(flat.size, 3, replace=False)
        flat[idx] = [np.nan, np.inf, -np.inf]
    return x


def check_avg(got, want, x, ah, aw, cip):
    assert got.shape == want.shape and got.dtype == want.dtype
    if x.dtype == np.int8:
        np.testing.assert_array_equal(got, want)
        return
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    assert np.all(err <= ref.tolerance(x, ah, aw, cip)), f"max err {err.max():.3e}"


def axes(shape, k, s, p, d, cm):
    h, w = shape[-2:]
    return (ref.Axis(h, ref.out_size(h, k[0], s[0], p[0], d[0], cm), k[0], s[0], p[0], d[0]),
            ref.Axis(w, ref.out_size(w, k[1], s[1], p[1], d[1], cm), k[1], s[1], p[1], d[1]))


@settings(max_examples=30)
@given(g=geometry(), dtype=st.sampled_from(["float32", "int8"]), stride_none=st.booleans(),
       specials=st.booleans(), seed=st.integers(0, 2**31))
def test_max_pool2d(backend, g, dtype, stride_none, specials, seed):
    shape, k, s, p, d, cm = g
    if stride_none:
        s = k
    x = rand(np.random.default_rng(seed), shape, dtype, specials)
    got = fo.max_pool2d(x, k, None if stride_none else s, p, d, cm)
    want = ref.max_pool2d(x, k, s, p, d, cm)
    assert got.shape == want.shape and got.dtype == x.dtype
    np.testing.assert_array_equal(got, want)  # NaN positions must match too


@settings(max_examples=30)
@given(g=geometry(dilation=False), dtype=st.sampled_from(["float32", "int8"]), cip=st.booleans(),
       zp=st.integers(-128, 127), seed=st.integers(0, 2**31))
def test_avg_pool2d(backend, g, dtype, cip, zp, seed):
    shape, k, s, p, _, cm = g
    x = rand(np.random.default_rng(seed), shape, dtype)
    q = dict(x_q=(0.1, zp)) if dtype == "int8" else {}
    got = fo.avg_pool2d(x, k, s, p, cm, cip, **q)
    want = ref.avg_pool2d(x, k, s, p, cm, cip, zero_point=zp if dtype == "int8" else 0)
    ah, aw = axes(shape, k, s, p, (1, 1), cm)
    check_avg(got, want, x, ah, aw, cip)


@settings(max_examples=25)
@given(h=st.integers(1, 20), w=st.integers(1, 20), oh=st.integers(1, 9), ow=st.integers(1, 9),
       dtype=st.sampled_from(["float32", "int8"]), zp=st.integers(-128, 127), seed=st.integers(0, 2**31))
def test_adaptive_avg_pool2d(backend, h, w, oh, ow, dtype, zp, seed):
    ah = ref.Axis(h, oh, ref.adaptive_bin(h, oh), adaptive=True)
    if ref.open_rows(ah) > config.current().pool.max_open_rows:
        return  # heavy upsampling: UnsupportedError, tested below
    x = rand(np.random.default_rng(seed), (2, 3, h, w), dtype)
    q = dict(x_q=(0.05, zp)) if dtype == "int8" else {}
    got = fo.adaptive_avg_pool2d(x, (oh, ow), **q)
    want = ref.adaptive_avg_pool2d(x, (oh, ow), zero_point=zp if dtype == "int8" else 0)
    aw = ref.Axis(w, ow, ref.adaptive_bin(w, ow), adaptive=True)
    check_avg(got, want, x, ah, aw, False)


# pool.hpp's global path (a word per cycle): int8 any plane, float32 planes of one word (4x4 at 512 bits);
# the rest on the row-by-row engine
@pytest.mark.parametrize("shape", [(1, 1280, 7, 7), (2, 512, 7, 7), (1, 3, 1, 1), (2, 3, 4, 4), (1, 2, 37, 61),
                                   (3, 5, 2, 1000)])
@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_global_avg_pool2d(backend, shape, dtype):
    rng = np.random.default_rng(7)
    x = rand(rng, shape, dtype)
    q = dict(x_q=(0.02, -7)) if dtype == "int8" else {}
    got = fo.global_avg_pool2d(x, **q)
    want = ref.adaptive_avg_pool2d(x, 1, zero_point=-7 if dtype == "int8" else 0)
    h, w = shape[-2:]
    check_avg(got, want, x, ref.Axis(h, 1, h, adaptive=True), ref.Axis(w, 1, w, adaptive=True), False)
    assert got.shape == shape[:2] + (1, 1)


@pytest.mark.parametrize("args", [
    dict(kernel_size=3, stride=2, padding=1),            # ResNet stem max pool
    dict(kernel_size=2, stride=2),                       # VGG-style
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(1, 7), stride=(1, 3), padding=(0, 3), ceil_mode=True),
])
def test_cnn_shapes(backend, args):
    x = rand(np.random.default_rng(3), (2, 64, 56, 57), "float32", specials=True)
    np.testing.assert_array_equal(fo.max_pool2d(x, **args), ref.max_pool2d(x, **args))


@settings(max_examples=25, deadline=None)
@given(k=st.integers(1, 5), s=st.integers(1, 3), extra_w=st.integers(0, 120), extra_h=st.integers(0, 6),
       cm=st.booleans(), dtype=st.sampled_from(["float32", "int8"]), data=st.data(), seed=st.integers(0, 2**31))
def test_max_pool_wide_rows(backend, k, s, extra_w, extra_h, cm, dtype, data, seed):
    """Rows of 16-140 columns: the 16-wide vector blocks of opencl's separable pool_max_f32 / _i8
    (stride 1 and 2) and their scalar tails, next to pool_f32 / pool_i8 for the other strides."""
    p = data.draw(st.integers(0, k // 2))
    shape = (1, 3, max(1, k - 2 * p) + extra_h, max(16, k - 2 * p) + extra_w)
    x = rand(np.random.default_rng(seed), shape, dtype, specials=True)
    np.testing.assert_array_equal(fo.max_pool2d(x, k, s, p, 1, cm), ref.max_pool2d(x, k, s, p, 1, cm))


@pytest.mark.parametrize("dtype", ["float32", "int8"])
@pytest.mark.parametrize("w, p, d", [(1023, 1, 1), (1021, 1, 1), (40, 1, 2)])
def test_max_pool_separable_limits(backend, w, p, d, dtype):
    """Both sides of opencl's choice between pool_max_f32 and pool_f32: a padded row (both paddings
    reached by the last window) just over and just within pool.opencl.max_row, and a dilated window."""
    from fpgaops.backends.opencl.pool import separable_max
    from fpgaops.ops.pool import PoolCall

    max_row = config.current().pool.opencl.max_row
    x = rand(np.random.default_rng(w), (1, 2, 5, w), dtype, specials=True)
    ow = ref.out_size(w, 3, 2, p, d, False)
    call = PoolCall(dtype=np.dtype(dtype), x=None, y=None, planes=2, kind=0, adaptive=False,
                    count_include_pad=False, h=5, oh=2, kh=3, sh=2, ph=p, dh=d, w=w, ow=ow, kw=3, sw=2, pw=p, dw=d,
                    zero_point=0, open_rows=3)
    assert separable_max(call, max_row) == (d == 1 and (ow - 1) * 2 + 3 <= max_row)
    np.testing.assert_array_equal(fo.max_pool2d(x, 3, 2, p, d), ref.max_pool2d(x, 3, 2, p, d))


def test_3d_input_and_tensor_chain(backend):
    x = rand(np.random.default_rng(4), (4, 9, 11), "float32")
    got = fo.max_pool2d(x, 3, 2)
    np.testing.assert_array_equal(got, ref.max_pool2d(x[None], 3, 2)[0])
    t = fo.to_device(x[None])
    y = fo.avg_pool2d(fo.max_pool2d(t, 2, 1), 2)
    assert isinstance(y, fo.Tensor) and y.device.name == backend
    want = ref.avg_pool2d(ref.max_pool2d(x[None], 2, 1), 2)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-6, atol=1e-6)


def test_max_pool_nan_and_inf_propagate(backend):
    """A window holding NaN gives NaN, +inf wins, -inf loses (the definition, as PyTorch documents
    it; asserted as values, not by running PyTorch, whose special-value paths differ by CPU)."""
    x = np.zeros((1, 1, 4, 4), np.float32)
    x[0, 0, 0, 0] = np.nan
    x[0, 0, 3, 3] = np.inf
    x[0, 0, 0, 3] = -np.inf
    got = fo.max_pool2d(x, 2, 2)
    np.testing.assert_array_equal(got, np.array([[[[np.nan, 0], [0, np.inf]]]], np.float32))


def test_int8_avg_pool_rounding_is_half_to_even(backend):
    # windows of 2 summing to odd values: x.5 ties in both directions
    x = np.array([[[[1, 2, 3, 4, -1, -2, -3, -4]]]], np.int8)
    got = fo.avg_pool2d(x, (1, 2), x_q=(1.0, 0))
    np.testing.assert_array_equal(got.reshape(-1), [2, 4, -2, -4])  # 1.5->2, 3.5->4, -1.5->-2, -3.5->-4


# ---- bad input: a clear exception naming the argument, no kernel launched ---------------------------
X = np.zeros((1, 2, 5, 5), np.float32)


@pytest.mark.parametrize("call, arg, exc", [
    (lambda: fo.max_pool2d(X, 3, padding=2), "padding", ValueError),        # padding > kernel / 2
    (lambda: fo.avg_pool2d(X, 2, padding=(0, 2)), "padding", ValueError),
    (lambda: fo.max_pool2d(X, 7), "kernel_size", ValueError),               # kernel larger than input
    (lambda: fo.max_pool2d(X, 3, dilation=3), "kernel_size", ValueError),
    (lambda: fo.max_pool2d(X, 0), "kernel_size", ValueError),
    (lambda: fo.max_pool2d(X, -1), "kernel_size", ValueError),
    (lambda: fo.max_pool2d(X, 2, stride=0), "stride", ValueError),
    (lambda: fo.max_pool2d(X, 2, padding=-1), "padding", ValueError),
    (lambda: fo.max_pool2d(X, 2, dilation=0), "dilation", ValueError),
    (lambda: fo.max_pool2d(X, 2.5), "kernel_size", TypeError),
    (lambda: fo.max_pool2d(X, (2, 2, 2)), "kernel_size", TypeError),
    (lambda: fo.max_pool2d(X, 2, ceil_mode="yes"), "ceil_mode", TypeError),
    (lambda: fo.avg_pool2d(X, 2, count_include_pad=1), "count_include_pad", TypeError),
    (lambda: fo.adaptive_avg_pool2d(X, 0), "output_size", ValueError),
    (lambda: fo.adaptive_avg_pool2d(X, (2, -1)), "output_size", ValueError),
    (lambda: fo.max_pool2d(np.zeros((2, 5, 5, 1, 1), np.float32), 2), "x", ValueError),   # rank
    (lambda: fo.max_pool2d(np.zeros((5, 5), np.float32), 2), "x", ValueError),
    (lambda: fo.max_pool2d(np.zeros((1, 0, 5, 5), np.float32), 2), "x", ValueError),     # zero-size
    (lambda: fo.max_pool2d(X.astype(np.float64), 2), "x", TypeError),                    # dtype
    (lambda: fo.max_pool2d([[1.0]], 2), "x", TypeError),
    (lambda: fo.avg_pool2d(X.astype(np.int8), 2), "x_q", ValueError),                   # int8 needs x_q
    (lambda: fo.avg_pool2d(X, 2, x_q=(0.1, 0)), "x_q", ValueError),                     # float takes none
    (lambda: fo.avg_pool2d(X.astype(np.int8), 2, x_q=(0.1, 200)), "x_q.zero_point", ValueError),
])
def test_bad_input(no_kernel_launch, call, arg, exc):
    with pytest.raises(exc) as e:
        call()
    assert isinstance(e.value, fo.FpgaopsError)
    assert getattr(e.value, "argument", None) == arg or str(e.value).startswith(arg), str(e.value)


def test_kernel_limits_are_unsupported_not_wrong(no_kernel_launch):
    cfg = config.current().pool
    with pytest.raises(fo.UnsupportedError, match="pool.max_width"):
        fo.max_pool2d(np.zeros((1, 1, 2, cfg.max_width + 1), np.float32), 2)
    with pytest.raises(fo.UnsupportedError, match="pool.max_kernel"):
        fo.max_pool2d(np.zeros((1, 1, 64, 64), np.float32), 3, 1, 1, dilation=MAX_KERNEL)
    with pytest.raises(fo.UnsupportedError, match="pool.max_open_rows"):
        fo.adaptive_avg_pool2d(np.zeros((1, 1, 2, 2), np.float32), (cfg.max_open_rows * 3, 2))
