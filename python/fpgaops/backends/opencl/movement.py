"""OpenCL launcher for MoveCall: kernels/opencl/movement.cl (work split described there), and
``channel_shuffle``, the graph's fused ChannelShuffle node (graph/shuffle.py)."""
import numpy as np

from ...errors import ArgumentError, ArgumentTypeError
from .act_lut import chunking, enqueue
from .eltwise import split as work_split

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
    n_items, chunk, row_items, per = work_split(backend, rows, n, 8)
    args = (call.x.handle, call.y.handle, i64(call.xoff), i64(call.yoff), i32(rows), i32(per), i32(n), i32(chunk),
            i32(d1), i32(d2), i32(d3), i32(d4), *map(i64, call.xs), *map(i64, call.ys))
    enqueue(backend, "movement", f"copy_{suffix}", (n_items, row_items), args)


def channel_shuffle(backend, a, b, split):
    """channel_shuffle(cat(a, b, dim 1), groups=2) of two (N, C/2, H, W) device Tensors in one
    shuffle2 launch: the shuffled (N, C, H, W) Tensor, or with ``split`` its two halves along
    dim 1 as a list of two (N, C/2, H, W) Tensors (graph/shuffle.py)."""
    for name, t in (("a", a), ("b", b)):
        if getattr(t, "device", None) is not backend:
            raise ArgumentTypeError(name, f"expected a Tensor on {backend.name}, got {type(t).__name__}")
        if len(t.shape) != 4 or t.dtype.itemsize not in _BITS:
            raise ArgumentError(name, f"expected a 4-D float32 or int8 Tensor, got {t.shape} {t.dtype}")
    if a.shape != b.shape or a.dtype != b.dtype:
        raise ArgumentError("b", f"{b.shape} {b.dtype} differs from a's {a.shape} {a.dtype}")
    nb, h, hh, ww = a.shape
    c, hw = 2 * h, hh * ww
    cout = h if split else c
    ys = [backend.empty((nb, cout, hh, ww), a.dtype) for _ in range(2 if split else 1)]
    rows = nb * c
    n_items, chunk, row_items, per = work_split(backend, rows, hw, 8)
    args = (a.handle, b.handle, ys[0].handle, ys[-1].handle, i32(rows), i32(per), i32(hw), i32(chunk), i32(c),
            i32(cout))
    enqueue(backend, "movement", f"shuffle2_{_BITS[a.dtype.itemsize][1]}", (n_items, row_items), args)
    return ys if split else ys[0]
