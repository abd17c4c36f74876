"""Which ONNX operator versions fpgaops implements: the one table the importer checks every
node against (docs/networks.md, "Opsets").

A model declares one default-domain opset; each node resolves to the newest schema of its op
whose ``since_version`` is <= that opset (``onnx.defs.get_schema(op, opset)``). A node is
accepted when that since_version is in ``SINCE[op]`` -- a version whose semantics fpgaops'
lowering and NumPy reference ops implement -- and refused naming the node and the version
otherwise. Versions listed here were reviewed against the ONNX changelog: most later versions
only widened the type lists (bfloat16, float8, int4...; e.g. Conv-22, MaxPool-22), which the
float32-only importer refuses at the tensor level anyway; where the meaning changed the lowering
branches on the opset (Softmax/LogSoftmax-13 axis, Clip-11 min/max inputs, Squeeze/Unsqueeze-13
axes input, Split-13/18 split input and num_outputs, ReduceMean-18 axes input).

Models below opset 11 are first brought up to 11 with ``onnx.version_converter`` (the public
model zoo is largely opset 7-9); below ``OPSET_MIN`` nothing is attempted.
"""
OPSET_MIN = 7            # oldest opset the version converter path is tested from
OPSET_CONVERT_TO = 11    # models below this are converted up to it first
OPSET_MAX = 25           # newest opset whose schemas were reviewed for this table

_TYPES_ONLY = (21, 23, 24, 25)  # releases that only added element types to these ops

SINCE = {
    # kernels
    "Conv": {11, 22},
    "BatchNormalization": {9, 14, 15},
    "Relu": {6, 13, 14},
    "Clip": {11, 12, 13},
    "LeakyRelu": {6, 16},
    "Sigmoid": {6, 13},
    "Tanh": {6, 13},
    "HardSigmoid": {6, 22},
    "HardSwish": {14, 22},
    "Gelu": {20},
    "Mul": {7, 13, 14},
    "Add": {7, 13, 14},
    "Sum": {8, 13},
    "MaxPool": {11, 12, 22},
    "AveragePool": {11, 19, 22},
    "GlobalAveragePool": {1, 22},
    "Gemm": {11, 13},
    "MatMul": {9, 13},
    "Softmax": {11, 13},
    "LogSoftmax": {11, 13},
    # views and host (NumPy) ops
    "Flatten": {11, 13, *_TYPES_ONLY},
    "Reshape": {5, 13, 14, 19, *_TYPES_ONLY},
    "Identity": {1, 13, 14, 16, 19, *_TYPES_ONLY},
    "Dropout": {10, 12, 13, 22},
    "Concat": {11, 13},
    "Split": {11, 13, 18},
    "Transpose": {1, 13, *_TYPES_ONLY},
    "Resize": {11, 13, 18, 19},
    "LRN": {1, 13},
    "Sub": {7, 13, 14},
    "Div": {7, 13, 14},
    "Pow": {7, 12, 13, 15},
    "Sqrt": {6, 13},
    "Erf": {9, 13},
    "ReduceMean": {11, 13, 18},
    "LayerNormalization": {17},
    # shape chains (constant-folded)
    "Constant": {11, 12, 13, 19, *_TYPES_ONLY},
    "ConstantOfShape": {9, 20, *_TYPES_ONLY},
    "Shape": {1, 13, 15, 19, *_TYPES_ONLY},
    "Gather": {11, 13},
    "Unsqueeze": {11, 13, *_TYPES_ONLY},
    "Squeeze": {11, 13, *_TYPES_ONLY},
    "Cast": {9, 13, 19, *_TYPES_ONLY},
    "Slice": {11, 13},
    # NumPy-only extras (allow_fallback=True)
    "Neg": {6, 13},
    "Exp": {6, 13},
    "Elu": {6, 22},
    "Softplus": {1, 22},
}

# Inputs that are parameters, not data: fpgaops plans every shape on the host, so these must be
# constants (initializers or folded). The ONNX backend binds graph inputs feeding them at run time.
PARAM_INPUTS = {"Reshape": (1,), "Split": (1,), "Squeeze": (1,), "Unsqueeze": (1,), "Resize": (1, 2, 3),
                "Slice": (1, 2, 3, 4), "ConstantOfShape": (0,), "Dropout": (1, 2), "ReduceMean": (1,)}


def since_version(op, opset):
    """The since_version of the schema ``op`` resolves to at ``opset`` (None: no such op)."""
    from onnx import defs

    try:
        return defs.get_schema(op, opset, "").since_version
    except Exception:  # onnx.defs.SchemaError: unknown op or op newer than the opset
        return None


def check_node(op, opset):
    """None if fpgaops implements the version of ``op`` this opset resolves to, else the reason."""
    v = since_version(op, opset)
    if v is None:
        return f"no {op} schema at opset {opset}"
    if op not in SINCE:
        return None  # the importer reports the op itself as unsupported
    if v not in SINCE[op]:
        return (f"{op}-{v} (the schema opset {opset} resolves to) is not an implemented version; "
                f"implemented: {', '.join(f'{op}-{s}' for s in sorted(SINCE[op]))}")
    return None


def upgrade(model, opset):
    """A copy of ``model`` converted from ``opset`` (< OPSET_CONVERT_TO) to OPSET_CONVERT_TO with
    onnx.version_converter; UnsupportedError when the converter cannot."""
    from onnx import version_converter

    from ..errors import UnsupportedError

    try:
        return version_converter.convert_version(model, OPSET_CONVERT_TO)
    except Exception as e:  # the converter raises RuntimeError / ConvertError naming the op
        raise UnsupportedError(f"cannot convert the model from opset {opset} to {OPSET_CONVERT_TO} with "
                               f"onnx.version_converter: {type(e).__name__}: {str(e).strip()[:400]}") from None
