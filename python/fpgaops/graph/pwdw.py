"""An inverted-residual block's expansion 1x1 conv and the depthwise conv reading it as one node
(``fuse_pwdw``, run by passes.optimize on float graphs).

MobileNetV2-style blocks run Conv 1x1 (C -> E, act) -> depthwise Conv 3x3 / 5x5 (E, stride 1 / 2,
act). Unfused, the expanded tensor (E channels at the block's input resolution: 4.8 MB at
MobileNetV2's 112x112 16 -> 96 layer) is written by the 1x1 launch and read back by the depthwise
one. ``PwDw`` computes both in one launch on opencl (kernels/opencl/pwdw.cl: each work-item
computes the expanded rows its output strip needs into private memory), inputs
[x, w1, b1, w2, b2] (biases "" when absent), output the depthwise's; attrs ``act1`` (the 1x1's
epilogue activation), ``stride``, ``padding``, ``act2`` (the depthwise's). Elsewhere, and for
geometries the kernel does not take, the unfused convs run (``run_device``, ``run_numpy``); they
define the result and the kernel repeats their arithmetic bit for bit.

The match is strict: the 1x1 conv has stride 1, no padding, groups 1, no residual or input scale,
and its output has exactly one reader (not a graph output): a depthwise conv (groups == E, one
output channel per channel) 3x3 or 5x5, stride (1, 1) or (2, 2), dilation 1, padding (S - 1) / 2
both ways, no residual, output rows of at most dwconv.opencl.row_max_ow columns (pwdw.cl runs
dwconv_row's row code). And only where it pays: output rows of at least dwconv.opencl.pw_min_ow
columns (narrower rows are 8-lane vectors, one per row: the pointwise part runs at half width) and
an expanded tensor of at least dwconv.opencl.pw_min_bytes bytes per sample (the measurements:
docs/networks.md).
"""
from .. import config
from ..backends.base import backend_of
from .ir import Node

ACTS = (None, "relu", "relu6", "hardsigmoid", "hardswish", "sigmoid", "silu")  # the conv epilogue's


def _pointwise(g, n):
    if n.op != "Conv":
        return False
    a = n.attrs
    w = g.shapes.get(n.inputs[1])
    return (w is not None and tuple(w[2:]) == (1, 1) and tuple(a["stride"]) == (1, 1)
            and not any(a["padding"]) and a["groups"] == 1 and len(n.inputs) == 4 and not n.inputs[3]
            and a["activation"] in ACTS and n.inputs[1] in g.consts)


def _depthwise(g, n, e, cfg):
    if n.op != "Conv":
        return False
    a = n.attrs
    w = g.shapes.get(n.inputs[1])
    y = g.shapes.get(n.outputs[0])
    if w is None or y is None or len(n.inputs) != 4 or n.inputs[3] or n.inputs[1] not in g.consts:
        return False
    r, s = w[2:]
    st = tuple(a["stride"])
    return (tuple(w[:2]) == (e, 1) and a["groups"] == e and (r, s) in ((3, 3), (5, 5)) and st in ((1, 1), (2, 2))
            and tuple(a["dilation"]) == (1, 1) and tuple(a["padding"]) == ((r - 1) // 2, (s - 1) // 2)
            and a["activation"] in ACTS and cfg.pw_min_ow <= y[3] <= cfg.row_max_ow)


def fuse_pwdw(g, min_bytes=None):
    """Conv 1x1 -> depthwise Conv -> one ``PwDw`` node (module docstring). ``min_bytes``: the
    expanded tensor's least bytes per sample (default dwconv.opencl.pw_min_bytes)."""
    cfg = config.current().dwconv.opencl
    min_bytes = cfg.pw_min_bytes if min_bytes is None else min_bytes
    users = g.consumers()
    dropped, replace = set(), {}
    for pw in g.nodes:
        if id(pw) in dropped or not _pointwise(g, pw):
            continue
        mid = pw.outputs[0]
        rd = users.get(mid, [])
        es = g.shapes.get(mid)
        if len(rd) != 1 or mid in g.outputs or es is None or len(es) != 4 or rd[0].inputs[0] != mid:
            continue
        dw = rd[0]
        if id(dw) in replace or not _depthwise(g, dw, es[1], cfg) or 4 * es[1] * es[2] * es[3] < min_bytes:
            continue
        a = dw.attrs
        node = Node(pw.name + "/pwdw", "PwDw", [pw.inputs[0], pw.inputs[1], pw.inputs[2], dw.inputs[1], dw.inputs[2]],
                    list(dw.outputs), {"act1": pw.attrs["activation"], "stride": tuple(a["stride"]),
                                       "padding": tuple(a["padding"]), "act2": a["activation"]},
                    pw.origin + dw.origin)
        replace[id(pw)] = node
        dropped.add(id(dw))
    if replace:
        g.nodes = [replace.get(id(m), m) for m in g.nodes if id(m) not in dropped]
    return g


# --- execution: the unfused convs, which define the result ---------------------------------------

def run_numpy(n, args):
    """The node's output (a list of one) in NumPy: the host op (lower.HOST_OPS) and the oracle."""
    import numpy as np

    from . import refops
    from .refops import np_act

    x, w1, b1, w2, b2 = (None if v is None else np.asarray(v) for v in args)
    a = n.attrs
    h = refops.conv2d(x, w1, b1, (1, 1), (0, 0, 0, 0), (1, 1), 1)
    h = np_act(a["act1"], h) if a["act1"] else h
    p = a["padding"]
    y = refops.conv2d(h, w2, b2, a["stride"], (p[0], p[1], p[0], p[1]), (1, 1), w2.shape[0])
    return [np_act(a["act2"], y) if a["act2"] else y]


def run_device(n, x, w1, b1, w2, b2):
    """The device op (devops.DEVICE_OPS): one launch where the backend has a pwdw launcher (opencl's
    pwdw_row) and it takes the geometry (its ``shape``); elsewhere the two convs."""
    import fpgaops as fo

    a = n.attrs
    dev = backend_of(x)
    if dev is not None and dev.has_family("pwdw") and all(t is None or backend_of(t) is dev for t in (w1, b1, w2, b2)):
        pwdw = dev.launcher("pwdw")
        if pwdw.shape(dev, x.shape[2], x.shape[3], w2.shape[2], w2.shape[3], a["stride"], a["padding"]):
            return pwdw.run(dev, x, w1, b1, a["act1"], w2, b2, a["act2"], a["stride"], a["padding"])
    h = fo.conv2d(x, w1, b1, activation=a["act1"])
    return fo.conv2d(h, w2, b2, stride=a["stride"], padding=a["padding"], groups=w2.shape[0], activation=a["act2"])
