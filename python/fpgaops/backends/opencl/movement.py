"""OpenCL launcher for MoveCall: kernels/opencl/movement.cl (work split described there)."""
import numpy as np

from .act_lut import chunking, enqueue
from .eltwise import split

i32, i64 = np.int32, np.int64
_BITS = {4: (np.uint32, "b4"), 1: (np.uint8, "b1")}


def run(backend, call):
    utype, suffix = _BITS[call.y.dtype.itemsize]
    if call.kind == "fill":
        items, chunk = chunking(backend, call.y.size, 8)
        bits = np.array(call.value, call.y.dtype).view(utype)[()]
        enqueue(backend, "movement", f"fill_{suffix}", (items,), (call.y.handle, i32(call.y.size), i32(chunk), bits))
        return
    d0, d1, d2, d3, d4, n = call.shape
    rows = d0 * d1 * d2 * d3 * d4
    n_items, chunk, row_items, per = split(backend, rows, n, 8)
    args = (call.x.handle, call.y.handle, i64(call.xoff), i64(call.yoff), i32(rows), i32(per), i32(n), i32(chunk),
            i32(d1), i32(d2), i32(d3), i32(d4), *map(i64, call.xs), *map(i64, call.ys))
    enqueue(backend, "movement", f"copy_{suffix}", (n_items, row_items), args)
