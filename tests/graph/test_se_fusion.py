"""The squeeze-and-excitation gate (graph/passes.fuse_se): GlobalAvgPool -> 1x1 conv (act) -> 1x1
conv (act) becomes one SEGate node, one se_gate.cl launch on opencl that computes the bits of the
unfused pool and two convs (op by op and under launch-plan replay); other backends, and gates
beyond the kernel's local memory, run the unfused ops; the int8 quantizer's graph keeps them.
passes.fuse_se_scale: the Mul of the block input by the gate, read by a 1x1 conv, becomes that
conv's input scale (Conv inputs[4]), bit-identical to the Mul then the conv."""
import numpy as np
import pytest

pytest.importorskip("onnx")

import fpgaops  # noqa: E402
from fpgaops import models  # noqa: E402
from fpgaops.graph import passes  # noqa: E402

from graph_helpers import helper, model  # noqa: E402


def x_of(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def se_model(c, r, hw, act1, act2, bias=True, seed=0):
    """x -> SE gate -> x * gate, with act1 / act2 as ONNX ops after the 1x1 convs."""
    rng = np.random.default_rng(seed)
    inits = {"w1": (rng.standard_normal((r, c, 1, 1)) / np.sqrt(c)).astype(np.float32),
             "w2": (rng.standard_normal((c, r, 1, 1)) / np.sqrt(r)).astype(np.float32)}
    if bias:
        inits.update(b1=rng.standard_normal(r).astype(np.float32), b2=rng.standard_normal(c).astype(np.float32))
    ops = {"relu": lambda i, o: [helper.make_node("Relu", [i], [o])],
           "hardsigmoid": lambda i, o: [helper.make_node("HardSigmoid", [i], [o], alpha=1 / 6)],
           "hardswish": lambda i, o: [helper.make_node("HardSwish", [i], [o])],
           "sigmoid": lambda i, o: [helper.make_node("Sigmoid", [i], [o])],
           "silu": lambda i, o: [helper.make_node("Sigmoid", [i], [o + "s"]),
                                 helper.make_node("Mul", [i, o + "s"], [o])],
           None: lambda i, o: []}
    nodes = [helper.make_node("GlobalAveragePool", ["x"], ["s"]),
             helper.make_node("Conv", ["s", "w1"] + (["b1"] if bias else []), ["h0" if act1 else "h"]),
             *ops[act1]("h0", "h"),
             helper.make_node("Conv", ["h", "w2"] + (["b2"] if bias else []), ["g0" if act2 else "g"]),
             *ops[act2]("g0", "g"),
             helper.make_node("Mul", ["x", "g"], ["y"])]
    return model(nodes, [("x", (None, c, hw[0], hw[1]))], [("y", None)], inits)


@pytest.fixture
def unfused(monkeypatch):
    """load(proto): the Network with every fusion but fuse_se (the reference the fused one must match)."""
    def load(proto):
        monkeypatch.setattr(passes, "fuse_se", lambda g: g)  # loading specializes for the declared shape
        return fpgaops.load_onnx(proto)
    return load


def test_mobilenet_v3_se_blocks_become_gates():
    net = fpgaops.load_onnx(models.build_onnx("mobilenet_v3_small", num_classes=10))
    x = x_of((1, 3, 64, 64))
    g = net.optimized(x)
    gates = [n for n in g.nodes if n.op == "SEGate"]
    assert len(gates) == 9  # one per SE block of MobileNetV3-small
    assert {(n.attrs["act1"], n.attrs["act2"]) for n in gates} == {("relu", "hardsigmoid")}
    assert not [n for n in g.nodes if n.op == "GlobalAvgPool" and g.shapes[n.inputs[0]][2:] != (2, 2)]
    users = {i for n in g.nodes for i in n.inputs}
    assert all(n.outputs[0] in users for n in gates)
    assert not [n for n in net.optimized(x, int8=True).nodes if n.op == "SEGate"]


@pytest.mark.parametrize("c, r, hw, act1, act2, bias, n", [
    (16, 8, (7, 9), "relu", "hardsigmoid", True, 2),      # hw not a multiple of the 8-wide pool vector
    (200, 56, (5, 5), "hardswish", None, False, 1),       # C above the work-group, no biases
    (24, 96, (8, 8), None, "relu", True, 3),              # R > C
    (32, 8, (17, 17), "silu", "sigmoid", True, 2),        # EfficientNet's (SiLU exported as Sigmoid * x)
    (72, 20, (4, 4), "sigmoid", "silu", False, 1),
])
def test_se_gate_is_bit_identical_to_the_unfused_ops_on_opencl(require, unfused, c, r, hw, act1, act2, bias, n):
    require("opencl")
    proto = se_model(c, r, hw, act1, act2, bias)
    fused = fpgaops.load_onnx(proto)
    x = x_of((n, c) + hw, 1)
    assert [nd.op for nd in fused.optimized(x).nodes] == ["SEGate", "Mul"]
    g = fused.optimized(x)
    # sigmoid and torch's exported SiLU (x * sigmoid(x)) are the convs' epilogue activations
    # (passes.fuse_conv_sigmoid, closed forms), no tables
    a = g.nodes[0].attrs
    assert [(a["act1"], a["tab1"], a["mul1"]), (a["act2"], a["tab2"], a["mul2"])] == \
        [(act1, None, False), (act2, None, False)]
    plain = unfused(proto)
    assert "SEGate" not in [nd.op for nd in plain.optimized(x).nodes]
    with fpgaops.device("opencl"):
        want = plain(x)
        for _ in range(3):  # op by op, recorded, replayed
            np.testing.assert_array_equal(fused(x), want)
        assert fused.launch_plan(x).num_launches == 2
    np.testing.assert_allclose(fused.run_numpy(x), want, rtol=1e-5, atol=1e-5)


def test_fuse_silu_makes_the_exported_silu_one_activation():
    m = model([helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["s", "x"], ["y"]),
               helper.make_node("Sigmoid", ["y"], ["t"]), helper.make_node("Mul", ["y", "t"], ["z"]),
               helper.make_node("Add", ["z", "t"], ["out"])],  # t has two users: stays sigmoid
              [("x", (2, 5))], [("out", None)])
    net = fpgaops.load_onnx(m)
    x = x_of((2, 5), 4)
    g = passes.fuse_silu(net.optimized(x).copy())  # not run by optimize (its docstring)
    assert [(n.op, n.attrs.get("kind")) for n in g.nodes] == [("Act", "silu"), ("Act", "sigmoid"), ("Mul", None),
                                                              ("Add", None)]


