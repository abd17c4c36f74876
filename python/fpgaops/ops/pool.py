"""Pooling (``torch.nn.functional`` semantics): max_pool2d, avg_pool2d, adaptive_avg_pool2d,
global_avg_pool2d on (N, C, H, W) or (C, H, W) inputs, float32 and int8.

float32: max is exact (NaN in a window gives NaN, like PyTorch); averages agree with the
reference within ``fpgaops.reference.pool.tolerance`` (any summation order). int8: max works on
the codes directly; averages need ``x_q`` (its zero point: padding is the real value 0) and round
half to even -- bit-exact on every backend, output quantized like the input.

Arguments are checked as PyTorch does (padding at most half the kernel, a positive output size)
plus the kernel limits of kernels/config ``[pool]``; every error names the argument.
"""
import dataclasses
import numbers

import numpy as np

from .. import config
from .._validate import check_bool, placement, to_device
from ..backends.base import KernelCall
from ..errors import ArgumentError, ArgumentTypeError, UnsupportedError
from ..reference import pool as ref
from ..tensor import Tensor
from .act_lut import check_input, check_qparams


@dataclasses.dataclass
class PoolCall(KernelCall):
    """One launch of fpgaops_pool_f32 / fpgaops_pool_i8 over ``planes`` dense H x W planes.

    For each plane and output (i, j) (y dense, planes x OH x OW), with the windows of
    fpgaops.reference.pool (regular rows {i*sh - ph + t*dh : t < kh} ∩ [0, H), or adaptive bins
    [floor(i*H/OH), ceil((i+1)*H/OH)) when ``adaptive``; columns likewise):
        kind 0 (MAX):  y = max of the window (NaN propagates; empty window -> -inf / -128)
        kind 1 (AVG):  y = sum / divisor (divisor: count_include_pad rule of the reference);
                       int8: zero_point + round_half_even(sum(x - zero_point) / divisor)
    ``open_rows`` is the number of output-row accumulators the streaming HLS engine needs
    (reference.pool.open_rows); ``kh`` / ``kw`` are the largest bins when adaptive.
    """

    family = "pool"
    dtype: np.dtype
    x: Tensor
    y: Tensor
    planes: int
    kind: int
    adaptive: bool
    count_include_pad: bool
    h: int
    oh: int
    kh: int
    sh: int
    ph: int
    dh: int
    w: int
    ow: int
    kw: int
    sw: int
    pw: int
    dw: int
    zero_point: int
    open_rows: int


def _pair(name, v, lo):
    """An int or a pair of ints, each >= lo, as a pair; errors name the argument."""
    vals = (v, v) if isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) else v
    if not isinstance(vals, (tuple, list)) or len(vals) != 2:
        raise ArgumentTypeError(name, f"expected an int or a pair of ints, got {v!r}")
    out = []
    for e in vals:
        if isinstance(e, (bool, np.bool_)) or not isinstance(e, numbers.Integral):
            raise ArgumentTypeError(name, f"expected an int or a pair of ints, got {v!r}")
        if e < lo:
            raise ArgumentError(name, f"expected values >= {lo}, got {v!r}")
        out.append(int(e))
    return tuple(out)


def _input(x):
    shape, dtype = check_input(x)
    if len(shape) not in (3, 4):
        raise ArgumentError("x", f"expected a 3-D (C, H, W) or 4-D (N, C, H, W) array, got shape {shape}")
    return shape, dtype


# int8 sums of (q - zero_point), |q - zero_point| <= 255, stay exact in int32
INT8_MAX_TAPS = (2**31 - 1) // 255


def _limits(ah, aw, adaptive, dtype):
    cfg = config.current().pool
    if aw.n > cfg.max_width or aw.o > cfg.max_width:
        raise UnsupportedError(f"x: width {aw.n} (output {aw.o}) exceeds the pool engine's row buffer "
                               f"(kernel config pool.max_width = {cfg.max_width})")
    if not adaptive:
        for name, a in (("kernel_size", ah), ("kernel_size", aw)):
            extent = a.d * (a.k - 1) + 1
            if extent > cfg.max_kernel:
                raise UnsupportedError(f"{name}: window extent {extent} (dilation * (kernel - 1) + 1) exceeds "
                                       f"kernel config pool.max_kernel = {cfg.max_kernel}")
    taps = max(len(ah.taps(i)) for i in range(ah.o)) * max(len(aw.taps(j)) for j in range(aw.o))
    if dtype == np.int8 and taps > INT8_MAX_TAPS:
        raise UnsupportedError(f"x: an int8 average over {taps} elements could overflow the int32 accumulator "
                               f"(at most {INT8_MAX_TAPS})")
    rows = ref.open_rows(ah)
    if rows > cfg.max_open_rows:
        raise UnsupportedError(f"kernel_size: this geometry keeps {rows} output rows open at once, more than the "
                               f"pool engine's kernel config pool.max_open_rows = {cfg.max_open_rows}")
    return rows


