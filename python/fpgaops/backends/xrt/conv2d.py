"""xrt launcher for ConvCall: algo "dwconv" on the depthwise kernels (xrt/dwconv.py) when the call
fits them, "winograd" on the Winograd kernels (xrt/winograd.py), everything else on
fpgaops_conv2d_f32 / fpgaops_conv2d_i8 (implicit GEMM; every algo computes the same function).

Arguments go by name (tops.hpp's names are ConvCall's fields); the few the call record does not
carry are derived here: has_bias / has_residual (a placeholder buffer, never read, is bound when
absent) and the float activation code; x, weight, residual and y go channel-blocked (blocked_launch)."""
import numpy as np

from ..csim.conv2d import blocked_launch, dwconv_fits
from . import dwconv, winograd

KERNELS = {np.dtype(np.float32): "fpgaops_conv2d_f32", np.dtype(np.int8): "fpgaops_conv2d_i8"}
ACT = {"none": 0, "relu": 1, "relu6": 2}


def run(backend, call):
    if call.algo == "dwconv" and dwconv_fits(call):
        return dwconv.run(backend, call)
    if call.algo == "winograd":
        return winograd.run(backend, call)
    extra = {"has_bias": int(call.bias is not None), "has_residual": int(call.residual is not None)}
    if call.bias is None:
        extra["bias"] = None
    if np.dtype(call.dtype) == np.float32:
        extra["act"] = ACT[call.activation]

    # x, weight, residual and y in the top's channel-blocked layouts (fpgaops/conv2d.hpp), converted
    # on the host around the launch
    def launch(x, wt, res, y, geo):
        # x_hi, weight_hi: x and the weights again, through the top's second read ports (conv2d.hpp
        # fetch_x_hi, load_weights)
        backend.launch_call(KERNELS[np.dtype(call.dtype)], call, x=x, x_hi=x, weight=wt, weight_hi=wt, residual=res,
                            y=y,
                            **geo, **extra)

    blocked_launch(backend, call, launch)
    return None
