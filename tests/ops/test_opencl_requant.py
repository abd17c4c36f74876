"""The OpenCL int8 conv epilogues' two requantization forms (kernels/opencl/conv_int8.h): 32-bit
(CONV_REQ32, chosen by backends/opencl/conv_common.requant_defines where every shift of the layer
is in [33, 62]) and the 64-bit form (any other shift, and every layer with a residual), each
bit-exact against the reference in conv_pw (1x1), conv_im2col and int8 depthwise, in the VNNI and
the portable int16-pair forms. Also conv_pw's several output-channel blocks per work-item (KBN)
at the edges of K. The NumPy model of the 32-bit arithmetic: tests/quant/test_requant32.py."""
import numpy as np
import pytest

import fpgaops as fo
from fpgaops.backends.opencl import conv2d as ocl_conv2d
from fpgaops.backends.opencl import dwconv as ocl_dwconv

from test_conv2d import make_int8
from test_opencl_isa import ocl, vnni_form  # noqa: F401  (fixtures)

# (n, c, h, w, k, r, stride, pad, groups): 1x1 (conv_pw), 3x3 (conv_im2col), depthwise (dwconv)
SHAPES = {
    "pw": (1, 16, 9, 13, 20, 1, 1, 0, 1),
    "pw_odd": (2, 5, 3, 7, 13, 1, 1, 0, 1),
    "im2col": (1, 6, 9, 10, 11, 3, 2, 1, 1),
    "dw3": (1, 12, 11, 19, 12, 3, 1, 1, 12),
    "dw5s2": (1, 8, 13, 17, 8, 5, 2, 2, 8),
    "dw_generic": (1, 8, 10, 12, 8, 4, 1, 1, 8),
}
# scale ratio input * weight / output: 2.5e-3..1e-2 (shifts 38-40, the 32-bit form) or 0.275..1
# (shifts 31-32, the 64-bit form; small codes and weights there, so the outputs do not all saturate)
OUTPUT_SCALE = {"req32": 0.2, "req64": 0.002}


@pytest.fixture
def decisions(monkeypatch):
    """What requant_defines decided for each int8 conv launch of the test."""
    seen = []
    for mod in (ocl_conv2d, ocl_dwconv):
        orig = mod.requant_defines
        monkeypatch.setattr(mod, "requant_defines", lambda call, _o=orig: seen.append(_o(call)) or seen[-1])
    return seen


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@pytest.mark.parametrize("form", ["req32", "req64"])
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("with_res", [False, True])
def test_both_requant_forms_bit_exact(vnni_form, decisions, form, shape, with_res):
    n, c, h, w, k, r, st_, p, g = SHAPES[shape]
    rng = np.random.default_rng(hash((form, shape, with_res)) % 2**32)
    x, wt, b = make_int8(rng, n, c, h, w, k, r, r, g)
    zp = int(rng.integers(-128, 128))
    if form == "req64":
        x = np.clip(zp + rng.integers(-3, 4, x.shape), -128, 127).astype(np.int8)
        wt, b = (wt // 40).astype(np.int8), b // 200
    q = dict(input_scale=0.05, input_zero_point=zp,
             weight_scale=rng.uniform(0.011, 0.04, k), output_scale=OUTPUT_SCALE[form],
             output_zero_point=int(rng.integers(-20, 20)))
    res = None
    if with_res:
        oh, ow = (h + 2 * p - r) // st_ + 1, (w + 2 * p - r) // st_ + 1
        res = rng.integers(-128, 128, (n, k, oh, ow), dtype=np.int8)
        q.update(residual_scale=1.5 * OUTPUT_SCALE[form], residual_zero_point=int(rng.integers(-10, 10)))
    algo = "dwconv" if g > 1 else "im2col"
    for act in ("relu6", None):
        with fo.device("reference"):
            want = fo.conv2d(x, wt, b, st_, p, 1, g, activation=act, residual=res, **q)
        got = fo.conv2d(x, wt, b, st_, p, 1, g, algo=algo, activation=act, residual=res, **q)
        np.testing.assert_array_equal(got, want)
    # not all saturated (the comparison would say little): many codes strictly inside [-128, 127]
    assert len(np.unique(want[(want > -128) & (want < 127)])) > 5
    assert decisions and all(d == (["-DCONV_REQ32=1"] if form == "req32" else []) for d in decisions)


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@pytest.mark.parametrize("min_words", [1, 3, 10 ** 6])
def test_pointwise_output_blocks_per_item(vnni_form, monkeypatch, min_words):
    """KBN = 1, a few, and all of K's blocks per conv_pw work-item; K not a multiple of the block.
    (pw_kbn is wrapped rather than conv2d.opencl.pw_min_words set: vnni_form owns the config.)"""
    shipped = ocl_conv2d.pw_kbn
    monkeypatch.setattr(ocl_conv2d, "pw_kbn", lambda cq, kblk, _words: shipped(cq, kblk, min_words))
    rng = np.random.default_rng(min_words)
    for c, k in ((3, 7), (16, 31), (40, 50)):
        x, wt, b = make_int8(rng, 1, c, 5, 9, k, 1, 1, 1)
        q = dict(input_scale=0.05, input_zero_point=-128, weight_scale=rng.uniform(0.01, 0.04, k),
                 output_scale=0.2, output_zero_point=3)
        with fo.device("reference"):
            want = fo.conv2d(x, wt, b, **q)
        np.testing.assert_array_equal(fo.conv2d(x, wt, b, algo="im2col", **q), want)
