"""XRT backend: xclbins built by v++ from the HLS tops, run through XRT: AMD's own binding
``pyxrt`` where it is importable (it ships with AMD's XRT installation), else the project's
native module fpgaops._xrt (``FPGAOPS_XRT_BINDING=pyxrt|native`` forces one). Both sit behind one
interface (backends/xrt/pyxrt_binding.py adapts pyxrt to the native module's), so one backend and
one test set serve both.

Selecting it
    The backend needs an xclbin. Configure one, then pick the device as usual:

        FPGAOPS_XCLBIN=build/u50-hw/xclbin/fpgaops_u50_hw.xclbin python app.py    # or:
        fpgaops.backends.xrt.load("fpgaops_u50_hw.xclbin"); fpgaops.set_device("xrt")

    "xrt" is available only when an xclbin is configured, its manifest matches the installed
    kernel config (the digest check), and XRT opens device ``FPGAOPS_XRT_DEVICE`` (default 0).
    Being the fastest backend, it is then the default device.

Emulation
    ``XCL_EMULATION_MODE=sw_emu|hw_emu`` runs the v++ emulation xclbins (with their emconfig.json)
    and counts as a real device. ``XCL_EMULATION_MODE=noop`` is XRT's host-path test driver: the
    device opens, xclbins load, buffers and runs complete, but no kernel executes, so results are
    garbage. In noop mode the registry therefore NEVER reports "xrt" as available (never the
    default, never picked by name); tests take an explicit instance instead:

        dev = fpgaops.backends.xrt.open(path, allow_noop=True)
        with fpgaops.device(dev): fpgaops.matmul(a, b)     # exercises the host path only

Buffers
    A device buffer (``XrtBuffer``) is bound to an ``xrt::bo`` lazily: a kernel argument may only
    use a buffer in a memory bank its port is connected to (connectivity.cfg's sp=), and a tensor
    does not know its first kernel when it is created. Outputs are allocated straight in their
    port's bank at launch; inputs written before any launch start in the xclbin's first used bank
    and are moved (device-side copy) to the port's bank when a launch needs them elsewhere.

Ops the xclbin lacks
    A call whose kernel is not in the xclbin raises UnsupportedError, unless a fallback device is
    allowed (``open(..., fallback="csim")`` or ``FPGAOPS_XRT_FALLBACK=csim``): then the call runs
    there, with its tensors copied over and back.
"""
import dataclasses
import os
import threading
from pathlib import Path

import numpy as np

from ... import config
from ... import kernels as kernel_table
from ... import xclbin as xclbin_mod
from ...errors import ArgumentError, DeviceError, FpgaopsError, UnsupportedError
from ..base import Backend, alloc_bytes

ENV_XCLBIN = "FPGAOPS_XCLBIN"
ENV_DEVICE = "FPGAOPS_XRT_DEVICE"
ENV_FALLBACK = "FPGAOPS_XRT_FALLBACK"
ENV_TIMEOUT = "FPGAOPS_XRT_TIMEOUT_MS"
DEFAULT_TIMEOUT_MS = 600_000  # a hung kernel becomes a DeviceError after 10 minutes

_configured = None  # set by load(); takes precedence over $FPGAOPS_XCLBIN
_lock = threading.Lock()


def _module():
    """The XRT binding's module (pyxrt adapted, else fpgaops._xrt); ImportError when neither loads."""
    from .pyxrt_binding import binding

    try:
        return binding()[1]
    except ValueError as e:  # a bad FPGAOPS_XRT_BINDING
        raise ImportError(str(e)) from None


def binding_name():
    """"pyxrt" or "native": the binding _module() returns here (ImportError when neither loads)."""
    from .pyxrt_binding import binding

    return binding()[0]


def configured_xclbin():
    """The xclbin path the registry's "xrt" device uses: load()'s, else $FPGAOPS_XCLBIN, else None."""
    return _configured or os.environ.get(ENV_XCLBIN) or None


def load(path):
    """Configure the xclbin of the registry's "xrt" device (then ``fpgaops.set_device("xrt")``).

    Checks the file and its manifest now, so a wrong file fails here with the reason."""
    global _configured
    p = Path(path)
    x = xclbin_mod.Xclbin.read(p)
    xclbin_mod.check_manifest(x)
    xclbin_mod.check_kernels(x)
    with _lock:
        _configured = str(p.resolve())
        _forget_registry_entry()
    return _configured


