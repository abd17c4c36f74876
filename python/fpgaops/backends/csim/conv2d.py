"""csim launcher for ConvCall: dispatches on ``call.algo`` to the HLS tops.

    im2col    fpgaops_conv2d_f32 / fpgaops_conv2d_i8   (kernels/hls/top/fpgaops_conv2d.cpp)
    dwconv    fpgaops_dwconv_f32 / fpgaops_dwconv_i8   (kernels/hls/top/fpgaops_dwconv.cpp) within its
              limits (``dwconv_fits``: filter <= dwconv.max_kernel, padded row <= dwconv.max_w,
              no residual), else the im2col tops
    winograd  fpgaops_winograd_f32 (F(2x2) / F(4x4)) / fpgaops_winograd_i8 (F(2x2))
              (kernels/hls/top/fpgaops_winograd.cpp)

The im2col tops take x and weight channel-blocked (kernels/hls/include/fpgaops/conv2d.hpp,
docs/conv_hls.md "Layouts"): ``blocked_x`` / ``blocked_weight`` convert the NCHW / KCRS tensors on
the host before every launch (the xrt launcher the same way); y and residual stay NCHW.

A call an algorithm's HLS kernel does not take runs on the im2col engine, which computes the same
function (``algo`` selects the kernel, never the result; int8 is bit-exact either way and
im2col's float error is within every algorithm's bound). ``TOPS`` records what each algo runs.
The bindings check every size again before a top runs (host/csim/conv2d.cpp)."""
import numpy as np

from ... import config
from ...errors import DeviceError, UnsupportedError

ACT = {"none": 0, "relu": 1, "relu6": 2}


def padded_channels(cg, cfg=None):
    """Channels of one group in the blocked layouts: Cg rounded up to gemm.simd (the channel block)."""
    v = (cfg or config.current()).gemm.simd
    return -(-cg // v) * v


def blocked_x(x, groups, v):
    """NCHW -> x[n][g][cb][h][w][cv], v channels per block, each group's channels zero-padded."""
    n, c, h, w = x.shape
    cg = c // groups
    cgp = -(-cg // v) * v
    out = np.zeros((n, groups, cgp, h, w), x.dtype)
    out[:, :, :cg] = x.reshape(n, groups, cg, h, w)
    return np.ascontiguousarray(out.reshape(n, groups, cgp // v, v, h, w).transpose(0, 1, 2, 4, 5, 3))


def blocked_weight(wt, v):
    """KCRS (C = channels per group) -> [k][cb][r][s][cv], v channels per block, zero-padded."""
    k, cg, r, s = wt.shape
    cgp = -(-cg // v) * v
    out = np.zeros((k, cgp, r, s), wt.dtype)
    out[:, :cg] = wt
    return np.ascontiguousarray(out.reshape(k, cgp // v, v, r, s).transpose(0, 1, 3, 4, 2))


def blocked_operands(backend, call, cfg=None):
    """(x, weight) device buffers of ``call`` in the im2col tops' blocked layouts, converted on the host."""
    v = (cfg or config.current()).gemm.simd
    dt = np.dtype(call.dtype)
    x = np.empty((call.n, call.c, call.h, call.w), dt)
    wt = np.empty((call.k, call.c // call.groups, call.r, call.s), dt)
    backend.copy_out(call.x.handle, x)
    backend.copy_out(call.weight.handle, wt)
    out = []
    for a in (blocked_x(x, call.groups, v), blocked_weight(wt, v)):
        h = backend.allocate(a.nbytes)
        backend.copy_in(h, a)
        out.append(h)
    return tuple(out)


def im2col_limits(call, cfg=None):
    """None if the im2col kernel takes the call, else why not (fpgaops/conv2d.hpp's limits)."""
    cfg = cfg or config.current()
    taps = padded_channels(call.c // call.groups, cfg) * call.r * call.s
    if taps > cfg.gemm.max_dim:
        return (f"ceil(C/groups / gemm.simd)*gemm.simd*R*S = {taps} exceeds gemm.max_dim = {cfg.gemm.max_dim} "
                f"(the GEMM engine's K)")
    extent = (call.s - 1) * call.dil_w + 1
    if extent > cfg.conv2d.line_buffer_w:
        return f"dilated filter width {extent} exceeds conv2d.line_buffer_w = {cfg.conv2d.line_buffer_w}"
    return None


def _im2col(backend, call):
    mod = backend.module
    x, wt = blocked_operands(backend, call)
    common = (x, wt, call.bias.handle if call.bias is not None else None,
              call.residual.handle if call.residual is not None else None, call.y.handle,
              call.n, call.c, call.h, call.w, call.k, call.r, call.s, call.oh, call.ow, call.stride_h, call.stride_w,
              call.pad_top, call.pad_left, call.dil_h, call.dil_w, call.groups)
    if np.dtype(call.dtype) == np.float32:
        mod.conv2d_f32(*common, ACT[call.activation])
    else:
        mod.conv2d_i8(*common, call.x_zero_point, call.y_zero_point, call.mult.handle, call.shift.handle,
                      call.res_zero_point, call.res_mult, call.res_shift, call.act_min, call.act_max)


def dwconv_fits(call, cfg=None):
    """True when the depthwise kernel takes the call (fpgaops/dwconv.hpp's limits); else im2col runs it."""
    d = (cfg or config.current()).dwconv
    return (call.groups == call.c and call.residual is None and max(call.r, call.s) <= d.max_kernel
            and (call.r - 1) * call.dil_h + 1 <= d.line_buffer_rows
            and (call.ow - 1) * call.stride_w + (call.s - 1) * call.dil_w + 1 <= d.max_w)


def _dwconv(backend, call):
    if not dwconv_fits(call):
        return _im2col(backend, call)
    mod = backend.module
    common = (call.x.handle, call.weight.handle, call.bias.handle if call.bias is not None else None, call.y.handle,
              call.n, call.c, call.h, call.w, call.k, call.r, call.s, call.oh, call.ow, call.stride_h, call.stride_w,
              call.pad_top, call.pad_left, call.dil_h, call.dil_w)
    if np.dtype(call.dtype) == np.float32:
        mod.dwconv_f32(*common, ACT[call.activation])
    else:
        mod.dwconv_i8(*common, call.x_zero_point, call.y_zero_point, call.mult.handle, call.shift.handle,
                      call.act_min, call.act_max)


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
