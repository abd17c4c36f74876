"""Reference launcher for EltwiseCall: gather both operands exactly as the kernels index them
(three levels, strides 0 or dense), then evaluate the golden model."""
import numpy as np

from ...reference import eltwise as ref
from . import view


def operand(t, p, q, r, sp, sq, sr):
    flat = view(t).reshape(-1)
    idx = (np.arange(p)[:, None, None] * sp + np.arange(q)[None, :, None] * sq + np.arange(r)[None, None, :] * sr)
    return flat[idx]


def run(backend, call):
    a = operand(call.a, call.p, call.q, call.r, call.a_sp, call.a_sq, call.a_sr)
    b = operand(call.b, call.p, call.q, call.r, call.b_sp, call.b_sq, call.b_sr)
    out = view(call.y).reshape(-1)
    table = view(call.table) if call.table is not None else None
    if call.dtype == np.int8:
        y = ref.eltwise_int8(a, b, call.op, call.za, call.zb, call.zo, call.ma, call.mb, call.shift, table)
    else:
        y = ref.eltwise_float(a, b, call.op, call.kind, call.alpha, call.beta, table)
    out[:] = y.reshape(-1)
