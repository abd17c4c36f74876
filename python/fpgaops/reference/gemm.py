"""Golden model of the GEMM family and its float32 error bound.

    y = alpha * A @ B + beta * C         (batched over the leading axis)

float32: computed in float64 and rounded once, so the only error in a backend's result is its
own float32 arithmetic. int8: exact products summed in int64; the kernels accumulate in int32,
which is exact because K <= gemm.max_dim <= 131071; adding C (int32) wraps modulo 2^32 like torch's
int32 add.
"""
import numpy as np

# float32 unit roundoff
U32 = 2.0 ** -24


def gemm(a, b, c=None, alpha=1.0, beta=0.0):
    """a (..., M, K), b (..., K, N), c broadcastable to the result (or None)."""
    if a.dtype == np.int8:
        acc = int(alpha) * np.matmul(a.astype(np.int64), b.astype(np.int64))
        if c is not None and beta:
            acc = acc + int(beta) * c.astype(np.int64)
        return acc.astype(np.int32)  # int64 -> int32 keeps the low 32 bits: two's-complement wrap
    y = alpha * np.matmul(a.astype(np.float64), b.astype(np.float64))
    if c is not None and beta:
        y = y + beta * c.astype(np.float64)
    return y.astype(np.float32)


def tolerance(a, b, c=None, alpha=1.0, beta=0.0):
    """Per-element bound on |y_float32 - y_exact| for any summation order (Higham's gamma_{K+2}):
    gamma * (|alpha| |A| @ |B| + |beta| |C|), gamma = (K + 2) u / (1 - (K + 2) u), plus the final
    rounding to float32 of the result itself."""
    k = a.shape[-1]
    gamma = (k + 2) * U32 / (1 - (k + 2) * U32)
    mag = abs(alpha) * np.matmul(np.abs(a.astype(np.float64)), np.abs(b.astype(np.float64)))
    if c is not None and beta:
        mag = mag + abs(beta) * np.abs(c.astype(np.float64))
    return gamma * mag + U32 * np.abs(gemm(a, b, c, alpha, beta).astype(np.float64)) + np.finfo(np.float32).tiny
