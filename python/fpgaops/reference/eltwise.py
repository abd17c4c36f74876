"""Golden model of the element-wise family: add and mul with broadcasting and a fused activation.

float32: ``y = act(a + b)`` / ``act(a * b)``; the add or multiply is one IEEE float32 operation
(bit-exact on every backend), the activation is ``fpgaops.reference.act_lut.apply_float`` (exact
for the closed-form kinds, within ``act_lut.tolerance`` for tables).

int8 (per-tensor QParams for a, b and the output; d_x = q_x - z_x, |d_x| <= 255), with the one
requantization rule of ``fpgaops.quant``:

    add:  q = clamp(z_out + requantize(d_a * m_a + d_b * m_b, 1, shift))
    mul:  q = clamp(z_out + requantize(d_a * d_b, m, shift))
    then, with a fused activation, q = lut[q + 128] (its table maps out_q to out_q)

The multipliers come from ``add_multipliers`` / ``mul_multiplier`` (computed once on the host).
"""
import numpy as np

from .. import quant
from . import act_lut

ADD, MUL = 0, 1
OP_NAMES = {ADD: "add", MUL: "mul"}


def add_multipliers(a_q, b_q, out_q):
    """(m_a, m_b, shift): m_x / 2**shift ~ scale_x / scale_out, one shared shift."""
    (ma, mb), shift = quant.quantize_multipliers([a_q.scale32 / out_q.scale32, b_q.scale32 / out_q.scale32])
    return ma, mb, shift


def mul_multiplier(a_q, b_q, out_q):
    """(m, shift): m / 2**shift ~ scale_a * scale_b / scale_out."""
    return quant.quantize_multiplier(a_q.scale32 * b_q.scale32 / out_q.scale32)


def eltwise_float(a, b, op, kind=act_lut.NONE, alpha=0.0, beta=0.0, table=None):
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        y = (a + b) if op == ADD else (a * b)
    return act_lut.apply_float(y.astype(np.float32), kind, alpha, beta, table)


def eltwise_int8(a, b, op, za, zb, zo, ma, mb, shift, lut=None):
    da = np.asarray(a).astype(np.int64) - za
    db = np.asarray(b).astype(np.int64) - zb
    if op == ADD:
        v = quant.requantize(da * ma + db * mb, 1, shift)
    else:
        v = quant.requantize(da * db, ma, shift)
    q = quant.clamp_int8(v + zo)
    return act_lut.apply_int8(q, lut) if lut is not None else q


def add(a, b, a_q=None, b_q=None, out_q=None, lut=None):
    """Convenience front end on NumPy arrays (broadcasting as NumPy does)."""
    if np.asarray(a).dtype == np.int8:
        ma, mb, s = add_multipliers(a_q, b_q, out_q)
        return eltwise_int8(a, b, ADD, a_q.zero_point, b_q.zero_point, out_q.zero_point, ma, mb, s, lut)
    return eltwise_float(a, b, ADD)


def mul(a, b, a_q=None, b_q=None, out_q=None, lut=None):
    if np.asarray(a).dtype == np.int8:
        m, s = mul_multiplier(a_q, b_q, out_q)
        return eltwise_int8(a, b, MUL, a_q.zero_point, b_q.zero_point, out_q.zero_point, m, 0, s, lut)
    return eltwise_float(a, b, MUL)
