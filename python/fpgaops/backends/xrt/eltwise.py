"""xrt launcher for EltwiseCall: fpgaops_eltwise_f32 / fpgaops_eltwise_i8 (arguments by name; the
int8 kernel takes the fused table as lut plus a use_lut flag)."""
import numpy as np

from ...reference import act_lut as act


def run(backend, call):
    if np.dtype(call.dtype) == np.int8:
        backend.launch_call("fpgaops_eltwise_i8", call, use_lut=int(call.kind == act.LUT8), lut=call.table)
    else:
        backend.launch_call("fpgaops_eltwise_f32", call)
