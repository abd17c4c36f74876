"""xrt launcher for PoolCall: the fpgaops_pool_f32 / fpgaops_pool_i8 kernels (arguments by name)."""
import numpy as np


def run(backend, call):
    backend.launch_call("fpgaops_pool_i8" if np.dtype(call.dtype) == np.int8 else "fpgaops_pool_f32", call)
