"""csim launcher for ConvCall: dispatches on ``call.algo`` to the HLS tops.

    im2col    fpgaops_conv2d_f32 / fpgaops_conv2d_i8   (kernels/hls/top/fpgaops_conv2d.cpp)
    dwconv    fpgaops_dwconv_f32 / fpgaops_dwconv_i8   (kernels/hls/top/fpgaops_dwconv.cpp) within its
              limits (``dwconv_fits``: filter <= dwconv.max_kernel, the line buffer's rows, columns
              and banks, no residual), else the im2col tops; csim/dwconv.py converts to and from
              the kernel's channel-innermost layout
    winograd  fpgaops_winograd_f32 (F(2x2) / F(4x4)) / fpgaops_winograd_i8 (F(2x2))
              (kernels/hls/top/fpgaops_winograd.cpp)

The im2col tops take x, weight, residual and y channel-blocked (kernels/hls/include/fpgaops/conv2d.hpp,
docs/conv_hls.md "Layouts"): ``blocked_act`` / ``blocked_weight`` / ``unblocked_act`` convert between
those (weights also slice-major) and NCHW / KCRS on the host around every launch (the xrt launcher the same way).

A call an algorithm's HLS kernel does not take runs on the im2col engine, which computes the same
function (``algo`` selects the kernel, never the result; int8 is bit-exact either way and
im2col's float error is within every algorithm's bound). ``TOPS`` records what each algo runs.
The bindings check every size again before a top runs (host/csim/conv2d.cpp)."""
import numpy as np

from ... import config
from ...errors import DeviceError, UnsupportedError
from . import dwconv

ACT = {"none": 0, "relu": 1, "relu6": 2}


def block_of(dtype, cfg=None):
    """(B, G): channels per vector of the blocked layouts (gemm.pe) and vectors per bus word."""
    cfg = cfg or config.current()
    lanes = cfg.axi.word_bits // 8 // np.dtype(dtype).itemsize
    return cfg.gemm.pe, lanes // cfg.gemm.pe


