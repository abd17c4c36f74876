"""Graph passes, run once per concrete input shape (so the batch size is free):

1. ``infer``: shape inference in topological order with constant folding -- every node whose
   inputs are all constants (the Shape/Gather/Unsqueeze/Concat chains exporters emit for
   flatten, Constant nodes, weight-side arithmetic) is evaluated once with the NumPy reference
   ops and disappears. Inconsistent shapes raise ModelError naming the node.
2. ``lower`` (lower.py): ONNX ops -> the runner's ops (Conv, Act, Add, Mul, MaxPool, AvgPool,
   GlobalAvgPool, Gemm, MatMul, Softmax, View, BatchNorm; Concat, Split, Transpose, Resize; Host,
   Fallback), checking attribute combinations the kernels support; the rest is listed in one
   UnsupportedOpsError (or becomes a Fallback node with allow_fallback=True).
3. ``fold_batchnorm``: BatchNormalization after a Conv whose output has no other user is folded
   into the conv's weights and bias; a lone BatchNorm becomes a per-channel Mul + Add.
4. ``fuse_residual``: Add(conv(x), skip) with the conv's output used only there and skip of the
   same shape -> conv(x, residual=skip) (the conv2d epilogue adds it before the activation).
5. ``fuse_activation``: Relu/Clip(0,6)/HardSigmoid/HardSwish after a Conv (single user) -> the
   conv's epilogue (the activations the conv ops fuse: runner._capabilities).
6. ``fuse_conv_sigmoid``: Sigmoid, or SiLU (Mul(a, Sigmoid(a)) or a Silu Act), after a Conv ->
   the conv's epilogue, in closed form with exp (not the act table; so fuse_silu's accuracy cost
   does not apply). Before fuse_se, so the SE gate's 1x1 convs carry them as epilogue activations.
7. ``fuse_se``: the squeeze-and-excitation gate GlobalAvgPool -> 1x1 Conv (act) [-> table Act
   [* its input]] -> 1x1 Conv (act) [-> table Act [* its input]] on one pixel -> one ``SEGate`` node
   (one launch on opencl: se_gate.cl); the Mul by the block input stays. Float graphs only (the
   int8 quantizer's graph keeps the separate ops). (``fuse_silu``, Mul(a, Sigmoid(a)) -> Act silu,
   is not run: the silu table's absolute error on small activations moved EfficientNet-B0's logits
   from 4.8e-5 to 1.6e-4 relative of ONNX Runtime; RESULTS.md "SE and sigmoid fusion".)
   ``fuse_se_scale``: the Mul of the block input by that gate, read only by a 1x1 Conv -> the
   conv's input scale (Conv inputs[4]; one launch less per SE block).
8. ``fuse_channel_shuffle`` (shuffle.py): ShuffleNetV2's Concat -> View -> Transpose -> View
   [-> the two halves] -> one ``ChannelShuffle`` node (one copy launch on opencl instead of five).
   Float graphs only, like fuse_se (the int8 quantizer's graph keeps the separate ops).
   ``fuse_pwdw`` (pwdw.py): an expansion 1x1 Conv -> depthwise Conv pair whose expanded tensor is
   large (dwconv.opencl.pw_min_bytes) -> one ``PwDw`` node (one launch on opencl, the expanded tensor
   kept in the work-item's memory). Float graphs only.
9. ``remove_dead``: nodes that no graph output depends on.
"""
import numpy as np

from . import refops
from ..errors import FpgaopsError, UnsupportedError
from .ir import Graph, ModelError, Node, UnsupportedOpsError
from .pwdw import fuse_pwdw
from .shuffle import fuse_channel_shuffle

MAX_FOLD_ELEMENTS = 2**26


def _bcast(node, a, b):
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise ModelError(f"inconsistent shapes: {tuple(a)} and {tuple(b)} do not broadcast", node.name) from None


