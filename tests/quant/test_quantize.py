"""net.quantize: int8 graphs on the int8 kernels, bit-identical on every backend; calibration
methods and edge cases."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

import fpgaops  # noqa: E402
from fpgaops import quant  # noqa: E402
from fpgaops.graph.quantize import QuantizedNetwork, qparams_from_range, quantize_weight  # noqa: E402

nn = torch.nn


class Small(nn.Module):
    """conv+relu, a residual add (fused into the conv), depthwise, max pool, an unfused
    add + sigmoid-gated mul (eltwise and LUT activation), global pool, linear."""

    def __init__(self, zero_channels=False):
        super().__init__()
        torch.manual_seed(0)
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.pw = nn.Conv2d(8, 12, 1)
        self.fc = nn.Linear(12, 5)
        if zero_channels:
            with torch.no_grad():
                self.c2.weight[2:4] = 0
                self.c2.bias[2] = 0
                self.pw.weight[5] = 0

    def forward(self, x):
        a = torch.relu(self.c1(x))
        b = torch.relu(self.c2(a) + a)
        c = nn.functional.max_pool2d(torch.nn.functional.relu6(self.dw(b)), 2)
        d = self.pw(c)
        e = d * torch.sigmoid(d) + d
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(e, 1), 1))


def small_net(**kw):
    x = np.zeros((1, 3, 12, 12), np.float32)
    return fpgaops.from_torch(Small(**kw).eval(), x)


def data(n, seed, shape=(3, 12, 12)):
    return np.random.default_rng(seed).standard_normal((n,) + shape).astype(np.float32)


def calib(k=3, n=4):
    return [data(n, 100 + i) for i in range(k)]


def test_small_graph_every_layer_int8_and_close_to_float():
    net = small_net()
    qnet = net.quantize(calib())
    assert isinstance(qnet, QuantizedNetwork) and isinstance(qnet, fpgaops.QuantizedNetwork)
    assert not qnet.float_nodes
    ops = {op for _, op, dt, _ in qnet.layers(data(1, 0))}
    assert {"Conv", "Add", "Mul", "Act", "MaxPool", "GlobalAvgPool", "Gemm"} <= ops, ops
    x = data(6, 1)
    with fpgaops.device("reference"):
        yf, yq = net(x), qnet(x)
    assert np.max(np.abs(yq - yf)) < 0.05 * np.max(np.abs(yf)) + 1e-3


def test_small_graph_bit_exact_on_every_backend(backend):
    net = small_net(zero_channels=True)
    qnet = net.quantize(calib())
    x = data(2, 7)
    got = qnet.run(x, device=backend, int8_outputs=True)[0]
    want = qnet.run(x, device="reference", int8_outputs=True)[0]
    assert got[0].dtype == np.int8 and got[1] == want[1]
    np.testing.assert_array_equal(got[0], want[0])
    # every intermediate value too
    vg, vr = qnet.values(x, device=backend), qnet.values(x, device="reference")
    assert vg.keys() == vr.keys()
    for k in vr:
        np.testing.assert_array_equal(vg[k], vr[k], err_msg=k)


# every zoo model, at a reduced input size (csim runs the HLS tops in C-simulation); on csim not
# MobileNetV3-large, whose blocks are MobileNetV3-small's (36 s of C-simulation for no new layer type)
ZOO = [(m, d, 32) for m in fpgaops.models.NAMES for d in ("csim", "opencl")
       if not (m == "mobilenet_v3_large" and d == "csim")]


@pytest.mark.parametrize("name,dev,size", ZOO, ids=[f"{m}-{d}-{s}" for m, d, s in ZOO])
def test_zoo_int8_bit_exact_across_backends(require, name, dev, size):
    require(dev)
    net = fpgaops.models.get(name, num_classes=10)
    qnet = net.quantize([data(2, 200 + i, (3, size, size)) for i in range(2)])
    assert not qnet.float_nodes
    x = data(1, 3, (3, size, size))
    got = qnet.run(x, device=dev, int8_outputs=True)[0][0]
    want = qnet.run(x, device="reference", int8_outputs=True)[0][0]
    np.testing.assert_array_equal(got, want)
    yf = net(x, device="reference")
    yq = qnet(x, device="reference")
    cos = float(np.sum(yf * yq) / np.linalg.norm(yf) / np.linalg.norm(yq))
    assert cos > 0.98, cos


def test_relu_outputs_use_the_full_uint8_range():
    net = small_net()
    qnet = net.quantize(calib())
    g = net.optimized(data(1, 0))
    relu_convs = [n for n in g.nodes if n.op == "Conv" and n.attrs["activation"] in ("relu", "relu6")]
    assert relu_convs
    for n in relu_convs:
        assert qnet.qparams[n.outputs[0]].zero_point == -128  # uint8 codes shifted by 128


@pytest.mark.parametrize("method", ["minmax", "percentile", "entropy"])
def test_methods(method):
    net = small_net()
    qnet = net.quantize(calib(), method=method)
    x = data(8, 5)
    with fpgaops.device("reference"):
        yf, yq = net(x), qnet(x)
    cos = float(np.sum(yf * yq) / np.linalg.norm(yf) / np.linalg.norm(yq))
    assert cos > 0.97, cos
    if method != "minmax":
        mm = net.quantize(calib(), method="minmax")
        # clipping methods never widen a range
        for k, (lo, hi) in qnet.ranges.items():
            assert lo >= mm.ranges[k][0] - 1e-9 and hi <= mm.ranges[k][1] + 1e-9


def test_per_tensor_weights():
    net = small_net()
    qnet = net.quantize(calib(), per_channel=False)
    x = data(4, 2)
    with fpgaops.device("reference"):
        yf, yq = net(x), qnet(x)
    assert np.max(np.abs(yq - yf)) < 0.1 * np.max(np.abs(yf)) + 1e-3


def test_skip_first_and_last_stay_float():
    net = small_net()
    g = net.optimized(data(1, 0))
    qnet = net.quantize(calib(), skip=["first", "last"])
    compute = [n.name for n in g.nodes if n.op in ("Conv", "Gemm")]
    assert set(qnet.float_nodes) == {compute[0], compute[-1]}
    dtypes = {name: dt for name, _, dt, _ in qnet.layers(data(1, 0))}
    assert dtypes[compute[0]] == "float32" and dtypes[compute[1]] == "int8"
    x = data(4, 9)
    with fpgaops.device("reference"):
        yf, yq = net(x), qnet(x)
    assert yq.dtype == np.float32
    assert np.max(np.abs(yq - yf)) < 0.05 * np.max(np.abs(yf)) + 1e-3
    # a name from the ONNX model works too
    q2 = net.quantize(calib(), skip=[compute[1]])
    assert set(q2.float_nodes) == {compute[1]}
    with pytest.raises(fpgaops.ArgumentError, match="skip"):
        net.quantize(calib(), skip=["no_such_layer"])


# --- calibration edge cases ---------------------------------------------------------------------

def test_single_calibration_batch_and_generator():
    net = small_net()
    q1 = net.quantize([data(2, 1)])
    q2 = net.quantize(b for b in [data(2, 1)])
    assert q1.qparams == q2.qparams
    x = data(1, 3)
    np.testing.assert_array_equal(q1(x, device="reference"), q2(x, device="reference"))


def test_nan_or_inf_in_calibration_data_is_a_clear_error():
    net = small_net()
    bad = data(2, 1)
    bad[1, 0, 3, 3] = np.nan
    with pytest.raises(fpgaops.ArgumentError, match=r"calibration.*batch 1 contains NaN"):
        net.quantize([data(2, 0), bad])
    bad[1, 0, 3, 3] = np.inf
    with pytest.raises(fpgaops.ArgumentError, match="NaN or Inf"):
        net.quantize([bad])


def test_bad_arguments():
    net = small_net()
    with pytest.raises(fpgaops.ArgumentError, match="calibration"):
        net.quantize([])
    with pytest.raises(fpgaops.ArgumentTypeError, match="calibration"):
        net.quantize(data(2, 0))  # one array is not an iterable of batches
    with pytest.raises(fpgaops.ArgumentTypeError, match="calibration"):
        net.quantize(["not an array"])
    with pytest.raises(fpgaops.ArgumentError, match="method"):
        net.quantize(calib(), method="kl")
    with pytest.raises(fpgaops.ArgumentError, match="percentile"):
        net.quantize(calib(), method="percentile", percentile=120)
    with pytest.raises(fpgaops.ArgumentError, match="calibration"):
        net.quantize([(data(1, 0), data(1, 1))])  # two inputs for a one-input network


class ConstantBranch(nn.Module):
    """A conv whose weights are all zero: a constant (bias-only) activation, and an all-zero one."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(2, 4, 1)
        self.b = nn.Conv2d(2, 4, 1)
        self.c = nn.Conv2d(4, 3, 1)
        self.d = nn.Conv2d(2, 4, 3, padding=1)
        with torch.no_grad():
            self.a.weight.zero_()
            self.a.bias.copy_(torch.tensor([0.5, -0.25, 0.0, 1.0]))
            self.b.weight.zero_()
            self.b.bias.zero_()

    def forward(self, x):
        return self.c(torch.relu(self.a(x)) + self.b(x) + self.d(x)), self.b(x)


