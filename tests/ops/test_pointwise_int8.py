"""The OpenCL int8 pointwise kernels conv_pw1 (one pixel) and conv_pw with 4 pixel vectors per
work-item (-DCONV_PW_NV=4, taken by images of at least
conv2d.opencl.pw_nv4_min_pixels pixels; smaller images,
with 2, are covered by test_conv2d.py and test_opencl_requant.py) bit-exact against the
reference: pixel counts that leave a partial last block, channel counts that leave a partial word
and a partial block of output channels, zero points at the extremes, a residual; in the VNNI and
the int16-pair forms."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops import config

from test_opencl_isa import ocl, vnni_form  # noqa: F401  (fixtures)


NV4_MIN = config.current().conv2d.opencl.pw_nv4_min_pixels


@st.composite
def cases(draw):
    h = draw(st.integers(40, 52))
    w = draw(st.integers(-(-NV4_MIN // h), 60))
    return draw(st.integers(1, 2)), draw(st.integers(1, 21)), h, w, draw(st.integers(1, 14))


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@settings(max_examples=12)
@given(case=cases(), zp=st.sampled_from([-128, 127, 3]), act=st.sampled_from([None, "relu6"]),
       with_res=st.booleans(), seed=st.integers(0, 2**31))
def test_int8_pointwise_four_vectors_bit_exact(vnni_form, case, zp, act, with_res, seed):
    n, c, h, w, k = case
    assert h * w >= NV4_MIN
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (n, c, h, w), dtype=np.int8)
    wt = rng.integers(-128, 128, (k, c, 1, 1), dtype=np.int8)
    b = rng.integers(-2**14, 2**14, k).astype(np.int32)
    q = dict(input_scale=0.02, input_zero_point=zp, weight_scale=rng.uniform(0.001, 0.02, k),
             output_scale=float(rng.uniform(0.05, 2.0)), output_zero_point=int(rng.integers(-20, 20)))
    res = None
    if with_res:
        res = rng.integers(-128, 128, (n, k, h, w), dtype=np.int8)
        q.update(residual_scale=0.5, residual_zero_point=int(rng.integers(-10, 10)))
    with fo.device("reference"):
        want = fo.conv2d(x, wt, b, activation=act, residual=res, **q)
    got = fo.conv2d(x, wt, b, activation=act, residual=res, **q)  # (vnni_form made opencl current)
    np.testing.assert_array_equal(got, want)


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@settings(max_examples=20)
@given(n=st.integers(1, 3), c=st.integers(1, 300), k=st.integers(1, 40), zp=st.sampled_from([-128, 127, -3]),
       with_res=st.booleans(), seed=st.integers(0, 2**31))
def test_int8_pointwise_one_pixel_bit_exact(vnni_form, n, c, k, zp, with_res, seed):
    # conv_pw1: whole and partial blocks of 8 input words, a partial last word, a batch
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (n, c, 1, 1), dtype=np.int8)
    wt = rng.integers(-128, 128, (k, c, 1, 1), dtype=np.int8)
    b = rng.integers(-2**14, 2**14, k).astype(np.int32)
    q = dict(input_scale=0.02, input_zero_point=zp, weight_scale=rng.uniform(0.001, 0.02, k),
             output_scale=float(rng.uniform(0.05, 2.0)), output_zero_point=int(rng.integers(-20, 20)))
    res = None
    if with_res:
        res = rng.integers(-128, 128, (n, k, 1, 1), dtype=np.int8)
        q.update(residual_scale=0.5, residual_zero_point=int(rng.integers(-10, 10)))
    with fo.device("reference"):
        want = fo.conv2d(x, wt, b, residual=res, **q)
    got = fo.conv2d(x, wt, b, residual=res, **q)
    np.testing.assert_array_equal(got, want)
