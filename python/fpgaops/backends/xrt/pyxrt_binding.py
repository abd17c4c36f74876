"""AMD's own Python binding of XRT (``pyxrt``, shipped with XRT installations from AMD under
/opt/xilinx/xrt/python) behind the interface of the project's native module ``fpgaops._xrt``, so
the xrt backend has one code path whichever binding runs it (``binding()`` picks).

What pyxrt lacks is supplied here, and said where it matters:
  * kernel argument metadata (names, types, sizes, banks): pyxrt's xclbin objects expose kernel
    names only, so it comes from the project's own parser of the same file (fpgaops.xclbin);
  * scalar arguments: pyxrt's ``run.set_arg`` binds a buffer or a 32-bit int. A 4-byte float is
    passed as the int of the same bits (the kernel's register receives exactly those 4 bytes);
    an 8-byte scalar cannot be set through pyxrt and raises ValueError naming the argument (the
    project's tops take none);
  * device-side copies: pyxrt's bo has no copy(), so ``copy_from`` goes through the host.
Every value is checked as the native module checks it, with the same exception types (ValueError,
TypeError, RuntimeError), so the backend's error mapping is the same for both bindings.
"""
import os
import struct

import numpy as np

from ... import xclbin as xclbin_mod

ENV_BINDING = "FPGAOPS_XRT_BINDING"   # "pyxrt" or "native": force one (tests); default: pyxrt when importable
BINDINGS = ("pyxrt", "native")


def import_pyxrt():
    """AMD's pyxrt module; ImportError (with where it comes from) when absent."""
    try:
        import pyxrt  # noqa: PLC0415 (optional: ships with AMD's XRT, not on PyPI)
    except ImportError as e:
        raise ImportError(f"pyxrt is not importable ({e}); it ships with AMD's XRT installation: "
                          "source /opt/xilinx/xrt/setup.sh") from None
    return pyxrt


def binding(name=None):
    """(name, module) of the XRT binding the backend uses: ``name`` or $FPGAOPS_XRT_BINDING when set,
    else pyxrt where it is importable, else the project's native fpgaops._xrt. ImportError when the
    chosen one is missing."""
    name = name or os.environ.get(ENV_BINDING) or None
    if name not in (None, *BINDINGS):
        raise ValueError(f"{ENV_BINDING}: expected one of {BINDINGS}, got {name!r}")
    if name in (None, "pyxrt"):
        try:
            return "pyxrt", PyxrtModule(import_pyxrt())
        except ImportError:
            if name == "pyxrt":
                raise
    from ... import _xrt  # noqa: PLC0415 (optional native module)

    return "native", _xrt


def _version():
    root = os.environ.get("XILINX_XRT", "/opt/xilinx/xrt")
    try:
        import json

        with open(os.path.join(root, "version.json")) as f:
            return str(json.load(f).get("BUILD_VERSION", "unknown"))
    except (OSError, ValueError):
        return "unknown (pyxrt)"


class PyxrtModule:
    """The ``fpgaops._xrt`` interface (xrt_version, emulation_mode, Device) over pyxrt."""

    def __init__(self, pyxrt):
        self.pyxrt = pyxrt

    def xrt_version(self):
        return _version()

    @staticmethod
    def emulation_mode():
        return os.environ.get("XCL_EMULATION_MODE", "")

    def Device(self, index=0):  # noqa: N802 (the native module's class name)
        return Device(self.pyxrt, index)


