"""Pre-quantized ONNX models: QDQ graphs as written by ``onnxruntime.quantization.quantize_static``
(QuantizeLinear/DequantizeLinear pairs around Conv, Gemm, MatMul, Add) run on the int8 kernels.

    qnet = fpgaops.graph.qdq.load_qdq("model_qdq.onnx")     # -> QuantizedNetwork
    y = qnet(x)

How: every DequantizeLinear of a constant (int8 weights, int32 biases) becomes a float constant
and its codes/scales are kept; every QuantizeLinear -> DequantizeLinear pair on an activation is
removed and its (scale, zero point) becomes that tensor's QParams (uint8 zero points shifted by
-128 to int8, exactly equivalent). The remaining float graph is loaded without fusions (a QDQ
model quantizes a conv's output before a residual add, so the add must stay a separate int8 add),
and conv/Gemm layers use the model's own int8 weight codes and int32 bias codes. ReLUs the
quantizer removed (their range is in the output's zero point) are the int8 clamp.

QOperator models (``quant_format=QuantFormat.QOperator``: QLinearConv, QLinearMatMul, QGemm,
QLinearAdd/Mul, QLinearGlobalAveragePool, ... on uint8/int8 tensors) are first rewritten into the
equivalent QDQ graph by ``qoperator_to_qdq`` (every QLinear op becomes DequantizeLinear -> float op
-> QuantizeLinear with the op's own scales and zero points; its int32 bias gets the scale
``input_scale * weight_scale`` the operator defines), then loaded as above.
"""
import dataclasses

import numpy as np

from ..errors import UnsupportedError
from ..quant import QParams
from .quantize import QuantizedNetwork, _Layer


def _np(t):
    from onnx import numpy_helper
    return numpy_helper.to_array(t)


def _int8_zp(zp, dtype):
    z = int(np.asarray(zp).reshape(-1)[0])
    return z - 128 if dtype == np.uint8 else z


def strip_qdq(model):
    """(float ModelProto, {activation value: QParams}, {float const name: (codes, scales, zero points,
    axis)}, {activation value: the model's name of its quantized tensor})."""
    import onnx

    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    bad = [n.op_type for n in g.node if n.op_type in ("ConvInteger", "MatMulInteger", "DynamicQuantizeLinear")]
    if bad:
        raise UnsupportedError(f"dynamically quantized models ({sorted(set(bad))}) are not supported: fpgaops runs "
                               "statically quantized models (onnxruntime.quantization.quantize_static)")
    consts, qparams, keep, rename, quantized = {}, {}, [], {}, {}
    users = {}
    for n in g.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    new_inits = []
    for n in g.node:
        if n.op_type == "DequantizeLinear" and n.input[0] in inits:
            q = _np(inits[n.input[0]])
            s = _np(inits[n.input[1]]).astype(np.float32)
            zp = _np(inits[n.input[2]]) if len(n.input) > 2 and n.input[2] else np.zeros_like(s, dtype=q.dtype)
            axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
            shape = [1] * q.ndim
            if s.size > 1:
                shape[axis % q.ndim] = -1
            else:
                s = s.reshape(()) if s.size == 1 else s
                zp = zp.reshape(()) if zp.size == 1 else zp
            f = ((q.astype(np.float64) - zp.astype(np.float64).reshape(shape)) * s.astype(np.float64).reshape(shape))
            new_inits.append(onnx.numpy_helper.from_array(f.astype(np.float32), n.output[0]))
            consts[n.output[0]] = (q, s, zp, axis)
            continue
        if n.op_type == "QuantizeLinear":
            outs = users.get(n.output[0], [])
            if outs and all(u.op_type == "DequantizeLinear" for u in outs):
                s = float(_np(inits[n.input[1]]).reshape(-1)[0])
                zt = _np(inits[n.input[2]]) if len(n.input) > 2 and n.input[2] else np.zeros((), np.uint8)
                qp = QParams(s, _int8_zp(zt, zt.dtype))
                qparams[n.input[0]] = qp
                quantized[n.input[0]] = n.output[0]
                for u in outs:
                    rename[u.output[0]] = (n.input[0], qp)
                continue
        if n.op_type == "DequantizeLinear" and any(n.output[0] == k for k in rename):
            continue
        keep.append(n)
    outputs = {o.name for o in g.output}
    # a DQ output that is a graph output: rename its source value to it instead
    back = {}
    for z, (x, qp) in rename.items():
        if z in outputs:
            back[x] = z
            qparams[z] = qp
            if x in quantized:
                quantized[z] = quantized.pop(x)
    for n in keep:
        for k, i in enumerate(n.input):
            if i in rename:
                x = rename[i][0]
                n.input[k] = back.get(x, x)
            elif i in back:
                n.input[k] = back[i]
        for k, o in enumerate(n.output):
            if o in back:
                n.output[k] = back[o]
    used = {i for n in keep for i in n.input}
    del g.node[:]
    g.node.extend(keep)
    kept_inits = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(kept_inits + [t for t in new_inits if t.name in used])
    del g.value_info[:]
    return m, qparams, consts, quantized


