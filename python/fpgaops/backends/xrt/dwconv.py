"""xrt launcher of the depthwise kernels fpgaops_dwconv_f32 / fpgaops_dwconv_i8 (a ConvCall with
groups == c that fits the kernel's limits: fpgaops.backends.csim.conv2d.dwconv_fits). Reached from
the conv2d launcher (ConvCall's family is conv2d). The kernels are channel-innermost: the host side
of the layout (NCHW -> NHWC, channel padding, multiplier expansion and back) is the csim
launcher's (fpgaops.backends.csim.dwconv), so both backends give the kernel the same buffers."""
import numpy as np

from ..csim import dwconv as layout

KERNELS = {np.dtype(np.float32): "fpgaops_dwconv_f32", np.dtype(np.int8): "fpgaops_dwconv_i8"}


def run(backend, call):
    k = layout.to_kernel(backend, call)
    values = {"x": k.x, "weight": k.weight, "bias": k.bias, "y": k.y, "n": call.n, "c": k.c, "h": call.h,
              "w": call.w, "k": k.c, "r": call.r, "s": call.s, "oh": call.oh, "ow": call.ow,
              "stride_h": call.stride_h, "stride_w": call.stride_w, "pad_top": call.pad_top,
              "pad_left": call.pad_left, "dil_h": call.dil_h, "dil_w": call.dil_w,
              "has_bias": int(call.bias is not None)}
    if np.dtype(call.dtype) == np.float32:
        values["act"] = layout.ACT[call.activation]
    else:
        values.update(x_zero_point=call.x_zero_point, y_zero_point=call.y_zero_point, mult=k.mult, shift=k.shift,
                      act_min=call.act_min, act_max=call.act_max)
    backend.launch(KERNELS[np.dtype(call.dtype)], values)
    layout.from_kernel(backend, call, k)
