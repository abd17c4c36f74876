"""The expansion 1x1 conv + depthwise conv pair as one node (graph/pwdw.py fuse_pwdw): one pwdw_row
launch on opencl (kernels/opencl/pwdw.cl), the unfused convs elsewhere. The kernel gives the bytes
of the two unfused opencl launches over random shapes, kernel sizes, strides, activations, biases
and blockings; the pass fires on exactly the pattern (and the size threshold) and leaves every
near-miss alone; fused networks give the bytes of the unfused ones and match ONNX Runtime."""
import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("onnx")

import fpgaops  # noqa: E402
from fpgaops import config  # noqa: E402
from fpgaops.errors import ArgumentError, ArgumentTypeError  # noqa: E402

from graph_helpers import close, helper, model, ort_run  # noqa: E402

ACTS = [None, "relu", "relu6", "hardswish", "sigmoid"]


def with_config(monkeypatch, **kw):
    """Make the current kernel config the shipped one with these [dwconv.opencl] keys changed."""
    data = tomllib.loads(config.default_path().read_text())
    data["dwconv"]["opencl"].update(kw)
    monkeypatch.setattr(config, "_current", config.KernelConfig(data, "test"))


def rand(shape, seed, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def _same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.tobytes() == want.tobytes()


# --- the pwdw_row kernel (backends/opencl/pwdw.py) against the two unfused launches ---------------

def _opencl_avx512(require):
    require("opencl")
    from fpgaops.backends import get_device
    from fpgaops.backends.opencl import isa

    dev = get_device("opencl")
    if not isa.detect(dev).avx512:
        pytest.skip("pwdw_row runs on AVX-512 devices only (as dwconv_row); this device is not one")
    return dev


def _pair(dev, n, c, e, h, w, k, s, act1, act2, bias, seed):
    from fpgaops.backends.opencl import pwdw

    x = rand((n, c, h, w), seed)
    w1, w2 = rand((e, c, 1, 1), seed + 1, c ** -0.5), rand((e, 1, k, k), seed + 2)
    b1, b2 = (rand((e,), seed + 3), rand((e,), seed + 4)) if bias else (None, None)
    xd, w1d, w2d, b1d, b2d = (None if a is None else fpgaops.to_device(a, dev) for a in (x, w1, w2, b1, b2))
    p = (k - 1) // 2
    mid = fpgaops.conv2d(xd, w1d, b1d, activation=act1)
    want = fpgaops.conv2d(mid, w2d, b2d, stride=s, padding=p, groups=e, activation=act2)
    assert pwdw.shape(dev, h, w, k, k, (s, s), (p, p)) is not None
    got = pwdw.run(dev, xd, w1d, b1d, act1, w2d, b2d, act2, (s, s), (p, p))
    _same(got.numpy(), want.numpy())


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 20), e=st.integers(1, 13), h=st.integers(1, 19), w=st.integers(1, 40),
       k=st.sampled_from([3, 5]), s=st.sampled_from([1, 2]), act1=st.sampled_from(ACTS), act2=st.sampled_from(ACTS),
       bias=st.booleans(), rows=st.sampled_from([1, 3, 4, 64]), chans=st.sampled_from([1, 4, 6]),
       seed=st.integers(0, 2**30))
def test_kernel_is_bit_identical_to_the_unfused_launches(require, monkeypatch, n, c, e, h, w, k, s, act1, act2, bias,
                                                          rows, chans, seed):
    dev = _opencl_avx512(require)
    with monkeypatch.context() as m:
        with_config(m, pw_rows=rows, pw_channels=chans)
        _pair(dev, n, c, e, h, w, k, s, act1, act2, bias, seed)


@pytest.mark.parametrize("c, e, h, s", [(16, 96, 112, 2), (24, 144, 56, 1), (24, 144, 56, 2), (160, 96, 7, 1)])
def test_kernel_on_mobilenet_v2_layers(require, c, e, h, s):
    """MobileNetV2's 224x224 shapes: 112- and 56-wide rows (several vectors, stride-2 splits), 7x7."""
    _pair(_opencl_avx512(require), 1, c, e, h, h, 3, s, "relu6", "relu6", True, 7)


