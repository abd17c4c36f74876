"""OpenCL launcher of the squeeze-and-excitation gate: kernels/opencl/se_gate.cl (design notes and
the bit-identity argument in that file's header). Called by the graph's SEGate device op
(graph/devops.py), which runs the unfused ops where ``supported`` says no."""
import numpy as np

from ...errors import DeviceError
from .act_lut import kernel
from .conv_common import ACT

# se_gate.cl SE_WG: items per work-group, one work-group per batch sample. One item: the gate is
# bound by reading the FC weights (1.8 MB in MobileNetV3-large's last blocks); 16 items were slower.
WG = 1
MAX = 4096   # se_gate.cl SE_MAX: pooled + hidden floats in local memory

i32 = np.int32


def supported(backend, c, r, act1, act2):
    """Whether one se_gate_f32 launch computes this gate (else the caller runs the unfused ops)."""
    return (c + r <= MAX and 4 * MAX <= backend.device.local_mem_size
            and (act1 or "none") in ACT and (act2 or "none") in ACT)


def run(backend, x, r, w1t, b1, w2t, b2, act1, act2, tab1=None, tab2=None, mul1=False, mul2=False):
    """Gate (N, C, 1, 1) of x (N, C, H, W), R hidden channels; w1t (C, RP) and w2t (R, CP) the
    transposed FC weights zero-padded to multiples of 16 (passes.fuse_se), b1 / b2
    Tensors or None (all float32 device Tensors); act1 / act2 conv epilogue activations, tab1 / tab2
    float table Tensors (act_lut's layout) applied after them, or None; mul1 / mul2: the table's
    result times its input (torch's exported SiLU)."""
    n, c, h, w = x.shape
    y = backend.empty((n, c, 1, 1), np.float32)
    dummy = w1t  # never read: the bias / table flags are 0
    args = (x.handle, w1t.handle, (b1 if b1 is not None else dummy).handle, w2t.handle,
            (b2 if b2 is not None else dummy).handle, y.handle,
            *i32((c, r, w2t.shape[1], w1t.shape[1], h * w, b1 is not None, b2 is not None,
                  ACT[act1 or "none"], ACT[act2 or "none"],
                  0 if tab1 is None else 1 + bool(mul1), 0 if tab2 is None else 1 + bool(mul2))),
            (tab1 if tab1 is not None else dummy).handle, (tab2 if tab2 is not None else dummy).handle)
    lock, k = kernel(backend, "se_gate", "se_gate_f32")
    try:
        with lock:
            backend.enqueue(k, (WG, n), (WG, 1), args)
    except backend.cl.Error as e:
        raise DeviceError(f"opencl se_gate: {e}", code=getattr(e, "code", None)) from None
    return y
