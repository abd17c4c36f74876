"""conv2d on every backend and with every algorithm that applies, against the NumPy reference.

float32: every element within fpgaops.reference.conv2d.tolerance (Winograd with its own factor);
int8: bit-exact with the reference, hence across algorithms and backends.
"""
import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops import config, quant
from fpgaops.ops import conv2d as conv_op
from fpgaops.reference import act_lut as act_ref
from fpgaops.reference import conv2d as ref

HAS_CSIM_CONV = importlib.util.find_spec("fpgaops.backends.csim.conv2d") is not None


@pytest.fixture
def dev(backend):
    """The backend fixture, minus csim until its conv launcher exists (the HLS conv helper's)."""
    if backend == "csim" and not HAS_CSIM_CONV:
        pytest.skip("HLS conv kernels not yet built (no fpgaops.backends.csim.conv2d)")
    return backend


def algos_for(dtype, c, r, s, stride, dilation, groups):
    out = ["im2col"]
    if (r, s) == (3, 3) and stride == (1, 1) and dilation == (1, 1) and groups == 1:
        out += ["winograd_f2"] if dtype == np.int8 else ["winograd_f2", "winograd_f4"]
    if groups == c:
        out.append("dwconv")
    return out + ["auto"]


def geometry(h, w, r, s, stride, pad, dilation):
    oh = (h + 2 * pad[0] - dilation[0] * (r - 1) - 1) // stride[0] + 1
    ow = (w + 2 * pad[1] - dilation[1] * (s - 1) - 1) // stride[1] + 1
    return oh, ow


def check_float(got, x, w, b, stride, pad, dilation, groups, act, res, algo):
    got = got.numpy() if isinstance(got, fo.Tensor) else got
    oh, ow = got.shape[2:]
    geom = (stride, pad, dilation, groups, (oh, ow))
    want = ref.conv2d_float(x, w, b, *geom, act, res)
    m = {"winograd_f2": 2, "winograd_f4": 4}.get(algo, 0)
    if algo == "auto":
        n, c, h, wd = x.shape
        picked, m = conv_op.choose_algo(fo.current_device().name, x.dtype, n, c, h, wd, w.shape[0], *w.shape[2:],
                                        oh, ow, stride, dilation, groups)
    tol = ref.tolerance(x, w, b, *geom, residual=res, winograd_m=m, activation=act)
    if act in ("hardswish", "hardsigmoid"):  # Lipschitz 1.5 (1/6), plus the activation's own rounding
        tol = 1.5 * tol + act_ref.tolerance(want)
    assert got.shape == want.shape and got.dtype == np.float32
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    assert np.all(err <= tol), f"{algo}: max err {err.max():.3e}, worst err/bound {np.max(err / tol):.3f}"


def run_all_float(x, w, b, stride, pad, dilation, groups, act=None, res=None):
    c = x.shape[1]
    for algo in algos_for(np.float32, c, *w.shape[2:], stride, dilation, groups):
        got = fo.conv2d(x, w, b, stride, pad, dilation, groups, algo=algo, activation=act, residual=res)
        check_float(got, x, w, b, stride, pad, dilation, groups, act, res, algo)


def run_all_int8(x, w, b, stride, pad, dilation, groups, rng, act=None, with_res=False):
    k = w.shape[0]
    q = dict(input_scale=float(rng.uniform(0.005, 0.05)), input_zero_point=int(rng.integers(-20, 20)),
             weight_scale=rng.uniform(0.001, 0.02, k), output_scale=float(rng.uniform(0.05, 2.0)),
             output_zero_point=int(rng.integers(-20, 20)))
    res = None
    if with_res:
        oh, ow = geometry(*x.shape[2:], *w.shape[2:], stride, pad, dilation)
        res = rng.integers(-128, 128, (x.shape[0], k, oh, ow), dtype=np.int8)
        q.update(residual_scale=float(rng.uniform(0.05, 1.0)), residual_zero_point=int(rng.integers(-10, 10)))
    with fo.device("reference"):
        want = fo.conv2d(x, w, b, stride, pad, dilation, groups, activation=act, residual=res, **q)
    for algo in algos_for(np.int8, x.shape[1], *w.shape[2:], stride, dilation, groups):
        got = fo.conv2d(x, w, b, stride, pad, dilation, groups, algo=algo, activation=act, residual=res, **q)
        assert got.dtype == np.int8
        np.testing.assert_array_equal(got, want, err_msg=algo)
    return want


KERNELS = [(1, 1), (3, 3), (5, 5), (7, 7), (1, 3)]


@st.composite
def conv_shapes(draw, depthwise=False, winograd=False):
    groups = 1
    if winograd:
        (r, s), stride, dil = (3, 3), (1, 1), (1, 1)
    else:
        r, s = draw(st.sampled_from(KERNELS))
        stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pad = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    n = draw(st.integers(1, 2))
    if depthwise:
        c = draw(st.integers(1, 20))
        groups, k = c, c * draw(st.sampled_from([1, 1, 2]))
    else:
        groups = 1 if winograd else draw(st.sampled_from([1, 1, 2, 3]))
        c = groups * draw(st.integers(1, 9 if not winograd else 20))
        k = groups * draw(st.integers(1, 20))
    h = draw(st.integers(max(1, dil[0] * (r - 1) + 1 - 2 * pad[0]), 20))
    w = draw(st.integers(max(1, dil[1] * (s - 1) + 1 - 2 * pad[1]), 20))
    return n, c, h, w, k, r, s, stride, pad, dil, groups


