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
"""
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
    """(float ModelProto, {activation value: QParams}, {float const name: (codes, scales, zero points, axis)})."""
    import onnx

    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    bad = [n.op_type for n in g.node if n.op_type in ("QLinearConv", "QLinearMatMul", "QLinearAdd", "ConvInteger",
                                                      "MatMulInteger")]
    if bad:
        raise UnsupportedError(f"QOperator nodes {sorted(set(bad))} are not supported; export the model in QDQ format "
                               "(quant_format=QuantFormat.QDQ)")
    consts, qparams, keep, rename = {}, {}, [], {}
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
    return m, qparams, consts


def load_qdq(model):
    """A QuantizedNetwork from an ONNX QDQ model (path, bytes or ModelProto)."""
    import onnx

    from . import load_onnx

    if isinstance(model, (bytes, bytearray)):
        proto = onnx.load_from_string(bytes(model))
    elif isinstance(model, onnx.ModelProto):
        proto = model
    else:
        proto = onnx.load(model)
    fproto, qparams, consts = strip_qdq(proto)
    net = load_onnx(fproto, fuse=False)
    qnet = QuantizedNetwork(net, qparams, "qdq", True, (), {})
    qnet._qdq_consts = consts
    qnet._layer = _qdq_layer.__get__(qnet)
    return qnet


def _qdq_layer(self, g, n, qx, qy):
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
        return QuantizedNetwork._layer(self, g, n, qx, qy)
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
