"""csim launcher for EltwiseCall: the fpgaops_eltwise_f32 / fpgaops_eltwise_i8 tops
(host/csim/eltwise.cpp)."""
import numpy as np

from ...errors import DeviceError
from ...reference import act_lut as act


def run(backend, call):
    geo = (call.op, call.p, call.q, call.r, call.a_sp, call.a_sq, call.a_sr, call.b_sp, call.b_sq, call.b_sr)
    table = call.table.handle if call.table is not None else call.a.handle  # read only with a table
    try:
        if call.dtype == np.int8:
            backend.module.eltwise_i8(call.a.handle, call.b.handle, call.y.handle, *geo, int(call.kind == act.LUT8),
                                      table, call.za, call.zb, call.zo, call.ma, call.mb, call.shift)
        else:
            backend.module.eltwise_f32(call.a.handle, call.b.handle, call.y.handle, *geo, call.kind, call.alpha,
                                       call.beta, table)
    except (RuntimeError, ValueError) as e:
        raise DeviceError(f"csim eltwise: {e}") from None
