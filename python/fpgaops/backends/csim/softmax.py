"""csim launcher for SoftmaxCall: the fpgaops_softmax_f32 top (host/csim/softmax.cpp)."""
from ...errors import DeviceError


def run(backend, call):
    try:
        backend.module.softmax_f32(call.x.handle, call.y.handle, call.outer, call.n, call.inner)
    except (RuntimeError, ValueError) as e:
        raise DeviceError(f"csim softmax: {e}") from None
