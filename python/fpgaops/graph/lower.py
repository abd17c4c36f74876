"""Lowering: ONNX nodes (shapes known) -> the runner's ops.

Device ops (fpgaops kernels): ``Conv`` (bias, activation, residual fused later), ``Act``,
``Add``/``Mul``, ``MaxPool``/``AvgPool``/``GlobalAvgPool``, ``Gemm``/``MatMul``, ``Softmax``,
``View`` (a reshape, no copy), ``BatchNorm`` (folded into a conv or turned into Mul + Add).

Ops with clean, normalized attributes that run on the device where the backend has their op
family (``devops.on_device``; on the host through ``HOST_OPS`` elsewhere): ``Concat {axis}``,
``Split {axis, sizes}``, ``Slice {dims, starts, ends, steps}`` (Python slicing of each dim),
``Transpose {perm}``, ``LayerNorm {axis, n, epsilon}`` (over the n elements of dims axis..; weight and bias
constants of n elements), ``Gelu`` (exact, erf-based: ONNX Gelu and the Div/Erf/Add/Mul/Mul
pattern torch exports for nn.GELU, fused by ``fuse_gelu`` before lowering), ``Erf``. ``Resize
{mode, coordinate_transformation_mode, nearest_mode, out_shape, scales}`` always runs on the host.

``Host``: a claimed ONNX node that no kernel handles in this form (Clip with run-time or
one-sided bounds, BatchNormalization with run-time statistics, LRN, LogSoftmax, a broadcast the
eltwise kernel cannot stride, a conv with asymmetric padding, ...): it runs the NumPy reference
op of fpgaops.graph.refops and the profile says ``host:<op>`` with the reason. ``Fallback``: the
same for unclaimed ops, only with ``allow_fallback=True``. Anything else is listed in one
UnsupportedOpsError.
"""
import numpy as np

from ..errors import FpgaopsError, UnsupportedError
from ..ops.eltwise import MAX_LEVELS, broadcast_levels
from ..reference import norm as norm_ref
from . import pwdw, refops, resize, shuffle
from .ir import ModelError, Node, UnsupportedOpsError

ACTS = ("Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Gelu")
VIEWS = ("Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Dropout")


def _act_of(n, g):
    """(kind, params) for an activation node, or None if no fpgaops activation matches."""
    a = n.attrs
    simple = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "HardSwish": "hardswish"}
    if n.op in simple:
        return simple[n.op], {}
    if n.op == "Gelu":
        approx = a.get("approximate", "none")
        if approx not in ("none", "tanh"):  # the two forms ONNX defines and the LUT tabulates
            raise UnsupportedError(f"Gelu approximate={approx!r} (expected 'none' or 'tanh')")
        return "gelu", {"approximate": approx}
    if n.op == "LeakyRelu":
        return "leaky_relu", {"negative_slope": float(a.get("alpha", 0.01))}
    if n.op == "HardSigmoid":
        al, be = float(a.get("alpha", 0.2)), float(a.get("beta", 0.5))
        if abs(al - 1 / 6) < 1e-6 and abs(be - 0.5) < 1e-6:
            return "hardsigmoid", {}
        return None
    if n.op == "Clip":
        if g.opset >= 11:
            lo = n.inputs[1] if len(n.inputs) > 1 else ""
            hi = n.inputs[2] if len(n.inputs) > 2 else ""
            if (lo and lo not in g.consts) or (hi and hi not in g.consts):
                return None
            if any(v and g.consts[v].size != 1 for v in (lo, hi)):
                raise ModelError("Clip min/max must be scalars", n.name)
            lo = float(g.consts[lo].reshape(-1)[0]) if lo else -np.inf
            hi = float(g.consts[hi].reshape(-1)[0]) if hi else np.inf
        else:
            lo, hi = float(a.get("min", -np.inf)), float(a.get("max", np.inf))
        if lo > hi:
            return None  # ONNX: every value becomes max; no activation has that meaning
        if lo == 0 and hi == 6:
            return "relu6", {}
        if lo == 0 and hi == np.inf:
            return "relu", {}
        if np.isfinite(lo) and np.isfinite(hi):
            return "hardtanh", {"min_val": lo, "max_val": hi}
        return None
    return None


