"""Tiny ONNX CNNs built in the test (nothing downloaded): conv-relu-conv-relu-GAP-gemm."""
import numpy as np


def tiny_cnn(path, seed=0, cin=3, mid=8, classes=5, hw=8):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal((mid, cin, 3, 3)).astype(np.float32) * 0.3
    b1 = rng.standard_normal(mid).astype(np.float32) * 0.1
    w2 = rng.standard_normal((mid, mid, 3, 3)).astype(np.float32) * 0.2
    b2 = rng.standard_normal(mid).astype(np.float32) * 0.1
    wf = rng.standard_normal((classes, mid)).astype(np.float32) * 0.5
    bf = rng.standard_normal(classes).astype(np.float32) * 0.1
    inits = [numpy_helper.from_array(a, n) for a, n in
             [(w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"), (wf, "wf"), (bf, "bf")]]
    nodes = [helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["c2"], ["r2"]),
             helper.make_node("GlobalAveragePool", ["r2"], ["g"]),
             helper.make_node("Flatten", ["g"], ["f"]),
             helper.make_node("Gemm", ["f", "wf", "bf"], ["output"], transB=1)]
    g = helper.make_graph(nodes, f"tiny{seed}",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", cin, hw, hw])],
                          [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", classes])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(path))
    return str(path)
