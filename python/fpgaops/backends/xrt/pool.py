"""xrt launcher for PoolCall: the fpgaops_pool_f32 / fpgaops_pool_i8 kernels (arguments by name).
Regular windows within blocked_fits go channel-blocked (kind | POOL_BLOCKED), converted on the host
around the launch by the csim launcher's blocked_launch, as the conv launchers do."""
import numpy as np

from ..csim.pool import blocked_launch, fits


def run(backend, call):
    name = "fpgaops_pool_i8" if np.dtype(call.dtype) == np.int8 else "fpgaops_pool_f32"
    if fits(call):
        blocked_launch(backend, call, lambda x, y, planes, kind: backend.launch_call(name, call, x=x, y=y,
                                                                                      planes=planes, kind=kind))
    else:
        backend.launch_call(name, call)