def export(module, x):
    import io

    buf = io.BytesIO()
    torch.onnx.export(module, (torch.from_numpy(x),), buf, input_names=["input"], output_names=["y", "z"],
                      dynamic_axes={"input": {0: "b"}, "y": {0: "b"}, "z": {0: "b"}}, opset_version=17, dynamo=False)
    return fpgaops.load_onnx(buf.getvalue())


def test_constant_and_all_zero_activations(backend):
    x0 = np.zeros((1, 2, 5, 5), np.float32)
    net = export(ConstantBranch().eval(), x0)
    qnet = net.quantize([data(8, 4, (2, 5, 5)), data(8, 5, (2, 5, 5))])
    assert not qnet.float_nodes
    for k, (lo, hi) in qnet.ranges.items():
        q = qnet.qparams[k]
        assert q.scale > 0 and -128 <= q.zero_point <= 127
    x = data(2, 6, (2, 5, 5))
    yf, zf = net(x, device="reference")
    yq, zq = qnet(x, device=backend)
    assert np.all(np.isfinite(yq))
    assert np.max(np.abs(yq - yf)) < 0.1 * np.max(np.abs(yf))
    np.testing.assert_array_equal(zq, np.zeros_like(zf))  # the all-zero tensor stays exactly 0


def test_qparams_from_range_edge_cases():
    q = qparams_from_range(0.0, 0.0)
    assert q.scale > 0 and q.zero_point == -128
    q = qparams_from_range(2.0, 3.0)  # widened to contain 0
    assert q.zero_point == -128 and abs(q.scale * 255 - 3.0) < 1e-6
    q = qparams_from_range(-1.0, 1.0)
    assert q.zero_point in (-1, 0)
    q = qparams_from_range(-3.0, -1.0)
    assert q.zero_point == 127
    assert quant.dequantize(quant.quantize(np.float32(0.0), q), q) == 0.0