def make_float(rng, n, c, h, w, k, r, s, groups):
    x = rng.standard_normal((n, c, h, w), dtype=np.float32)
    wt = rng.standard_normal((k, c // groups, r, s), dtype=np.float32)
    b = rng.standard_normal(k, dtype=np.float32)
    return x, wt, b


def make_int8(rng, n, c, h, w, k, r, s, groups):
    x = rng.integers(-128, 128, (n, c, h, w), dtype=np.int8)
    wt = rng.integers(-127, 128, (k, c // groups, r, s), dtype=np.int8)
    b = rng.integers(-2**14, 2**14, k).astype(np.int32)
    return x, wt, b


@settings(max_examples=25)
@given(shape=conv_shapes(), act=st.sampled_from([None, "relu", "relu6", "hardswish", "hardsigmoid"]),
       with_bias=st.booleans(),
       with_res=st.booleans(), seed=st.integers(0, 2**31))
def test_float32_any_shape_every_algo(dev, shape, act, with_bias, with_res, seed):
    n, c, h, w, k, r, s, stride, pad, dil, groups = shape
    rng = np.random.default_rng(seed)
    x, wt, b = make_float(rng, n, c, h, w, k, r, s, groups)
    oh, ow = geometry(h, w, r, s, stride, pad, dil)
    res = rng.standard_normal((n, k, oh, ow), dtype=np.float32) if with_res else None
    run_all_float(x, wt, b if with_bias else None, stride, pad, dil, groups, act, res)


@pytest.mark.parametrize("n, c, k, h, w", [(1, 1, 1, 1, 1), (2, 3, 7, 1, 1), (1, 16, 24, 7, 7), (2, 5, 13, 4, 9),
                                           (1, 24, 6, 8, 4), (1, 8, 12, 6, 6), (1, 33, 19, 5, 13), (1, 64, 96, 14, 14)])
@pytest.mark.parametrize("act, with_res", [(None, False), ("relu6", True), ("relu", False), ("hardswish", True),
                                          ("hardsigmoid", False)])
def test_float32_pointwise(dev, n, c, k, h, w, act, with_res):
    # 1x1 stride-1 convs: the OpenCL launcher runs them as a GEMM over pixels (conv_pw); pixel
    # counts below, at and between its vector blocks (16 or 32), channels off its 6-row blocks
    rng = np.random.default_rng(n * 100000 + c * 1000 + k * 10 + h + w)
    x, wt, b = make_float(rng, n, c, h, w, k, 1, 1, 1)
    res = rng.standard_normal((n, k, h, w), dtype=np.float32) if with_res else None
    run_all_float(x, wt, b, (1, 1), (0, 0), (1, 1), 1, act, res)


def test_pointwise_kernel_rule():
    # use_pwt (backends/opencl/conv2d.py) on explicit lane widths, with the shipped keys:
    # conv_pwt only on small images with enough input channels, and only where it wastes no more
    # lanes than conv_pw (pure arithmetic: no device needed)
    pytest.importorskip("pyopencl")
    from fpgaops.backends.opencl.conv2d import use_pwt
    o = config.current().conv2d.opencl
    small, big = o.pwt_p * o.pwt_p, o.pwt_max_pixels + 1
    assert use_pwt(small, o.pwt_min_channels, 2 * o.pwt_kv * 16, 16, 8, o)  # 49 pixels: conv_pw fills 64
    assert not use_pwt(big, 4 * o.pwt_min_channels, 2 * o.pwt_kv * 16, 16, 8, o)
    # 7x7 (conv_pw uses 49 of 64 lanes, below pw_min_lane_pct): conv_pwt at any channel count;
    # 14x14 (196 of 224, above): only from pwt_min_channels
    assert 49 / 64 * 100 < o.pw_min_lane_pct <= 196 / 224 * 100
    assert use_pwt(small, 16, 2 * o.pwt_kv * 16, 16, 8, o)
    assert use_pwt(196, o.pwt_min_channels, 2 * o.pwt_kv * 16, 16, 8, o)
    assert not use_pwt(196, o.pwt_min_channels - 1, 2 * o.pwt_kv * 16, 16, 8, o)
    assert not use_pwt(o.pwt_p - 1, o.pwt_min_channels, 2 * o.pwt_kv * 16, 16, 8, o)
    assert not use_pwt(small, o.pwt_min_channels, 1, 16, 8, o)  # one channel of a KB-channel block
    # strided 1x1 convs gathered + pointwise: ResNet-50's shortcuts (103M MACs) yes, ResNet-18's (6.4M) no
    assert 64 * 128 * 28 * 28 < o.pws_min_macs <= 256 * 512 * 28 * 28


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@pytest.mark.parametrize("n, c, k, h, w", [(1, 16, 24, 7, 7), (2, 5, 13, 4, 9), (1, 40, 50, 7, 7), (1, 24, 32, 4, 4),
                                           (1, 9, 70, 1, 7), (2, 96, 17, 14, 14)])
@pytest.mark.parametrize("pwt, avx512", [(True, True), (True, False), (False, True), (False, False)],
                         ids=["conv_pwt", "conv_pwt-8-lanes", "conv_pw-pw_m_avx512", "conv_pw-pw_m"])
@pytest.mark.parametrize("act, with_res", [(None, False), ("relu6", True), ("hardswish", True)])
def test_float32_pointwise_both_kernels(require, monkeypatch, n, c, k, h, w, pwt, avx512, act, with_res):
    # the OpenCL launcher picks conv_pwt (output channels in the lanes) or conv_pw (pixels in the
    # lanes) per layer (use_pwt, from the lanes each would use): both forced on the same shapes, on
    # any machine: pixel counts at, off and below multiples of conv2d.opencl.pwt_p, channel counts
    # off the vector blocks, bias, residual and activation in the epilogue; conv_pw with either
    # blocking (conv2d.opencl.pw_m / pw_m_avx512, picked through isa.detect: forced here), and
    # without AVX-512 also the 8-lane vectors an AVX2 device's native width gives (pw_vec)
    require("opencl")  # the conv_pw / conv_pwt choice is the OpenCL launcher's
    from fpgaops.backends.opencl import conv2d as ocl_conv2d, isa
    monkeypatch.setattr(isa, "detect", lambda be: isa.Isa(True, avx512, 0))
    if not avx512:  # an AVX2 device's native float width: 8-lane vectors in both kernels
        monkeypatch.setattr(ocl_conv2d, "pw_vec", lambda be: 8)
    cfg = config.current().conv2d.opencl
    assert ocl_conv2d.pw_m(fo.get_device("opencl")) == (cfg.pw_m_avx512 if avx512 else cfg.pw_m)
    chosen = []

    def force(p, *args):
        chosen.append(p >= args[-1].pwt_p and pwt)  # conv_pwt needs P >= PWT_P
        return chosen[-1]
    monkeypatch.setattr(ocl_conv2d, "use_pwt", force)
    rng = np.random.default_rng(n * 100000 + c * 1000 + k * 10 + h + w)
    x, wt, b = make_float(rng, n, c, h, w, k, 1, 1, 1)
    res = rng.standard_normal((n, k, h, w), dtype=np.float32) if with_res else None
    with fo.device("opencl"):
        got = fo.conv2d(x, wt, b, (1, 1), (0, 0), (1, 1), 1, algo="im2col", activation=act, residual=res)
    check_float(got, x, wt, b, (1, 1), (0, 0), (1, 1), 1, act, res, "im2col")
    assert chosen == [pwt]


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@pytest.mark.parametrize("n, c, k, h, w, stride", [(1, 16, 24, 14, 14, (2, 2)), (2, 5, 13, 9, 11, (2, 3)),
                                                   (1, 40, 50, 15, 15, (3, 3)), (1, 24, 32, 7, 8, (2, 1)),
                                                   (1, 8, 9, 2, 2, (2, 2))])
@pytest.mark.parametrize("gathered", [True, False], ids=["conv_subsample+pw", "conv_im2col"])
@pytest.mark.parametrize("act, with_res", [(None, False), ("relu", True)])
def test_float32_strided_pointwise_both_paths(require, monkeypatch, n, c, k, h, w, stride, gathered, act, with_res):
    # 1x1 convs with stride > 1: the OpenCL launcher gathers every stride-th pixel (conv_subsample)
    # and runs the pointwise GEMM where the layer has at least conv2d.opencl.pws_min_macs MACs,
    # else conv_im2col; both sides forced on odd shapes, strides per axis, both pw kernels reached
    require("opencl")
    from fpgaops.backends.opencl import conv2d as ocl_conv2d
    seen = []
    orig = ocl_conv2d.strided_pointwise

    def force(call, o):
        seen.append(orig(call, _with_pws_min_macs(o, 0 if gathered else 1 << 40)))
        return seen[-1]
    monkeypatch.setattr(ocl_conv2d, "strided_pointwise", force)
    rng = np.random.default_rng(n * 100000 + c * 1000 + k * 10 + h + w + 7)
    x, wt, b = make_float(rng, n, c, h, w, k, 1, 1, 1)
    oh, ow = -(-h // stride[0]), -(-w // stride[1])
    res = rng.standard_normal((n, k, oh, ow), dtype=np.float32) if with_res else None
    with fo.device("opencl"):
        got = fo.conv2d(x, wt, b, stride, (0, 0), (1, 1), 1, algo="im2col", activation=act, residual=res)
    check_float(got, x, wt, b, stride, (0, 0), (1, 1), 1, act, res, "im2col")
    assert seen == [gathered]


def _with_pws_min_macs(o, pws_min_macs):
    """``o`` (a conv2d.opencl config section) with pws_min_macs replaced."""
    class _O:
        def __getattr__(self, name):
            return pws_min_macs if name == "pws_min_macs" else getattr(o, name)
    return _O()


@pytest.mark.parametrize("n, c, k, h, w", [(1, 1, 1, 1, 1), (2, 3, 7, 1, 1), (1, 16, 24, 7, 7), (2, 5, 13, 4, 9),
                                           (1, 33, 19, 5, 13), (1, 64, 96, 14, 14)])
@pytest.mark.parametrize("act, with_res", [(None, False), ("relu6", True), ("relu", True)])
def test_int8_pointwise_bit_exact(dev, n, c, k, h, w, act, with_res):
    # the int8 twin of test_float32_pointwise: odd channel counts (a zero pair half), pixel counts
    # below, at and between the 16-pixel blocks, residual requantization
    rng = np.random.default_rng(n * 100000 + c * 1000 + k * 10 + h + w + 1)
    x, wt, b = make_int8(rng, n, c, h, w, k, 1, 1, 1)
    run_all_int8(x, wt, b, (1, 1), (0, 0), (1, 1), 1, rng, act, with_res)


@settings(max_examples=25)
@given(shape=conv_shapes(winograd=True), act=st.sampled_from([None, "relu", "hardswish"]), with_res=st.booleans(),
       seed=st.integers(0, 2**31))
def test_float32_winograd_shapes(dev, shape, act, with_res, seed):
    n, c, h, w, k, r, s, stride, pad, dil, groups = shape
    rng = np.random.default_rng(seed)
    x, wt, b = make_float(rng, n, c, h, w, k, r, s, groups)
    oh, ow = geometry(h, w, r, s, stride, pad, dil)
    res = rng.standard_normal((n, k, oh, ow), dtype=np.float32) if with_res else None
    run_all_float(x, wt, b, stride, pad, dil, groups, act, res)


@settings(max_examples=25)
@given(shape=conv_shapes(depthwise=True), act=st.sampled_from([None, "relu6", "hardswish", "hardsigmoid"]),
       seed=st.integers(0, 2**31))
def test_float32_depthwise_shapes(dev, shape, act, seed):
    n, c, h, w, k, r, s, stride, pad, dil, groups = shape
    rng = np.random.default_rng(seed)
    x, wt, b = make_float(rng, n, c, h, w, k, r, s, groups)
    run_all_float(x, wt, b, stride, pad, dil, groups, act)


@settings(max_examples=25)
@given(shape=st.one_of(conv_shapes(), conv_shapes(winograd=True), conv_shapes(depthwise=True)),
       act=st.sampled_from([None, "relu", "relu6"]), with_bias=st.booleans(), with_res=st.booleans(),
       seed=st.integers(0, 2**31))
def test_int8_bit_exact_across_algos(dev, shape, act, with_bias, with_res, seed):
    n, c, h, w, k, r, s, stride, pad, dil, groups = shape
    rng = np.random.default_rng(seed)
    x, wt, b = make_int8(rng, n, c, h, w, k, r, s, groups)
    run_all_int8(x, wt, b if with_bias else None, stride, pad, dil, groups, rng, act, with_res)


# ---- fixed, realistic layers (scaled down in H/W to keep the suite fast) ----------------------

LAYERS = {
    "resnet_conv1_7x7s2": (1, 3, 32, 32, 64, 7, 7, 2, 3, 1),
    "resnet_3x3_64": (1, 64, 14, 14, 64, 3, 3, 1, 1, 1),
    "resnet_3x3_256_7x7": (1, 256, 7, 7, 256, 3, 3, 1, 1, 1),
    "resnet_3x3s2_downsample": (1, 64, 15, 15, 128, 3, 3, 2, 1, 1),
    "resnet50_1x1": (1, 256, 8, 8, 64, 1, 1, 1, 0, 1),
    "mobilenet_dw_s1": (1, 144, 14, 14, 144, 3, 3, 1, 1, 144),
    "mobilenet_dw_s2": (1, 96, 15, 15, 96, 3, 3, 2, 1, 96),
    "mobilenet_pw": (1, 144, 14, 14, 24, 1, 1, 1, 0, 1),
    "grouped_resnext": (2, 64, 9, 9, 64, 3, 3, 1, 1, 32),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_realistic_layers_float_and_int8(dev, name):
    n, c, h, w, k, r, s, st_, p, g = LAYERS[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    x, wt, b = make_float(rng, n, c, h, w, k, r, s, g)
    run_all_float(x, wt * 0.1, b, (st_, st_), (p, p), (1, 1), g, "relu")
    xq, wq, bq = make_int8(rng, n, c, h, w, k, r, s, g)
    y = run_all_int8(xq, wq, bq, (st_, st_), (p, p), (1, 1), g, rng, "relu", with_res=True)
    assert y.min() < y.max()  # the requantization was not degenerate


def test_resnet_block_on_device_with_residual(dev):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 32, 12, 12), dtype=np.float32)
    w1 = rng.standard_normal((32, 32, 3, 3), dtype=np.float32) * 0.1
    w2 = rng.standard_normal((32, 32, 3, 3), dtype=np.float32) * 0.1
    tx = fo.to_device(x)
    t1 = fo.conv2d(tx, w1, padding=1, activation="relu")
    assert isinstance(t1, fo.Tensor) and t1.device is tx.device
    t2 = fo.conv2d(t1, fo.to_device(w2), padding="same", activation="relu", residual=tx)
    assert isinstance(t2, fo.Tensor) and t2.shape == x.shape
    geom = ((1, 1), (1, 1), (1, 1), 1, (12, 12))
    y1 = ref.conv2d_float(x, w1, None, *geom, "relu")
    want = ref.conv2d_float(y1, w2, None, *geom, "relu", x)
    np.testing.assert_allclose(t2.numpy(), want, rtol=1e-4, atol=1e-4)
    assert isinstance(fo.conv2d(x, w1, padding=1), np.ndarray)


def test_cached_weight_transform_follows_a_new_weight(dev):
    """Device weights may be cached transformed; a different weight tensor must not hit it."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1, 16, 10, 10), dtype=np.float32)
    for algo in ("im2col", "winograd_f4"):
        for _ in range(2):
            w = rng.standard_normal((16, 16, 3, 3), dtype=np.float32)
            tw = fo.to_device(w)
            got = fo.conv2d(x, tw, padding=1, algo=algo).numpy()
            again = fo.conv2d(x, tw, padding=1, algo=algo).numpy()
            np.testing.assert_array_equal(got, again)
            check_float(got, x, w, None, (1, 1), (1, 1), (1, 1), 1, None, None, algo)


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_string_padding_matches_torch(dev, padding):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 4, 9, 8), dtype=np.float32)
    w = rng.standard_normal((6, 4, 4, 3), dtype=np.float32)    # even kernel: asymmetric 'same'
    got = fo.conv2d(x, w, padding=padding, dilation=(2, 1))
    want = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=padding, dilation=(2, 1))
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-4)


def test_int8_extremes_and_relu6_range(dev):
    x = np.full((1, 64, 5, 5), -128, np.int8)
    w = np.full((4, 64, 3, 3), -128, np.int8)
    q = dict(input_scale=0.1, input_zero_point=127, weight_scale=0.01, output_scale=0.05, output_zero_point=-100)
    want = None
    for algo in ("im2col", "winograd", "auto"):
        got = fo.conv2d(x, w, padding=1, algo=algo, activation="relu6", **q)
        want = got if want is None else want
        np.testing.assert_array_equal(got, want)
    lo, hi = quant.act_range("relu6", 0.05, -100)
    assert got.min() >= lo and got.max() <= hi and got.max() == hi


def test_auto_rule_choices():
    pick = lambda *a: conv_op.choose_algo("opencl", *a)  # noqa: E731
    f32 = np.dtype(np.float32)
    assert pick(f32, 1, 64, 56, 56, 64, 3, 3, 56, 56, (1, 1), (1, 1), 1) == ("winograd", 4)
    # int8 on opencl: the int16-pair im2col beats int32 Winograd; elsewhere (HLS) Winograd F(2x2)
    assert pick(np.dtype(np.int8), 1, 64, 56, 56, 64, 3, 3, 56, 56, (1, 1), (1, 1), 1) == ("im2col", 0)
    assert conv_op.choose_algo("csim", np.dtype(np.int8), 1, 64, 56, 56, 64, 3, 3, 56, 56, (1, 1), (1, 1), 1) \
        == ("winograd", 2)
    assert pick(f32, 1, 144, 56, 56, 144, 3, 3, 56, 56, (1, 1), (1, 1), 144)[0] == "dwconv"
    assert pick(f32, 1, 3, 224, 224, 64, 7, 7, 112, 112, (2, 2), (1, 1), 1)[0] == "im2col"
    assert pick(f32, 1, 256, 56, 56, 64, 1, 1, 56, 56, (1, 1), (1, 1), 1)[0] == "im2col"


# ---- bad input: a clear exception naming the argument, before any kernel launch ---------------

X = np.ones((1, 4, 8, 8), np.float32)
W = np.ones((6, 4, 3, 3), np.float32)
XQ, WQ = X.astype(np.int8), W.astype(np.int8)
QP = dict(input_scale=0.1, weight_scale=0.1, output_scale=0.1)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: fo.conv2d(X, W, groups=3), fo.ArgumentError, r"^groups: input channels C = 4 are not divisible"),
    (lambda: fo.conv2d(X, np.ones((6, 4, 3, 3), np.float32), groups=2), fo.ArgumentError, r"^weight: weight.shape\[1\] = 4 must equal C / groups"),
    (lambda: fo.conv2d(X, np.ones((6, 3, 3, 3), np.float32)), fo.ArgumentError, r"^weight: weight.shape\[1\] = 3"),
    (lambda: fo.conv2d(X, np.ones((5, 2, 3, 3), np.float32), groups=2), fo.ArgumentError, r"^groups: output channels"),
    (lambda: fo.conv2d(X, np.ones((6, 4, 9, 3), np.float32)), fo.ArgumentError, r"^weight: kernel 9x3 .* larger than the padded"),
    (lambda: fo.conv2d(X, W, dilation=5), fo.ArgumentError, r"^weight: kernel 3x3 \(dilated extent 11x11\)"),
    (lambda: fo.conv2d(X, W, padding=-1), fo.ArgumentError, r"^padding: expected values >= 0"),
    (lambda: fo.conv2d(X, W, padding=(1, -2)), fo.ArgumentError, r"^padding: expected values >= 0"),
    (lambda: fo.conv2d(X, W, padding="full"), fo.ArgumentError, r"^padding: expected an int, a pair, 'same'"),
    (lambda: fo.conv2d(X, W, padding="same", stride=2), fo.ArgumentError, r"^padding: 'same' requires stride 1"),
    (lambda: fo.conv2d(X, W, stride=0), fo.ArgumentError, r"^stride: expected values >= 1"),
    (lambda: fo.conv2d(X, W, stride=(1, 2, 3)), fo.ArgumentTypeError, r"^stride: expected an int or a pair"),
    (lambda: fo.conv2d(X, W, stride=1.5), fo.ArgumentTypeError, r"^stride: expected an int or a pair"),
    (lambda: fo.conv2d(X, W, dilation=0), fo.ArgumentError, r"^dilation: expected values >= 1"),
    (lambda: fo.conv2d(X, W, groups=0), fo.ArgumentError, r"^groups: expected groups >= 1"),
    (lambda: fo.conv2d(X, W, groups=True), fo.ArgumentTypeError, r"^groups: expected an int"),
    (lambda: fo.conv2d(X[0], W), fo.ArgumentError, r"^x: expected a 4-D array"),
    (lambda: fo.conv2d(X, W[0]), fo.ArgumentError, r"^weight: expected a 4-D array"),
    (lambda: fo.conv2d(X.tolist(), W), fo.ArgumentTypeError, r"^x: expected a numpy.ndarray"),
    (lambda: fo.conv2d(X.astype(np.float64), W), fo.ArgumentTypeError, r"^x: expected dtype float32 or int8"),
    (lambda: fo.conv2d(X, WQ), fo.ArgumentError, r"^weight: dtype int8 differs"),
    (lambda: fo.conv2d(np.ones((0, 4, 8, 8), np.float32), W), fo.ArgumentError, r"^x: zero-size dimension"),
    (lambda: fo.conv2d(X, W, np.ones(5, np.float32)), fo.ArgumentError, r"^bias: expected shape \(6,\)"),
    (lambda: fo.conv2d(X, W, np.ones(6, np.float64)), fo.ArgumentTypeError, r"^bias: expected dtype float32"),
    (lambda: fo.conv2d(X, W, residual=np.ones((1, 6, 8, 8), np.float32)), fo.ArgumentError,
     r"^residual: expected the output's shape \(1, 6, 6, 6\)"),
    (lambda: fo.conv2d(X, W, residual=np.ones((1, 6, 6, 6), np.int8)), fo.ArgumentTypeError, r"^residual: expected dtype"),
    (lambda: fo.conv2d(X, W, activation="gelu"), fo.ArgumentError, r"^activation: expected one of"),
    (lambda: fo.conv2d(XQ, WQ, activation="hardswish", input_scale=0.1, weight_scale=0.1, output_scale=0.1),
     fo.ArgumentError, r"^activation: int8 conv2d fuses None, 'relu' or 'relu6'"),
    (lambda: fo.conv2d(X, W, algo="fft"), fo.ArgumentError, r"^algo: expected one of"),
    (lambda: fo.conv2d(X, W, stride=2, algo="winograd"), fo.UnsupportedError, r"^algo: 'winograd' does not apply: .*stride 1"),
    (lambda: fo.conv2d(X, np.ones((6, 4, 5, 5), np.float32), algo="winograd_f2"), fo.UnsupportedError,
     r"^algo: .*3x3 kernel"),
    (lambda: fo.conv2d(X, W, dilation=2, algo="winograd_f4"), fo.UnsupportedError, r"^algo: .*dilation 1"),
    (lambda: fo.conv2d(X, np.ones((6, 2, 3, 3), np.float32), groups=2, algo="winograd"), fo.UnsupportedError,
     r"^algo: .*groups == 1"),
    (lambda: fo.conv2d(XQ, WQ, algo="winograd_f4", **QP), fo.UnsupportedError, r"^algo: .*F\(2x2,3x3\) only"),
    (lambda: fo.conv2d(X, W, algo="dwconv"), fo.UnsupportedError, r"^algo: 'dwconv' is the depthwise kernel"),
    (lambda: fo.conv2d(X, W, input_scale=0.1), fo.ArgumentError, r"^input_scale: quantization parameters apply to int8"),
    (lambda: fo.conv2d(XQ, WQ), fo.ArgumentError, r"^input_scale: required for int8"),
    (lambda: fo.conv2d(XQ, WQ, input_scale=0.1, weight_scale=0.1), fo.ArgumentError, r"^output_scale: required"),
    (lambda: fo.conv2d(XQ, WQ, **{**QP, "input_scale": -1.0}), fo.ArgumentError, r"^input_scale: expected a scale > 0"),
    (lambda: fo.conv2d(XQ, WQ, **{**QP, "weight_scale": np.ones(5)}), fo.ArgumentError, r"^weight_scale: expected a scalar or shape \(6,\)"),
    (lambda: fo.conv2d(XQ, WQ, input_zero_point=200, **QP), fo.ArgumentError, r"^input_zero_point: expected an int8"),
    (lambda: fo.conv2d(XQ, WQ, np.ones(6, np.float32), **QP), fo.ArgumentTypeError, r"^bias: expected dtype int32"),
    (lambda: fo.conv2d(XQ, WQ, residual=np.ones((1, 6, 6, 6), np.int8), **QP), fo.ArgumentError, r"^residual_scale: required"),
    (lambda: fo.conv2d(np.broadcast_to(np.float32(1), (40000, 4, 128, 128)), W), fo.ArgumentError,
     r"^x: shape .* more than 32-bit"),
])
def test_bad_input_is_rejected_before_any_kernel(no_kernel_launch, call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_int8_winograd_exact_at_its_channel_limit(dev):
    """4 * acc must stay inside int32: the largest C the op accepts, with every product extreme."""
    from fpgaops.reference import winograd as wino

    c = wino.INT8_MAX_CHANNELS
    x = np.full((1, c, 4, 4), -128, np.int8)
    x[0, :, 1, 2] = 127
    w = np.full((2, c, 3, 3), -128, np.int8)
    w[1, :, 0, 0] = 127
    q = dict(input_scale=1e-3, input_zero_point=127, weight_scale=1e-3, output_scale=50.0)
    a = fo.conv2d(x, w, padding=1, algo="im2col", **q)
    np.testing.assert_array_equal(fo.conv2d(x, w, padding=1, algo="winograd", **q), a)
    with pytest.raises(fo.UnsupportedError, match=rf"^algo: .*C <= {c}"):
        fo.conv2d(np.zeros((1, c + 1, 4, 4), np.int8), np.zeros((2, c + 1, 3, 3), np.int8), padding=1,
                  algo="winograd", **q)


def test_auto_rule_small_outputs_use_f2_and_small_c_uses_im2col():
    f32 = np.dtype(np.float32)
    assert conv_op.choose_algo("opencl", f32, 1, 512, 7, 7, 512, 3, 3, 7, 7, (1, 1), (1, 1), 1) == ("winograd", 2)
    assert conv_op.choose_algo("opencl", f32, 1, 8, 56, 56, 8, 3, 3, 56, 56, (1, 1), (1, 1), 1) == ("im2col", 0)


def test_non_contiguous_inputs(dev):
    rng = np.random.default_rng(11)
    base = rng.standard_normal((2, 8, 20, 22), dtype=np.float32)
    x = base[:, ::2, 1::2, ::2]                       # strided view (2, 4, 10, 11)
    w = np.asfortranarray(rng.standard_normal((5, 4, 3, 3), dtype=np.float32))
    b = rng.standard_normal(10, dtype=np.float32)[::2]
    got = fo.conv2d(x, w, b, padding=1)
    check_float(got, np.ascontiguousarray(x), np.ascontiguousarray(w), np.ascontiguousarray(b), (1, 1), (1, 1),
                (1, 1), 1, None, None, "auto")


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")  # the portable form's x86 ABI note
@pytest.mark.parametrize("pmaddwd", [1, 0], ids=["builtin", "portable"])
def test_int8_pair_product_paths_on_opencl(require, tmp_path, monkeypatch, pmaddwd):
    """Both forms of the int8 pair product of kernels/opencl/pair_dot.h (gemm.opencl.int8_pmaddwd:
    1 the AVX2 builtin, 0 portable OpenCL C) in the int8 OpenCL kernels (gemm, im2col, dwconv),
    bit-identical to the reference. The builtin form is skipped, with the reason, on a device whose
    compiler does not target AVX2; the portable form runs on every machine."""
    require("opencl")
    from opencl_paths import pair_dot, use_pmaddwd

    use_pmaddwd(monkeypatch, tmp_path, pmaddwd)
    builtin, _ = pair_dot(np.zeros((1, 16), np.int16), np.zeros((1, 16), np.int16))
    if pmaddwd and not builtin:
        pytest.skip("this OpenCL device's compiler does not target AVX2: only the portable form exists here")
    assert builtin == bool(pmaddwd)
    rng = np.random.default_rng(5)
    with fo.device("opencl"):
        for name in ("resnet_3x3_64", "mobilenet_dw_s1", "mobilenet_dw_s2", "mobilenet_pw"):
            n, c, h, w, k, r, s, st_, p, g = LAYERS[name]
            xq, wq, bq = make_int8(rng, n, c, h, w, k, r, s, g)
            run_all_int8(xq, wq, bq, (st_, st_), (p, p), (1, 1), g, rng, "relu", with_res=True)
        a = rng.integers(-128, 128, (37, 300), dtype=np.int8)
        b = rng.integers(-128, 128, (300, 29), dtype=np.int8)
        np.testing.assert_array_equal(fo.matmul(a, b), a.astype(np.int32) @ b.astype(np.int32))


@pytest.mark.parametrize("act", ["hardswish", "hardsigmoid"])
@pytest.mark.parametrize("c, k, r, stride, groups, algo", [
    (8, 20, 1, 1, 1, "im2col"), (3, 16, 3, 2, 1, "im2col"), (16, 16, 3, 1, 1, "winograd_f4"),
    (24, 24, 3, 1, 24, "dwconv"), (24, 24, 5, 2, 24, "dwconv")])
def test_fused_activation_is_the_activation_op(dev, act, c, k, r, stride, groups, algo):
    # conv + hardswish/hardsigmoid in the epilogue computes bit for bit what the conv followed by
    # the activation op computes (one definition of the closed forms), on every backend
    rng = np.random.default_rng(c * 100 + r * 10 + stride)
    x = fo.to_device(3 * rng.standard_normal((1, c, 13, 21), dtype=np.float32))
    w = fo.to_device(rng.standard_normal((k, c // groups, r, r), dtype=np.float32))
    b = fo.to_device(rng.standard_normal(k, dtype=np.float32))
    res = fo.to_device(rng.standard_normal((1, k, (13 + 2 * (r // 2) - r) // stride + 1,
                                            (21 + 2 * (r // 2) - r) // stride + 1), dtype=np.float32))
    for r_ in (None, res):
        fused = fo.conv2d(x, w, b, stride, r // 2, groups=groups, algo=algo, activation=act, residual=r_).numpy()
        plain = fo.conv2d(x, w, b, stride, r // 2, groups=groups, algo=algo, residual=r_)
        assert np.array_equal(fused, getattr(fo, act)(plain).numpy())


@settings(max_examples=20)
@given(shape=st.one_of(conv_shapes(), conv_shapes(winograd=True), conv_shapes(depthwise=True)),
       act=st.sampled_from(["sigmoid", "silu"]), with_res=st.booleans(), seed=st.integers(0, 2**31))
def test_float32_sigmoid_silu_epilogue(dev, shape, act, with_res, seed):
    # sigmoid / silu in the conv epilogue: the exact functions within reference.conv2d.tolerance
    # (ACT_LIPSCHITZ, ACT_ULPS) where the backend's epilogue has them, every algorithm; elsewhere
    # (the HLS conv: tables only) bit for bit the conv followed by the table ops the unfused graph
    # runs (silu: y * sigmoid(y))
    n, c, h, w, k, r, s, stride, pad, dil, groups = shape
    rng = np.random.default_rng(seed)
    x, wt, b = make_float(rng, n, c, h, w, k, r, s, groups)
    x *= 4  # pre-activations across sigmoid's curved range and its tails
    oh, ow = geometry(h, w, r, s, stride, pad, dil)
    res = 4 * rng.standard_normal((n, k, oh, ow), dtype=np.float32) if with_res else None
    if dev in conv_op.NATIVE_FLOAT_ACTIVATIONS:
        run_all_float(x, wt, b, stride, pad, dil, groups, act, res)
        return
    for algo in algos_for(np.float32, c, r, s, stride, dil, groups):
        fused = fo.conv2d(x, wt, b, stride, pad, dil, groups, algo=algo, activation=act, residual=res)
        y = fo.conv2d(x, wt, b, stride, pad, dil, groups, algo=algo, residual=res)
        want = fo.sigmoid(y) if act == "sigmoid" else fo.mul(y, fo.sigmoid(y))
        assert np.array_equal(fused, want), algo


def test_sigmoid_silu_epilogue_special_values(dev):
    # +-inf, NaN and large |x| through the epilogue (1x1 conv with weight 1): no overflow to NaN
    # (exp(-|x|) only), silu's -inf * 0 -> the limit 0 (reference.act_lut.exact)
    if dev not in conv_op.NATIVE_FLOAT_ACTIVATIONS:
        pytest.skip(f"{dev}: sigmoid / silu run as the table ops after the conv (their own tests)")
    v = np.array([-np.inf, -1e30, -200.0, -104.0, -88.0, -20.0, -1e-30, 0.0, 1e-30, 2.4, 20.0, 89.0, 1e30,
                  np.inf, np.nan], np.float32)
    x = v.reshape(1, 1, 1, -1)
    w = np.ones((1, 1, 1, 1), np.float32)
    for act in ("sigmoid", "silu"):
        got = fo.conv2d(x, w, activation=act).reshape(-1)
        want = act_ref.exact(act, v.astype(np.float64))
        assert np.array_equal(np.isnan(got), np.isnan(want)), act
        ok = ~np.isnan(want)
        g64 = got[ok].astype(np.float64)
        err = np.where(g64 == want[ok], 0.0, np.abs(g64 - want[ok]))  # (inf == inf)
        assert np.all(err <= 32 * 2.0 ** -24 * np.abs(want[ok]) + np.finfo(np.float32).tiny), (act, got, want)


DW_FIXED_SHAPES = [(1, 3, 1, 1, 1, 3, 1), (2, 5, 2, 9, 7, 3, 1), (1, 4, 1, 17, 23, 3, 2), (1, 6, 1, 16, 16, 5, 1),
                   (2, 3, 1, 11, 30, 5, 2), (1, 8, 1, 7, 7, 3, 2), (1, 2, 3, 24, 9, 3, 1)]


@pytest.mark.parametrize("n, c, mult, h, w, r, stride", DW_FIXED_SHAPES)
@pytest.mark.parametrize("act, with_res", [(None, False), ("relu6", True), ("hardswish", True)])
def test_float32_depthwise_fixed_geometries(dev, n, c, mult, h, w, r, stride, act, with_res):
    # the OpenCL float32 3x3 / 5x5 stride 1 / 2 depthwise kernels (dwconv_row on AVX-512 devices,
    # else dwconv_strip: both forced in test_dwconv_float.py): strips past the last row, rows and
    # columns shorter than a vector, multipliers
    rng = np.random.default_rng(n * 1000 + c * 100 + h + w + r + stride)
    x, wt, b = make_float(rng, n, c, h, w, c * mult, r, r, c)
    oh, ow = geometry(h, w, r, r, (stride, stride), (r // 2, r // 2), (1, 1))
    res = rng.standard_normal((n, c * mult, oh, ow), dtype=np.float32) if with_res else None
    run_all_float(x, wt, b, (stride, stride), (r // 2, r // 2), (1, 1), c, act, res)


@pytest.mark.parametrize("n, c, mult, h, w, r, stride", DW_FIXED_SHAPES + [(1, 2, 1, 5, 100, 3, 2)])
@pytest.mark.parametrize("act, with_res", [(None, False), ("relu6", True)])
def test_int8_depthwise_fixed_geometries(dev, n, c, mult, h, w, r, stride, act, with_res):
    # the int8 twin (OpenCL: dwconv_strip, 16 columns per work-item: raw-byte tap pairs inside the
    # row, (x - zp) pairs per 8-column half at its borders): bit-exact with the reference
    rng = np.random.default_rng(n * 1000 + c * 100 + h + w + r + stride + 7)
    x, wt, b = make_int8(rng, n, c, h, w, c * mult, r, r, c)
    run_all_int8(x, wt, b, (stride, stride), (r // 2, r // 2), (1, 1), c, rng, act, with_res)


@st.composite
def stem_shapes(draw):
    """Convs of few input channels whose output rows are at least 32 wide (two 16-lane vectors:
    conv_rows' minimum on AVX-512), any kernel but 1x1 (the pointwise kernels'), strides (columns
    1 or 2), padding, dilation."""
    r, s = draw(st.sampled_from([k for k in KERNELS if k != (1, 1)]))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pad = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    ow = draw(st.integers(32, 80))
    w = max(1, (ow - 1) * sw + dil[1] * (s - 1) + 1 - 2 * pad[1] + draw(st.integers(0, sw - 1)))
    h0 = max(1, dil[0] * (r - 1) + 1 - 2 * pad[0])
    h = draw(st.integers(h0, h0 + 6))
    return draw(st.integers(1, 2)), draw(st.integers(1, 4)), h, w, draw(st.integers(1, 40)), r, s, (sh, sw), pad, dil


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@pytest.mark.parametrize("rows, avx512", [(True, True), (True, False), (False, True), (False, False)],
                         ids=["conv_rows", "conv_rows-8-lanes", "conv_im2col-kv_avx512", "conv_im2col-kv"])
@settings(max_examples=12, deadline=None)
@given(shape=stem_shapes(), act=st.sampled_from([None, "relu", "hardswish"]), with_res=st.booleans(),
       seed=st.integers(0, 2**31))
def test_float32_stem_both_kernels(require, rows, avx512, shape, act, with_res, seed):
    # few-input-channel convs (the 3-channel stems): the OpenCL launcher runs them on conv_rows
    # (pixels of an output row in the lanes; use_rows) or conv_im2col (output channels in the
    # lanes, as few float8 vectors as K fills: im2col_blocking); both forced, with either ISA's
    # blocking (isa.detect forced) and without AVX-512 also 8-lane vectors (pw_vec)
    require("opencl")
    from fpgaops.backends.opencl import conv2d as ocl_conv2d, isa
    n, c, h, w, k, r, s, stride, pad, dil = shape
    assert config.current().conv2d.opencl.rows_nv <= 2  # (the shapes' rows are two 16-lane vectors wide)
    chosen = []

    def force(call, vec, o):
        assert call.ow >= o.rows_nv * vec and call.stride_w in (1, 2)  # conv_rows' preconditions hold here
        chosen.append(rows)
        return rows
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(isa, "detect", lambda be: isa.Isa(True, avx512, 0))
        if not avx512:
            mp.setattr(ocl_conv2d, "pw_vec", lambda be: 8)
        mp.setattr(ocl_conv2d, "use_rows", force)
        rng = np.random.default_rng(seed)
        x, wt, b = make_float(rng, n, c, h, w, k, r, s, 1)
        oh, ow = geometry(h, w, r, s, stride, pad, dil)
        res = rng.standard_normal((n, k, oh, ow), dtype=np.float32) if with_res else None
        with fo.device("opencl"):
            got = fo.conv2d(x, wt, b, stride, pad, dil, 1, algo="im2col", activation=act, residual=res)
    check_float(got, x, wt, b, stride, pad, dil, 1, act, res, "im2col")
    assert chosen == [rows]


def test_stem_kernel_rules(monkeypatch):
    # use_rows / im2col_blocking (backends/opencl/conv2d.py) with the shipped keys, no device:
    # a 224^2 RGB stem goes to conv_rows, more input channels or a stride-3 column step do not;
    # conv_im2col computes no float8 vector of channels past K
    pytest.importorskip("pyopencl")
    from types import SimpleNamespace

    from fpgaops.backends.opencl import conv2d as ocl_conv2d
    o = config.current().conv2d.opencl
    stem = dict(dtype=np.float32, groups=1, x_zero_point=0, c=3, stride_w=2, ow=112)
    assert ocl_conv2d.use_rows(SimpleNamespace(**stem), 16, o)
    assert not ocl_conv2d.use_rows(SimpleNamespace(**{**stem, "c": o.rows_max_channels + 1}), 16, o)
    assert not ocl_conv2d.use_rows(SimpleNamespace(**{**stem, "stride_w": 3}), 16, o)
    assert not ocl_conv2d.use_rows(SimpleNamespace(**{**stem, "ow": 16 * o.rows_nv - 1}), 16, o)
    assert not ocl_conv2d.use_rows(SimpleNamespace(**{**stem, "dtype": np.int8}), 16, o)
    monkeypatch.setattr(ocl_conv2d, "tunables", lambda backend: {"pb": o.pb, "kv": 4})
    assert [ocl_conv2d.im2col_blocking(None, kg) for kg in (1, 8, 9, 16, 24, 32, 64)] == \
        [(o.pb, kv) for kv in (1, 1, 2, 2, 3, 4, 4)]
    # conv_rows: as few blocks of at most rows_m(_avx512) channels as cover K, evened out
    from fpgaops.backends.opencl import isa
    for avx512, most in ((True, o.rows_m_avx512), (False, o.rows_m)):
        monkeypatch.setattr(isa, "detect", lambda be, avx512=avx512: isa.Isa(True, avx512, 0))
        monkeypatch.setattr(ocl_conv2d, "tunables", lambda backend: {"cfg": config.current()})
        for k in (1, 3, 16, 24, 32, 40, 64):
            m, nv = ocl_conv2d.rows_blocking(None, k)
            blocks = -(-k // most)
            assert nv == o.rows_nv and m <= most and blocks * m >= k > (blocks - 1) * m, (k, m)
