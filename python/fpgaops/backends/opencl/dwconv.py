"""OpenCL launcher for ConvCall with algo == "dwconv" (kernels/opencl/dwconv.cl): depthwise,
groups == C, any channel multiplier K / C."""
import numpy as np

from . import isa
from .conv_common import dtype_defines, epilogue_args, i32, int8_form, launch, program, requant_defines, tunables

# filter sizes compiled with constant geometry (one program per size and stride in {1, 2})
FIXED = {(3, 3), (5, 5)}


# dwconv_strip (the fixed geometries, float32 and int8): output rows per work-item (DW_RB in
# dwconv.cl); 8 beat 2 and 4 on MobileNetV2's layers (docs/conv.md)
STRIP_ROWS = 8

# dwconv_map_q, stride 2: the output columns of a row fit one slot pair (even / odd columns, 8 lanes each)
MAP_S2_MAX_OW = 16


def run_strip(backend, call, defines, rb=None, vnni=False):
    """A fixed geometry: dwconv_strip, each input row loaded once per DW_RB output rows; ``vnni``
    (int8 3x3 on a VNNI device): dwconv_strip_q, one filter row per vpdpbusd, 32 columns x
    dwconv.opencl.q_rows rows per work-item, one work-item per group (dwconv.cl says why)."""
    words = () if call.y_words is None else (call.y_words.handle,)  # (vnni only: conv2d.words_out)
    if vnni:
        name, px, rb = "dwconv_strip_q", 32, tunables(backend)["cfg"].dwconv.opencl.q_rows
        prg = program(backend, "dwconv", defines + (["-DDW_WORDS"] if words else []))
    else:
        name, px, rb = "dwconv_strip", (16 if call.dtype == np.int8 else 8), rb or STRIP_ROWS
        prg = program(backend, "dwconv", defines + [f"-DDW_RB={rb}"])
    nowb, nohb = -(-call.ow // px), -(-call.oh // rb)  # output columns / rows per work-item
    e = epilogue_args(call)
    l0 = min(nowb, 16)
    l1 = min(nohb, max(1, 64 // l0))
    l2 = min(call.n * call.k, max(1, 64 // (l0 * l1)))
    lsize = (1, 1, 1) if vnni else (l0, l1, l2)
    geom = i32(call.c, call.h, call.w, call.k, call.oh, call.ow, call.pad_top, call.pad_left, call.k // call.c,
               call.n * call.k)
    if call.dtype == np.int8:  # flags: has_bias, has_res, act (the clamp is lo/hi), y_zp ... hi
        # with words a work-item computes the 4 channels of a word (dwconv_q.h)
        launch(backend, prg, name, (nowb, nohb, call.n * call.k // (4 if words else 1)), lsize,
               call.x.handle, call.weight.handle, e["bias"], e["res"], call.y.handle, e["mult"], e["shift"],
               *geom, np.int32(call.x_zero_point), *e["flags"][:2], *e["flags"][3:], *words)
    else:
        launch(backend, prg, name, (nowb, nohb, call.n * call.k), lsize,
               call.x.handle, call.weight.handle, e["bias"], e["res"], call.y.handle, *geom, *e["flags"][:3])


def map_fits(backend, call):
    """dwconv_map_q takes the call: int8 3x3, pad 1 on every side, output maps of at most
    dwconv.opencl.q_map_max_hw pixels, on a VNNI device (the caller checks the form); stride 1 (the
    output map has the input's shape: the taps are constant shifts of the flat map) with output rows
    narrower than the ones dwconv_strip_q takes (dwconv.opencl.q_min_ow: at 28x28 the strip with
    q_rows 8 measured 1.25x faster than the map, whose whole-map unrolled code no longer fits the
    instruction cache there; docs/int8.md), or stride 2 with output rows of at most MAP_S2_MAX_OW
    columns."""
    st, cfg = call.stride_h, tunables(backend)["cfg"].dwconv.opencl
    return (call.dtype == np.int8 and (call.r, call.s) == (3, 3) and call.stride_w == st in (1, 2)
            and call.pad_top == call.pad_left == 1
            and (call.oh, call.ow) == ((call.h - 1) // st + 1, (call.w - 1) // st + 1)
            and call.ow < (cfg.q_min_ow if st == 1 else MAP_S2_MAX_OW + 1)
            and call.oh * call.ow <= cfg.q_map_max_hw)


def _vnni_3x3(backend, call):
    """An int8 3x3 depthwise call of dilation 1 on a device taking the VNNI form (the two _q kernels)."""
    return (call.algo == "dwconv" and call.dtype == np.int8 and (call.r, call.s) == (3, 3)
            and call.dil_h == call.dil_w == 1 and int8_form(backend, 9)[0] == 4)


def map_kernel(backend, call):
    """Whether ``run`` computes the call with dwconv_map_q: _vnni_3x3 where map_fits."""
    return _vnni_3x3(backend, call) and map_fits(backend, call)


def strip_q_kernel(backend, call):
    """Whether ``run`` computes the call with dwconv_strip_q: _vnni_3x3, stride 1 or 2, output rows of at
    least dwconv.opencl.q_min_ow columns, where map_kernel does not take it."""
    return (_vnni_3x3(backend, call) and call.stride_h in (1, 2) and call.stride_w in (1, 2)
            and not map_fits(backend, call) and call.ow >= tunables(backend)["cfg"].dwconv.opencl.q_min_ow)


def run_map(backend, call, defines):
    """dwconv_map_q: dwconv.opencl.q_map_channels whole channel maps per work-item, one work-item per
    group; the map size is compiled in (-DDWM_H, -DDWM_W: one program per map size). With
    ``call.y_words`` (conv2d.words_out) it also writes them (-DDW_WORDS)."""
    ch = tunables(backend)["cfg"].dwconv.opencl.q_map_channels
    words = () if call.y_words is None else (call.y_words.handle,)
    prg = program(backend, "dwconv", defines + [f"-DDWM_H={call.h}", f"-DDWM_W={call.w}"]
                  + (["-DDW_WORDS"] if words else []))
    e = epilogue_args(call)
    launch(backend, prg, "dwconv_map_q", (-(-call.n * call.k // ch),), (1,),
           call.x.handle, call.weight.handle, e["bias"], e["res"], call.y.handle, e["mult"], e["shift"],
           *i32(call.c, call.h, call.w, call.k, call.oh, call.ow, call.pad_top, call.pad_left, call.k // call.c,
                call.n * call.k), np.int32(call.x_zero_point), *e["flags"][:2], *e["flags"][3:], *words)


def row_shape(backend, call):
    """(lanes, vectors) of dwconv_row's output row for a fixed-geometry call, or None for
    dwconv_strip (float32 only; the geometry rule is row_geometry's)."""
    if call.dtype != np.float32:
        return None
    return row_geometry(backend, call.w, call.ow, call.s, call.pad_left, call.stride_w)


def row_geometry(backend, w, ow, s, pad_left, stride_w):
    """(lanes, vectors) of an output row dwconv_row's row code takes (dwconv_row, and pwdw_row's
    depthwise), or None. Output rows of at most dwconv.opencl.row_max_ow columns with the filter's
    usual left padding (S - 1) / 2 (the kernel's constant shifts), on a device compiling for
    AVX-512 (isa.py; 32 registers for the accumulators and taps -- the only kind measured):
    16-lane vectors, 8 lanes for rows of at most 8 columns."""
    cfg = tunables(backend)["cfg"].dwconv.opencl
    if ow > cfg.row_max_ow or pad_left != (s - 1) // 2 or not isa.detect(backend).avx512:
        return None
    vw = 16 if ow > 8 else 8
    nv = -(-ow // vw)
    return (vw, nv) if w <= nv * vw * stride_w else None


def run_row(backend, call, defines, vw, nv):
    """dwconv_row: dwconv.opencl.row_channels channels x rb output rows x the whole output row
    per work-item, one work-item per group; rb: the even split of the output rows into strips of
    at most dwconv.opencl.row_acc / nv rows (row_acc: accumulator vectors per work-item)."""
    cfg = tunables(backend)["cfg"].dwconv.opencl
    rb = -(-call.oh // -(-call.oh // max(1, cfg.row_acc // nv)))
    prg = program(backend, "dwconv", defines + [f"-DDW_RB={rb}", f"-DDW_VW={vw}", f"-DDW_NV={nv}"])
    e = epilogue_args(call)
    launch(backend, prg, "dwconv_row", (-(-call.oh // rb), -(-call.n * call.k // cfg.row_channels)), (1, 1),
           call.x.handle, call.weight.handle, e["bias"], e["res"], call.y.handle,
           *i32(call.c, call.h, call.w, call.k, call.oh, call.ow, call.pad_top, call.pad_left, call.k // call.c,
                call.n * call.k), *e["flags"][:3])


def run(backend, call):
    rows = tunables()["dw_rows"]
    defines = dtype_defines(call) + requant_defines(call)
    fixed = ((call.r, call.s) in FIXED and call.stride_w in (1, 2) and call.stride_h in (1, 2)
             and call.dil_h == call.dil_w == 1)
    if fixed:
        defines = defines + ["-DDW_FIXED=1", f"-DDW_R={call.r}", f"-DDW_S={call.s}", f"-DDW_SH={call.stride_h}",
                             f"-DDW_SW={call.stride_w}"]
        if map_kernel(backend, call):
            return run_map(backend, call, defines + int8_form(backend, 9)[1])
        if strip_q_kernel(backend, call):
            return run_strip(backend, call, defines + int8_form(backend, 9)[1], vnni=True)
        shape = row_shape(backend, call)  # float32 rows held whole (AVX-512 devices)
        if shape:
            return run_row(backend, call, defines, *shape)
        # int8: the strip height that divides the output rows most evenly with at most STRIP_ROWS
        # per strip (7 for 14 and 7 rows: no computed row thrown away; measured 1.06-1.09x on those
        # MobileNetV2 layers, docs/int8.md)
        rb = -(-call.oh // -(-call.oh // STRIP_ROWS)) if call.dtype == np.int8 else None
        return run_strip(backend, call, defines, rb)
    prg = program(backend, "dwconv", defines)
    nowb = -(-call.ow // 8)     # PX in dwconv.cl
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
