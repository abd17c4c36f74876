"""OpenCL launcher for GemmCall: kernels/opencl/gemm.cl (design notes in that file's header).

One call enqueues two kernels on ``backend.queue`` and returns without waiting (a float32
product of at most GEMV_MAX_M rows enqueues gemv_f32 alone, reading both operands in place):

    gemm_pack_{f32,i8}   op(A_p) -> row panels and op(B_p) -> column panels (each once when
                         its batch stride is 0, else once per batch entry); int8 as int16
                         k-pairs, or with VNNI (isa.int8_form) as byte k-quads
    gemm_{f32,i8}        one BLOCK_M x BLOCK_N tile of Y per work-item, every batch entry

The packed panels live in scratch buffers cached per backend and grown on demand. The queue
is in order, so reusing them across calls is safe once a call's kernels are enqueued
back to back; a lock per backend keeps concurrent Python threads from interleaving them.
"""
import threading
import weakref

import numpy as np

from ... import config
from ...errors import DeviceError
from . import isa

KERNELS = ("gemm_pack_f32", "gemm_f32", "gemm_pack_i8", "gemm_i8", "gemv_f32")
# float32 products of at most this many rows (and A not transposed) take gemv_f32: no packing
GEMV_MAX_M = 4
GEMV_COLS = 8  # GV in gemm.cl: outputs per work-item

# Scratch buffers above this size are not kept between calls (a huge batch should not pin
# its panels in memory forever); OpenCL keeps a released buffer alive until the kernels
# queued on it have finished, so dropping the reference right after enqueueing is safe.
KEEP_SCRATCH_BYTES = 256 << 20


class _State:
    """Per-backend cache: the kernels built for one kernel config, that config's blocking, and
    the two scratch buffers. Rebuilt when fpgaops.config.current() changes."""

    def __init__(self):
        self.lock = threading.Lock()
        self.cfg = None
        self.kernels = {}  # (TW of the int8 form, its -D flags) -> {kernel name: kernel}
        self.blocks = {}  # dtype name -> (block_m, block_n)
        self.kc = 0
        self.vnni_form = (2, [])  # the int8 form for K <= isa.VNNI_MAX_TAPS
        self.scratch = {}  # "a" / "b" -> (buffer, nbytes)

    def configure(self, backend):
        """Called under the lock: keeps Python work per call small (config lookups are slow)."""
        cfg = config.current()
        if cfg is not self.cfg:
            g = cfg.gemm.opencl
            self.kernels = {}
            self.blocks = {"float32": (g.block_m, g.block_n), "int8": (g.int8_block_m, g.int8_block_n)}
            self.kc = g.kc
            # gemm.cl's VNNI micro-kernel works on int8 vectors: int8_vec 8 only
            self.vnni_form = isa.int8_form(backend, 1) if g.int8_vec == 8 else (2, [])
            self.cfg = cfg

    def kernels_for(self, backend, form):
        key = (form[0], tuple(form[1]))
        ks = self.kernels.get(key)
        if ks is None:
            prg = backend.program("gemm", form[1])
            ks = self.kernels[key] = {name: backend.cl.Kernel(prg, name) for name in KERNELS}
        return ks


_states = weakref.WeakKeyDictionary()
_states_lock = threading.Lock()


def _state(backend):
    with _states_lock:
        st = _states.get(backend)
        if st is None:
            st = _states[backend] = _State()
        return st


def _scratch(backend, st, which, nbytes):
    buf, size = st.scratch.get(which, (None, 0))
    if buf is not None and size >= nbytes:
        return buf
    buf = backend.allocate(nbytes)
    if nbytes <= KEEP_SCRATCH_BYTES:
        st.scratch[which] = (buf, nbytes)
    return buf


def _cdiv(a, b):
    return -(-a // b)


def geometry(call, block_m, block_n, tw=2):
    """(packed elements of one A_p, of one B_p, bytes per packed element) for a call blocked
    block_m x block_n: float32 panels are K deep; int8 panels hold ceil(K/2) int16 pairs, or with
    VNNI (tw 4) ceil(K/4) quads of bytes."""
    if call.dtype == np.float32:
        kdim, esize = call.k, 4
    else:
        kdim, esize = tw * _cdiv(call.k, tw), 4 // tw
    return _cdiv(call.m, block_m) * block_m * kdim, _cdiv(call.n, block_n) * block_n * kdim, esize


def run(backend, call):
    cl = backend.cl
    is_f32 = call.dtype == np.float32
    batch_a = call.batch if call.stride_a else 1
    batch_b = call.batch if call.stride_b else 1
    use_c = call.c is not None and call.beta != 0
    # beta == 0: C is never read, any valid buffer will do for the argument
    c_handle = call.c.handle if use_c else call.y.handle
    i32, u64 = np.int32, np.uint64
    if is_f32:
        tail = (np.float32(call.alpha), np.float32(call.beta if use_c else 0.0))
        suffix = "f32"
    else:
        tail = (i32(1 if use_c else 0),)
        suffix = "i8"
    st = _state(backend)
    try:
        with st.lock:
            st.configure(backend)
            form = st.vnni_form if not is_f32 and call.k <= isa.VNNI_MAX_TAPS else (2, [])
            ks = st.kernels_for(backend, form)
            if is_f32 and call.m <= GEMV_MAX_M and not call.trans_a:
                backend.enqueue(ks["gemv_f32"], (_cdiv(call.n, GEMV_COLS), call.m, call.batch), (1, 1, 1),
                                (call.a.handle, call.b.handle, c_handle, call.y.handle, i32(call.m), i32(call.n),
                                 i32(call.k), i32(call.trans_b), u64(call.stride_a), u64(call.stride_b),
                                 u64(call.stride_c if use_c else 0), i32(call.ldc if use_c else 0), *tail))
                return
            bm, bn = st.blocks["float32" if is_f32 else "int8"]
            panel_a, panel_b, esize = geometry(call, bm, bn, form[0])
            mb, nb = _cdiv(call.m, bm), _cdiv(call.n, bn)
            kchunks = _cdiv(call.k if is_f32 else _cdiv(call.k, form[0]), st.kc)
            ap = _scratch(backend, st, "a", batch_a * panel_a * esize)
            bp = _scratch(backend, st, "b", batch_b * panel_b * esize)
            one = (1, 1, 1)
            k = ks["gemm_pack_" + suffix]
            backend.enqueue(k, (mb + nb, kchunks, max(batch_a, batch_b)), one,
                            (call.a.handle, call.b.handle, ap, bp, i32(call.m), i32(call.n), i32(call.k),
                             i32(call.trans_a), i32(call.trans_b), u64(call.stride_a), u64(call.stride_b),
                             i32(batch_a), i32(batch_b)))
            k = ks["gemm_" + suffix]
            backend.enqueue(k, (mb, nb, call.batch), one,
                            (ap, bp, c_handle, call.y.handle, i32(call.m), i32(call.n), i32(call.k),
                             u64(panel_a if call.stride_a else 0), u64(panel_b if call.stride_b else 0),
                             u64(call.stride_c if use_c else 0), i32(call.ldc if use_c else 0), *tail))
    except cl.Error as e:
        raise DeviceError(f"opencl gemm: {e}", code=getattr(e, "code", None)) from None