def _sym(p):
    return p[0] == p[2] and p[1] == p[3]


def _host(n, g, why):
    return Node(n.name, "Host", list(n.inputs), list(n.outputs),
                {"onnx_op": n.op, "onnx_attrs": n.attrs, "opset": g.opset, "reason": why}, n.origin)


def _const(g, name, value):
    g.consts[name] = np.ascontiguousarray(value, dtype=np.float32)
    g.shapes[name] = g.consts[name].shape
    return name


def _scalar(g, v):
    """The value of a one-element float constant, else None."""
    c = g.consts.get(v)
    return float(c.reshape(-1)[0]) if c is not None and c.size == 1 and c.dtype.kind == "f" else None


def fuse_gelu(g):
    """GELU as torch exports nn.GELU at opsets 17/18 (x / sqrt2 -> Erf -> + 1 -> * x -> * 0.5, either
    operand order, the halving first or last, x * (1/sqrt2) for the division) -> one ONNX-level
    ``Gelu`` node (approximate="none"), lowered to the exact device GELU. Every intermediate value
    must have that single use."""
    prod = g.producers()
    uses = {}
    for n in g.nodes:
        for i in n.inputs:
            if i:
                uses.setdefault(i, []).append(n)
    outs = set(g.outputs)

    def only_user(v, op):
        u = uses.get(v, [])
        return u[0] if len(u) == 1 and u[0].op == op and v not in outs else None

    def other(n, v):
        return n.inputs[1] if n.inputs[0] == v else n.inputs[0]

    def near(v, want):
        return v is not None and abs(v - want) <= 1e-6 * abs(want)

    drop, replace = set(), {}
    for e in [n for n in g.nodes if n.op == "Erf"]:
        d = prod.get(e.inputs[0])
        if d is None or d.op not in ("Div", "Mul") or only_user(d.outputs[0], "Erf") is not e:
            continue
        x = d.inputs[0]
        c = _scalar(g, d.inputs[1])
        if not (near(c, 2 ** 0.5) if d.op == "Div" else near(c, 2 ** -0.5)) or x in g.consts:
            continue
        add = only_user(e.outputs[0], "Add")
        if add is None or not near(_scalar(g, other(add, e.outputs[0])), 1.0):
            continue
        m1 = only_user(add.outputs[0], "Mul")
        if m1 is None:
            continue
        y = other(m1, add.outputs[0])
        chain = [d, e, add, m1]
        if y == x:  # (x * (1 + erf)) * 0.5
            m2 = only_user(m1.outputs[0], "Mul")
            if m2 is None or not near(_scalar(g, other(m2, m1.outputs[0])), 0.5):
                continue
            chain.append(m2)
        else:  # (x * 0.5) * (1 + erf)
            h = prod.get(y)
            if h is None or h.op != "Mul" or only_user(y, "Mul") is not m1 or x not in h.inputs or \
                    not near(_scalar(g, other(h, x)), 0.5):
                continue
            chain.insert(0, h)
        last = chain[-1]
        if g.shapes.get(last.outputs[0]) != g.shapes.get(x) or any(id(n) in drop for n in chain):
            continue
        drop.update(id(n) for n in chain)
        replace[id(last)] = Node(last.name, "Gelu", [x], [last.outputs[0]], {"approximate": "none"},
                                 [o for n in chain for o in n.origin] or [n.name for n in chain])
    g.nodes = [replace.get(id(n), n) for n in g.nodes if id(n) not in drop or id(n) in replace]
    return g


