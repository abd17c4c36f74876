"""OpenCL launcher for PoolCall: kernels/opencl/pool.cl (design notes in that file's header).
A work-item computes whole output rows (whole planes for global pooling): at least
pool.opencl.min_outputs outputs, but enough work-items for every compute unit. Max pools over
regular windows without dilation whose padded rows fit pool.opencl.max_row take the separable
pool_max_f32 / pool_max_i8; the rest pool_f32 / pool_i8."""
import numpy as np

from ... import config
from .act_lut import enqueue

i32 = np.int32


def _per_item(backend, units_total, outputs_per_unit):
    """Units (rows or planes) per work-item."""
    cus = max(1, backend.device.max_compute_units)
    want = max(1, config.current().pool.opencl.min_outputs // max(1, outputs_per_unit))
    spread = max(1, units_total // (4 * cus))  # keep >= 4 items per compute unit when possible
    return max(1, min(want, spread))


def separable_max(call, max_row):
    """True when pool_max_f32 / pool_max_i8 runs ``call``: a max (kind 0) over regular windows,
    dilation 1, the padded row (ceil_mode's overhang included) within ``max_row`` columns."""
    span = max(call.pw + call.w, (call.ow - 1) * call.sw + call.kw)
    return call.kind == 0 and not call.adaptive and call.dh == 1 and call.dw == 1 and span <= max_row


def run(backend, call):
    i8 = call.dtype == np.int8
    if call.adaptive and call.oh == 1 and call.ow == 1:
        hw = call.h * call.w
        per = _per_item(backend, call.planes, max(1, hw // 8))
        args = (call.x.handle, call.y.handle, i32(hw), i32(call.planes), i32(per))
        args += (i32(call.zero_point),) if i8 else ()
        enqueue(backend, "pool", "pool_global_i8" if i8 else "pool_global_f32", (-(-call.planes // per),), args)
        return
    per = _per_item(backend, call.oh * call.planes, call.ow)
    per = min(per, call.oh)
    if separable_max(call, config.current().pool.opencl.max_row):
        args = (call.x.handle, call.y.handle, i32(call.h), i32(call.oh), i32(call.kh), i32(call.sh), i32(call.ph),
                i32(call.w), i32(call.ow), i32(call.kw), i32(call.sw), i32(call.pw), i32(per))
        enqueue(backend, "pool", "pool_max_i8" if i8 else "pool_max_f32", (-(-call.oh // per), call.planes), args)
        return
    args = (call.x.handle, call.y.handle, i32(call.kind), i32(call.adaptive), i32(call.count_include_pad),
            i32(call.h), i32(call.oh), i32(call.kh), i32(call.sh), i32(call.ph), i32(call.dh),
            i32(call.w), i32(call.ow), i32(call.kw), i32(call.sw), i32(call.pw), i32(call.dw), i32(per))
    if i8:
        args += (i32(call.zero_point),)
    enqueue(backend, "pool", "pool_i8" if i8 else "pool_f32", (-(-call.oh // per), call.planes), args)
