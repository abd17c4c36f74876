"""Execution of one lowered graph node, shared by the float runner (runner.py) and the int8 runner
(quantize.py): NumPy (the independent oracle), host ops and fallbacks, or the device op."""
import numpy as np

from . import passes, refops
from .devops import DEVICE_OPS, _fo, on_device
from .ir import ModelError
from .refops import np_act


# --- NumPy execution of lowered nodes (the independent oracle) ---------------------------------

def np_node(n, args, opset):
    a = n.attrs
    if n.op == "Conv":
        x, w, b, r = args[:4]
        if len(args) > 4 and args[4] is not None:  # passes.fuse_se_scale: the Mul it replaced
            x = refops.run("Mul", [x, args[4]], {}, opset)[0]
        pd = a["padding"]
        y = refops.conv2d(x, w, b, a["stride"], (pd[0], pd[1], pd[0], pd[1]), a["dilation"], a["groups"])
        if r is not None:
            y = (y.astype(np.float64) + r).astype(np.float32)
        return np_act(a["activation"], y) if a["activation"] else y
    if n.op == "Act":
        return np_act(a["kind"], args[0], a["params"])
    if n.op in ("Add", "Mul"):
        y = refops.run(n.op, args, {}, opset)[0]
        return np_act(a["activation"], y) if a["activation"] else y
    if n.op in ("MaxPool", "AvgPool"):
        p = a["padding"]
        return refops.pool2d(args[0], "max" if n.op == "MaxPool" else "avg", a["kernel_size"], a["stride"],
                             (p[0], p[1], p[0], p[1]), a.get("dilation", (1, 1)), a["ceil_mode"],
                             a.get("count_include_pad", False))
    if n.op == "GlobalAvgPool":
        return refops.op_gap(args, {}, opset)[0]
    if n.op == "SEGate":  # passes.fuse_se: the pool and the two 1x1 convs it replaced
        x, w1, b1, w2, b2 = args[:5]
        h = refops.op_gap([x], {}, opset)[0]
        for w, b, act, tab, mul in ((w1, b1, a["act1"], a["tab1"], a["mul1"]),
                                    (w2, b2, a["act2"], a["tab2"], a["mul2"])):
            h = refops.conv2d(h, w, b, (1, 1), (0, 0, 0, 0), (1, 1), 1)
            h = np_act(act, h) if act else h
            if tab:
                h = h * np_act(tab, h) if mul else np_act(tab, h)
        return h
    if n.op == "Gemm":
        return refops.run("Gemm", args, {"alpha": a["alpha"], "beta": a["beta"], "transA": int(a["trans_a"]),
                                         "transB": int(a["trans_b"])}, opset)[0]
    if n.op == "MatMul":
        return refops.run("MatMul", args, {}, opset)[0]
    if n.op == "Softmax":
        return refops.run("Softmax", args, {"axis": a["dim"]}, 13)[0]
    if n.op == "View":
        return args[0].reshape(a["shape"])
    if n.op == "Fallback":
        return refops.run(a["onnx_op"], args, a["onnx_attrs"], opset)[0]
    if n.op in passes.HOST_OPS:
        return passes.HOST_OPS[n.op](n, args)
    raise ModelError(f"no NumPy execution for lowered op {n.op}", n.name)


def _host_out(v):
    # np.require keeps a 0-d result 0-d (np.ascontiguousarray would make it shape (1,))
    return np.require(v, dtype=np.float32, requirements="C")


def run_node(n, args, opset, dev, numpy):
    """Run one lowered node: in NumPy (the oracle), as a host op (outputs copied to ``dev``), or on the device."""
    fo = _fo()
    if numpy:
        return np_node(n, args, opset)
    if n.op == "Fallback":
        host = [a if a is None or isinstance(a, np.ndarray) else a.numpy() for a in args]
        return fo.to_device(_host_out(refops.run(n.attrs["onnx_op"], host, n.attrs["onnx_attrs"], opset)[0]), dev)
    if not on_device(n.op, dev):  # a host op (passes.HOST_OPS); every output is returned
        host = [a if a is None or isinstance(a, np.ndarray) else a.numpy() for a in args]
        outs = passes.HOST_OPS[n.op](n, host)
        return [fo.to_device(_host_out(v), dev) for v in outs]
    return DEVICE_OPS[n.op](n, *args)
