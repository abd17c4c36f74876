"""Helpers shared by the OpenCL conv launchers (conv2d.py: im2col and the dispatch; winograd.py;
dwconv.py): program and kernel caches, the one launch function, the packed-weight cache, scratch
buffers and the conv epilogue's arguments. The launchers import this module; it imports none of
them (no cycle)."""
import collections

import numpy as np
import pyopencl as cl

from ... import config
from . import isa
from .isa import VNNI_MAX_TAPS, int8_form  # noqa: F401  (the conv launchers' import point)

# the conv kernels' activation codes (conv_epilogue.h); hardsigmoid, hardswish, sigmoid and silu
# are float32 only
ACT = {"none": 0, "relu": 1, "relu6": 2, "hardsigmoid": 3, "hardswish": 4, "sigmoid": 5, "silu": 6}


_KERNELS = {}
_PROGRAMS = {}
_TUNABLES = {}


def tunables(backend=None):
    """The conv tunables of the current kernel config for ``backend``'s instruction set (isa.py),
    looked up once per (config object, ISA). conv_im2col's kv is conv2d.opencl.kv_avx512 where the
    device compiles for AVX-512 (32 vector registers), else conv2d.opencl.kv (AVX2's 16); it
    reaches conv2d.cl as -DCONV_KV (conv2d.py im2col_blocking)."""
    cfg = config.current()
    avx512 = backend is not None and isa.detect(backend).avx512
    t = _TUNABLES.get((id(cfg), avx512))
    if t is None:
        kv = cfg.conv2d.opencl.kv_avx512 if avx512 else cfg.conv2d.opencl.kv
        t = _TUNABLES[(id(cfg), avx512)] = dict(
            pb=cfg.conv2d.opencl.pb, kv=kv, dw_rows=cfg.dwconv.opencl.rows, cfg=cfg)
    return t


def program(backend, stem, defines):
    """backend.program(stem, defines + the device's ISA flags), memoised per (backend, config
    object) to skip the config digest on every launch."""
    defines = list(defines) + isa.build_defines(isa.detect(backend))
    key = (id(backend), id(config.current()), stem, tuple(defines))
    prg = _PROGRAMS.get(key)
    if prg is None:
        prg = _PROGRAMS[key] = backend.program(stem, defines)
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


def dtype_defines(call):
    return ["-DCONV_INT8=1"] if call.dtype == np.int8 else []


# conv_int8.h CONV_REQ32: the 32-bit requantization is exact for shifts in this range (the proof is there)
REQ32_SHIFTS = (33, 62)
_REQ32 = collections.OrderedDict()


def requant_defines(call):
    """["-DCONV_REQ32=1"] where every (mult, shift) of an int8 conv allows the 32-bit epilogue of
    conv_int8.h, else []. mult/shift are small device tensors made once per layer and cached
    (ops/conv2d.py _requant_tensors): read back once, the answer kept with the tensors themselves
    (so an id is never reused while its entry lives)."""
    if call.dtype != np.int8 or call.mult is None:
        return []
    key = (id(call.mult), id(call.shift))
    hit = _REQ32.get(key)
    if hit is None:
        m, s = call.mult.numpy(), call.shift.numpy()
        ok = bool(np.all(m >= 0) and np.all(s >= REQ32_SHIFTS[0]) and np.all(s <= REQ32_SHIFTS[1]))
        hit = _REQ32[key] = (call.mult, call.shift, ok)
        if len(_REQ32) > 1024:
            _REQ32.popitem(last=False)
    else:
        _REQ32.move_to_end(key)
    return ["-DCONV_REQ32=1"] if hit[2] else []


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
