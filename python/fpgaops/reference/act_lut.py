"""Golden model of the activation family: the exact functions, the float piecewise-linear tables
the kernels interpolate, and the exact int8 tables.

Kernel opcodes (the ``kind`` argument of the act tops and of every fused epilogue):

    NONE         y = x
    CLAMP        y = alpha if x < alpha else (beta if x > beta else x)      relu, relu6, hardtanh
    LEAKY        y = alpha * x if x < 0 else x                              leaky_relu
    HARDSIGMOID  y = clamp(x + 3, 0, 6) / 6                                 (PyTorch's order)
    HARDSWISH    y = 0 if clamp(x + 3, 0, 6) == 0 else x * clamp(x + 3, 0, 6) / 6   (PyTorch's order)
    TABLE        y = the piecewise-linear table (below) -- sigmoid, tanh, silu, gelu, gelu_tanh
    LUT8         int8 only: y = lut[x + 128]

Every comparison is written so that NaN falls through unchanged (``x < lo`` is false for NaN), so
NaN propagates. Values at +-inf, NaN, +-0 and subnormals are defined in docs/act_lut.md ("Special
values"): the function's limit at +-inf, never inf * 0 = NaN. The closed-form kinds are exact in float32 (they are piecewise
linear, or a product of x and one): a table would only add error.

Float table (``float_table``): a float32 array of TABLE_HEADER + segments + 1 values,

    [lo, inv_step, segments, below_slope, below_offset, above_slope, above_offset, 0, T_0 .. T_S]

with T_i = float32(f(lo + i * step)) (f in float64), step = (hi - lo) / segments a power of two
(kernels/config guarantees it), inv_step = 1 / step. Evaluation, in float32 arithmetic:

    NaN            -> NaN
    t = (x - lo) * inv_step                  (the multiply is exact: inv_step is a power of two)
    t < 0          -> below_offset + below_slope * x   (the product is omitted when the slope is 0)
    t >= segments  -> above_offset + above_slope * x   (idem)
    else           i = int(t), u = t - i,  y = T_i + u * (T_{i+1} - T_i)

Backends may fuse ``u * d + T_i`` into an FMA, so float tables agree across backends within
``tolerance`` (2 ulp-scale), not bit for bit; int8 LUTs are bit-exact.
"""
import functools
import math

import numpy as np

from .. import config, quant

NONE, CLAMP, LEAKY, HARDSIGMOID, HARDSWISH, TABLE, LUT8 = range(7)
KIND_NAMES = {NONE: "none", CLAMP: "clamp", LEAKY: "leaky", HARDSIGMOID: "hardsigmoid", HARDSWISH: "hardswish",
              TABLE: "table", LUT8: "lut8"}
TABLE_HEADER = 8
TABLES = config.ACT_TABLES  # functions evaluated through a float table

# Maximum |f''| of each tabulated function over the real line: the interpolation error of a
# uniform piecewise-linear table with step h is at most h^2 / 8 * max|f''|.
MAX_SECOND_DERIVATIVE = {
    "sigmoid": 0.0962250449,   # at x = +-ln(2 + sqrt 3)
    "tanh": 0.7698003589,      # 4/(3 sqrt 3)
    "silu": 0.5,               # at 0
    "gelu": 0.7978845608,      # 2 phi(0)
    "gelu_tanh": 0.7978845608,
}

_SQRT2 = math.sqrt(2.0)
_GELU_TANH_C = math.sqrt(2.0 / math.pi)
_erf = np.frompyfunc(math.erf, 1, 1)


