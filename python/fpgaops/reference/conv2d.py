"""Golden model of conv2d (every algorithm: im2col, winograd, dwconv compute the same function)
and its float32 error bound.

    acc[n, k, p, q] = sum_{c, r, s} X[n, g*Cg + c, p*sh - pt + r*dh, q*sw - pl + s*dw] * W[k, c, r, s]

with g = k // Kg (Cg = C / groups, Kg = K / groups) and out-of-range input taps contributing 0
(int8: taps are (X - x_zero_point), so padding is the real value 0).

float32: ``y = act(acc + bias + residual)`` evaluated in float64 and rounded once to float32.
int8: acc is exact (int64 here, int32 in the kernels, equal because ``ops.conv2d`` bounds C*R*S);
``acc32 = wrap32(acc + bias)``; then ``fpgaops.quant``'s one rule:

    y = clamp(requantize(acc32, mult[k], shift[k]) + y_zp
              [+ requantize(residual - res_zp, res_mult, res_shift)],  lo, hi)

where [lo, hi] is the int8 range narrowed by the fused activation (``quant.act_range``).
"""
import numpy as np

from .. import quant
from . import act_lut as act_ref

U32 = 2.0 ** -24


def _padded(x, pt, pl, oh, ow, r, s, sh, sw, dh, dw, fill):
    """x padded so that every tap of every output is in range (bottom/right as needed)."""
    n, c, h, w = x.shape
    hp = max(h + pt, (oh - 1) * sh + (r - 1) * dh + 1)
    wp = max(w + pl, (ow - 1) * sw + (s - 1) * dw + 1)
    out = np.full((n, c, hp, wp), fill, x.dtype)
    # negative-offset windows never occur: pt, pl >= 0
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out


def accumulate(x, w, stride, pad, dilation, groups, out_hw, x_zero_point=0):
    """The exact accumulator (float64 or int64), shape (N, K, OH, OW). Written for clarity: one
    shifted-window product per filter tap."""
    sh, sw = stride
    pt, pl = pad
    dh, dw = dilation
    oh, ow = out_hw
    n, c, h, wd = x.shape
    k, cg, r, s = w.shape
    kg = k // groups
    integer = x.dtype == np.int8
    dt = np.int64 if integer else np.float64
    xd = x.astype(dt) - (x_zero_point if integer else 0)
    xp = _padded(xd, pt, pl, oh, ow, r, s, sh, sw, dh, dw, 0)
    wd_ = w.astype(dt)
    acc = np.zeros((n, k, oh, ow), dt)
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = wd_[g * kg:(g + 1) * kg]
        for i in range(r):
            for j in range(s):
                win = xs[:, :, i * dh: i * dh + (oh - 1) * sh + 1: sh, j * dw: j * dw + (ow - 1) * sw + 1: sw]
                acc[:, g * kg:(g + 1) * kg] += np.einsum("nchw,kc->nkhw", win, ws[:, :, i, j])
    return acc


def conv2d_float(x, w, bias, stride, pad, dilation, groups, out_hw, activation=None, residual=None):
    acc = accumulate(x, w, stride, pad, dilation, groups, out_hw)
    if bias is not None:
        acc += bias.astype(np.float64)[None, :, None, None]
    if residual is not None:
        acc += residual.astype(np.float64)
    if activation == "relu":
        acc = np.maximum(acc, 0)
    elif activation == "relu6":
        acc = np.clip(acc, 0, 6)
    elif activation in ("hardsigmoid", "hardswish"):  # the float32 closed forms, on the float32 value
        kind = act_ref.HARDSIGMOID if activation == "hardsigmoid" else act_ref.HARDSWISH
        return act_ref.apply_float(acc.astype(np.float32), kind)
    elif activation in ("sigmoid", "silu"):  # the exact functions (the kernels: within ACT_ULPS)
        acc = act_ref.exact(activation, acc)
    return acc.astype(np.float32)


