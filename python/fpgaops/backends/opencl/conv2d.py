"""OpenCL launcher for ConvCall: "im2col" (implicit GEMM, kernels/opencl/conv2d.cl) here;
"winograd" and "dwconv" in their own modules (same stems as their .cl files)."""
import collections

import numpy as np
import pyopencl as cl

from ... import config

ACT = {"none": 0, "relu": 1, "relu6": 2}


_KERNELS = {}
_PROGRAMS = {}
_TUNABLES = {}


def tunables():
    """The conv tunables of the current kernel config, looked up once per config object."""
    cfg = config.current()
    t = _TUNABLES.get(id(cfg))
    if t is None:
        t = _TUNABLES[id(cfg)] = dict(
            pb=cfg.conv2d.opencl.pb, kv=cfg.conv2d.opencl.kv, wino_tb=cfg.winograd.opencl.tb,
            wino_kv=cfg.winograd.opencl.kv, dw_rows=cfg.dwconv.opencl.rows, cfg=cfg)
    return t


def program(backend, stem, defines):
    """backend.program(stem, defines), memoised per (backend, config object) to skip the config
    digest on every launch."""
    key = (id(backend), id(config.current()), stem, tuple(defines))
    prg = _PROGRAMS.get(key)
    if prg is None:
        prg = _PROGRAMS[key] = backend.program(stem, list(defines))
    return prg


def kernel(prg, name):
    """The kernel object ``name`` of ``prg``, retrieved once (retrieval is expensive in PyOpenCL)."""
    key = (id(prg), name)
    k = _KERNELS.get(key)
    if k is None:
        k = _KERNELS[key] = (prg, cl.Kernel(prg, name))
    return k[1]