def _need_rank(node, shape, ranks, what="input", supported=False):
    """ModelError for a rank the op's definition excludes; with ``supported`` an
    UnsupportedOpsError (a valid model fpgaops has no kernel for, e.g. 3-D convolution)."""
    if len(shape) not in ranks:
        if supported:
            raise UnsupportedOpsError([(node.name, node.op, f"{what} has shape {tuple(shape)}; only rank "
                                                            f"{' or '.join(map(str, ranks))} is supported")])
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
        _need_rank(node, x, (4,), "input (only 2-D convolution is supported)", supported=True)
        _need_rank(node, w, (4,), "weight", supported=True)
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
        _need_rank(node, x, (4,), "input (only 2-D pooling is supported)", supported=True)
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
    if op == "Sum":
        out = x
        for sh in ins[1:]:
            if sh is not None:
                out = _bcast(node, out, sh)
        return [out]
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
              "Dropout", "Neg", "Exp", "Sqrt", "Erf", "Gelu", "Elu", "Softplus", "LogSoftmax", "LRN"):
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
    except UnsupportedError as e:
        raise UnsupportedOpsError([(node.name, op, str(e))]) from None
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
            except UnsupportedError as e:
                raise UnsupportedOpsError([(n.name, n.op, str(e))]) from None
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


# --- lowering: lower.py ------------------------------------------------------------------------

from .lower import HOST_OPS, lower  # noqa: E402,F401  (re-exported: the passes' public names)


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
                and not conv.inputs[3] and all(i in g.consts for i in conv.inputs[1:3] if i):
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


SE_ACTS = (None, "relu", "relu6", "hardsigmoid", "hardswish", "sigmoid", "silu")  # the conv epilogue's closed forms


def _fc(g, ix, n, c):
    """Whether ``n`` is a 1x1 Conv on one pixel with constant weights and ``c`` input channels."""
    if n is None or n.op != "Conv" or n.inputs[3] or n.attrs["activation"] not in SE_ACTS:
        return False
    a = n.attrs
    w = g.shapes[n.inputs[1]]
    return (w[1:] == (c, 1, 1) and a["groups"] == 1 and tuple(a["stride"]) == (1, 1) and
            tuple(a["padding"]) == (0, 0) and tuple(g.shapes[n.inputs[0]][2:]) == (1, 1) and
            all(i in g.consts for i in n.inputs[1:3] if i))


CONV_TABLE_ACTS = ("sigmoid", "silu")  # conv epilogue activations fused by fuse_conv_sigmoid (below)


def fuse_conv_sigmoid(g, conv_acts):
    """Conv -> Sigmoid -> Conv(activation="sigmoid"); Conv -> Sigmoid with Mul(conv, sigmoid)
    (torch's exported SiLU) or Conv -> Silu -> Conv(activation="silu"), for the kinds in
    ``conv_acts``. Before fuse_se: the SE gate's 1x1 convs take them too (se_gate.cl applies the
    same conv_act; SE_TABLES remain for graphs without them). The conv epilogue computes these in
    closed form with the device's exp (act_closed.h): closer to the exact function than the act
    tables (fuse_silu's accuracy cost does not apply); backends without them in the epilogue run
    the table ops after the conv (ops.conv2d)."""
    ix = _Index(g)
    users = g.consumers()
    for conv in [n for n in g.nodes if n.op == "Conv"]:
        if conv.attrs.get("activation") is not None or id(conv) in ix.dropped or conv.outputs[0] in ix.outputs:
            continue
        last, kind, times = _table_after(ix, users, conv.outputs[0])
        fused = "silu" if (kind == "sigmoid" and times) or (kind == "silu" and not times) else kind
        if last is None or fused not in conv_acts or id(last) in ix.dropped:
            continue
        if times:  # the Mul's other input is the Act's output: drop that Act too
            act = next(u for u in users[conv.outputs[0]] if u is not last)
            if id(act) in ix.dropped:
                continue
            ix.dropped.add(id(act))
            conv.origin = conv.origin + act.origin
        conv.attrs["activation"] = fused
        ix.splice(conv, last)
    return ix.finish()