def lower(g, allow_fallback=False):
    fuse_gelu(g)
    bad, out = [], []
    used = {i for n in g.nodes for i in n.inputs if i} | set(g.outputs)
    for n in g.nodes:
        try:
            new, why = _lower_one(g, n, used)
        except UnsupportedOpsError:
            raise
        except UnsupportedError as e:
            new, why = None, str(e)
        except FpgaopsError:
            raise
        except Exception as e:
            raise ModelError(f"malformed {n.op} node: {type(e).__name__}: {e}", n.name) from None
        if new is None:
            if allow_fallback and n.op in refops.ALL:
                new = Node(n.name, "Fallback", list(n.inputs), list(n.outputs), {"onnx_op": n.op, "onnx_attrs": n.attrs,
                                                                                 "reason": why}, n.origin)
            else:
                bad.append((n.name, n.op, why))
                continue
        out.extend(new if isinstance(new, list) else [new])
    if bad:
        raise UnsupportedOpsError(bad)
    g.nodes = out
    return g


def _lower_one(g, n, used):
    """(new node or list of nodes, None) or (None, the reason it cannot run). ``used``: the values
    some node or the graph output reads (optional outputs nobody reads are not computed)."""
    a, shp = n.attrs, g.shapes
    extra = any(o in used for o in n.outputs[1:])
    x = shp.get(n.inputs[0]) if n.inputs and n.inputs[0] else None
    if n.op == "Conv":
        return _conv(g, n, x)
    if n.op == "BatchNormalization":
        if extra:
            return None, "training-mode outputs (running mean/var) are requested"
        if int(a.get("training_mode", 0)):
            return None, "training_mode=1 (batch statistics)"
        if not all(i in g.consts for i in n.inputs[1:5]):
            return _host(n, g, "scale/bias/mean/var given at run time"), None
        return Node(n.name, "BatchNorm", list(n.inputs[:5]), n.outputs[:1],
                    {"epsilon": float(a.get("epsilon", 1e-5))}, n.origin), None
    if n.op == "Gelu" and n.attrs.get("approximate", "none") == "none":
        return Node(n.name, "Gelu", [n.inputs[0]], n.outputs[:1], {}, n.origin), None
    if n.op == "Erf":
        return Node(n.name, "Erf", [n.inputs[0]], n.outputs[:1], {}, n.origin), None
    if n.op in ACTS:
        act = _act_of(n, g)
        if act is None:
            return _host(n, g, f"no fpgaops activation for these parameters {a or ''}".rstrip()), None
        return Node(n.name, "Act", [n.inputs[0]], n.outputs[:1], {"kind": act[0], "params": act[1]}, n.origin), None
    if n.op in ("Add", "Mul"):
        _, levels = broadcast_levels(x, shp[n.inputs[1]])
        if len(levels) > MAX_LEVELS:
            return _host(n, g, f"broadcasting {x} with {shp[n.inputs[1]]} needs {len(levels)} stride levels "
                               f"(the eltwise kernel has {MAX_LEVELS})"), None
        return Node(n.name, n.op, list(n.inputs[:2]), n.outputs[:1], {"activation": None}, n.origin), None
    if n.op == "Sum":
        return _sum(g, n)
    if n.op in ("MaxPool", "AveragePool"):
        if extra:
            return None, "the Indices output is requested"
        return _pool(g, n, x)
    if n.op == "GlobalAveragePool":
        if len(x) != 4:
            return _host(n, g, f"input rank {len(x)} (the kernel pools 4-D NCHW)"), None
        return Node(n.name, "GlobalAvgPool", [n.inputs[0]], n.outputs, {}, n.origin), None
    if n.op == "Gemm":
        return _gemm(g, n)
    if n.op == "MatMul":
        return _matmul(g, n)
    if n.op == "Softmax":
        return _softmax(g, n, x)
    if n.op in ("Sub", "Div", "Pow"):
        for i in n.inputs[:1 if n.op == "Pow" else 2]:  # an integer exponent is fine
            if i in g.consts and g.consts[i].dtype.kind != "f":
                return None, f"operand '{i}' is {g.consts[i].dtype} (the ONNX path is float32)"
    if n.op == "LayerNormalization" and not extra:
        return _layer_norm(g, n, x)
    if n.op == "Slice":
        return _slice(g, n, x)
    if n.op in ("LogSoftmax", "LRN", "LayerNormalization", "Sub", "Div", "Pow", "Sqrt"):
        if extra:  # LayerNormalization's Mean/InvStdDev (the importer refuses them already)
            return None, "the Mean/InvStdDev outputs are requested"
        return _host(n, g, f"no {n.op} kernel"), None
    if n.op == "ReduceMean":
        return _reduce_mean(g, n, x)
    if n.op in VIEWS:
        if n.op == "Dropout":
            if extra:
                return None, "the mask output is requested"
            tm = n.inputs[2] if len(n.inputs) > 2 else ""
            ratio = n.inputs[1] if len(n.inputs) > 1 else ""
            if tm and (tm not in g.consts or bool(g.consts[tm].reshape(-1)[0])) and \
                    not (ratio in g.consts and float(g.consts[ratio].reshape(-1)[0]) == 0):
                return None, "training mode (random dropout)"
        return Node(n.name, "View", [n.inputs[0]], n.outputs[:1], {"shape": shp[n.outputs[0]]}, n.origin), None
    if n.op == "Concat":
        live = [i for i in n.inputs if i]
        ax = int(a.get("axis", 0))
        return Node(n.name, "Concat", live, n.outputs[:1], {"axis": ax + len(x) if ax < 0 else ax}, n.origin), None
    if n.op == "Split":
        return _split(g, n, x)
    if n.op == "Transpose":
        perm = [int(p) for p in a.get("perm", range(len(x) - 1, -1, -1))]
        perm = [p + len(x) if p < 0 else p for p in perm]
        if perm == sorted(perm):
            return Node(n.name, "View", [n.inputs[0]], n.outputs[:1], {"shape": shp[n.outputs[0]]}, n.origin), None
        return Node(n.name, "Transpose", [n.inputs[0]], n.outputs[:1], {"perm": perm}, n.origin), None
    if n.op == "Resize":
        return _resize(g, n, x)
    if n.op in refops.ALL:
        return None, "no kernel for this op"
    return None, "unknown op"


