"""Structured mutations of an ONNX ModelProto (each: rng, model -> description; edits in place).

They aim at what a byte flip rarely reaches: wrong dims (negative, huge, not matching the data),
wrong data types, unknown ops and domains, cycles, dangling inputs, duplicate names, missing
initializers, wrong attribute types and values, absurd declared sizes, odd opsets and metadata.
"""
import numpy as np
from onnx import AttributeProto, TensorProto, helper, numpy_helper

HUGE = (2**31, 2**32 + 3, 2**40, 2**62, 2**63 - 1)
OPS = ("Conv", "Relu", "Add", "Mul", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten",
       "Reshape", "Softmax", "BatchNormalization", "Concat", "Gather", "Slice", "Constant", "Shape", "Unsqueeze",
       "Squeeze", "Cast", "Identity", "Dropout", "Sigmoid", "Tanh", "HardSwish", "HardSigmoid", "LeakyRelu",
       "Transpose", "Sub", "Div", "Pow", "ReduceMean", "Sqrt", "Erf", "Gelu",
       "Foo", "", "Loop", "If", "LSTM", "Conv ", "conv", "QLinearConv", "\u00e9t\u00e9")


def _node(rng, m):
    return rng.choice(m.graph.node) if len(m.graph.node) else None


def _init(rng, m):
    return rng.choice(m.graph.initializer) if len(m.graph.initializer) else None


def dims(rng, m):
    t = _init(rng, m)
    if t is None:
        return "no initializer"
    d = list(t.dims)
    how = rng.randrange(6)
    if how == 0 and d:
        d[rng.randrange(len(d))] = -rng.choice((1, 3, 2**62))
    elif how == 1 and d:
        d[rng.randrange(len(d))] = rng.choice(HUGE)
    elif how == 2 and d:
        d[rng.randrange(len(d))] = 0
    elif how == 3:
        d = d[:-1] if d and rng.random() < 0.5 else d + [rng.choice((1, 2, 7))]
    elif how == 4:
        d = [rng.choice(HUGE)] * rng.randint(2, 4)  # product far beyond any limit (and beyond int64)
    else:
        rng.shuffle(d)
    del t.dims[:]
    t.dims.extend(d)
    return f"initializer {t.name!r} dims -> {d}"


def data(rng, m):
    t = _init(rng, m)
    if t is None:
        return "no initializer"
    how = rng.randrange(7)
    if how == 0:
        t.raw_data = t.raw_data[: rng.randrange(len(t.raw_data) + 1)]
        return f"initializer {t.name!r} raw_data truncated"
    if how == 1:
        t.raw_data = t.raw_data + bytes(rng.randrange(1, 9))
        return f"initializer {t.name!r} raw_data extended"
    if how == 2:
        t.ClearField("raw_data")
        return f"initializer {t.name!r} without data"
    if how == 3:
        t.data_type = rng.choice((0, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 17, 19, 21, 23, 99, 2**31 - 1))
        return f"initializer {t.name!r} data_type -> {t.data_type}"
    if how == 4:  # typed field holding the wrong count of values
        n = len(t.raw_data) // 4
        t.ClearField("raw_data")
        t.float_data.extend([0.5] * max(0, n + rng.choice((-1, 1, 0))))
        return f"initializer {t.name!r} float_data of {len(t.float_data)} values"
    if how == 5:
        t.data_location = TensorProto.EXTERNAL  # from bytes: there is no folder to read from
        e = t.external_data.add()
        e.key, e.value = "location", rng.choice(("w.bin", "../w.bin", "/etc/hostname", ""))
        return f"initializer {t.name!r} external data {e.value!r} (model given as bytes)"
    t.name = rng.choice(("", t.name + "_renamed"))
    return f"initializer renamed to {t.name!r}"


def op_type(rng, m):
    n = _node(rng, m)
    if n is None:
        return "no node"
    n.op_type = rng.choice(OPS)
    return f"node {n.name!r} op -> {n.op_type!r}"


