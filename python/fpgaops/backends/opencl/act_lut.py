"""OpenCL launcher for ActCall: kernels/opencl/act_lut.cl (design notes in that file's header),
plus the helpers the other memory-bound families (eltwise, pool, softmax) share: building a
program that includes act_lut.h, a per-backend kernel cache, and the chunked 1-D launch."""
import threading
import weakref

import numpy as np

from ... import config
from ...errors import DeviceError

i32, f32 = np.int32, np.float32

# Elements one work-item streams at least (below that, launch overhead dominates on PoCL).
MIN_CHUNK = 4096


class _State:
    def __init__(self):
        self.lock = threading.Lock()
        self.kernels = {}


_states = weakref.WeakKeyDictionary()
_states_lock = threading.Lock()


_digests = weakref.WeakKeyDictionary()


def _digest(cfg):
    """cfg.digest (a JSON dump and a hash: ~0.1 ms), memoised per config object."""
    d = _digests.get(cfg)
    if d is None:
        d = _digests[cfg] = cfg.digest
    return d


def kernel(backend, stem, name):
    """(lock, cl.Kernel) for kernel ``name`` of kernels/opencl/<stem>.cl (act_lut.h is inlined by
    ``backend.program``), cached per backend and config."""
    with _states_lock:
        st = _states.get(backend)
        if st is None:
            st = _states[backend] = _State()
    key = (stem, name, _digest(config.current()))
    with st.lock:
        k = st.kernels.get(key)
        if k is None:
            prg = backend.program(stem)
            k = st.kernels[key] = backend.cl.Kernel(prg, name)
    return st.lock, k


def chunking(backend, count, vec):
    """(work-items, chunk): a contiguous chunk (a multiple of ``vec``) per work-item, enough items
    to keep every compute unit busy."""
    units = max(1, backend.device.max_compute_units)
    items = max(1, min(-(-count // MIN_CHUNK), 8 * units))
    chunk = -(-count // items)
    chunk = -(-chunk // vec) * vec
    return -(-count // chunk), chunk


def enqueue(backend, stem, name, gsize, args):
    cl = backend.cl
    lock, k = kernel(backend, stem, name)
    try:
        with lock:
            backend.enqueue(k, gsize, (1,) * len(gsize), args)
    except cl.Error as e:
        raise DeviceError(f"opencl {stem}: {e}", code=getattr(e, "code", None)) from None


def run(backend, call):
    vec = config.current().act_lut.opencl.vec
    items, chunk = chunking(backend, call.count, vec)
    if call.dtype == np.int8:
        args = (call.x.handle, call.y.handle, i32(call.count), i32(chunk), call.table.handle)
        enqueue(backend, "act_lut", "act_i8", (items,), args)
        return
    tab = call.table.handle if call.table is not None else call.x.handle  # never read unless TABLE
    args = (call.x.handle, call.y.handle, i32(call.count), i32(chunk), i32(call.kind), f32(call.alpha),
            f32(call.beta), tab)
    enqueue(backend, "act_lut", "act_f32", (items,), args)
