"""OpenCL launcher for ResizeCall: kernels/opencl/resize.cl (one work-item per output row of a
plane). Each resized axis's source indices and weights are the golden model's own
(reference/resize.py axis_table), uploaded once per geometry and kept with the backend (a launch
plan replays them); the kernel needs cl_khr_fp64 (the backend reports no resize family without
it: backends/opencl/__init__.py has_family)."""
import numpy as np

from ...reference import resize as ref
from .act_lut import enqueue

i32 = np.int32
_TABLES = {}  # (backend id, n_in, n_out, scale, attrs) -> device buffers of axis_table (kept: small)


def _upload(backend, a):
    t = backend.empty(a.shape, a.dtype)
    backend.copy_in(t.handle, np.ascontiguousarray(a))
    return t


def _tables(backend, n_in, n_out, scale, attrs):
    """(resized, [device tables]) of one axis; an axis left alone passes a placeholder it never reads."""
    key = (id(backend), n_in, n_out, scale, tuple(sorted(attrs.items())))
    if key not in _TABLES:
        t = ref.axis_table(n_in, n_out, scale, attrs)
        if t is None:
            _TABLES[key] = (0, [_upload(backend, np.zeros(1, np.int32))] * (1 if attrs["mode"] == "nearest" else 3))
        else:
            kinds = (np.int32, np.int32, np.float64)
            _TABLES[key] = (1, [_upload(backend, v.astype(k)) for v, k in zip(t, kinds)])
    return _TABLES[key]


def run(backend, call):
    n, c, h, w = call.x.shape
    oh, ow = call.y.shape[2:]
    rh, th = _tables(backend, h, oh, call.scales[0], call.attrs)
    rw, tw = _tables(backend, w, ow, call.scales[1], call.attrs)
    args = (call.x.handle, call.y.handle, *map(i32, (h, w, oh, ow, rh, rw)), *(t.handle for t in th + tw))
    if call.mode == "linear":
        enqueue(backend, "resize", "resize_linear_f32", (oh, n * c), args)
    else:
        enqueue(backend, "resize", "resize_nearest_b4" if call.x.dtype.itemsize == 4 else "resize_nearest_b1",
                (oh, n * c), args)
