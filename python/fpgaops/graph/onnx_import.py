"""ONNX -> IR, defensively: a model file is untrusted input.

* the file must parse as an ONNX ModelProto (truncated / foreign files raise ModelError);
* every tensor's size is checked (dims >= 0, bytes <= MAX_TENSOR_BYTES, raw data length matches)
  before anything is allocated;
* external data must resolve inside the model's folder: absolute paths, ``..`` and symlinks that
  leave the folder are refused, and offset/length must lie inside the file (nothing is ever
  written);
* opsets 7-25 of the default domain (onnx_opsets.py): models below 11 are converted up with
  onnx.version_converter, and every node must resolve to an operator version fpgaops implements;
  subgraphs and other domains are unsupported;
* cycles are found by a topological sort, missing initializers by name.
"""
import os

import numpy as np

from . import onnx_opsets, refops
from .ir import Graph, ModelError, Node, UnsupportedOpsError
from .onnx_opsets import OPSET_MAX, OPSET_MIN
MAX_MODEL_BYTES = 2**31          # protobuf's own limit
MAX_TENSOR_BYTES = 2**31 - 1     # one weight tensor (a ResNet-50 has ~100 MB in total)
MAX_TOTAL_BYTES = 2**33

_NP = {1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16, 6: np.int32, 7: np.int64,
       9: np.bool_, 10: np.float16, 11: np.float64, 12: np.uint32, 13: np.uint64}


def _onnx():
    try:
        import onnx
    except ImportError:
        from ..errors import UnsupportedError
        raise UnsupportedError("loading ONNX models needs the 'onnx' package: pip install 'fpgaops[onnx]'") from None
    return onnx


def _check_text(msg, where="model"):
    """protobuf keeps a proto2 ``string`` field that is not valid UTF-8 as bytes: refuse it here,
    once, so no later code meets a bytes name. Numeric and bytes fields are not looked into."""
    for fd, value in msg.ListFields():
        if fd.type not in (fd.TYPE_STRING, fd.TYPE_MESSAGE):
            continue
        repeated = fd.is_repeated if hasattr(fd, "is_repeated") else fd.label == fd.LABEL_REPEATED
        for v in (value if repeated else (value,)):
            if fd.type == fd.TYPE_MESSAGE:
                _check_text(v, f"{where}.{fd.name}")
            elif not isinstance(v, str):
                raise ModelError(f"{where}.{fd.name}: {bytes(v)[:40]!r} is not valid UTF-8 text")


def _read_model(source):
    onnx = _onnx()
    if isinstance(source, onnx.ModelProto):
        _check_text(source)
        return source, None
    if isinstance(source, (bytes, bytearray)):
        data, base = bytes(source), None
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise ModelError(f"model file {path!r} does not exist or is not a regular file")
        size = os.path.getsize(path)
        if size > MAX_MODEL_BYTES:
            raise ModelError(f"model file {path!r} is {size} bytes, above the protobuf limit of 2 GiB "
                             "(store the weights as external data)")
        with open(path, "rb") as f:
            data = f.read()
        base = os.path.dirname(os.path.abspath(path))
    else:
        raise ModelError(f"expected a path, bytes or onnx.ModelProto, got {type(source).__name__}")
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as e:  # google.protobuf.message.DecodeError and friends
        raise ModelError(f"not a valid ONNX file (truncated or another format): {e}") from None
    if not data or model.ir_version <= 0 or not model.HasField("graph") or not model.opset_import:
        raise ModelError("not a valid ONNX file: no IR version, graph or opset (truncated or another format?)")
    _check_text(model)
    return model, base


def _external(t, base, total):
    """Bytes of a tensor stored as external data, confined to the model's folder."""
    info = {e.key: e.value for e in t.external_data}
    loc = info.get("location", "")
    if base is None:
        raise ModelError(f"tensor '{t.name}' uses external data '{loc}' but the model was not loaded from a "
                         "file; pass the path instead")
    if not loc or os.path.isabs(loc) or loc.startswith(("/", "\\")) or ".." in loc.replace("\\", "/").split("/") \
            or ":" in loc or "\x00" in loc:
        raise ModelError(f"tensor '{t.name}': external data location {loc!r} must be a relative path inside "
                         "the model's folder")
    root = os.path.realpath(base)
    full = os.path.realpath(os.path.join(root, loc))
    if os.path.commonpath([root, full]) != root:
        raise ModelError(f"tensor '{t.name}': external data {loc!r} resolves outside the model's folder")
    if not os.path.isfile(full):
        raise ModelError(f"tensor '{t.name}': external data file {loc!r} not found")
    try:
        offset = int(info.get("offset", 0))
        length = int(info["length"]) if "length" in info else os.path.getsize(full) - offset
    except ValueError:
        raise ModelError(f"tensor '{t.name}': bad external data offset/length {info}") from None
    if offset < 0 or length < 0 or offset + length > os.path.getsize(full):
        raise ModelError(f"tensor '{t.name}': external data range [{offset}, {offset + length}) lies outside "
                         f"{loc!r} ({os.path.getsize(full)} bytes)")
    with open(full, "rb") as f:
        f.seek(offset)
        return f.read(length)


