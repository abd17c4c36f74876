"""Layer normalization, float32: ``torch.nn.functional.layer_norm``.

    fo.layer_norm(x, (768,), weight, bias, eps=1e-6)      # ConvNeXt (NHWC rows of C channels)

Normalizes over the trailing dimensions ``normalized_shape`` (one row of n elements per leading
index), then scales by ``weight`` and adds ``bias`` (each of shape ``normalized_shape``, or None).
Agrees with the golden model (reference/norm.py) within ``reference.norm.tolerance``.

Backends without norm kernels (csim and xrt: no HLS layer norm yet) compute it on the host with
the golden model (the buffers are read back and written again); the network runner labels such
nodes host ops (graph/devops.py ``on_device``).
"""
import dataclasses
import numbers

import numpy as np

from .._validate import placement, to_device
from ..backends.base import KernelCall
from ..errors import ArgumentError, ArgumentTypeError, UnsupportedError
from ..reference import norm as ref
from ..tensor import Tensor
from .act_lut import check_input


@dataclasses.dataclass
class NormCall(KernelCall):
    """One launch of layer_norm_f32: x and y dense (rows, n); w and b dense (n,) or None."""

    family = "norm"
    x: Tensor
    y: Tensor
    w: Tensor | None
    b: Tensor | None
    rows: int
    n: int
    eps: float




def _param(name, v, shape, n):
    if v is None:
        return None
    s, dtype = check_input(v, name)
    if dtype != np.float32:
        raise ArgumentTypeError(name, f"expected float32, got {dtype}")
    if tuple(s) != tuple(shape) and tuple(s) != (n,):
        raise ArgumentError(name, f"shape {tuple(s)} differs from normalized_shape {tuple(shape)}")
    return v


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    shape, dtype = check_input(x)
    if dtype != np.float32:
        raise UnsupportedError(f"x: layer_norm takes float32 only, got {dtype}")
    if isinstance(normalized_shape, numbers.Integral) and not isinstance(normalized_shape, (bool, np.bool_)):
        normalized_shape = (normalized_shape,)
    if not isinstance(normalized_shape, (tuple, list)) or not normalized_shape or any(
            isinstance(d, (bool, np.bool_)) or not isinstance(d, numbers.Integral) for d in normalized_shape):
        raise ArgumentTypeError("normalized_shape", f"expected a non-empty tuple of ints, got {normalized_shape!r}")
    k = len(normalized_shape)
    if k > len(shape) or tuple(shape[len(shape) - k:]) != tuple(int(d) for d in normalized_shape):
        raise ArgumentError("normalized_shape", f"{tuple(normalized_shape)} is not the trailing shape of x's "
                                                f"{tuple(shape)}")
    if isinstance(eps, (bool, np.bool_)) or not isinstance(eps, numbers.Real) or not np.isfinite(eps) or eps < 0:
        raise ArgumentError("eps", f"expected a finite number >= 0, got {eps!r}")
    n = int(np.prod(normalized_shape, dtype=np.int64))
    weight = _param("weight", weight, normalized_shape, n)
    bias = _param("bias", bias, normalized_shape, n)
    dev, as_tensor = placement(x, *(v for v in (weight, bias) if v is not None))
    tx = to_device(x, dev)
    y = dev.empty(shape, dtype)
    if dev.has_family("norm"):
        tw, tb = (None if v is None else to_device(v, dev) for v in (weight, bias))
        dev.run(NormCall(tx, y, tw, tb, tx.size // n, n, float(eps)))
    else:  # the host path (module docstring)
        host = [None if v is None else (v.numpy() if isinstance(v, Tensor) else v) for v in (weight, bias)]
        dev.copy_in(y.handle, ref.layer_norm(tx.numpy(), n, *host, eps=float(eps)))
    return y if as_tensor else y.numpy()
