"""csim launcher for ActCall: the fpgaops_act_f32 / fpgaops_act_i8 tops (host/csim/act_lut.cpp)."""
import numpy as np

from ...errors import DeviceError


def run(backend, call):
    try:
        if call.dtype == np.int8:
            backend.module.act_i8(call.x.handle, call.y.handle, call.count, call.table.handle)
        else:
            table = call.table.handle if call.table is not None else call.x.handle  # read only for TABLE
            backend.module.act_f32(call.x.handle, call.y.handle, call.count, call.kind, call.alpha, call.beta, table)
    except (RuntimeError, ValueError) as e:
        raise DeviceError(f"csim act_lut: {e}") from None
