"""Helpers for the importer tests: tiny ONNX models built with onnx.helper, ORT as the oracle,
and running a Network on the test's backend (skipping while an op is not implemented yet)."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import fpgaops  # noqa: E402

# float32 network outputs against ONNX Runtime: per output, max |err| <= ATOL + RTOL * max |ORT|
ATOL, RTOL = 1e-4, 1e-3


def ir_version(opset):
    return 10 if opset >= 21 else 8


def model(nodes, inputs, outputs, inits=(), opset=17):
    """inputs/outputs: [(name, shape)], inits: {name: array}."""
    vi = lambda n, s: helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s) if s is not None else None)
    g = helper.make_graph(nodes, "test", [vi(n, s) for n, s in inputs], [vi(n, s) for n, s in outputs],
                          [numpy_helper.from_array(np.asarray(v), k) for k, v in dict(inits).items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=ir_version(opset))


def ort_run(m, *xs):
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {i.name: x for i, x in zip(sess.get_inputs(), xs)})


def close(got, want, atol=ATOL, rtol=RTOL):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape
    err = np.max(np.abs(got - want)) if got.size else 0.0
    assert err <= atol + rtol * np.max(np.abs(want)), f"max |err| {err:.3e}, max |ref| {np.max(np.abs(want)):.3e}"


def run_on(net, backend, *xs):
    """net(*xs) on ``backend``; every op the net needs must exist on every backend."""
    assert not net.missing_ops(), f"fpgaops lacks {net.missing_ops()}"
    return net.run(*xs, device=backend)


def rand(shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)
