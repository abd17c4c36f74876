"""fpgaops: hand-optimized FPGA kernels for CNN inference, as NumPy-in / NumPy-out tensor ops.

    import fpgaops as fo
    fo.devices()                       # reference, csim, opencl (, xrt) with versions
    y = fo.matmul(a, b)                # on the default (fastest available) device
    with fo.device("csim"):            # the HLS kernel tops, C-simulated
        y = fo.linear(x, w, bias)
"""
from . import config
from .backends import current_device, device, devices, get_device, set_device
from .errors import (ArgumentError, ArgumentTypeError, BuildError, ConfigError, DeviceError, FpgaopsError,
                     UnsupportedError)
from .ops.gemm import gemm, linear, matmul
from .ops.conv2d import conv2d
from .ops.act_lut import (Activation, activation, gelu, hardsigmoid, hardswish, hardtanh, leaky_relu, relu, relu6,
                          sigmoid, silu, tanh)
from .ops.eltwise import add, mul
from .ops.movement import concat, pad, permute, slice, split
from .ops.norm import layer_norm
from .ops.erf import erf, gelu_exact
from .ops.resize import resize
from .ops.pool import adaptive_avg_pool2d, avg_pool2d, global_avg_pool2d, max_pool2d
from .ops.shape import flatten, reshape
from .ops.softmax import softmax
from .quant import QParams
from .tensor import Tensor
from .transfer import to_device

__version__ = "0.1.0"

__all__ = [
    "config", "devices", "device", "set_device", "get_device", "current_device", "Tensor", "to_device",
    "matmul", "gemm", "linear", "conv2d",
    "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "global_avg_pool2d",
    "activation", "Activation", "relu", "relu6", "leaky_relu", "hardtanh", "sigmoid", "tanh", "hardsigmoid",
    "hardswish", "silu", "gelu", "add", "mul", "softmax", "flatten", "reshape", "QParams",
    "concat", "split", "slice", "permute", "pad", "layer_norm", "erf", "gelu_exact", "resize",
    "FpgaopsError", "ArgumentError", "ArgumentTypeError", "ConfigError", "UnsupportedError", "DeviceError",
    "BuildError",
    "load_onnx", "from_torch", "Network", "ModelError", "UnsupportedOpsError", "models", "estimate", "estimator",
    "compare", "QuantizedNetwork", "load_qdq",
]


# Networks (issue 5): imported on first use so `import fpgaops` stays fast and needs neither onnx nor torch.
_LAZY = {"load_onnx": ("graph", "load_onnx"), "from_torch": ("graph", "from_torch"), "Network": ("graph", "Network"),
         "ModelError": ("graph", "ModelError"), "UnsupportedOpsError": ("graph", "UnsupportedOpsError"),
         "models": ("models", None),
         # Estimator (issue 7): fpgaops.estimate(net, platform=...) is the function, the module is fpgaops.estimator.
         "estimate": ("estimator", "estimate"), "estimator": ("estimator", None),
         # int8 post-training quantization (issue 6): Network.quantize -> QuantizedNetwork; accuracy report.
         "compare": ("graph.compare", "compare"), "QuantizedNetwork": ("graph.quantize", "QuantizedNetwork"),
         # pre-quantized ONNX models (QDQ or QOperator) on the int8 kernels
         "load_qdq": ("graph.qdq", "load_qdq")}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        m = importlib.import_module(f"{__name__}.{mod}")
        return m if attr is None else getattr(m, attr)
    raise AttributeError(f"module 'fpgaops' has no attribute {name!r}")