def load_qdq(model):
    """A QuantizedNetwork from a statically quantized ONNX model (path, bytes or ModelProto), in
    QDQ or QOperator format."""
    import onnx

    from . import load_onnx

    if isinstance(model, (bytes, bytearray)):
        proto = onnx.load_from_string(bytes(model))
    elif isinstance(model, onnx.ModelProto):
        proto = model
    else:
        proto = onnx.load(model)
    source = proto
    if any(n.op_type in QOPERATORS or n.op_type.startswith("QLinear") for n in proto.graph.node):
        proto = qoperator_to_qdq(proto)
    fproto, qparams, consts, quantized = strip_qdq(proto)
    net = load_onnx(fproto, fuse=False)
    return ImportedNetwork(net, qparams, consts, source, quantized)



def exact_int8_session(ort, model_bytes):
    """An ONNX Runtime CPU session whose int8 products are exact on every x86 CPU: without VNNI
    (AVX2, AVX-512 before Cascade Lake / Zen 4) ORT's default u8s8 kernels saturate pair sums to
    int16 (its documented overflow); session.x64quantprecision makes them u8u8, exact. ORT cannot
    apply that to every model (1.32 has no u8-weight QGemm kernel): those keep its default kernels."""
    so = ort.SessionOptions()
    so.add_session_config_entry("session.x64quantprecision", "1")
    try:
        return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])
    except ort.capi.onnxruntime_pybind11_state.NotImplemented:
        return ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])

