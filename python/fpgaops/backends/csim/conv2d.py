"""csim launcher for ConvCall: dispatches on ``call.algo`` to the HLS tops.

    im2col    fpgaops_conv2d_f32 / fpgaops_conv2d_i8   (kernels/hls/top/fpgaops_conv2d.cpp)
    dwconv    fpgaops_dwconv_f32 / fpgaops_dwconv_i8   (kernels/hls/top/fpgaops_dwconv.cpp) within its
              limits (``dwconv_fits``: filter <= dwconv.max_kernel, the line buffer's rows, columns
              and banks, no residual), else the im2col tops; csim/dwconv.py converts to and from
              the kernel's channel-innermost layout
    winograd  fpgaops_winograd_f32 (F(2x2) / F(4x4)) / fpgaops_winograd_i8 (F(2x2))
              (kernels/hls/top/fpgaops_winograd.cpp)

A call an algorithm's HLS kernel does not take runs on the im2col engine, which computes the same
function (``algo`` selects the kernel, never the result; int8 is bit-exact either way and
im2col's float error is within every algorithm's bound). ``TOPS`` records what each algo runs.
The bindings check every size again before a top runs (host/csim/conv2d.cpp)."""
import numpy as np

from ... import config
from ...errors import DeviceError, UnsupportedError
from . import dwconv

ACT = {"none": 0, "relu": 1, "relu6": 2}


def im2col_limits(call, cfg=None):
    """None if the im2col kernel takes the call, else why not (fpgaops/conv2d.hpp's limits)."""
    cfg = cfg or config.current()
    taps = call.c // call.groups * call.r * call.s
    if taps > cfg.gemm.max_dim:
        return f"C/groups*R*S = {taps} exceeds gemm.max_dim = {cfg.gemm.max_dim} (the GEMM engine's K)"
    extent = (call.s - 1) * call.dil_w + 1
    if extent > cfg.conv2d.line_buffer_w:
        return f"dilated filter width {extent} exceeds conv2d.line_buffer_w = {cfg.conv2d.line_buffer_w}"
    return None


def _im2col(mod, call):
    common = (call.x.handle, call.weight.handle, call.bias.handle if call.bias is not None else None,
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
    cfg = cfg or config.current()
    d = cfg.dwconv
    return (call.groups == call.c and call.residual is None and max(call.r, call.s) <= d.max_kernel
            and dwconv.padded_channels(call.k, cfg) <= d.max_channels
            and (call.r - 1) * call.dil_h + 1 + call.stride_h <= d.line_buffer_rows
            and (call.s - 1) * call.dil_w + 1 <= dwconv.column_banks(d.max_kernel)
            and (call.ow - 1) * call.stride_w + (call.s - 1) * call.dil_w + 1 <= d.max_w
            and dwconv.row_fits(call, cfg))


def _winograd(mod, call):
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
        _im2col(backend.module, call)


# algo -> launcher(backend, call)
TOPS = {"im2col": lambda backend, call: _im2col(backend.module, call), "dwconv": _dwconv,
        "winograd": lambda backend, call: _winograd(backend.module, call)}


def run(backend, call):
    if call.algo == "im2col" or call.algo == "dwconv" and not dwconv_fits(call):
        why = im2col_limits(call)
        if why:
            raise UnsupportedError(f"csim conv2d: {why}")
    try:
        TOPS[call.algo](backend, call)
    except (RuntimeError, ValueError) as e:
        raise DeviceError(f"csim conv2d ({call.algo}): {e}") from None
