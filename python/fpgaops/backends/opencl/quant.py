"""int8 quantize / dequantize of device tensors (kernels/opencl/quant.cl), bit-exact with
fpgaops.quant.quantize / dequantize. Not an op family: a device-side helper of the int8 network
runner (OpenCLBackend.quantize_tensor / dequantize_tensor), used where the device has float64."""
import numpy as np

from .act_lut import chunking, enqueue

VEC = 8  # elements per chunk multiple


def has_fp64(backend):
    return "cl_khr_fp64" in backend.device.extensions


def quantize(backend, x, scale, zero_point):
    """float32 Tensor -> new int8 Tensor: clip(rint(x / scale) + zero_point) (float64)."""
    return _convert(backend, "quantize_f32", x, np.int8, scale, zero_point)


def dequantize(backend, x, scale, zero_point):
    """int8 Tensor -> new float32 Tensor: float32(scale * (x - zero_point)) (float64)."""
    return _convert(backend, "dequantize_i8", x, np.float32, scale, zero_point)


def _convert(backend, kernel, x, dtype, scale, zero_point):
    """One element-wise pass of kernels/opencl/quant.cl into a new ``dtype`` Tensor."""
    y = backend.empty(x.shape, dtype)
    items, chunk = chunking(backend, x.size, VEC)
    enqueue(backend, "quant", kernel, (items,),
            (x.handle, y.handle, np.int32(x.size), np.int32(chunk), np.float64(scale), np.int32(zero_point)))
    return y
