"""OpenCL launcher for ConvCall: "im2col" (implicit GEMM, kernels/opencl/conv2d.cl) here;
"winograd" and "dwconv" in their own modules (same stems as their .cl files)."""

import math

import numpy as np

from . import dwconv, isa, winograd
from .conv_common import (ACT, WEIGHTS, dtype_defines, epilogue_args, i32, int8_form, launch, program,
                          requant_defines, scratch, tunables)

# float conv_pad: padded rows (one per work-item) per work-group
PAD_ROWS = 16
# int8 conv_pad: consecutive channel pairs of one padded row per work-item (conv2d.cl PAD_W)
PAD_PAIRS = 64


def padded_input(backend, prg, call, hp, wp):
    """float32: x -> (N, C, HP, WP), zeros outside."""
    xp = scratch(backend, call.n * call.c * hp * wp * 4, "conv_xp")
    launch(backend, prg, "conv_pad", (hp, call.n * call.c), (PAD_ROWS, 1), call.x.handle, xp,
                 *i32(call.c, call.h, call.w, hp, wp, call.pad_top, call.pad_left, call.x_zero_point))
    return xp


def padded_pairs(backend, prg, call, hp, wp, cq):
    """int8: x -> (N, G, CQ, HP, WP) words of TW channels (conv_int8.h: int16 pairs x - zp, or
    VNNI's u8 quads x + 128; the code zp outside and past C/groups)."""
    cg = call.c // call.groups
    xp = scratch(backend, call.n * call.groups * cq * hp * wp * 4, "conv_xp")
    h, w, hp_, wp_ = call.h, call.w, hp, wp
    if (hp, wp) == (h, w):  # no padding (e.g. 1x1): each plane is one row of H*W
        h, w, hp_, wp_ = 1, h * w, 1, h * w
    nw = -(-wp_ // PAD_PAIRS)
    l0 = min(nw, 8)
    l1 = min(hp_, max(1, 16 // l0))
    launch(backend, prg, "conv_pad", (nw, hp_, call.n * call.groups * cq), (l0, l1, 1), call.x.handle, xp,
           *i32(call.c, h, w, hp_, wp_, call.pad_top, call.pad_left, call.x_zero_point, call.groups, cg, cq))
    return xp


def padded_extent(call):
    hp = max(call.h + call.pad_top, (call.oh - 1) * call.stride_h + (call.r - 1) * call.dil_h + 1)
    wp = max(call.w + call.pad_left, (call.ow - 1) * call.stride_w + (call.s - 1) * call.dil_w + 1)
    return hp, wp


def tap_table(backend, planes, r, s, hp, wp, dil_h, dil_w):
    """Device int32 table of the input offsets of the taps (plane, i, j), plane-major, made once
    per geometry (a new buffer per call cost a host->device copy and an allocation per layer).
    The tables live on the backend object, so they go with its OpenCL context."""
    cache = backend.__dict__.setdefault("_conv_tap_tables", {})
    key = (planes, r, s, hp, wp, dil_h, dil_w)
    buf = cache.get(key)
    if buf is None:
        ci, ri, si = np.meshgrid(np.arange(planes), np.arange(r), np.arange(s), indexing="ij")
        taps = (ci * hp * wp + ri * dil_h * wp + si * dil_w).astype(np.int32).reshape(-1)
        cl = backend.cl
        if len(cache) > 4096:
            cache.clear()
        buf = cache[key] = cl.Buffer(backend.ctx, cl.mem_flags.READ_ONLY | cl.mem_flags.COPY_HOST_PTR, hostbuf=taps)
    return buf


def use_rows(call, vec, opencl):
    """float32: conv_rows (conv2d.cl: the pixels of an output row in the lanes) rather than
    conv_im2col for a conv of at most conv2d.opencl.rows_max_channels input channels (the
    3-channel stems), ungrouped, of column stride 1 or 2, at least rows_nv vectors of output columns wide."""
    return (call.dtype == np.float32 and call.groups == 1 and call.x_zero_point == 0
            and call.c <= opencl.rows_max_channels and call.stride_w in (1, 2) and call.ow >= opencl.rows_nv * vec)


def rows_blocking(backend, k):
    """conv_rows' (M output channels, vectors of pixels) per work-item for K output channels: as few
    blocks of at most conv2d.opencl.rows_m (AVX2) / rows_m_avx512 (isa.py) channels as cover K, evened
    out (K = 24: 2 x 12, not 16 + 8 past K), and conv2d.opencl.rows_nv vectors of pixels."""
    o = tunables(backend)["cfg"].conv2d.opencl
    most = o.rows_m_avx512 if isa.detect(backend).avx512 else o.rows_m
    return -(-k // -(-k // most)), o.rows_nv


def run_rows(backend, call):
    """conv_pad (always: conv_rows' stride-2 loads read one float past a row, so the padded copy
    has 2 * PW_VEC floats of room after it), then conv_rows with rows_blocking's M x NV and the
    weights packed by conv_pw_pack in blocks of M (the (K, C*R*S) weight matrix as a 1x1 conv's)."""
    vec = pw_vec(backend)
    m, nv = rows_blocking(backend, call.k)
    prg = program(backend, "conv2d", [f"-DPW_VEC={vec}", f"-DPW_M={m}", f"-DPW_NV={nv}", f"-DCONV_ROWS_SW={call.stride_w}"])
    hp, wp = padded_extent(call)
    xp = scratch(backend, (call.n * call.c * hp * wp + 2 * vec) * 4, "conv_xp")
    launch(backend, prg, "conv_pad", (hp, call.n * call.c), (PAD_ROWS, 1), call.x.handle, xp,
           *i32(call.c, call.h, call.w, hp, wp, call.pad_top, call.pad_left, 0))
    crs = call.c * call.r * call.s
    kblk, wpk = _packed_pw(backend, prg, call, "pw", m, crs)
    tbuf = tap_table(backend, call.c, call.r, call.s, hp, wp, call.dil_h, call.dil_w)
    e = epilogue_args(call)
    launch(backend, prg, "conv_rows", (-(-call.ow // (nv * vec)), call.oh, kblk * call.n), (1, 1, 1), xp, wpk,
           tbuf, e["bias"], e["res"], call.y.handle,
           *i32(call.c * hp * wp, wp, call.stride_h, call.k, call.oh, call.ow, crs, kblk),
           *i32(call.bias is not None, call.residual is not None, ACT[call.activation]))


def im2col_blocking(backend, kg, dtype=np.float32):
    """conv_im2col's (pixels, vectors of 8 output channels) per work-item for Kg output channels
    per group, passed to conv2d.cl as -DCONV_PB / -DCONV_KV: the config's pb x kv for the device's
    ISA (conv_common.tunables); float32 with no more vectors than Kg fills (AVX-512's kv 4 computes
    32 channels: a conv of 16 ran ~1.25x longer than with kv 2, benchmarks/ab_pwsmall.py stems)."""
    tun = tunables(backend)
    kv = min(tun["kv"], -(-kg // 8)) if np.dtype(dtype) == np.float32 else tun["kv"]
    return tun["pb"], kv


def blocking_defines(pb, kv):
    return [f"-DCONV_PB={pb}", f"-DCONV_KV={kv}"]


def run_im2col(backend, call):
    if call.dtype == np.int8:
        return run_im2col_int8(backend, call)
    cg, kg = call.c // call.groups, call.k // call.groups
    pb, kv = im2col_blocking(backend, kg)
    prg = program(backend, "conv2d", dtype_defines(call) + blocking_defines(pb, kv))
    hp, wp = padded_extent(call)
    if (hp, wp) == (call.h, call.w) and call.pad_top == call.pad_left == 0:
        xp = call.x.handle      # nothing to pad (e.g. 1x1 / valid): read x in place
    else:
        xp = padded_input(backend, prg, call, hp, wp)
    kb = 8 * kv
    kbg = -(-kg // kb)
    crs = cg * call.r * call.s
    nbytes = call.groups * kbg * crs * kb * 4

    def pack(_):
        wpk = scratch(backend, nbytes)
        launch(backend, prg, "conv_pack", (crs, call.groups * kbg), (64, 1), call.weight.handle, wpk,
               *i32(kg, kbg, crs))
        return wpk

    wpk = WEIGHTS.get(call, ("im2col", str(call.dtype), kb, call.groups), nbytes, pack)
    tbuf = tap_table(backend, cg, call.r, call.s, hp, wp, call.dil_h, call.dil_w)
    e = epilogue_args(call)
    npb = -(-(call.oh * call.ow) // pb)
    launch(backend, prg, "conv_im2col", (npb, call.groups * kbg, call.n), (8, 1, 1), xp, wpk, tbuf, e["bias"],
           e["res"], call.y.handle, e["mult"], e["shift"],
           *i32(call.c, hp, wp, call.k, call.oh, call.ow, call.stride_h, call.stride_w, cg, kg, kbg, crs),
           *e["flags"])


def run_im2col_int8(backend, call):
    """int8: the input as words of TW channels, the weights as words of TW taps (conv2d.cl header;
    TW and the VNNI form from int8_form), plus the weight sums for VNNI's correction."""
    cg, kg = call.c // call.groups, call.k // call.groups
    pb, kv = im2col_blocking(backend, kg, call.dtype)
    rs = call.r * call.s
    tw, form = int8_form(backend, cg * rs)
    prg = program(backend, "conv2d", dtype_defines(call) + requant_defines(call) + [f"-DCONV_PAD_W={PAD_PAIRS}"] + form
                  + blocking_defines(pb, kv))
    hp, wp = padded_extent(call)
    cq = -(-cg // tw)
    xp = padded_pairs(backend, prg, call, hp, wp, cq)
    kb = 8 * kv
    kbg = -(-kg // kb)
    q = cq * rs
    words = call.groups * kbg * q * kb
    nbytes = (words + (call.k if form else 0)) * 4

    def pack(_):
        wpk = scratch(backend, nbytes)
        launch(backend, prg, "conv_pack", (q, call.groups * kbg), (64, 1), call.weight.handle, wpk,
               *i32(kg, kbg, cg, rs, q))
        if form:
            launch(backend, prg, "conv_wsum", (call.k,), (64,), call.weight.handle, wpk, *i32(call.k, cg * rs, words))
        return wpk

    wpk = WEIGHTS.get(call, ("im2col", str(call.dtype), kb, call.groups, tw), nbytes, pack)
    tbuf = tap_table(backend, cq, call.r, call.s, hp, wp, call.dil_h, call.dil_w)
    e = epilogue_args(call)
    npb = -(-(call.oh * call.ow) // pb)
    launch(backend, prg, "conv_im2col", (npb, call.groups * kbg, call.n), (8, 1, 1), xp, wpk, tbuf, e["bias"],
           e["res"], call.y.handle, e["mult"], e["shift"],
           *i32(call.groups, cq, hp, wp, call.k, call.oh, call.ow, call.stride_h, call.stride_w, kg, kbg, q,
                call.x_zero_point), *e["flags"])


# conv2d.cl: output channels x vectors of pixels per int8 conv_pw work-item (its PW_M, PW_NV); the
# float32 conv_pw takes PW_NV vectors too and pw_m(backend) output channels
PW_M, PW_NV = 6, 2


def pw_m(backend):
    """Output channels per float32 conv_pw work-item: conv2d.opencl.pw_m_avx512 where the device
    compiles for AVX-512 (isa.py), else conv2d.opencl.pw_m; passed to conv2d.cl as -DPW_M."""
    opencl = tunables(backend)["cfg"].conv2d.opencl
    return opencl.pw_m_avx512 if isa.detect(backend).avx512 else opencl.pw_m


def pointwise(call):
    """A 1x1 stride-1 unpadded ungrouped conv: the GEMM kernels conv_pw / conv_pwt (conv2d.cl)."""
    return (call.r == call.s == 1 and call.stride_h == call.stride_w == 1 and call.groups == 1
            and call.pad_top == call.pad_left == 0 and (call.oh, call.ow) == (call.h, call.w)
            and (call.dtype == np.int8 or call.x_zero_point == 0))


def strided_pointwise(call, opencl):
    """float32: a 1x1 unpadded ungrouped conv with stride > 1 (ResNet's downsampling shortcuts) of at
    least conv2d.opencl.pws_min_macs MACs per image, run as conv_subsample (every stride-th pixel,
    into a scratch buffer) + the pointwise GEMM, not conv_im2col (docs/conv.md)."""
    return (call.dtype != np.int8 and call.r == call.s == 1 and call.groups == 1 and call.x_zero_point == 0
            and call.pad_top == call.pad_left == 0 and (call.stride_h, call.stride_w) != (1, 1)
            and call.dil_h == call.dil_w == 1 and call.c * call.k * call.oh * call.ow >= opencl.pws_min_macs)


def pw_vec(backend):
    """Lanes of conv_pw's vectors: the device's native float vector width (16 on AVX-512)."""
    return min(16, max(4, backend.device.native_vector_width_float))


def pw_kbn(cq, kblk, min_words):
    """k-blocks of PW_M output channels per int8 conv_pw work-item for CQ input words: at least
    conv2d.opencl.pw_min_words input words x k-blocks of work per work-item."""
    return max(1, min(kblk, -(-min_words // cq)))


def use_pwt(p, c, k, vec, m, opencl):
    """float32: conv_pwt (output channels in the lanes, PWT_P pixels broadcast) rather than conv_pw
    (pixels in the lanes) for an image of P pixels, C input and K output channels, on images of at
    most conv2d.opencl.pwt_max_pixels pixels. The share of useful lanes of each (conv_pw computes
    whole blocks of PW_NV vectors of pixels and M channels, conv_pwt of PWT_KV vectors of channels
    and PWT_P pixels; the last blocks overlap the previous ones or run past K) decides at any C
    where conv_pw's is below conv2d.opencl.pw_min_lane_pct percent (7x7: 49 of 64 pixels) and
    conv_pwt's is larger; else conv_pwt needs at least conv2d.opencl.pwt_min_channels input
    channels (below, its transposed stores cost more than its loop saves) and no smaller share."""
    pp, kb = opencl.pwt_p, opencl.pwt_kv * vec
    if not pp <= p <= opencl.pwt_max_pixels:
        return False
    pn = PW_NV * vec
    used_pw = (p / (-(-p // pn) * pn) if p >= pn else p / pn) * k / (-(-k // m) * m)
    used_pwt = p / (-(-p // pp) * pp) * k / (-(-k // kb) * kb)
    if used_pw * 100 < opencl.pw_min_lane_pct:
        return used_pwt > used_pw
    return c >= opencl.pwt_min_channels and used_pwt >= used_pw


def run_pointwise_int8(backend, call):
    """int8: the input as words of TW channels (conv_pad, one row of H*W per word), the weights as
    words of TW taps (conv_pw_pack; TW and the VNNI form from int8_form), the GEMM over pixels
    with TAP_DOT (conv2d.cl)."""
    tw, form = int8_form(backend, call.c)
    p = call.h * call.w
    nv = 4 if p >= tunables(backend)["cfg"].conv2d.opencl.pw_nv4_min_pixels else PW_NV
    yw = () if call.y_words is None else (call.y_words.handle,)  # words_out
    prg = pointwise_program_int8(backend, call, ([f"-DCONV_PW_NV={nv}"] if nv != PW_NV else [])
                                 + (["-DPW_WORDS"] if yw else []))
    cq = -(-call.c // tw)
    if call.x_words is not None:  # written by the producer of x (takes_words)
        xp = call.x_words.handle
    else:
        xp = padded_pairs(backend, prg, call, call.h, call.w, cq)
    if p == 1:
        return _pointwise1_int8(backend, prg, call, xp, cq, tw, form)
    kblk = -(-call.k // PW_M)
    wpk = pointwise_weights_int8(backend, prg, call)
    e = epilogue_args(call)
    flags = e["flags"]  # has_bias, has_res, act, y_zp, r_zp, r_mult, r_shift, lo, hi
    kbn = pw_kbn(cq, kblk, tunables(backend)["cfg"].conv2d.opencl.pw_min_words)
    if yw:  # a work-item's channels whole words (conv2d.cl PW_WORDS): KBN * PW_M a multiple of 4
        step = 4 // math.gcd(PW_M, 4)
        kbn = min(kblk, -(-kbn // step) * step)
    launch(backend, prg, "conv_pw", (-(-p // (nv * 8)), -(-kblk // kbn), call.n), (1, 1, 1), xp, wpk, e["bias"],
           e["res"], call.y.handle, e["mult"], e["shift"], *i32(cq, call.k, p, call.x_zero_point), flags[0], flags[1],
           *flags[3:], *i32(kbn), *yw)


def pointwise_program_int8(backend, call, extra=()):
    """conv2d.cl as the int8 1x1 conv of ``call`` builds it (conv_pw, conv_pw_pack, conv_pad), plus ``extra``."""
    return program(backend, "conv2d", dtype_defines(call) + requant_defines(call) + [f"-DCONV_PAD_W={PAD_PAIRS}"]
                   + int8_form(backend, call.c)[1] + list(extra))


def pointwise_weights_int8(backend, prg, call):
    """conv_pw's packed weights of int8 1x1 conv ``call`` (cached per weight): (KBLK, CQ, PW_M) words of
    TW taps (conv_pw_pack), in the VNNI form followed by the K weight sums (conv_wsum); ``prg`` is
    pointwise_program_int8's. Also read by pwdw_q.cl (backends/opencl/pwdw_q.py)."""
    tw, form = int8_form(backend, call.c)
    cq = -(-call.c // tw)
    kblk = -(-call.k // PW_M)
    words = kblk * cq * PW_M
    nbytes = (words + (call.k if form else 0)) * 4

    def pack(_):
        wpk = scratch(backend, nbytes)
        launch(backend, prg, "conv_pw_pack", (cq, kblk), (min(cq, 64), 1), call.weight.handle, wpk,
               *i32(call.c, call.k, cq))
        if form:
            launch(backend, prg, "conv_wsum", (call.k,), (64,), call.weight.handle, wpk, *i32(call.k, call.c, words))
        return wpk

    return WEIGHTS.get(call, ("pw", "int8", PW_M, tw), nbytes, pack)


def words_out(backend, call):
    """A tensor for ``call.y_words`` where the kernel that runs ``call`` can also write its output as
    the input words of the int8 1x1 convs that read it (ops.conv2d.conv2d_words), else None. The
    words: conv_pad's VNNI layout for a conv without padding, (N, K/4, OH*OW) uint32, word (q, p) the
    u8 bytes x + 128 of channels 4q .. 4q + 3 at pixel p. The kernels: dwconv_map_q and dwconv_strip_q
    (dwconv.map_kernel / strip_q_kernel, -DDW_WORDS; dwconv.opencl.q_map_channels % 4 == 0 for the
    map) and conv_pw (1x1 of more than one pixel, -DPW_WORDS); on a VNNI device, K % 4 == 0, and
    conv2d.opencl.int8_words = 1."""
    cfg = tunables(backend)["cfg"]
    if not (cfg.conv2d.opencl.int8_words and call.dtype == np.int8 and call.k % 4 == 0):
        return None
    if call.algo == "dwconv":
        ok = ((dwconv.map_kernel(backend, call) and cfg.dwconv.opencl.q_map_channels % 4 == 0)
              or dwconv.strip_q_kernel(backend, call))
    else:
        ok = (call.algo == "im2col" and pointwise(call) and call.h * call.w > 1
              and int8_form(backend, call.c)[0] == 4)
    return backend.empty((call.n, call.k // 4, call.oh * call.ow), np.uint32) if ok else None


def takes_words(backend, call, words):
    """Whether the kernel of ``call`` reads its x from ``words`` (an earlier call's y_words: that x as
    words, words_out) and does not relay x out itself: an int8 1x1 conv (conv_pw, conv_pw1) in the
    VNNI form on C % 4 == 0 channels, the words' device, dtype and shape (N, C/4, H*W) checked."""
    return (call.dtype == np.int8 and call.algo == "im2col" and pointwise(call) and call.c % 4 == 0
            and int8_form(backend, call.c)[0] == 4 and words.device is backend and words.dtype == np.uint32
            and tuple(words.shape) == (call.n, call.c // 4, call.h * call.w))


def _pointwise1_int8(backend, prg, call, xp, cq, tw, form):
    """int8 on one pixel: conv_pw1 (conv2d.cl), output channels over work-items, input words in the lanes."""
    nbytes = (call.k * cq + (call.k if form else 0)) * 4

    def pack(_):
        wpk = scratch(backend, nbytes)
        launch(backend, prg, "conv_pw1_pack", (cq, call.k), (min(cq, 64), 1), call.weight.handle, wpk,
               *i32(call.c, call.k, cq))
        if form:
            launch(backend, prg, "conv_wsum", (call.k,), (64,), call.weight.handle, wpk,
                   *i32(call.k, call.c, call.k * cq))
        return wpk

    wpk = WEIGHTS.get(call, ("pw1", "int8", tw), nbytes, pack)
    e = epilogue_args(call)
    flags = e["flags"]  # has_bias, has_res, act, y_zp, r_zp, r_mult, r_shift, lo, hi
    launch(backend, prg, "conv_pw1", (call.k, call.n), (64, 1), xp, wpk, e["bias"], e["res"], call.y.handle,
           e["mult"], e["shift"], *i32(cq, call.k, call.x_zero_point), flags[0], flags[1], *flags[3:])


def _packed_pw(backend, prg, call, form, kb, taps=None):
    """float32 1x1 weights packed once into blocks of ``kb`` output channels by conv_<form>_pack
    (form "pw": conv_pw's layout, "pwt": conv_pwt's), cached with the call's weights: (blocks,
    buffer). ``taps``: the columns of the (K, taps) weight matrix (conv_rows: C*R*S), else C."""
    taps = taps or call.c
    kblk = -(-call.k // kb)
    nbytes = kblk * taps * kb * 4

    def pack(_):
        wpk = scratch(backend, nbytes)
        launch(backend, prg, f"conv_{form}_pack", (taps, kblk), (min(taps, 64), 1), call.weight.handle, wpk,
               *i32(taps, call.k))
        return wpk

    return kblk, WEIGHTS.get(call, (form, kb), nbytes, pack)


def takes_x_scale(backend, call):
    """ConvCall.x_scale (graph pass fuse_se_scale: a squeeze-and-excitation gate times the block
    input) is multiplied in as conv_pw / conv_pwt load x (-DPW_XSCALE): float32 1x1 stride-1 convs
    of more than one pixel; ops.conv2d computes the product first for any other conv."""
    return (call.dtype == np.float32 and call.algo == "im2col" and pointwise(call)
            and call.oh * call.ow > 1)


def run_pointwise(backend, call):
    if call.dtype == np.int8:
        return run_pointwise_int8(backend, call)
    p = call.oh * call.ow
    scale = call.x_scale
    vec, m = pw_vec(backend), pw_m(backend)
    opencl = tunables(backend)["cfg"].conv2d.opencl
    prg = program(backend, "conv2d", [f"-DPW_VEC={vec}", f"-DPW_M={m}"] + (["-DPW_XSCALE"] if scale else []))
    x = call.x.handle
    if (call.oh, call.ow) != (call.h, call.w):  # strided_pointwise: the GEMM reads the gathered pixels
        x = scratch(backend, call.n * call.c * p * 4, "conv_xs")
        lw = min(call.ow, 64)
        launch(backend, prg, "conv_subsample", (call.ow, call.oh, call.n * call.c), (lw, min(call.oh, 256 // lw), 1),
               call.x.handle, x,
               *i32(call.h, call.w, call.oh, call.ow, call.stride_h, call.stride_w))
    e = epilogue_args(call)
    flags = i32(call.bias is not None, call.residual is not None, ACT[call.activation])
    xs = (scale.handle,) if scale is not None else ()
    if p > 1 and use_pwt(p, call.c, call.k, vec, m, opencl):  # output channels in the lanes
        kb = opencl.pwt_kv * vec
        kblk, wpk = _packed_pw(backend, prg, call, "pwt", kb)
        launch(backend, prg, "conv_pwt", (-(-p // opencl.pwt_p), kblk, call.n), (1, 1, 1), x, wpk,
               e["bias"], e["res"], call.y.handle, *i32(call.c, call.k, p), *flags, *xs)
        return
    kblk, wpk = _packed_pw(backend, prg, call, "pw", m)
    if p == 1:  # one pixel (the SE blocks' FCs): conv_pw1, the same sums without the pixel block
        launch(backend, prg, "conv_pw1", (kblk, call.n), (16, 1), x, wpk, e["bias"], e["res"],
               call.y.handle, *i32(call.c, call.k), *flags)
        return
    launch(backend, prg, "conv_pw", (-(-p // (PW_NV * vec)), kblk, call.n), (1, 1, 1), x, wpk,
           e["bias"], e["res"], call.y.handle, *i32(call.c, call.k, p), *flags, *xs)


def run(backend, call):
    if call.x_scale is not None and not takes_x_scale(backend, call):
        raise ValueError("conv2d: x_scale on a conv whose kernel does not apply it (ops.conv2d asks takes_x_scale)")
    opencl = tunables(backend)["cfg"].conv2d.opencl
    if call.algo == "im2col" and (pointwise(call) or strided_pointwise(call, opencl)):
        run_pointwise(backend, call)
    elif call.algo == "im2col" and use_rows(call, pw_vec(backend), opencl):
        run_rows(backend, call)
    elif call.algo == "im2col":
        run_im2col(backend, call)
    elif call.algo == "winograd":
        winograd.run(backend, call)
    elif call.algo == "dwconv":
        dwconv.run(backend, call)
    else:
        raise ValueError(f"unknown conv2d algo {call.algo!r}")
