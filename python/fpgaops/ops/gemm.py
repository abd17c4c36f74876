"""GEMM family: matmul, gemm, linear (PyTorch / ONNX semantics).

dtypes: float32 x float32 -> float32; int8 x int8 -> int32, exact (torch.matmul would return
int8 and overflow; a CNN accelerator wants the int32 accumulator). Zero-size dimensions are
rejected rather than returning an empty result, so a kernel never sees one.

float32 results agree with the reference within ``fpgaops.reference.gemm.tolerance`` (a
rigorous bound for any summation order); int8 results are bit-exact on every backend.
"""
import dataclasses

import numpy as np

from .. import config
from .._validate import (array_info, check_bool, check_dtype, check_extent, check_number, check_rank,
                         placement, to_device)
from ..backends.base import KernelCall
from ..errors import ArgumentError, UnsupportedError
from ..tensor import Tensor

DTYPES = (np.dtype(np.float32), np.dtype(np.int8))
ACC = {np.dtype(np.float32): np.dtype(np.float32), np.dtype(np.int8): np.dtype(np.int32)}


@dataclasses.dataclass
class GemmCall(KernelCall):
    """One launch of the GEMM kernel (the argument list of the fpgaops_gemm_* tops).

    For p in range(batch), with matrices read row-major from the flat buffers:
        A_p = a[p*stride_a :]  as (M, K), or (K, M) read transposed when trans_a
        B_p = b[p*stride_b :]  as (K, N), or (N, K) read transposed when trans_b
        C_p[i, j] = c[p*stride_c + i*ldc + j]      (ldc = 0 broadcasts one row: a bias)
        y[p] = alpha * A_p @ B_p + beta * C_p       (y dense, batch x M x N)
    A stride of 0 shares one matrix across the batch. int8: alpha == 1, beta in {0, 1}.
    """

    family = "gemm"
    dtype: np.dtype
    a: Tensor
    b: Tensor
    c: Tensor | None
    y: Tensor
    batch: int
    m: int
    n: int
    k: int
    stride_a: int
    stride_b: int
    stride_c: int
    ldc: int
    trans_a: bool
    trans_b: bool
    alpha: float
    beta: float


def _inputs(pairs):
    """Shapes and dtypes of (name, array) pairs, validated; all must share one dtype."""
    infos = {}
    for name, x in pairs:
        shape, dtype = array_info(x, name)
        infos[name] = (tuple(shape), np.dtype(dtype))
    first = next(iter(infos))
    for name, (shape, dtype) in infos.items():
        check_dtype(name, dtype, DTYPES)
    for name, (shape, dtype) in infos.items():
        if dtype != infos[first][1]:
            raise ArgumentError(name, f"dtype {dtype} differs from {first}'s {infos[first][1]}; both must be float32 or both int8")
    return infos


def _limits(dtype, m, n, k):
    # gemm.max_dim <= 131071 also keeps every int8 dot product exact in int32 (config.py)
    cfg = config.current().gemm
    for name, v in (("M", m), ("N", n), ("K", k)):
        if v > cfg.max_dim:
            raise ArgumentError(name, f"{v} exceeds the GEMM kernel limit gemm.max_dim = {cfg.max_dim}")


def _launch(dev, as_tensor, a, b, c, *, batch, m, n, k, stride_a, stride_b, stride_c, ldc,
            trans_a, trans_b, alpha, beta, out_shape):
    dtype = np.dtype(a.dtype)
    ta, tb = to_device(a, dev), to_device(b, dev)
    tc = to_device(c, dev) if c is not None else None
    y = dev.empty((batch, m, n), ACC[dtype])
    if dtype == np.int8:
        alpha, beta = int(alpha), int(beta)
    else:
        alpha, beta = float(alpha), float(beta)
    dev.run(GemmCall(dtype, ta, tb, tc, y, batch, m, n, k, stride_a, stride_b, stride_c, ldc,
                     trans_a, trans_b, alpha, beta))
    y = y.reshape(out_shape)
    return y if as_tensor else y.numpy()


def _scalars(dtype, alpha, beta, has_c):
    alpha, beta = check_number("alpha", alpha), check_number("beta", beta)
    if dtype == np.int8:
        if alpha != 1:
            raise UnsupportedError(f"alpha: int8 GEMM computes the exact int32 product; alpha must be 1, got {alpha!r}")
        if beta not in (0, 1):
            raise UnsupportedError(f"beta: int8 GEMM adds C unscaled; beta must be 0 or 1, got {beta!r}")
    return alpha, (beta if has_c else 0.0)


def _bias_layout(c, cshape, m, n, name):
    """(c, ldc): c as stored for the kernel. (M, N) -> ldc = N; (N,) / (1, N) -> one broadcast row.
    Other shapes broadcastable to (M, N) are expanded on the host (NumPy inputs only)."""
    if cshape in ((m, n),):
        return c, n
    if cshape in ((n,), (1, n)):
        return c, 0
    try:
        np.broadcast_shapes(cshape, (m, n))
    except ValueError:
        raise ArgumentError(name, f"shape {cshape} does not broadcast to the result shape ({m}, {n})") from None
    if isinstance(c, Tensor):
        raise UnsupportedError(f"{name}: a device tensor of shape {cshape} would need expanding to ({m}, {n}); "
                               f"pass shape ({m}, {n}), ({n},) or (1, {n})")
    return np.broadcast_to(c, (m, n)), n


