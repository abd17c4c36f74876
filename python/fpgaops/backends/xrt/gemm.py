"""xrt launcher for GemmCall: the fpgaops_gemm_f32 / fpgaops_gemm_i8 kernels of the loaded xclbin.

Arguments go by name (tops.hpp's names, which the xclbin's metadata carries and GemmCall's fields
reuse); the backend binds each buffer in the bank its port is connected to and the native module
checks every scalar against its C type. Without C (beta == 0) the kernel never reads it, so a
placeholder buffer is bound (None)."""
import numpy as np

KERNELS = {np.dtype(np.float32): "fpgaops_gemm_f32", np.dtype(np.int8): "fpgaops_gemm_i8"}


def run(backend, call):
    has_c = call.c is not None
    extra = {"c": call.c if has_c else None, "stride_c": call.stride_c if has_c else 0}
    if np.dtype(call.dtype) == np.float32:
        extra.update(alpha=float(call.alpha), beta=float(call.beta) if has_c else 0.0)
    else:
        extra.update(beta=int(call.beta) if has_c else 0)
    backend.launch_call(KERNELS[np.dtype(call.dtype)], call, **extra)