def _forget_registry_entry():
    """Drop the registry's cached probe/instance of "xrt" so the next lookup sees the new xclbin."""
    from .. import invalidate

    old = invalidate("xrt")
    if old is not None:
        old.close()


def open(path=None, device_index=None, *, allow_noop=False, fallback=None):  # noqa: A001 (module API)
    """An XrtBackend on ``path`` (default: the configured xclbin), outside the registry.

    ``allow_noop=True`` permits XCL_EMULATION_MODE=noop (host-path testing: no kernel runs)."""
    return XrtBackend(path, device_index, allow_noop=allow_noop, fallback=fallback)


class XrtBuffer:
    """A device allocation: ``nbytes`` (padded) bytes, bound to an xrt::bo in one bank on first use."""

    __slots__ = ("nbytes", "bo", "bank", "__weakref__")

    def __init__(self, nbytes):
        self.nbytes, self.bo, self.bank = nbytes, None, None

    def __repr__(self):
        where = "unbound" if self.bo is None else f"bank {self.bank}"
        return f"<XrtBuffer {self.nbytes} bytes, {where}>"


class XrtBackend(Backend):
    name = "xrt"

    @classmethod
    def probe(cls):
        try:
            mod = _module()
        except ImportError as e:
            return False, "-", (f"no XRT binding: neither AMD's pyxrt nor the native module fpgaops._xrt loads ({e}); "
                                "install XRT (libxrt-dev, or /opt/xilinx/xrt) and reinstall with `pip install .`")
        version = f"XRT {mod.xrt_version()} ({binding_name()})"
        if mod.emulation_mode() == "noop":
            return False, version, ("XCL_EMULATION_MODE=noop runs no kernels (host-path testing only), so 'xrt' "
                                    "is never selected; tests use fpgaops.backends.xrt.open(path, allow_noop=True)")
        path = configured_xclbin()
        if not path:
            return False, version, (f"no xclbin configured: set {ENV_XCLBIN}=<file.xclbin> or call "
                                    "fpgaops.backends.xrt.load(path)")
        try:
            x = xclbin_mod.Xclbin.read(path)
            _check_target(xclbin_mod.check_manifest(x), mod.emulation_mode(), path)
            xclbin_mod.check_kernels(x)
            mod.Device(_device_index(None))
        except FpgaopsError as e:
            return False, version, str(e)
        except (RuntimeError, ValueError) as e:
            return False, version, f"XRT cannot open device {_device_index(None)}: {e}"
        mode = mod.emulation_mode() or "hardware"
        return True, version, f"{Path(path).name} on device {_device_index(None)} ({mode})"

    def __init__(self, path=None, device_index=None, *, allow_noop=False, fallback=None):
        try:
            self.module = _module()
        except ImportError as e:
            raise DeviceError(f"xrt: no XRT binding (pyxrt or the native module fpgaops._xrt): {e}") from None
        self.mode = self.module.emulation_mode()
        if self.mode == "noop" and not allow_noop:
            raise DeviceError("xrt: XCL_EMULATION_MODE=noop runs no kernels, so results would be garbage; "
                              "pass allow_noop=True to test the host path on purpose")
        path = path or configured_xclbin()
        if not path:
            raise DeviceError(f"xrt: no xclbin configured (set {ENV_XCLBIN} or call fpgaops.backends.xrt.load)")
        self.xclbin = xclbin_mod.Xclbin.read(path)
        self.manifest = xclbin_mod.check_manifest(self.xclbin)
        _check_target(self.manifest, self.mode, path)
        self.table = kernel_table.load()
        xclbin_mod.check_kernels(self.xclbin, self.table)
        self.path = str(path)
        self.word_bytes = config.current().axi.word_bits // 8
        self.timeout_ms = _timeout_ms()
        fallback = fallback if fallback is not None else os.environ.get(ENV_FALLBACK) or None
        if fallback == "xrt":
            raise ArgumentError("fallback", "the fallback device must be another backend than 'xrt'")
        self.fallback = fallback
        try:
            self.device = self.module.Device(_device_index(device_index))
            self.uuid = self.device.load_xclbin(self.path)
        except (RuntimeError, ValueError) as e:
            raise DeviceError(f"xrt: cannot open device / load {self.path}: {e}") from None
        self.kernel_names = set(self.device.kernel_names())
        self._kernels = {}      # name -> native Kernel (XRT allows one context per CU and process)
        self._placeholders = {}  # bank -> small buffer bound to arguments a call does not use
        banks = [b["index"] for b in self.device.banks() if b["used"]]
        if not banks:
            raise DeviceError(f"xrt: {self.path} connects no memory bank to any kernel")
        self.home_bank = banks[0]

    def close(self):
        """Release kernels and buffers held by the backend (tensors keep their own)."""
        self._kernels.clear()
        self._placeholders.clear()

    # --- the interface ----------------------------------------------------------------------
    def allocate(self, nbytes):
        if nbytes < 0:
            raise ArgumentError("nbytes", f"expected >= 0, got {nbytes}")
        return XrtBuffer(alloc_bytes(nbytes, self.word_bytes))

    def copy_in(self, handle, array):
        self._check_handle(handle, array.nbytes, "copy_in")
        if handle.bo is None:
            self._bind(handle, self.home_bank)
        try:
            handle.bo.write(np.ascontiguousarray(array).reshape(-1).view(np.uint8))
        except (RuntimeError, ValueError) as e:
            raise DeviceError(f"xrt: copy to device failed: {e}") from None

    def copy_out(self, handle, out):
        self._check_handle(handle, out.nbytes, "copy_out")
        if handle.bo is None:
            self._bind(handle, self.home_bank)  # never written: reads the zeroed allocation
        try:
            handle.bo.read(out.reshape(-1).view(np.uint8))
        except (RuntimeError, ValueError) as e:
            raise DeviceError(f"xrt: copy from device failed: {e}") from None

    def run(self, call):
        try:
            super().run(call)
        except UnsupportedError:
            if self.fallback is None:
                raise
            self._run_on_fallback(call)

    # --- used by the launchers (fpgaops.backends.xrt.<family>) -----------------------------
    def has_kernel(self, name):
        return name in self.kernel_names

    def kernel(self, name):
        """The native kernel ``name``; UnsupportedError when the xclbin does not contain it."""
        if name not in self.kernel_names:
            raise UnsupportedError(f"xrt: {Path(self.path).name} has no kernel {name} (it has "
                                   f"{', '.join(sorted(self.kernel_names)) or 'none'}); rebuild the xclbin with it "
                                   f"or allow a fallback device ({ENV_FALLBACK}=csim)")
        k = self._kernels.get(name)
        if k is None:
            try:
                k = self._kernels[name] = self.device.kernel(name)
            except (RuntimeError, KeyError) as e:
                raise DeviceError(f"xrt: cannot open kernel {name}: {e}") from None
        return k

    def launch(self, name, values):
        """Run kernel ``name`` once with ``values`` (argument name -> XrtBuffer / None / scalar), and wait.

        Exactly the kernel's arguments must be given. A buffer goes to a bank its argument is
        connected to (moved there if needed); None binds a placeholder for a pointer the kernel
        will not read. Scalars are checked against the argument's C type by the native module."""
        k = self.kernel(name)
        args = k.args
        names = [a["name"] for a in args]
        missing, extra = [n for n in names if n not in values], [n for n in values if n not in names]
        if missing or extra:
            raise DeviceError(f"xrt: kernel {name} takes arguments {names}; missing {missing}, unknown {extra}")
        bound, placed = [], {}
        for a in args:
            v = values[a["name"]]
            if a["pointer"]:
                bound.append(self._place(v, a, placed))
            elif isinstance(v, XrtBuffer) or v is None:
                raise ArgumentError(a["name"], f"kernel {name} argument '{a['name']}' is a scalar, got {v!r}")
            else:
                bound.append(v.item() if isinstance(v, np.generic) else v)
        try:
            self._start_and_wait(k, bound)
        except (ValueError, TypeError) as e:
            raise ArgumentError(name, str(e)) from None
        except RuntimeError as e:
            raise DeviceError(f"xrt: {name}: {e}") from None

    def launch_call(self, name, call, **extra):
        """``launch(name, ...)`` with every argument taken from the KernelCall field of the same name
        (tops.hpp's argument names are the call records' field names), or from ``extra`` where a
        family names something differently. Tensors pass their buffers, bools become 0/1."""
        from ...tensor import Tensor

        values = {}
        for a in self.kernel(name).args:
            n = a["name"]
            if n in extra:
                v = extra[n]
            elif hasattr(call, n):
                v = getattr(call, n)
            else:
                raise DeviceError(f"xrt: {type(call).__name__} has no field for argument '{n}' of kernel {name}")
            if isinstance(v, Tensor):
                if v.device is not self:
                    raise ArgumentError(n, f"tensor lives on device '{v.device.name}', not on this xrt device")
                v = v.handle
            elif isinstance(v, (bool, np.bool_)):
                v = int(v)
            values[n] = v
        self.launch(name, values)

    def _start_and_wait(self, k, bound):
        run = k.start(bound)
        run.wait(self.timeout_ms)

    # --- buffers and banks ------------------------------------------------------------------
    def _check_handle(self, handle, nbytes, what):
        if not isinstance(handle, XrtBuffer):
            raise ArgumentError("handle", f"{what}: expected an xrt device buffer, got {type(handle).__name__}")
        if nbytes > handle.nbytes:
            raise ArgumentError("array", f"{what}: {nbytes} bytes do not fit the {handle.nbytes}-byte buffer")

    def _bind(self, handle, bank):
        try:
            handle.bo = self.device.alloc(handle.nbytes, bank)
        except (RuntimeError, ValueError) as e:
            raise DeviceError(f"xrt: cannot allocate {handle.nbytes} bytes in bank {bank}: {e}") from None
        handle.bank = bank

    def _place(self, v, arg, placed):
        """The native buffer for pointer argument ``arg``, in one of the banks it is connected to."""
        banks = arg["banks"] or [self.home_bank]
        if v is None:
            bank = banks[0]
            if bank not in self._placeholders:
                self._placeholders[bank] = self.device.alloc(self.word_bytes, bank)
            return self._placeholders[bank]
        if not isinstance(v, XrtBuffer):
            raise ArgumentError(arg["name"], f"pointer argument '{arg['name']}' needs a device buffer, got {type(v).__name__}")
        if v.bo is None:
            self._bind(v, banks[0])  # an output (or unwritten) buffer: straight into the port's bank
        elif v.bank not in banks:
            if id(v) in placed:
                # the same tensor is bound again, to a port in another bank (e.g. matmul(x, x)):
                # give this port its own copy and leave the tensor where the first port needs it
                tmp = self.device.alloc(v.nbytes, banks[0])
                tmp.copy_from(v.bo, v.nbytes)
                return tmp
            new = self.device.alloc(v.nbytes, banks[0])
            new.copy_from(v.bo, v.nbytes)
            v.bo, v.bank = new, banks[0]
        placed[id(v)] = v.bank
        return v.bo

    # --- fallback ---------------------------------------------------------------------------
    def _run_on_fallback(self, call):
        """Run ``call`` on the fallback device: tensors are copied there and back."""
        from .. import get_device
        from ...tensor import Tensor

        dev = get_device(self.fallback)
        moved = {}
        for f in dataclasses.fields(call):
            t = getattr(call, f.name)
            if isinstance(t, Tensor) and t.device is self:
                host = np.empty(t.shape, t.dtype)
                self.copy_out(t.handle, host)
                other = dev.empty(t.shape, t.dtype)
                dev.copy_in(other.handle, host)
                moved[f.name] = (t, other)
        dev.run(dataclasses.replace(call, **{k: o for k, (_t, o) in moved.items()}))
        dev.finish()
        for t, other in moved.values():  # results (and unchanged inputs) come back
            host = np.empty(other.shape, other.dtype)
            dev.copy_out(other.handle, host)
            self.copy_in(t.handle, host)


