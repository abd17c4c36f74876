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

Compute-unit sets (images in flight)
    A kernel linked with nk=<kernel>:N has N compute units <kernel>_1..N. CU set i is the i-th
    CU of every kernel (kernels with fewer CUs share theirs: CU i mod count). A network run holds
    one set from its first launch to its outputs (``cu_set()``, taken by graph/launchplan.py's
    device_lock), so N runs from N threads proceed at once, each on its own CUs and their banks;
    a launch outside a run holds a set for that launch only. With one CU per kernel there is one
    set and runs are serialised as before. A buffer only read by a port in another bank gets a
    replica there (kept until the buffer is written), so the weights two sets read stay put.

Ops the xclbin lacks
    A call whose kernel is not in the xclbin raises UnsupportedError, unless a fallback device is
    allowed (``open(..., fallback="csim")`` or ``FPGAOPS_XRT_FALLBACK=csim``): then the call runs
    there, with its tensors copied over and back.
"""
import contextlib
import dataclasses
import os
import re
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

    __slots__ = ("nbytes", "bo", "bank", "replicas", "__weakref__")

    def __init__(self, nbytes):
        self.nbytes, self.bo, self.bank = nbytes, None, None
        self.replicas = {}  # bank -> a copy for read-only ports there; dropped when the buffer is written

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
        self._kernels = {}      # (name, cu) -> native Kernel (XRT allows one context per CU and process)
        self._placeholders = {}  # bank -> small buffer bound to arguments a call does not use
        self._lock = threading.Lock()  # kernels, placeholders, buffer binding / replicas
        self._fallback_lock = threading.Lock()  # the fallback device runs one call at a time
        try:
            self.compute_units = {k: _cu_order(self.device.compute_units(k)) for k in self.kernel_names}
        except (RuntimeError, KeyError) as e:
            raise DeviceError(f"xrt: cannot list the compute units of {self.path}: {e}") from None
        self.num_cu_sets = max([len(c) for c in self.compute_units.values()] or [1])
        self._free_sets = list(range(self.num_cu_sets))
        self._sets_free = threading.Condition()
        self._held = threading.local()  # .index, .depth: the CU set this thread's run holds
        banks = [b["index"] for b in self.device.banks() if b["used"]]
        if not banks:
            raise DeviceError(f"xrt: {self.path} connects no memory bank to any kernel")
        self.home_bank = banks[0]

    def close(self):
        """Release kernels and buffers held by the backend (tensors keep their own)."""
        with self._lock:
            self._kernels.clear()
            self._placeholders.clear()

    # --- compute-unit sets ------------------------------------------------------------------
    @contextlib.contextmanager
    def cu_set(self):
        """Hold one CU set (the index is yielded) until the block ends; waits while all are held.
        Re-entrant within a thread: a nested hold keeps the set the thread already has."""
        held = self._held
        if getattr(held, "depth", 0):
            held.depth += 1
            try:
                yield held.index
            finally:
                held.depth -= 1
            return
        with self._sets_free:
            while not self._free_sets:
                self._sets_free.wait()
            index = self._free_sets.pop(0)
        held.index, held.depth = index, 1
        try:
            yield index
        finally:
            held.depth = 0
            with self._sets_free:
                self._free_sets.append(index)
                self._free_sets.sort()
                self._sets_free.notify()

    def cu_of(self, name, index):
        """The CU of kernel ``name`` in CU set ``index`` ("" where the kernel has one CU: XRT's any)."""
        cus = self.compute_units.get(name) or [""]
        return "" if len(cus) == 1 else cus[index % len(cus)]

    # --- the interface ----------------------------------------------------------------------
    def allocate(self, nbytes):
        if nbytes < 0:
            raise ArgumentError("nbytes", f"expected >= 0, got {nbytes}")
        return XrtBuffer(alloc_bytes(nbytes, self.word_bytes))

    def copy_in(self, handle, array):
        self._check_handle(handle, array.nbytes, "copy_in")
        with self._lock:
            handle.replicas = {}
            if handle.bo is None:
                self._bind(handle, self.home_bank)
        try:
            handle.bo.write(np.ascontiguousarray(array).reshape(-1).view(np.uint8))
        except (RuntimeError, ValueError) as e:
            raise DeviceError(f"xrt: copy to device failed: {e}") from None

    def copy_out(self, handle, out):
        self._check_handle(handle, out.nbytes, "copy_out")
        with self._lock:
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

    def kernel(self, name, cu=None):
        """The native kernel ``name`` on compute unit ``cu`` ("": any of its CUs); by default the CU
        of the set this thread holds (set 0 outside a run). Only a kernel with one CU is opened for
        "any": a CU is never opened both alone and as part of all (one context per CU and process).
        UnsupportedError when the xclbin does not contain it."""
        if name not in self.kernel_names:
            raise UnsupportedError(f"xrt: {Path(self.path).name} has no kernel {name} (it has "
                                   f"{', '.join(sorted(self.kernel_names)) or 'none'}); rebuild the xclbin with it "
                                   f"or allow a fallback device ({ENV_FALLBACK}=csim)")
        if cu is None:
            cu = self.cu_of(name, self._held.index if getattr(self._held, "depth", 0) else 0)
        with self._lock:
            k = self._kernels.get((name, cu))
            if k is None:
                try:
                    k = self.device.kernel(name, cu) if cu else self.device.kernel(name)
                except (RuntimeError, KeyError) as e:
                    raise DeviceError(f"xrt: cannot open kernel {name}{f' CU {cu}' if cu else ''}: {e}") from None
                self._kernels[(name, cu)] = k
        return k

    def launch(self, name, values):
        """Run kernel ``name`` once with ``values`` (argument name -> XrtBuffer / None / scalar), and wait.

        Exactly the kernel's arguments must be given. A buffer goes to a bank its argument is
        connected to (moved there if needed); None binds a placeholder for a pointer the kernel
        will not read. Scalars are checked against the argument's C type by the native module.
        Runs on the CU of the set this thread holds (cu_set()), else holds one for this launch."""
        if name not in self.kernel_names:
            self.kernel(name)  # UnsupportedError naming what the xclbin has
        with self.cu_set() as index:
            self._launch(self.kernel(name, self.cu_of(name, index)), name, values)

    def _launch(self, k, name, values):
        args = k.args
        names = [a["name"] for a in args]
        missing, extra = [n for n in names if n not in values], [n for n in values if n not in names]
        if missing or extra:
            raise DeviceError(f"xrt: kernel {name} takes arguments {names}; missing {missing}, unknown {extra}")
        bound, placed = [], {}
        spec = self.table.get(name)
        for a in args:
            v = values[a["name"]]
            if a["pointer"]:
                read_only = spec is not None and _is_const(spec, a["name"])
                with self._lock:
                    bound.append(self._place(v, a, placed, read_only))
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

    def _place(self, v, arg, placed, read_only=False):
        """The native buffer for pointer argument ``arg``, in one of the banks it is connected to.
        With several CU sets, a port that only reads gets a replica where the buffer lives
        elsewhere (another set's port may need it where it is); else the buffer moves there."""
        banks = arg["banks"] or [self.home_bank]
        if v is None:
            bank = banks[0]
            if bank not in self._placeholders:
                self._placeholders[bank] = self.device.alloc(self.word_bytes, bank)
            return self._placeholders[bank]
        if not isinstance(v, XrtBuffer):
            raise ArgumentError(arg["name"], f"pointer argument '{arg['name']}' needs a device buffer, got {type(v).__name__}")
        if not read_only:
            v.replicas = {}  # written by this launch: every replica goes stale
        if v.bo is None:
            self._bind(v, banks[0])  # an output (or unwritten) buffer: straight into the port's bank
        elif v.bank not in banks and read_only and self.num_cu_sets > 1 and id(v) not in placed:
            rep = next((v.replicas[b] for b in banks if b in v.replicas), None)
            if rep is None:
                rep = v.replicas[banks[0]] = self._copy_to(v, banks[0])
            return rep
        elif v.bank not in banks:
            if id(v) in placed:
                # the same tensor is bound again, to a port in another bank (e.g. matmul(x, x)):
                # give this port its own copy and leave the tensor where the first port needs it
                return self._copy_to(v, banks[0])
            v.bo, v.bank = self._copy_to(v, banks[0]), banks[0]
        placed[id(v)] = v.bank
        return v.bo

    def _copy_to(self, v, bank):
        """A new native buffer in ``bank`` holding ``v``'s bytes (a device-side copy)."""
        try:
            bo = self.device.alloc(v.nbytes, bank)
            bo.copy_from(v.bo, v.nbytes)
        except (RuntimeError, ValueError) as e:
            raise DeviceError(f"xrt: cannot copy {v.nbytes} bytes to bank {bank}: {e}") from None
        return bo

    # --- fallback ---------------------------------------------------------------------------
    def _run_on_fallback(self, call):
        """Run ``call`` on the fallback device: tensors are copied there and back."""
        from .. import get_device

        with self._fallback_lock:
            self._fallback(call, get_device(self.fallback))

    def _fallback(self, call, dev):
        from ...tensor import Tensor

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


def _cu_order(cus):
    """CU names in set order: by their trailing number (<kernel>_2 before <kernel>_10), then name."""
    def key(cu):
        m = re.search(r"(\d+)$", cu)
        return (int(m.group(1)) if m else -1, cu)

    return sorted(cus, key=key)


def _is_const(spec, arg):
    """The kernel only reads pointer argument ``arg`` (declared const in tops.hpp)."""
    try:
        return spec.arg(arg).ctype.lstrip().startswith("const")
    except FpgaopsError:
        return False


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
