"""NumPy implementations of the ONNX ops the importer understands (plus a few more that only
``allow_fallback=True`` runs). Used for constant folding, for fallback nodes, and as the
independent ``against="numpy"`` oracle of ``Network.trace``. Written for clarity; float32 in,
float32 out, computed in float64 where it matters.

Each function takes (inputs, attrs, opset) -- inputs a list of arrays (None for omitted
optional inputs) -- and returns a list of outputs.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from .ir import ModelError


def _pair(v, n=2, default=1):
    if v is None:
        return (default,) * n
    return tuple(int(a) for a in v)


def _windows(x, kh, kw, sh, sw, dh, dw, ho, wo):
    n, c, h, w = x.shape
    s = x.strides
    return as_strided(x, (n, c, kh, kw, ho, wo), (s[0], s[1], s[2] * dh, s[3] * dw, s[2] * sh, s[3] * sw),
                      writeable=False)


def conv2d(x, w, b, strides, pads, dilations, group):
    """pads = (top, left, bottom, right)."""
    n, c, h, wd = x.shape
    k, cg, kh, kw = w.shape
    sh, sw = strides
    dh, dw = dilations
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    ho = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    wo = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    if ho < 1 or wo < 1:
        raise ModelError(f"convolution output would be empty ({ho}x{wo})")
    win = _windows(np.ascontiguousarray(xp), kh, kw, sh, sw, dh, dw, ho, wo)  # n c kh kw ho wo
    g = group
    kg = k // g
    if cg == 1 and kg == 1 and g == c:  # depthwise: accumulate over the taps
        acc = np.zeros((n, c, ho, wo), np.float64)
        for i in range(kh):
            for j in range(kw):
                acc += win[:, :, i, j] * w[None, :, 0, i, j, None, None].astype(np.float64)
        y = acc
    else:
        cols = win.reshape(n, g, cg * kh * kw, ho * wo).astype(np.float64)
        wm = w.reshape(g, kg, cg * kh * kw).astype(np.float64)
        y = np.matmul(wm[None], cols).reshape(n, k, ho, wo)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def pool2d(x, kind, kernel, strides, pads, dilations=(1, 1), ceil_mode=False, count_include_pad=False):
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = strides
    dh, dw = dilations

    def out(size, k, s, d, p0, p1):
        eff = size + p0 + p1 - d * (k - 1) - 1
        o = (-(-eff // s) if ceil_mode else eff // s) + 1
        if ceil_mode and (o - 1) * s >= size + p0:  # last window must start inside input or left pad
            o -= 1
        return o

    ho = out(h, kh, sh, dh, pads[0], pads[2])
    wo = out(w, kw, sw, dw, pads[1], pads[3])
    need_h = (ho - 1) * sh + dh * (kh - 1) + 1
    need_w = (wo - 1) * sw + dw * (kw - 1) + 1
    eb, er = max(0, need_h - h - pads[0]), max(0, need_w - w - pads[1])
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pads[0], eb), (pads[1], er)), constant_values=fill)
    win = _windows(xp, kh, kw, sh, sw, dh, dw, ho, wo)
    if kind == "max":
        return win.max(axis=(2, 3)).astype(np.float32)
    s = win.sum(axis=(2, 3))
    if count_include_pad:  # padding counts, the extra ceil_mode cells do not (PyTorch / ONNX)
        m = np.pad(np.ones((1, 1, h + pads[0] + pads[2], w + pads[1] + pads[3])), ((0, 0), (0, 0), (0, eb - pads[2] if eb > pads[2] else 0), (0, er - pads[3] if er > pads[3] else 0)))
        m = m[:, :, : xp.shape[2], : xp.shape[3]]
    else:
        m = np.pad(np.ones((1, 1, h, w)), ((0, 0), (0, 0), (pads[0], eb), (pads[1], er)))
    cnt = _windows(np.ascontiguousarray(m), kh, kw, sh, sw, dh, dw, ho, wo).sum(axis=(2, 3))
    return (s / cnt).astype(np.float32)


def _conv_attrs(a, w_shape, x_shape=None):
    kh, kw = w_shape[2:]
    strides = _pair(a.get("strides"))
    dil = _pair(a.get("dilations"))
    pads = _pads(a, (kh, kw), strides, dil, x_shape)
    return strides, pads, dil, int(a.get("group", 1))


def _pads(a, kernel, strides, dil, x_shape):
    auto = a.get("auto_pad", "NOTSET")
    if isinstance(auto, bytes):
        auto = auto.decode()
    if auto in ("NOTSET", ""):
        p = a.get("pads")
        return tuple(int(v) for v in p) if p is not None else (0, 0, 0, 0)
    if auto == "VALID":
        return (0, 0, 0, 0)
    if x_shape is None:
        raise ModelError("auto_pad SAME needs the input shape")
    begin, end = [], []
    for size, k, s, d in zip(x_shape[2:], kernel, strides, dil):
        o = -(-size // s)
        total = max(0, (o - 1) * s + d * (k - 1) + 1 - size)
        lo = total // 2 if auto == "SAME_UPPER" else total - total // 2
        begin.append(lo)
        end.append(total - lo)
    return (begin[0], begin[1], end[0], end[1])


def op_conv(i, a, opset):
    x, w = i[0], i[1]
    s, p, d, g = _conv_attrs(a, w.shape, x.shape)
    return [conv2d(x, w, i[2] if len(i) > 2 else None, s, p, d, g)]


def op_batchnorm(i, a, opset):
    x, scale, bias, mean, var = i[:5]
    eps = a.get("epsilon", 1e-5)
    sh = (1, -1) + (1,) * (x.ndim - 2)
    inv = scale.astype(np.float64) / np.sqrt(var.astype(np.float64) + eps)
    return [((x - mean.reshape(sh)) * inv.reshape(sh) + bias.reshape(sh)).astype(np.float32)]


def op_maxpool(i, a, opset):
    x = i[0]
    k = _pair(a["kernel_shape"])
    s = _pair(a.get("strides"))
    d = _pair(a.get("dilations"))
    return [pool2d(x, "max", k, s, _pads(a, k, s, d, x.shape), d, bool(a.get("ceil_mode", 0)))]


def op_avgpool(i, a, opset):
    x = i[0]
    k = _pair(a["kernel_shape"])
    s = _pair(a.get("strides"))
    d = _pair(a.get("dilations"))
    return [pool2d(x, "avg", k, s, _pads(a, k, s, d, x.shape), d, bool(a.get("ceil_mode", 0)),
                   bool(a.get("count_include_pad", 0)))]


def op_gap(i, a, opset):
    x = i[0]
    return [x.astype(np.float64).mean(axis=tuple(range(2, x.ndim)), keepdims=True).astype(np.float32)]


def _f(fn):
    return lambda i, a, opset: [np.asarray(fn(i[0].astype(np.float64), a), dtype=np.float32)]


def _clip(i, a, opset):
    x = i[0]
    if opset < 11:
        lo, hi = a.get("min", -np.inf), a.get("max", np.inf)
    else:
        lo = i[1] if len(i) > 1 and i[1] is not None else -np.inf
        hi = i[2] if len(i) > 2 and i[2] is not None else np.inf
    return [np.clip(x, lo, hi).astype(x.dtype)]


def _flatten(i, a, opset):
    x = i[0]
    ax = int(a.get("axis", 1))
    ax = ax + x.ndim if ax < 0 else ax
    return [x.reshape(int(np.prod(x.shape[:ax], dtype=np.int64)), -1)]


def reshape_target(shape, target, allowzero=False):
    out = []
    for k, t in enumerate(int(v) for v in target):
        if t == 0 and not allowzero:
            if k >= len(shape):
                raise ModelError(f"Reshape: 0 at position {k} but the input has rank {len(shape)}")
            t = shape[k]
        out.append(t)
    size = int(np.prod(shape, dtype=np.int64))
    if out.count(-1) > 1:
        raise ModelError(f"Reshape: more than one -1 in {tuple(out)}")
    if -1 in out:
        known = int(np.prod([v for v in out if v != -1], dtype=np.int64))
        if known == 0 or size % known:
            raise ModelError(f"Reshape: cannot reshape {tuple(shape)} to {tuple(out)}")
        out[out.index(-1)] = size // known
    if int(np.prod(out, dtype=np.int64)) != size or any(v < 0 for v in out):
        raise ModelError(f"Reshape: cannot reshape {tuple(shape)} ({size} elements) to {tuple(out)}")
    return tuple(out)


def _reshape(i, a, opset):
    return [i[0].reshape(reshape_target(i[0].shape, i[1], bool(a.get("allowzero", 0))))]


def _axes(i, a, opset, since=13):
    if opset >= since:
        return None if len(i) < 2 or i[1] is None else [int(v) for v in np.asarray(i[1]).reshape(-1)]
    v = a.get("axes")
    return None if v is None else [int(t) for t in v]


def _unsqueeze(i, a, opset):
    x = i[0]
    axes = _axes(i, a, opset)
    r = x.ndim + len(axes)
    shape = list(x.shape)
    for ax in sorted(v + r if v < 0 else v for v in axes):
        shape.insert(ax, 1)
    return [x.reshape(shape)]


def _squeeze(i, a, opset):
    x = i[0]
    axes = _axes(i, a, opset)
    if axes is None:
        return [np.squeeze(x)]
    return [np.squeeze(x, axis=tuple(v + x.ndim if v < 0 else v for v in axes))]


def _gemm(i, a, opset):
    A, B = i[0].astype(np.float64), i[1].astype(np.float64)
    if a.get("transA", 0):
        A = A.T
    if a.get("transB", 0):
        B = B.T
    y = a.get("alpha", 1.0) * (A @ B)
    if len(i) > 2 and i[2] is not None:
        y = y + a.get("beta", 1.0) * i[2]
    return [y.astype(np.float32)]


def _softmax(i, a, opset):
    x = i[0].astype(np.float64)
    ax = int(a.get("axis", -1 if opset >= 13 else 1))
    ax = ax + x.ndim if ax < 0 else ax
    if opset < 13:
        shp = x.shape
        x = x.reshape(int(np.prod(shp[:ax], dtype=np.int64)), -1)
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return [(e / e.sum(axis=1, keepdims=True)).reshape(shp).astype(np.float32)]
    e = np.exp(x - x.max(axis=ax, keepdims=True))
    return [(e / e.sum(axis=ax, keepdims=True)).astype(np.float32)]


def _binary(fn):
    def run(i, a, opset):
        x, y = i[0], i[1]
        if x.dtype.kind == "f" or y.dtype.kind == "f":
            return [fn(x.astype(np.float64), y.astype(np.float64)).astype(np.result_type(x, y))]
        return [fn(x, y).astype(np.result_type(x, y))]
    return run


def _gather(i, a, opset):
    return [np.take(i[0], i[1].astype(np.int64), axis=int(a.get("axis", 0)))]


def _concat(i, a, opset):
    return [np.concatenate([v for v in i if v is not None], axis=int(a.get("axis", 0)))]


def _shape(i, a, opset):
    s = np.array(i[0].shape, np.int64)
    start, end = a.get("start", 0), a.get("end")
    return [s[start:end]]


def _constant(i, a, opset):
    for k in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if k in a:
            v = a[k]
            if k.endswith("float") or k.endswith("floats"):
                return [np.asarray(v, np.float32)]
            if k.startswith("value_int"):
                return [np.asarray(v, np.int64)]
            return [np.asarray(v)]
    raise ModelError("Constant without a supported value attribute")


ONNX_DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 5: np.int16, 6: np.int32, 7: np.int64, 9: np.bool_,
               10: np.float16, 11: np.float64, 12: np.uint32, 13: np.uint64}


def _cast(i, a, opset):
    to = int(a["to"])
    if to not in ONNX_DTYPES:
        raise ModelError(f"Cast to unsupported ONNX dtype {to}")
    return [i[0].astype(ONNX_DTYPES[to])]


def _slice(i, a, opset):
    x = i[0]
    if opset < 10:
        starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
    else:
        starts, ends = i[1], i[2]
        axes = i[3] if len(i) > 3 and i[3] is not None else None
        steps = i[4] if len(i) > 4 and i[4] is not None else None
    axes = list(range(len(starts))) if axes is None else [int(v) for v in axes]
    steps = [1] * len(starts) if steps is None else [int(v) for v in steps]
    sl = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        sl[ax] = slice(int(max(min(s, 2**62), -2**62)), int(max(min(e, 2**62), -2**62)), st)
    return [x[tuple(sl)]]


def _hardsigmoid(x, a):
    return np.clip(a.get("alpha", 0.2) * x + a.get("beta", 0.5), 0, 1)


from .resize import op_resize as _resize  # noqa: E402  (Resize has its own module: it is long)


def _transpose(i, a, opset):
    perm = a.get("perm")
    return [np.transpose(i[0], None if perm is None else [int(p) for p in perm])]


def _reduce_mean(i, a, opset):
    x = i[0]
    axes = _axes(i, a, opset, since=18)
    if not axes:  # omitted or empty: every axis, or none with noop_with_empty_axes=1 (opset 18)
        if int(a.get("noop_with_empty_axes", 0)):
            return [x]
        axes = None
    keep = bool(a.get("keepdims", 1))
    return [x.astype(np.float64).mean(axis=None if axes is None else tuple(axes), keepdims=keep).astype(x.dtype)]


def _layer_norm(i, a, opset):
    """LayerNormalization-17: normalize over the axes [axis, rank), then scale (and bias). Computed
    in float64 whatever stash_type says (float32 stash is the only other legal one: more exact is
    within its rounding)."""
    x = i[0].astype(np.float64)
    ax = int(a.get("axis", -1))
    if not -x.ndim <= ax < x.ndim:
        raise ModelError(f"LayerNormalization axis {ax} is out of range for rank {x.ndim}")
    axes = tuple(range(ax % x.ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + float(a.get("epsilon", 1e-5))) * i[1].astype(np.float64)
    if len(i) > 2 and i[2] is not None:
        y = y + i[2].astype(np.float64)
    return [y.astype(np.float32)]


def _erf(x, a):
    from math import erf
    return np.vectorize(erf, otypes=[np.float64])(x)


def _gelu(x, a):
    from math import erf, pi, sqrt
    if a.get("approximate", "none") == "tanh":
        return 0.5 * x * (1 + np.tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + np.vectorize(erf, otypes=[np.float64])(x / sqrt(2)))


def _log_softmax(i, a, opset):
    x = i[0].astype(np.float64)
    ax = int(a.get("axis", -1 if opset >= 13 else 1))
    ax = ax + x.ndim if ax < 0 else ax
    shp = x.shape
    if opset < 13:  # the input is coerced to 2-D at the axis (opset 1-12 semantics)
        x, ax = x.reshape(int(np.prod(shp[:ax], dtype=np.int64)), -1), 1
    m = x.max(axis=ax, keepdims=True)
    y = x - m - np.log(np.exp(x - m).sum(axis=ax, keepdims=True))
    return [y.reshape(shp).astype(np.float32)]


def _sum(i, a, opset):
    y = i[0].astype(np.float64)
    for v in i[1:]:
        y = y + v
    return [y.astype(i[0].dtype)]


def _constant_of_shape(i, a, opset):
    v = a.get("value")
    v = np.zeros(1, np.float32) if v is None else np.asarray(v).reshape(-1)
    if v.size != 1:
        raise ModelError(f"ConstantOfShape value must hold one element, got {v.size}")
    shape = [int(d) for d in np.asarray(i[0]).reshape(-1)]
    if any(d < 0 for d in shape):
        raise ModelError(f"ConstantOfShape: negative dimension in {shape}")
    return [np.full(shape, v[0], dtype=v.dtype)]


def _lrn(i, a, opset):
    """Local response normalization across channels (ONNX LRN: the window is
    [c - floor((size-1)/2), c + ceil((size-1)/2)])."""
    x = i[0].astype(np.float64)
    size = int(a["size"])
    alpha, beta, bias = float(a.get("alpha", 1e-4)), float(a.get("beta", 0.75)), float(a.get("bias", 1.0))
    lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
    sq = np.pad(x * x, [(0, 0), (lo, hi)] + [(0, 0)] * (x.ndim - 2))
    csum = np.concatenate([np.zeros_like(sq[:, :1]), np.cumsum(sq, axis=1)], axis=1)
    c = x.shape[1]
    win = csum[:, size:size + c] - csum[:, :c]
    return [(x / (bias + alpha / size * win) ** beta).astype(np.float32)]


def split_sizes(dim, n_out, split=None, num_outputs=None):
    """Sizes of the Split outputs along the axis (equal parts, or ceil-sized parts with a smaller
    last one when num_outputs is given, as ONNX Split-18)."""
    if split is not None:
        sizes = [int(v) for v in split]
        if len(sizes) != n_out or any(v < 0 for v in sizes) or sum(sizes) != dim:
            raise ModelError(f"Split sizes {sizes} do not cut a dimension of {dim} into {n_out} outputs")
        return sizes
    if num_outputs is not None:
        if int(num_outputs) != n_out or n_out < 1:
            raise ModelError(f"Split num_outputs={num_outputs} but the node has {n_out} outputs")
        chunk = -(-dim // n_out)
        sizes = [min(chunk, max(0, dim - k * chunk)) for k in range(n_out)]
        return sizes
    if n_out < 1 or dim % n_out:
        raise ModelError(f"Split of a dimension of {dim} into {n_out} equal parts")
    return [dim // n_out] * n_out


def split(x, axis, sizes):
    edges = np.cumsum([0] + list(sizes))
    sl = [slice(None)] * x.ndim
    out = []
    for b, e in zip(edges[:-1], edges[1:]):
        sl[axis] = slice(int(b), int(e))
        out.append(x[tuple(sl)])
    return out


def _split(i, a, opset, n_out=None):
    x = i[0]
    ax = int(a.get("axis", 0))
    if not -x.ndim <= ax < x.ndim:
        raise ModelError(f"Split axis {ax} is out of range for rank {x.ndim}")
    ax = ax % x.ndim
    sp = a.get("split") if opset < 13 else (i[1] if len(i) > 1 and i[1] is not None else None)
    n_out = n_out if n_out is not None else a.get("_n_outputs", len(sp) if sp is not None else a.get("num_outputs"))
    if n_out is None:
        raise ModelError("Split: the number of outputs is unknown")
    return split(x, ax, split_sizes(x.shape[ax], int(n_out), sp, a.get("num_outputs")))


# Ops the runner maps onto fpgaops kernels or host ops (SUPPORTED) and the NumPy-only extras that run only
# with allow_fallback=True (EXTRA).
SUPPORTED = {
    "Conv": op_conv,
    "BatchNormalization": lambda i, a, o: op_batchnorm(i, a, o),
    "Relu": _f(lambda x, a: np.maximum(x, 0)),
    "Clip": _clip,
    "LeakyRelu": _f(lambda x, a: np.where(x >= 0, x, a.get("alpha", 0.01) * x)),
    "Sigmoid": _f(lambda x, a: 1 / (1 + np.exp(-x))),
    "Tanh": _f(lambda x, a: np.tanh(x)),
    "HardSigmoid": _f(_hardsigmoid),
    "HardSwish": _f(lambda x, a: x * np.clip(x / 6 + 0.5, 0, 1)),
    "Mul": _binary(np.multiply),
    "Add": _binary(np.add),
    "MaxPool": op_maxpool,
    "AveragePool": op_avgpool,
    "GlobalAveragePool": op_gap,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Gemm": _gemm,
    "MatMul": lambda i, a, o: [np.matmul(i[0].astype(np.float64), i[1].astype(np.float64)).astype(np.float32)],
    "Softmax": _softmax,
    "Identity": lambda i, a, o: [i[0]],
    "Constant": _constant,
    # shape chains (constant-folded; never reach a kernel)
    "Shape": _shape,
    "Gather": _gather,
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Concat": _concat,
    "Split": _split,
    "Transpose": _transpose,
    "Resize": _resize,
    "Gelu": _f(_gelu),
    "LogSoftmax": _log_softmax,
    "Sum": _sum,
    "LRN": _lrn,
    "ConstantOfShape": _constant_of_shape,
    "Cast": _cast,
    "Slice": _slice,
    "Dropout": lambda i, a, o: [i[0]],
    # host ops on activations (always on): elementwise in float64, rounded to float32
    "Sub": _binary(np.subtract),
    "Div": _binary(np.divide),
    "Pow": _binary(np.power),
    "Sqrt": _f(lambda x, a: np.sqrt(x)),
    "Erf": _f(_erf),
    "ReduceMean": _reduce_mean,
    "LayerNormalization": _layer_norm,
}

EXTRA = {
    "Neg": lambda i, a, o: [-i[0]],
    "Exp": _f(lambda x, a: np.exp(x)),
    "Elu": _f(lambda x, a: np.where(x > 0, x, a.get("alpha", 1.0) * np.expm1(x))),
    "Softplus": _f(lambda x, a: np.log1p(np.exp(x))),
}

ALL = {**SUPPORTED, **EXTRA}


def run(op, inputs, attrs, opset):
    if op not in ALL:
        raise ModelError(f"no NumPy implementation of ONNX op '{op}'")
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        return ALL[op](inputs, attrs, opset)


def np_act(kind, x, params=None):
    """A fused activation of the lowered graph (Conv / Act / Add / Mul ``activation``) in float64,
    rounded to float32: the NumPy oracle's (execute.np_node, pwdw.run_numpy)."""
    p = params or {}
    x64 = x.astype(np.float64)
    f = {"relu": lambda v: np.maximum(v, 0), "relu6": lambda v: np.clip(v, 0, 6),
         "leaky_relu": lambda v: np.where(v >= 0, v, p.get("negative_slope", 0.01) * v),
         "hardtanh": lambda v: np.clip(v, p.get("min_val", -1.0), p.get("max_val", 1.0)),
         "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "silu": lambda v: v / (1 + np.exp(-v)), "tanh": np.tanh,
         "hardsigmoid": lambda v: np.clip(v / 6 + 0.5, 0, 1), "hardswish": lambda v: np.where(v <= -3, 0.0, v * np.clip(v / 6 + 0.5, 0, 1)),  # 0 at -inf (docs/act_lut.md)
         "gelu": lambda v: _gelu(v, p)}[kind]
    with np.errstate(over="ignore"):
        return f(x64).astype(np.float32)
