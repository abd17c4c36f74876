"""Host side of the channel-innermost depthwise kernels fpgaops_dwconv_f32 / fpgaops_dwconv_i8
(kernels/hls/include/fpgaops/dwconv.hpp), shared by the csim and xrt launchers.

The kernel takes NHWC activations, tap-major weights [r*s][c] and exactly one input channel per
output channel, with c a multiple of dwconv.simd. A ConvCall is NCHW / KCRS with any channel
multiplier K / C, so ``to_kernel`` converts on the host: the input channel of output channel kk
(kk // multiplier) is repeated into position kk, the channels are padded to a multiple of SIMD
(zero weights, zero bias, mult = shift = 0: the pad channels compute finite values nobody reads),
and ``from_kernel`` writes the first K channels of the NHWC result back into the call's NCHW y.
The arithmetic is the kernel's, so the call stays bit-exact (int8) against the NumPy reference.

``dwconv_fits`` lives in conv2d.py (the dispatcher asks it before choosing this kernel).
"""
import dataclasses

import numpy as np

from ... import config

ACT = {"none": 0, "relu": 1, "relu6": 2}


def column_banks(max_kernel):
    """dwconv.hpp NB: the line buffer's column banks, one per filter column."""
    return max_kernel


def padded_channels(c, cfg=None):
    simd = (cfg or config.current()).dwconv.simd
    return -(-c // simd) * simd


def row_fits(call, cfg=None):
    """dwconv.hpp dwconv_row_fits: ceil(padded width / NB) * (padded channels / SIMD) <= LB_DEPTH."""
    d = (cfg or config.current()).dwconv
    nb = column_banks(d.max_kernel)
    wp = (call.ow - 1) * call.stride_w + (call.s - 1) * call.dil_w + 1
    depth = -(-d.max_row // (d.simd * nb))
    return -(-wp // nb) * (padded_channels(call.k, cfg) // d.simd) <= depth


@dataclasses.dataclass
class KernelArgs:
    """The converted buffers (device handles) and the channel count the kernel sees."""
    x: object
    weight: object
    bias: object
    mult: object
    shift: object
    y: object
    c: int


def _upload(backend, array):
    h = backend.allocate(array.nbytes)
    backend.copy_in(h, np.ascontiguousarray(array))
    return h


def _read(backend, tensor, shape, dtype):
    out = np.empty(shape, dtype)
    backend.copy_out(tensor.handle, out)
    return out


def to_kernel(backend, call):
    """Upload the call's tensors in the kernel's layout; returns KernelArgs."""
    dt = np.dtype(call.dtype)
    cp = padded_channels(call.k)
    mult_k = call.k // call.c
    x = _read(backend, call.x, (call.n, call.c, call.h, call.w), dt)
    xk = np.zeros((call.n, call.h, call.w, cp), dt)
    xk[..., :call.k] = np.repeat(x, mult_k, axis=1).transpose(0, 2, 3, 1)   # channel kk reads kk // mult_k
    w = _read(backend, call.weight, (call.k, 1, call.r, call.s), dt)
    wk = np.zeros((call.r * call.s, cp), dt)
    wk[:, :call.k] = w.reshape(call.k, call.r * call.s).T
    bias = None
    if call.bias is not None:
        bt = np.float32 if dt == np.float32 else np.int32
        b = np.zeros(cp, bt)
        b[:call.k] = _read(backend, call.bias, (call.k,), bt)
        bias = _upload(backend, b)
    mult = shift = None
    if dt == np.int8:
        mult, shift = np.zeros(cp, np.int32), np.zeros(cp, np.int32)
        mult[:call.k] = _read(backend, call.mult, (call.k,), np.int32)
        shift[:call.k] = _read(backend, call.shift, (call.k,), np.int32)
        mult, shift = _upload(backend, mult), _upload(backend, shift)
    y = backend.allocate(call.n * call.oh * call.ow * cp * dt.itemsize)
    return KernelArgs(_upload(backend, xk), _upload(backend, wk), bias, mult, shift, y, cp)


def from_kernel(backend, call, args):
    """Write the kernel's NHWC result (args.y) into the call's NCHW y."""
    dt = np.dtype(call.dtype)
    yk = np.empty((call.n, call.oh, call.ow, args.c), dt)
    backend.copy_out(args.y, yk)
    backend.copy_in(call.y.handle, np.ascontiguousarray(yk[..., :call.k].transpose(0, 3, 1, 2)))


def run(backend, call):
    """The csim launch: convert, run the top, convert back."""
    mod = backend.module
    k = to_kernel(backend, call)
    common = (k.x, k.weight, k.bias, k.y, call.n, k.c, call.h, call.w, k.c, call.r, call.s, call.oh, call.ow,
              call.stride_h, call.stride_w, call.pad_top, call.pad_left, call.dil_h, call.dil_w)
    if np.dtype(call.dtype) == np.float32:
        mod.dwconv_f32(*common, ACT[call.activation])
    else:
        mod.dwconv_i8(*common, call.x_zero_point, call.y_zero_point, k.mult, k.shift, call.act_min, call.act_max)
    from_kernel(backend, call, k)
