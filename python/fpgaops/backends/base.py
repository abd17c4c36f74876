"""The backend interface: allocate, copy in, copy out, run a kernel. Every backend raises on
failure (DeviceError / BuildError / UnsupportedError) and never returns status codes.

A kernel call is a small record (``KernelCall`` subclasses, one per op family, defined in
``fpgaops/ops/<family>.py``) whose fields are the kernel top's arguments: device tensors and
validated scalars. ``Backend.run(call)`` hands it to ``fpgaops.backends.<backend>.<family>.run``,
so each backend keeps one launcher file per op family, with the same stem as every other layer.
"""
import dataclasses
import importlib

import numpy as np

from ..errors import DeviceError, UnsupportedError

# Every device allocation is rounded up to whole AXI words plus one guard word: HLS tops read
# whole packed words and vectorized OpenCL loads may run up to one word past a tensor's last
# element. Kernels read the guard, never write it. Derived from kernels/config (axi.word_bits).
def alloc_bytes(nbytes, word_bytes):
    return (nbytes + word_bytes - 1) // word_bytes * word_bytes + word_bytes


_FAMILIES = {}  # (backend name, family) -> whether the launcher module exists (Backend.has_family)


@dataclasses.dataclass
class KernelCall:
    """Base of the per-family call records. ``family`` selects the launcher module."""

    family = None  # class attribute, e.g. "gemm"


def backend_of(x):
    """The Backend a device Tensor lives on; None for anything else (a NumPy array's ``.device`` is
    the string "cpu" in NumPy 2)."""
    dev = getattr(x, "device", None)
    return dev if isinstance(dev, Backend) else None


class Backend:
    """One execution target. Subclasses set ``name`` and implement the five methods."""

    name = "base"
    recording = None  # the launch recording in progress (backends that support record())

    # --- discovery -------------------------------------------------------------------------
    @classmethod
    def probe(cls):
        """Return (available: bool, version: str, detail: str) without raising."""
        raise NotImplementedError

    # --- the interface -----------------------------------------------------------------------
    def allocate(self, nbytes):
        """A device buffer of at least ``alloc_bytes(nbytes)`` bytes; returns the handle."""
        raise NotImplementedError

    def copy_in(self, handle, array):
        """Copy the C-contiguous ``array`` to the start of buffer ``handle``."""
        raise NotImplementedError

    def copy_out(self, handle, out):
        """Fill the C-contiguous ``out`` from the start of buffer ``handle``."""
        raise NotImplementedError

    def release(self, handle):
        """``handle`` is no longer used by any tensor; a backend may keep it for reuse. Called from
        a finalizer, so it must not raise."""

    def finish(self):
        """Wait until every queued kernel and copy has completed."""

    def record(self):
        """A context manager recording the kernel launches of one network run, whose ``plan(inputs,
        outputs)`` replays them (see backends/opencl/replay.py); None where launches are not
        recorded (the network then always runs op by op)."""
        return None

    def run(self, call):
        """Execute one kernel call; the launcher lives in fpgaops.backends.<name>.<family>."""
        self.launcher(call.family).run(self, call)

    def launcher(self, family):
        """The launcher module fpgaops.backends.<name>.<family> (UnsupportedError if there is none).
        Besides ``run(backend, call)`` a launcher may declare what it fuses, e.g. conv2d's
        ``takes_x_scale(backend, call)``; ops ask before they hand it such a call."""
        try:
            return importlib.import_module(f"fpgaops.backends.{self.name}.{family}")
        except ModuleNotFoundError as e:
            if e.name and e.name.endswith(f"{self.name}.{family}"):
                raise UnsupportedError(f"backend '{self.name}' has no '{family}' kernels") from None
            raise

    def has_family(self, family):
        """Whether this backend has a launcher for op family ``family`` (ops whose family a backend
        lacks, e.g. the data movers on csim/xrt, run on the host; see ops/movement.py)."""
        key = (self.name, family)
        if key not in _FAMILIES:
            from importlib.util import find_spec

            _FAMILIES[key] = find_spec(f"fpgaops.backends.{self.name}.{family}") is not None
        return _FAMILIES[key]

    # --- helpers shared by all backends --------------------------------------------------------
    def empty(self, shape, dtype):
        from ..tensor import Lease, Tensor

        dtype = np.dtype(dtype)
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        handle = self.allocate(nbytes)
        return Tensor(self, handle, tuple(shape), dtype, Lease(self, handle))

    def __repr__(self):
        return f"<fpgaops device '{self.name}'>"


def wrap_native_error(name, exc):
    """Turn an exception out of native code into a DeviceError naming the backend."""
    return DeviceError(f"{name}: {exc}")
