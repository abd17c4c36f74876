"""Fixtures for the XRT host-path tests.

XRT's ``noop`` driver (XCL_EMULATION_MODE=noop) opens a device, loads xclbins, allocates buffers
and completes runs without executing any kernel: these tests check the host path (device, xclbin,
kernel lookup, banks, arguments, run/wait, errors) and never assert kernel results.

The environment XRT needs comes from scripts/setup-xrt-env.sh (the one recipe; sourced here when
XILINX_XRT is not set). XCL_EMULATION_MODE=noop is set in this process before any test opens a
device: XRT picks its driver once per process.

Every test that takes the ``xrt`` fixture runs once per XRT binding: the project's native module
fpgaops._xrt, and AMD's pyxrt (through backends/xrt/pyxrt_binding.py, the same interface); the
backend uses the same binding (FPGAOPS_XRT_BINDING). The pyxrt variant skips with the reason where
pyxrt is not importable (it ships with AMD's XRT, not with Debian's). Where libxrt is installed and
``CI=true``, a missing fpgaops._xrt fails the tests instead of skipping them (the module should
have been built).
"""
import glob
import os
import subprocess
from pathlib import Path

import pytest

from fpgaops import xclbin
from fpgaops.backends.xrt import pyxrt_binding

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"
BOARDS = ("u50", "u250", "u280", "zcu104")


def libxrt_installed():
    """XRT's headers and core library are on this machine (Debian's or AMD's)."""
    headers = any(Path(p).is_file() for p in ("/usr/include/xrt/xrt/xrt_kernel.h", "/opt/xilinx/xrt/include/xrt/xrt_kernel.h"))
    libs = glob.glob("/usr/lib/*/libxrt_coreutil.so*") + glob.glob("/usr/lib*/libxrt_coreutil.so*") + \
        glob.glob("/opt/xilinx/xrt/lib/libxrt_coreutil.so*")
    return headers and bool(libs)


def _source_setup_script():
    """Import the variables scripts/setup-xrt-env.sh exports (XILINX_XRT, SDACCEL_EM_RUN_DIR, USER)."""
    out = subprocess.run(["bash", "-c", f"source {ROOT / 'scripts' / 'setup-xrt-env.sh'} >&2 && env -0"],
                         capture_output=True, check=True).stdout
    for item in out.split(b"\0"):
        key, _, value = item.decode(errors="replace").partition("=")
        if key in ("XILINX_XRT", "SDACCEL_EM_RUN_DIR", "USER") and value:
            os.environ[key] = value


@pytest.fixture(scope="session", params=pyxrt_binding.BINDINGS)
def xrt(request):
    """The XRT binding (native fpgaops._xrt, or pyxrt adapted to its interface) with XRT set to its
    noop driver; skip (or, for the native module, fail in CI) without it."""
    if request.param == "pyxrt":
        try:
            module = pyxrt_binding.PyxrtModule(pyxrt_binding.import_pyxrt())
        except ImportError as e:
            pytest.skip(f"pyxrt variant: {e}")
    else:
        try:
            from fpgaops import _xrt as module
        except ImportError as e:
            if IN_CI and libxrt_installed():
                pytest.fail(f"libxrt is installed but fpgaops._xrt is not built ({e}); CI must build it")
            reason = "XRT (libxrt-dev) is not installed" if not libxrt_installed() else "fpgaops._xrt is not built"
            pytest.skip(f"{reason} ({e})")
    if not os.environ.get("XILINX_XRT"):
        _source_setup_script()
    os.environ["XCL_EMULATION_MODE"] = "noop"
    previous = os.environ.get(pyxrt_binding.ENV_BINDING)
    os.environ[pyxrt_binding.ENV_BINDING] = request.param   # the backend uses the same binding

    def restore():
        if previous is None:
            os.environ.pop(pyxrt_binding.ENV_BINDING, None)
        else:
            os.environ[pyxrt_binding.ENV_BINDING] = previous

    request.addfinalizer(restore)
    return module


@pytest.fixture(scope="session")
def xclbin_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("xclbins")


@pytest.fixture(scope="session")
def project_xclbin(xclbin_dir):
    """path(board) -> the project's metadata-only xclbin (+ manifest) for that board, written once."""
    made = {}

    def path(board="u50"):
        if board not in made:
            made[board] = xclbin.write_project_xclbin(board, xclbin_dir / board / f"fpgaops_{board}_hw.xclbin")
        return made[board]

    return path


@pytest.fixture
def xrt_backend(xrt, project_xclbin):
    """An xrt backend on the U50 project xclbin, explicitly allowed in noop mode."""
    from fpgaops.backends import xrt as xrt_backend_mod

    dev = xrt_backend_mod.open(project_xclbin("u50"), allow_noop=True)
    yield dev
    dev.close()
