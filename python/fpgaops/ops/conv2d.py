"""conv2d: ``torch.nn.functional.conv2d`` semantics, float32 and int8, with a fused epilogue
(bias, residual add, relu/relu6, float32 hardsigmoid/hardswish) and a choice of algorithm.

    y = fo.conv2d(x, w, b, stride=1, padding=1)                      # float32
    y = fo.conv2d(x, w, b, padding="same", activation="relu", residual=skip)
    y = fo.conv2d(xq, wq, bq, padding=1, input_scale=sx, input_zero_point=zx,
                  weight_scale=sw, output_scale=sy, output_zero_point=zy)   # int8 -> int8

Algorithms (``algo=``): "im2col" (implicit GEMM: any shape), "winograd" (3x3, stride 1, dilation 1,
groups 1; "winograd_f2" / "winograd_f4" force the output tile; int8 is F(2x2,3x3) only and
bit-exact with im2col), "dwconv" (groups == C: depthwise, any channel multiplier), "auto" (the
per-backend rule in ``choose_algo``, derived from benchmarks/bench_conv.py; docs/conv.md).

float32 results agree with the reference within ``fpgaops.reference.conv2d.tolerance``; int8 results
are bit-exact on every backend and with every algorithm.
"""
import collections
import dataclasses
import functools
import numbers

import numpy as np

from .. import quant
from .._validate import array_info, check_dtype, check_extent, check_number, check_rank, placement, to_device
from ..backends.base import KernelCall
from ..errors import ArgumentError, ArgumentTypeError, UnsupportedError
from ..reference import winograd as wino
from ..tensor import Tensor

DTYPES = (np.dtype(np.float32), np.dtype(np.int8))
BIAS = {np.dtype(np.float32): np.dtype(np.float32), np.dtype(np.int8): np.dtype(np.int32)}
ACTIVATIONS = (None, "relu", "relu6", "hardsigmoid", "hardswish", "sigmoid", "silu")
# float32 only (an int8 activation is a clamp range): the closed forms of fpgaops.reference.act_lut;
# sigmoid and silu are the exact functions (the conv epilogue's closed forms with exp, not a table)
FLOAT_ONLY_ACTIVATIONS = ("hardsigmoid", "hardswish", "sigmoid", "silu")
# backends whose conv kernels apply FLOAT_ONLY_ACTIVATIONS in the epilogue; on the others the op
# runs the conv without them and then the activation ops (hardsigmoid / hardswish: the same
# result; sigmoid: the act table; silu: y * sigmoid-table(y), what the unfused graph computes)
NATIVE_FLOAT_ACTIVATIONS = ("reference", "opencl")
ALGOS = ("auto", "im2col", "winograd", "winograd_f2", "winograd_f4", "dwconv")
# int8: |x - zp| <= 255 and |w| <= 128, so Cg*R*S*255*128 < 2**31 keeps the int32 accumulator exact.
INT8_MAX_TAPS = (2**31 - 1) // (255 * 128)


