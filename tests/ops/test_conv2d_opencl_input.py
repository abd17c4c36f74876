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
    from fpgaops.backends.opencl import conv2d

    x, wt, b = arr(rng, (n, c, h, w)), arr(rng, (k, c, 1, 1)), arr(rng, (k,))
    s = rng.uniform(0, 1, (n, c, 1, 1)).astype(np.float32)  # a gate: hardsigmoid / sigmoid range
    s[0, 0] = 0.0
    res = fo.to_device(arr(rng, (n, k, h, w))) if residual else None
    tx, ts, tw, tb = fo.to_device(x), fo.to_device(s), fo.to_device(wt), fo.to_device(b)
    want = fo.conv2d(fo.mul(tx, ts), tw, tb, activation=act, residual=res).numpy()
    with conv2d.input_scale(ts):
        got = fo.conv2d(tx, tw, tb, activation=act, residual=res).numpy()
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


def test_input_scale_refuses_a_conv_it_would_not_scale(cl):
    from fpgaops.backends.opencl import conv2d

    rng = np.random.default_rng(0)
    x = fo.to_device(arr(rng, (1, 4, 6, 6)))
    s = fo.to_device(np.ones((1, 4, 1, 1), np.float32))
    with pytest.raises(fo.UnsupportedError, match="input_scale"):  # 3x3: not a pointwise conv
        with conv2d.input_scale(s):
            fo.conv2d(x, arr(rng, (4, 4, 3, 3)), padding=1)
    with pytest.raises(fo.UnsupportedError, match="input_scale"):  # one pixel: conv_pw1 has no scale
        with conv2d.input_scale(s):
            fo.conv2d(fo.to_device(arr(rng, (1, 4, 1, 1))), arr(rng, (8, 4, 1, 1)))
    with pytest.raises(fo.UnsupportedError, match="input_scale"):  # no conv at all
        with conv2d.input_scale(s):
            pass
    # the scale is not left behind for the next conv
    y = fo.conv2d(x, arr(rng, (8, 4, 1, 1)))
    assert y.shape == (1, 8, 6, 6)
