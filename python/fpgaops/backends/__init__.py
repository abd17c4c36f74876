"""Backend registry and device selection.

    fpgaops.devices()              # what exists here, with versions and why something is missing
    fpgaops.set_device("csim")     # choose for this thread
    with fpgaops.device("opencl"): ...

The default is the fastest available functional backend, in the order of ``PREFERENCE``.
"""
import contextlib
import dataclasses
import importlib
import threading

from ..errors import ArgumentError, DeviceError

# Fastest first. "reference" is always available, so a device always exists.
PREFERENCE = ("xrt", "opencl", "csim", "reference")
_MODULES = {"reference": "reference", "csim": "csim", "opencl": "opencl", "xrt": "xrt"}


@dataclasses.dataclass(frozen=True)
class DeviceInfo:
    name: str
    available: bool
    version: str
    detail: str

    def __str__(self):
        state = "available" if self.available else "unavailable"
        return f"{self.name:<10} {state:<12} {self.version:<28} {self.detail}"


_instances = {}
_probes = {}
_lock = threading.Lock()
_local = threading.local()


def _backend_class(name):
    if name not in _MODULES:
        raise ArgumentError("device", f"unknown device {name!r}; expected one of {sorted(_MODULES)}")
    try:
        mod = importlib.import_module(f"fpgaops.backends.{_MODULES[name]}")
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith(f"fpgaops.backends.{_MODULES[name]}"):
            return None
        raise
    return mod.BACKEND


def _probe(name):
    if name not in _probes:
        cls = _backend_class(name)
        _probes[name] = (False, "-", "not built into this installation") if cls is None else cls.probe()
    return _probes[name]


def devices():
    """Every backend fpgaops knows, whether it is usable here, its version, and details."""
    return [DeviceInfo(n, *_probe(n)) for n in PREFERENCE]


def get_device(name):
    """The (shared) backend instance called ``name``; DeviceError if it is not available."""
    from .base import Backend

    if isinstance(name, Backend):
        return name
    if not isinstance(name, str):
        raise ArgumentError("device", f"expected a device name string, got {name!r}")
    with _lock:
        if name not in _instances:
            ok, _version, detail = _probe(name)
            if not ok:
                raise DeviceError(f"device '{name}' is not available here: {detail}")
            _instances[name] = _backend_class(name)()
        return _instances[name]


def invalidate(name):
    """Forget the cached probe and instance of ``name`` (its configuration changed, e.g. a new
    xclbin was loaded); the next lookup probes again. Returns the dropped instance, if any."""
    with _lock:
        _probes.pop(name, None)
        return _instances.pop(name, None)


def default_device():
    for name in PREFERENCE:
        if _probe(name)[0]:
            return get_device(name)
    raise DeviceError("no device available")  # unreachable: reference always is


def current_device():
    stack = getattr(_local, "stack", None)
    if stack:
        return stack[-1]
    return default_device()


def set_device(name):
    """Make ``name`` the current device of this thread (replaces any ``with device(...)``)."""
    _local.stack = [get_device(name)]


@contextlib.contextmanager
def device(name):
    """``with fpgaops.device("csim"): ...`` runs the ops inside on that device."""
    dev = get_device(name)
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    stack.append(dev)
    try:
        yield dev
    finally:
        stack.pop()
