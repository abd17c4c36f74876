"""C-simulation backend: the HLS kernel tops (kernels/hls/top/*.cpp) compiled natively with g++
into fpgaops._csim and called through pybind11 -- what Vitis software emulation does with
kernel code. Buffers are host memory aligned to the AXI word, like an XRT buffer object."""
import numpy as np

from ... import config
from ..base import Backend, alloc_bytes


def _module():
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
