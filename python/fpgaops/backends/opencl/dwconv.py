"""OpenCL launcher for ConvCall with algo == "dwconv" (kernels/opencl/dwconv.cl): depthwise,
groups == C, any channel multiplier K / C."""
import numpy as np

from .conv_common import dtype_defines, epilogue_args, i32, launch, program, tunables

# filter sizes compiled with constant geometry (one program per size and stride in {1, 2})
FIXED = {(3, 3), (5, 5)}


# dwconv_strip (float32, fixed geometries): output rows per work-item (DW_RB in dwconv.cl)
STRIP_ROWS = 8
# int8 stride 2 on rows at least this wide: the 16-column pair path of dwconv (DW_PAIRS) beat
# dwconv_strip on MobileNetV2's 96 x 112^2 layer (0.92 vs 1.12 ms); every other measured int8
# geometry was 1.1-2.6x faster on the strip (docs/conv.md)
INT8_PAIRS_MIN_W = 96


def run_strip(backend, call, defines, rb=None):
    """A fixed geometry: dwconv_strip, each input row loaded once per DW_RB output rows."""
    rb = rb or STRIP_ROWS
    prg = program(backend, "dwconv", defines + [f"-DDW_RB={rb}"])
    nowb, nohb = -(-call.ow // 8), -(-call.oh // rb)
    e = epilogue_args(call)
    l0 = min(nowb, 16)
    l1 = min(nohb, max(1, 64 // l0))
    l2 = min(call.n * call.k, max(1, 64 // (l0 * l1)))
    geom = i32(call.c, call.h, call.w, call.k, call.oh, call.ow, call.pad_top, call.pad_left, call.k // call.c,
               call.n * call.k)
    if call.dtype == np.int8:  # flags: has_bias, has_res, act (the clamp is lo/hi), y_zp ... hi
        launch(backend, prg, "dwconv_strip", (nowb, nohb, call.n * call.k), (l0, l1, l2),
               call.x.handle, call.weight.handle, e["bias"], e["res"], call.y.handle, e["mult"], e["shift"],
               *geom, np.int32(call.x_zero_point), *e["flags"][:2], *e["flags"][3:])
    else:
        launch(backend, prg, "dwconv_strip", (nowb, nohb, call.n * call.k), (l0, l1, l2),
               call.x.handle, call.weight.handle, e["bias"], e["res"], call.y.handle, *geom, *e["flags"][:3])


def run(backend, call):
    rows = tunables()["dw_rows"]
    defines = dtype_defines(call)
    fixed = ((call.r, call.s) in FIXED and call.stride_w in (1, 2) and call.stride_h in (1, 2)
             and call.dil_h == call.dil_w == 1)
    if fixed:
        defines = defines + ["-DDW_FIXED=1", f"-DDW_R={call.r}", f"-DDW_S={call.s}", f"-DDW_SH={call.stride_h}",
                             f"-DDW_SW={call.stride_w}"]
    if fixed and (call.dtype == np.float32 or not (call.stride_w == 2 and call.w >= INT8_PAIRS_MIN_W)):
        return run_strip(backend, call, defines)
    # int8 on a fixed geometry: the int16 tap-pair path, 16 output columns per work-item (else 8)
    pairs = fixed and call.dtype == np.int8
    if pairs:
        defines = defines + ["-DDW_PAIRS=1"]
    prg = program(backend, "dwconv", defines)
    px = 16 if pairs else 8     # PX in dwconv.cl
    nowb = -(-call.ow // px)
    nohb = -(-call.oh // rows)
    e = epilogue_args(call)
    # ~64 work-items per work-group: PoCL's per-group overhead dominates tiny groups
    l0 = min(nowb, 16)
    l1 = min(nohb, max(1, 64 // l0))
    l2 = min(call.n * call.k, max(1, 64 // (l0 * l1)))
    launch(backend, prg, "dwconv", (nowb, nohb, call.n * call.k), (l0, l1, l2),
           call.x.handle, call.weight.handle, e["bias"], e["res"], call.y.handle, e["mult"], e["shift"],
           *i32(call.c, call.h, call.w, call.k, call.oh, call.ow, call.r, call.s, call.stride_h, call.stride_w,
                call.pad_top, call.pad_left, call.dil_h, call.dil_w, call.k // call.c, call.n * call.k,
                call.x_zero_point),
           *e["flags"])