# The Lipschitz constants of the smooth epilogue activations (max |f'|: silu's is 1.0998 at
# x = 2.3994) and the kernels' error bound on evaluating them, in units of 2**-24 of |f(v)|: the
# closed forms of kernels/opencl/act_closed.h, exp (<= 3 ulp, OpenCL), 1 + e, the division
# (<= 2.5 ulp) and one or two products -- at most about 8 ulp = 16 * 2**-24; doubled for margin.
ACT_LIPSCHITZ = {"sigmoid": 0.25, "silu": 1.1}
ACT_ULPS = 32


def wrap32(v):
    return ((np.asarray(v, np.int64) + 2**31) % 2**32 - 2**31).astype(np.int64)


def conv2d_int8(x, w, bias, stride, pad, dilation, groups, out_hw, *, x_zero_point, mult, shift, y_zero_point,
                lo=-128, hi=127, residual=None, res_zero_point=0, res_mult=0, res_shift=0):
    acc = accumulate(x, w, stride, pad, dilation, groups, out_hw, x_zero_point)
    if bias is not None:
        acc = acc + bias.astype(np.int64)[None, :, None, None]
    acc = wrap32(acc)
    k = w.shape[0]
    v = quant.requantize(acc, np.asarray(mult).reshape(1, k, 1, 1), np.asarray(shift).reshape(1, k, 1, 1))
    v = v + int(y_zero_point)
    if residual is not None:
        v = v + quant.requantize(residual.astype(np.int64) - int(res_zero_point), res_mult, res_shift)
    return np.clip(v, lo, hi).astype(np.int8)


def tolerance(x, w, bias, stride, pad, dilation, groups, out_hw, residual=None, winograd_m=0, activation=None):
    """Per-element bound on |y_float32 - y_exact| (before the activation, which is 1-Lipschitz;
    ``activation`` "sigmoid" / "silu": the bound after them, ACT_LIPSCHITZ and ACT_ULPS).

    Direct summation (im2col, dwconv), any order: gamma_{CRS+2} * (|X| * |W| + |b| + |res|)
    (Higham), plus the final rounding. Winograd F(m x m, 3x3): the transforms mix the (m+2)^2
    inputs of a tile, so the magnitude term uses, per input channel, the largest |X| of that
    channel (over the whole image) times sum|W|, scaled by FLOAT_ERROR_FACTOR[m].
    """
    from .winograd import FLOAT_ERROR_FACTOR

    k, cg, r, s = w.shape
    n_terms = cg * r * s + 2
    gamma = n_terms * U32 / (1 - n_terms * U32)
    mag = np.abs(accumulate(np.abs(x).astype(np.float32), np.abs(w), stride, pad, dilation, groups, out_hw))
    if winograd_m:
        xmax = np.abs(x.astype(np.float64)).max(axis=(2, 3))                  # (N, C)
        wsum = np.abs(w.astype(np.float64)).sum(axis=(2, 3))                  # (K, C)
        tile = np.einsum("nc,kc->nk", xmax, wsum)[:, :, None, None]
        mag = np.maximum(mag, FLOAT_ERROR_FACTOR[winograd_m] * tile)
    if bias is not None:
        mag = mag + np.abs(bias.astype(np.float64))[None, :, None, None]
    if residual is not None:
        mag = mag + np.abs(residual.astype(np.float64))
    exact = conv2d_float(x, w, bias, stride, pad, dilation, groups, out_hw, None, residual)
    tol = gamma * mag + U32 * np.abs(exact.astype(np.float64)) + np.finfo(np.float32).tiny
    if activation in ACT_LIPSCHITZ:  # |f~(v~) - f(v)| <= L |v~ - v| + c |f(v~)|, |f(v~)| <= |f(v)| + L |v~ - v|
        lip = ACT_LIPSCHITZ[activation]
        fv = np.abs(act_ref.exact(activation, exact.astype(np.float64)))
        tol = lip * tol + ACT_ULPS * U32 * (fv + lip * tol) + np.finfo(np.float32).tiny
    return tol
