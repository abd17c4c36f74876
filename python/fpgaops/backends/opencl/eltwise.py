"""OpenCL launcher for EltwiseCall: kernels/opencl/eltwise.cl (work split described there)."""
import numpy as np

from ... import config
from ...reference import act_lut as act
from .act_lut import MIN_CHUNK, enqueue

i32, i64, f32 = np.int32, np.int64, np.float32


def split(backend, rows, r, vec):
    """(r_items, chunk, row_items, rows_per_item): a few thousand elements per work-item and
    enough work-items for every compute unit."""
    units = max(1, backend.device.max_compute_units)
    target = max(1, min(8 * units, -(-rows * r // MIN_CHUNK)))
    if r >= MIN_CHUNK or rows == 1:
        r_items = max(1, min(-(-r // MIN_CHUNK), -(-target // rows)))
        chunk = -(-(-(-r // r_items)) // vec) * vec
        return -(-r // chunk), chunk, rows, 1
    per = max(1, min(MIN_CHUNK // r, rows // target))
    return 1, r, -(-rows // per), per


def run(backend, call):
    vec = config.current().eltwise.opencl.vec
    rows = call.p * call.q
    r_items, chunk, row_items, per = split(backend, rows, call.r, vec)
    geo = (i32(call.op), i32(rows), i32(per), i32(call.q), i32(call.r), i32(chunk), i64(call.a_sp), i64(call.a_sq),
           i32(call.a_sr), i64(call.b_sp), i64(call.b_sq), i32(call.b_sr))
    tab = call.table.handle if call.table is not None else call.a.handle  # never read without a table
    if call.dtype == np.int8:
        args = (call.a.handle, call.b.handle, call.y.handle, *geo, i32(call.kind == act.LUT8), tab, i32(call.za),
                i32(call.zb), i32(call.zo), i64(call.ma), i64(call.mb), i32(call.shift))
        enqueue(backend, "eltwise", "eltwise_i8", (r_items, row_items), args)
    else:
        args = (call.a.handle, call.b.handle, call.y.handle, *geo, i32(call.kind), f32(call.alpha), f32(call.beta), tab)
        enqueue(backend, "eltwise", "eltwise_f32", (r_items, row_items), args)
