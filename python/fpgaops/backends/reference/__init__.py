"""The NumPy golden model as a backend: buffers are flat uint8 NumPy arrays, kernels are the
functions in fpgaops.reference. Always available; written for clarity, not speed."""
import numpy as np

from ... import config
from ..base import Backend, alloc_bytes


class ReferenceBackend(Backend):
    name = "reference"

    @classmethod
    def probe(cls):
        return True, f"numpy {np.__version__}", "NumPy golden model"

    def __init__(self):
        self.word_bytes = config.current().axi.word_bits // 8

    def allocate(self, nbytes):
        return np.zeros(alloc_bytes(nbytes, self.word_bytes), np.uint8)

    def copy_in(self, handle, array):
        handle[: array.nbytes] = array.reshape(-1).view(np.uint8)

    def copy_out(self, handle, out):
        out.reshape(-1).view(np.uint8)[:] = handle[: out.nbytes]


def view(tensor):
    """The tensor's buffer as a NumPy array of its shape and dtype (no copy)."""
    return tensor.handle[: tensor.nbytes].view(tensor.dtype).reshape(tensor.shape)


BACKEND = ReferenceBackend
