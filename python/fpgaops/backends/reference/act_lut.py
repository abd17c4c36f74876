"""Reference launcher for ActCall: the golden model applied to the flat buffer."""
import numpy as np

from ...reference import act_lut as ref
from . import view


def run(backend, call):
    x = view(call.x).reshape(-1)[: call.count]
    out = view(call.y).reshape(-1)
    if call.dtype == np.int8:
        out[: call.count] = ref.apply_int8(x, view(call.table))
    else:
        table = view(call.table) if call.table is not None else None
        out[: call.count] = ref.apply_float(x, call.kind, call.alpha, call.beta, table)
