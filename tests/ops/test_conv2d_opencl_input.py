"""The float32 OpenCL conv input paths of issue 13 (backends/opencl/conv2d.py): conv_pad (one
padded row per work-item) against the NumPy reference on padded im2col convs, and the input
scale of the pointwise kernels (``input_scale``, the squeeze-and-excitation gate multiplied as
conv_pw / conv_pwt load x): bit-identical to the separate ``mul`` then the conv, on every
pointwise path (conv_pwt, conv_pw's full vectors and its short-row path)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops.reference import conv2d as ref_conv


@pytest.fixture
def cl(require):
    require("opencl")
    with fo.device("opencl"):
        yield fo.backends.get_device("opencl")


def arr(rng, shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


@settings(max_examples=30, deadline=None)
@given(c=st.integers(1, 5), k=st.integers(1, 9), h=st.integers(1, 12), w=st.integers(1, 40),
       r=st.integers(1, 7), stride=st.integers(1, 3), pad=st.tuples(st.integers(0, 4), st.integers(0, 4)),
       n=st.integers(1, 2), seed=st.integers(0, 2**16))
def test_padded_im2col_matches_the_reference(cl, c, k, h, w, r, stride, pad, n, seed):
    # conv_pad: left / right / top / bottom padding, rows narrower than the padding, an image
    # of one pixel, several planes per sample
    if h + 2 * pad[0] < r or w + 2 * pad[1] < r:
        return
    rng = np.random.default_rng(seed)
    x, wt, b = arr(rng, (n, c, h, w)), arr(rng, (k, c, r, r)), arr(rng, (k,))
    got = fo.conv2d(x, wt, b, stride=stride, padding=pad, algo="im2col")
    geom = ((stride, stride), pad, (1, 1), 1, got.shape[2:])
    assert_within(got, ref_conv.conv2d_float(x, wt, b, *geom), ref_conv.tolerance(x, wt, b, *geom))


def assert_within(got, want, tol):
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    assert got.shape == want.shape and np.all(err <= tol), f"max err/bound {np.max(err / tol):.3f}"


def _path(dev, p, c, k):
    from fpgaops.backends.opencl import conv2d
    from fpgaops.backends.opencl.conv_common import tunables

    vec, m = conv2d.pw_vec(dev), conv2d.pw_m(dev)
    if conv2d.use_pwt(p, c, k, vec, m, tunables(dev)["cfg"].conv2d.opencl):
        return "conv_pwt"
    return "conv_pw" if p >= conv2d.PW_NV * vec else "conv_pw short rows"


def _scaled_vs_mul(rng, n, c, k, h, w, act, residual):
    x, wt, b = arr(rng, (n, c, h, w)), arr(rng, (k, c, 1, 1)), arr(rng, (k,))
    s = rng.uniform(0, 1, (n, c, 1, 1)).astype(np.float32)  # a gate: hardsigmoid / sigmoid range
    s[0, 0] = 0.0
    res = fo.to_device(arr(rng, (n, k, h, w))) if residual else None
    tx, ts, tw, tb = fo.to_device(x), fo.to_device(s), fo.to_device(wt), fo.to_device(b)
    want = fo.conv2d(fo.mul(tx, ts), tw, tb, activation=act, residual=res).numpy()
    got = fo.conv2d(tx, tw, tb, activation=act, residual=res, channel_scale=ts).numpy()
    np.testing.assert_array_equal(got, want)
    if act is None:  # and both are right: the conv of the float32 product x * s (the kernels' input)
        xs = x * s
        r = res.numpy() if res is not None else None
        geom = ((1, 1), (0, 0), (1, 1), 1, (h, w))
        assert_within(got, ref_conv.conv2d_float(xs, wt, b, *geom, residual=r),
                      ref_conv.tolerance(xs, wt, b, *geom, residual=r))


@pytest.mark.parametrize("n, c, k, h, w, act, residual", [
    (1, 96, 576, 7, 7, "hardswish", False),    # MobileNetV3-small's last blocks
    (1, 576, 96, 7, 7, None, True),
    (2, 40, 24, 14, 14, None, True),
    (1, 24, 40, 28, 28, "relu", False),
    (2, 16, 8, 56, 56, None, False),
    (1, 8, 13, 3, 5, "relu6", True),            # fewer pixels than one vector block
    (3, 5, 7, 1, 2, None, False),
])
def test_input_scale_is_the_mul_then_the_conv_bit_for_bit(cl, n, c, k, h, w, act, residual):
    _scaled_vs_mul(np.random.default_rng(c * k + h), n, c, k, h, w, act, residual)


def test_the_cases_above_cover_every_pointwise_path(cl):
    paths = {_path(cl, h * w, c, k) for _n, c, k, h, w, _a, _r in
             test_input_scale_is_the_mul_then_the_conv_bit_for_bit.pytestmark[0].args[1]}
    assert paths == {"conv_pwt", "conv_pw", "conv_pw short rows"}


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 130), k=st.integers(1, 70), h=st.integers(1, 16),
       w=st.integers(2, 16), act=st.sampled_from([None, "relu", "hardswish", "hardsigmoid"]),
       residual=st.booleans(), seed=st.integers(0, 2**16))
def test_input_scale_hypothesis(cl, n, c, k, h, w, act, residual, seed):
    _scaled_vs_mul(np.random.default_rng(seed), n, c, k, h, w, act, residual)


def test_channel_scale_where_the_kernel_cannot_fuse_it(cl):
    # a 3x3 conv, a strided 1x1 and a one-pixel image: the launcher declines (takes_x_scale) and
    # ops.conv2d multiplies first -- the same bits as mul then conv, on opencl as on the reference
    from fpgaops.backends.opencl import conv2d

    rng = np.random.default_rng(0)
    for xs, ws, kw in [((1, 4, 6, 6), (5, 4, 3, 3), dict(padding=1)), ((2, 6, 9, 9), (3, 6, 1, 1), dict(stride=2)),
                       ((1, 4, 1, 1), (8, 4, 1, 1), {})]:
        x, wt = fo.to_device(arr(rng, xs)), fo.to_device(arr(rng, ws))
        s = fo.to_device(rng.uniform(0, 1, (xs[0], xs[1], 1, 1)).astype(np.float32))
        want = fo.conv2d(fo.mul(x, s), wt, **kw).numpy()
        np.testing.assert_array_equal(fo.conv2d(x, wt, channel_scale=s, **kw).numpy(), want)
        np.testing.assert_array_equal(fo.conv2d(x.numpy(), wt.numpy(), channel_scale=s.numpy(), **kw), want)
    calls = []
    orig = conv2d.takes_x_scale
    conv2d.takes_x_scale = lambda be, call: calls.append(orig(be, call)) or calls[-1]
    try:
        fo.conv2d(fo.to_device(arr(rng, (1, 4, 6, 6))), arr(rng, (8, 4, 1, 1)), channel_scale=np.ones((1, 4, 1, 1), np.float32))
    finally:
        conv2d.takes_x_scale = orig
    assert calls and all(calls)  # ... and a 1x1 stride-1 conv is fused (asked by ops, checked by run)


def test_channel_scale_arguments(cl):
    rng = np.random.default_rng(1)
    x, wt = arr(rng, (2, 4, 5, 5)), arr(rng, (3, 4, 1, 1))
    with pytest.raises(fo.ArgumentError, match="channel_scale"):
        fo.conv2d(x, wt, channel_scale=np.ones((1, 4, 1, 1), np.float32))  # one row for two images
    with pytest.raises(fo.ArgumentTypeError, match="channel_scale"):
        fo.conv2d(x, wt, channel_scale=np.ones((2, 4, 1, 1), np.float64))
    xq, wq = np.zeros((1, 4, 5, 5), np.int8), np.ones((3, 4, 1, 1), np.int8)
    with pytest.raises(fo.ArgumentError, match="channel_scale"):
        fo.conv2d(xq, wq, input_scale=0.1, weight_scale=0.1, output_scale=0.1,
                  channel_scale=np.ones((1, 4, 1, 1), np.float32))
