"""The int8 values that 1x1 convs read, for the int8 executor (quantize.py): the Conv producing one
may also write it in the layout the device's 1x1 convs read, and those convs then read that instead
of relaying the value out themselves (``ops.conv2d.conv2d_words``; opencl: docs/int8.md,
"MobileNetV2 int8 on OpenCL", change 7). The value itself is still written as always, so every other
reader, a residual input among them, is unaffected (docs/decisions.md).

Which producer and which consumer take the layout is the device's launcher's decision per call; here
only the graph's part: a value produced by an int8 Conv and read, as its input x, by at least one int8
1x1 stride-1 unpadded ungrouped Conv. Also the graph's part of the other per-call fusion of the int8
executor: the expansion + depthwise pairs (``pwdw_pairs``).
"""


def _pointwise(g, n):
    if n.op != "Conv":
        return False
    w = g.shapes.get(n.inputs[1])
    a = n.attrs
    return (w is not None and len(w) == 4 and tuple(w[2:]) == (1, 1) and tuple(a["stride"]) == (1, 1)
            and not any(a["padding"]) and a["groups"] == 1)


def read_by_pointwise(g, int8_reason):
    """The names of the values of graph ``g`` made by an int8 Conv and read as x by an int8 1x1 Conv;
    ``int8_reason(g, n)`` is None for the nodes that run in int8 (QuantizedNetwork._int8_reason)."""
    made = {n.outputs[0] for n in g.nodes if n.op == "Conv" and int8_reason(g, n) is None}
    return {n.inputs[0] for n in g.nodes
            if _pointwise(g, n) and n.inputs[0] in made and int8_reason(g, n) is None}


def pwdw_pairs(g, int8_reason):
    """{expansion node name: its depthwise node} of graph ``g``, the pairs the int8 executor hands to
    ``ops.conv2d.conv2d_pwdw_words`` together (one launch where the device fuses them: opencl's
    pwdw_q): an int8 1x1 stride-1 unpadded ungrouped Conv without a residual whose output is no
    graph output and has exactly one reader, an int8 depthwise Conv (weight (K, 1, R, S), groups K)
    without a residual. (So the depthwise conv needs nothing made after the expansion, and running
    it right after the expansion changes no value.)"""
    readers = g.consumers()
    outs = set(g.outputs)
    pairs = {}
    for n in g.nodes:
        if (not _pointwise(g, n) or int8_reason(g, n) is not None or n.outputs[0] in outs
                or (len(n.inputs) > 3 and n.inputs[3])):
            continue
        rd = readers.get(n.outputs[0], [])
        if len(rd) != 1:
            continue
        d = rd[0]
        w = g.shapes.get(d.inputs[1]) if d.op == "Conv" else None
        if (w is not None and d.inputs[0] == n.outputs[0] and len(w) == 4 and w[1] == 1
                and d.attrs["groups"] == w[0] and not (len(d.inputs) > 3 and d.inputs[3])
                and int8_reason(g, d) is None):
            pairs[n.name] = d
    return pairs