def domain(rng, m):
    n = _node(rng, m)
    if n is None:
        return "no node"
    n.domain = rng.choice(("com.example", "ai.onnx.ml", "com.microsoft", "ai.onnx", "ai.onnx.preview.training"))
    if rng.random() < 0.5:
        m.opset_import.append(helper.make_opsetid(n.domain, rng.choice((1, 3))))
    return f"node {n.name!r} domain -> {n.domain!r}"


def cycle(rng, m):
    nodes = m.graph.node
    if not nodes:
        return "no node"
    i = rng.randrange(len(nodes))
    k = rng.randrange(i, len(nodes))  # itself or a later node: a cycle once sorted
    if not nodes[i].input or not nodes[k].output:
        return "no edge"
    j = rng.randrange(len(nodes[i].input))
    nodes[i].input[j] = nodes[k].output[0]
    return f"node {i} input {j} <- output of node {k} (cycle)"


def dangling(rng, m):
    n = _node(rng, m)
    if n is None or not n.input:
        return "no input"
    j = rng.randrange(len(n.input))
    n.input[j] = rng.choice(("nowhere", "x ", "\u2603"))
    return f"node {n.name!r} input {j} -> {n.input[j]!r} (dangling)"


def duplicate(rng, m):
    g = m.graph
    how = rng.randrange(6)
    if how == 0 and g.node:
        g.node.append(g.node[rng.randrange(len(g.node))])
        return "a node appended twice (same outputs)"
    if how == 1 and g.initializer:
        t = TensorProto()
        t.CopyFrom(_init(rng, m))
        del t.dims[:]
        t.dims.extend([1])
        t.raw_data = b"\0\0\0\0"
        t.data_type = TensorProto.FLOAT
        g.initializer.append(t)
        return f"initializer {t.name!r} twice, other shape"
    if how == 2 and g.node and g.input and all(n.output for n in g.node):
        g.node[rng.randrange(len(g.node))].output[0] = g.input[0].name
        return "a node writes the graph input"
    if how == 3 and g.initializer and all(n.output for n in g.node):
        g.node[rng.randrange(len(g.node))].output[0] = _init(rng, m).name
        return "a node writes an initializer"
    if how == 4 and g.input:
        g.input.append(g.input[0])
        return "graph input listed twice"
    if g.node:
        name = g.node[0].name or "n"
        for n in g.node:
            n.name = name
        return "every node has the same name"
    return "nothing to duplicate"


def missing(rng, m):
    g = m.graph
    if not g.initializer:
        return "no initializer"
    i = rng.randrange(len(g.initializer))
    name = g.initializer[i].name
    del g.initializer[i]
    return f"initializer {name!r} removed"


def _bad_attr(rng, name):
    how = rng.randrange(8)
    if how == 0:
        return helper.make_attribute(name, rng.choice((0.5, -1.0, float("nan"), float("inf"))))
    if how == 1:
        return helper.make_attribute(name, rng.choice((b"SAME", b"\xff\xfe", b"")))
    if how == 2:
        return helper.make_attribute(name, rng.choice((0, -1, -2**62, 2**62, 1 << 40)))
    if how == 3:
        return helper.make_attribute(name, [rng.choice((0, -1, 2**62, 1 << 20, 3)) for _ in range(rng.randint(1, 9))])
    if how == 4:
        return helper.make_attribute(name, [], attr_type=rng.choice((AttributeProto.INTS, AttributeProto.FLOATS)))
    if how == 5:
        return helper.make_attribute(name, numpy_helper.from_array(np.zeros((2, 2), np.float32)))
    if how == 6:
        return helper.make_attribute(name, helper.make_graph([], "sub", [], []))
    a = AttributeProto()
    a.name, a.type = name, rng.choice((AttributeProto.INT, AttributeProto.TENSOR, AttributeProto.UNDEFINED,
                                    AttributeProto.SPARSE_TENSOR, AttributeProto.TYPE_PROTO, AttributeProto.STRINGS))
    return a  # type set, value missing


ATTR_NAMES = ("kernel_shape", "strides", "pads", "dilations", "group", "axis", "transA", "transB", "alpha", "beta",
              "epsilon", "ceil_mode", "auto_pad", "count_include_pad", "allowzero", "to", "value", "keepdims",
              "axes", "perm", "min", "max", "storage_order", "zzz_unknown")