def blocked_act(x, groups, b, g):
    """NCHW -> act[n][groups][cb][h][wp][b]: b channels per vector (each group's channels zero-padded to a
    multiple of b), rows padded with zeros to wp = w rounded up to g vectors (whole bus words)."""
    n, c, h, w = x.shape
    cg = c // groups
    cgp, wp = -(-cg // b) * b, -(-w // g) * g
    out = np.zeros((n, groups, cgp, h, wp), x.dtype)
    out[:, :, :cg, :, :w] = x.reshape(n, groups, cg, h, w)
    return np.ascontiguousarray(out.reshape(n, groups, cgp // b, b, h, wp).transpose(0, 1, 2, 4, 5, 3))


def unblocked_act(a, shape, groups, b, g):
    """The inverse of blocked_act for an NCHW ``shape`` (drops the padding channels and columns)."""
    n, c, h, w = shape
    cg = c // groups
    cgp, wp = -(-cg // b) * b, -(-w // g) * g
    t = a.reshape(n, groups, cgp // b, h, wp, b).transpose(0, 1, 2, 5, 3, 4).reshape(n, groups, cgp, h, wp)
    return np.ascontiguousarray(t[:, :, :cg, :, :w].reshape(n, c, h, w))


def blocked_weight(wt, b, groups, tk):
    """KCRS (C = channels per group) -> slice-major w[g][s][kk][tk]: each row's reduction index
    t = ((cb*R + i)*S + j)*b + c (b channels per block, zero-padded), cut in K slices of tk (the last
    zero-padded), all rows of a group's slice s together (one burst per tile and slice)."""
    k, cg, r, s = wt.shape
    cgp = -(-cg // b) * b
    out = np.zeros((k, cgp, r, s), wt.dtype)
    out[:, :cg] = wt
    rows = out.reshape(k, cgp // b, b, r, s).transpose(0, 1, 3, 4, 2).reshape(k, cgp * r * s)
    nk = -(-rows.shape[1] // tk)
    padded = np.zeros((k, nk * tk), wt.dtype)
    padded[:, :rows.shape[1]] = rows
    return np.ascontiguousarray(padded.reshape(groups, k // groups, nk, tk).transpose(0, 2, 1, 3))


def _to_device(backend, a):
    h = backend.allocate(a.nbytes)
    backend.copy_in(h, a)
    return h


def folds_width(c, s, groups, pe):
    """True when the im2col launch may fold the filter columns into the channels (``fold_width``): a
    grouped-free conv with S > 1 whose channels pad badly to gemm.pe blocks (the 3-channel stem:
    ceil(3*7 / PE) blocks of K instead of 7 * ceil(3 / PE))."""
    return groups == 1 and s > 1 and -(-(c * s) // pe) < -(-c // pe) * s


def fold_for(c, r, s, groups, pe, max_taps_c):
    """How the im2col launch runs a conv of C channels (per group) and an R x S filter: "taps"
    (``fold_taps``: C <= conv2d.fold_taps_max_channels, an input image, and fewer K blocks than the
    width fold), "width" (``fold_width``) or None (as it is). The one rule, used by the launchers
    and the estimator (fpgaops.estimator.cycles.fold_attrs)."""
    width = folds_width(c, s, groups, pe)
    blocks = r * -(-(c * s) // pe) if width else r * s * -(-c // pe)
    if groups == 1 and c <= max_taps_c and r * s > 1 and -(-(c * r * s) // pe) < blocks:
        return "taps"
    return "width" if width else None


def fold_width(x, wt, sw, pl, dw, ow, pad_value):
    """Host-side width im2col: the conv (x: N,C,H,W; wt: K,C,R,S; stride_w, pad_left, dil_w) equals
    the conv of x' (N, S*C, H, OW), x'[:, j*C + c, :, q] = x padded at column q*sw - pl + j*dw, with
    wt' (K, S*C, R, 1), stride_w = 1, pad_left = 0, dil_w = 1: the same products (int8 bit-exact;
    float32 in another order, within the reference's bound). Padding columns hold ``pad_value``
    (the raw x zero point for int8, as the kernel's own padding)."""
    n, c, h, w = x.shape
    k, _, r, s = wt.shape
    span = (ow - 1) * sw + (s - 1) * dw + 1
    xp = np.full((n, c, h, max(span, pl + w)), pad_value, x.dtype)
    xp[..., pl:pl + w] = x
    xf = np.stack([xp[..., j * dw: j * dw + (ow - 1) * sw + 1: sw] for j in range(s)], axis=1)
    return (np.ascontiguousarray(xf.reshape(n, s * c, h, ow)),
            np.ascontiguousarray(wt.transpose(0, 3, 1, 2).reshape(k, s * c, r, 1)))


def fold_taps(x, wt, stride, pad, dil, out, pad_value):
    """Host-side im2col of every tap: the conv (x: N,C,H,W; wt: K,C,R,S; stride, pad (top, left),
    dilation, out (OH, OW)) equals the 1x1 conv of x' (N, R*S*C, OH, OW),
    x'[:, (i*S + j)*C + c, p, q] = x padded at (p*sh - pt + i*dh, q*sw - pl + j*dw), with
    wt' (K, R*S*C, 1, 1): the same products (int8 bit-exact; float32 in another order, within the
    reference's bound). Padding holds ``pad_value`` (the raw x zero point for int8)."""
    n, c, h, w = x.shape
    k, _, r, s = wt.shape
    (sh, sw), (pt, pl), (dh, dw), (oh, ow) = stride, pad, dil, out
    span_h, span_w = (oh - 1) * sh + (r - 1) * dh + 1, (ow - 1) * sw + (s - 1) * dw + 1
    xp = np.full((n, c, max(span_h, pt + h), max(span_w, pl + w)), pad_value, x.dtype)
    xp[:, :, pt:pt + h, pl:pl + w] = x
    taps = [xp[:, :, i * dh: i * dh + (oh - 1) * sh + 1: sh, j * dw: j * dw + (ow - 1) * sw + 1: sw]
            for i in range(r) for j in range(s)]
    return (np.ascontiguousarray(np.stack(taps, axis=1).reshape(n, r * s * c, oh, ow)),
            np.ascontiguousarray(wt.transpose(0, 2, 3, 1).reshape(k, r * s * c, 1, 1)))


def blocked_launch(backend, call, launch, cfg=None):
    """Run ``launch(x, weight, residual, y, geo)`` on device buffers in the im2col tops' blocked
    layouts: x, weight and the residual converted on the host first, y converted back into call.y
    after. ``geo``: the top's c, h, w, r, s, strides, paddings and dilations (the call's, or those
    of the folded conv, fold_for)."""
    cfg = cfg or config.current()
    b, g = block_of(call.dtype, cfg)
    tk = cfg.gemm.tile_k
    dt = np.dtype(call.dtype)
    x = np.empty((call.n, call.c, call.h, call.w), dt)
    wt = np.empty((call.k, call.c // call.groups, call.r, call.s), dt)
    backend.copy_out(call.x.handle, x)
    backend.copy_out(call.weight.handle, wt)
    geo = dict(c=call.c, h=call.h, w=call.w, r=call.r, s=call.s, stride_h=call.stride_h, stride_w=call.stride_w,
               pad_top=call.pad_top, pad_left=call.pad_left, dil_h=call.dil_h, dil_w=call.dil_w)
    fold = fold_for(call.c // call.groups, call.r, call.s, call.groups, b, cfg.conv2d.fold_taps_max_channels)
    pad = call.x_zero_point if dt == np.int8 else 0
    if fold == "taps":
        x, wt = fold_taps(x, wt, (call.stride_h, call.stride_w), (call.pad_top, call.pad_left),
                          (call.dil_h, call.dil_w), (call.oh, call.ow), pad)
        geo = dict(c=x.shape[1], h=call.oh, w=call.ow, r=1, s=1, stride_h=1, stride_w=1, pad_top=0, pad_left=0,
                   dil_h=1, dil_w=1)
    elif fold == "width":
        x, wt = fold_width(x, wt, call.stride_w, call.pad_left, call.dil_w, call.ow, pad)
        geo.update(c=call.c * call.s, w=call.ow, s=1, stride_w=1, pad_left=0, dil_w=1)
    yshape = (call.n, call.k, call.oh, call.ow)
    res = None
    if call.residual is not None:
        r = np.empty(yshape, dt)
        backend.copy_out(call.residual.handle, r)
        res = _to_device(backend, blocked_act(r, call.groups, b, g))
    yb = blocked_act(np.zeros(yshape, dt), call.groups, b, g)
    y = backend.allocate(yb.nbytes)
    launch(_to_device(backend, blocked_act(x, call.groups, b, g)),
           _to_device(backend, blocked_weight(wt, b, call.groups, tk)), res, y, geo)
    backend.copy_out(y, yb)
    backend.copy_in(call.y.handle, unblocked_act(yb, yshape, call.groups, b, g))


def im2col_limits(call, cfg=None):
    """None if the im2col kernel takes the call, else why not (fpgaops/conv2d.hpp's limits)."""
    cfg = cfg or config.current()
    b, g = block_of(call.dtype, cfg)
    taps = -(-(call.c // call.groups) // b) * b * call.r * call.s
    if taps > cfg.gemm.max_dim:
        return (f"ceil(C/groups / gemm.pe)*gemm.pe*R*S = {taps} exceeds gemm.max_dim = {cfg.gemm.max_dim} "
                f"(the GEMM engine's K)")
    extent = (call.s - 1) * call.dil_w + 1
    lbw = cfg.conv2d.line_buffer_w
    if extent > lbw:
        return f"dilated filter width {extent} exceeds conv2d.line_buffer_w = {lbw}"
    cap = (lbw - extent) // call.stride_w + 1
    if call.ow > min(cap, cfg.gemm.tile_n) and min(cap, cfg.gemm.tile_n) < g:
        return (f"conv2d.line_buffer_w = {lbw} holds fewer than {g} output columns (a bus word of y) for this "
                f"filter and stride")
    return None


def _im2col(backend, call):
    mod = backend.module

    def launch(x, wt, res, y, geo):
        common = (x, wt, call.bias.handle if call.bias is not None else None, res, y,
                  call.n, geo["c"], geo["h"], geo["w"], call.k, geo["r"], geo["s"], call.oh, call.ow, geo["stride_h"],
                  geo["stride_w"], geo["pad_top"], geo["pad_left"], geo["dil_h"], geo["dil_w"], call.groups)
        if np.dtype(call.dtype) == np.float32:
            mod.conv2d_f32(*common, ACT[call.activation])
        else:
            mod.conv2d_i8(*common, call.x_zero_point, call.y_zero_point, call.mult.handle, call.shift.handle,
                          call.res_zero_point, call.res_mult, call.res_shift, call.act_min, call.act_max)

    blocked_launch(backend, call, launch)


def dwconv_fits(call, cfg=None):
    """True when the depthwise kernel takes the call (fpgaops/dwconv.hpp's limits); else im2col runs it."""
    cfg = cfg or config.current()
    d = cfg.dwconv
    return (call.groups == call.c and call.residual is None and max(call.r, call.s) <= d.max_kernel
            and dwconv.padded_channels(call.k, cfg) <= d.max_channels
            and (call.r - 1) * call.dil_h + 1 + call.stride_h <= d.line_buffer_rows
            and (call.s - 1) * call.dil_w + 1 <= dwconv.column_banks(d.max_kernel)
            and (call.ow - 1) * call.stride_w + (call.s - 1) * call.dil_w + 1 <= d.max_w
            and dwconv.row_fits(call, cfg))


def _winograd(backend, call):
    mod = backend.module
    common = (call.x.handle, call.weight.handle, call.bias.handle if call.bias is not None else None,
              call.residual.handle if call.residual is not None else None, call.y.handle,
              call.n, call.c, call.h, call.w, call.k, call.oh, call.ow, call.pad_top, call.pad_left)
    if np.dtype(call.dtype) == np.float32:
        mod.winograd_f32(*common, ACT[call.activation], call.winograd_m)
    else:
        mod.winograd_i8(*common, call.x_zero_point, call.y_zero_point, call.mult.handle, call.shift.handle,
                        call.res_zero_point, call.res_mult, call.res_shift, call.act_min, call.act_max)


def _dwconv(backend, call):
    if dwconv_fits(call):
        dwconv.run(backend, call)
    else:
        _im2col(backend, call)


# algo -> launcher(backend, call)
TOPS = {"im2col": _im2col, "dwconv": _dwconv, "winograd": _winograd}


def run(backend, call):
    if call.algo == "im2col" or call.algo == "dwconv" and not dwconv_fits(call):
        why = im2col_limits(call)
        if why:
            raise UnsupportedError(f"csim conv2d: {why}")
    try:
        TOPS[call.algo](backend, call)
    except (RuntimeError, ValueError) as e:
        raise DeviceError(f"csim conv2d ({call.algo}): {e}") from None