def _conv(g, n, x):
    a, w = n.attrs, n.inputs[1]
    s, p, d, grp = refops._conv_attrs(a, g.shapes[w], x)
    if not _sym(p):
        return _host(n, g, f"asymmetric padding {p}"), None
    b = n.inputs[2] if len(n.inputs) > 2 else ""
    return Node(n.name, "Conv", [n.inputs[0], w, b, ""], n.outputs[:1],
                {"stride": s, "padding": (p[0], p[1]), "dilation": d, "groups": grp, "activation": None},
                n.origin), None


def _pool(g, n, x):
    a = n.attrs
    if int(a.get("storage_order", 0)):
        return None, "storage_order=1"
    k = refops._pair(a["kernel_shape"])
    s = refops._pair(a.get("strides"))
    d = refops._pair(a.get("dilations"))
    p = refops._pads(a, k, s, d, x)
    if n.op == "AveragePool" and d != (1, 1):
        return _host(n, g, "dilated average pooling (AveragePool-19)"), None
    if not _sym(p):
        return _host(n, g, f"asymmetric padding {p}"), None
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        return _host(n, g, f"padding {p} above half the kernel {k}"), None
    attrs = {"kernel_size": k, "stride": s, "padding": (p[0], p[1]), "ceil_mode": bool(a.get("ceil_mode", 0))}
    if n.op == "MaxPool":
        attrs["dilation"] = d
    else:
        attrs["count_include_pad"] = bool(a.get("count_include_pad", 0))
    return Node(n.name, "MaxPool" if n.op == "MaxPool" else "AvgPool", [n.inputs[0]], n.outputs[:1], attrs,
                n.origin), None


def _sum(g, n):
    live = [i for i in n.inputs if i]
    out = n.outputs[0]
    if len(live) == 1:
        return Node(n.name, "View", live, [out], {"shape": g.shapes[out]}, n.origin), None
    nodes, acc = [], live[0]
    for k, v in enumerate(live[1:], 1):
        _, levels = broadcast_levels(g.shapes[acc], g.shapes[v])
        if len(levels) > MAX_LEVELS:
            return _host(n, g, f"a broadcast that needs {len(levels)} stride levels"), None
        dst = out if k == len(live) - 1 else f"{n.name}::sum{k}"
        g.shapes[dst] = tuple(np.broadcast_shapes(g.shapes[acc], g.shapes[v]))
        nodes.append(Node(f"{n.name}/add{k}" if len(live) > 2 else n.name, "Add", [acc, v], [dst], {"activation": None},
                          [n.name]))
        acc = dst
    return nodes, None


