"""Reference launcher for MoveCall / FillCall: the golden model's strided copy on the buffers."""
from ...reference import movement as ref


def run(backend, call):
    y = call.y.handle[: call.y.nbytes].view(call.y.dtype)
    if call.kind == "fill":
        y[:] = call.value
        return
    x = call.x.handle[: call.x.nbytes].view(call.x.dtype)
    ref.strided_copy(x, y, call.shape, call.xs, call.ys, call.xoff, call.yoff)