class ImportedNetwork(QuantizedNetwork):
    """A QuantizedNetwork from a pre-quantized ONNX model (``load_qdq``): conv/Gemm layers use the
    model's own int8 weight and int32 bias codes; ``trace`` compares it with ONNX Runtime."""

    def __init__(self, net, qparams, consts, source, quantized):
        super().__init__(net, qparams, "imported", True, (), {})
        self._qdq_consts = consts
        self._source = source.SerializeToString()
        self.source_names = quantized   # int8 value -> the source model's name of its quantized tensor

    def _layer(self, g, n, qx, qy):
        """The model's own int8 codes for a Conv/Gemm whose weight and bias came from DequantizeLinear."""
        if n.name in self._layers:
            return self._layers[n.name]
        wname = n.inputs[1]
        bname = n.inputs[2] if len(n.inputs) > 2 else ""
        w = self._qdq_consts.get(wname)
        b = self._qdq_consts.get(bname) if bname else None
        ok = w is not None and w[0].dtype == np.int8 and not np.any(w[2])
        if ok and n.op == "Gemm":
            ok = n.attrs["alpha"] == 1.0 and (b is None or n.attrs["beta"] == 1.0)
        if ok and b is not None:
            ok = b[0].dtype == np.int32 and not np.any(b[2])
        if not ok:
            return super()._layer(g, n, qx, qy)
        codes, scale = w[0], w[1].astype(np.float64)
        if n.op == "Conv":
            k = codes.shape[0]
            wq = codes
        else:
            wq = codes if (n.op == "Gemm" and n.attrs["trans_b"]) else codes.T
            k = wq.shape[0]
            wq = np.ascontiguousarray(wq)[:, :, None, None]
        sw = np.broadcast_to(scale.reshape(-1), (k,)).astype(np.float64)
        bq = np.zeros(k, np.int32) if b is None else np.broadcast_to(b[0].reshape(-1), (k,)).astype(np.int32)
        layer = _Layer(np.ascontiguousarray(wq, np.int8), np.ascontiguousarray(bq), sw)
        self._layers[n.name] = layer
        return layer

    def trace(self, *xs, device=None, isolated=True, tolerance=1):
        """Every int8 layer's codes against ONNX Runtime running the source model (every quantized
        tensor exposed as an output). ``isolated=True`` feeds each layer ONNX Runtime's own codes
        of its inputs, so a row measures that layer alone; ``False`` lets differences propagate.
        A row is ok when no code differs by more than ``tolerance`` LSB."""
        ort_codes = self.onnxruntime_codes(*xs)
        feed = None
        if isolated:
            feed = {v: ort_codes[q] for v, q in self.source_names.items() if q in ort_codes}
        ours = self.codes(*xs, device=device, feed=feed)
        rows = []
        for v, (n, y, q) in ours.items():
            want = ort_codes.get(self.source_names.get(v))
            if want is None:
                continue    # a value the source model keeps in float (no quantized tensor to compare)
            op = n.attrs["kind"] if n.op == "Act" else n.op
            if want.shape != y.shape:   # a layout fpgaops got wrong: the whole row differs
                rows.append(QTraceRow(n.name, op, v, y.shape, y.size, 255, False))
                continue
            d = np.abs(y.astype(np.int32) - want.astype(np.int32))
            rows.append(QTraceRow(n.name, op, v, y.shape, int(np.count_nonzero(d)), int(d.max()) if d.size else 0,
                                  bool(d.size == 0 or d.max() <= tolerance)))
        return QTrace(rows, self._device(device).name, isolated, tolerance)

    def onnxruntime_codes(self, *xs):
        """{quantized tensor name: int8 codes} of the source model on ONNX Runtime (uint8 codes
        shifted by -128, as fpgaops stores them)."""
        import onnx
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise UnsupportedError(f"trace needs onnxruntime: {e}") from None
        m = onnx.ModelProto()
        m.ParseFromString(self._source)
        have = {o.name for o in m.graph.output}
        produced = {o for n in m.graph.node for o in n.output}
        for q in set(self.source_names.values()):
            if q in produced and q not in have:
                m.graph.output.append(onnx.ValueInfoProto(name=q))
        sess = exact_int8_session(ort, m.SerializeToString())
        feeds = {i.name: np.ascontiguousarray(x, np.float32) for i, x in zip(sess.get_inputs(), xs)}
        out = {}
        for o, v in zip(sess.get_outputs(), sess.run(None, feeds)):
            if v.dtype == np.uint8:
                out[o.name] = (v.astype(np.int16) - 128).astype(np.int8)
            elif v.dtype == np.int8:
                out[o.name] = v
        return out


@dataclasses.dataclass
class QTraceRow:
    node: str
    op: str
    value: str
    shape: tuple
    differing: int      # codes that differ from ONNX Runtime's
    max_lsb: int        # the largest difference, in units of the value's scale
    ok: bool


class QTrace:
    """Layer-by-layer comparison of an imported int8 network with ONNX Runtime (``trace``)."""

    def __init__(self, rows, device, isolated, tolerance):
        self.rows, self.device, self.isolated, self.tolerance = rows, device, isolated, tolerance

    @property
    def ok(self):
        return all(r.ok for r in self.rows)

    @property
    def max_lsb(self):
        return max((r.max_lsb for r in self.rows), default=0)

    def __str__(self):
        from ..textout import table

        rows = [(r.node[:44], r.op, "x".join(map(str, r.shape)), r.differing,
                 f"{100.0 * r.differing / max(1, int(np.prod(r.shape))):.4f}", r.max_lsb, "ok" if r.ok else "DIFFERS")
                for r in self.rows]
        how = ("each layer fed ONNX Runtime's codes of its inputs" if self.isolated else
               "differences propagate from layer to layer")
        bad = [r for r in self.rows if not r.ok]
        verdict = (f"every int8 layer within {self.tolerance} LSB" if not bad else
                   f"{len(bad)} layer(s) beyond {self.tolerance} LSB, first '{bad[0].node}'")
        return (table(rows, ["node", "op", "shape", "codes differing", "%", "max LSB", "check"]) +
                f"\n\n{self.device} against onnxruntime ({how}): {verdict}")