def tensor_to_numpy(t, base=None, total=None):
    onnx = _onnx()
    from onnx import numpy_helper

    if t.data_type not in _NP:
        raise ModelError(f"tensor '{t.name}': unsupported data type {t.data_type}")
    dims = [int(d) for d in t.dims]
    if any(d < 0 for d in dims):
        raise ModelError(f"tensor '{t.name}': negative dimension in {dims}")
    dtype = np.dtype(_NP[t.data_type])
    count = int(np.prod(dims, dtype=object)) if dims else 1
    nbytes = count * dtype.itemsize
    if nbytes > MAX_TENSOR_BYTES:
        raise ModelError(f"tensor '{t.name}': {dims} x {dtype} is {nbytes} bytes, above the limit of "
                         f"{MAX_TENSOR_BYTES} bytes")
    if total is not None:
        total[0] += nbytes
        if total[0] > MAX_TOTAL_BYTES:
            raise ModelError(f"the model's tensors exceed {MAX_TOTAL_BYTES} bytes in total")
    if t.data_location == onnx.TensorProto.EXTERNAL:
        raw = _external(t, base, total)
        if len(raw) != nbytes:
            raise ModelError(f"tensor '{t.name}': external data holds {len(raw)} bytes, expected {nbytes}")
        return np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(dims)
    if t.HasField("raw_data"):
        if len(t.raw_data) != nbytes:
            raise ModelError(f"tensor '{t.name}': raw data holds {len(t.raw_data)} bytes, expected {nbytes} "
                             f"for shape {dims} {dtype}")
    else:
        fields = {np.dtype(np.float32): t.float_data, np.dtype(np.float64): t.double_data,
                  np.dtype(np.int64): t.int64_data}
        have = len(fields.get(dtype, t.int32_data))
        if have != count:
            raise ModelError(f"tensor '{t.name}': holds {have} values, expected {count} for shape {dims}")
    try:
        return np.array(numpy_helper.to_array(t))
    except Exception as e:
        raise ModelError(f"tensor '{t.name}': cannot decode: {e}") from None


def _attrs(node, base, total):
    from onnx import AttributeProto, helper

    out = {}
    for a in node.attribute:
        if a.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS):
            out[a.name] = "<subgraph>"
        elif a.type == AttributeProto.TENSOR:
            out[a.name] = tensor_to_numpy(a.t, base, total)
        elif a.type == AttributeProto.STRING:
            out[a.name] = a.s.decode("utf-8", "replace")
        else:
            v = helper.get_attribute_value(a)
            out[a.name] = list(v) if isinstance(v, (list, tuple)) or type(v).__name__.startswith("Repeated") else v
    return out


# (min inputs, max inputs) per op; None = unbounded
ARITY = {"Conv": (2, 3), "BatchNormalization": (5, 5), "Clip": (1, 3), "Mul": (2, 2), "Add": (2, 2),
         "Sub": (2, 2), "Div": (2, 2), "Pow": (2, 2), "Reshape": (2, 2), "Gemm": (2, 3), "MatMul": (2, 2),
         "Constant": (0, 0), "Gather": (2, 2), "Unsqueeze": (1, 2), "Squeeze": (1, 2), "Concat": (1, None),
         "Slice": (1, 5), "Dropout": (1, 3), "ReduceMean": (1, 2), "Sum": (1, None), "Split": (1, 2),
         "Resize": (1, 4), "ConstantOfShape": (1, 1),
         "LayerNormalization": (2, 3)}
INT_LISTS = {"kernel_shape": (1, None), "strides": (1, None), "dilations": (1, None), "pads": (0, None)}
INTS = {"group": 1, "axis": None, "transA": 0, "transB": 0, "ceil_mode": 0, "count_include_pad": 0,
        "storage_order": 0, "keepdims": 0, "noop_with_empty_axes": 0, "allowzero": 0, "to": 0, "start": None, "end": None}
FLOATS = ("alpha", "beta", "epsilon", "momentum", "min", "max")
MAX_KERNEL = 1 << 16


