"""``fpgaops.to_device``: the public copy of an array to a device. Kept apart from tensor.py so
that the Tensor type depends on nothing but the errors (backends create Tensors; this function
needs the backends and the argument checks)."""
from ._validate import array_info, check_extent
from ._validate import to_device as _copy
from .backends import current_device, get_device
from .tensor import Tensor


def to_device(x, device=None):
    """Copy a NumPy array to ``device`` (default: the current one) as a Tensor."""
    dev = get_device(device) if device is not None else current_device()
    if isinstance(x, Tensor):
        return x if x.device is dev else to_device(x.numpy(), dev)
    shape, _ = array_info(x, "x")
    check_extent("x", shape)
    return _copy(x, dev)
