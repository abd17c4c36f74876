"""The nine opset-9 ``light_*`` real models shipped inside the onnx wheel (AlexNet, DenseNet-121,
Inception v1/v2, ResNet-50, ShuffleNet, SqueezeNet, VGG-19, ZFNet-512) through fpgaops against
ONNX Runtime: relative error < 1e-4 on the logits (the input of the final Softmax) and identical
top-5.

The shipped models fill every weight with one constant (ConstantOfShape 0.02), which makes every
logit equal; to compare real numerics each weight is replaced by a seeded random tensor of the
same shape (He-scaled, positive where BatchNormalization needs it) -- the model's graph (opset 9,
converted up to 11 by fpgaops) is untouched. The as-shipped models run in test_onnx_backend.py.
"""
import os

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import helper, numpy_helper  # noqa: E402

import fpgaops  # noqa: E402

LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
MODELS = ("bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50", "shufflenet", "squeezenet",
          "vgg19", "zfnet512")
DEVICES = ("reference", "opencl")


def randomized(name, seed=0):
    """(model with random weights and the logits as a second output, input array)."""
    m = onnx.load(os.path.join(LIGHT, f"light_{name}.onnx"))
    rng = np.random.default_rng(seed)
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    uses = {}
    for n in m.graph.node:
        for k, i in enumerate(n.input):
            uses.setdefault(i, (n.op_type, k))
    nodes = []
    for n in m.graph.node:
        if n.op_type != "ConstantOfShape":
            nodes.append(n)
            continue
        shape = tuple(int(d) for d in inits[n.input[0]].reshape(-1))
        op, k = uses.get(n.output[0], ("", 0))
        if op == "BatchNormalization" and k in (1, 4) or op == "Mul":  # scale, variance, multipliers
            w = rng.uniform(0.5, 1.5, shape)
        elif len(shape) >= 2:  # conv / fc weights: He scaling keeps deep stacks in range
            w = rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / np.prod(shape[1:])))
        else:  # biases, means, offsets
            w = rng.standard_normal(shape) * 0.1
        m.graph.initializer.append(numpy_helper.from_array(w.astype(np.float32), n.output[0]))
        if m.ir_version < 4:  # before IR 4 every initializer is also a graph input
            m.graph.input.append(helper.make_tensor_value_info(n.output[0], onnx.TensorProto.FLOAT, shape))
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    live = {i for n in nodes for i in n.input}  # drop the fills' shape tensors
    kept = [t for t in m.graph.initializer if t.name in live]
    del m.graph.initializer[:]
    m.graph.initializer.extend(kept)
    names = {t.name for t in kept}
    graph_in = [i for i in m.graph.input if i.name in names or i.name not in inits]
    del m.graph.input[:]
    m.graph.input.extend(graph_in)
    softmax = [n for n in m.graph.node if n.op_type == "Softmax"]
    if softmax:
        m.graph.output.append(helper.make_empty_tensor_value_info(softmax[-1].input[0]))
    inp = next(i for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer})
    shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    x = rng.standard_normal(shape).astype(np.float32)
    return m, x


@pytest.fixture(scope="module")
def prepared():
    cache = {}

    def get(name):
        if name not in cache:
            cache.clear()  # one model at a time (VGG-19 alone is 0.5 GB of weights); tests run model by model
            m, x = randomized(name)
            so = ort.SessionOptions()
            so.log_severity_level = 3
            sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
            ref = sess.run(None, {sess.get_inputs()[0].name: x})
            cache[name] = (fpgaops.load_onnx(m), x, ref)
        return cache[name]
    return get


# VGG-19 (20 GFLOP) not on the reference backend: 31 s of NumPy convolutions for no op the other
# models lack there; it runs on opencl
CASES = [(n, d) for n in MODELS for d in DEVICES if not (n == "vgg19" and d == "reference")]


@pytest.mark.parametrize("name,device", CASES)
def test_light_model_matches_onnxruntime(name, device, prepared, require):
    require(device)
    net, x, ref = prepared(name)
    assert net.info["source_opset"] == 9 and net.info["opset"] == 11
    got = net.run(x, device=device)
    assert len(got) == len(ref)
    logits, r = got[-1].astype(np.float64), ref[-1].astype(np.float64)
    assert logits.shape == r.shape and np.all(np.isfinite(logits))
    assert np.std(r) > 1e-3 * np.max(np.abs(r)), "random weights should give distinct logits"
    rel = np.max(np.abs(logits - r)) / np.max(np.abs(r))
    assert rel < 1e-4, f"{name} on {device}: relative error {rel:.2e} on the logits"
    top = lambda v: list(np.argsort(-v.reshape(-1), kind="stable")[:5])  # noqa: E731
    assert top(logits) == top(r)
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-3, atol=1e-6)  # the softmax output