def test_device_op_with_host_weights_runs_the_unfused_convs(require):
    """graph/pwdw.run_device launches pwdw_row only when every weight is a Tensor on x's device;
    host (NumPy) weights take the two convs, whatever NumPy's own ``ndarray.device`` says."""
    from fpgaops.graph import pwdw as gpwdw
    from fpgaops.graph.ir import Node

    require("opencl")  # (any device: without AVX-512 pwdw_row never applies, and the convs run too)
    from fpgaops.backends import get_device

    dev = get_device("opencl")
    x, w1, w2, b1 = rand((1, 4, 9, 9), 0), rand((6, 4, 1, 1), 1), rand((6, 1, 3, 3), 2), rand((6,), 3)
    n = Node("pwdw0", "PwDw", ["x", "w1", "b1", "w2", ""], ["y"],
             {"act1": "relu6", "act2": None, "stride": (1, 1), "padding": (1, 1)})
    with fpgaops.device("reference"):
        want = fpgaops.conv2d(fpgaops.conv2d(x, w1, b1, activation="relu6"), w2, None, padding=1, groups=6)
    got = gpwdw.run_device(n, fpgaops.to_device(x, dev), w1, b1, w2, None)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)


def test_kernel_bad_input_names_the_argument(require):
    dev = _opencl_avx512(require)
    from fpgaops.backends.opencl import pwdw

    x = fpgaops.to_device(rand((1, 4, 8, 8), 0), dev)
    w1, w2 = fpgaops.to_device(rand((6, 4, 1, 1), 1), dev), fpgaops.to_device(rand((6, 1, 3, 3), 2), dev)
    with pytest.raises(ArgumentTypeError, match="^x: expected a Tensor on opencl") as ex:
        pwdw.run(dev, rand((1, 4, 8, 8), 0), w1, None, None, w2, None, None, (1, 1), (1, 1))
    assert ex.value.argument == "x"
    with pytest.raises(ArgumentError, match="^w1: expected") as ex:
        pwdw.run(dev, x, fpgaops.to_device(rand((6, 5, 1, 1), 1), dev), None, None, w2, None, None, (1, 1), (1, 1))
    assert ex.value.argument == "w1"
    with pytest.raises(ArgumentError, match="^w2: no pwdw_row kernel") as ex:
        pwdw.run(dev, x, w1, None, None, fpgaops.to_device(rand((6, 1, 7, 7), 2), dev), None, None, (1, 1), (3, 3))
    assert ex.value.argument == "w2"
    with pytest.raises(ArgumentError, match="^act2: unknown activation") as ex:
        pwdw.run(dev, x, w1, None, None, w2, None, "gelu", (1, 1), (1, 1))


# --- the pass ---------------------------------------------------------------------------------------

N, C, E, H, W = 2, 5, 12, 9, 11