def _gemm(g, n):
    a = n.attrs
    m, nn = g.shapes[n.outputs[0]]
    ins = list(n.inputs[:3]) + [""] * (3 - len(n.inputs[:3]))
    c = ins[2]
    if c and tuple(g.shapes[c]) not in ((m, nn), (nn,), (1, nn)):
        if c not in g.consts:
            return _host(n, g, f"bias C of shape {g.shapes[c]} given at run time (the kernel broadcasts one row)"), None
        ins[2] = _const(g, f"{n.name}::C(broadcast)", np.broadcast_to(g.consts[c], (m, nn)))
    return Node(n.name, "Gemm", ins if c else ins[:2], n.outputs,
                {"alpha": float(a.get("alpha", 1.0)), "beta": float(a.get("beta", 1.0)),
                 "trans_a": bool(a.get("transA", 0)), "trans_b": bool(a.get("transB", 0))}, n.origin), None


def _matmul(g, n):
    ins = list(n.inputs[:2])
    sa, sb = g.shapes[ins[0]], g.shapes[ins[1]]
    ba = sa[:-2] if len(sa) > 2 else ()
    bb = sb[:-2] if len(sb) > 2 else ()
    full = tuple(np.broadcast_shapes(ba, bb))
    for k, (v, vb, s) in enumerate(((ins[0], ba, sa), (ins[1], bb, sb))):
        if vb == full or int(np.prod(vb, dtype=np.int64)) == 1 or len(s) < 2:
            continue
        if v not in g.consts:  # the kernel strides a batch fully or not at all
            return _host(n, g, f"batch dims {vb} broadcast partially against {full} at run time"), None
        ins[k] = _const(g, f"{n.name}::{'AB'[k]}(broadcast)", np.broadcast_to(g.consts[v], full + tuple(s[-2:])))
    return Node(n.name, "MatMul", ins, n.outputs, {}, n.origin), None


def _softmax(g, n, x):
    ax = int(n.attrs.get("axis", -1 if g.opset >= 13 else 1))
    if not -len(x) <= ax < len(x):
        raise ModelError(f"Softmax axis {ax} is out of range for rank {len(x)}", n.name)
    ax = ax + len(x) if ax < 0 else ax
    if g.opset >= 13 or ax == len(x) - 1:
        return Node(n.name, "Softmax", [n.inputs[0]], n.outputs, {"dim": ax}, n.origin), None
    # opset < 13: softmax over the input coerced to 2-D at ``axis`` -> View, Softmax(dim=1), View
    two = (int(np.prod(x[:ax], dtype=np.int64)), int(np.prod(x[ax:], dtype=np.int64)))
    v2, s2 = f"{n.name}::2d", f"{n.name}::softmax2d"
    g.shapes[v2] = g.shapes[s2] = two
    return [Node(f"{n.name}/to2d", "View", [n.inputs[0]], [v2], {"shape": two}, [n.name]),
            Node(n.name, "Softmax", [v2], [s2], {"dim": 1}, n.origin),
            Node(f"{n.name}/back", "View", [s2], n.outputs[:1], {"shape": x}, [n.name])], None


def _split(g, n, x):
    a = n.attrs
    ax = int(a.get("axis", 0))
    if not -len(x) <= ax < len(x):
        raise ModelError(f"Split axis {ax} is out of range for rank {len(x)}", n.name)
    ax = ax % len(x)
    sp = a.get("split") if g.opset < 13 else (n.inputs[1] if len(n.inputs) > 1 and n.inputs[1] else None)
    if g.opset >= 13 and sp is not None:
        if sp not in g.consts:
            return None, "the split sizes are given at run time (shapes must be known when planning)"
        sp = g.consts[sp].reshape(-1)
    sizes = refops.split_sizes(x[ax], len(n.outputs), sp, a.get("num_outputs"))
    if 0 in sizes:
        return _host(n, g, f"an empty output (sizes {sizes})"), None
    return Node(n.name, "Split", [n.inputs[0]], list(n.outputs), {"axis": ax, "sizes": sizes}, n.origin), None


