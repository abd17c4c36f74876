"""Golden model of the erf family: erf(x) and the exact GELU x / 2 (1 + erf(x / sqrt 2)), in
float64 (math.erf), rounded once. ``tolerance`` bounds a float32 kernel's error: the argument
x / sqrt 2 rounded in float32, OpenCL's erf within 16 ulp (the OpenCL C spec's bound for erf),
and the few roundings of the GELU arithmetic."""
import math

import numpy as np

U32 = 2.0 ** -24
ERF, GELU = 0, 1  # function codes of ErfCall


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def erf(x):
    return _erf(np.asarray(x, np.float64)).astype(np.float32)


def gelu(x):
    x = np.asarray(x, np.float64)
    with np.errstate(invalid="ignore"):
        y = 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))
    return np.where(np.isneginf(x), 0.0, y).astype(np.float32)  # the limit, not -inf * 0


def tolerance(x, fn):
    """Per element bound of |kernel - exact|: for erf 32u |erf(x)| + (the argument's rounding,
    amplified by erf' <= 2/sqrt(pi)) + the reference's own rounding; for GELU the same through
    x / 2 (1 + .) plus 4u |y|."""
    x = np.asarray(x, np.float64)
    d = 2 / math.sqrt(math.pi) * np.exp(-np.minimum(x * x / 2, 700))  # erf' at x / sqrt 2
    with np.errstate(invalid="ignore", over="ignore"):
        if fn == ERF:
            e = np.abs(_erf(x))
            return 34 * U32 * e + 1e-45
        y = np.abs(gelu(x).astype(np.float64))
        t = np.abs(x) / 2 * (34 * U32 + 2 * U32 * np.abs(x) * d) + 6 * U32 * y + 1e-45
    return np.where(np.isfinite(t), t, 0.0)
