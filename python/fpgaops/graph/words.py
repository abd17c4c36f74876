"""The int8 values that 1x1 convs read, for the int8 executor (quantize.py): the Conv producing one
may also write it in the layout the device's 1x1 convs read, and those convs then read that instead
of relaying the value out themselves (``ops.conv2d.conv2d_words``; opencl: docs/int8.md,
"MobileNetV2 int8 on OpenCL", change 7). The value itself is still written as always, so every other
reader, a residual input among them, is unaffected (docs/decisions.md).

Which producer and which consumer take the layout is the device's launcher's decision per call; here
only the graph's part: a value produced by an int8 Conv and read, as its input x, by at least one int8
1x1 stride-1 unpadded ungrouped Conv.
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