def fuse_silu(g):
    """Mul(a, Sigmoid(a)) with the Sigmoid's output used only there -> Act silu(a): one table launch
    instead of two, but not run by ``optimize`` (its accuracy cost: the module docstring)."""
    ix = _Index(g)
    replace = {}
    for mul in [n for n in g.nodes if n.op == "Mul" and n.attrs.get("activation") is None]:
        for k in (0, 1):
            a, s = mul.inputs[k], mul.inputs[1 - k]
            sig = ix.prod.get(s)
            if sig is None or sig.op != "Act" or sig.attrs["kind"] != "sigmoid" or sig.attrs["params"] \
                    or sig.inputs[0] != a or not ix.single_use(s) or id(sig) in ix.dropped:
                continue
            replace[id(mul)] = [Node(mul.name, "Act", [a], list(mul.outputs), {"kind": "silu", "params": {}},
                                     sig.origin + mul.origin)]
            ix.dropped.add(id(sig))
            break
    return ix.finish(replace)


SE_LANES = 16  # se_gate.cl SE_LANES: the transposed SE weights' rows are zero-padded to a multiple
SE_TABLES = ("sigmoid", "silu")  # table activations after an SE conv (run by act_lut's act_table)


def _table_after(ix, users, value):
    """(last node, table kind, times-input) of a parameterless sigmoid / silu Act reading
    ``value`` -- alone, or with a Mul(value, act) (torch's exported SiLU: x * sigmoid(x)) -- or
    (None, None, False)."""
    def table(n):
        return n is not None and n.op == "Act" and n.attrs["kind"] in SE_TABLES and not n.attrs["params"]

    n = _user(ix, users, value)
    if table(n):
        return n, n.attrs["kind"], False
    us = users.get(value, [])
    if len(us) == 2 and value not in ix.outputs:
        act = next((u for u in us if table(u)), None)
        mul = next((u for u in us if u.op == "Mul" and u is not act), None)
        if act is not None and mul is not None and sorted(mul.inputs) == sorted([value, act.outputs[0]]) \
                and mul.attrs.get("activation") is None and ix.single_use(act.outputs[0]):
            return mul, act.attrs["kind"], True
    return None, None, False


