"""resize: ONNX Resize (nearest and linear) on the last two axes of an (N, C, H, W) tensor.

    fo.resize(x, (oh, ow))                                  # nearest, half_pixel (ONNX defaults)
    fo.resize(x, scales=(2.0, 2.0), mode="linear", coordinate_transformation_mode="align_corners")

``size`` or ``scales`` (or both, as an ONNX Resize planned them: graph/resize.py ``plan``); with
only ``size`` each scale is ``size / input size``, with only ``scales`` each output size is
``floor(input size * scale)``. The modes and their names are ONNX's (reference/resize.py lists
them); torch's ``F.interpolate`` exports as nearest with asymmetric/floor (``mode="nearest"``) or
linear with pytorch_half_pixel (``mode="bilinear"``) or align_corners. nearest copies elements
(float32 or int8); linear is float32. The result is the golden model's, bit for bit: the OpenCL
kernel computes in double in its order (kernels/opencl/resize.cl). Backends without resize
kernels (csim and xrt: no HLS resize) compute it on the host with the golden model; the network
runner labels such nodes host ops (graph/devops.py ``on_device``).
"""
import dataclasses
import math

import numpy as np

from .._validate import check_extent, check_number, placement, to_device
from ..backends.base import KernelCall
from ..errors import ArgumentError, ArgumentTypeError, UnsupportedError
from ..reference import resize as ref
from ..tensor import Tensor
from .act_lut import check_input


@dataclasses.dataclass
class ResizeCall(KernelCall):
    """y (N, C, OH, OW) = x (N, C, H, W) resized; ``scales`` (sh, sw) as the golden model takes them."""

    family = "resize"
    x: Tensor
    y: Tensor
    scales: tuple
    mode: str
    coord: str
    nearest_mode: str

    def golden(self, x):
        """The golden model on a host array x (reference/resize.py)."""
        return ref.resize(x, self.y.shape, (1.0, 1.0) + tuple(self.scales), self.attrs)

    @property
    def attrs(self):
        return {"mode": self.mode, "coordinate_transformation_mode": self.coord, "nearest_mode": self.nearest_mode}


def _pair(name, v, integer):
    if not isinstance(v, (tuple, list)) or len(v) != 2:
        raise ArgumentTypeError(name, f"expected a pair ({'height, width'}), got {v!r}")
    return tuple(check_number(name, e, integer=integer) for e in v)


def resize(x, size=None, *, scales=None, mode="nearest", coordinate_transformation_mode="half_pixel",
           nearest_mode="round_prefer_floor"):
    """ONNX Resize of x's H and W axes (module docstring)."""
    shape, dtype = check_input(x)
    if len(shape) != 4:
        raise ArgumentError("x", f"expected an (N, C, H, W) tensor, got shape {shape}")
    attrs = {"mode": mode, "coordinate_transformation_mode": coordinate_transformation_mode,
             "nearest_mode": nearest_mode}
    for key, val in attrs.items():
        if not isinstance(val, str):
            raise ArgumentTypeError(key, f"expected a string, got {val!r}")
    ref.check_attrs(attrs)
    if mode == "linear" and dtype != np.float32:
        raise UnsupportedError(f"x: resize mode='linear' takes float32 only, got {dtype}")
    h, w = shape[2:]
    if size is None and scales is None:
        raise ArgumentError("size", "give size (height, width) or scales (height, width)")
    sized_by = "size" if size is not None else "scales"  # the argument an empty or huge output comes from
    if scales is not None:
        scales = tuple(float(s) for s in _pair("scales", scales, False))
        if not all(s > 0 for s in scales):
            raise ArgumentError("scales", f"expected positive scales, got {scales}")
    if size is not None:
        size = tuple(int(s) for s in _pair("size", size, True))
    else:
        size = (int(math.floor(h * scales[0])), int(math.floor(w * scales[1])))
    if min(size) < 1:
        raise ArgumentError(sized_by, f"the output size {size} is empty")
    if scales is None:
        scales = (size[0] / h, size[1] / w)
    out = shape[:2] + size
    check_extent(sized_by, out)  # (a scale of 1e30 makes a huge output)
    dev, as_tensor = placement(x)
    tx = to_device(x, dev)
    y = dev.empty(out, dtype)
    call = ResizeCall(tx, y, scales, mode, coordinate_transformation_mode, nearest_mode)
    if dev.has_family("resize"):
        dev.run(call)
    else:  # the host path (module docstring)
        dev.copy_in(y.handle, call.golden(tx.numpy()).reshape(-1))
    return y if as_tensor else y.numpy()
