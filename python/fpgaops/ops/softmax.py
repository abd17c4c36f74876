"""softmax(x, dim=-1): numerically stable (max subtracted first), float32, any rank.

Agrees with the reference within ``fpgaops.reference.softmax.tolerance``. NaN anywhere in a row,
a +inf, or a row of only -inf gives a row of NaN (as PyTorch). int8 softmax is not supported
(UnsupportedError): dequantize, or fuse it into the network's float tail.
"""
import dataclasses
import numbers

import numpy as np

from .. import config
from .._validate import placement, to_device
from ..backends.base import KernelCall
from ..errors import ArgumentError, ArgumentTypeError, UnsupportedError
from ..tensor import Tensor
from .act_lut import check_input


@dataclasses.dataclass
class SoftmaxCall(KernelCall):
    """One launch of fpgaops_softmax_f32: x and y dense (outer, n, inner); for every (o, r) the
    row x[o, :, r] (stride ``inner``) is replaced by exp(x - max) / sum(exp(x - max))."""

    family = "softmax"
    x: Tensor
    y: Tensor
    outer: int
    n: int
    inner: int


def softmax(x, dim=-1):
    shape, dtype = check_input(x)
    if dtype != np.float32:
        raise UnsupportedError(f"x: softmax takes float32 only, got {dtype}")
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, numbers.Integral):
        raise ArgumentTypeError("dim", f"expected an int, got {dim!r}")
    rank = max(len(shape), 1)
    if not -rank <= dim < rank:
        raise ArgumentError("dim", f"expected {-rank} <= dim < {rank} for a {len(shape)}-D input, got {dim}")
    dim = int(dim) % rank
    dims = shape if shape else (1,)
    n = dims[dim]
    limit = config.current().softmax.max_dim
    if n > limit:
        raise UnsupportedError(f"dim: softmax over {n} elements exceeds kernel config softmax.max_dim = {limit}")
    outer = int(np.prod(dims[:dim], dtype=np.int64))
    inner = int(np.prod(dims[dim + 1:], dtype=np.int64))
    dev, as_tensor = placement(x)
    tx = to_device(x, dev)
    y = dev.empty(shape, dtype)
    dev.run(SoftmaxCall(tx, y, outer, n, inner))
    return y if as_tensor else y.numpy()
