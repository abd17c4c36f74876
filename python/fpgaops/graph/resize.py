"""ONNX Resize (opsets 11-19), nearest and linear modes: the NumPy reference of the graph's
``Resize`` op (docs/networks.md). Separable: each resized axis is interpolated on its own, which
is exact for nearest and N-linear interpolation.

Supported: mode nearest (nearest_mode round_prefer_floor / round_prefer_ceil / floor / ceil) and
linear; coordinate_transformation_mode half_pixel, half_pixel_symmetric, pytorch_half_pixel,
align_corners, asymmetric, tf_half_pixel_for_nn; ``scales`` or ``sizes``; the ``axes``
attribute; keep_aspect_ratio_policy stretch / not_larger / not_smaller. Refused with
UnsupportedError: cubic, tf_crop_and_resize, antialias=1.
"""
import math

import numpy as np

from ..errors import UnsupportedError
from .ir import ModelError

MODES = ("nearest", "linear")
COORDS = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
          "tf_half_pixel_for_nn")
NEAREST = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def check_attrs(a):
    """UnsupportedError for the modes fpgaops does not implement (one place for importer and ops)."""
    mode = a.get("mode", "nearest")
    coord = a.get("coordinate_transformation_mode", "half_pixel")
    if mode not in MODES:
        raise UnsupportedError(f"Resize mode={mode!r} is not implemented (only {', '.join(MODES)})")
    if coord not in COORDS:
        raise UnsupportedError(f"Resize coordinate_transformation_mode={coord!r} is not implemented")
    if mode == "nearest" and a.get("nearest_mode", "round_prefer_floor") not in NEAREST:
        raise UnsupportedError(f"Resize nearest_mode={a.get('nearest_mode')!r} is not implemented")
    if int(a.get("antialias", 0)):
        raise UnsupportedError("Resize antialias=1 is not implemented")
    if a.get("keep_aspect_ratio_policy", "stretch") not in ("stretch", "not_larger", "not_smaller"):
        raise UnsupportedError(f"Resize keep_aspect_ratio_policy={a.get('keep_aspect_ratio_policy')!r}")


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


def _coords(n_out, n_in, scale, coord):
    x = np.arange(n_out, dtype=np.float64)
    if coord == "half_pixel":
        return (x + 0.5) / scale - 0.5
    if coord == "half_pixel_symmetric":
        adj = n_out / (scale * n_in)
        return n_in / 2 * (1 - adj) + (x + 0.5) / scale - 0.5
    if coord == "pytorch_half_pixel":
        return (x + 0.5) / scale - 0.5 if n_out > 1 else np.zeros_like(x)
    if coord == "align_corners":  # length_resized is scale * n_in, unrounded (as ONNX's reference)
        return x * (n_in - 1) / (scale * n_in - 1) if scale * n_in > 1 else np.zeros_like(x)
    if coord == "asymmetric":
        return x / scale
    return (x + 0.5) / scale  # tf_half_pixel_for_nn


def _nearest(c, mode):
    if mode == "floor":
        return np.floor(c)
    if mode == "ceil":
        return np.ceil(c)
    frac = c - np.floor(c)
    half = np.isclose(frac, 0.5)
    r = np.floor(c + 0.5)
    return np.where(half, np.floor(c) if mode == "round_prefer_floor" else np.ceil(c), r)


def resize(x, out_shape, scales, a):
    """x resized to ``out_shape`` with per-axis ``scales`` (as returned by plan)."""
    check_attrs(a)
    mode = a.get("mode", "nearest")
    coord = a.get("coordinate_transformation_mode", "half_pixel")
    y = x.astype(np.float64)
    for ax, (n_in, n_out) in enumerate(zip(x.shape, out_shape)):
        if n_in == n_out and scales[ax] == 1.0:
            continue
        c = _coords(n_out, n_in, scales[ax], coord)
        if mode == "nearest":
            idx = np.clip(_nearest(c, a.get("nearest_mode", "round_prefer_floor")), 0, n_in - 1).astype(np.int64)
            y = np.take(y, idx, axis=ax)
        else:
            c = np.clip(c, 0, n_in - 1)
            i0 = np.floor(c).astype(np.int64)
            i1 = np.minimum(i0 + 1, n_in - 1)
            w = (c - i0).reshape((-1,) + (1,) * (y.ndim - ax - 1))
            y = np.take(y, i0, axis=ax) * (1 - w) + np.take(y, i1, axis=ax) * w
    return y.astype(x.dtype)


def op_resize(i, a, opset):
    """The ONNX-level op: inputs (X, roi, scales, sizes)."""
    x = i[0]
    check_attrs(a)
    scales = i[2] if len(i) > 2 and i[2] is not None else None
    sizes = i[3] if len(i) > 3 and i[3] is not None else None
    out, sc = plan(x.shape, a, None if scales is None else np.asarray(scales).reshape(-1),
                   None if sizes is None else np.asarray(sizes).reshape(-1))
    return [resize(x, out, sc, a)]
