"""Graph passes, run once per concrete input shape (so the batch size is free):

1. ``infer``: shape inference in topological order with constant folding -- every node whose
   inputs are all constants (the Shape/Gather/Unsqueeze/Concat chains exporters emit for
   flatten, Constant nodes, weight-side arithmetic) is evaluated once with the NumPy reference
   ops and disappears. Inconsistent shapes raise ModelError naming the node.
2. ``lower``: ONNX ops -> the runner's ops (Conv, Act, Add, Mul, MaxPool, AvgPool,
   GlobalAvgPool, Gemm, MatMul, Softmax, View, BatchNorm, Fallback), checking attribute
   combinations the kernels support; the rest is listed in one UnsupportedOpsError (or becomes a
   Fallback node with allow_fallback=True).
3. ``fold_batchnorm``: BatchNormalization after a Conv whose output has no other user is folded
   into the conv's weights and bias; a lone BatchNorm becomes a per-channel Mul + Add.
4. ``fuse_residual``: Add(conv(x), skip) with the conv's output used only there and skip of the
   same shape -> conv(x, residual=skip) (the conv2d epilogue adds it before the activation).
5. ``fuse_activation``: Relu/Clip(0,6) after a Conv (single user) -> the conv's epilogue.
6. ``remove_dead``: nodes that no graph output depends on.
"""
import numpy as np

from . import refops
from ..errors import FpgaopsError
from .ir import Graph, ModelError, Node, UnsupportedOpsError

MAX_FOLD_ELEMENTS = 2**26


def _bcast(node, a, b):
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise ModelError(f"inconsistent shapes: {tuple(a)} and {tuple(b)} do not broadcast", node.name) from None


def _need_rank(node, shape, ranks, what="input"):
    if len(shape) not in ranks:
        raise ModelError(f"{what} has shape {tuple(shape)}; expected rank {' or '.join(map(str, ranks))}", node.name)