class Buffer:
    def __init__(self, pyxrt, device, nbytes, bank):
        self._px, self.size, self.bank = pyxrt, nbytes, bank
        self.bo = pyxrt.bo(device, nbytes, pyxrt.bo.flags.normal, bank)

    def _span(self, n, offset):
        if offset < 0 or offset > self.size or n > self.size - offset:
            raise ValueError(f"buffer: {n} bytes at offset {offset} exceed its {self.size} bytes")

    def write(self, data, offset=0):
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        self._span(raw.nbytes, offset)
        if raw.nbytes:
            self.bo.write(raw, offset)
            self.bo.sync(self._px.xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE, raw.nbytes, offset)

    def read(self, out, offset=0):
        if not isinstance(out, np.ndarray) or not out.flags.c_contiguous:
            raise ValueError("out: expected a C-contiguous buffer")
        if not out.flags.writeable:
            raise ValueError("out: buffer is read-only")
        view = out.reshape(-1).view(np.uint8)
        self._span(view.nbytes, offset)
        if view.nbytes:
            self.bo.sync(self._px.xclBOSyncDirection.XCL_BO_SYNC_BO_FROM_DEVICE, view.nbytes, offset)
            view[:] = np.asarray(self.bo.read(view.nbytes, offset)).view(np.uint8)

    def copy_from(self, src, nbytes):
        """Through the host: pyxrt has no xrt::bo::copy."""
        if nbytes > src.size or nbytes > self.size:
            raise ValueError(f"copy: {nbytes} bytes do not fit the source ({src.size}) or destination ({self.size})")
        if nbytes:
            tmp = np.empty(nbytes, np.uint8)
            src.read(tmp)
            self.write(tmp)


class Run:
    def __init__(self, pyxrt, run):
        self._px, self._run = pyxrt, run

    def wait(self, timeout_ms=0):
        """Wait; the ert_cmd_state as an int (4 = completed, as the native module returns it)."""
        state = self._run.wait(int(timeout_ms))
        if state != self._px.ert_cmd_state.ERT_CMD_STATE_COMPLETED:
            raise RuntimeError(f"run did not complete: {getattr(state, 'name', state)}")
        return int(state)


def _is_float(t):
    return "float" in t or "double" in t


def _is_unsigned(t):
    return t.startswith(("unsigned", "uint")) or t == "bool"


class Kernel:
    """One kernel: argument metadata from the xclbin (fpgaops.xclbin), runs through pyxrt."""

    def __init__(self, pyxrt, device, uuid, info, banks, cu=""):
        self._px, self.name, self.cu = pyxrt, info.name, cu
        self._kernel = pyxrt.kernel(device, uuid, f"{info.name}:{{{cu}}}" if cu else info.name)
        self.args = [{"name": a.name, "index": a.index, "host_type": a.type, "port": a.port, "size": a.host_size,
                      "offset": a.offset, "pointer": a.is_pointer, "banks": sorted(banks.get(a.index, ()))}
                     for a in sorted(info.args, key=lambda a: a.index)]

    def start(self, values):
        if len(values) != len(self.args):
            raise ValueError(f"kernel {self.name} takes {len(self.args)} arguments, got {len(values)}")
        run = self._px.run(self._kernel)
        for a, v in zip(self.args, values):
            self._set(run, a, v)
        run.start()
        return Run(self._px, run)

    def _set(self, run, a, v):
        what = f"kernel {self.name} argument '{a['name']}'"
        if a["pointer"]:
            if not isinstance(v, Buffer):
                raise TypeError(f"{what} is a global-memory pointer: expected a device buffer")
            if a["banks"] and v.bank not in a["banks"]:
                raise ValueError(f"{what} is connected to memory bank(s) {', '.join(map(str, a['banks']))}, but the "
                                 f"buffer lives in bank {v.bank}")
            run.set_arg(a["index"], v.bo)
            return
        if isinstance(v, Buffer):
            raise TypeError(f"{what} is a scalar: a device buffer cannot be bound to it")
        if a["size"] != 4:
            raise ValueError(f"{what} ({a['host_type']}, {a['size']} bytes): pyxrt binds 4-byte scalars only")
        if isinstance(v, (bool, int, np.integer)) and not _is_float(a["host_type"]):
            v = int(v)
            lo, hi = (0, 2 ** 32 - 1) if _is_unsigned(a["host_type"]) else (-2 ** 31, 2 ** 31 - 1)
            if not lo <= v <= hi:
                raise ValueError(f"{what} ({a['host_type']}): {v} is outside [{lo}, {hi}]")
            raw = struct.unpack("<i", struct.pack("<I", v & 0xFFFFFFFF))[0]
        elif isinstance(v, (bool, int, float, np.integer, np.floating)) and _is_float(a["host_type"]):
            x = float(v)
            if abs(x) != float("inf") and x == x and abs(x) > float(np.finfo(np.float32).max):
                raise ValueError(f"{what}: {x} does not fit a float")
            raw = struct.unpack("<i", struct.pack("<f", x))[0]   # the float's 4 bytes, as pyxrt's int
        elif isinstance(v, (float, np.floating)):
            raise TypeError(f"{what} ({a['host_type']}) expects an integer")
        else:
            raise TypeError(f"{what}: expected an int or float, got {type(v).__name__}")
        run.set_arg(a["index"], raw)


