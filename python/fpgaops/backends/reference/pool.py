"""Reference launcher for PoolCall."""
from ...reference import pool as ref
from . import view


def run(backend, call):
    x = view(call.x).reshape(call.planes, 1, call.h, call.w)
    ah = ref.Axis(call.h, call.oh, call.kh, call.sh, call.ph, call.dh, call.adaptive)
    aw = ref.Axis(call.w, call.ow, call.kw, call.sw, call.pw, call.dw, call.adaptive)
    y = ref.pool2d(x, call.kind, ah, aw, call.count_include_pad, call.zero_point)
    view(call.y).reshape(-1)[:] = y.reshape(-1)