# QOperator node -> (float op type, [(input index, scale index, zero-point index)] of its quantized
# inputs (activations or constant weights), index of its int32 bias or -1, (output scale index,
# output zero-point index))
QOPERATORS = {
    "QLinearConv": ("Conv", [(0, 1, 2), (3, 4, 5)], 8, (6, 7)),
    "QLinearMatMul": ("MatMul", [(0, 1, 2), (3, 4, 5)], -1, (6, 7)),
    "QGemm": ("Gemm", [(0, 1, 2), (3, 4, 5)], 6, (7, 8)),
    "QLinearAdd": ("Add", [(0, 1, 2), (3, 4, 5)], -1, (6, 7)),
    "QLinearMul": ("Mul", [(0, 1, 2), (3, 4, 5)], -1, (6, 7)),
    "QLinearGlobalAveragePool": ("GlobalAveragePool", [(0, 1, 2)], -1, (3, 4)),
    "QLinearAveragePool": ("AveragePool", [(0, 1, 2)], -1, (3, 4)),
    "QLinearSigmoid": ("Sigmoid", [(0, 1, 2)], -1, (3, 4)),
    "QLinearLeakyRelu": ("LeakyRelu", [(0, 1, 2)], -1, (3, 4)),
}
# ops that QOperator models apply directly to quantized codes: the output keeps the input's
# scale and zero point, so DequantizeLinear -> op -> QuantizeLinear with those is the same thing
CODE_OPS = ("MaxPool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Identity")


