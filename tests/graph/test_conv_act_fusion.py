"""hardswish / hardsigmoid after a conv run in the conv epilogue (graph/passes.fuse_activation with
the activations ops.conv2d declares): the fused network computes the bits of the unfused one on
opencl (one definition of the closed forms, kernels/opencl/act_closed.h), and the int8 quantizer
works on the graph where they stay Act nodes (an int8 conv epilogue is a clamp range). sigmoid and
SiLU after a conv (passes.fuse_conv_sigmoid): the exact functions in the epilogue, so the fused
network is checked against the NumPy oracle (exact activations), not bit for bit."""
import numpy as np
import pytest

pytest.importorskip("onnx")

import fpgaops  # noqa: E402
from fpgaops import models  # noqa: E402
from fpgaops.graph import passes  # noqa: E402

from graph_helpers import helper, model  # noqa: E402

FLOAT_ONLY = ("hardswish", "hardsigmoid")


def x64(seed=0):
    return np.random.default_rng(seed).standard_normal((1, 3, 64, 64)).astype(np.float32)


def test_mobilenet_v3_convs_fuse_hardswish_and_hardsigmoid():
    net = fpgaops.load_onnx(models.build_onnx("mobilenet_v3_small", num_classes=10))
    g = net.optimized(x64())
    prod = g.producers()
    # (the SE blocks' hardsigmoid is fused too, into the SEGate of passes.fuse_se: test_se_fusion.py)
    fused = [n.attrs["activation"] for n in g.nodes if n.op == "Conv" and n.attrs["activation"] in FLOAT_ONLY]
    fused += [n.attrs[k] for n in g.nodes if n.op == "SEGate" for k in ("act1", "act2") if n.attrs[k] in FLOAT_ONLY]
    assert set(fused) == set(FLOAT_ONLY)
    # no hardswish / hardsigmoid launch is left after a conv
    left = [n for n in g.nodes if n.op == "Act" and n.attrs["kind"] in FLOAT_ONLY
            and prod.get(n.inputs[0]) is not None and prod[n.inputs[0]].op == "Conv"]
    assert not left
    g8 = net.optimized(x64(), int8=True)
    assert not [n for n in g8.nodes if n.op == "Conv" and n.attrs["activation"] in FLOAT_ONLY]
    prod8 = g8.producers()
    assert len([n for n in g8.nodes if n.op == "Act" and n.attrs["kind"] in FLOAT_ONLY
                and prod8[n.inputs[0]].op == "Conv"]) == len(fused)
    assert net.optimized(x64()) is g  # the float graph is unchanged by asking for the int8 one


def test_fused_network_is_bit_identical_to_unfused_on_opencl(require):
    require("opencl")
    proto = models.build_onnx("mobilenet_v3_small", num_classes=10)
    fused, plain = fpgaops.load_onnx(proto), fpgaops.load_onnx(proto, fuse=False)
    x = x64(1)
    with fpgaops.device("opencl"):
        want = plain(x)
        for _ in range(3):  # op by op, recorded, replayed
            np.testing.assert_array_equal(fused(x), want)
    np.testing.assert_allclose(fused.run_numpy(x), want, rtol=1e-4, atol=1e-4)


def test_quantized_mobilenet_v3_keeps_its_activations_as_int8_luts(require):
    require("opencl")
    net = fpgaops.load_onnx(models.build_onnx("mobilenet_v3_small", num_classes=10))
    qnet = net.quantize([x64(2)])
    layers = qnet.layers(x64())
    assert ("Act", "int8") in {(op, prec) for _name, op, prec, _q in layers}
    assert not [n for n, op, prec, _q in layers if op == "Conv" and prec != "int8"]
    with fpgaops.device("opencl"):
        y = qnet(x64(3))
    assert y.shape == (1, 10) and np.all(np.isfinite(y))


def sigmoid_model(seed=0):
    """x -> conv a -> Sigmoid; conv b -> x * Sigmoid(x) (torch's SiLU export); conv c -> x * Sigmoid(x)
    whose x has a third user (stays Act + Mul); their sum."""
    rng = np.random.default_rng(seed)
    inits = {f"w{k}": (3 * rng.standard_normal((6, 4, 3, 3)) / 6).astype(np.float32) for k in "abc"}
    inits.update({f"b{k}": rng.standard_normal(6).astype(np.float32) for k in "abc"})
    conv = lambda k: helper.make_node("Conv", ["x", f"w{k}", f"b{k}"], [f"y{k}"], pads=[1, 1, 1, 1])
    nodes = [conv("a"), helper.make_node("Sigmoid", ["ya"], ["sa"]),
             conv("b"), helper.make_node("Sigmoid", ["yb"], ["sb"]), helper.make_node("Mul", ["sb", "yb"], ["mb"]),
             conv("c"), helper.make_node("Sigmoid", ["yc"], ["sc"]), helper.make_node("Mul", ["sc", "yc"], ["mc"]),
             helper.make_node("Add", ["sa", "mb"], ["t"]), helper.make_node("Add", ["t", "yc"], ["u"]),
             helper.make_node("Add", ["u", "mc"], ["out"])]
    return model(nodes, [("x", (None, 4, 9, 11))], [("out", None)], inits)


def test_conv_sigmoid_and_silu_fuse_into_the_epilogue(backend):
    net = fpgaops.load_onnx(sigmoid_model())
    x = np.random.default_rng(1).standard_normal((2, 4, 9, 11)).astype(np.float32)
    g = net.optimized(x)
    acts = sorted(n.attrs["activation"] or "-" for n in g.nodes if n.op == "Conv")
    assert acts == ["-", "sigmoid", "silu"]  # conv c: its output has a third user
    assert [n.attrs["kind"] for n in g.nodes if n.op == "Act"] == ["sigmoid"]
    g8 = net.optimized(x, int8=True)  # an int8 conv epilogue is a clamp range: they stay Act nodes
    assert not [n for n in g8.nodes if n.op == "Conv" and n.attrs["activation"] in passes.CONV_TABLE_ACTS]
    got = net(x)
    want = net.run_numpy(x)
    # the sigmoid table of the unfused conv c's Act (8192 segments: docs/act_lut.md) and float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