def _padded_t(w):
    """w (K, C) as (C, KP) float32, KP the multiple of SE_LANES above K, zeros past K."""
    k, c = w.shape
    out = np.zeros((c, -(-k // SE_LANES) * SE_LANES), np.float32)
    out[:, :k] = w.T
    return out


def fuse_se(g):
    """GlobalAvgPool(x) -> Conv1 [-> Act1] -> Conv2 [-> Act2] (1x1 on one pixel, single users;
    Act: sigmoid / silu) -> SEGate(x) with inputs [x, w1, b1, w2, b2, w1t, w2t] (w1t (C, RP), w2t
    (R, CP): the FC weights transposed, zero-padded to SE_LANES columns, for the opencl kernel; the
    first five run the unfused ops anywhere else) and attrs act1 / act2 (the convs' epilogue activations), tab1 / tab2 (the
    table activation after each conv, or None), mul1 / mul2 (the table's result times its input)."""
    ix = _Index(g)
    users = g.consumers()
    replace = {}
    for gap in [n for n in g.nodes if n.op == "GlobalAvgPool"]:
        x = gap.inputs[0]
        xs = g.shapes[x]
        if len(xs) != 4:
            continue
        fc1 = _user(ix, users, gap.outputs[0])
        if not _fc(g, ix, fc1, xs[1]):
            continue
        r = g.shapes[fc1.inputs[1]][0]
        t1, tab1, mul1 = _table_after(ix, users, fc1.outputs[0])
        h = (t1 or fc1).outputs[0]
        fc2 = _user(ix, users, h)
        if not _fc(g, ix, fc2, r) or g.shapes[fc2.inputs[1]][0] != xs[1]:
            continue
        t2, tab2, mul2 = _table_after(ix, users, fc2.outputs[0])
        last = t2 or fc2
        w1t, w2t = fc1.name + "::weight(se,transposed)", fc2.name + "::weight(se,transposed)"
        g.consts[w1t] = _padded_t(g.consts[fc1.inputs[1]].reshape(r, xs[1]))
        g.consts[w2t] = _padded_t(g.consts[fc2.inputs[1]].reshape(xs[1], r))
        g.shapes[w1t], g.shapes[w2t] = g.consts[w1t].shape, g.consts[w2t].shape
        chain = [n for n in (gap, fc1, t1, fc2, t2) if n is not None]
        chain[-1:-1] = [ix.prod[i] for n in (t1, t2) if n is not None and n.op == "Mul" for i in n.inputs
                        if ix.prod.get(i) is not None and ix.prod[i].op == "Act"]
        se = Node(gap.name + "/se_gate", "SEGate",
                  [x, fc1.inputs[1], fc1.inputs[2], fc2.inputs[1], fc2.inputs[2], w1t, w2t], list(last.outputs),
                  {"act1": fc1.attrs["activation"], "tab1": tab1, "mul1": mul1,
                   "act2": fc2.attrs["activation"], "tab2": tab2, "mul2": mul2},
                  [o for n in chain for o in n.origin])
        replace[id(last)] = [se]
        ix.dropped.update(id(n) for n in chain[:-1])
    return ix.finish(replace)


def fuse_se_scale(g):
    """Mul(x, gate) with ``gate`` an SEGate of x, read only by a pointwise Conv (1x1, stride 1, no
    padding, groups 1) on an image of more than one pixel -> that Conv with inputs[4] = gate: the
    conv's input is x times the gate, per (sample, channel) (opencl: conv_pw / conv_pwt multiply each
    input value as they load it, the product the Mul's kernel computed, so the same bits; conv2d's
    channel_scale, which computes the product first where the kernel cannot). Saves the Mul's launch in every SE block (MobileNetV3, EfficientNet)."""
    ix = _Index(g)
    users = g.consumers()
    for m in [n for n in g.nodes if n.op == "Mul" and n.attrs.get("activation") is None]:
        for k in (0, 1):
            gate, x = m.inputs[k], m.inputs[1 - k]
            se = ix.prod.get(gate)
            if se is None or se.op != "SEGate" or se.inputs[0] != x or gate == x:
                continue
            xs = g.shapes[x]
            conv = _user(ix, users, m.outputs[0])
            if conv is None or conv.op != "Conv" or len(conv.inputs) != 4 or conv.inputs[0] != m.outputs[0] \
                    or len(xs) != 4 or xs[2] * xs[3] < 2 or g.shapes[gate] != (xs[0], xs[1], 1, 1):
                continue
            a = conv.attrs
            if tuple(g.shapes[conv.inputs[1]][2:]) != (1, 1) or tuple(a["stride"]) != (1, 1) or any(a["padding"]) \
                    or tuple(a["dilation"]) != (1, 1) or a["groups"] != 1:
                continue
            conv.inputs = [x] + conv.inputs[1:] + [gate]
            conv.origin = m.origin + conv.origin
            ix.dropped.add(id(m))
            break
    return ix.finish()


def _user(ix, users, value):
    """The one node reading ``value``, or None (not single-use)."""
    return users[value][0] if ix.single_use(value) and value in users else None


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


def optimize(graph, input_shapes, allow_fallback=False, fuse=True, conv_acts=("relu", "relu6"), eltwise_acts=(),
             se=True):
    """A new, lowered and fused Graph for concrete ``input_shapes`` ({input name: shape}).
    ``se``: the float graph's fusions, squeeze-and-excitation gates (fuse_se, fuse_se_scale) and
    channel shuffles (fuse_channel_shuffle); False for the int8 quantizer's graph."""
    g = graph.copy()
    infer(g, input_shapes)
    # (a graph output that folded to a constant is returned from g.consts by the runner)
    lower(g, allow_fallback)
    if fuse:
        fold_batchnorm(g)
        fuse_residual(g)
        fuse_activation(g, [a for a in conv_acts if a not in CONV_TABLE_ACTS], eltwise_acts)
        fuse_conv_sigmoid(g, conv_acts)
        if se:
            fuse_se(g)
            fuse_se_scale(g)
            fuse_channel_shuffle(g)
            fuse_pwdw(g)
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
    if n.op == "SEGate":
        return int(np.prod(s[n.inputs[0]], dtype=np.int64)) + 4 * int(np.prod(s[n.inputs[1]], dtype=np.int64))
    if n.op == "PwDw":
        w1, w2 = g.shapes[n.inputs[1]], g.shapes[n.inputs[3]]
        return 2 * int(np.prod(s[n.inputs[0]], dtype=np.int64)) // w1[1] * w1[0] + 2 * size * w2[2] * w2[3]
    if n.op == "View":
        return 0
    return size