def test_weight_quantization_zero_channels():
    w = np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32)
    w[1] = 0
    wq, s = quantize_weight(w)
    assert wq.dtype == np.int8 and s[1] == 0 and np.all(wq[1] == 0)
    assert wq.min() >= -127 and np.max(np.abs(wq.reshape(4, -1)), axis=1).tolist() == [127, 0, 127, 127]
    np.testing.assert_allclose(wq * s[:, None, None, None], w, atol=float(s.max()) / 2 + 1e-7)


@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_new_weights_in_a_recycled_device_buffer_are_not_served_stale(require, dtype):
    """Regression (found by the int8 zoo tests): the OpenCL backend caches packed/transformed
    weights of device weight tensors; a freed weight's buffer went back to the pool and the next
    weight tensor of the same size got the same buffer object -> the old packed weights."""
    require("opencl")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 16, 6, 6)).astype(np.float32)
    kw = {}
    if dtype == "int8":
        x = rng.integers(-128, 128, x.shape).astype(np.int8)
        kw = dict(input_scale=0.05, weight_scale=0.01, output_scale=0.5)
    for seed in range(3):
        w = np.random.default_rng(seed).standard_normal((16, 16, 3, 3)).astype(np.float32)
        if dtype == "int8":
            w = np.random.default_rng(seed).integers(-127, 128, w.shape).astype(np.int8)
        with fpgaops.device("opencl"):
            tw = fpgaops.to_device(w, fpgaops.current_device())
            got = fpgaops.conv2d(fpgaops.to_device(x, fpgaops.current_device()), tw, padding=1, **kw).numpy()
            del tw
        with fpgaops.device("reference"):
            want = fpgaops.conv2d(x, w, padding=1, **kw)
        if dtype == "int8":
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