def attribute(rng, m):
    n = _node(rng, m)
    if n is None:
        return "no node"
    how = rng.randrange(3)
    if how == 0 and n.attribute:
        i = rng.randrange(len(n.attribute))
        name = n.attribute[i].name
        del n.attribute[i]
        return f"node {n.name!r} attribute {name} removed"
    name = rng.choice([a.name for a in n.attribute] or list(ATTR_NAMES)) if how == 1 else rng.choice(ATTR_NAMES)
    keep = [a for a in n.attribute if a.name != name]
    del n.attribute[:]
    n.attribute.extend(keep)
    a = _bad_attr(rng, name)
    n.attribute.append(a)
    return f"node {n.name!r} attribute {name} -> type {a.type}"


def graph_io(rng, m):
    g = m.graph
    how = rng.randrange(8)
    vi = g.input[0] if g.input else None
    if how == 0 and vi is not None:
        vi.type.tensor_type.elem_type = rng.choice((0, 7, 10, 11, 16, 99))
        return f"input elem_type -> {vi.type.tensor_type.elem_type}"
    if how == 1 and vi is not None:
        shp = vi.type.tensor_type.shape
        del shp.dim[:]
        for _ in range(rng.choice((0, 1, 7))):
            shp.dim.add().dim_value = rng.choice((1, 2))
        return f"input rank -> {len(shp.dim)}"
    if how == 2 and vi is not None and vi.type.tensor_type.shape.dim:
        d = rng.choice(vi.type.tensor_type.shape.dim)
        d.dim_value = rng.choice((2**31, 10**9, -5, 0) + HUGE)
        return f"input dim -> {d.dim_value}"
    if how == 3 and vi is not None:
        vi.type.ClearField("tensor_type")
        if rng.random() < 0.5:
            vi.type.sequence_type.elem_type.tensor_type.elem_type = 1
        return "input is not a tensor"
    if how == 4:
        del g.input[:]
        return "no graph input"
    if how == 5:
        del g.output[:]
        return "no graph output"
    if how == 6 and g.output:
        g.output[0].name = rng.choice(("nowhere", g.input[0].name if g.input else "x", ""))
        return f"graph output -> {g.output[0].name!r}"
    g.output.append(g.output[0] if g.output else helper.make_tensor_value_info("y", 1, None))
    return "graph output listed twice"


def opset(rng, m):
    how = rng.randrange(5)
    if how == 0 and m.opset_import:
        m.opset_import[0].version = rng.choice((0, -1, 1, 7, 9, 10, 11, 13, 17, 21, 22, 25, 26, 2**62))
        return f"opset -> {m.opset_import[0].version}"
    if how == 1:
        del m.opset_import[:]
        return "no opset_import"
    if how == 2:
        m.opset_import.append(helper.make_opsetid("", rng.choice((9, 13, 25))))
        return "two default-domain opsets"
    if how == 3:
        m.ir_version = rng.choice((0, -1, 1, 3, 11, 99, 2**62))
        return f"ir_version -> {m.ir_version}"
    if m.opset_import:
        m.opset_import[0].domain = rng.choice(("ai.onnx.ml", "x", "ai.onnx"))
    return "default opset domain renamed"


def metadata(rng, m):
    del m.metadata_props[:]
    v = rng.choice(("1,3,-5,8", "1,3,100000,100000", "a,b", "", "1,3,8", "0,3,8,8", "1," * 40 + "1",
                    "99999999999999999999999,3,8,8", "1,3,4,4"))
    helper.set_model_props(m, {"fpgaops.default_input_shape": v})
    return f"default_input_shape {v!r}"


