"""fpgaops.Tensor: a dense, C-contiguous array that lives on one device.

Ops given Tensors return Tensors on the same device, so a chain of ops never leaves the device;
``t.numpy()`` is the one explicit copy back.
"""
import numpy as np

from .errors import ArgumentError


class Lease:
    """Owns a device buffer on behalf of a tensor and all its views; when the last of them is
    gone the buffer goes back to its device (``Backend.release``), which may reuse it."""

    __slots__ = ("device", "handle")

    def __init__(self, device, handle):
        self.device, self.handle = device, handle

    def __del__(self):
        self.device.release(self.handle)


class Tensor:
    __slots__ = ("device", "handle", "shape", "dtype", "_lease")

    def __init__(self, device, handle, shape, dtype, lease=None):
        self.device, self.handle, self._lease = device, handle, lease
        self.shape, self.dtype = tuple(int(d) for d in shape), np.dtype(dtype)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    def numpy(self):
        """Copy to a new NumPy array (waits for queued work on the device)."""
        out = np.empty(self.shape, self.dtype)
        self.device.copy_out(self.handle, out)
        return out

    __array__ = lambda self, dtype=None, copy=None: self.numpy() if dtype is None else self.numpy().astype(dtype)

    def reshape(self, *shape):
        """A view with a new shape over the same device buffer (no copy). One dim may be -1."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape = [int(d) for d in shape]
        known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
        if shape.count(-1) > 1 or any(d < -1 for d in shape):
            raise ArgumentError("shape", f"expected non-negative sizes and at most one -1, got {tuple(shape)}")
        if -1 in shape:
            if known == 0 or self.size % known:
                raise ArgumentError("shape", f"cannot reshape {self.shape} to {tuple(shape)}")
            shape[shape.index(-1)] = self.size // known
        elif known != self.size:
            raise ArgumentError("shape", f"cannot reshape {self.shape} ({self.size} elements) to {tuple(shape)}")
        return Tensor(self.device, self.handle, shape, self.dtype, self._lease)

    def __repr__(self):
        return f"fpgaops.Tensor(shape={self.shape}, dtype={self.dtype}, device='{self.device.name}')"