def qoperator_to_qdq(model):
    """The QDQ form of a QOperator model: a new ModelProto (the input is not changed)."""
    import onnx
    from onnx import helper

    src = model.graph
    inits = {t.name: t for t in src.initializer}
    g = onnx.GraphProto()
    g.CopyFrom(src)
    del g.node[:]
    nodes, new_inits = [], []
    qp = {}        # quantized value -> (scale name, zero-point name)
    dq = {}        # quantized value -> its DequantizeLinear output
    taken = {v for n in src.node for v in list(n.input) + list(n.output)} | set(inits)

    def fresh(base):
        name, i = base, 0
        while name in taken:
            i += 1
            name = f"{base}_{i}"
        taken.add(name)
        return name

    def dequant(v):
        """The DequantizeLinear output of activation v (made once, shared by its consumers)."""
        if v not in dq:
            if v not in qp:
                raise UnsupportedError(f"value '{v}' is used as a quantized tensor but no scale/zero point is "
                                       "known for it (it is neither a QuantizeLinear nor a QLinear* output)")
            s, z = qp[v]
            dq[v] = fresh(f"{v}_dequantized")
            nodes.append(helper.make_node("DequantizeLinear", [v, s, z], [dq[v]], name=fresh(f"{v}_DequantizeLinear")))
        return dq[v]

    def quant_out(fout, v, s, z):
        qp[v] = (s, z)
        nodes.append(helper.make_node("QuantizeLinear", [fout, s, z], [v], name=fresh(f"{v}_QuantizeLinear")))

    def const(name):
        if name not in inits:
            raise UnsupportedError(f"'{name}' must be a constant (initializer) in a QOperator model")
        return _np(inits[name])

    for n in src.node:
        op = n.op_type
        if op == "QuantizeLinear":
            nodes.append(n)
            qp[n.output[0]] = (n.input[1], n.input[2] if len(n.input) > 2 else "")
            continue
        if op == "DequantizeLinear":
            if n.input[0] not in inits and n.input[0] not in qp:
                qp[n.input[0]] = (n.input[1], n.input[2] if len(n.input) > 2 else "")
            nodes.append(n)
            continue
        if op in QOPERATORS:
            fop, qins, bidx, qout = QOPERATORS[op]
            ins = list(n.input)
            attrs = [a for a in n.attribute if not (op == "QLinearGlobalAveragePool" and a.name == "channels_last")]
            if op == "QLinearGlobalAveragePool" and any(a.name == "channels_last" and a.i for a in n.attribute):
                raise UnsupportedError(f"{n.name or op}: channels_last QLinearGlobalAveragePool is not supported")
            finputs = []
            for k, (i, si, zi) in enumerate(qins):
                v = ins[i]
                if v in inits:  # a constant operand (weights): DequantizeLinear of the initializer
                    s, z = ins[si], ins[zi] if zi < len(ins) else ""
                    sv = const(s)
                    axis = None
                    if np.size(sv) > 1:
                        w = const(v)
                        trans_b = next((a.i for a in n.attribute if a.name == "transB"), 0)
                        axis = 0 if fop == "Conv" or (fop == "Gemm" and trans_b) else w.ndim - 1
                    out = fresh(f"{v}_dequantized")
                    nodes.append(helper.make_node("DequantizeLinear", [v, s, z] if z else [v, s], [out],
                                                  name=fresh(f"{v}_DequantizeLinear"),
                                                  **({} if axis is None else {"axis": axis})))
                    finputs.append(out)
                else:
                    qp.setdefault(v, (ins[si], ins[zi] if zi < len(ins) else ""))
                    finputs.append(dequant(v))
            if bidx >= 0 and bidx < len(ins) and ins[bidx]:
                b = ins[bidx]
                const(b)
                xs = const(ins[qins[0][1]]).astype(np.float32).reshape(-1)
                ws = const(ins[qins[1][1]]).astype(np.float32).reshape(-1)
                bs = (xs * ws).astype(np.float32)   # the bias scale the operator defines (float32 product)
                sname, zname = fresh(f"{b}_scale"), fresh(f"{b}_zero_point")
                new_inits.append(onnx.numpy_helper.from_array(bs if bs.size > 1 else bs.reshape(()), sname))
                new_inits.append(onnx.numpy_helper.from_array(np.zeros(bs.shape if bs.size > 1 else (), np.int32),
                                                              zname))
                out = fresh(f"{b}_dequantized")
                nodes.append(helper.make_node("DequantizeLinear", [b, sname, zname], [out],
                                              name=fresh(f"{b}_DequantizeLinear"),
                                              **({"axis": 0} if bs.size > 1 else {})))
                finputs.append(out)
            if fop == "Gemm" and len(finputs) == 2 and any(a.name == "beta" for a in attrs):
                attrs = [a for a in attrs if a.name != "beta"]
            has_out_q = qout[0] < len(ins) and ins[qout[0]]
            fout = fresh(f"{n.output[0]}_float") if has_out_q else n.output[0]
            f = helper.make_node(fop, finputs, [fout], name=n.name or fresh(op))
            f.attribute.extend(attrs)
            nodes.append(f)
            if has_out_q:
                quant_out(fout, n.output[0], ins[qout[0]], ins[qout[1]] if qout[1] < len(ins) else "")
            continue
        if op.startswith("QLinear") or op in ("QAttention", "QEmbedLayerNormalization", "QOrderedMatMul"):
            raise UnsupportedError(f"{n.name or op}: the QOperator op {op} is not supported (supported: "
                                   f"{sorted(QOPERATORS)} and {list(CODE_OPS)} on quantized tensors)")
        qins = [i for i in n.input if i in qp]
        if not qins:
            nodes.append(n)   # a float op
            continue
        if op not in CODE_OPS or n.input[0] not in qp:
            raise UnsupportedError(f"{n.name or op}: {op} on a quantized tensor is not supported in QOperator models")
        f = onnx.NodeProto()
        f.CopyFrom(n)
        f.input[0] = dequant(n.input[0])
        fout = fresh(f"{n.output[0]}_float")
        f.output[0] = fout
        nodes.append(f)
        quant_out(fout, n.output[0], *qp[n.input[0]])
    for o in g.output:
        if o.name in qp and not any(n.op_type == "DequantizeLinear" and n.input[0] == o.name for n in nodes):
            raise UnsupportedError(f"graph output '{o.name}' is a quantized tensor; fpgaops loads models whose outputs "
                                   "are float (end the graph with DequantizeLinear)")
    g.node.extend(nodes)
    g.initializer.extend(new_inits)
    del g.value_info[:]
    m = onnx.ModelProto()
    m.CopyFrom(model)
    m.graph.CopyFrom(g)
    if not any(o.domain in ("", "ai.onnx") for o in m.opset_import):
        m.opset_import.append(helper.make_opsetid("", 13))
    return m
