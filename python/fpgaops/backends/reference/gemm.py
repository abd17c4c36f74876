"""Reference launcher for GemmCall: unpack the strided buffers exactly as the kernels read them,
then evaluate the golden model."""
import numpy as np

from ...reference import gemm as ref
from . import view


def operand(t, batch, stride, rows, cols):
    """The (batch, rows, cols) matrices a kernel reads from tensor t with batch stride ``stride``."""
    flat = view(t).reshape(-1)
    return np.stack([flat[p * stride: p * stride + rows * cols].reshape(rows, cols) for p in range(batch)])


def run(backend, call):
    a = operand(call.a, call.batch, call.stride_a, *((call.k, call.m) if call.trans_a else (call.m, call.k)))
    b = operand(call.b, call.batch, call.stride_b, *((call.n, call.k) if call.trans_b else (call.k, call.n)))
    if call.trans_a:
        a = a.transpose(0, 2, 1)
    if call.trans_b:
        b = b.transpose(0, 2, 1)
    c = None
    if call.c is not None and call.beta:
        c = operand(call.c, call.batch, call.stride_c, call.m if call.ldc else 1, call.n)
    view(call.y).reshape(call.batch, call.m, call.n)[...] = ref.gemm(a, b, c, call.alpha, call.beta)