def node_shape(rng, m):
    g = m.graph
    if not g.node:
        return "no node"
    i = rng.randrange(len(g.node))
    n = g.node[i]
    how = rng.randrange(7)
    if how == 0:
        del g.node[i]
        return f"node {i} removed"
    if how == 1 and n.input:
        n.input[rng.randrange(len(n.input))] = ""
        return f"node {i} ({n.op_type}) an input omitted"
    if how == 2:
        n.input.append(rng.choice((g.input[0].name if g.input else "x", "")))
        return f"node {i} ({n.op_type}) one input more"
    if how == 3 and n.input:
        del n.input[-1]
        return f"node {i} ({n.op_type}) last input dropped"
    if how == 4:
        n.output.append(rng.choice(("extra", "")))
        return f"node {i} ({n.op_type}) one output more"
    if how == 5:
        del n.output[:]
        return f"node {i} ({n.op_type}) without outputs"
    j = rng.randrange(len(g.node))
    a, b = g.node[i], g.node[j]
    ta, tb = type(a)(), type(b)()
    ta.CopyFrom(a)
    tb.CopyFrom(b)
    g.node[i].CopyFrom(tb)
    g.node[j].CopyFrom(ta)
    return f"nodes {i} and {j} swapped"


def constant(rng, m):
    """A Constant node with odd contents feeding an existing node."""
    g = m.graph
    if not g.node or not g.node[-1].input:
        return "no node"
    how = rng.randrange(10)
    if how == 6:
        sp = helper.make_sparse_tensor(numpy_helper.from_array(np.ones(2, np.float32), "v"),
                                       numpy_helper.from_array(np.array([0, 3], np.int64), "i"), [4])
        c = helper.make_node("Constant", [], ["cst"], sparse_value=sp)
    elif how in (7, 8):
        c = helper.make_node("Constant", [], ["cst"])
        c.attribute.append(_bad_attr(rng, rng.choice(("value", "value_float", "value_ints", "value_string"))))
    elif how == 9:
        c = helper.make_node("Constant", [], ["cst"], value_float=1.0, value_ints=[1, 2])  # two values
    elif how == 0:
        t = TensorProto(name="c", data_type=TensorProto.FLOAT, dims=[rng.choice(HUGE)])  # declared, no data
        c = helper.make_node("Constant", [], ["cst"], value=t)
    elif how == 1:
        c = helper.make_node("Constant", [], ["cst"], value_floats=[1.0, 2.0])
    elif how == 2:
        c = helper.make_node("Constant", [], ["cst"], value_string="s")
    elif how == 3:
        c = helper.make_node("Constant", [], ["cst"])
    elif how == 4:
        c = helper.make_node("Constant", [], ["cst"], value_ints=[2**62, -1])
    else:
        c = helper.make_node("Constant", [], ["cst"], value=numpy_helper.from_array(np.full((2, 2), np.nan, np.float32)))
    g.node.insert(0, c)
    k = rng.randrange(len(g.node))
    if g.node[k].input:
        g.node[k].input[rng.randrange(len(g.node[k].input))] = "cst"
    return f"Constant variant {how} feeds node {k}"


def huge_activation(rng, m):
    """A Reshape / shape constant asking for an absurd activation."""
    g = m.graph
    ints = [t for t in g.initializer if t.data_type == TensorProto.INT64 and t.raw_data and len(t.raw_data) % 8 == 0]
    if ints:
        t = rng.choice(ints)
        vals = np.frombuffer(t.raw_data, np.int64).copy()
        vals[rng.randrange(len(vals))] = rng.choice((-2, 0, 2**31, 2**40, -2**63))
        t.raw_data = vals.tobytes()
        return f"int64 initializer {t.name!r} -> {vals.tolist()}"
    if g.input and g.input[0].type.tensor_type.shape.dim:
        for d in g.input[0].type.tensor_type.shape.dim[1:]:
            d.dim_value = 1 << 20
        return "input spatial dims 2**20"
    return "nothing"


MUTATORS = (dims, data, op_type, domain, cycle, dangling, duplicate, missing, attribute, graph_io, opset, metadata,
            node_shape, constant, huge_activation)


# --- variations that keep the model valid: the run is then checked against ONNX Runtime -------------