def pair_model(pw_k=1, pw_stride=1, dw_k=3, dw_stride=2, dw_pad=None, dw_dil=1, dw_group=E, relu6=True,
               extra=None, bias=True):
    """x (N, C, H, W) -> Conv pw_k x pw_k (C -> E) [-> Clip(0, 6)] -> Conv dw_k x dw_k groups dw_group
    [-> Clip(0, 6)] -> y; ``extra``: a value that is also a graph output (a second reader)."""
    p = (dw_k - 1) // 2 if dw_pad is None else dw_pad
    inits = {"w1": rand((E, C, pw_k, pw_k), 11, 0.5), "w2": rand((E, E // dw_group, dw_k, dw_k), 12),
             "lo": np.float32(0), "hi": np.float32(6)}
    if bias:
        inits.update(b1=rand((E,), 13), b2=rand((E,), 14))
    bs = lambda b: [b] if bias else []
    nodes = [helper.make_node("Conv", ["x", "w1"] + bs("b1"), ["m0" if relu6 else "m"], strides=[pw_stride] * 2,
                              pads=[(pw_k - 1) // 2] * 4)]
    nodes += [helper.make_node("Clip", ["m0", "lo", "hi"], ["m"])] if relu6 else []
    nodes += [helper.make_node("Conv", ["m", "w2"] + bs("b2"), ["y0"], strides=[dw_stride] * 2, pads=[p] * 4,
                              dilations=[dw_dil] * 2, group=dw_group),
              helper.make_node("Clip", ["y0", "lo", "hi"], ["y"])]
    outs = [("y", None)] + ([(extra, None)] if extra else [])
    return model(nodes, [("x", (N, C, H, W))], outs, inits)


def _ops(net, x):
    return [n.op for n in net.optimized(x).nodes]


@pytest.mark.parametrize("kw", [dict(), dict(dw_k=5, dw_stride=1), dict(bias=False, relu6=False)])
def test_fires_on_the_pattern_and_matches_the_unfused_graph(backend, monkeypatch, kw):
    with_config(monkeypatch, pw_min_bytes=0, pw_min_ow=1)
    proto = pair_model(**kw)
    x = rand((N, C, H, W), 1)
    net = fpgaops.load_onnx(proto)
    assert _ops(net, x) == ["PwDw"]
    with monkeypatch.context() as m:
        with_config(m, pw_min_bytes=1 << 40)
        plain = fpgaops.load_onnx(proto)
        assert _ops(plain, x) == ["Conv", "Conv"]
    want = plain(x)
    for _ in range(3):  # op by op, recorded, replayed (opencl)
        _same(net(x), want)
    close(want, ort_run(proto, x)[0])
    close(net.run_numpy(x), ort_run(proto, x)[0])


@pytest.mark.parametrize("kw, why", [
    (dict(pw_k=3), "a 3x3 first conv"),
    (dict(pw_stride=2), "a strided 1x1"),
    (dict(dw_group=1), "a full conv second"),
    (dict(dw_group=E // 2), "a grouped (not depthwise) conv second"),
    (dict(dw_k=3, dw_pad=0), "unpadded depthwise"),
    (dict(dw_dil=2, dw_pad=2), "dilated depthwise"),
    (dict(dw_stride=3), "stride 3"),
    (dict(dw_k=1, dw_pad=0), "a 1x1 depthwise"),
    (dict(extra="m"), "the expanded tensor is also a graph output"),
])
def test_does_not_fire_on_near_misses(backend, monkeypatch, kw, why):
    with_config(monkeypatch, pw_min_bytes=0, pw_min_ow=1)
    proto = pair_model(**kw)
    x = rand((N, C, H, W), 2)
    net = fpgaops.load_onnx(proto)
    assert "PwDw" not in _ops(net, x), why
    for got, want in zip(net(x) if kw.get("extra") else [net(x)], ort_run(proto, x)):
        close(got, want)


def test_size_threshold(monkeypatch):
    """Fires where the expanded tensor has at least dwconv.opencl.pw_min_bytes bytes per sample and
    the depthwise's output rows at least dwconv.opencl.pw_min_ow columns."""
    proto = pair_model()
    x = rand((N, C, H, W), 3)
    size = 4 * E * H * W
    with_config(monkeypatch, pw_min_bytes=size, pw_min_ow=1)
    assert _ops(fpgaops.load_onnx(proto), x) == ["PwDw"]
    with_config(monkeypatch, pw_min_bytes=size + 1, pw_min_ow=1)
    assert _ops(fpgaops.load_onnx(proto), x) == ["Conv", "Conv"]
    ow = (W - 1) // 2 + 1  # the stride-2 depthwise's output columns
    with_config(monkeypatch, pw_min_bytes=0, pw_min_ow=ow)
    assert _ops(fpgaops.load_onnx(proto), x) == ["PwDw"]
    with_config(monkeypatch, pw_min_bytes=0, pw_min_ow=ow + 1)
    assert _ops(fpgaops.load_onnx(proto), x) == ["Conv", "Conv"]


def test_not_in_the_int8_graph(monkeypatch):
    with_config(monkeypatch, pw_min_bytes=0, pw_min_ow=1)
    x = rand((N, C, H, W), 4)
    assert "PwDw" not in [n.op for n in fpgaops.load_onnx(pair_model()).optimized(x, int8=True).nodes]
