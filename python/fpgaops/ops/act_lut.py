"""Activations (``torch.nn.functional`` semantics): relu, relu6, leaky_relu, hardtanh, sigmoid, tanh,
hardsigmoid, hardswish, silu, gelu -- float32 and int8, any shape, on every backend.

float32: relu-family, hardsigmoid and hardswish are exact closed forms; sigmoid, tanh, silu and
gelu are piecewise-linear tables declared in kernels/config (``[act_lut.*]``: domain, segments,
saturation). The max error of each table against the exact function is measured by
tests/unit/test_act_lut_reference.py and listed in docs/act_lut.md; backends agree with the
reference within ``fpgaops.reference.act_lut.tolerance``.

int8: every activation is an exact 256-entry table built once on the host from (x_q, out_q,
function) -- bit-exact on every backend. ``x_q`` (the input's scale and zero point) is required;
``out_q`` defaults to x_q, except sigmoid/hardsigmoid (1/256, -128) and tanh (1/128, 0), which
use their output range fully (PyTorch's quantized defaults for qint8).

NaN propagates as in PyTorch. Where results differ from PyTorch at +-inf: silu(-inf) and
gelu(-inf) are 0 here (the limit) where PyTorch computes -inf * 0 = NaN.

The same activation (``Activation``) is what add/mul (and conv/GEMM epilogues) fuse.
"""
import collections
import dataclasses
import math
import numbers
import threading

import numpy as np

from .._validate import array_info, check_dtype, check_extent, placement, to_device
from ..backends.base import KernelCall
from ..errors import ArgumentError, ArgumentTypeError
from ..quant import QParams, as_qparams
from ..reference import act_lut as ref
from ..tensor import Tensor

DTYPES = (np.dtype(np.float32), np.dtype(np.int8))

# name -> default parameters (PyTorch's names and defaults)
ACTIVATIONS = {
    "relu": {}, "relu6": {}, "leaky_relu": {"negative_slope": 0.01}, "hardtanh": {"min_val": -1.0, "max_val": 1.0},
    "sigmoid": {}, "tanh": {}, "hardsigmoid": {}, "hardswish": {}, "silu": {}, "gelu": {"approximate": "none"},
}
# int8 output quantization that is not the input's by default: the function's fixed range
DEFAULT_OUT_Q = {"sigmoid": (1.0 / 256, -128), "hardsigmoid": (1.0 / 256, -128), "tanh": (1.0 / 128, 0)}


