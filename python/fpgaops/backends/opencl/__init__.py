"""OpenCL backend: kernels/opencl/*.cl through PyOpenCL on any OpenCL device (PoCL on the CPU in
CI). The platform is chosen by name and version, never by index:

  * ``FPGAOPS_OPENCL_PLATFORM`` (a substring of the platform's name, vendor or version) picks one;
  * otherwise the newest PoCL wins (Debian's PoCL 3.1 beats the 3.0 bundled with the
    pocl-binary-distribution wheel by 2-5x), then any other platform, newest OpenCL first.

Programs are built once per (device, source, kernel config digest, defines) and cached.
"""
import os
import re
import threading
from pathlib import Path

import numpy as np

from ... import config
from ...errors import BuildError, DeviceError
from ..base import Backend, alloc_bytes

PLATFORM_ENV = "FPGAOPS_OPENCL_PLATFORM"
# PoCL's pthread driver pins its worker thread i to CPU i when this is 1 (read once, when PoCL
# initializes). Unpinned, Linux's wake-up placement often stacked both workers on one CPU after
# another thread pool (ONNX Runtime's, torch's) had run, and a network's kernels then took up to 2x
# longer until the load balancer moved one (measured: docs/networks.md, "Where a replay's time goes").
AFFINITY_ENV = "POCL_AFFINITY"
# Buffers released by dead tensors are kept for reuse up to this many bytes: a fresh buffer costs
# page faults on first touch (PoCL maps new pages), which made memory-bound ops 4-9x slower than
# their kernels. Reuse is safe because the command queue is in order.
POOL_BYTES = 512 << 20


_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]+"([^"]+)"[ \t]*$', re.M)


def inline_includes(path, seen=None):
    """The source of ``path`` with every ``#include "x.h"`` of the kernels folder pasted in (once).
    Runtimes compile from a string: this needs no -I, and PoCL's program cache, which keys on the
    source text, sees header changes."""
    seen = set() if seen is None else seen
    def paste(m):
        inc = (path.parent / m.group(1)).resolve()
        if inc in seen:
            return ""
        seen.add(inc)
        return inline_includes(inc, seen)
    return _INCLUDE.sub(paste, path.read_text())


