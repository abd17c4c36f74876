"""OpenCL launcher for ResizeCall: kernels/opencl/resize.cl (one work-item per output row of a
plane). The per-axis constants are computed here in Python floats (double), exactly as the golden
model (reference/resize.py) computes them; the kernel needs cl_khr_fp64 (the backend reports no
resize family without it: backends/opencl/__init__.py has_family)."""
import numpy as np

from ...reference import resize as ref
from .act_lut import enqueue

i32, f64 = np.int32, np.float64
TOL = 1e-08 + 1e-05 * abs(0.5)  # np.isclose(frac, 0.5)'s bound in reference/resize.py nearest()


def _axis(n_in, n_out, scale):
    """(resized, kernel args) of one axis: the golden model skips an axis of the same size at scale 1."""
    adj = n_out / (scale * n_in)
    args = (i32(n_in), i32(n_out), f64(scale), f64(n_in / 2 * (1 - adj)), f64(scale * n_in - 1))
    return int(not (n_in == n_out and scale == 1.0)), args


def run(backend, call):
    n, c, h, w = call.x.shape
    oh, ow = call.y.shape[2:]
    rh, ah = _axis(h, oh, call.scales[0])
    rw, aw = _axis(w, ow, call.scales[1])
    coord = i32(ref.COORDS.index(call.coord))
    head = (call.x.handle, call.y.handle, i32(rh), i32(rw), *ah, *aw, coord)
    if call.mode == "linear":
        enqueue(backend, "resize", "resize_linear_f32", (oh, n * c), head)
    else:
        name = "resize_nearest_b4" if call.x.dtype.itemsize == 4 else "resize_nearest_b1"
        enqueue(backend, "resize", name, (oh, n * c), head + (i32(ref.NEAREST.index(call.nearest_mode)), f64(TOL)))