def _spatial(node, size, k, s, d, p0, p1, ceil=False):
    eff = size + p0 + p1 - d * (k - 1) - 1
    if eff < 0:
        raise ModelError(f"inconsistent shapes: kernel {k} (dilation {d}) is larger than the padded input {size + p0 + p1}",
                         node.name)
    o = (-(-eff // s) if ceil else eff // s) + 1
    if ceil and (o - 1) * s >= size + p0:
        o -= 1
    return o


def _shape_of(node, ins, consts, opset):
    """Output shapes of a node that cannot be folded. ``ins``: input shapes (None if omitted)."""
    op, a = node.op, node.attrs
    x = ins[0]
    if op == "Conv":
        w = ins[1]
        _need_rank(node, x, (4,), "input (only 2-D convolution is supported)")
        _need_rank(node, w, (4,), "weight")
        g = int(a.get("group", 1))
        if g < 1 or x[1] != w[1] * g or w[0] % g:
            raise ModelError(f"inconsistent shapes: input {x} has {x[1]} channels but weight {w} with group={g} "
                             f"expects {w[1] * g}", node.name)
        if len(ins) > 2 and ins[2] is not None and tuple(ins[2]) != (w[0],):
            raise ModelError(f"inconsistent shapes: bias {ins[2]} for {w[0]} output channels", node.name)
        s, p, d, _ = refops._conv_attrs(a, w, x)
        return [(x[0], w[0], _spatial(node, x[2], w[2], s[0], d[0], p[0], p[2]),
                 _spatial(node, x[3], w[3], s[1], d[1], p[1], p[3]))]
    if op == "BatchNormalization":
        for k, sh in enumerate(ins[1:5]):
            if sh is None or tuple(sh) != (x[1],):
                raise ModelError(f"inconsistent shapes: BatchNormalization parameter {k + 1} has shape {sh}, "
                                 f"expected ({x[1]},)", node.name)
        return [x] + [None] * (len(node.outputs) - 1)
    if op in ("MaxPool", "AveragePool"):
        _need_rank(node, x, (4,), "input (only 2-D pooling is supported)")
        k = refops._pair(a["kernel_shape"])
        s = refops._pair(a.get("strides"))
        d = refops._pair(a.get("dilations"))
        p = refops._pads(a, k, s, d, x)
        c = bool(a.get("ceil_mode", 0))
        out = (x[0], x[1], _spatial(node, x[2], k[0], s[0], d[0], p[0], p[2], c),
               _spatial(node, x[3], k[1], s[1], d[1], p[1], p[3], c))
        return [out] + [out] * (len(node.outputs) - 1)
    if op == "GlobalAveragePool":
        _need_rank(node, x, (3, 4, 5))
        return [tuple(x[:2]) + (1,) * (len(x) - 2)]
    if op in ("Add", "Mul", "Sub", "Div", "Pow"):
        return [_bcast(node, x, ins[1])]
    if op == "Gemm":
        _need_rank(node, x, (2,), "A")
        _need_rank(node, ins[1], (2,), "B")
        m, k = x[::-1] if a.get("transA", 0) else x
        k2, n = ins[1][::-1] if a.get("transB", 0) else ins[1]
        if k != k2:
            raise ModelError(f"inconsistent shapes: Gemm A {x} and B {ins[1]} (transA={a.get('transA', 0)}, "
                             f"transB={a.get('transB', 0)}) have different inner dimensions", node.name)
        if len(ins) > 2 and ins[2] is not None:
            _bcast(node, ins[2], (m, n))
        return [(m, n)]
    if op == "MatMul":
        try:
            r = np.matmul(np.broadcast_to(np.float32(0), x), np.broadcast_to(np.float32(0), ins[1]))
        except ValueError:
            raise ModelError(f"inconsistent shapes: MatMul of {x} and {ins[1]}", node.name) from None
        return [r.shape]
    if op in ("Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Softmax", "Identity",
              "Dropout", "Neg", "Exp", "Sqrt", "Erf", "Gelu", "Elu", "Softplus"):
        return [x] + [x] * (len(node.outputs) - 1)
    # shape-only ops on a non-constant tensor: run them on a zero-strided dummy
    args = []
    for i, sh in zip(node.inputs, ins):
        if not i:
            args.append(None)
        elif i in consts:
            args.append(consts[i])
        else:
            args.append(np.broadcast_to(np.float32(0), sh))
    try:
        outs = refops.run(op, args, a, opset)
    except ModelError as e:
        raise ModelError(str(e), node.name) from None
    except Exception as e:
        raise ModelError(f"{op} cannot be applied to input shapes {ins}: {e}", node.name) from None
    return [o.shape for o in outs]


def _check_size(value, shape, node=None):
    from .._validate import MAX_ELEMENTS

    count = int(np.prod(shape, dtype=object)) if shape else 1
    if any(d < 1 for d in shape) or count > MAX_ELEMENTS:
        raise ModelError(f"value '{value}' would have shape {tuple(shape)} ({count} elements); every dimension must "
                         f"be >= 1 and a tensor at most {MAX_ELEMENTS} elements (32-bit kernel indexing)", node)


def infer(g, input_shapes):
    """Shapes of every value, constant folding along the way (in place)."""
    g.shapes = {k: tuple(v.shape) for k, v in g.consts.items()}
    for name in g.inputs:
        shp = tuple(input_shapes[name])
        decl = g.input_shapes.get(name)
        if decl is not None:
            if len(decl) != len(shp) or any(d is not None and d != s for d, s in zip(decl, shp)):
                raise ModelError(f"input '{name}' has shape {shp}; the model declares {decl} (None = any)")
        _check_size(name, shp)
        g.shapes[name] = shp
    kept = []
    for n in g.nodes:
        ins = [g.shapes.get(i) if i else None for i in n.inputs]
        for i, sh in zip(n.inputs, ins):
            if i and sh is None:
                raise ModelError(f"input '{i}' has no known shape", n.name)
        live = [i for i in n.inputs if i]
        if n.op == "Shape" and ins[0] is not None:
            outs = refops.run("Shape", [np.broadcast_to(np.float32(0), ins[0])], n.attrs, g.opset)
        elif n.op in refops.ALL and all(i in g.consts for i in live) and \
                all(g.consts[i].size <= MAX_FOLD_ELEMENTS for i in live):
            try:
                outs = refops.run(n.op, [g.consts[i] if i else None for i in n.inputs], n.attrs, g.opset)
            except ModelError as e:
                raise ModelError(str(e), n.name) from None
            except Exception as e:
                raise ModelError(f"cannot evaluate {n.op} on its constant inputs: {e}", n.name) from None
        else:
            outs = None
        if outs is not None:
            for o, v in zip(n.outputs, outs):
                if o:
                    g.consts[o] = np.asarray(v)
                    g.shapes[o] = tuple(np.shape(v))
            continue
        try:
            shapes = _shape_of(n, ins, g.consts, g.opset)
        except FpgaopsError:
            raise
        except Exception as e:  # a malformed node the structural checks did not catch
            raise ModelError(f"malformed {n.op} node for input shapes {ins}: {type(e).__name__}: {e}", n.name) from None
        for o, sh in zip(n.outputs, shapes):
            if o:
                if sh is not None and any(d < 1 for d in sh):
                    raise ModelError(f"output '{o}' would have shape {tuple(sh)} (a zero or negative dimension)", n.name)
                if sh is not None:
                    _check_size(o, sh, n.name)
                g.shapes[o] = tuple(sh) if sh is not None else None
        kept.append(n)
    g.nodes = kept
    return g


# --- lowering --------------------------------------------------------------------------------

def _act_of(n, g):
    """(kind, params) for an activation node, or None if no fpgaops activation matches."""
    a = n.attrs
    if n.op == "Relu":
        return "relu", {}
    if n.op == "Sigmoid":
        return "sigmoid", {}
    if n.op == "Tanh":
        return "tanh", {}
    if n.op == "HardSwish":
        return "hardswish", {}
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
            lo = float(g.consts[lo]) if lo else -np.inf
            hi = float(g.consts[hi]) if hi else np.inf
        else:
            lo, hi = float(a.get("min", -np.inf)), float(a.get("max", np.inf))
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


def lower(g, allow_fallback=False):
    bad, out = [], []
    for n in g.nodes:
        try:
            new, why = _lower_one(g, n)
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
        out.append(new)
    if bad:
        raise UnsupportedOpsError(bad)
    g.nodes = out
    return g


def _lower_one(g, n):
    a, shp = n.attrs, g.shapes
    new, why = None, None
    x = shp.get(n.inputs[0]) if n.inputs and n.inputs[0] else None
    if n.op == "Conv":
        w = n.inputs[1]
        if w not in g.consts:
            why = "weight is not a constant"
        else:
            s, p, d, grp = refops._conv_attrs(a, g.consts[w].shape, x)
            if not _sym(p):
                why = f"asymmetric padding {p}"
            else:
                b = n.inputs[2] if len(n.inputs) > 2 else ""
                if b and b not in g.consts:
                    why = "bias is not a constant"
                else:
                    new = Node(n.name, "Conv", [n.inputs[0], w, b, ""], n.outputs[:1],
                               {"stride": s, "padding": (p[0], p[1]), "dilation": d, "groups": grp,
                                "activation": None}, n.origin)
    elif n.op == "BatchNormalization":
        if len(n.outputs) > 1 and any(n.outputs[1:]):
            why = "training-mode outputs (running mean/var) are requested"
        elif not all(i in g.consts for i in n.inputs[1:5]):
            why = "scale/bias/mean/var are not constants"
        else:
            new = Node(n.name, "BatchNorm", list(n.inputs[:5]), n.outputs[:1],
                       {"epsilon": float(a.get("epsilon", 1e-5))}, n.origin)
    elif n.op in ("Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish"):
        act = _act_of(n, g)
        if act is None:
            why = f"no fpgaops activation matches these attributes {a or ''}"
        else:
            new = Node(n.name, "Act", [n.inputs[0]], n.outputs[:1], {"kind": act[0], "params": act[1]}, n.origin)
    elif n.op in ("Add", "Mul"):
        new = Node(n.name, n.op, list(n.inputs[:2]), n.outputs[:1], {"activation": None}, n.origin)
    elif n.op in ("MaxPool", "AveragePool"):
        if len(n.outputs) > 1 and any(n.outputs[1:]):
            why = "the Indices output is requested"
        elif int(a.get("storage_order", 0)):
            why = "storage_order=1"
        else:
            k = refops._pair(a["kernel_shape"])
            s = refops._pair(a.get("strides"))
            d = refops._pair(a.get("dilations"))
            p = refops._pads(a, k, s, d, x)
            if not _sym(p):
                why = f"asymmetric padding {p}"
            elif n.op == "AveragePool" and d != (1, 1):
                why = "dilated average pooling"
            else:
                attrs = {"kernel_size": k, "stride": s, "padding": (p[0], p[1]), "ceil_mode": bool(a.get("ceil_mode", 0))}
                if n.op == "MaxPool":
                    attrs["dilation"] = d
                else:
                    attrs["count_include_pad"] = bool(a.get("count_include_pad", 0))
                new = Node(n.name, "MaxPool" if n.op == "MaxPool" else "AvgPool", [n.inputs[0]], n.outputs[:1],
                           attrs, n.origin)
    elif n.op == "GlobalAveragePool":
        if len(x) != 4:
            why = f"input rank {len(x)} (only 4-D)"
        else:
            new = Node(n.name, "GlobalAvgPool", [n.inputs[0]], n.outputs, {}, n.origin)
    elif n.op == "Gemm":
        new = Node(n.name, "Gemm", list(n.inputs[:3]), n.outputs,
                   {"alpha": float(a.get("alpha", 1.0)), "beta": float(a.get("beta", 1.0)),
                    "trans_a": bool(a.get("transA", 0)), "trans_b": bool(a.get("transB", 0))}, n.origin)
    elif n.op == "MatMul":
        new = Node(n.name, "MatMul", list(n.inputs[:2]), n.outputs, {}, n.origin)
    elif n.op == "Softmax":
        ax = int(a.get("axis", -1 if g.opset >= 13 else 1))
        if not -len(x) <= ax < len(x):
            raise ModelError(f"Softmax axis {ax} is out of range for rank {len(x)}", n.name)
        ax = ax + len(x) if ax < 0 else ax
        if g.opset < 13 and ax != len(x) - 1:
            why = f"opset-{g.opset} Softmax over the flattened axes {ax}.. (re-export with opset >= 13)"
        else:
            new = Node(n.name, "Softmax", [n.inputs[0]], n.outputs, {"dim": ax}, n.origin)
    elif n.op in ("Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Dropout"):
        if n.op == "Dropout" and len(n.outputs) > 1 and any(n.outputs[1:]):
            why = "the mask output is requested"
        else:
            new = Node(n.name, "View", [n.inputs[0]], n.outputs[:1], {"shape": shp[n.outputs[0]]}, n.origin)
    elif n.op in refops.ALL:
        why = "no kernel for this op"
    else:
        why = "unknown op"
    return new, why


# --- fusion ------------------------------------------------------------------------------------

class _Index:
    """Producers and use counts of a graph, updated in place by the fusion passes (linear time
    on big graphs: no rescans per fusion)."""

    def __init__(self, g):
        self.g = g
        self.prod = g.producers()
        self.uses = {}
        for n in g.nodes:
            for i in n.inputs:
                if i:
                    self.uses[i] = self.uses.get(i, 0) + 1
        self.outputs = set(g.outputs)
        self.dropped = set()
        self.pos = {id(n): k for k, n in enumerate(g.nodes)}

    def single_use(self, value):
        return self.uses.get(value, 0) == 1 and value not in self.outputs

    def splice(self, keep, drop):
        """``keep`` takes over ``drop``'s outputs (``drop`` consumed ``keep``'s output, its only use)."""
        keep.outputs = list(drop.outputs)
        keep.origin = keep.origin + drop.origin
        for o in keep.outputs:
            if o:
                self.prod[o] = keep
        self.dropped.add(id(drop))

    def finish(self, replace=None):
        nodes = []
        for n in self.g.nodes:
            if id(n) in self.dropped:
                continue
            nodes.extend(replace.get(id(n), [n]) if replace else [n])
        self.g.nodes = nodes
        return self.g


def fold_batchnorm(g):
    ix = _Index(g)
    replace = {}
    for bn in [n for n in g.nodes if n.op == "BatchNorm"]:
        x, sc, bi, mean, var = bn.inputs
        eps = bn.attrs["epsilon"]
        inv = g.consts[sc].astype(np.float64) / np.sqrt(g.consts[var].astype(np.float64) + eps)
        shift = g.consts[bi].astype(np.float64) - g.consts[mean].astype(np.float64) * inv
        conv = ix.prod.get(x)
        if conv is not None and conv.op == "Conv" and ix.single_use(x) and conv.attrs["activation"] is None \
                and not conv.inputs[3]:
            w = g.consts[conv.inputs[1]].astype(np.float64)
            b = g.consts[conv.inputs[2]].astype(np.float64) if conv.inputs[2] else np.zeros(w.shape[0])
            wn, bn_ = conv.name + "::weight(bn-folded)", conv.name + "::bias(bn-folded)"
            g.consts[wn] = (w * inv[:, None, None, None]).astype(np.float32)
            g.consts[bn_] = (b * inv + shift).astype(np.float32)
            g.shapes[wn], g.shapes[bn_] = g.consts[wn].shape, g.consts[bn_].shape
            conv.inputs[1], conv.inputs[2] = wn, bn_
            ix.splice(conv, bn)
        else:  # a per-channel affine: Mul + Add on the kernels
            rank = len(g.shapes[x])
            shp = (-1,) + (1,) * (rank - 2)
            sn, hn = bn.name + "::scale", bn.name + "::shift"
            g.consts[sn] = inv.astype(np.float32).reshape(shp)
            g.consts[hn] = shift.astype(np.float32).reshape(shp)
            g.shapes[sn], g.shapes[hn] = g.consts[sn].shape, g.consts[hn].shape
            mid = bn.name + "::scaled"
            g.shapes[mid] = g.shapes[x]
            replace[id(bn)] = [Node(bn.name + "/mul", "Mul", [x, sn], [mid], {"activation": None}, [bn.name]),
                               Node(bn.name + "/add", "Add", [mid, hn], list(bn.outputs), {"activation": None},
                                    [bn.name])]
    return ix.finish(replace)


def fuse_residual(g):
    ix = _Index(g)
    for add in [n for n in g.nodes if n.op == "Add"]:
        for k in (0, 1):
            a, b = add.inputs[k], add.inputs[1 - k]
            conv = ix.prod.get(a)
            if conv is None or conv.op != "Conv" or conv.inputs[3] or conv.attrs["activation"] is not None:
                continue
            if not ix.single_use(a) or b in g.consts or g.shapes[a] != g.shapes[b] or b == a:
                continue
            bp = ix.prod.get(b)  # the skip must be computed before the conv runs
            if bp is not None and ix.pos[id(bp)] > ix.pos[id(conv)]:
                continue
            conv.inputs[3] = b
            ix.splice(conv, add)
            break
    return ix.finish()


def fuse_activation(g, conv_acts=("relu", "relu6"), eltwise_acts=()):
    ix = _Index(g)
    for act in [n for n in g.nodes if n.op == "Act"]:
        src = ix.prod.get(act.inputs[0])
        if src is None or id(src) in ix.dropped or not ix.single_use(act.inputs[0]) or act.attrs["params"]:
            continue
        kind = act.attrs["kind"]
        if (src.op == "Conv" and kind in conv_acts) or (src.op in ("Add", "Mul") and kind in eltwise_acts):
            if src.attrs.get("activation") is None:
                src.attrs["activation"] = kind
                ix.splice(src, act)
    return ix.finish()


def remove_dead(g):
    need = set(g.outputs)
    keep = []
    for n in reversed(g.nodes):
        if any(o in need for o in n.outputs):
            keep.append(n)
            need.update(i for i in n.inputs if i)
    g.nodes = keep[::-1]
    g.consts = {k: v for k, v in g.consts.items() if k in need}
    return g


def optimize(graph, input_shapes, allow_fallback=False, fuse=True, conv_acts=("relu", "relu6"), eltwise_acts=()):
    """A new, lowered and fused Graph for concrete ``input_shapes`` ({input name: shape})."""
    g = graph.copy()
    infer(g, input_shapes)
    # (a graph output that folded to a constant is returned from g.consts by the runner)
    lower(g, allow_fallback)
    if fuse:
        fold_batchnorm(g)
        fuse_residual(g)
        fuse_activation(g, conv_acts, eltwise_acts)
    else:
        fold_batchnorm(g)  # a lone BatchNorm has no kernel; as Mul+Add it always runs
    remove_dead(g)
    return g


def flops(g, n):
    """Floating-point operations of one lowered node (2 per multiply-add)."""
    s = g.shapes
    out = s.get(n.outputs[0]) or ()
    size = int(np.prod(out, dtype=np.int64)) if out else 0
    if n.op == "Conv":
        w = g.shapes[n.inputs[1]]
        return 2 * size * w[1] * w[2] * w[3]
    if n.op == "Gemm":
        a = s[n.inputs[0]]
        k = a[0] if n.attrs["trans_a"] else a[1]
        return 2 * size * k
    if n.op == "MatMul":
        return 2 * size * s[n.inputs[0]][-1]
    if n.op in ("MaxPool", "AvgPool"):
        k = n.attrs["kernel_size"]
        return size * k[0] * k[1]
    if n.op == "GlobalAvgPool":
        return int(np.prod(s[n.inputs[0]], dtype=np.int64))
    if n.op == "View":
        return 0
    return size
