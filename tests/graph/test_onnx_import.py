"""Importer and runner on small hand-built ONNX graphs, one per supported op and attribute
combination: the optimized graph executed with the NumPy ops and on every backend, against ONNX
Runtime on the same model (tolerance: graph_helpers.ATOL/RTOL)."""
import numpy as np
import pytest

from graph_helpers import close, helper, model, ort_run, rand, run_on

import fpgaops

H = helper.make_node


def conv_case(cin=4, cout=6, k=3, stride=1, pad=1, dil=1, group=1, bias=True, size=9, auto_pad=None, opset=17):
    attrs = dict(kernel_shape=[k, k], strides=[stride, stride], dilations=[dil, dil], group=group)
    if auto_pad:
        attrs["auto_pad"] = auto_pad
    else:
        attrs["pads"] = [pad] * 4
    inits = {"w": rand((cout, cin // group, k, k), 1, 0.3)}
    ins = ["x", "w"]
    if bias:
        inits["b"] = rand((cout,), 2)
        ins.append("b")
    return model([H("Conv", ins, ["y"], **attrs)], [("x", ["N", cin, size, size])], [("y", None)], inits, opset), \
        [rand((2, cin, size, size))]


def unary(op, opset=17, extra_inputs=(), inits=None, **attrs):
    return model([H(op, ["x", *extra_inputs], ["y"], **attrs)], [("x", [2, 3, 5, 5])], [("y", None)], inits or {},
                 opset), [rand((2, 3, 5, 5), 3, 4.0)]


def binary(op, bshape, act=None):
    nodes = [H(op, ["x", "c"], ["t" if act else "y"])] + ([H(act, ["t"], ["y"])] if act else [])
    return model(nodes, [("x", [2, 3, 4, 5])], [("y", None)], {"c": rand(bshape, 4)}), [rand((2, 3, 4, 5))]


def binary_two_inputs(op):
    return model([H(op, ["a", "b"], ["y"])], [("a", [2, 3, 4, 4]), ("b", [2, 3, 1, 1])], [("y", None)]), \
        [rand((2, 3, 4, 4)), rand((2, 3, 1, 1), 5)]


def pool(op, k=3, s=2, p=1, size=9, **attrs):
    return model([H(op, ["x"], ["y"], kernel_shape=[k, k], strides=[s, s], pads=[p] * 4, **attrs)],
                 [("x", [2, 3, size, size])], [("y", None)]), [rand((2, 3, size, size))]


def bn_case(after_conv=True, opset=17):
    c = 4
    bn = {"g": rand((c,), 6) * 0.5 + 1, "be": rand((c,), 7), "mu": rand((c,), 8), "var": np.abs(rand((c,), 9)) + 0.5}
    src = "t" if after_conv else "x"
    nodes = ([H("Conv", ["x", "w"], ["t"], kernel_shape=[3, 3], pads=[1] * 4)] if after_conv else []) + \
        [H("BatchNormalization", [src, "g", "be", "mu", "var"], ["y"], epsilon=1e-3)]
    inits = dict(bn, **({"w": rand((c, c, 3, 3), 10, 0.3)} if after_conv else {}))
    return model(nodes, [("x", [1, c, 6, 6])], [("y", None)], inits, opset), [rand((1, c, 6, 6))]


def gemm_case(ta=0, tb=1, alpha=1.0, beta=1.0, cshape=(5,)):
    a = (4, 3) if ta else (3, 4)
    return model([H("Gemm", ["x", "w", "c"], ["y"], transA=ta, transB=tb, alpha=alpha, beta=beta)],
                 [("x", list(a))], [("y", None)], {"w": rand((5, 4) if tb else (4, 5), 11), "c": rand(cshape, 12)}), \
        [rand(a)]


def flatten_chain(opset):
    """What torch.onnx.export emits for x.view(x.size(0), -1) without dynamo."""
    unsq = (H("Unsqueeze", ["n"], ["nu"], axes=[0]) if opset < 13 else H("Unsqueeze", ["n", "ax"], ["nu"]))
    nodes = [H("Shape", ["x"], ["s"]), H("Gather", ["s", "zero"], ["n"], axis=0), unsq,
             H("Concat", ["nu", "m1"], ["shape"], axis=0), H("Reshape", ["x", "shape"], ["y"])]
    inits = {"zero": np.array(0, np.int64), "m1": np.array([-1], np.int64)}
    if opset >= 13:
        inits["ax"] = np.array([0], np.int64)
    return model(nodes, [("x", ["N", 3, 4, 4])], [("y", None)], inits, opset), [rand((2, 3, 4, 4))]


def constant_case():
    c = helper.make_tensor("cv", 1, [1, 3, 1, 1], [1.0, -2.0, 0.5])
    return model([H("Constant", [], ["k"], value=c), H("Mul", ["x", "k"], ["t"]), H("Identity", ["t"], ["y"])],
                 [("x", [2, 3, 4, 4])], [("y", None)]), [rand((2, 3, 4, 4))]


def softmax_case(opset, axis):
    return model([H("Softmax", ["x"], ["y"], axis=axis)], [("x", [3, 7])], [("y", None)], opset=opset), \
        [rand((3, 7), 1, 3.0)]


CASES = {
    "conv3x3": lambda: conv_case(),
    "conv_nobias": lambda: conv_case(bias=False),
    "conv_stride2": lambda: conv_case(stride=2, size=10),
    "conv_dilation2": lambda: conv_case(dil=2, pad=2, size=11),
    "conv_group2": lambda: conv_case(cin=4, cout=6, group=2),
    "conv_depthwise": lambda: conv_case(cin=6, cout=6, group=6),
    "conv_1x1_pad0": lambda: conv_case(k=1, pad=0),
    "conv_7x7_s2_p3": lambda: conv_case(cin=3, cout=8, k=7, stride=2, pad=3, size=16),
    "conv_same_upper": lambda: conv_case(auto_pad="SAME_UPPER"),
    "conv_valid": lambda: conv_case(auto_pad="VALID"),
    "conv_opset11": lambda: conv_case(opset=11),
    "conv_opset21": lambda: conv_case(opset=21),
    "bn_folded": lambda: bn_case(True),
    "bn_alone": lambda: bn_case(False),
    "bn_opset11": lambda: bn_case(True, 11),
    "relu": lambda: unary("Relu"),
    "clip_relu6": lambda: unary("Clip", extra_inputs=["lo", "hi"], inits={"lo": np.float32(0), "hi": np.float32(6)}),
    "clip_min_only": lambda: unary("Clip", extra_inputs=["lo"], inits={"lo": np.float32(0)}),
    "clip_hardtanh": lambda: unary("Clip", extra_inputs=["lo", "hi"], inits={"lo": np.float32(-1), "hi": np.float32(2)}),
    "clip_opset11": lambda: unary("Clip", 11, extra_inputs=["lo", "hi"], inits={"lo": np.float32(0), "hi": np.float32(6)}),
    "leaky_relu": lambda: unary("LeakyRelu", alpha=0.2),
    "sigmoid": lambda: unary("Sigmoid"),
    "tanh": lambda: unary("Tanh"),
    "hardsigmoid": lambda: unary("HardSigmoid", alpha=1 / 6, beta=0.5),
    "hardswish": lambda: unary("HardSwish", opset=14),
    "add_same": lambda: binary("Add", (2, 3, 4, 5)),
    "add_channel": lambda: binary("Add", (1, 3, 1, 1)),
    "add_relu_fused": lambda: binary("Add", (2, 3, 4, 5), "Relu"),
    "mul_channel": lambda: binary("Mul", (3, 1, 1)),
    "mul_scalar": lambda: binary("Mul", ()),
    "mul_se_gate": lambda: binary_two_inputs("Mul"),
    "add_two_inputs": lambda: binary_two_inputs("Add"),
    "maxpool_3s2p1": lambda: pool("MaxPool"),
    "maxpool_2s2": lambda: pool("MaxPool", 2, 2, 0, 8),
    "maxpool_ceil": lambda: pool("MaxPool", 3, 2, 0, 8, ceil_mode=1),
    "maxpool_dilation": lambda: pool("MaxPool", 2, 1, 0, 7, dilations=[2, 2]),
    "avgpool": lambda: pool("AveragePool", 2, 2, 0, 8),
    "avgpool_pad_excl": lambda: pool("AveragePool", 3, 2, 1, 9),
    "avgpool_pad_incl": lambda: pool("AveragePool", 3, 2, 1, 9, count_include_pad=1),
    "avgpool_ceil": lambda: pool("AveragePool", 3, 2, 0, 8, ceil_mode=1),
    "global_avgpool": lambda: model([H("GlobalAveragePool", ["x"], ["y"])], [("x", [2, 3, 5, 6])], [("y", None)]),
    "flatten_axis1": lambda: model([H("Flatten", ["x"], ["y"], axis=1)], [("x", [2, 3, 2, 2])], [("y", None)]),
    "flatten_axis2": lambda: model([H("Flatten", ["x"], ["y"], axis=2)], [("x", [2, 3, 2, 2])], [("y", None)]),
    "reshape_0_-1": lambda: model([H("Reshape", ["x", "s"], ["y"])], [("x", [2, 3, 2, 2])], [("y", None)],
                                  {"s": np.array([0, -1], np.int64)}),
    "flatten_chain_opset11": lambda: flatten_chain(11),
    "flatten_chain_opset13": lambda: flatten_chain(13),
    "gemm_transB": lambda: gemm_case(),
    "gemm_transA_alpha_beta": lambda: gemm_case(1, 0, 0.5, 2.0),
    "gemm_bias_2d": lambda: gemm_case(cshape=(3, 5)),
    "matmul": lambda: model([H("MatMul", ["x", "w"], ["y"])], [("x", [2, 3, 4])], [("y", None)], {"w": rand((4, 5), 13)}),
    "softmax_opset13": lambda: softmax_case(13, -1),
    "softmax_opset11_axis1": lambda: softmax_case(11, 1),
    "constant_identity": constant_case,
}


def _case(name):
    r = CASES[name]()
    if isinstance(r, tuple):
        return r
    m = r
    shapes = [[d if isinstance(d, int) else 2 for d in (i.type.tensor_type.shape.dim and
              [x.dim_value or x.dim_param for x in i.type.tensor_type.shape.dim])] for i in m.graph.input
              if i.name not in {t.name for t in m.graph.initializer}]
    return m, [rand(s, 20 + k) for k, s in enumerate(shapes)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_execution_matches_onnxruntime(name):
    m, xs = _case(name)
    want = ort_run(m, *xs)
    net = fpgaops.load_onnx(m)
    got = net.run_numpy(*xs)
    got = got if isinstance(got, tuple) else (got,)
    for g, w in zip(got, want):
        close(g, w)


@pytest.mark.parametrize("name", sorted(CASES))
def test_device_matches_onnxruntime(name, backend):
    m, xs = _case(name)
    want = ort_run(m, *xs)
    net = fpgaops.load_onnx(m)
    got = run_on(net, backend, *xs)
    for g, w in zip(got, want):
        close(g, w, atol=2e-3 if name in ("sigmoid", "tanh") else 1e-4)


def test_opsets_7_to_25_accepted():
    for opset in range(7, 26):
        m, xs = conv_case(opset=opset)
        fpgaops.load_onnx(m)


def test_graph_passes_fold_and_fuse():
    """conv-bn-relu, conv-bn + add(skip) + relu: BN folded, residual and relu in the conv epilogue."""
    c = 4
    bn = lambda p, s: {f"{p}g": rand((c,), s) * 0.2 + 1, f"{p}b": rand((c,), s + 1), f"{p}m": rand((c,), s + 2),
                       f"{p}v": np.abs(rand((c,), s + 3)) + 0.5}
    inits = {"w1": rand((c, c, 3, 3), 1, 0.3), "w2": rand((c, c, 3, 3), 2, 0.3), **bn("a", 10), **bn("c", 20)}
    nodes = [H("Conv", ["x", "w1"], ["c1"], kernel_shape=[3, 3], pads=[1] * 4),
             H("BatchNormalization", ["c1", "ag", "ab", "am", "av"], ["b1"]), H("Relu", ["b1"], ["r1"]),
             H("Conv", ["r1", "w2"], ["c2"], kernel_shape=[3, 3], pads=[1] * 4),
             H("BatchNormalization", ["c2", "cg", "cb", "cm", "cv"], ["b2"]), H("Add", ["b2", "x"], ["s"]),
             H("Relu", ["s"], ["y"]), H("Sigmoid", ["x"], ["dead"])]
    m = model(nodes, [("x", [1, c, 8, 8])], [("y", None)], inits)
    net = fpgaops.load_onnx(m)
    g = net.optimized()
    assert [n.op for n in g.nodes] == ["Conv", "Conv"]
    assert g.nodes[0].attrs["activation"] == "relu" and not g.nodes[0].inputs[3]
    assert g.nodes[1].attrs["activation"] == "relu" and g.nodes[1].inputs[3] == "x"
    x = rand((1, c, 8, 8))
    close(net.run_numpy(x), ort_run(m, x)[0])
    unfused = fpgaops.load_onnx(m, fuse=False)
    assert [n.op for n in unfused.optimized().nodes] == ["Conv", "Act", "Conv", "Add", "Act"]
    close(unfused.run_numpy(x), ort_run(m, x)[0])


def test_buffer_plan_reuses_memory():
    nodes = [H("Relu", ["x"], ["a"]), H("Sigmoid", ["a"], ["b"]), H("Tanh", ["b"], ["c"]), H("Relu", ["c"], ["y"])]
    net = fpgaops.load_onnx(model(nodes, [("x", [1, 8, 16, 16])], [("y", None)]), fuse=False)
    p = net.memory_plan()
    one = 8 * 16 * 16 * 4
    assert p.naive_bytes == 5 * one
    assert p.peak_live_bytes == 2 * one  # a chain needs only the layer's input and output alive
    assert p.planned_bytes == 2 * one and len(p.buffer_bytes) == 2  # ping-pong
    assert net.peak_activation_bytes() == p.peak_live_bytes


def test_batch_sizes_and_tensor_inputs(backend):
    m, _ = conv_case()
    net = fpgaops.load_onnx(m)
    for n in (1, 3):
        x = rand((n, 4, 9, 9), n)
        got = run_on(net, backend, x)[0]
        close(got, ort_run(m, x)[0])
    t = fpgaops.to_device(rand((2, 4, 9, 9)), backend)
    y = net.run(t, device=backend, as_tensors=True)[0]
    assert isinstance(y, fpgaops.Tensor) and y.device is t.device


def test_unsupported_nodes_listed_and_fallback(backend):
    nodes = [H("Relu", ["x"], ["a"]), H("Exp", ["a"], ["b"]), H("Neg", ["b"], ["c"]),
             H("Pad", ["c", "p"], ["y"])]
    m = model(nodes, [("x", [1, 2, 3, 4])], [("y", None)], {"p": np.zeros(8, np.int64)})
    with pytest.raises(fpgaops.UnsupportedError) as e:
        fpgaops.load_onnx(m)
    msg = str(e.value)
    assert all(s in msg for s in ("Exp_1", "Exp", "Neg_2", "Pad_3", "Pad"))
    assert [n for _, n, _ in e.value.nodes] == ["Exp", "Neg", "Pad"]
    with pytest.raises(fpgaops.UnsupportedError, match="Pad"):  # Pad has no NumPy fallback either
        fpgaops.load_onnx(m, allow_fallback=True)
    m2 = model(nodes[:3], [("x", [1, 2, 3, 4])], [("c", None)])
    net = fpgaops.load_onnx(m2, allow_fallback=True)
    x = rand((1, 2, 3, 4))
    close(run_on(net, backend, x)[0], ort_run(m2, x)[0])
    prof = net.profile(x, device=backend, warmup=0)
    assert [r.algorithm for r in prof.rows].count("fallback(numpy)") == 2
    assert "Fallback:Exp" in str(prof)


def test_unsupported_attributes_listed():
    m = model([H("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], storage_order=1)], [("x", [1, 2, 4, 4])], [("y", None)])
    with pytest.raises(fpgaops.UnsupportedError, match="storage_order"):
        fpgaops.load_onnx(m)
    m = model([H("Resize", ["x", "", "s"], ["y"], mode="cubic")], [("x", [1, 2, 4, 4])], [("y", None)],
              {"s": np.array([1, 1, 2, 2], np.float32)})
    with pytest.raises(fpgaops.UnsupportedError, match="'Resize_0'.*cubic"):
        fpgaops.load_onnx(m)


def test_profile_and_trace(backend):
    m, xs = conv_case()
    net = fpgaops.load_onnx(model(
        [H("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], pads=[1] * 4), H("Relu", ["c"], ["r"]),
         H("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]), H("Flatten", ["p"], ["f"]),
         H("Gemm", ["f", "fw", "fb"], ["y"], transB=1)],
        [("x", ["N", 4, 8, 8])], [("y", None)],
        {"w": rand((6, 4, 3, 3), 1, 0.3), "fw": rand((5, 96), 2, 0.1), "fb": rand((5,), 3)}))
    x = rand((2, 4, 8, 8))
    assert not net.missing_ops()
    prof = net.profile(x, device=backend)
    assert [r.op for r in prof.rows] == ["Conv", "MaxPool", "View", "Gemm"]
    assert prof.rows[0].fused == "relu" and prof.rows[0].flops == 2 * 2 * 6 * 64 * 36
    text = str(prof)
    assert "GFLOP/s" in text and "share" in text and "peak live" in text
    for against in ("numpy", "onnxruntime", "reference"):
        tr = net.trace(x, against=against, device=backend)
        assert tr.ok, str(tr)
        assert len(tr.rows) >= 3


def test_trace_finds_first_divergence(monkeypatch):
    m = model([H("Relu", ["x"], ["a"]), H("Sigmoid", ["a"], ["b"]), H("Tanh", ["b"], ["y"])],
              [("x", [1, 3, 4, 4])], [("y", None)])
    net = fpgaops.load_onnx(m)
    from fpgaops.graph import runner

    real = runner.DEVICE_OPS["Act"]

    def wrong(n, x):
        y = real(n, x)
        return fpgaops.to_device(y.numpy() + (0.5 if n.attrs["kind"] == "sigmoid" else 0), x.device) \
            if n.attrs["kind"] == "sigmoid" else y

    monkeypatch.setitem(runner.DEVICE_OPS, "Act", wrong)
    tr = net.trace(rand((1, 3, 4, 4)), against="onnxruntime", device="reference")
    assert not tr.ok and tr.first_divergence.node == "Sigmoid_1"
    assert "first divergence at node 'Sigmoid_1'" in str(tr)
