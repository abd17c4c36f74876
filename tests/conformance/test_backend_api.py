"""fpgaops.onnx_backend as an onnx.backend.base.Backend: devices, prepare/run_model, inputs bound at
run time, errors."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx.backend.base import Backend, BackendRep  # noqa: E402

import fpgaops  # noqa: E402
import fpgaops.onnx_backend as ob  # noqa: E402

from graph_helpers import helper, model, ort_run, rand  # noqa: E402

H = helper.make_node


def relu_model():
    return model([H("Relu", ["x"], ["y"])], [("x", [2, 3])], [("y", None)])


def test_is_an_onnx_backend():
    assert issubclass(ob.FpgaopsBackend, Backend)
    assert ob.supports_device("CPU") and ob.supports_device("reference")
    assert not ob.supports_device("CUDA") and not ob.supports_device("no-such-device")
    bound = ob.backend_for("reference")
    assert bound.supports_device("CPU") and bound.DEVICE == "reference"


def test_prepare_and_run():
    x = rand((2, 3))
    for dev in ("reference", "CPU"):
        rep = ob.prepare(relu_model(), device=dev)
        assert isinstance(rep, BackendRep)
        out = rep.run([x])
        assert isinstance(out, tuple) and len(out) == 1
        np.testing.assert_array_equal(out[0], np.maximum(x, 0))
    np.testing.assert_array_equal(ob.run_model(relu_model(), {"x": x}, device="reference")[0], np.maximum(x, 0))
    assert ob.prepare(relu_model().SerializeToString(), "reference").run(x)[0].shape == (2, 3)


def test_bound_device_runs_there(backend):
    rep = ob.backend_for(backend).prepare(relu_model(), "CPU")
    assert rep.device.name == backend
    x = rand((2, 3))
    np.testing.assert_array_equal(rep.run([x])[0], np.maximum(x, 0))


def test_shape_inputs_bound_at_run_time():
    """A Reshape whose target shape is a graph input: bound as a constant per value (cached)."""
    m = model([H("Reshape", ["x", "s"], ["y"])], [("x", [2, 6])], [("y", None)])
    m.graph.input.append(helper.make_tensor_value_info("s", onnx.TensorProto.INT64, [2]))
    rep = ob.prepare(m, "reference")
    x = rand((2, 6))
    for shape in ([3, 4], [4, 3], [3, 4]):
        s = np.array(shape, np.int64)
        got = rep.run([x, s])[0]
        np.testing.assert_array_equal(got, ort_run(m, x, s)[0])
    assert len(rep._nets) == 2


@pytest.mark.parametrize("call,err", [
    (lambda: ob.prepare(relu_model(), "CUDA"), fpgaops.UnsupportedError),
    (lambda: ob.prepare(relu_model(), "reference", no_such_option=1), fpgaops.ArgumentError),
    (lambda: ob.prepare(relu_model(), "reference").run([rand((2, 3)), rand((2, 3))]), fpgaops.ArgumentError),
    (lambda: ob.prepare(relu_model(), "reference").run({"z": rand((2, 3))}), fpgaops.ArgumentError),
    (lambda: ob.prepare(b"not a model", "reference"), fpgaops.ModelError),
    (lambda: ob.run_node(H("Relu", ["x"], ["y"]), [rand((2, 3))]), fpgaops.UnsupportedError),
])
def test_errors_are_fpgaops_errors(call, err):
    with pytest.raises(err):
        call()