def _sigmoid(x):
    x = np.asarray(x, np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def exact(name, x, **params):
    """The exact function ``name`` in float64: PyTorch's definitions on finite x, and at +-inf
    the limit of the function (docs/act_lut.md, "Special values"): where a formula would compute
    inf * 0 = NaN (silu, gelu, gelu_tanh and hardswish at -inf, leaky_relu with slope 0 at -inf)
    the value is the limit 0."""
    x = np.asarray(x, np.float64)
    y = _exact_formula(name, x, **params)
    return np.where(np.isneginf(x) & np.isnan(y), 0.0, y)  # -inf * 0 in a formula: the limit is 0


def _exact_formula(name, x, **params):
    with np.errstate(over="ignore", invalid="ignore"):
        if name == "relu":
            return np.where(x < 0, 0.0, x)
        if name == "relu6":
            return np.where(x < 0, 0.0, np.where(x > 6, 6.0, x))
        if name == "hardtanh":
            lo, hi = params.get("min_val", -1.0), params.get("max_val", 1.0)
            return np.where(x < lo, lo, np.where(x > hi, hi, x))
        if name == "leaky_relu":
            return np.where(x < 0, params.get("negative_slope", 0.01) * x, x)
        if name == "sigmoid":
            return np.where(np.isnan(x), x, _sigmoid(x))
        if name == "tanh":
            return np.tanh(x)
        if name == "hardsigmoid":
            return np.minimum(np.maximum(x + 3.0, 0.0), 6.0) / 6.0
        if name == "hardswish":
            return x * np.minimum(np.maximum(x + 3.0, 0.0), 6.0) / 6.0
        if name == "silu":
            return x * _sigmoid(x)
        if name == "gelu":
            return 0.5 * x * (1.0 + np.asarray(_erf(x / _SQRT2), np.float64))
        if name == "gelu_tanh":
            return 0.5 * x * (1.0 + np.tanh(_GELU_TANH_C * (x + 0.044715 * x ** 3)))
    raise ValueError(f"unknown activation {name!r}")


# ---- float tables ---------------------------------------------------------------------------
def geometry(name, cfg=None):
    """The table's declared geometry from kernels/config: dict lo, hi, segments, step, saturation."""
    c = getattr((cfg or config.current()).act_lut, name)
    step = (c.hi - c.lo) / c.segments
    return dict(lo=float(c.lo), hi=float(c.hi), segments=int(c.segments), step=step,
                below_slope=float(c.below_slope), below_offset=float(c.below_offset),
                above_slope=float(c.above_slope), above_offset=float(c.above_offset))


@functools.lru_cache(maxsize=None)
def _float_table(name, digest):
    g = geometry(name)
    knots = g["lo"] + np.arange(g["segments"] + 1, dtype=np.float64) * g["step"]
    head = [g["lo"], 1.0 / g["step"], g["segments"], g["below_slope"], g["below_offset"], g["above_slope"],
            g["above_offset"], 0.0]
    t = np.concatenate([np.array(head, np.float64), exact(name, knots)]).astype(np.float32)
    t.setflags(write=False)
    return t


def float_table(name):
    """The float32 table buffer of ``name`` (header + knots) for the active kernel config."""
    if name not in TABLES:
        raise ValueError(f"{name!r} is not a tabulated activation; expected one of {TABLES}")
    return _float_table(name, config.current().digest)


def eval_table(x, table):
    """The table evaluation every kernel performs, in float32 (see the module docstring)."""
    x = np.asarray(x, np.float32)
    lo, inv, seg, bs, bo, as_, ao = (np.float32(v) for v in table[:7])
    seg = int(seg)
    knots = np.asarray(table[TABLE_HEADER:], np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        t = (x - lo) * inv
        below, above = t < 0, t >= seg
        inside = ~(below | above | np.isnan(x))
        ti = np.where(inside, t, 0).astype(np.float32)
        i = ti.astype(np.int64)
        u = ti - i.astype(np.float32)
        y = knots[i] + u * (knots[np.minimum(i + 1, seg)] - knots[i])
        yb = bo + bs * x if bs != 0 else np.full_like(x, bo)
        ya = ao + as_ * x if as_ != 0 else np.full_like(x, ao)
        y = np.where(below, yb, np.where(above, ya, y))
    return np.where(np.isnan(x), x, y).astype(np.float32)


def interpolation_bound(name, cfg=None):
    """A priori bound on max |table(x) - f(x)| over all finite x: the PWL interpolation error,
    the saturation gap at the domain ends (f is monotone in its tails), and float32 rounding of
    the knots and of the interpolation arithmetic."""
    g = geometry(name, cfg)
    pwl = g["step"] ** 2 / 8 * MAX_SECOND_DERIVATIVE[name]
    lo, hi = g["lo"], g["hi"]
    far = 1e4
    tails = [abs(float(exact(name, v)) - (g["below_offset"] + g["below_slope"] * v)) for v in (lo, lo - far)]
    tails += [abs(float(exact(name, v)) - (g["above_offset"] + g["above_slope"] * v)) for v in (hi, hi + far)]
    mag = max(abs(float(exact(name, lo))), abs(float(exact(name, hi))), 1.0)
    return pwl + max(tails) + 4 * 2.0 ** -24 * mag


# ---- what each backend computes --------------------------------------------------------------
def apply_float(x, kind, alpha=0.0, beta=0.0, table=None):
    """Kernel semantics of the float activation ``kind`` (an opcode above) in float32."""
    x = np.asarray(x, np.float32)
    a, b = np.float32(alpha), np.float32(beta)
    with np.errstate(invalid="ignore", over="ignore"):
        if kind == NONE:
            return x.copy()
        if kind == CLAMP:
            return np.where(x < a, a, np.where(x > b, b, x)).astype(np.float32)
        if kind == LEAKY:
            return np.where(x < 0, a * x, x).astype(np.float32)
        if kind in (HARDSIGMOID, HARDSWISH):
            t = x + np.float32(3)
            t = np.where(t < 0, np.float32(0), np.where(t > 6, np.float32(6), t)).astype(np.float32)
            if kind == HARDSWISH:
                # 0 where the clamp is 0: also at x = -inf, where x * 0 would be NaN
                return np.where(t == 0, np.float32(0), (x * t) / np.float32(6)).astype(np.float32)
            return (t / np.float32(6)).astype(np.float32)
        if kind == TABLE:
            return eval_table(x, table)
    raise ValueError(f"unknown float activation opcode {kind}")


def apply_int8(x, lut):
    """int8 activation: ``lut[x + 128]``."""
    return np.asarray(lut, np.int8)[quant.lut_index(x)]


def tolerance(y):
    """Allowed |backend - reference| for float activations: a few ulp of max(|y|, 1) (FMA
    contraction in the interpolation; division rounding of hardsigmoid/hardswish)."""
    return 4 * 2.0 ** -24 * np.maximum(np.abs(np.asarray(y, np.float64)), 1.0)


@functools.lru_cache(maxsize=1024)
def int8_lut(name, params, in_q, out_q):
    """The exact int8 table of activation ``name`` (params: tuple of (key, value) pairs)."""
    lut = quant.build_lut(lambda v: exact(name, v, **dict(params)), in_q, out_q)
    lut.setflags(write=False)
    return lut