def weights(rng, m):
    """New finite float32 values for one initializer (same shape)."""
    ts = [t for t in m.graph.initializer if t.data_type == TensorProto.FLOAT and t.raw_data]
    if not ts:
        return "no float initializer"
    t = rng.choice(ts)
    n = len(t.raw_data) // 4
    scale = rng.choice((1e-3, 1.0, 30.0))
    vals = np.random.default_rng(rng.randrange(2**32)).standard_normal(n).astype(np.float32) * np.float32(scale)
    if rng.random() < 0.3:
        vals[: max(1, n // 4)] = 0  # zeros (and negative zeros) in the weights
    t.raw_data = vals.tobytes()
    return f"initializer {t.name!r} new values (scale {scale})"


def _set_ints(n, name, value):
    keep = [a for a in n.attribute if a.name != name]
    del n.attribute[:]
    n.attribute.extend(keep + [helper.make_attribute(name, value)])


def geometry(rng, m):
    """Another valid stride / padding / dilation / pooling window / transpose / input size."""
    g = m.graph
    convs = [n for n in g.node if n.op_type in ("Conv", "MaxPool", "AveragePool")]
    how = rng.randrange(4)
    if how == 0 and convs:
        n = rng.choice(convs)
        s = rng.choice((1, 2, 3))
        _set_ints(n, "strides", [s, rng.choice((1, s))])
        return f"{n.name or n.op_type} strides {s}"
    if how == 1 and convs:
        n = rng.choice(convs)
        k = next((list(a.ints) for a in n.attribute if a.name == "kernel_shape"), [1, 1])
        p = [rng.randrange(k[0]), rng.randrange(k[1])]
        _set_ints(n, "pads", p * 2 if rng.random() < 0.8 else [p[0], p[1], 0, 0])
        if n.op_type == "Conv" and rng.random() < 0.3:
            _set_ints(n, "dilations", [rng.choice((1, 2))] * 2)
        return f"{n.name or n.op_type} pads {p}"
    if how == 2:
        gem = [n for n in g.node if n.op_type == "Gemm"]
        if gem:
            n = rng.choice(gem)
            keep = [a for a in n.attribute if a.name not in ("alpha", "beta")]
            del n.attribute[:]
            n.attribute.extend(keep + [helper.make_attribute("alpha", rng.choice((0.5, 1.0, -2.0))),
                                       helper.make_attribute("beta", rng.choice((0.0, 1.0, 3.0)))])
            return f"{n.name or 'Gemm'} alpha/beta"
    hw = rng.choice((1, 3, 5, 8, 11))
    for p in m.metadata_props:
        if p.key == "fpgaops.default_input_shape":
            p.value = f"{rng.choice((1, 2))},3,{hw},{rng.choice((hw, 4, 9))}"
            return f"input shape {p.value}"
    return "nothing"


UNARY = ("Relu", "Sigmoid", "Tanh", "LeakyRelu", "HardSwish", "HardSigmoid", "Identity", "Softplus", "Elu")


def activation(rng, m):
    """Swap a unary activation for another (with valid attributes), or vary pooling flags."""
    g = m.graph
    acts = [n for n in g.node if n.op_type in UNARY and len(n.input) == 1]
    pools = [n for n in g.node if n.op_type in ("MaxPool", "AveragePool")]
    if pools and (not acts or rng.random() < 0.3):
        n = rng.choice(pools)
        flag = "ceil_mode" if n.op_type == "MaxPool" or rng.random() < 0.5 else "count_include_pad"
        _set_ints(n, flag, rng.choice((0, 1)))
        return f"{n.name or n.op_type} {flag}"
    if not acts:
        return "no activation"
    n = rng.choice(acts)
    n.op_type = rng.choice(UNARY)
    del n.attribute[:]
    if n.op_type == "LeakyRelu":
        n.attribute.append(helper.make_attribute("alpha", rng.choice((0.01, 0.2, -1.5))))
    if n.op_type == "HardSigmoid":
        n.attribute.extend([helper.make_attribute("alpha", rng.choice((0.2, 1 / 6))),
                            helper.make_attribute("beta", 0.5)])
    if n.op_type == "Elu":
        n.attribute.append(helper.make_attribute("alpha", rng.choice((1.0, 0.5))))
    return f"{n.name or 'node'} -> {n.op_type}"


VALID = (weights, geometry, activation)