def test_gate_beyond_local_memory_runs_the_unfused_ops(require, monkeypatch):
    require("opencl")
    from fpgaops.backends.opencl import se_gate

    proto = se_model(40, 16, (6, 6), "relu", "hardsigmoid")
    x = x_of((1, 40, 6, 6), 2)
    with fpgaops.device("opencl"):
        want = fpgaops.load_onnx(proto)(x)
        monkeypatch.setattr(se_gate, "MAX", 32)
        net = fpgaops.load_onnx(proto)
        np.testing.assert_array_equal(net(x), want)
        assert net.launch_plan(x) is None or net.launch_plan(x).num_launches == 4  # pool, 2 convs, mul


def test_se_gate_on_the_reference_backend_matches_numpy():
    proto = se_model(16, 8, (7, 9), "relu", "hardsigmoid")
    net = fpgaops.load_onnx(proto)
    x = x_of((2, 16, 7, 9), 3)
    with fpgaops.device("reference"):
        y = net(x)
    np.testing.assert_allclose(y, net.run_numpy(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("act1, act2", [("silu", "sigmoid"), ("sigmoid", "silu")])
def test_se_tables_remain_without_the_conv_sigmoid_epilogue(act1, act2):
    # passes.optimize with conv activations that lack sigmoid / silu (fuse_conv_sigmoid fuses
    # only the kinds it is given): the gate keeps the table activations (tab / mul attributes)
    net = fpgaops.load_onnx(se_model(32, 8, (5, 5), act1, act2, True))
    x = x_of((1, 32, 5, 5), 1)
    g = passes.optimize(net.graph, {net.graph.inputs[0]: x.shape}, conv_acts=("relu", "relu6"))
    assert [n.op for n in g.nodes] == ["SEGate", "Mul"]
    a = g.nodes[0].attrs
    want = [("sigmoid", k == "silu") for k in (act1, act2)]
    assert [(a["act1"], a["tab1"], a["mul1"]), (a["act2"], a["tab2"], a["mul2"])] == \
        [(None,) + want[0], (None,) + want[1]]


def se_conv_model(c, k, hw, residual, act):
    """x -> SE gate (relu, hardsigmoid) -> x * gate -> 1x1 conv (K) [+ x] [-> act], as MobileNetV3's blocks."""
    rng = np.random.default_rng(c + k)
    m = se_model(c, max(1, c // 4), hw, "relu", "hardsigmoid")
    g = m.graph
    g.output.pop()
    g.initializer.extend([helper.make_tensor("w3", 1, (k, c, 1, 1), (rng.standard_normal((k, c)) / np.sqrt(c)).ravel()),
                          helper.make_tensor("b3", 1, (k,), rng.standard_normal(k))])
    g.node.append(helper.make_node("Conv", ["y", "w3", "b3"], ["z"]))
    out = "z"
    if residual:
        g.node.append(helper.make_node("Add", ["z", "x"], ["zr"]))
        out = "zr"
    if act:
        g.node.append(helper.make_node(act, [out], ["out"]))
        out = "out"
    g.output.append(helper.make_tensor_value_info(out, 1, None))
    return m


@pytest.fixture
def unscaled(monkeypatch):
    """load(proto): the Network with every fusion but fuse_se_scale."""
    def load(proto):
        monkeypatch.setattr(passes, "fuse_se_scale", lambda g: g)
        return fpgaops.load_onnx(proto)
    return load


@pytest.mark.parametrize("c, k, hw, residual, act, n", [
    (96, 96, (7, 7), True, None, 1),        # conv_pwt, the residual added after the scaled conv
    (40, 24, (14, 14), False, "Relu", 2),   # conv_pw
    (16, 16, (3, 5), True, "HardSwish", 2),  # conv_pw's short rows
    (24, 8, (1, 1), False, None, 1),        # one pixel: not fused (conv_pw1 has no scale)
])
def test_se_scale_is_bit_identical_to_the_mul_then_the_conv(require, unscaled, c, k, hw, residual, act, n):
    require("opencl")
    proto = se_conv_model(c, k, hw, residual, act)
    x = x_of((n, c) + hw, 3)
    fused = fpgaops.load_onnx(proto)
    ops = [nd.op for nd in fused.optimized(x).nodes]
    one_pixel = hw == (1, 1)
    assert ops == (["SEGate", "Mul", "Conv"] if one_pixel else ["SEGate", "Conv"])
    conv = fused.optimized(x).nodes[-1]
    assert len(conv.inputs) == (4 if one_pixel else 5) and bool(conv.inputs[3]) == residual
    plain = unscaled(proto)
    assert [nd.op for nd in plain.optimized(x).nodes] == ["SEGate", "Mul", "Conv"]
    with fpgaops.device("opencl"):
        want = plain(x)
        for _ in range(3):  # op by op, recorded, replayed
            np.testing.assert_array_equal(fused(x), want)
        assert fused.launch_plan(x).num_launches == len(ops)
    with fpgaops.device("reference"):  # devops runs the Mul first off opencl
        np.testing.assert_allclose(fused(x), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fused.run_numpy(x), want, rtol=1e-5, atol=1e-5)  # execute.np_node


def test_mobilenet_v3_se_muls_become_conv_input_scales():
    net = fpgaops.load_onnx(models.build_onnx("mobilenet_v3_small", num_classes=10))
    x = x_of((1, 3, 64, 64))
    g = net.optimized(x)
    assert not [n for n in g.nodes if n.op == "Mul"]
    scaled = [n for n in g.nodes if n.op == "Conv" and len(n.inputs) > 4]
    assert len(scaled) == 9 and all(g.shapes[n.inputs[1]][2:] == (1, 1) for n in scaled)
    assert [n for n in net.optimized(x, int8=True).nodes if n.op == "Mul"]  # the int8 graph keeps them
