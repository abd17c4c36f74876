"""C-simulation backend: the HLS kernel tops (kernels/hls/top/*.cpp) compiled natively with g++
into fpgaops._csim and called through pybind11 -- what Vitis software emulation does with
kernel code. Buffers are host memory aligned to the AXI word, like an XRT buffer object."""
import os
import sys

import numpy as np

from ... import config
from ..base import Backend, alloc_bytes

# A path to another build of the module (scripts/test-sanitizers.sh points it at the ASan/UBSan
# build in build/asan); loaded in place of the installed fpgaops._csim.
MODULE_ENV = "FPGAOPS_CSIM_MODULE"


def _module():
    path = os.environ.get(MODULE_ENV)
    if path and "fpgaops._csim" not in sys.modules:
        import importlib.util  # noqa: PLC0415

        spec = importlib.util.spec_from_file_location("fpgaops._csim", path)
        if spec is None or not os.path.isfile(path):
            raise ImportError(f"{MODULE_ENV}={path!r} is not a file")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sys.modules["fpgaops._csim"] = mod
    from ... import _csim  # noqa: PLC0415 (optional native module)

    return _csim


class CsimBackend(Backend):
    name = "csim"

    @classmethod
    def probe(cls):
        try:
            mod = _module()
        except ImportError as e:
            return False, "-", f"native module fpgaops._csim is not built ({e}); reinstall with `pip install .`"
        want = config.current().digest
        if mod.config_digest() != want:
            return (False, mod.compiler(), f"fpgaops._csim was built for kernel config {mod.config_digest()}, "
                    f"the installed config is {want}: rebuild with `pip install .`")
        return True, mod.compiler(), f"HLS tops, C-simulated ({mod.hls_headers()})"

    def __init__(self):
        self.module = _module()
        self.word_bytes = config.current().axi.word_bits // 8

    def allocate(self, nbytes):
        n = alloc_bytes(nbytes, self.word_bytes)
        raw = np.empty(n + self.word_bytes, np.uint8)
        off = (-raw.ctypes.data) % self.word_bytes  # tops cast buffers to packed AXI words
        buf = raw[off: off + n]
        buf[n - self.word_bytes:] = 0  # the guard word: deterministic bytes for whole-word reads
        return buf

    def copy_in(self, handle, array):
        handle[: array.nbytes] = array.reshape(-1).view(np.uint8)

    def copy_out(self, handle, out):
        out.reshape(-1).view(np.uint8)[:] = handle[: out.nbytes]


BACKEND = CsimBackend