def _launch(x, shape, dtype, kind, ah, aw, count_include_pad, zero_point, adaptive):
    rows = _limits(ah, aw, adaptive, dtype)
    planes = int(np.prod(shape[:-2], dtype=np.int64))
    dev, as_tensor = placement(x)
    tx = to_device(x, dev)
    y = dev.empty(tuple(shape[:-2]) + (ah.o, aw.o), dtype)
    dev.run(PoolCall(dtype, tx, y, planes, kind, adaptive, bool(count_include_pad), ah.n, ah.o, ah.k, ah.s, ah.p,
                     ah.d, aw.n, aw.o, aw.k, aw.s, aw.p, aw.d, int(zero_point), rows))
    return y if as_tensor else y.numpy()


def _regular_axes(shape, kernel_size, stride, padding, dilation, ceil_mode):
    (kh, kw) = _pair("kernel_size", kernel_size, 1)
    (sh, sw) = _pair("stride", stride, 1) if stride is not None and stride != () and stride != [] else (kh, kw)
    (ph, pw) = _pair("padding", padding, 0)
    (dh, dw) = _pair("dilation", dilation, 1)
    ceil_mode = check_bool("ceil_mode", ceil_mode)
    if ph > kh // 2 or pw > kw // 2:
        raise ArgumentError("padding", f"{(ph, pw)} must be at most half the kernel size {(kh, kw)}")
    h, w = shape[-2:]
    oh = ref.out_size(h, kh, sh, ph, dh, ceil_mode)
    ow = ref.out_size(w, kw, sw, pw, dw, ceil_mode)
    if oh < 1 or ow < 1:
        raise ArgumentError("kernel_size", f"window {(kh, kw)} (dilation {(dh, dw)}, padding {(ph, pw)}) is larger than "
                            f"the padded input {(h + 2 * ph, w + 2 * pw)}: output size would be {(oh, ow)}")
    return ref.Axis(h, oh, kh, sh, ph, dh), ref.Axis(w, ow, kw, sw, pw, dw)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """``torch.nn.functional.max_pool2d`` (without return_indices)."""
    shape, dtype = _input(x)
    ah, aw = _regular_axes(shape, kernel_size, stride, padding, dilation, ceil_mode)
    return _launch(x, shape, dtype, ref.MAX, ah, aw, False, 0, False)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, *, x_q=None):
    """``torch.nn.functional.avg_pool2d`` (without divisor_override). int8 needs ``x_q``."""
    shape, dtype = _input(x)
    ah, aw = _regular_axes(shape, kernel_size, stride, padding, 1, ceil_mode)
    count_include_pad = check_bool("count_include_pad", count_include_pad)
    q = check_qparams(dtype, [("x_q", x_q, True)])["x_q"]
    return _launch(x, shape, dtype, ref.AVG, ah, aw, count_include_pad, q.zero_point if q else 0, False)


def adaptive_avg_pool2d(x, output_size, *, x_q=None):
    """``torch.nn.functional.adaptive_avg_pool2d``: PyTorch's bins [floor(i*H/OH), ceil((i+1)*H/OH)).
    ``output_size`` is an int or a pair (None in a pair keeps that input size)."""
    shape, dtype = _input(x)
    h, w = shape[-2:]
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        output_size = tuple(d if e is None else e for e, d in zip(output_size, (h, w)))
    oh, ow = _pair("output_size", output_size, 1)
    q = check_qparams(dtype, [("x_q", x_q, True)])["x_q"]
    ah = ref.Axis(h, oh, ref.adaptive_bin(h, oh), adaptive=True)
    aw = ref.Axis(w, ow, ref.adaptive_bin(w, ow), adaptive=True)
    return _launch(x, shape, dtype, ref.AVG, ah, aw, False, q.zero_point if q else 0, True)


def global_avg_pool2d(x, *, x_q=None):
    """Mean over H and W, keeping them as 1 x 1 (``adaptive_avg_pool2d(x, 1)``)."""
    return adaptive_avg_pool2d(x, 1, x_q=x_q)
