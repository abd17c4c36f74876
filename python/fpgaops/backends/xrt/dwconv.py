"""xrt launcher of the depthwise kernels fpgaops_dwconv_f32 / fpgaops_dwconv_i8 (a ConvCall with
groups == c that fits the kernel's limits: fpgaops.backends.csim.conv2d.dwconv_fits). Reached from
the conv2d launcher (ConvCall's family is conv2d); arguments by name as in xrt/conv2d.py."""
import numpy as np

KERNELS = {np.dtype(np.float32): "fpgaops_dwconv_f32", np.dtype(np.int8): "fpgaops_dwconv_i8"}
ACT = {"none": 0, "relu": 1, "relu6": 2}


def run(backend, call):
    extra = {"has_bias": int(call.bias is not None)}
    if call.bias is None:
        extra["bias"] = None
    if np.dtype(call.dtype) == np.float32:
        extra["act"] = ACT[call.activation]
    backend.launch_call(KERNELS[np.dtype(call.dtype)], call, **extra)
