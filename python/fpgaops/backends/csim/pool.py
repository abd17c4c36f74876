"""csim launcher for PoolCall: the fpgaops_pool_f32 / fpgaops_pool_i8 tops (the binding checks
every size again, host/csim/pool.cpp)."""
import numpy as np

from ...errors import DeviceError


def run(backend, call):
    args = (call.x.handle, call.y.handle, call.planes, call.kind, int(call.adaptive), int(call.count_include_pad),
            call.h, call.oh, call.kh, call.sh, call.ph, call.dh, call.w, call.ow, call.kw, call.sw, call.pw, call.dw,
            call.open_rows)
    try:
        if call.dtype == np.int8:
            backend.module.pool_i8(*args, call.zero_point)
        else:
            backend.module.pool_f32(*args)
    except (RuntimeError, ValueError) as e:
        raise DeviceError(f"csim pool: {e}") from None
