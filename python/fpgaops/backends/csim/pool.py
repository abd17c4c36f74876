"""csim launcher for PoolCall: the fpgaops_pool_f32 / fpgaops_pool_i8 tops (the binding checks
every size again, host/csim/pool.cpp).

Regular windows within ``blocked_fits`` run on the channel-blocked path (kind | POOL_BLOCKED,
kernels/hls/include/fpgaops/pool.hpp): the planes are converted around the launch into the conv
tops' layout with ``blocked_act`` / ``unblocked_act`` (one bus word = gemm.pe planes x G columns),
so PoolCall and every caller stay NCHW. Adaptive windows and what the blocked path refuses run on
the planar path."""
import numpy as np

from ... import config
from ...errors import DeviceError
from .conv2d import block_of, blocked_act, unblocked_act

POOL_BLOCKED = 2  # kind bit of the channel-blocked path (pool.hpp PoolKind)


def blocked_fits(adaptive, kh, kw, sw, dh, dw, open_rows, ow, g, cfg=None):
    """True when a pool runs on the channel-blocked path: a regular window whose horizontal stride and
    both extents fit pool.max_kernel (so its divisor is at most max_kernel squared: pool.hpp's bounded
    int8 divide), whose vertical pass keeps at most pool.blocked_open_rows output rows open
    (``open_rows``: reference.pool.open_rows) and whose output row (``ow`` columns, ``g`` per bus word:
    block_of) is at most pool.blocked_out_words words. The one rule, used by the launchers and the
    estimator (fpgaops.estimator.cycles.pool_schedule); the binding and pool.hpp check it again."""
    cfg = cfg or config.current()
    k = cfg.pool.max_kernel
    return (g >= 1 and not adaptive and sw <= k and (kw - 1) * dw + 1 <= k and (kh - 1) * dh + 1 <= k
            and open_rows <= min(cfg.pool.blocked_open_rows, cfg.pool.max_open_rows)
            and -(-ow // g) <= cfg.pool.blocked_out_words)


def fits(call):
    """blocked_fits for a PoolCall on the current config."""
    return blocked_fits(call.adaptive, call.kh, call.kw, call.sw, call.dh, call.dw, call.open_rows, call.ow,
                        block_of(call.dtype)[1])


def blocked_launch(backend, call, launch, cfg=None):
    """Run ``launch(x, y, planes, kind)`` on device buffers in the channel-blocked layout: the call's
    planes (every image's channels in one run) blocked by gemm.pe like a conv's channels, converted on
    the host first; y converted back into call.y after. Used by the csim and xrt launchers."""
    cfg = cfg or config.current()
    b, g = block_of(call.dtype, cfg)
    dt = np.dtype(call.dtype)
    x = np.empty((1, call.planes, call.h, call.w), dt)
    backend.copy_out(call.x.handle, x)
    xb = blocked_act(x, 1, b, g)
    blocks = -(-call.planes // b)
    yb = np.empty((blocks, call.oh, -(-call.ow // g) * g, b), dt)
    hx, hy = backend.allocate(xb.nbytes), backend.allocate(yb.nbytes)
    backend.copy_in(hx, xb)
    launch(hx, hy, blocks, call.kind | POOL_BLOCKED)
    backend.copy_out(hy, yb)
    backend.copy_in(call.y.handle, unblocked_act(yb, (1, call.planes, call.oh, call.ow), 1, b, g))


def _call(backend, call, args):
    try:
        if call.dtype == np.int8:
            backend.module.pool_i8(*args, call.zero_point)
        else:
            backend.module.pool_f32(*args)
    except (RuntimeError, ValueError) as e:
        raise DeviceError(f"csim pool: {e}") from None


def run(backend, call):
    args = (int(call.adaptive), int(call.count_include_pad), call.h, call.oh, call.kh, call.sh, call.ph, call.dh,
            call.w, call.ow, call.kw, call.sw, call.pw, call.dw, call.open_rows)
    if fits(call):
        blocked_launch(backend, call, lambda x, y, planes, kind: _call(backend, call, (x, y, planes, kind) + args))
    else:
        _call(backend, call, (call.x.handle, call.y.handle, call.planes, call.kind) + args)