@dataclasses.dataclass
class ConvCall(KernelCall):
    """One conv2d kernel launch. The contract every backend (reference, opencl, csim, xrt) implements.

    Tensors (all dense, C-contiguous, on the launching device):
      x        (n, c, h, w)          float32 | int8           input, NCHW
      weight   (k, c // groups, r, s) float32 | int8          KCRS; int8 symmetric (no zero point)
      bias     (k,) float32 | int32, or None (= zeros)
      residual (n, k, oh, ow) float32 | int8, or None (= nothing added)
      y        (n, k, oh, ow) float32 | int8                  output, written completely
      mult, shift (k,) int32 each (int8 only, else None): per-output-channel requantization
    Scalars: every size is >= 1 and every element count < 2**31 (checked by ops.conv2d).

    Semantics, with Cg = c // groups, Kg = k // groups, g = kk // Kg, for every (nn, kk, p, q):
      acc = sum_{ci < Cg, i < r, j < s} X(nn, g*Cg + ci, p*stride_h - pad_top + i*dil_h,
                                                       q*stride_w - pad_left + j*dil_w) * weight[kk, ci, i, j]
      where X(...) = x[...] - x_zero_point inside the image and 0 outside it (padding is real zero;
      bottom/right padding is whatever the taps of the last output row/column reach; oh and ow
      are given and consistent with the padding the user asked for).
    float32:  y = act(acc + bias[kk] + residual[nn, kk, p, q]),  act: none | relu = max(.,0) |
              relu6 = min(max(.,0),6) | hardsigmoid | hardswish (the float32 closed forms of
              fpgaops.reference.act_lut, applied to the float32 value) | sigmoid | silu (the
              exact functions, within a few ulp); any summation order
              (error bound: reference.conv2d.tolerance).
    int8:     acc is exact in int32 (Cg*r*s <= INT8_MAX_TAPS); acc32 = acc + bias[kk] (int32 wrap);
              v = requantize(acc32, mult[kk], shift[kk]) + y_zero_point
                  + (requantize(residual - res_zero_point, res_mult, res_shift) if residual else 0)
              y = clamp(v, act_min, act_max)
              requantize(a, m, s) = (int64(a) * m + (s > 0 ? 1 << (s - 1) : 0)) >> s  (arithmetic
              shift; fpgaops.quant, the one rule; m in [0, 2**31), s in [0, 62])
              act_min/act_max already include the activation (quant.act_range); for float they
              are unused (0).
    algo selects the kernel, never the result: "im2col" (any shape), "winograd" (r == s == 3,
    stride 1, dilation 1, groups 1; winograd_m in {2, 4} is the output tile, 2 for int8),
    "dwconv" (groups == c; k is a multiple of c). winograd_m is 0 unless algo == "winograd".
    weight_is_constant: the weight is the caller's own device Tensor; a backend may cache a packed /
    transformed copy keyed by its buffer (device tensors are never written after creation).
    x_scale (float32 only; None unless the launcher's ``takes_x_scale(backend, call)`` said yes):
    (n, c, 1, 1) float32; X(...) above is then the float32 product x * x_scale[nn, ci], the value
    fpgaops.mul would give, so the result is bit-identical to mul then conv.
    y_words (None unless the launcher's ``words_out(backend, call)`` gave it, ``conv2d_words``): a second
    output, y again in the backend's own input layout of its int8 1x1 convs; x_words (None unless
    the launcher's ``takes_words(backend, call, words)`` said yes): an earlier call's y_words that is
    this call's x, read instead of x. x and y keep their meaning above in every case.
    """

    family = "conv2d"
    algo: str
    dtype: np.dtype
    x: Tensor
    weight: Tensor
    bias: Tensor | None
    residual: Tensor | None
    y: Tensor
    n: int
    c: int
    h: int
    w: int
    k: int
    r: int
    s: int
    oh: int
    ow: int
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    dil_h: int
    dil_w: int
    groups: int
    winograd_m: int
    activation: str          # "none" | "relu" | "relu6" | float32: "hardsigmoid" | "hardswish" | "sigmoid" | "silu"
    # int8 epilogue (zeros / None for float32)
    x_zero_point: int = 0
    y_zero_point: int = 0
    mult: Tensor | None = None
    shift: Tensor | None = None
    res_zero_point: int = 0
    res_mult: int = 0
    res_shift: int = 0
    act_min: int = 0
    act_max: int = 0
    # True when ``weight`` is the caller's own device Tensor (device tensors are immutable: no op
    # writes into an existing tensor), so a backend may cache a packed / transformed copy of it
    # keyed by its buffer. False for weights copied in from NumPy for this call only.
    weight_is_constant: bool = False
    # float32: a per-(image, input channel) factor the kernel multiplies x by as it reads it
    # (squeeze-and-excitation gates, graph pass fuse_se_scale), or None
    x_scale: Tensor | None = None
    # int8: y as the input layout of the 1x1 convs reading it (written) / x in that layout (read)
    y_words: Tensor | None = None
    x_words: Tensor | None = None

    @property
    def flops(self):
        """2 * MACs of the direct convolution (the GFLOP/s convention of the benchmarks)."""
        return 2 * self.n * self.k * self.oh * self.ow * (self.c // self.groups) * self.r * self.s


def _pair(name, v, lo):
    if isinstance(v, (bool, np.bool_)):
        raise ArgumentTypeError(name, f"expected an int or a pair of ints, got {v!r}")
    if isinstance(v, numbers.Integral):
        v = (int(v), int(v))
    elif isinstance(v, (tuple, list)) and len(v) == 2 and all(
            isinstance(e, numbers.Integral) and not isinstance(e, (bool, np.bool_)) for e in v):
        v = (int(v[0]), int(v[1]))
    else:
        raise ArgumentTypeError(name, f"expected an int or a pair of ints, got {v!r}")
    if min(v) < lo:
        raise ArgumentError(name, f"expected values >= {lo}, got {v}")
    return v


def _padding(padding, r, s, dil, stride):
    """(top, left, bottom, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding == "same":
            if stride != (1, 1):
                raise ArgumentError("padding", f"'same' requires stride 1 (as in torch), got stride {stride}")
            th, tw = dil[0] * (r - 1), dil[1] * (s - 1)
            return th // 2, tw // 2, th - th // 2, tw - tw // 2
        raise ArgumentError("padding", f"expected an int, a pair, 'same' or 'valid', got {padding!r}")
    ph, pw = _pair("padding", padding, 0)
    return ph, pw, ph, pw


def _int8_params(k, input_scale, input_zero_point, weight_scale, output_scale, output_zero_point,
                 residual, residual_scale, residual_zero_point, activation):
    for name, v in (("input_scale", input_scale), ("weight_scale", weight_scale), ("output_scale", output_scale)):
        if v is None:
            raise ArgumentError(name, "required for int8 conv2d")
    sx = float(check_number("input_scale", input_scale))
    sy = float(check_number("output_scale", output_scale))
    for name, v in (("input_scale", sx), ("output_scale", sy)):
        if v <= 0:
            raise ArgumentError(name, f"expected a scale > 0, got {v}")
    sw = np.asarray(weight_scale, dtype=np.float64)
    if sw.ndim == 0:
        sw = np.full(k, float(sw))
    if sw.shape != (k,):
        raise ArgumentError("weight_scale", f"expected a scalar or shape ({k},) (one per output channel), got {sw.shape}")
    if not np.all(np.isfinite(sw)) or np.any(sw <= 0):
        raise ArgumentError("weight_scale", "expected finite scales > 0")
    zps = {}
    for name, v in (("input_zero_point", input_zero_point), ("output_zero_point", output_zero_point),
                    ("residual_zero_point", residual_zero_point)):
        v = check_number(name, v, integer=True)
        if not -128 <= v <= 127:
            raise ArgumentError(name, f"expected an int8 zero point in [-128, 127], got {v}")
        zps[name] = int(v)
    try:
        mult, shift = _multipliers(sx, sy, sw.tobytes())
    except ArgumentError as e:
        raise ArgumentError("weight_scale", f"input_scale * weight_scale / output_scale: {e}") from None
    q = dict(x_zero_point=zps["input_zero_point"], y_zero_point=zps["output_zero_point"], mult=mult, shift=shift)
    if residual is not None:
        if residual_scale is None:
            raise ArgumentError("residual_scale", "required with an int8 residual")
        sr = float(check_number("residual_scale", residual_scale))
        if sr <= 0:
            raise ArgumentError("residual_scale", f"expected a scale > 0, got {sr}")
        try:
            q["res_mult"], q["res_shift"] = quant.quantize_multiplier(sr / sy)
        except ArgumentError as e:
            raise ArgumentError("residual_scale", f"residual_scale / output_scale: {e}") from None
        q["res_zero_point"] = zps["residual_zero_point"]
    q["act_min"], q["act_max"] = quant.act_range(activation, sy, zps["output_zero_point"])
    return q


@functools.lru_cache(maxsize=1024)
def _multipliers(sx, sy, sw_bytes):
    """Per-channel (mult, shift) int32 arrays (read-only) for scales sx, sy and the float64 bytes of
    sw: a network calls every layer with the same scales, and the per-channel Python loop cost
    ~0.1-0.3 ms per layer."""
    pairs = [quant.quantize_multiplier(sx * float(v) / sy) for v in np.frombuffer(sw_bytes, np.float64)]
    mult = np.array([p[0] for p in pairs], np.int32)
    shift = np.array([p[1] for p in pairs], np.int32)
    mult.flags.writeable = shift.flags.writeable = False
    return mult, shift


_REQUANT = collections.OrderedDict()


def _requant_tensors(dev, mult, shift):
    """Device copies of (mult, shift), kept per device and content (LRU, 512 entries): each new
    copy was a blocking upload that drained the queue before every int8 conv. Kernels only read them."""
    key = (id(dev), dev.name, mult.tobytes(), shift.tobytes())
    hit = _REQUANT.get(key)
    if hit is not None:
        _REQUANT.move_to_end(key)
        return hit
    hit = _REQUANT[key] = (to_device(mult, dev), to_device(shift, dev))
    if len(_REQUANT) > 512:
        _REQUANT.popitem(last=False)
    return hit


def winograd_limits(dtype, c, r, s, stride, dilation, groups, m):
    """None if Winograd F(m x m, 3x3) applies, else the reason (used by validation and 'auto')."""
    if (r, s) != (3, 3):
        return f"Winograd needs a 3x3 kernel, got {r}x{s}"
    if stride != (1, 1):
        return f"Winograd needs stride 1, got {stride}"
    if dilation != (1, 1):
        return f"Winograd needs dilation 1, got {dilation}"
    if groups != 1:
        return f"Winograd needs groups == 1, got {groups}"
    if dtype == np.int8:
        if m not in wino.INT8_TILES:
            return f"int8 Winograd is F(2x2,3x3) only (bit-exact with im2col), not F({m}x{m},3x3)"
        if c > wino.INT8_MAX_CHANNELS:
            return f"int8 Winograd keeps 4*acc exact in int32 only for C <= {wino.INT8_MAX_CHANNELS}, got C = {c}"
    return None


def choose_algo(backend, dtype, n, c, h, w, k, r, s, oh, ow, stride, dilation, groups):
    """The 'auto' rule: (algo, winograd_m). Derived from benchmarks/bench_conv.py and A/B runs on the
    project's 2-core Zen 3 with PoCL 3.1 (numbers in docs/conv.md):
      * groups == C > 1 (depthwise): dwconv (2-4x faster than im2col with groups == C);
      * 3x3, stride 1, dilation 1, groups 1, C >= 16: Winograd -- 1.3-4x faster than im2col on every
        measured layer from 8 to 512 channels, 7x7 to 112x112. Tile: F(4x4) for float32 when the
        output is at least 10x10 (F(4x4) wins from ~14x14 up, e.g. 1.9 vs 2.5 ms at 128ch 28x28),
        else F(2x2) (at 7x7 F(4x4) wastes 23% of its tiles and its 36 GEMMs are 2.25x the 16 of
        F(2x2): 3.4 vs 3.8 ms at 512ch); int8 always F(2x2). Below 16 channels the transforms
        dominate (C = 3 at 224x224: im2col 6 ms, Winograd 17-37 ms);
      * everything else (1x1, strided, dilated, 5x5, 7x7, grouped): im2col.
    Exception: int8 on opencl never takes Winograd: the int16-pair (vpmaddwd) im2col kernel is
    1.05-1.8x faster than the int32 Winograd F(2x2) kernel on the ResNet-18 3x3 layers. The HLS
    backends (csim, xrt) keep the rule above.
    The reference backend uses the same rule (its speed is irrelevant; the choice exercises the
    same code path as the fast backends)."""
    if groups == c and c > 1 and k % c == 0:
        return "dwconv", 0
    if dtype == np.int8 and backend == "opencl":
        return "im2col", 0
    m = 2 if dtype == np.int8 or min(oh, ow) < 10 else 4
    if c >= 16 and winograd_limits(dtype, c, r, s, stride, dilation, groups, m) is None:
        return "winograd", m
    return "im2col", 0


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, algo="auto", activation=None,
           residual=None, input_scale=None, input_zero_point=0, weight_scale=None, output_scale=None,
           output_zero_point=0, residual_scale=None, residual_zero_point=0, channel_scale=None):
    """2-D convolution, ``torch.nn.functional.conv2d`` semantics, with a fused epilogue.

    x (N, C, H, W); weight (K, C/groups, R, S); bias (K,) float32 (int32 for int8); stride,
    dilation: int or pair >= 1; padding: int or pair >= 0, "same" (stride 1) or "valid";
    activation: None, "relu", "relu6", and for float32 "hardsigmoid", "hardswish" (applied after
    bias and residual; the definitions of fpgaops.hardsigmoid/hardswish), "sigmoid", "silu" (the
    exact functions within a few ulp where the device's conv epilogue has them -- reference,
    opencl -- else the act tables after the conv: docs/act_lut.md); residual: the output's
    shape and dtype, added before the activation.
    int8 (x and weight int8): input_scale, input_zero_point, weight_scale (scalar or (K,),
    symmetric), output_scale, output_zero_point are required/used; the output is int8 with the
    output's scale and zero point; an int8 residual needs residual_scale/residual_zero_point.
    channel_scale (float32 only): (N, C, 1, 1) float32; the conv of ``fpgaops.mul(x, channel_scale)``
    (a squeeze-and-excitation gate times the block input), bit-identical to that product then the
    conv. The kernel multiplies as it loads x where its launcher can (opencl's 1x1 stride-1 convs),
    else the product is computed first.
    Returns NumPy for NumPy inputs, a Tensor on the same device if any input is a Tensor.
    """
    call, dev, as_tensor, after = _prepare(
        x, weight, bias, stride, padding, dilation, groups, algo=algo, activation=activation, residual=residual,
        input_scale=input_scale, input_zero_point=input_zero_point, weight_scale=weight_scale,
        output_scale=output_scale, output_zero_point=output_zero_point, residual_scale=residual_scale,
        residual_zero_point=residual_zero_point, channel_scale=channel_scale)
    dev.run(call)
    return _result(call.y, as_tensor, after)


def _prepare(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, algo="auto", activation=None,
             residual=None, input_scale=None, input_zero_point=0, weight_scale=None, output_scale=None,
             output_zero_point=0, residual_scale=None, residual_zero_point=0, channel_scale=None):
    """conv2d's arguments checked and placed: (the ConvCall to run, its device, whether to return a
    Tensor, the activation to apply after the kernel or None)."""
    xs, xdt = array_info(x, "x")
    ws, wdt = array_info(weight, "weight")
    xs, ws, xdt, wdt = tuple(xs), tuple(ws), np.dtype(xdt), np.dtype(wdt)
    check_dtype("x", xdt, DTYPES)
    check_dtype("weight", wdt, DTYPES)
    if wdt != xdt:
        raise ArgumentError("weight", f"dtype {wdt} differs from x's {xdt}; both must be float32 or both int8")
    check_rank("x", xs, {4})
    check_rank("weight", ws, {4})
    check_extent("x", xs)
    check_extent("weight", ws)
    if isinstance(groups, (bool, np.bool_)) or not isinstance(groups, numbers.Integral):
        raise ArgumentTypeError("groups", f"expected an int, got {groups!r}")
    groups = int(groups)
    if groups < 1:
        raise ArgumentError("groups", f"expected groups >= 1, got {groups}")
    n, c, h, w = xs
    k, cg, r, s = ws
    if c % groups:
        raise ArgumentError("groups", f"input channels C = {c} are not divisible by groups = {groups}")
    if k % groups:
        raise ArgumentError("groups", f"output channels K = {k} (weight.shape[0]) are not divisible by groups = {groups}")
    if cg != c // groups:
        raise ArgumentError("weight", f"weight.shape[1] = {cg} must equal C / groups = {c} / {groups} = {c // groups} "
                            f"(weight {ws}, x {xs})")
    stride = _pair("stride", stride, 1)
    dilation = _pair("dilation", dilation, 1)
    pt, pl, pb, pr = _padding(padding, r, s, dilation, stride)
    eff_r, eff_s = dilation[0] * (r - 1) + 1, dilation[1] * (s - 1) + 1
    if eff_r > h + pt + pb or eff_s > w + pl + pr:
        raise ArgumentError("weight", f"kernel {r}x{s} (dilated extent {eff_r}x{eff_s}) is larger than the padded "
                            f"input {h + pt + pb}x{w + pl + pr}")
    oh = (h + pt + pb - eff_r) // stride[0] + 1
    ow = (w + pl + pr - eff_s) // stride[1] + 1
    check_extent("result", (n, k, oh, ow))
    if activation not in ACTIVATIONS:
        raise ArgumentError("activation", f"expected one of {ACTIVATIONS}, got {activation!r}")
    if not isinstance(algo, str) or algo not in ALGOS:
        raise ArgumentError("algo", f"expected one of {ALGOS}, got {algo!r}")
    int8 = xdt == np.int8
    if int8 and activation in FLOAT_ONLY_ACTIVATIONS:
        raise ArgumentError("activation", f"int8 conv2d fuses None, 'relu' or 'relu6' (a clamp range), not "
                                          f"{activation!r}; apply fpgaops.activation to the int8 result instead")
    if int8 and cg * r * s > INT8_MAX_TAPS:
        raise UnsupportedError(f"weight: C/groups*R*S = {cg * r * s} taps exceed {INT8_MAX_TAPS}, "
                               "beyond which the int8 accumulator could overflow int32")
    if bias is not None:
        bs, bdt = array_info(bias, "bias")
        check_dtype("bias", np.dtype(bdt), (BIAS[xdt],))
        if tuple(bs) != (k,):
            raise ArgumentError("bias", f"expected shape ({k},) (one per output channel), got {tuple(bs)}")
    if residual is not None:
        rs, rdt = array_info(residual, "residual")
        check_dtype("residual", np.dtype(rdt), (xdt,))
        if tuple(rs) != (n, k, oh, ow):
            raise ArgumentError("residual", f"expected the output's shape {(n, k, oh, ow)}, got {tuple(rs)}")
    if channel_scale is not None:
        ss, sdt = array_info(channel_scale, "channel_scale")
        if int8:
            raise ArgumentError("channel_scale", "applies to float32 inputs only (x is int8)")
        check_dtype("channel_scale", np.dtype(sdt), (np.dtype(np.float32),))
        if tuple(ss) != (n, c, 1, 1):
            raise ArgumentError("channel_scale", f"expected shape {(n, c, 1, 1)} (one factor per image and input "
                                f"channel), got {tuple(ss)}")
    if int8:
        q = _int8_params(k, input_scale, input_zero_point, weight_scale, output_scale, output_zero_point,
                         residual, residual_scale, residual_zero_point, activation)
    else:
        for name, v in (("input_scale", input_scale), ("weight_scale", weight_scale), ("output_scale", output_scale),
                        ("residual_scale", residual_scale)):
            if v is not None:
                raise ArgumentError(name, "quantization parameters apply to int8 inputs only (x is float32)")
        q = {}

    # --- the algorithm -----------------------------------------------------------------------
    dev, as_tensor = placement(x, weight, *[t for t in (bias, residual, channel_scale) if t is not None])
    m = 0
    if algo == "auto":
        algo, m = choose_algo(dev.name, xdt, n, c, h, w, k, r, s, oh, ow, stride, dilation, groups)
    elif algo.startswith("winograd"):
        m = {"winograd": 2 if int8 or min(oh, ow) < 10 else 4, "winograd_f2": 2, "winograd_f4": 4}[algo]
        why = winograd_limits(xdt, c, r, s, stride, dilation, groups, m)
        if why:
            raise UnsupportedError(f"algo: {algo!r} does not apply: {why}")
        algo = "winograd"
    elif algo == "dwconv":
        if groups != c:
            raise UnsupportedError(f"algo: 'dwconv' is the depthwise kernel (groups == C); got groups = {groups}, "
                                   f"C = {c}")

    tx, tw = to_device(x, dev), to_device(weight, dev)
    tb = to_device(bias, dev) if bias is not None else None
    tr = to_device(residual, dev) if residual is not None else None
    y = dev.empty((n, k, oh, ow), xdt)
    extra = {}
    if int8:
        extra = dict(q)
        extra["mult"], extra["shift"] = _requant_tensors(dev, q["mult"], q["shift"])
    after = None
    if activation in FLOAT_ONLY_ACTIVATIONS and dev.name not in NATIVE_FLOAT_ACTIVATIONS:
        after, activation = activation, None
    call = ConvCall(algo, xdt, tx, tw, tb, tr, y, n, c, h, w, k, r, s, oh, ow, stride[0], stride[1], pt, pl,
                    dilation[0], dilation[1], groups, m, activation or "none", **extra,
                    weight_is_constant=isinstance(weight, Tensor))
    if channel_scale is not None:
        call.x_scale = to_device(channel_scale, dev)
        takes = getattr(dev.launcher("conv2d"), "takes_x_scale", None)
        if takes is None or not takes(dev, call):
            from .eltwise import mul  # (eltwise imports nothing of conv2d)
            call.x, call.x_scale = mul(tx, call.x_scale), None
    return call, dev, as_tensor, after


def _result(y, as_tensor, after):
    if after is not None:
        from .act_lut import activation as act_op  # (act_lut imports nothing of conv2d)
        if after == "silu":  # Mul(y, Sigmoid(y)), as the unfused graph (the silu table is coarser near 0)
            from .eltwise import mul
            y = mul(y, act_op(y, "sigmoid"))
        else:
            y = act_op(y, after)
    return y if as_tensor else y.numpy()


def conv2d_pwdw_words(x, x_words, pw, dw, want_words=False):
    """Two int8 convs for the int8 network executor: ``pw`` (conv2d's arguments but x) on x, then
    ``dw`` (likewise) on its result -- an inverted-residual block's expansion 1x1 conv and its
    depthwise conv. Returns (pw's y, dw's y, dw's y as words or None), the bits of conv2d_words twice
    (``x_words`` and ``want_words`` as there). Where the device's launcher family ``pwdw_q`` fuses
    the pair (opencl: backends/opencl/pwdw_q.py ``fuses``) both run in one launch, else one after
    the other."""
    c1, dev, as1, after1 = _prepare(x, **pw)
    _offer_words(c1, dev, after1, x_words, False)
    c2 = None
    if after1 is None and c1.x_words is not None and dev.has_family("pwdw_q"):
        c2, _dev, _as, after2 = _prepare(c1.y, **dw)
        fused = dev.launcher("pwdw_q")
        if after2 is None and fused.fuses(dev, c1, c2):
            _offer_words(c2, dev, after2, None, want_words)
            fused.run_pair(dev, c1, c2)
            return _result(c1.y, as1, None), _result(c2.y, as1, None), c2.y_words
    dev.run(c1)
    y1 = _result(c1.y, True, after1)  # (on the device for the second conv; both returned as x came)
    if c2 is None:  # (prepared above on c1.y, which is y1 when after1 is None)
        c2, _dev, _as, after2 = _prepare(y1, **dw)
    _offer_words(c2, dev, after2, None, want_words)
    dev.run(c2)
    return _result(y1, as1, None), _result(c2.y, as1, after2), c2.y_words


def _offer_words(call, dev, after, x_words, want_words):
    """conv2d_words' per-call layout hand-over: ``call.x_words`` where its launcher reads ``x_words``
    (``takes_words``), ``call.y_words`` where asked for and the launcher makes them (``words_out``)."""
    if after is not None:
        return
    launcher = dev.launcher(call.family)
    takes = getattr(launcher, "takes_words", None)
    if x_words is not None and takes is not None and takes(dev, call, x_words):
        call.x_words = x_words
    words_out = getattr(launcher, "words_out", None)
    if want_words and words_out is not None:
        call.y_words = words_out(dev, call)


def conv2d_words(x, x_words=None, want_words=False, **kwargs):
    """``conv2d(x, **kwargs)``, the same result bit for bit, for the int8 network executor, which hands
    a second layout of a value from its producer to its consumers (docs/decisions.md): ``x_words``,
    x in the layout the device's 1x1 convs read (an earlier call's words) or None; ``want_words``:
    ask for y in that layout too. Returns (y, y's words or None). The device's conv2d launcher
    decides, per call (``takes_words(backend, call, words)``, ``words_out(backend, call)``; opencl:
    int8 on VNNI devices, docs/int8.md); launchers without them neither read nor make words."""
    call, dev, as_tensor, after = _prepare(x, **kwargs)
    _offer_words(call, dev, after, x_words, want_words)
    dev.run(call)
    return _result(call.y, as_tensor, after), call.y_words