def _resize(g, n, x):
    a = n.attrs
    resize.check_attrs(a)  # UnsupportedError -> the node is listed with the reason
    params = [n.inputs[k] if len(n.inputs) > k else "" for k in (2, 3)]
    if any(p and p not in g.consts for p in params):
        return None, "scales/sizes are given at run time (shapes must be known when planning)"
    scales, sizes = (g.consts[p].reshape(-1) if p else None for p in params)
    out, sc = resize.plan(x, a, scales, sizes)
    if tuple(out) != tuple(g.shapes[n.outputs[0]]):
        raise ModelError(f"Resize output shape {out} differs from the inferred {g.shapes[n.outputs[0]]}", n.name)
    if len(x) != 4 or tuple(out[:2]) != tuple(x[:2]) or tuple(sc[:2]) != (1.0, 1.0):
        return _host(n, g, "a Resize of other axes than H and W of an (N, C, H, W) tensor"), None
    attrs = {k: a.get(k, v) for k, v in (("mode", "nearest"), ("coordinate_transformation_mode", "half_pixel"),
                                          ("nearest_mode", "round_prefer_floor"))}
    attrs.update(out_shape=tuple(out), scales=tuple(sc))
    return Node(n.name, "Resize", [n.inputs[0]], n.outputs[:1], attrs, n.origin), None


def _slice(g, n, x):
    """Slice with constant starts/ends/axes/steps -> ``Slice`` in Python's slicing terms (what
    refops._slice computes): per sliced dim the first index, a stop (None: through the start of
    a dim walked backwards) and the step. An empty result runs on the host."""
    a = n.attrs
    if g.opset < 10:
        starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
    else:
        ins = [n.inputs[k] if len(n.inputs) > k and n.inputs[k] else None for k in range(1, 5)]
        if any(v is not None and v not in g.consts for v in ins):
            return _host(n, g, "starts/ends/axes/steps given at run time"), None
        starts, ends, axes, steps = (None if v is None else [int(e) for e in g.consts[v].reshape(-1)] for v in ins)
    axes = list(range(len(starts))) if axes is None else [int(v) % len(x) for v in axes]
    steps = [1] * len(starts) if steps is None else steps
    dims, lo, hi, st = [], [], [], []
    for s, e, ax, step in zip(starts, ends, axes, steps):
        b, stop, step = slice(int(max(min(s, 2**62), -2**62)), int(max(min(e, 2**62), -2**62)), step).indices(x[ax])
        count = len(range(b, stop, step))
        if count == 0:
            return _host(n, g, "an empty slice"), None
        if count == x[ax] and step == 1:
            continue  # the whole dim
        end = b + count * step
        dims.append(ax), lo.append(b), hi.append(end if end >= 0 else None), st.append(step)
    if not dims:
        return Node(n.name, "View", [n.inputs[0]], n.outputs[:1], {"shape": g.shapes[n.outputs[0]]}, n.origin), None
    return Node(n.name, "Slice", [n.inputs[0]], n.outputs[:1], {"dims": dims, "starts": lo, "ends": hi, "steps": st},
                n.origin), None


