"""Reference launcher for ErfCall: the golden model on the buffers."""
from ...reference import erf as ref
from . import view


def run(backend, call):
    f = ref.gelu if call.fn == ref.GELU else ref.erf
    view(call.y).reshape(-1)[:] = f(view(call.x).reshape(-1))
