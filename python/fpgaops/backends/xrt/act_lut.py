"""xrt launcher for ActCall: fpgaops_act_f32 (its table is read only for table kinds: None binds a
placeholder) and fpgaops_act_i8 (whose 256-entry table argument is called lut)."""
import numpy as np


def run(backend, call):
    if np.dtype(call.dtype) == np.int8:
        backend.launch_call("fpgaops_act_i8", call, lut=call.table)
    else:
        backend.launch_call("fpgaops_act_f32", call)