class Device:
    def __init__(self, pyxrt, index=0):
        if index < 0:
            raise ValueError(f"index: expected a device index >= 0, got {index}")
        self._px, self.index = pyxrt, index
        self._dev = pyxrt.device(index)
        self._meta = self._uuid = None
        self._mems = []

    def load_xclbin(self, path):
        x = self._px.xclbin(str(path))
        self._uuid = self._dev.load_xclbin(x)
        self._meta = xclbin_mod.Xclbin.read(path)
        self._names = [k.get_name() for k in x.get_kernels()]
        self._mems = [{"index": m.get_index(), "tag": m.get_tag(), "size_kib": m.get_size_kb(), "used": m.get_used()}
                      for m in x.get_mems()]
        return self._uuid.to_string()

    def _require(self):
        if self._meta is None:
            raise RuntimeError("no xclbin loaded on this device")

    def kernel_names(self):
        self._require()
        return list(self._names)

    def kernel(self, name, cu=""):
        """Kernel ``name`` on compute unit ``cu`` only, or on any of its CUs (cu empty), as the native module's."""
        self._require()
        info = next((k for k in self._meta.kernels if k.name == name), None)
        if info is None or name not in self._names:
            raise KeyError(f"the loaded xclbin has no kernel '{name}'")
        cus = set(self.compute_units(name))
        if cu:
            if cu not in cus:
                raise KeyError(f"kernel {name} has no compute unit '{cu}'")
            cus = {cu}
        banks = {}  # argument index -> the banks these CUs connect it to (as xrt::xclbin::arg::get_mems)
        for (c, arg), mems in self._meta.arg_banks().items():
            if c in cus:
                banks.setdefault(arg, set()).update(mems)
        return Kernel(self._px, self._dev, self._uuid, info, banks, cu)

    def compute_units(self, name):
        """CU names of kernel ``name`` in IP_LAYOUT order."""
        self._require()
        if name not in self._names:
            raise KeyError(f"the loaded xclbin has no kernel '{name}'")
        return [ip.cu for ip in self._meta.ip_layout if ip.kernel == name]

    def banks(self):
        return [dict(m) for m in self._mems]

    def alloc(self, nbytes, bank):
        self._require()
        mem = next((m for m in self._mems if m["index"] == bank), None)
        if mem is None:
            raise ValueError(f"bank: the xclbin has no memory bank {bank}")
        if not mem["used"]:
            raise ValueError(f"bank: memory bank {bank} ({mem['tag']}) is not connected to any kernel in this xclbin")
        if isinstance(nbytes, bool) or not isinstance(nbytes, (int, np.integer)) or nbytes < 0:
            raise TypeError(f"nbytes: expected a size (an integer >= 0), got {nbytes!r}")
        if nbytes == 0:
            raise ValueError("nbytes: expected > 0")
        if nbytes // 1024 >= mem["size_kib"]:
            raise ValueError(f"nbytes: {nbytes} bytes exceed bank {mem['tag']} ({mem['size_kib']} KiB)")
        return Buffer(self._px, self._dev, nbytes, bank)