def _version(text, prefix):
    m = re.search(prefix + r"\s*(\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def _rank(platform):
    """Sort key: PoCL first, then by PoCL version, then by OpenCL version."""
    v = platform.version
    return ("PoCL" in v or "Portable Computing Language" in platform.name, _version(v, "PoCL"), _version(v, "OpenCL"))


def pin_pocl_workers(environ=os.environ, cpu_count=os.cpu_count, affinity=None):
    """Set POCL_AFFINITY=1 before PoCL starts, unless the user set it or the process may not run
    on every CPU 0..n-1 (a cpuset or taskset: PoCL would pin its workers to CPUs by index, some of
    them not ours). Returns whether it set the variable. No effect when PoCL already started."""
    if AFFINITY_ENV in environ:
        return False
    try:
        allowed = affinity() if affinity is not None else os.sched_getaffinity(0)
    except (AttributeError, OSError):  # no sched_getaffinity on this OS
        return False
    if set(allowed) != set(range(cpu_count() or 0)):
        return False
    environ[AFFINITY_ENV] = "1"
    return True


def select_device():
    """(platform, device) by the rules in the module docstring; DeviceError when none."""
    import pyopencl as cl

    pin_pocl_workers()

    try:
        platforms = cl.get_platforms()
    except cl.Error as e:
        raise DeviceError(f"no OpenCL platform found ({e}); install PoCL (see README)") from None
    want = os.environ.get(PLATFORM_ENV)
    if want:
        platforms = [p for p in platforms if want.lower() in f"{p.name} {p.vendor} {p.version}".lower()]
        if not platforms:
            raise DeviceError(f"{PLATFORM_ENV}={want!r} matches no OpenCL platform")
    for platform in sorted(platforms, key=_rank, reverse=True):
        try:
            devices = platform.get_devices()
        except cl.Error:
            continue
        if devices:
            return platform, devices[0]
    raise DeviceError("no OpenCL device found on any platform")


class OpenCLBackend(Backend):
    name = "opencl"

    @classmethod
    def probe(cls):
        try:
            import pyopencl  # noqa: F401
        except ImportError:
            return False, "-", "pyopencl is not installed (pip install pyopencl)"
        try:
            platform, dev = select_device()
        except DeviceError as e:
            return False, "-", str(e)
        return True, platform.version.split("  ")[0].strip(), f"{dev.name.strip()} ({dev.max_compute_units} compute units)"

    def __init__(self):
        import pyopencl as cl

        self.cl = cl
        self.platform, self.device = select_device()
        self.ctx = cl.Context([self.device])
        self.queue = cl.CommandQueue(self.ctx)
        self.word_bytes = config.current().axi.word_bits // 8
        self._programs = {}
        # Re-entrant: a tensor's finalizer (tensor.Lease.__del__ -> release) runs wherever a garbage
        # collection starts, which can be inside a critical section of this lock on the same thread
        # (any allocation there may start one); with a plain Lock that release waited on its own
        # thread forever (a hang seen in the test suite, inside program()).
        self._lock = threading.RLock()
        # Builds take seconds: their own lock, so other threads keep allocating meanwhile.
        self._build_lock = threading.Lock()
        self._free = {}  # allocation size -> [cl.Buffer] released by dead tensors
        self._pooled = 0
        self._pool_limit = POOL_BYTES  # kept on the instance: release() may run at interpreter exit
        self._claimed = {}  # int_ptr -> count: buffers owned by launch plans, never pooled again
        self.recording = None  # a replay.Recording while a launch plan is being recorded

    # --- the interface -------------------------------------------------------------------------
    def allocate(self, nbytes):
        cl = self.cl
        size = alloc_bytes(nbytes, self.word_bytes)
        rec = self.recording
        if rec is not None and rec.mine():
            handle = rec.take(size)
            if handle is not None:
                return handle
        with self._lock:
            free = self._free.get(size)
            if free:
                self._pooled -= size
                return free.pop()
        try:
            return cl.Buffer(self.ctx, cl.mem_flags.READ_WRITE, size)
        except cl.Error as e:
            raise DeviceError(f"opencl: cannot allocate {nbytes} bytes: {e}", code=getattr(e, "code", None)) from None

    def release(self, handle):
        size = handle.size
        with self._lock:
            if handle.int_ptr in self._claimed:
                return  # a launch plan still writes this buffer: it must never be handed out again
            rec = self.recording
            if rec is not None and rec.mine():
                rec.keep(handle)  # reserved for the recorded run (replay.Recording)
                return
            if self._pooled + size <= self._pool_limit:
                self._free.setdefault(size, []).append(handle)
                self._pooled += size

    def copy_in(self, handle, array):
        if self.recording is not None and self.recording.mine():
            self.recording.fail("a host-to-device copy inside the graph")
        self.cl.enqueue_copy(self.queue, handle, np.ascontiguousarray(array), is_blocking=True)

    def copy_out(self, handle, out):
        if self.recording is not None and self.recording.mine():
            self.recording.fail("a device-to-host copy inside the graph")
        self.cl.enqueue_copy(self.queue, out, handle, is_blocking=True)

    def finish(self):
        self.queue.finish()

    def has_family(self, family):
        """resize.cl computes in double (its results are the golden model's bits): a device without
        cl_khr_fp64 has no resize kernels, and resize runs on the host (ops/resize.py)."""
        if family == "resize" and not self.device.double_fp_config:
            return False
        return super().has_family(family)

    def enqueue(self, k, gsize, lsize, args):
        """Set ``args`` on kernel object ``k`` and enqueue it: the one place every launcher enqueues
        through, so a launch plan (replay.py) sees every kernel of a network run. Callers that
        share ``k`` between threads hold their lock around this call."""
        if self.recording is not None and self.recording.mine():
            self.recording.launch(k, gsize, lsize, args)
        k.set_args(*args)
        self.cl.enqueue_nd_range_kernel(self.queue, k, gsize, lsize)

    # --- int8 conversions on the device (quant.py), for the int8 network runner -------------------
    def quantize_tensor(self, x, scale, zero_point):
        """A float32 Tensor as int8 codes (fpgaops.quant.quantize, bit-exact); None without float64."""
        from . import quant
        return quant.quantize(self, x, scale, zero_point) if quant.has_fp64(self) else None

    def dequantize_tensor(self, x, scale, zero_point):
        """int8 codes as a float32 Tensor (fpgaops.quant.dequantize, rounded to float32); None without float64."""
        from . import quant
        return quant.dequantize(self, x, scale, zero_point) if quant.has_fp64(self) else None

    # --- launch plans (replay.py) ---------------------------------------------------------------
    def record(self):
        from .replay import Recording
        return Recording(self)

    def claim(self, buffers):
        """Buffers a launch plan writes on every replay: out of the pool now and never pooled again."""
        with self._lock:
            ptrs = {b.int_ptr for b in buffers}
            for ptr in ptrs:
                self._claimed[ptr] = self._claimed.get(ptr, 0) + 1
            for size, free in self._free.items():
                keep = [b for b in free if b.int_ptr not in ptrs]
                self._pooled -= (len(free) - len(keep)) * size
                free[:] = keep

    def unclaim(self, buffers):
        with self._lock:
            for ptr in {b.int_ptr for b in buffers}:
                n = self._claimed.get(ptr, 0) - 1
                if n > 0:
                    self._claimed[ptr] = n
                else:
                    self._claimed.pop(ptr, None)

    # --- programs ------------------------------------------------------------------------------
    def program(self, stem, defines=()):
        """kernels/opencl/<stem>.cl built with every kernel-config key as -D plus ``defines``."""
        cfg = config.current()
        key = (stem, cfg.digest, tuple(defines))
        with self._build_lock:
            if key not in self._programs:
                path = Path(config.kernel_source_dir()) / "opencl" / f"{stem}.cl"
                options = cfg.cl_defines() + list(defines)
                try:
                    prg = self.cl.Program(self.ctx, inline_includes(path)).build(options=options)
                except self.cl.RuntimeError as e:
                    raise BuildError(f"opencl: building {path.name} failed", log=str(e)) from None
                self._programs[key] = prg
            return self._programs[key]


BACKEND = OpenCLBackend
