"""csim launcher for GemmCall: the fpgaops_gemm_f32 / fpgaops_gemm_i8 tops. The binding checks
every size again before the top runs (host/csim/gemm.cpp)."""
import numpy as np

from ...errors import DeviceError


def run(backend, call):
    fn = backend.module.gemm_f32 if call.dtype == np.float32 else backend.module.gemm_i8
    c = call.c.handle if call.c is not None else call.a.handle  # never read when beta == 0
    try:
        fn(call.a.handle, call.b.handle, c, call.y.handle, call.batch, call.m, call.n, call.k,
           call.stride_a, call.stride_b, call.stride_c if call.c is not None else 0, call.ldc,
           call.trans_a, call.trans_b, *((call.alpha,) if call.dtype == np.float32 else ()),
           call.beta if call.c is not None else 0)
    except (RuntimeError, ValueError) as e:
        raise DeviceError(f"csim gemm: {e}") from None
