"""Argument checks shared by every op. Everything here runs before any native call: a request
that reaches a kernel has shapes, dtypes and element counts the kernel can index with 32 bits."""
import numbers

import numpy as np

from .errors import ArgumentError, ArgumentTypeError

# Every kernel indexes a buffer with signed 32-bit integers.
MAX_ELEMENTS = 2**31 - 1


def array_info(x, name):
    """(shape, dtype) of a NumPy array or fpgaops.Tensor, else ArgumentTypeError."""
    from .tensor import Tensor

    if isinstance(x, Tensor):
        return x.shape, x.dtype
    if isinstance(x, np.ndarray):
        return x.shape, x.dtype
    raise ArgumentTypeError(name, f"expected a numpy.ndarray or fpgaops.Tensor, got {type(x).__name__}")


def check_dtype(name, dtype, allowed):
    if dtype not in allowed:
        names = " or ".join(str(np.dtype(d)) for d in allowed)
        raise ArgumentTypeError(name, f"expected dtype {names}, got {dtype} (convert with .astype)")


def check_rank(name, shape, ranks):
    if len(shape) not in ranks:
        want = " or ".join(f"{r}-D" for r in sorted(ranks))
        raise ArgumentError(name, f"expected a {want} array, got shape {tuple(shape)}")


def check_extent(name, shape, max_dim=None):
    """Every dimension >= 1 (and <= max_dim), element count inside 32-bit indexing."""
    for d in shape:
        if d < 1:
            raise ArgumentError(name, f"zero-size dimension in shape {tuple(shape)}; every dimension must be >= 1")
        if max_dim is not None and d > max_dim:
            raise ArgumentError(name, f"dimension {d} in shape {tuple(shape)} exceeds the kernel limit {max_dim}")
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if count > MAX_ELEMENTS:
        raise ArgumentError(name, f"shape {tuple(shape)} has {count} elements, more than 32-bit indexing allows ({MAX_ELEMENTS})")


def check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(name, f"expected a bool, got {value!r}")
    return bool(value)


def check_number(name, value, integer=False):
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, kind):
        raise ArgumentTypeError(name, f"expected {'an integer' if integer else 'a real number'}, got {value!r}")
    if not integer and not np.isfinite(value):
        raise ArgumentError(name, f"expected a finite number, got {value!r}")
    return value


def placement(*arrays):
    """(device, return_tensors): Tensors run on their own device (all must agree), NumPy
    inputs on the current device. The result is a Tensor if any input was one."""
    from .backends import current_device
    from .tensor import Tensor

    devices = {id(a.device): a.device for a in arrays if isinstance(a, Tensor)}
    if len(devices) > 1:
        names = sorted(d.name for d in devices.values())
        raise ArgumentError("inputs", f"tensors live on different devices {names}; move them with fpgaops.to_device")
    if devices:
        return next(iter(devices.values())), True
    return current_device(), False


def to_device(x, dev, dtype=None):
    """x as a dense Tensor on dev (NumPy arrays are made C-contiguous and copied in)."""
    from .tensor import Tensor

    if isinstance(x, Tensor):
        return x
    a = np.ascontiguousarray(x, dtype=dtype)
    t = dev.empty(a.shape, a.dtype)
    dev.copy_in(t.handle, a)
    return t
