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
from .tensor import Tensor, to_device

__version__ = "0.1.0"

__all__ = [
    "config", "devices", "device", "set_device", "get_device", "current_device", "Tensor", "to_device",
    "matmul", "gemm", "linear",
    "FpgaopsError", "ArgumentError", "ArgumentTypeError", "ConfigError", "UnsupportedError", "DeviceError",
    "BuildError",
]
