"""What the ONNX backend conformance run covers, and the reviewed list of expected failures.

Selection (one rule, derived from the importer): every ONNX node test whose nodes are all ops
fpgaops claims -- the ops of ``fpgaops.graph.onnx_opsets.SINCE`` minus the NumPy-only extras
(``refops.EXTRA``, run only with allow_fallback) -- plus the shape-chain ops it constant-folds
(``FOLDED``), with at least one claimed op; and the nine ``light_*`` real models. ONNX's
``_cuda`` variants are not generated (fpgaops devices are bound to ONNX's "CPU" name).

Expected failures: ``XFAIL`` maps a regular expression over the test name (without the device
suffix) to (regex the FpgaopsError's message must match, reason). A listed test must fail with
an ``FpgaopsError`` whose message matches -- any other exception fails the run, and so does a
listed test that passes (strict), so the list stays honest.
"""
import re

from fpgaops.graph import onnx_opsets, refops

FOLDED = {"Constant", "ConstantOfShape", "Shape", "Gather", "Cast", "Slice"}
CLAIMED = set(onnx_opsets.SINCE) - FOLDED - set(refops.EXTRA)

# README ops-table family of each claimed op (the per-family pass counts)
FAMILY = {
    "Gemm": "gemm", "MatMul": "gemm",
    "Conv": "conv2d",
    "MaxPool": "pool", "AveragePool": "pool", "GlobalAveragePool": "pool",
    "Relu": "act_lut", "Clip": "act_lut", "LeakyRelu": "act_lut", "Sigmoid": "act_lut", "Tanh": "act_lut",
    "HardSigmoid": "act_lut", "HardSwish": "act_lut", "Gelu": "act_lut",
    "Add": "eltwise", "Mul": "eltwise", "Sum": "eltwise", "Softmax": "eltwise", "LogSoftmax": "eltwise",
    "BatchNormalization": "eltwise", "Flatten": "eltwise", "Reshape": "eltwise", "Squeeze": "eltwise",
    "Unsqueeze": "eltwise", "Identity": "eltwise", "Dropout": "eltwise",
    "Concat": "movement", "Split": "movement", "Transpose": "movement",
    "LayerNormalization": "norm", "Erf": "erf",
    "Resize": "resize", "LRN": "graph", "ReduceMean": "graph", "Sub": "graph", "Div": "graph",
    "Pow": "graph", "Sqrt": "graph",
}
assert set(FAMILY) == CLAIMED, sorted(set(FAMILY) ^ CLAIMED)

_DTYPE = r"element type \d+; only float32"
_RANK = r"only rank 4 is supported"
XFAIL = {
    # data types: the float path is float32 (int8 runs through load_qdq / quantize, not plain ONNX)
    r"^test_(add|mul)_u?int(8|16|32|64)$": (_DTYPE, "integer tensors: fpgaops' ONNX path is float32"),
    r"^test_(div|sub)_u?int(8|16|32|64)$": (_DTYPE, "integer tensors: fpgaops' ONNX path is float32"),
    r"^test_pow_types_float32_uint(32|64)$": (_DTYPE, "integer tensors: fpgaops' ONNX path is float32"),
    r"^test_(div_int32_trunc|pow_types_int(32_int32|64_int64))$": (r"no \(non-initializer\) input",
                                                                   "integer tensors only (bound as constants)"),
    r"^test_pow_types_int(32|64)_float32$": (r"is int(32|64) \(the ONNX path is float32\)",
                                            "an integer base (the output would be integer)"),
    r"^test_clip_default_int8_": (_DTYPE, "int8 tensors: fpgaops' ONNX path is float32"),
    r"^test_maxpool_2d_uint8$": (_DTYPE, "uint8 tensors: fpgaops' ONNX path is float32"),
    r"^test_identity_(sequence|opt)$": (_DTYPE, "sequence / optional types are not tensors"),
    # ranks: the conv and pool kernels are 2-D (NCHW)
    r"^test_(average|max)pool_(1d|3d)_": (_RANK, "1-D and 3-D pooling: the pool kernels are 2-D"),
    # training-mode semantics (fpgaops is an inference runtime)
    r"^test_batchnorm_(example|epsilon)_training_mode$": (r"only the first \(inference mode\)",
                                                          "BatchNormalization training mode (running statistics)"),
    r"^test_(training_)?dropout_.*mask": ("the mask output is requested", "Dropout's mask output"),
    r"^test_training_dropout(_default)?$": ("training mode", "Dropout in training mode (random)"),
    r"^test_layer_normalization_": (r"only the first \(inference mode\)",
                                    "LayerNormalization's Mean/InvStdDev outputs (the tests read all three)"),
    r"^test_maxpool_with_argmax_": (r"only the first \(inference mode\)", "MaxPool's Indices output"),
    # zero-size tensors (a 0 dimension) are refused by design (every dimension must be >= 1)
    r"^test_reshape_allowzero_reordered$": ("cannot reshape", "zero-size tensors (a 0 dimension)"),
    r"^test_rotary_embedding_(3d_input_|interleaved_|no_position_ids_|no_position_ids_interleaved_)?expanded$": (
        "a zero or negative dimension", "zero-size tensors (a 0 dimension)"),
    r"^test_rotary_embedding_with_(interleaved_)?rotary_dim_expanded$": (r"\(Gather\): no kernel",
                                                                        "Gather on activations"),
    # function-expanded tests that only became selectable when Sub/Div/Pow/Sqrt/ReduceMean were claimed
    r"^test_(causal_conv_with_state|depthtospace|spacetodepth)_.*expanded$": (r"opset 2[6-9] is outside",
                                                                              "opsets above 25 (OPSET_MAX)"),
    r"^test_group_normalization_.*_expanded$": (r"\(Cast\): no kernel", "Cast on activations (stash type)"),
    r"^test_split_zero_size_splits_": ("Split sizes", "zero-size tensors (a 0 dimension)"),
    # Resize modes fpgaops does not implement (nearest and linear are)
    r"^test_resize_.*cubic": ("mode='cubic'", "Resize cubic interpolation"),
    r"^test_resize_tf_crop_and_resize": ("tf_crop_and_resize", "Resize tf_crop_and_resize (roi)"),
    r"^test_resize_downsample_(scales|sizes)_linear_antialias$": ("antialias=1", "Resize antialias=1"),
}


def xfail_for(name):
    """(message regex, reason) for a test name (device suffix removed), or None."""
    hits = [v for k, v in XFAIL.items() if re.search(k, name)]
    assert len(hits) <= 1, f"{name} matches several expected-failure patterns"
    return hits[0] if hits else None


def node_ops(model):
    return {n.op_type for n in model.graph.node}


def selected(model):
    """True when the node test exercises only ops fpgaops claims (plus folded shape chains)."""
    ops = node_ops(model)
    return ops <= CLAIMED | FOLDED and bool(ops & CLAIMED)


def family(model):
    """The README family of a node test: that of its first claimed op."""
    return next(FAMILY[n.op_type] for n in model.graph.node if n.op_type in CLAIMED)
