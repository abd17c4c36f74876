"""Golden model of softmax: numerically stable, along one axis, float32 in and out.

    m = max_i x_i,   e_i = exp(x_i - m),   y_i = e_i / sum_j e_j

computed in float64 and rounded once. NaN anywhere in a row, or +inf, or a row of only -inf
gives a row of NaN (as PyTorch). ``tolerance`` bounds a float32 kernel's error (float32 exp to
a few ulp, any summation order).
"""
import numpy as np

U32 = 2.0 ** -24


def softmax(x, axis=-1):
    x = np.asarray(x, np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        m = np.max(x, axis=axis, keepdims=True)
        e = np.exp(x - m)
        return (e / np.sum(e, axis=axis, keepdims=True)).astype(np.float32)


def tolerance(x, y, axis=-1):
    """|y_kernel - y| <= 4u (|x_i - m| + n + 8) y_i + 1e-36 for rows of n elements: the float32
    rounding of x_i - m is amplified by exp, then exp's own few ulp and the row sum's n u."""
    x = np.asarray(x, np.float64)
    n = x.shape[axis]
    with np.errstate(invalid="ignore"):
        spread = np.abs(x - np.max(x, axis=axis, keepdims=True))
    spread = np.where(np.isfinite(spread), spread, 0)
    return 4 * U32 * (spread + n + 8) * np.abs(np.asarray(y, np.float64)) + 1e-36
