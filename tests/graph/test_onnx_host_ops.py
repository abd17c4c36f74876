"""The ONNX forms no kernel handles as such, on every backend against ONNX Runtime: host (NumPy)
ops named in the profile (Concat, Split, Slice, Transpose, LayerNorm, Gelu, Erf where the backend
lacks their op family; Resize, LRN, LogSoftmax, Clip with run-time bounds, BatchNormalization with
run-time statistics, broadcasts beyond the eltwise kernel), and the device forms that used to be
refused or crash (Gelu, Gemm with a 0-d / 1-element bias, MatMul with partial batch broadcasting,
opset-11 Softmax over flattened axes, Sum, 0-d inputs)."""
import numpy as np
import pytest

from graph_helpers import close, helper, model, ort_run, rand, run_on

import fpgaops
from fpgaops.graph.devops import on_device
from fpgaops.graph.lower import HOST_OPS

H = helper.make_node


def _check(m, xs, backend, host=(), device_ops=None, atol=1e-4):
    """Run ``m`` on ``backend`` against ORT; ``host``: the ops the profile must show on the host
    (a lowered op of a family the backend has kernels for, e.g. Concat on opencl, runs on the device)."""
    host = [h for h in host if not on_device(h, fpgaops.get_device(backend))]
    net = fpgaops.load_onnx(m)
    got = run_on(net, backend, *xs)
    for g, w in zip(got, ort_run(m, *xs)):
        assert np.shape(g) == np.shape(w)  # (close() would broadcast a 0-d expectation)
        close(g, w, atol=atol)
    prof = net.profile(*xs, device=backend, warmup=0)
    on_host = sorted(r.op for r in prof.rows if r.algorithm.startswith("host(numpy)"))
    assert on_host == sorted(host), str(prof)
    if device_ops is not None:
        assert sorted(n.op for n in net.optimized(*xs).nodes) == sorted(device_ops)
    return net