def _validate_node(name, op, n_in, n_out, a):
    """Structural checks so a malformed node raises ModelError, not an arbitrary exception later."""
    lo, hi = ARITY.get(op, (1, 1)) if op in refops.ALL else (0, None)
    if n_in < lo or (hi is not None and n_in > hi):
        raise ModelError(f"{op} takes {lo}{'' if hi == lo else f'..{hi}' if hi else '+'} inputs, got {n_in}", name)
    if n_out < 1:
        raise ModelError(f"{op} has no output", name)
    for k, (least, _) in INT_LISTS.items():
        if k in a:
            v = a[k]
            if not isinstance(v, list) or not all(isinstance(e, int) for e in v) or \
                    any(e < least or e > MAX_KERNEL for e in v):
                raise ModelError(f"attribute {k}={v!r}: expected a list of integers in [{least}, {MAX_KERNEL}]", name)
    spatial = len(a["kernel_shape"]) if isinstance(a.get("kernel_shape"), list) else None
    for k in ("strides", "dilations"):
        if k in a and spatial is not None and len(a[k]) != spatial:
            raise ModelError(f"attribute {k}={a[k]} does not match kernel_shape {a['kernel_shape']}", name)
    if "pads" in a and spatial is not None and len(a["pads"]) != 2 * spatial:
        raise ModelError(f"attribute pads={a['pads']} needs {2 * spatial} values for kernel_shape {a['kernel_shape']}", name)
    if op in ("MaxPool", "AveragePool") and "kernel_shape" not in a:
        raise ModelError(f"{op} needs the kernel_shape attribute", name)
    if op in ("MaxPool", "AveragePool") and "pads" in a and spatial:
        if any(p >= k for p, k in zip(a["pads"], a["kernel_shape"] * 2)):
            raise ModelError(f"pads {a['pads']} must be smaller than kernel_shape {a['kernel_shape']}", name)
    for k, least in INTS.items():
        if k in a:
            if not isinstance(a[k], int) or (least is not None and a[k] < least) or abs(a[k]) > 2**31:
                raise ModelError(f"attribute {k}={a[k]!r}: expected an integer{f' >= {least}' if least is not None else ''}",
                                 name)
    for k in FLOATS:
        if k in a and (not isinstance(a[k], (int, float)) or not np.isfinite(a[k])):
            raise ModelError(f"attribute {k}={a[k]!r}: expected a finite float", name)
    if "auto_pad" in a and (not isinstance(a["auto_pad"], str) or
                            a["auto_pad"] not in ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "")):
        raise ModelError(f"attribute auto_pad={a['auto_pad']!r}", name)
    if op == "Cast" and "to" not in a:
        raise ModelError("Cast needs the 'to' attribute", name)


# ops whose extra ONNX outputs the runner never computes (training-mode statistics, pool indices)
MAX_OUTPUTS = {"BatchNormalization": 1, "MaxPool": 1, "LayerNormalization": 1}


def _check_io_names(name, op, inputs, outputs, used):
    """Required inputs must be named (an empty name marks an omitted *optional* input only), and
    no op may have outputs the runner cannot produce read by a node or the graph (``used``): the
    unread extra outputs of old exports (BatchNormalization-6 lists five) are simply not computed."""
    if op in refops.ALL:
        need = ARITY.get(op, (1, 1))[0]
        for k, i in enumerate(inputs[:need]):
            if not i:
                raise ModelError(f"{op} input {k} is required but omitted (empty name)", name)
    if len(outputs) > MAX_OUTPUTS.get(op, len(outputs)) and any(o in used for o in outputs[MAX_OUTPUTS[op]:]):
        from ..errors import UnsupportedError
        raise UnsupportedError(f"node '{name}': {op} with {len(outputs)} outputs: only the first (inference mode) "
                               "is supported")
    if outputs and not outputs[0]:
        raise ModelError(f"{op}: the first output has no name", name)


def _value_shape(vi):
    t = vi.type.tensor_type
    if not t.HasField("shape"):
        return None, t.elem_type
    return tuple(int(d.dim_value) if d.HasField("dim_value") and d.dim_value > 0 else None
                 for d in t.shape.dim), t.elem_type