def _layer_norm(g, n, x):
    """LayerNormalization with constant scale (and bias) -> ``LayerNorm`` over the trailing
    dims from ``axis``; scale and bias broadcast to those n elements (constants)."""
    a = n.attrs
    ax = int(a.get("axis", -1))
    if not -len(x) <= ax < len(x):
        raise ModelError(f"LayerNormalization axis {ax} is out of range for rank {len(x)}", n.name)
    norm = tuple(x[ax % len(x):])
    params = [n.inputs[k] if len(n.inputs) > k and n.inputs[k] else "" for k in (1, 2)]
    if any(p and p not in g.consts for p in params):
        return _host(n, g, "scale/bias given at run time"), None
    ins = [n.inputs[0]]
    for k, p in enumerate(params):
        if p:
            try:
                v = np.broadcast_to(g.consts[p].astype(np.float32), norm).reshape(-1)
            except ValueError:
                raise ModelError(f"LayerNormalization {'scale' if k == 0 else 'bias'} of shape "
                                 f"{g.consts[p].shape} does not broadcast to {norm}", n.name) from None
            ins.append(_const(g, f"{n.name}::{'scale' if k == 0 else 'bias'}", v))
        elif k == 0:
            ins.append(_const(g, f"{n.name}::scale", np.ones(int(np.prod(norm)), np.float32)))
    return Node(n.name, "LayerNorm", ins, n.outputs[:1], {"axis": ax % len(x), "n": int(np.prod(norm, dtype=np.int64)),
                                                           "epsilon": float(a.get("epsilon", 1e-5))}, n.origin), None


def _reduce_mean(g, n, x):
    """Over exactly H, W of NCHW: the GlobalAvgPool kernel (+ a View dropping them when
    keepdims=0); any other reduction runs on the host."""
    a = n.attrs
    if g.opset >= 18:
        src = n.inputs[1] if len(n.inputs) > 1 and n.inputs[1] else None
        if src is not None and src not in g.consts:
            return None, "the axes are given at run time (shapes must be known when planning)"
        axes = None if src is None else [int(v) for v in g.consts[src].reshape(-1)]
    else:
        axes = a.get("axes")
    axes = sorted(int(v) % len(x) for v in axes) if axes else None
    if axes == [2, 3] and len(x) == 4:
        if int(a.get("keepdims", 1)):
            return Node(n.name, "GlobalAvgPool", [n.inputs[0]], n.outputs[:1], {}, n.origin), None
        tmp = f"{n.outputs[0]}:pooled"
        g.shapes[tmp] = tuple(x[:2]) + (1, 1)
        return [Node(n.name, "GlobalAvgPool", [n.inputs[0]], [tmp], {}, n.origin),
                Node(f"{n.name}:view", "View", [tmp], n.outputs[:1], {"shape": g.shapes[n.outputs[0]]}, n.origin)], None
    return _host(n, g, f"axes {axes if axes is not None else 'all'} (the kernel pools H, W of 4-D NCHW)"), None


def _index(rank, a):
    idx = [slice(None)] * rank
    for d, b, e, st in zip(a["dims"], a["starts"], a["ends"], a["steps"]):
        idx[d] = slice(b, e, st)
    return tuple(idx)


def _host_run(n, args):
    return refops.run(n.attrs["onnx_op"], args, n.attrs["onnx_attrs"], n.attrs["opset"])


# Lowered op -> NumPy implementation (list of outputs). The runner uses these on the host for
# every op that has no entry in devops.DEVICE_OPS, and for the NumPy oracle.
HOST_OPS = {
    "Host": _host_run,
    "Concat": lambda n, args: [np.concatenate([np.asarray(v) for v in args], axis=n.attrs["axis"])],
    "Split": lambda n, args: [np.ascontiguousarray(v)
                              for v in refops.split(args[0], n.attrs["axis"], n.attrs["sizes"])],
    "Transpose": lambda n, args: [np.ascontiguousarray(np.transpose(args[0], n.attrs["perm"]))],
    "Slice": lambda n, args: [np.ascontiguousarray(args[0][_index(args[0].ndim, n.attrs)])],
    "LayerNorm": lambda n, args: [norm_ref.layer_norm(args[0], n.attrs["n"], *args[1:3], eps=n.attrs["epsilon"])],
    "Gelu": lambda n, args: [refops._f(refops._gelu)(args, {}, 20)[0]],
    "Erf": lambda n, args: [refops._f(refops._erf)(args, {}, 13)[0]],
    "Resize": lambda n, args: [resize.resize(args[0], n.attrs["out_shape"], n.attrs["scales"], n.attrs)],
    "ChannelShuffle": shuffle.run_numpy,  # passes.fuse_channel_shuffle's node
    "PwDw": pwdw.run_numpy,  # passes.fuse_pwdw's node
}
