"""Reference launcher for ConvCall: every algorithm computes the golden model (the algorithm
changes how a kernel computes, never what)."""
import numpy as np

from ...reference import conv2d as ref
from . import view


def run(backend, call):
    x, w = view(call.x), view(call.weight)
    bias = view(call.bias) if call.bias is not None else None
    res = view(call.residual) if call.residual is not None else None
    geom = dict(stride=(call.stride_h, call.stride_w), pad=(call.pad_top, call.pad_left),
                dilation=(call.dil_h, call.dil_w), groups=call.groups, out_hw=(call.oh, call.ow))
    if call.dtype == np.int8:
        out = ref.conv2d_int8(x, w, bias, **geom, x_zero_point=call.x_zero_point, mult=view(call.mult),
                              shift=view(call.shift), y_zero_point=call.y_zero_point, lo=call.act_min,
                              hi=call.act_max, residual=res, res_zero_point=call.res_zero_point,
                              res_mult=call.res_mult, res_shift=call.res_shift)
    else:
        act = None if call.activation == "none" else call.activation
        out = ref.conv2d_float(x, w, bias, **geom, activation=act, residual=res)
    view(call.y)[...] = out
