"""ONNX Resize (opsets 11-19), nearest and linear modes: the importer's side of the graph's
``Resize`` op (docs/networks.md): the output shape and per-axis scales from the node's scales or
sizes (``plan``) and the ONNX-level op (``op_resize``). The interpolation itself is the resize
family's golden model, reference/resize.py (the device op is fpgaops.resize).

Supported: mode nearest (nearest_mode round_prefer_floor / round_prefer_ceil / floor / ceil) and
linear; coordinate_transformation_mode half_pixel, half_pixel_symmetric, pytorch_half_pixel,
align_corners, asymmetric, tf_half_pixel_for_nn; ``scales`` or ``sizes``; the ``axes``
attribute; keep_aspect_ratio_policy stretch / not_larger / not_smaller. Refused with
UnsupportedError: cubic, tf_crop_and_resize, antialias=1.
"""
import math

import numpy as np

from ..reference.resize import COORDS, MODES, NEAREST, check_attrs, resize  # noqa: F401
from .ir import ModelError


def plan(shape, a, scales=None, sizes=None):
    """(output shape, per-axis scales) from the node's scales or sizes (float lists or None)."""
    r = len(shape)
    axes = [int(v) for v in a.get("axes", range(r))]
    axes = [v + r if v < 0 else v for v in axes]
    if any(not 0 <= v < r for v in axes) or len(set(axes)) != len(axes):
        raise ModelError(f"Resize axes {a.get('axes')} are invalid for rank {r}")
    out, sc = list(shape), [1.0] * r
    if sizes is not None and len(sizes):
        if len(sizes) != len(axes):
            raise ModelError(f"Resize sizes {list(sizes)} do not match {len(axes)} axes")
        sizes = [int(v) for v in sizes]
        policy = a.get("keep_aspect_ratio_policy", "stretch")
        if policy != "stretch":
            ratios = [s / shape[ax] for s, ax in zip(sizes, axes)]
            ratio = min(ratios) if policy == "not_larger" else max(ratios)
            sizes = [int(math.floor(ratio * shape[ax] + 0.5)) for ax in axes]
            for ax in axes:
                sc[ax] = ratio
        for s, ax in zip(sizes, axes):
            if s < 1:
                raise ModelError(f"Resize output size {s} on axis {ax}")
            out[ax] = s
            if policy == "stretch":
                sc[ax] = s / shape[ax]
    elif scales is not None and len(scales):
        if len(scales) != len(axes):
            raise ModelError(f"Resize scales {list(scales)} do not match {len(axes)} axes")
        for s, ax in zip(scales, axes):
            s = float(s)
            if not s > 0 or not math.isfinite(s):
                raise ModelError(f"Resize scale {s} on axis {ax} must be positive")
            sc[ax] = s
            out[ax] = int(math.floor(shape[ax] * s))
            if out[ax] < 1:
                raise ModelError(f"Resize scale {s} makes axis {ax} of size {shape[ax]} empty")
    else:
        raise ModelError("Resize needs scales or sizes")
    return tuple(out), sc


def op_resize(i, a, opset):
    """The ONNX-level op: inputs (X, roi, scales, sizes)."""
    x = i[0]
    check_attrs(a)
    scales = i[2] if len(i) > 2 and i[2] is not None else None
    sizes = i[3] if len(i) > 3 and i[3] is not None else None
    out, sc = plan(x.shape, a, None if scales is None else np.asarray(scales).reshape(-1),
                   None if sizes is None else np.asarray(sizes).reshape(-1))
    return [resize(x, out, sc, a)]
