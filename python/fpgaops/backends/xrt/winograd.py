"""xrt launcher of the Winograd kernels fpgaops_winograd_f32 / fpgaops_winograd_i8 (a ConvCall with
algo "winograd": 3x3, stride 1, dilation 1, groups 1; winograd_m the tile). Reached from the conv2d
launcher (ConvCall's family is conv2d); arguments by name as in xrt/conv2d.py."""
import numpy as np

KERNELS = {np.dtype(np.float32): "fpgaops_winograd_f32", np.dtype(np.int8): "fpgaops_winograd_i8"}
ACT = {"none": 0, "relu": 1, "relu6": 2}


def run(backend, call):
    extra = {"has_bias": int(call.bias is not None), "has_residual": int(call.residual is not None)}
    if call.bias is None:
        extra["bias"] = None
    if call.residual is None:
        extra["residual"] = None
    if np.dtype(call.dtype) == np.float32:
        extra["act"] = ACT[call.activation]
    backend.launch_call(KERNELS[np.dtype(call.dtype)], call, **extra)
