"""Golden model of the data-movement ops (concat, split, slice, permute, pad) and of the one
strided copy every backend launcher implements (``strided_copy``; ops/movement.py explains how
each op becomes copies). Exact: elements are moved, never computed, so every backend must agree
bit for bit."""
import numpy as np


def strided_copy(x_flat, y_flat, shape, xs, ys, xoff, yoff):
    """y_flat[yoff + sum i_d ys_d] = x_flat[xoff + sum i_d xs_d] for every index i of ``shape``
    (strides and offsets in elements; strides may be 0 or negative)."""
    xi, yi = np.int64(xoff), np.int64(yoff)
    for d, (n, sx, sy) in enumerate(zip(shape, xs, ys)):
        r = np.arange(n, dtype=np.int64).reshape((1,) * d + (n,) + (1,) * (len(shape) - d - 1))
        xi, yi = xi + r * sx, yi + r * sy
    y_flat[yi] = x_flat[xi]


def concat(xs, dim):
    return np.concatenate(xs, axis=dim)


def split(x, sizes, dim):
    edges = np.cumsum([0] + list(sizes))
    return [np.ascontiguousarray(np.take(x, np.arange(b, e), axis=dim)) for b, e in zip(edges[:-1], edges[1:])]


def slice_(x, dims, starts, ends, steps):
    sl = [slice(None)] * x.ndim
    for d, s, e, st in zip(dims, starts, ends, steps):
        sl[d] = slice(s, e, st)
    return np.ascontiguousarray(x[tuple(sl)])


def permute(x, dims):
    return np.ascontiguousarray(np.transpose(x, dims))


def pad(x, pads, value):
    """``pads``: (before, after) per dimension, first dimension first."""
    return np.pad(x, pads, mode="constant", constant_values=np.array(value, x.dtype))
