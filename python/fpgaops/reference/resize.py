"""Golden model of the resize family: ONNX Resize's nearest and linear modes (opsets 11-19) in
float64, rounded once to the input's dtype. Separable: each resized axis is interpolated on its
own, in axis order, which is exact for nearest and N-linear interpolation. The OpenCL kernel
(kernels/opencl/resize.cl) computes the same coordinates and sums in double, in the same order, so
its results are these bits.

Supported: mode nearest (nearest_mode round_prefer_floor / round_prefer_ceil / floor / ceil) and
linear; coordinate_transformation_mode half_pixel, half_pixel_symmetric, pytorch_half_pixel,
align_corners, asymmetric, tf_half_pixel_for_nn. Refused with UnsupportedError: cubic,
tf_crop_and_resize, antialias=1 (graph/resize.py plans scales, sizes, axes and the aspect policy).
"""
import numpy as np

from ..errors import UnsupportedError

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


def coords(n_out, n_in, scale, coord):
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


def nearest(c, mode):
    if mode == "floor":
        return np.floor(c)
    if mode == "ceil":
        return np.ceil(c)
    frac = c - np.floor(c)
    half = np.isclose(frac, 0.5)
    r = np.floor(c + 0.5)
    return np.where(half, np.floor(c) if mode == "round_prefer_floor" else np.ceil(c), r)


def axis_table(n_in, n_out, scale, a):
    """How one axis is resized: None when it is left alone (same size at scale 1), else for nearest
    the source index of every output position, for linear the two source indices and the weight of
    the second (float64). The one rule for the golden model and the OpenCL launcher's tables."""
    if n_in == n_out and scale == 1.0:
        return None
    c = coords(n_out, n_in, scale, a.get("coordinate_transformation_mode", "half_pixel"))
    if a.get("mode", "nearest") == "nearest":
        return (np.clip(nearest(c, a.get("nearest_mode", "round_prefer_floor")), 0, n_in - 1).astype(np.int64),)
    c = np.clip(c, 0, n_in - 1)
    i0 = np.floor(c).astype(np.int64)
    return i0, np.minimum(i0 + 1, n_in - 1), c - i0


def resize(x, out_shape, scales, a):
    """x resized to ``out_shape`` with per-axis ``scales`` (as returned by graph/resize.py plan)."""
    check_attrs(a)
    y = x.astype(np.float64)
    for ax, (n_in, n_out) in enumerate(zip(x.shape, out_shape)):
        t = axis_table(n_in, n_out, scales[ax], a)
        if t is None:
            continue
        if len(t) == 1:
            y = np.take(y, t[0], axis=ax)
        else:
            i0, i1, w = t
            w = w.reshape((-1,) + (1,) * (y.ndim - ax - 1))
            with np.errstate(invalid="ignore"):  # an infinity times a weight of 0: NaN, as IEEE says
                y = np.take(y, i0, axis=ax) * (1 - w) + np.take(y, i1, axis=ax) * w
    return y.astype(x.dtype)