def _check_target(manifest, mode, path):
    """An xclbin runs only where its v++ target does: hw on hardware, sw_emu / hw_emu under the
    same XCL_EMULATION_MODE. (noop loads any xclbin: it runs nothing.)"""
    target = manifest.get("target")
    want = mode or "hw"
    if mode != "noop" and target != want:
        where = f"XCL_EMULATION_MODE={mode}" if mode else "hardware (XCL_EMULATION_MODE unset)"
        raise DeviceError(f"xrt: {Path(path).name} was built for target {target!r}, but XRT runs {where}; "
                          f"use the {want} build of the xclbin")


def _device_index(index):
    if index is not None:
        return int(index)
    raw = os.environ.get(ENV_DEVICE, "0")
    try:
        return int(raw)
    except ValueError:
        raise ArgumentError(ENV_DEVICE, f"expected a device index, got {raw!r}") from None


def _timeout_ms():
    raw = os.environ.get(ENV_TIMEOUT)
    if raw is None:
        return DEFAULT_TIMEOUT_MS
    try:
        v = int(raw)
    except ValueError:
        raise ArgumentError(ENV_TIMEOUT, f"expected milliseconds (0 = wait forever), got {raw!r}") from None
    if v < 0:
        raise ArgumentError(ENV_TIMEOUT, f"expected >= 0, got {v}")
    return v


BACKEND = XrtBackend
