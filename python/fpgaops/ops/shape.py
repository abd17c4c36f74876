"""flatten and reshape: views, never copies (no kernel runs).

A device Tensor is always dense, so both return a Tensor over the same buffer; a NumPy input is
reshaped by NumPy (a view when its layout allows, as ``numpy.reshape``)."""
import numbers

import numpy as np

from .._validate import array_info
from ..errors import ArgumentError, ArgumentTypeError
from ..tensor import Tensor


def reshape(x, shape):
    """``torch.reshape``: one dimension may be -1."""
    sx, _ = array_info(x, "x")
    if isinstance(shape, numbers.Integral) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or any(
            isinstance(d, (bool, np.bool_)) or not isinstance(d, numbers.Integral) for d in shape):
        raise ArgumentTypeError("shape", f"expected a tuple of ints, got {shape!r}")
    shape = tuple(int(d) for d in shape)
    if isinstance(x, Tensor):
        return x.reshape(shape)
    try:
        return np.reshape(x, shape)
    except ValueError as e:
        raise ArgumentError("shape", f"cannot reshape {tuple(sx)} to {shape}: {e}") from None


def flatten(x, start_dim=0, end_dim=-1):
    """``torch.flatten``: merge dims start_dim..end_dim into one."""
    sx, _ = array_info(x, "x")
    rank = max(len(sx), 1)
    dims = []
    for name, d in (("start_dim", start_dim), ("end_dim", end_dim)):
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, numbers.Integral):
            raise ArgumentTypeError(name, f"expected an int, got {d!r}")
        if not -rank <= d < rank:
            raise ArgumentError(name, f"expected {-rank} <= {name} < {rank} for a {len(sx)}-D input, got {d}")
        dims.append(int(d) % rank)
    s, e = dims
    if s > e:
        raise ArgumentError("start_dim", f"start_dim ({start_dim}) must not come after end_dim ({end_dim})")
    if not sx:
        return reshape(x, (1,))
    merged = int(np.prod(sx[s:e + 1], dtype=np.int64))
    return reshape(x, tuple(sx[:s]) + (merged,) + tuple(sx[e + 1:]))