def import_model(source, allow_fallback=False):
    """(Graph, info) from a path, bytes or ModelProto. Raises ModelError / UnsupportedOpsError."""
    model, base = _read_model(source)
    opset = None
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            opset = int(o.version)
    from ..errors import UnsupportedError

    if opset is None:
        raise UnsupportedError("the model imports no default-domain (ai.onnx) opset")
    if not OPSET_MIN <= opset <= OPSET_MAX:
        raise UnsupportedError(f"opset {opset} is outside the supported range {OPSET_MIN}-{OPSET_MAX}; "
                               "re-export with e.g. torch.onnx.export(..., opset_version=17)")
    source_opset = opset
    if opset < onnx_opsets.OPSET_CONVERT_TO:
        if any(t.data_location == _onnx().TensorProto.EXTERNAL for t in model.graph.initializer):
            raise UnsupportedError(f"opset {opset} models with external data cannot be converted; re-export the "
                                   f"model at opset {onnx_opsets.OPSET_CONVERT_TO} or newer")
        model = onnx_opsets.upgrade(model, opset)
        opset = onnx_opsets.OPSET_CONVERT_TO
    g = model.graph
    total = [0]
    consts = {}
    for t in g.initializer:
        if not t.name:
            raise ModelError("an initializer has no name")
        consts[t.name] = tensor_to_numpy(t, base, total)
    for t in g.sparse_initializer:
        raise UnsupportedError(f"sparse initializer '{t.values.name}' is not supported")
    inputs, shapes = [], {}
    for vi in g.input:
        if vi.name in consts:
            continue
        shape, et = _value_shape(vi)
        if et != 1:
            raise UnsupportedError(f"graph input '{vi.name}' has ONNX element type {et}; only float32 is supported")
        inputs.append(vi.name)
        shapes[vi.name] = shape
    if not inputs:
        raise ModelError("the graph has no (non-initializer) input")
    outputs = [vo.name for vo in g.output]
    if not outputs:
        raise ModelError("the graph has no output")
    nodes, bad, refused, seen = [], [], [], set()  # refused: operator versions (fallback cannot help)
    used = {i for n in g.node for i in n.input if i} | set(outputs)  # values some node or the graph reads
    static = set(consts)  # values known once the input shapes are (see below)
    for idx, n in enumerate(g.node):
        name = n.name or f"{n.op_type}_{idx}"
        while name in seen:
            name = f"{name}_{idx}"
        seen.add(name)
        if n.domain not in ("", "ai.onnx"):
            bad.append((name, f"{n.domain}::{n.op_type}", "custom domain"))
            continue
        _check_io_names(name, n.op_type, list(n.input), list(n.output), used)
        try:
            attrs = _attrs(n, base, total)
        except ModelError:
            raise
        except Exception as e:
            raise ModelError(f"unreadable attribute: {type(e).__name__}: {e}", name) from None
        _validate_node(name, n.op_type, len(n.input), len(n.output), attrs)
        if n.op_type == "Split":
            attrs["_n_outputs"] = len(n.output)  # the NumPy op needs it (attributes with '_' are the importer's)
        if any(isinstance(v, str) and v == "<subgraph>" for v in attrs.values()):
            bad.append((name, n.op_type, "control flow with subgraphs"))
            continue
        why = onnx_opsets.check_node(n.op_type, opset) if n.op_type in refops.ALL else None
        if why is not None:
            refused.append((name, n.op_type, why))
            continue
        # NumPy-only ops (refops.EXTRA: Div, Sub, ...) on values known once the input shape is
        # (initializers, Constants, Shape and arithmetic on them: the shape chains of exports with
        # dynamic axes, e.g. ShuffleNet's channels // 2) are constant-folded when the graph is
        # specialized and need no kernel; on activations they need allow_fallback. (File order is
        # topological in a valid model; out of order, a value counts as not static: refused.)
        if n.op_type == "Shape" or all(i in static for i in n.input if i):
            static.update(o for o in n.output if o)
        elif n.op_type in refops.EXTRA and not allow_fallback:
            bad.append((name, n.op_type, "no kernel"))
        if n.op_type not in refops.ALL:
            bad.append((name, n.op_type, "no kernel and no NumPy fallback"))
        nodes.append(Node(name, n.op_type, list(n.input), list(n.output), attrs))
    if refused or bad:
        raise UnsupportedOpsError(refused + bad)
    graph = Graph(nodes, inputs, outputs, consts, shapes, opset, g.name or "model")
    graph.toposort()
    info = {"opset": opset, "source_opset": source_opset,
            "producer": f"{model.producer_name} {model.producer_version}".strip(),
            "ir_version": model.ir_version, "weight_bytes": total[0]}
    for p in model.metadata_props:
        if p.key == "fpgaops.default_input_shape":
            try:
                info["default_input_shape"] = tuple(int(v) for v in p.value.split(","))
            except ValueError:
                pass
    return graph, info
