"""OpenCL launcher for ErfCall: kernels/opencl/erf.cl (a contiguous chunk per work-item)."""
import numpy as np

from .act_lut import chunking, enqueue

i32 = np.int32


def run(backend, call):
    items, chunk = chunking(backend, call.count, 8)
    enqueue(backend, "erf", "erf_f32", (items,), (call.x.handle, call.y.handle, i32(call.count), i32(chunk),
                                                  i32(call.fn)))
