"""The OpenCL kernels' instruction-set branches (backends/opencl/isa.py), each bit-exact on every
machine where it can run:

* int8 VNNI (gemm.opencl.int8_vnni): conv2d.cl's int8 GEMM kernels (conv_im2col, conv_pw) on u8 x s8
  quads with vpdpbusd, against the int16-pair path (the portable branch, tested everywhere). The
  VNNI branch skips, with the reason, on a machine whose CPU has no VNNI (it would fault there).
* conv_im2col register blocking (conv2d.opencl.kv / kv_avx512): both kv values are forced through
  isa.detect and checked on any machine (an AVX2 machine spills with kv 4 but computes the same).
No timings here: benchmarks/RESULTS.md has those.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops.ops import conv2d as conv_op

from test_conv2d import LAYERS, check_float, conv_shapes, make_float, make_int8, run_all_int8


@pytest.fixture
def ocl(require):
    require("opencl")
    from fpgaops.backends.opencl import conv_common, isa
    be = fo.get_device("opencl")
    with fo.device("opencl"):
        yield be, isa, conv_common


@pytest.fixture(params=[1, 0], ids=["vnni", "portable"])
def vnni_form(request, ocl, tmp_path, monkeypatch):
    """Switch gemm.opencl.int8_vnni; yields TW (taps per word) the int8 conv kernels now take."""
    from opencl_paths import use_vnni
    be, isa, conv_common = ocl
    if request.param and not isa.detect(be).vnni:
        pytest.skip("no VNNI here (the host CPU reports neither avx512_vnni nor avx_vnni, or the device is "
                    "not PoCL on x86): only the portable int16-pair branch exists")
    use_vnni(monkeypatch, tmp_path, request.param)
    tw, defines = conv_common.int8_form(be, 9)
    assert tw == (4 if request.param else 2) and bool(defines) == bool(request.param)
    return tw


def q_params(rng, k, zp=None):
    return dict(input_scale=0.02, input_zero_point=int(rng.integers(-128, 128)) if zp is None else zp,
                weight_scale=rng.uniform(0.001, 0.02, k), output_scale=float(rng.uniform(0.05, 4.0)),
                output_zero_point=int(rng.integers(-20, 20)))


def exact(x, w, b, stride, pad, dil, groups, **q):
    with fo.device("reference"):
        want = fo.conv2d(x, w, b, stride, pad, dil, groups, **q)
    got = fo.conv2d(x, w, b, stride, pad, dil, groups, algo="im2col", **q)
    np.testing.assert_array_equal(got, want)


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
def test_realistic_int8_layers(vnni_form):
    rng = np.random.default_rng(13)
    for name in ("resnet_conv1_7x7s2", "resnet_3x3_64", "resnet_3x3s2_downsample", "resnet50_1x1", "mobilenet_pw",
                 "grouped_resnext"):
        n, c, h, w, k, r, s, st_, p, g = LAYERS[name]
        xq, wq, bq = make_int8(rng, n, c, h, w, k, r, s, g)
        run_all_int8(xq, wq, bq, (st_, st_), (p, p), (1, 1), g, rng, "relu", with_res=True)


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@settings(max_examples=20, deadline=None)
@given(shape=conv_shapes(), pointwise=st.booleans(), corner=st.sampled_from(["random", "min", "max", "mixed"]),
       zp=st.sampled_from([None, -128, 127, 0]), with_bias=st.booleans(), seed=st.integers(0, 2**31))
def test_int8_any_shape_and_corners(vnni_form, shape, pointwise, corner, zp, with_bias, seed):
    """Any geometry (pointwise shapes take conv_pw), codes at -128/127 and zero points at the ends of
    int8: the VNNI correction (128 + zp) * sum(w) and the padding code zp + 128 at their extremes."""
    n, c, h, w, k, r, s, stride, pad, dil, groups = shape
    if pointwise:
        r = s = 1
        stride, pad, dil, groups = (1, 1), (0, 0), (1, 1), 1
    rng = np.random.default_rng(seed)
    x, wt, b = make_int8(rng, n, c, h, w, k, r, s, groups)
    if corner in ("min", "mixed"):
        wt[...] = -128
    if corner == "min":
        x[...] = 127
    elif corner == "max":
        x[...], wt[...] = -128, -128
    elif corner == "mixed":
        x[...] = np.where(rng.random(x.shape) < 0.5, -128, 127)
    exact(x, wt, b if with_bias else None, stride, pad, dil, groups, **q_params(rng, k, zp))


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@pytest.mark.parametrize("pointwise", [False, True], ids=["im2col", "pointwise"])
def test_int8_longest_reduction_at_the_int32_bound(vnni_form, ocl, pointwise):
    """Cg*R*S at the largest tap count ops/conv2d.py allows (INT8_MAX_TAPS), with |x - zp| = 255 and
    w = -128 in every tap: the exact sum of channel 0 is -2^31 + 128 (pointwise, 65,793 taps) or
    -2^31 + 98,048 (3x3, 65,790 taps), so an int32 overflow in the VNNI sums or the correction
    would flip its sign (output code 127 instead of -128). The other channels vary the weights."""
    be, isa, conv_common = ocl
    taps = conv_op.INT8_MAX_TAPS
    assert taps == conv_common.VNNI_MAX_TAPS
    if pointwise:
        c, r = taps, 1
    else:
        c, r = taps // 9, 3
    x = np.full((1, c, r, r), 127, np.int8)
    w = np.full((4, c, r, r), -128, np.int8)
    w[1, :7] = 127
    w[3, -5:] = 0
    rng = np.random.default_rng(3)
    q = dict(input_scale=1.0, input_zero_point=-128, weight_scale=np.full(4, 1.0), output_scale=2.0**24,
             output_zero_point=0)
    exact(x, w, np.array([0, 5, -7, 2**20], np.int32), 1, 0, 1, 1, **q)


def test_vnni_form_stops_at_its_exact_bound(ocl, monkeypatch):
    """int8_form takes VNNI up to VNNI_MAX_TAPS taps and the int16-pair path above (a pure rule:
    checked with a pretended VNNI device, no kernel runs), and never without VNNI or with the key 0."""
    be, isa, conv_common = ocl
    monkeypatch.setattr(isa, "detect", lambda backend: isa.Isa(True, True, 512))
    assert conv_common.int8_form(be, conv_common.VNNI_MAX_TAPS) == (4, ["-DFPGAOPS_VNNI=512"])
    assert conv_common.int8_form(be, conv_common.VNNI_MAX_TAPS + 1) == (2, [])
    monkeypatch.setattr(isa, "detect", lambda backend: isa.Isa(True, True, 0))
    assert conv_common.int8_form(be, 9) == (2, [])
    assert 255 * 128 * conv_common.VNNI_MAX_TAPS < 2**31 <= 255 * 128 * (conv_common.VNNI_MAX_TAPS + 1)


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@pytest.mark.parametrize("avx512", [True, False], ids=["kv_avx512", "kv"])
def test_register_blocking_per_isa(ocl, monkeypatch, avx512):
    """conv_im2col with the AVX-512 blocking (conv2d.opencl.kv_avx512) and the AVX2 one
    (conv2d.opencl.kv), forced through isa.detect: float32 within tolerance, int8 (portable
    form) bit-exact, on any machine."""
    be, isa, conv_common = ocl
    monkeypatch.setattr(isa, "detect", lambda backend: isa.Isa(True, avx512, 0))
    cfg = conv_common.tunables(be)["cfg"].conv2d.opencl
    assert conv_common.tunables(be)["kv"] == (cfg.kv_avx512 if avx512 else cfg.kv)
    rng = np.random.default_rng(21)
    for name in ("resnet_conv1_7x7s2", "resnet_3x3s2_downsample", "grouped_resnext"):
        n, c, h, w, k, r, s, st_, p, g = LAYERS[name]
        x, wt, b = make_float(rng, n, c, h, w, k, r, s, g)
        got = fo.conv2d(x, wt, b, st_, p, 1, g, algo="im2col", activation="relu")
        check_float(got, x, wt, b, (st_, st_), (p, p), (1, 1), g, "relu", None, "im2col")
        xq, wq, bq = make_int8(rng, n, c, h, w, k, r, s, g)
        exact(xq, wq, bq, (st_, st_), (p, p), (1, 1), g, **q_params(rng, k))


@settings(max_examples=25, deadline=None)
@given(m=st.integers(1, 40), n=st.integers(1, 70), k=st.integers(1, 300), trans_a=st.booleans(),
       trans_b=st.booleans(), with_c=st.booleans(), corner=st.sampled_from(["random", "min", "max", "mixed"]),
       seed=st.integers(0, 2**31))
def test_gemm_int8_both_forms(vnni_form, ocl, m, n, k, trans_a, trans_b, with_c, corner, seed):
    """gemm.cl's int8 GEMM in the form vnni_form selected (u8 quads + 128 * colsum(B) correction,
    or int16 pairs): bit-exact, K not a multiple of 4, transposes, C added with int32 wrap."""
    from fpgaops.backends.opencl import gemm as gemm_cl
    be, isa, conv_common = ocl
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    if corner == "min":
        a[...], b[...] = 127, -128
    elif corner == "max":
        a[...], b[...] = -128, -128
    elif corner == "mixed":
        a[...] = np.where(rng.random(a.shape) < 0.5, -128, 127)
        b[...] = np.where(rng.random(b.shape) < 0.5, -128, 127)
    c = rng.integers(-2**31, 2**31, size=(m, n), dtype=np.int32) if with_c else None
    got = fo.gemm(np.ascontiguousarray(a.T) if trans_a else a, np.ascontiguousarray(b.T) if trans_b else b, c,
                  beta=1 if with_c else 0, trans_a=trans_a, trans_b=trans_b)
    want = a.astype(np.int64) @ b.astype(np.int64) + (c if with_c else 0)
    np.testing.assert_array_equal(got, (want % 2**32).astype(np.uint32).view(np.int32))
    assert gemm_cl._state(be).vnni_form[0] == vnni_form


def test_gemm_int8_longest_k(vnni_form, ocl):
    """K = gemm.max_dim with codes at the ends of int8 (|sum| up to 2^30; the VNNI sums of a + 128
    reach 255 * 128 * K) and a batch sharing B: bit-exact."""
    from fpgaops import config
    k = config.current().gemm.max_dim
    a = np.full((2, 3, k), 127, np.int8)
    a[1, 1] = -128
    a[0, 2, ::3] = -128
    b = np.full((k, 5), -128, np.int8)
    b[:, 4] = 127
    want = a.astype(np.int64) @ b.astype(np.int64)
    np.testing.assert_array_equal(fo.matmul(a, b), want.astype(np.int32))



def test_detected_vnni_form_passes_its_probe(ocl):
    """isa.detect offers a VNNI form only if the host has it and a probe run of QUAD_DOT8 matched
    NumPy (PoCL's LLVM silently drops inline-asm instructions its target lacks, e.g. the {vex}
    form on skylake-avx512)."""
    be, isa, conv_common = ocl
    vnni = isa.detect(be).vnni
    if not vnni:
        pytest.skip("no VNNI here (host CPU flags or the probe): nothing to check")
    assert isa.probe_vnni(be, vnni)