def launch(backend, prg, name, gsize, lsize, *args):
    """Enqueue ``name``. ``lsize`` is a work-group shape (PoCL's per-work-group overhead makes
    tiny groups ~10x slower); the global size is rounded up to a multiple of it and every kernel
    checks its bounds. lsize None lets the runtime choose. Scalars are np.int32 (typed NumPy
    scalars: PyOpenCL passes their bytes without sniffing a type)."""
    if lsize is not None:
        lsize = tuple(min(l, g) for l, g in zip(lsize, gsize))
        gsize = tuple(-(-g // l) * l for g, l in zip(gsize, lsize))
    backend.enqueue(kernel(prg, name), gsize, lsize, args)


class WeightCache:
    """Packed / transformed weights of device-resident weight Tensors (ConvCall.weight_is_constant),
    LRU, bounded in bytes. Entries hold the source tensor's lease (its buffer ownership), so the
    buffer is neither freed nor handed to a new tensor by the buffer pool while it is cached: a
    reused buffer with the same id would otherwise hit another weight's stale entry."""

    def __init__(self, limit_bytes=512 << 20):
        self.limit, self.used, self.entries = limit_bytes, 0, collections.OrderedDict()

    def get(self, call, key, nbytes, make):
        """make(buffer) fills a new buffer of nbytes; cached when the weight is constant."""
        if not call.weight_is_constant:
            return make(None)
        full = (id(call.weight.handle), call.weight.shape) + tuple(key)
        hit = self.entries.get(full)
        if hit is not None:
            self.entries.move_to_end(full)
            return hit[1]
        buf = make(None)
        self.entries[full] = (getattr(call.weight, "_lease", None) or call.weight.handle, buf, nbytes)
        self.used += nbytes
        while self.used > self.limit and len(self.entries) > 1:
            _, (_, _, nb) = self.entries.popitem(last=False)
            self.used -= nb
        return buf


WEIGHTS = WeightCache()


def i32(*vals):
    return [np.int32(v) for v in vals]


_SCRATCH = {}


def scratch(backend, nbytes, slot=None):
    """A device buffer of at least nbytes (+ a 64-byte guard). With ``slot``, one buffer per
    (backend, slot) is kept and reused by later calls: the queue is in-order, so a later launch
    never overtakes an earlier one still using it, and a fresh multi-megabyte buffer would cost
    its page faults again on every call (~0.5 ms for the Winograd intermediates)."""
    cl = backend.cl
    size = max(int(nbytes), 4) + 64
    if slot is None:
        return cl.Buffer(backend.ctx, cl.mem_flags.READ_WRITE, size)
    key = (id(backend), slot)
    buf = _SCRATCH.get(key)
    if buf is None or buf.size < size:
        buf = _SCRATCH[key] = cl.Buffer(backend.ctx, cl.mem_flags.READ_WRITE, size)
    return buf


# int8 conv_pad: consecutive channel pairs of one padded row per work-item (conv2d.cl PAD_W)
PAD_PAIRS = 64


def dtype_defines(call):
    return ["-DCONV_INT8=1"] if call.dtype == np.int8 else []


def epilogue_args(call):
    """Buffers and scalars of the shared epilogue: bias, residual, mult, shift + flags."""
    dummy = call.x.handle
    return dict(
        bias=call.bias.handle if call.bias is not None else dummy,
        res=call.residual.handle if call.residual is not None else dummy,
        mult=call.mult.handle if call.mult is not None else dummy,
        shift=call.shift.handle if call.shift is not None else dummy,
        flags=i32(call.bias is not None, call.residual is not None, ACT[call.activation], call.y_zero_point,
                  call.res_zero_point, call.res_mult, call.res_shift, call.act_min, call.act_max),
    )


def padded_input(backend, prg, call, hp, wp):
    """float32: x -> (N, C, HP, WP), zeros outside."""
    xp = scratch(backend, call.n * call.c * hp * wp * 4, "conv_xp")
    launch(backend, prg, "conv_pad", (wp, hp, call.n * call.c), (wp, 4, 1), call.x.handle, xp,
                 *i32(call.c, call.h, call.w, hp, wp, call.pad_top, call.pad_left, call.x_zero_point))
    return xp


def padded_pairs(backend, prg, call, hp, wp, cq):
    """int8: x -> (N, G, CQ, HP, WP) int16 channel pairs (x - zp, 0 outside and past C/groups)."""
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


def run_im2col(backend, call):
    if call.dtype == np.int8:
        return run_im2col_int8(backend, call)
    tun = tunables()
    prg = program(backend, "conv2d", dtype_defines(call))
    hp, wp = padded_extent(call)
    if (hp, wp) == (call.h, call.w) and call.pad_top == call.pad_left == 0:
        xp = call.x.handle      # nothing to pad (e.g. 1x1 / valid): read x in place
    else:
        xp = padded_input(backend, prg, call, hp, wp)
    cg, kg = call.c // call.groups, call.k // call.groups
    kb = 8 * tun["kv"]
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
    npb = -(-(call.oh * call.ow) // tun["pb"])
    launch(backend, prg, "conv_im2col", (npb, call.groups * kbg, call.n), (8, 1, 1), xp, wpk, tbuf, e["bias"],
           e["res"], call.y.handle, e["mult"], e["shift"],
           *i32(call.c, hp, wp, call.k, call.oh, call.ow, call.stride_h, call.stride_w, cg, kg, kbg, crs),
           *e["flags"])


def run_im2col_int8(backend, call):
    """int8: the input as int16 channel pairs, the weights as int16 pair-taps (conv2d.cl header)."""
    tun = tunables()
    prg = program(backend, "conv2d", dtype_defines(call) + [f"-DCONV_PAD_W={PAD_PAIRS}"])
    hp, wp = padded_extent(call)
    cg, kg = call.c // call.groups, call.k // call.groups
    cq = -(-cg // 2)
    xp = padded_pairs(backend, prg, call, hp, wp, cq)
    kb = 8 * tun["kv"]
    kbg = -(-kg // kb)
    rs = call.r * call.s
    q = cq * rs
    nbytes = call.groups * kbg * q * kb * 4

    def pack(_):
        wpk = scratch(backend, nbytes)
        launch(backend, prg, "conv_pack", (q, call.groups * kbg), (64, 1), call.weight.handle, wpk,
               *i32(kg, kbg, cg, rs, q))
        return wpk

    wpk = WEIGHTS.get(call, ("im2col", str(call.dtype), kb, call.groups), nbytes, pack)
    tbuf = tap_table(backend, cq, call.r, call.s, hp, wp, call.dil_h, call.dil_w)
    e = epilogue_args(call)
    npb = -(-(call.oh * call.ow) // tun["pb"])
    launch(backend, prg, "conv_im2col", (npb, call.groups * kbg, call.n), (8, 1, 1), xp, wpk, tbuf, e["bias"],
           e["res"], call.y.handle, e["mult"], e["shift"],
           *i32(call.groups, cq, hp, wp, call.k, call.oh, call.ow, call.stride_h, call.stride_w, kg, kbg, q),
           *e["flags"])


def run(backend, call):
    if call.algo == "im2col":
        run_im2col(backend, call)
    elif call.algo == "winograd":
        from . import winograd
        winograd.run(backend, call)
    elif call.algo == "dwconv":
        from . import dwconv
        dwconv.run(backend, call)
    else:
        raise ValueError(f"unknown conv2d algo {call.algo!r}")
