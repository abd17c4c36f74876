"""Pre-quantized ONNX QDQ models (onnxruntime.quantization.quantize_static) on the int8 kernels.

Measured (docs/int8.md): every layer's int8 codes equal ONNX Runtime's until the first rounding
tie decided differently (ORT requantizes in float32, fpgaops with the fixed-point rule of
fpgaops.quant); after that +-1 LSB differences propagate. The issue's "within 1 LSB of the
output scale on ResNet-18 and MobileNetV2" is NOT met end to end (3 and 8 LSB at 32x32 with random
weights); these tests guard what holds: all layers int8, bit-exact across backends, close to ORT.
"""
import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime.quantization")

import fpgaops  # noqa: E402
from fpgaops.graph.qdq import load_qdq  # noqa: E402

from qdq_helpers import ort_qdq  # noqa: E402


def images(n, size, seed):
    return np.random.default_rng(seed).standard_normal((n, 3, size, size)).astype(np.float32)


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2"])
def test_zoo_qdq_runs_int8_bit_exact_and_close_to_onnxruntime(require, name):
    proto = fpgaops.models.build_onnx(name, num_classes=10)
    qdq, sess = ort_qdq(proto.SerializeToString(), [images(1, 32, i) for i in range(4)])
    qnet = load_qdq(qdq)
    assert not qnet.float_nodes
    x = images(2, 32, 9)
    want = sess.run(None, {"input": x})[0]
    got = qnet(x, device="reference")
    lsb = qnet.qparams[qnet.output_names[0]].scale32
    diff = np.abs(got.astype(np.float64) - want) / lsb
    assert diff.max() <= 16, diff.max()
    cos = float(np.sum(got * want) / np.linalg.norm(got) / np.linalg.norm(want))
    assert cos > 0.99, cos
    for dev in ("csim", "opencl"):
        require(dev)
        np.testing.assert_array_equal(qnet(x, device=dev), got)


def test_qoperator_models_are_refused():
    import onnx
    from onnx import TensorProto, helper

    n = helper.make_node("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], ["y"])
    g = helper.make_graph([n], "g", [helper.make_tensor_value_info("a", TensorProto.UINT8, [1, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.UINT8, [1, 2])])
    with pytest.raises(fpgaops.UnsupportedError, match="QDQ format"):
        load_qdq(helper.make_model(g))
    del onnx
