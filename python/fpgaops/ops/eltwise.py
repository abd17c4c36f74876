"""Element-wise add and mul with NumPy/PyTorch broadcasting and an optional fused activation.

    fo.add(x, shortcut, activation="relu")          # ResNet residual + ReLU
    fo.mul(x, se_gate)                               # squeeze-excitation: (N,C,H,W) * (N,C,1,1)

float32: one IEEE add/multiply per element (bit-exact on every backend), then the activation
(see ``fpgaops.ops.act_lut``). int8: both inputs are rescaled to the output scale with integer
multipliers and one shared shift (``fpgaops.reference.eltwise``); ``a_q``, ``b_q`` and ``out_q``
are required, bit-exact on every backend. A fused int8 activation is the exact table of the
activation from out_q to out_q applied to the int8 sum (so ``add(..., activation="relu")`` equals
``relu(add(...))`` with the intermediate quantized as out_q; for relu/relu6/hardtanh that is
exactly the clamp).

Broadcasting: the two shapes are merged into at most three (outer, middle, inner) levels where
each operand is either dense or repeated; that covers per-channel (N,C,1,1), per-row, bias and
scalar-like operands in any rank. Patterns needing more levels are expanded on the host for NumPy
inputs and refused (UnsupportedError) for device tensors.
"""
import dataclasses

import numpy as np

from .._validate import placement, to_device
from ..backends.base import KernelCall
from ..errors import ArgumentError, UnsupportedError
from ..reference import eltwise as ref
from ..tensor import Tensor
from .act_lut import check_input, check_qparams, kernel_args, resolve


@dataclasses.dataclass
class EltwiseCall(KernelCall):
    """One launch of fpgaops_eltwise_f32 / fpgaops_eltwise_i8.

    For p < P, q < Q, r < R (y dense, P x Q x R):
        A = a[p*a_sp + q*a_sq + r*a_sr],  B = b[p*b_sp + q*b_sq + r*b_sr]   (strides 0 repeat)
        float32: y = act(A + B) or act(A * B)            (op: 0 add, 1 mul; act as in ActCall)
        int8:    add: v = requantize((A - za) * ma + (B - zb) * mb, 1, shift)
                 mul: v = requantize((A - za) * (B - zb), ma, shift)
                 y = clamp(v + zo, -128, 127), then y = table[y + 128] when kind == LUT8
    Inner strides are 0 or 1.
    """

    family = "eltwise"
    dtype: np.dtype
    op: int
    a: Tensor
    b: Tensor
    y: Tensor
    p: int
    q: int
    r: int
    a_sp: int
    a_sq: int
    a_sr: int
    b_sp: int
    b_sq: int
    b_sr: int
    kind: int
    alpha: float
    beta: float
    table: Tensor | None
    za: int = 0
    zb: int = 0
    zo: int = 0
    ma: int = 0
    mb: int = 0
    shift: int = 0


MAX_LEVELS = 3  # broadcast levels (P, Q, R) the eltwise kernels stride; more are expanded on the host


def broadcast_levels(sa, sb):
    """(out_shape, levels) where levels is a list of (size, a_dense, b_dense) after merging
    adjacent dims with the same pattern; ArgumentError if the shapes do not broadcast."""
    try:
        out = tuple(np.broadcast_shapes(sa, sb))
    except ValueError:
        raise ArgumentError("b", f"shape {tuple(sb)} does not broadcast against a's shape {tuple(sa)}") from None
    pa = (1,) * (len(out) - len(sa)) + tuple(sa)
    pb = (1,) * (len(out) - len(sb)) + tuple(sb)
    levels = []
    for n, da, db in zip(out, pa, pb):
        if n == 1:
            continue
        pat = (da == n, db == n)
        if levels and levels[-1][1:] == pat:
            levels[-1] = (levels[-1][0] * n,) + pat
        else:
            levels.append((n,) + pat)
    return out, levels


def _strides(levels, which):
    """Element strides of one operand over the (P, Q, R) levels (0 where it repeats)."""
    strides, run = [], 1
    for size, *dense in reversed(levels):
        if dense[which]:
            strides.append(run)
            run *= size
        else:
            strides.append(0)
    return list(reversed(strides))


def _binary(op, a, b, activation, a_q, b_q, out_q):
    sa, dtype = check_input(a, "a")
    sb, dtype_b = check_input(b, "b")
    if dtype_b != dtype:
        raise ArgumentError("b", f"dtype {dtype_b} differs from a's {dtype}; both must be float32 or both int8")
    act = resolve(activation)
    q = check_qparams(dtype, [("a_q", a_q, True), ("b_q", b_q, True), ("out_q", out_q, True)])
    out, levels = broadcast_levels(sa, sb)
    if len(levels) > MAX_LEVELS:
        # more alternations than the kernel's three levels: make the repeated operand dense
        if isinstance(a, Tensor) or isinstance(b, Tensor):
            raise UnsupportedError(f"b: broadcasting {tuple(sa)} with {tuple(sb)} needs {len(levels)} levels (the "
                                   "kernel takes 3); expand one operand first or pass NumPy arrays")
        b = np.broadcast_to(b, out)
        out, levels = broadcast_levels(sa, out)
        if len(levels) > MAX_LEVELS:
            a = np.broadcast_to(a, out)
            out, levels = broadcast_levels(out, out)
    levels = [(1, True, True)] * (3 - len(levels)) + levels
    (p, q_, r) = (lv[0] for lv in levels)
    a_st, b_st = _strides(levels, 0), _strides(levels, 1)
    for name, st in (("a", a_st), ("b", b_st)):
        assert st[2] in (0, 1), (name, st)
    dev, as_tensor = placement(a, b)
    ta, tb = to_device(a, dev), to_device(b, dev)
    y = dev.empty(out, dtype)
    extra = {}
    if dtype == np.int8:
        if op == ref.ADD:
            ma, mb, shift = ref.add_multipliers(q["a_q"], q["b_q"], q["out_q"])
        else:
            (ma, shift), mb = ref.mul_multiplier(q["a_q"], q["b_q"], q["out_q"]), 0
        extra = dict(za=q["a_q"].zero_point, zb=q["b_q"].zero_point, zo=q["out_q"].zero_point, ma=ma, mb=mb,
                     shift=shift)
    kind, alpha, beta, table = kernel_args(act, dtype, dev, q.get("out_q"))
    dev.run(EltwiseCall(dtype, op, ta, tb, y, p, q_, r, *a_st, *b_st, kind, alpha, beta, table, **extra))
    return y if as_tensor else y.numpy()


def add(a, b, activation=None, *, a_q=None, b_q=None, out_q=None):
    """``activation(a + b)`` with broadcasting (``activation``: None, a name or an Activation)."""
    return _binary(ref.ADD, a, b, activation, a_q, b_q, out_q)


def mul(a, b, activation=None, *, a_q=None, b_q=None, out_q=None):
    """``activation(a * b)`` with broadcasting (``activation``: None, a name or an Activation)."""
    return _binary(ref.MUL, a, b, activation, a_q, b_q, out_q)