CASES = {
    "concat": lambda: (model([H("Relu", ["a"], ["ra"]), H("Concat", ["ra", "b", "c"], ["y"], axis=1)],
                             [("a", [2, 3, 4, 4]), ("b", [2, 1, 4, 4])], [("y", None)], {"c": rand((2, 2, 4, 4), 3)}),
                       [rand((2, 3, 4, 4), 1), rand((2, 1, 4, 4), 2)], ["Concat"]),
    "split_opset11_attr": lambda: (model([H("Split", ["x"], ["a", "b"], axis=2, split=[1, 3])], [("x", [2, 3, 4])],
                                         [("a", None), ("b", None)], opset=11), [rand((2, 3, 4))], ["Split"]),
    "split_opset13_input": lambda: (model([H("Split", ["x", "s"], ["a", "b", "c"], axis=-1)], [("x", [2, 6])],
                                          [("a", None), ("b", None), ("c", None)], {"s": np.array([1, 2, 3], np.int64)},
                                          opset=13), [rand((2, 6))], ["Split"]),
    "split_opset18_num_outputs": lambda: (model([H("Split", ["x"], ["a", "b", "c"], axis=1, num_outputs=3)],
                                                [("x", [2, 7])], [("a", None), ("b", None), ("c", None)], opset=18),
                                          [rand((2, 7))], ["Split"]),
    "transpose": lambda: (model([H("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])], [("x", [2, 3, 4, 5])], [("y", None)]),
                          [rand((2, 3, 4, 5))], ["Transpose"]),
    "lrn": lambda: (model([H("LRN", ["x"], ["y"], size=3, alpha=1e-3, beta=0.75, bias=2.0)], [("x", [1, 5, 3, 3])],
                          [("y", None)]), [rand((1, 5, 3, 3))], ["host:LRN"]),
    "logsoftmax_opset13": lambda: (model([H("LogSoftmax", ["x"], ["y"], axis=1)], [("x", [2, 3, 4])], [("y", None)], opset=13),
                                   [rand((2, 3, 4))], ["host:LogSoftmax"]),
    "logsoftmax_opset11_flattened": lambda: (model([H("LogSoftmax", ["x"], ["y"], axis=1)], [("x", [2, 3, 4])],
                                                   [("y", None)], opset=11), [rand((2, 3, 4))], ["host:LogSoftmax"]),
    "clip_runtime_bounds": lambda: (model([H("Clip", ["x", "lo", "hi"], ["y"])], [("x", [2, 5]), ("lo", []), ("hi", [])],
                                          [("y", None)], opset=13),
                                    [rand((2, 5)), np.array(-0.5, np.float32), np.array(0.7, np.float32)], ["host:Clip"]),
    "clip_min_only": lambda: (model([H("Clip", ["x", "lo"], ["y"])], [("x", [2, 5])], [("y", None)],
                                    {"lo": np.float32(-0.2)}, opset=13), [rand((2, 5))], ["host:Clip"]),
    "clip_max_only_omitted_min": lambda: (model([H("Clip", ["x", "", "hi"], ["y"])], [("x", [2, 5])], [("y", None)],
                                                {"hi": np.float32(0.3)}, opset=13), [rand((2, 5))], ["host:Clip"]),
    "batchnorm_runtime_stats": lambda: (model([H("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
                                              [("x", [2, 3, 4, 4]), ("s", [3]), ("b", [3]), ("m", [3]), ("v", [3])],
                                              [("y", None)]),
                                        [rand((2, 3, 4, 4)), rand((3,), 1), rand((3,), 2), rand((3,), 3),
                                         np.abs(rand((3,), 4)) + 0.5], ["host:BatchNormalization"]),
    "add_beyond_three_levels": lambda: (model([H("Add", ["a", "b"], ["y"])], [("a", [2, 1, 3, 1, 4, 1]),
                                                                               ("b", [1, 5, 1, 6, 1, 7])], [("y", None)]),
                                        [rand((2, 1, 3, 1, 4, 1)), rand((1, 5, 1, 6, 1, 7), 1)], ["host:Add"]),
    "resize_nearest_scales": lambda: (model([H("Resize", ["x", "", "s"], ["y"], mode="nearest")], [("x", [1, 2, 3, 4])],
                                            [("y", None)], {"s": np.array([1, 1, 2, 1.5], np.float32)}),
                                      [rand((1, 2, 3, 4))], ["Resize"]),
    "resize_linear_sizes_align_corners": lambda: (model(
        [H("Resize", ["x", "", "", "sz"], ["y"], mode="linear", coordinate_transformation_mode="align_corners")],
        [("x", [1, 2, 3, 4])], [("y", None)], {"sz": np.array([1, 2, 5, 7], np.int64)}), [rand((1, 2, 3, 4))], ["Resize"]),
    "resize_linear_half_pixel_down": lambda: (model([H("Resize", ["x", "", "s"], ["y"], mode="linear")],
                                                    [("x", [1, 1, 8, 8])], [("y", None)],
                                                    {"s": np.array([1, 1, 0.5, 0.75], np.float32)}),
                                              [rand((1, 1, 8, 8))], ["Resize"]),
    "resize_nearest_opset11_asymmetric_floor": lambda: (model(
        [H("Resize", ["x", "roi", "s"], ["y"], mode="nearest", coordinate_transformation_mode="asymmetric",
           nearest_mode="floor")], [("x", [1, 1, 2, 3])], [("y", None)],
        {"roi": np.zeros(0, np.float32), "s": np.array([1, 1, 3, 2], np.float32)}, opset=11), [rand((1, 1, 2, 3))],
        ["Resize"]),
    # fpgaops.resize takes H and W of (N, C, H, W): a resize of the channel axis or of a 3-D tensor stays on the host
    "resize_channels_on_host": lambda: (model([H("Resize", ["x", "", "s"], ["y"], mode="nearest")], [("x", [1, 2, 3, 4])],
                                              [("y", None)], {"s": np.array([1, 2, 2, 1], np.float32)}),
                                        [rand((1, 2, 3, 4))], ["host:Resize"]),
    "resize_3d_on_host": lambda: (model([H("Resize", ["x", "", "s"], ["y"], mode="linear")], [("x", [2, 3, 4])],
                                        [("y", None)], {"s": np.array([1, 1, 2.5], np.float32)}),
                                  [rand((2, 3, 4))], ["host:Resize"]),
    "conv_asymmetric_padding": lambda: (model([H("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3], pads=[0, 0, 1, 1])],
                                              [("x", [1, 2, 5, 5])], [("y", None)], {"w": rand((2, 2, 3, 3), 1)}),
                                        [rand((1, 2, 5, 5))], ["host:Conv"]),
    "hardsigmoid_onnx_defaults": lambda: (model([H("HardSigmoid", ["x"], ["y"], alpha=0.2, beta=0.5)], [("x", [2, 3])],
                                                [("y", None)]), [rand((2, 3))], ["host:HardSigmoid"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_host_op_matches_onnxruntime(name, backend):
    m, xs, host = CASES[name]()
    _check(m, xs, backend, host)


def test_gelu_tanh_on_the_lut_activation(backend):
    m = model([H("Gelu", ["x"], ["y"], approximate="tanh")], [("x", [2, 3, 4])], [("y", None)], opset=20)
    net = _check(m, [rand((2, 3, 4), 0, 3.0)], backend, device_ops=["Act"])
    act = net.optimized().nodes[0]
    assert act.attrs == {"kind": "gelu", "params": {"approximate": "tanh"}}


def test_exact_gelu(backend):
    """Gelu (approximate="none") is the exact erf-based GELU (ops/erf.py), within 1e-6 of ORT."""
    m = model([H("Gelu", ["x"], ["y"])], [("x", [2, 3, 4])], [("y", None)], opset=20)
    net = _check(m, [rand((2, 3, 4), 0, 3.0)], backend, host=["Gelu"], device_ops=["Gelu"], atol=1e-6)
    assert net.optimized().nodes[0].attrs == {}


@pytest.mark.parametrize("bias", [np.float32(0.5), np.array([0.25], np.float32), rand((3, 1), 4)])
def test_gemm_broadcast_bias(bias, backend):
    """0-d, 1-element and column biases (C broadcast to (M, N)) run on the GEMM kernel."""
    m = model([H("Gemm", ["a", "b", "c"], ["y"], alpha=0.5, beta=2.0)], [("a", [3, 4])], [("y", None)],
              {"b": rand((4, 5), 1), "c": bias})
    _check(m, [rand((3, 4))], backend, device_ops=["Gemm"])


def test_gemm_runtime_scalar_bias(backend):
    m = model([H("Gemm", ["a", "b", "c"], ["y"])], [("a", [3, 4]), ("c", [])], [("y", None)], {"b": rand((4, 5), 1)})
    _check(m, [rand((3, 4)), np.array(1.5, np.float32)], backend, host=["host:Gemm"])


def test_matmul_partial_batch_broadcast(backend):
    """A constant operand is expanded once (the kernel then strides it); a run-time one on the host."""
    m = model([H("MatMul", ["a", "b"], ["y"])], [("a", [2, 3, 4, 5])], [("y", None)], {"b": rand((1, 3, 5, 6), 1)})
    _check(m, [rand((2, 3, 4, 5))], backend, device_ops=["MatMul"])
    m = model([H("MatMul", ["a", "b"], ["y"])], [("a", [2, 3, 4, 5]), ("b", [1, 3, 5, 6])], [("y", None)])
    _check(m, [rand((2, 3, 4, 5)), rand((1, 3, 5, 6), 1)], backend, host=["host:MatMul"])


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_softmax_opset11_flattened_axes(axis, backend):
    """Opset < 13 Softmax normalizes over the input coerced to 2-D at ``axis``: a View, the
    softmax kernel on the 2-D view, a View back."""
    m = model([H("Softmax", ["x"], ["y"], axis=axis)], [("x", [2, 3, 4])], [("y", None)], opset=11)
    expect = ["Softmax"] if axis == 2 else ["Softmax", "View", "View"]
    _check(m, [rand((2, 3, 4))], backend, device_ops=expect)


def test_sum_is_a_chain_of_adds(backend):
    m = model([H("Sum", ["a", "b", "c"], ["y"])], [("a", [2, 3]), ("b", [2, 3])], [("y", None)], {"c": rand((3,), 2)})
    _check(m, [rand((2, 3)), rand((2, 3), 1)], backend, device_ops=["Add", "Add"])


def test_zero_d_input(backend):
    m = model([H("Mul", ["x", "s"], ["y"])], [("x", [2, 3]), ("s", [])], [("y", None)])
    _check(m, [rand((2, 3)), np.array(-2.0, np.float32)], backend, device_ops=["Mul"])


def test_clip_runtime_bounds_name_the_node_in_the_profile():
    m, xs, _ = CASES["clip_runtime_bounds"]()
    net = fpgaops.load_onnx(m)
    prof = str(net.profile(*xs, device="reference", warmup=0))
    assert "host:Clip" in prof and "host(numpy): no fpgaops activation" in prof


def test_data_movement_ops_have_clean_lowered_attributes():
    """Concat/Split/Transpose/Resize lower to ops of their own name with normalized attributes (a
    device kernel registered in devops.DEVICE_OPS under that name replaces the host version)."""
    got = {}
    for name in ("concat", "split_opset13_input", "transpose", "resize_nearest_scales"):
        m, xs, _ = CASES[name]()
        net = fpgaops.load_onnx(m)
        for n in net.optimized(*xs).nodes:
            if n.op in HOST_OPS and n.op != "Host":
                got[n.op] = n.attrs
    assert got["Concat"] == {"axis": 1}
    assert got["Split"] == {"axis": 1, "sizes": [1, 2, 3]}
    assert got["Transpose"] == {"perm": [0, 2, 3, 1]}
    assert got["Resize"] == {"mode": "nearest", "coordinate_transformation_mode": "half_pixel",
                             "nearest_mode": "round_prefer_floor", "out_shape": (1, 2, 6, 6), "scales": (1.0, 1.0, 2.0, 1.5)}


@pytest.mark.parametrize("nodes,reason", [
    ([H("Dropout", ["x"], ["y", "mask"])], "mask output"),
    ([H("Gelu", ["x"], ["y"], approximate="sigmoid")], "approximate='sigmoid'"),
    ([H("Resize", ["x", "", "s"], ["y"], mode="linear", antialias=1)], "antialias"),
    ([H("Resize", ["x", "", "s"], ["y"], coordinate_transformation_mode="tf_crop_and_resize")], "tf_crop_and_resize"),
])
def test_refused_cleanly_naming_the_node(nodes, reason):
    outs = [(o, None) for o in nodes[0].output]
    m = model(nodes, [("x", [1, 1, 4, 4])], outs, {"s": np.array([1, 1, 0.5, 0.5], np.float32)}, opset=20)
    with pytest.raises(fpgaops.UnsupportedOpsError, match=reason) as e:
        fpgaops.load_onnx(m)
    assert e.value.nodes[0][0] == f"{nodes[0].op_type}_0"


def test_quantized_network_runs_host_ops(backend):
    """Host ops stay float in an int8 network (Split's second output included)."""
    nodes = [H("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]), H("Relu", ["c"], ["r"]),
             H("Split", ["r"], ["a", "b"], axis=1, num_outputs=2), H("Concat", ["b", "a", "x"], ["y"], axis=1)]
    m = model(nodes, [("x", [1, 2, 6, 6])], [("y", None)], {"w": rand((4, 2, 3, 3), 1, 0.3)}, opset=18)
    net = fpgaops.load_onnx(m)
    x = rand((1, 2, 6, 6))
    qnet = net.quantize([rand((1, 2, 6, 6), s) for s in range(4)])
    y = qnet(x, device=backend)
    ref = ort_run(m, x)[0]
    assert y.shape == ref.shape and np.max(np.abs(y - ref)) < 0.05 * np.max(np.abs(ref))
    assert {"Split_2", "Concat_3"} <= set(qnet.float_nodes), qnet.float_nodes


def test_unread_optional_outputs_are_not_computed():
    """An opset-9 BatchNormalization listing its five outputs (old exporters) runs when only Y is
    read; reading a training-mode output is refused naming the node."""
    inits = {"s": rand((3,), 1), "b": rand((3,), 2), "m": rand((3,), 3), "v": np.abs(rand((3,), 4)) + 0.5}
    bn = lambda outs: H("BatchNormalization", ["x", "s", "b", "m", "v"], outs)  # noqa: E731
    plain = model([bn(["y"])], [("x", [1, 3, 4, 4])], [("y", None)], inits, opset=9)
    five = model([bn(["y", "m1", "v1", "sm", "sv"])], [("x", [1, 3, 4, 4])], [("y", None)], inits, opset=9)
    x = rand((1, 3, 4, 4))
    close(fpgaops.load_onnx(five)(x, device="reference"), ort_run(plain, x)[0])
    read = model([bn(["y", "m1", "v1", "sm", "sv"])], [("x", [1, 3, 4, 4])], [("y", None), ("m1", None)], inits, opset=9)
    with pytest.raises(fpgaops.UnsupportedError, match="BatchNormalization_0"):
        fpgaops.load_onnx(read)


# ReduceMean over exactly H, W of NCHW: the GlobalAvgPool kernel (+ a View for keepdims=0);
# any other reduction: a host op. (opset, attributes, axes input, expected ops on the host)
_I64 = lambda v: np.array(v, np.int64)  # noqa: E731
REDUCE_MEAN = {
    "hw_keepdims_op17": (17, {"axes": [2, 3]}, None, []),
    "hw_no_keepdims_op13_negative": (13, {"axes": [-1, -2], "keepdims": 0}, None, []),
    "hw_input_axes_op18": (18, {}, _I64([2, 3]), []),
    "hw_input_axes_no_keepdims_op18": (18, {"keepdims": 0}, _I64([3, 2]), []),
    "channels_op17": (17, {"axes": [1]}, None, ["host:ReduceMean"]),
    "all_axes_op17": (17, {}, None, ["host:ReduceMean"]),
    "all_axes_no_keepdims_op17": (17, {"keepdims": 0}, None, ["host:ReduceMean"]),  # a 0-d output
    "w_only_input_op18": (18, {"keepdims": 0}, _I64([-1]), ["host:ReduceMean"]),
    "empty_axes_noop_op18": (18, {"noop_with_empty_axes": 1}, _I64([]), ["host:ReduceMean"]),
    "empty_axes_all_op18": (18, {}, _I64([]), ["host:ReduceMean"]),
}


@pytest.mark.parametrize("name", sorted(REDUCE_MEAN))
def test_reduce_mean(name, backend):
    opset, attrs, axes, host = REDUCE_MEAN[name]
    ins, inits = ["x"], {}
    if axes is not None:
        ins, inits = ["x", "ax"], {"ax": axes}
    m = model([H("ReduceMean", ins, ["y"], **attrs)], [("x", [2, 3, 4, 5])], [("y", None)], inits, opset=opset)
    net = _check(m, [rand((2, 3, 4, 5))], backend, host)
    if not host:
        keep = attrs.get("keepdims", 1)
        assert sorted(n.op for n in net.optimized().nodes) == (["GlobalAvgPool"] if keep else ["GlobalAvgPool", "View"])


@pytest.mark.parametrize("axis,bias,opset", [(-1, True, 17), (1, False, 17), (-3, True, 18), (0, True, 17)])
def test_layer_normalization(axis, bias, opset, backend):
    shape = (2, 3, 4, 5)
    norm = shape[axis % 4:]
    ins, inits = ["x", "s"], {"s": rand(norm, 1) + 1.0}
    if bias:
        ins, inits = ins + ["b"], {**inits, "b": rand(norm, 2)}
    m = model([H("LayerNormalization", ins, ["y"], axis=axis, epsilon=1e-6)], [("x", shape)], [("y", None)], inits,
              opset=opset)
    _check(m, [rand(shape, 0, 3.0)], backend, ["LayerNorm"], device_ops=["LayerNorm"])


def test_layer_normalization_stash_type_and_unread_outputs(backend):
    """stash_type=1 (float32, the default) and unread Mean/InvStdDev outputs run; reading them is
    refused naming the node."""
    inits = {"s": rand((5,), 1)}
    m = model([H("LayerNormalization", ["x", "s"], ["y", "mean", "isd"], stash_type=1)], [("x", [2, 3, 5])],
              [("y", None)], inits)
    _check(m, [rand((2, 3, 5))], backend, ["LayerNorm"], device_ops=["LayerNorm"])
    read = model([H("LayerNormalization", ["x", "s"], ["y", "mean"])], [("x", [2, 3, 5])], [("y", None), ("mean", None)],
                 inits)
    with pytest.raises(fpgaops.UnsupportedError, match="LayerNormalization_0"):
        fpgaops.load_onnx(read)


@pytest.mark.parametrize("op", ["Sub", "Div", "Pow"])
@pytest.mark.parametrize("other", ["runtime", "const_broadcast"])
def test_binary_host_ops_on_activations(op, other, backend):
    a = np.abs(rand((2, 3, 4), 0)) + 0.5  # positive: Pow with a fractional exponent is defined
    if other == "runtime":
        m = model([H(op, ["a", "b"], ["y"])], [("a", [2, 3, 4]), ("b", [3, 1])], [("y", None)])
        xs = [a, rand((3, 1), 1) + 2.0]
    else:
        m = model([H(op, ["a", "c"], ["y"])], [("a", [2, 3, 4])], [("y", None)], {"c": np.float32(1.5)})
        xs = [a]
    _check(m, xs, backend, [f"host:{op}"])


def test_sqrt_on_the_host(backend):
    x = np.abs(rand((2, 3, 4, 5), 0, 3.0))
    _check(model([H("Sqrt", ["x"], ["y"])], [("x", [2, 3, 4, 5])], [("y", None)]), [x], backend, ["host:Sqrt"])


def test_erf(backend):
    x = rand((2, 3, 4, 5), 0, 3.0)
    _check(model([H("Erf", ["x"], ["y"])], [("x", [2, 3, 4, 5])], [("y", None)]), [x], backend, ["Erf"],
           device_ops=["Erf"])


_GELU_CONSTS = {"r2": np.float32(np.sqrt(2)), "ir2": np.float32(1 / np.sqrt(2)), "one": np.float32(1),
                "half": np.float32(0.5)}


@pytest.mark.parametrize("form", ["torch", "swapped", "half_first", "mul_inv_sqrt2"])
def test_exact_gelu_as_exported_below_opset_20(form, backend):
    """torch's GELU below opset 20, x * 0.5 * (1 + erf(x / sqrt(2))) in its node orders: fused
    into one exact Gelu node."""
    div = H("Mul", ["x", "ir2"], ["d"]) if form == "mul_inv_sqrt2" else H("Div", ["x", "r2"], ["d"])
    nodes = [div, H("Erf", ["d"], ["e"]), H("Add", ["one", "e"] if form == "swapped" else ["e", "one"], ["p"])]
    if form == "half_first":
        nodes += [H("Mul", ["x", "half"], ["h"]), H("Mul", ["h", "p"], ["y"])]
    else:
        nodes += [H("Mul", ["p", "x"] if form == "swapped" else ["x", "p"], ["m"]),
                  H("Mul", ["half", "m"] if form == "swapped" else ["m", "half"], ["y"])]
    m = model(nodes, [("x", [1, 4, 3, 3])], [("y", None)], _GELU_CONSTS)
    _check(m, [rand((1, 4, 3, 3), 0, 3.0)], backend, ["Gelu"], device_ops=["Gelu"], atol=1e-6)


def test_gelu_pattern_with_a_shared_intermediate_is_not_fused():
    """An intermediate read elsewhere (here the Erf output is a graph output too) keeps the nodes."""
    nodes = [H("Div", ["x", "r2"], ["d"]), H("Erf", ["d"], ["e"]), H("Add", ["e", "one"], ["p"]),
             H("Mul", ["x", "p"], ["m"]), H("Mul", ["m", "half"], ["y"])]
    m = model(nodes, [("x", [1, 4, 3, 3])], [("y", None), ("e", None)], _GELU_CONSTS)
    ops = [n.op for n in fpgaops.load_onnx(m).optimized().nodes]
    assert "Gelu" not in ops and "Erf" in ops


def test_slice_on_activations(backend):
    m = model([H("Relu", ["x"], ["r"]), H("Slice", ["r", "st", "en", "ax", "sp"], ["y"])], [("x", [2, 6, 4, 4])],
              [("y", None)], {"st": _I64([1, -1]), "en": _I64([5, 0]), "ax": _I64([1, 3]), "sp": _I64([2, -1])}, opset=13)
    net = _check(m, [rand((2, 6, 4, 4))], backend, ["Slice"], device_ops=["Act", "Slice"])
    assert net.optimized().nodes[1].attrs == {"dims": [1, 3], "starts": [1, 3], "ends": [5, 0], "steps": [2, -1]}


@pytest.mark.parametrize("st,en,sp", [([-1], [-100], [-1]), ([0], [2**62], [1]), ([5], [-7], [-2])])
def test_slice_edge_cases(st, en, sp, backend):
    """Negative steps through the start (stop None), clamped ends, the whole dim (a View)."""
    m = model([H("Slice", ["x", "st", "en", "ax", "sp"], ["y"])], [("x", [2, 6])], [("y", None)],
              {"st": _I64(st), "en": _I64(en), "ax": _I64([1]), "sp": _I64(sp)}, opset=13)
    _check(m, [rand((2, 6))], backend, [] if st == [0] else ["Slice"])


@pytest.mark.parametrize("nodes,inputs,inits,opset,match", [
    ([H("ReduceMean", ["x"], ["y"], axes=[2, 5])], [("x", [1, 2, 3, 3])], {}, 17, "'ReduceMean_0'"),
    ([H("LayerNormalization", ["x", "s"], ["y"])], [("x", [1, 2, 3])], {"s": np.ones(3, np.float32)}, 16,
     "no LayerNormalization schema at opset 16"),
])
def test_new_host_ops_refused_cleanly(nodes, inputs, inits, opset, match):
    m = model(nodes, inputs, [("y", None)], inits, opset=opset)
    with pytest.raises(fpgaops.FpgaopsError, match=match):
        net = fpgaops.load_onnx(m)
        net.optimized(*[rand(s) for _n, s in inputs])
