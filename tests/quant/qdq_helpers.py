"""ONNX Runtime's own int8 QDQ models (quant_pre_process + quantize_static) for the QDQ tests."""
import os
import tempfile

import numpy as np


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
    return qdq, ort.InferenceSession(qdq, providers=["CPUExecutionProvider"])
