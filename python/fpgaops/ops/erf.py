"""erf and the exact (erf-based) GELU, float32, any shape.

    fo.erf(x)              # torch.erf
    fo.gelu_exact(x)       # torch.nn.functional.gelu(x) exactly: x / 2 (1 + erf(x / sqrt 2))

``fo.gelu`` is the act_lut table (fusable into conv/eltwise epilogues, int8-capable, ~6e-6
absolute error); ``gelu_exact`` computes the function with the device's erf (within
``reference.erf.tolerance``), which the network runner uses for GELU (ONNX Gelu, and the
Div/Erf/Add/Mul/Mul pattern torch exports for nn.GELU at opsets 17/18) so that ConvNeXt-style
networks meet 1e-4 relative against ONNX Runtime.

Backends without erf kernels (csim and xrt: no HLS erf yet) compute it on the host with the golden
model; the network runner labels such nodes host ops (graph/devops.py ``on_device``).
"""
import dataclasses

import numpy as np

from .._validate import placement, to_device
from ..backends.base import KernelCall
from ..errors import UnsupportedError
from ..reference import erf as ref
from ..tensor import Tensor
from .act_lut import check_input


@dataclasses.dataclass
class ErfCall(KernelCall):
    """One launch of erf_f32: y[i] = f(x[i]) for i < count, f = erf (fn 0) or exact GELU (fn 1)."""

    family = "erf"
    x: Tensor
    y: Tensor
    count: int
    fn: int


def _apply(x, fn, name):
    shape, dtype = check_input(x)
    if dtype != np.float32:
        raise UnsupportedError(f"x: {name} takes float32 only, got {dtype}")
    dev, as_tensor = placement(x)
    tx = to_device(x, dev)
    y = dev.empty(shape, dtype)
    if dev.has_family("erf"):
        dev.run(ErfCall(tx, y, tx.size, fn))
    else:  # the host path (module docstring)
        dev.copy_in(y.handle, (ref.gelu if fn == ref.GELU else ref.erf)(tx.numpy()).reshape(-1))
    return y if as_tensor else y.numpy()


def erf(x):
    """``torch.erf``."""
    return _apply(x, ref.ERF, "erf")


def gelu_exact(x):
    """``torch.nn.functional.gelu(x, approximate="none")`` with the device's erf."""
    return _apply(x, ref.GELU, "gelu_exact")