def gemm(a, b, c=None, alpha=1.0, beta=0.0, trans_a=False, trans_b=False):
    """``alpha * op(a) @ op(b) + beta * c`` for 2-D ``a`` and ``b`` (BLAS / ONNX Gemm).

    op(x) is x.T when the matching ``trans_*`` is true. ``c`` broadcasts to (M, N).
    """
    infos = _inputs([("a", a), ("b", b)])
    trans_a, trans_b = check_bool("trans_a", trans_a), check_bool("trans_b", trans_b)
    (sa, dtype), (sb, _) = infos["a"], infos["b"]
    check_rank("a", sa, {2})
    check_rank("b", sb, {2})
    check_extent("a", sa)
    check_extent("b", sb)
    m, ka = (sa[1], sa[0]) if trans_a else sa
    kb, n = (sb[1], sb[0]) if trans_b else sb
    if ka != kb:
        raise ArgumentError("b", f"inner dimensions differ: op(a) is ({m}, {ka}) and op(b) is ({kb}, {n})")
    _limits(dtype, m, n, ka)
    alpha, beta = _scalars(dtype, alpha, beta, c is not None)
    ldc = 0
    if c is not None:
        cshape, cdtype = array_info(c, "c")
        check_dtype("c", np.dtype(cdtype), (ACC[dtype],))
        check_extent("c", tuple(cshape))
        c, ldc = _bias_layout(c, tuple(cshape), m, n, "c")
    dev, as_tensor = placement(a, b, *( [c] if c is not None else []))
    return _launch(dev, as_tensor, a, b, c, batch=1, m=m, n=n, k=ka, stride_a=0, stride_b=0, stride_c=0,
                   ldc=ldc, trans_a=trans_a, trans_b=trans_b, alpha=alpha, beta=beta, out_shape=(m, n))


def matmul(a, b):
    """``torch.matmul``: 1-D, 2-D and batched (..., M, K) @ (..., K, N) with broadcast batch dims."""
    infos = _inputs([("a", a), ("b", b)])
    (sa, dtype), (sb, _) = infos["a"], infos["b"]
    for name, s in (("a", sa), ("b", sb)):
        if len(s) < 1:
            raise ArgumentError(name, "expected at least a 1-D array, got a 0-D scalar")
        check_extent(name, s)
    vec_a, vec_b = len(sa) == 1, len(sb) == 1
    ma = (1,) + sa if vec_a else sa
    mb = sb + (1,) if vec_b else sb
    m, k = ma[-2:]
    kb, n = mb[-2:]
    if k != kb:
        raise ArgumentError("b", f"inner dimensions differ: a is {sa} and b is {sb} ({k} != {kb})")
    _limits(dtype, m, n, k)
    ba, bb = ma[:-2], mb[:-2]
    try:
        bshape = np.broadcast_shapes(ba, bb)
    except ValueError:
        raise ArgumentError("b", f"batch dimensions {ba} and {bb} do not broadcast") from None
    batch = int(np.prod(bshape, dtype=np.int64)) if bshape else 1
    out_shape = bshape + ((() if vec_a else (m,)) + (() if vec_b else (n,)))
    check_extent("result", (batch, m, n))

    def batch_stride(x, xb, rows, cols, name):
        if xb == bshape:
            return x, rows * cols
        if int(np.prod(xb, dtype=np.int64)) == 1:
            return x, 0  # one matrix shared by the whole batch
        if isinstance(x, Tensor):
            raise UnsupportedError(f"{name}: batch dims {xb} broadcast partially against {bshape}; "
                                   "expand the device tensor first or pass NumPy arrays")
        return np.broadcast_to(np.asarray(x).reshape(xb + (rows, cols)), bshape + (rows, cols)), rows * cols

    a, stride_a = batch_stride(a, ba, m, k, "a")
    b, stride_b = batch_stride(b, bb, k, n, "b")
    dev, as_tensor = placement(a, b)
    return _launch(dev, as_tensor, a, b, None, batch=batch, m=m, n=n, k=k, stride_a=stride_a, stride_b=stride_b,
                   stride_c=0, ldc=0, trans_a=False, trans_b=False, alpha=1, beta=0, out_shape=out_shape)


def linear(x, weight, bias=None):
    """``torch.nn.functional.linear``: x (..., in) @ weight(out, in).T + bias(out)."""
    pairs = [("x", x), ("weight", weight)]
    infos = _inputs(pairs)
    (sx, dtype), (sw, _) = infos["x"], infos["weight"]
    if len(sx) < 1:
        raise ArgumentError("x", "expected at least a 1-D array, got a 0-D scalar")
    check_rank("weight", sw, {2})
    check_extent("x", sx)
    check_extent("weight", sw)
    n, k = sw
    if sx[-1] != k:
        raise ArgumentError("weight", f"in_features {k} of weight {sw} differs from x's last dimension {sx[-1]}")
    m = int(np.prod(sx[:-1], dtype=np.int64)) if len(sx) > 1 else 1
    _limits(dtype, m, n, k)
    if bias is not None:
        bshape, bdtype = array_info(bias, "bias")
        check_dtype("bias", np.dtype(bdtype), (ACC[dtype],))
        if tuple(bshape) != (n,):
            raise ArgumentError("bias", f"expected shape ({n},) (out_features), got {tuple(bshape)}")
    dev, as_tensor = placement(x, weight, *([bias] if bias is not None else []))
    x2 = x.reshape(m, k) if isinstance(x, Tensor) else np.asarray(x).reshape(m, k)
    return _launch(dev, as_tensor, x2, weight, bias, batch=1, m=m, n=n, k=k, stride_a=0, stride_b=0, stride_c=0,
                   ldc=0, trans_a=False, trans_b=True, alpha=1, beta=1 if bias is not None else 0,
                   out_shape=tuple(sx[:-1]) + (n,))