@dataclasses.dataclass(frozen=True)
class Activation:
    """A validated activation: ``Activation.of("leaky_relu", negative_slope=0.2)``."""

    name: str
    params: tuple = ()  # sorted (key, value) pairs

    @classmethod
    def of(cls, name, argname="activation", **params):
        if not isinstance(name, str):
            raise ArgumentTypeError(argname, f"expected an activation name (str), got {name!r}")
        if name not in ACTIVATIONS:
            raise ArgumentError(argname, f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
        defaults = ACTIVATIONS[name]
        for k in params:
            if k not in defaults:
                raise ArgumentError(k, f"{name} takes no parameter {k!r}" +
                                    (f"; its parameters are {sorted(defaults)}" if defaults else ""))
        values = {**defaults, **params}
        for k, v in values.items():
            if k == "approximate":
                if v not in ("none", "tanh"):
                    raise ArgumentError("approximate", f"expected 'none' or 'tanh', got {v!r}")
                continue
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
                raise ArgumentTypeError(k, f"expected a real number, got {v!r}")
            if not math.isfinite(v):
                raise ArgumentError(k, f"expected a finite number, got {v!r}")
            values[k] = float(v)
        if name == "hardtanh" and values["min_val"] > values["max_val"]:
            raise ArgumentError("max_val", f"must be >= min_val ({values['min_val']}), got {values['max_val']}")
        return cls(name, tuple(sorted(values.items())))

    @property
    def kwargs(self):
        return dict(self.params)

    @property
    def function(self):
        """The name of the exact function (gelu with approximate='tanh' is 'gelu_tanh')."""
        if self.name == "gelu" and self.kwargs["approximate"] == "tanh":
            return "gelu_tanh"
        return self.name

    @property
    def exact_params(self):
        return tuple((k, v) for k, v in self.params if k != "approximate")

    def float_kernel(self):
        """(kind, alpha, beta, table name or None): the float opcode of fpgaops.reference.act_lut."""
        p = self.kwargs
        if self.name == "relu":
            return ref.CLAMP, 0.0, math.inf, None
        if self.name == "relu6":
            return ref.CLAMP, 0.0, 6.0, None
        if self.name == "hardtanh":
            return ref.CLAMP, p["min_val"], p["max_val"], None
        if self.name == "leaky_relu":
            if p["negative_slope"] == 0:  # relu: at -inf the limit 0, where LEAKY would compute 0 * -inf
                return ref.CLAMP, 0.0, math.inf, None
            return ref.LEAKY, p["negative_slope"], 0.0, None
        if self.name == "hardsigmoid":
            return ref.HARDSIGMOID, 0.0, 0.0, None
        if self.name == "hardswish":
            return ref.HARDSWISH, 0.0, 0.0, None
        return ref.TABLE, 0.0, 0.0, self.function

    def lut(self, in_q, out_q):
        """The exact int8 table mapping in_q codes to out_q codes."""
        return ref.int8_lut(self.function, self.exact_params, in_q, out_q)

    def default_out_q(self, x_q):
        if self.name in DEFAULT_OUT_Q:
            return QParams(*DEFAULT_OUT_Q[self.name])
        return x_q


def resolve(spec, argname="activation"):
    """None, a name, or an Activation -> Activation or None."""
    if spec is None or isinstance(spec, Activation):
        return spec
    return Activation.of(spec, argname)


@dataclasses.dataclass
class ActCall(KernelCall):
    """One launch of an activation kernel (fpgaops_act_f32 / fpgaops_act_i8).

    For i in range(count):
        float32:  y[i] = act(kind, alpha, beta, table)(x[i])   (opcodes and the float table
                  layout: fpgaops.reference.act_lut; ``table`` is None unless kind == TABLE)
        int8:     y[i] = table[x[i] + 128]                     (kind == LUT8, table: 256 int8)
    """

    family = "act_lut"
    dtype: np.dtype
    x: Tensor
    y: Tensor
    count: int
    kind: int
    alpha: float
    beta: float
    table: Tensor | None


# ---- device copies of the tables (built once per device) ---------------------------------------
_tables = collections.OrderedDict()
_tables_lock = threading.Lock()


def device_table(dev, key, array):
    """``array`` (a read-only host table) as a Tensor on ``dev``, cached by ``key``."""
    k = (id(dev), key)
    with _tables_lock:
        if k in _tables:
            _tables.move_to_end(k)
            return _tables[k][1]
    t = to_device(np.asarray(array), dev)
    with _tables_lock:
        _tables[k] = (dev, t)  # keep dev alive so id(dev) is never reused while cached
        while len(_tables) > 256:
            _tables.popitem(last=False)
    return t


def kernel_args(act, dtype, dev, out_q=None):
    """(kind, alpha, beta, table Tensor or None) for running ``act`` fused on ``dev``.
    int8: the LUT maps out_q codes to out_q codes."""
    if act is None:
        return ref.NONE, 0.0, 0.0, None
    if dtype == np.int8:
        return ref.LUT8, 0.0, 0.0, device_table(dev, ("lut8", act, out_q), act.lut(out_q, out_q))
    kind, alpha, beta, table = act.float_kernel()
    if table is None:
        return kind, alpha, beta, None
    from .. import config

    return kind, alpha, beta, device_table(dev, ("f32", table, config.current().digest), ref.float_table(table))


def check_input(x, name="x"):
    shape, dtype = array_info(x, name)
    shape, dtype = tuple(shape), np.dtype(dtype)
    check_dtype(name, dtype, DTYPES)
    check_extent(name, shape)
    return shape, dtype


def check_qparams(dtype, pairs):
    """Validate the QParams keywords: required (non-None) for int8 when listed so, refused for float."""
    out = {}
    for name, value, required in pairs:
        if dtype != np.int8:
            if value is not None:
                raise ArgumentError(name, "quantization parameters apply to int8 inputs only")
            out[name] = None
            continue
        if value is None:
            if required:
                raise ArgumentError(name, "required for int8 inputs: the tensor's (scale, zero_point)")
            out[name] = None
            continue
        out[name] = as_qparams(name, value)
    return out


def activation(x, name, *, x_q=None, out_q=None, **params):
    """Apply the activation ``name`` (``relu``, ``gelu``, ...; parameters as keywords) to ``x``."""
    act = Activation.of(name, "name", **params)
    shape, dtype = check_input(x)
    q = check_qparams(dtype, [("x_q", x_q, True), ("out_q", out_q, False)])
    dev, as_tensor = placement(x)
    tx = to_device(x, dev)
    y = dev.empty(shape, dtype)
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if dtype == np.int8:
        oq = q["out_q"] or act.default_out_q(q["x_q"])
        table = device_table(dev, ("lut8", act, q["x_q"], oq), act.lut(q["x_q"], oq))
        dev.run(ActCall(dtype, tx, y, count, ref.LUT8, 0.0, 0.0, table))
    else:
        kind, alpha, beta, table = kernel_args(act, dtype, dev)
        dev.run(ActCall(dtype, tx, y, count, kind, alpha, beta, table))
    return y if as_tensor else y.numpy()


def relu(x, *, x_q=None, out_q=None):
    return activation(x, "relu", x_q=x_q, out_q=out_q)


def relu6(x, *, x_q=None, out_q=None):
    return activation(x, "relu6", x_q=x_q, out_q=out_q)


def leaky_relu(x, negative_slope=0.01, *, x_q=None, out_q=None):
    return activation(x, "leaky_relu", negative_slope=negative_slope, x_q=x_q, out_q=out_q)


def hardtanh(x, min_val=-1.0, max_val=1.0, *, x_q=None, out_q=None):
    return activation(x, "hardtanh", min_val=min_val, max_val=max_val, x_q=x_q, out_q=out_q)


def sigmoid(x, *, x_q=None, out_q=None):
    return activation(x, "sigmoid", x_q=x_q, out_q=out_q)


def tanh(x, *, x_q=None, out_q=None):
    return activation(x, "tanh", x_q=x_q, out_q=out_q)


def hardsigmoid(x, *, x_q=None, out_q=None):
    return activation(x, "hardsigmoid", x_q=x_q, out_q=out_q)


def hardswish(x, *, x_q=None, out_q=None):
    return activation(x, "hardswish", x_q=x_q, out_q=out_q)


def silu(x, *, x_q=None, out_q=None):
    return activation(x, "silu", x_q=x_q, out_q=out_q)


def gelu(x, approximate="none", *, x_q=None, out_q=None):
    return activation(x, "gelu", approximate=approximate, x_q=x_q, out_q=out_q)
