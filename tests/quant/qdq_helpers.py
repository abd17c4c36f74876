"""ONNX Runtime's own int8 QDQ models (quant_pre_process + quantize_static) for the QDQ tests."""
import os
import tempfile

import numpy as np

from fpgaops.graph.qdq import exact_int8_session


def ort_qdq(model_bytes, calib, input_name="input", qoperator=False, **options):
    """(int8 model bytes, onnxruntime session) calibrated on ``calib`` (a list of batches): QDQ
    format, or QOperator (QLinearConv, ...) with ``qoperator=True``; ``options`` go to
    ``quantize_static`` (e.g. reduce_range=True)."""
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{input_name: np.ascontiguousarray(c, np.float32)} for c in calib])

        def get_next(self):
            return next(self.it, None)

    with tempfile.TemporaryDirectory() as d:
        src, pre, dst = (os.path.join(d, f) for f in ("f32.onnx", "pre.onnx", "qdq.onnx"))
        with open(src, "wb") as f:
            f.write(model_bytes)
        quant_pre_process(src, pre)
        quantize_static(pre, dst, Reader(), quant_format=QuantFormat.QOperator if qoperator else QuantFormat.QDQ,
                        **options)
        with open(dst, "rb") as f:
            qdq = f.read()
    return qdq, exact_int8_session(ort, qdq)  # exact on CPUs without VNNI too (see there)


def exact_codes(qnet, n, codes):
    """The unrounded output code of int8 layer ``n`` computed in float64 from the input ``codes``
    (the operator's definition: real result / output scale + output zero point)."""
    from fpgaops.reference.conv2d import accumulate

    qy = qnet.qparams[n.outputs[0]]
    if n.op == "Add":
        (a, qa), (b, qb) = [(codes[i].astype(np.float64), qnet.qparams[i]) for i in n.inputs[:2]]
        return (qa.scale32 * (a - qa.zero_point) + qb.scale32 * (b - qb.zero_point)) / qy.scale32 + qy.zero_point
    layer, qx, x = qnet._layers[n.name], qnet.qparams[n.inputs[0]], codes[n.inputs[0]]
    a = n.attrs
    if n.op == "Conv":
        out_hw = codes[n.outputs[0]].shape[2:]
        acc = accumulate(x, layer.weight, a["stride"], a["padding"], a["dilation"], a["groups"], out_hw, qx.zero_point)
    else:  # Gemm / MatMul: a 1x1 conv of the (M, K) input
        acc = accumulate(x[:, :, None, None], layer.weight, (1, 1), (0, 0), (1, 1), 1, (1, 1), qx.zero_point)
    k = (1, -1, 1, 1)
    v = (acc + layer.bias.reshape(k)) * qx.scale32 * layer.weight_scale.reshape(k) / qy.scale32 + qy.zero_point
    return v.reshape(codes[n.outputs[0]].shape)


def check_differences_are_onnxruntime_rounding(qnet, x):
    """Where fpgaops's and ONNX Runtime's codes of a layer differ (given the same input codes),
    fpgaops's is the correctly rounded value of the operator and ONNX Runtime's is not."""
    ort = qnet.onnxruntime_codes(x)
    feed = {v: ort[q] for v, q in qnet.source_names.items() if q in ort}
    for v, (n, ours, _) in qnet.codes(x, device="reference", feed=feed).items():
        theirs = ort[qnet.source_names[v]]
        where = np.nonzero(ours != theirs)
        if not where[0].size:
            continue
        assert n.op in ("Conv", "Gemm", "MatMul", "Add"), (n.name, n.op)
        exact = np.clip(exact_codes(qnet, n, {**feed, v: ours}), -128, 127)[where]
        assert np.all(np.abs(ours[where] - exact) <= 0.5 + 1e-9), (n.name, ours[where], exact)
        assert np.all(np.abs(theirs[where] - exact) >= 0.5 - 1e-9), (n.name, theirs[where], exact)
