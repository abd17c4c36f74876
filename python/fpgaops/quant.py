"""int8 quantization: per-tensor affine parameters and the one integer requantization rule.

Every int8 activation tensor carries a per-tensor ``QParams(scale, zero_point)``:

    real = scale * (q - zero_point),    q in [-128, 127],  zero_point in [-128, 127],  scale > 0

Kernels never see a float scale. Everything that rescales int8 data does it with integers that
this module computes once, on the host, so every backend (NumPy reference, HLS C-sim, OpenCL,
hardware) produces the same bits:

``requantize(acc, multiplier, shift)``  -- the rounding rule, identical in every backend::

    requantize(acc, m, s) = (acc * m + 2**(s - 1)) >> s        (s >= 1; acc * m when s == 0)

with ``acc * m`` evaluated exactly in 64-bit signed arithmetic and ``>>`` the arithmetic
(flooring) shift. That is *round half up* (ties toward +infinity) of ``acc * m / 2**s``: one
add and one shift in hardware. ``quantize_multiplier(real)`` returns ``m`` in [2**30, 2**31) and
``s`` in [0, 62] with ``m / 2**s`` the closest such fraction to ``real``; callers keep
``|acc| < 2**31`` so that the 64-bit product and rounding term never overflow.

Element-wise int8 ops use it as follows (d = q - zero_point, |d| <= 255):

    add:  q_out = clamp(z_out + requantize(d_a * m_a + d_b * m_b, 1, s))
          where m_a / 2**s ~ scale_a / scale_out and m_b / 2**s ~ scale_b / scale_out share s
    mul:  q_out = clamp(z_out + requantize(d_a * d_b, m, s)),  m / 2**s ~ scale_a*scale_b/scale_out

Clamping activations fused into an int8 epilogue (conv2d) are a narrowed output range,
``act_range`` (relu: [zero_point, 127]; relu6: [zero_point, quantize(6)]).

Unary int8 functions are exact 256-entry tables (``build_lut``): each input code is dequantized,
the function applied in float64 and the result requantized with round-half-to-even
(``numpy.rint``) and clamped. A table is built once here and handed to every backend, so those
results are bit-exact by construction.
"""
import dataclasses
import math
import numbers

import numpy as np

from .errors import ArgumentError, ArgumentTypeError

QMIN, QMAX = -128, 127
MAX_SHIFT = 62


@dataclasses.dataclass(frozen=True)
class QParams:
    """Per-tensor affine quantization of an int8 tensor: ``real = scale * (q - zero_point)``."""

    scale: float
    zero_point: int = 0

    def __post_init__(self):
        check_qparams("qparams", self)

    @property
    def scale32(self):
        """The scale as the float32 every layer stores."""
        return float(np.float32(self.scale))


def check_qparams(name, q):
    if isinstance(q.scale, (bool, np.bool_)) or not isinstance(q.scale, numbers.Real):
        raise ArgumentTypeError(f"{name}.scale", f"expected a real number, got {q.scale!r}")
    s = float(q.scale)
    if not (math.isfinite(s) and s > 0 and np.float32(s) > 0 and np.isfinite(np.float32(s))):
        raise ArgumentError(f"{name}.scale", f"expected a finite positive float32 scale, got {q.scale!r}")
    if isinstance(q.zero_point, (bool, np.bool_)) or not isinstance(q.zero_point, numbers.Integral):
        raise ArgumentTypeError(f"{name}.zero_point", f"expected an integer, got {q.zero_point!r}")
    if not QMIN <= int(q.zero_point) <= QMAX:
        raise ArgumentError(f"{name}.zero_point", f"expected {QMIN} <= zero_point <= {QMAX} (int8), got {q.zero_point}")


def as_qparams(name, value):
    """``value`` (a QParams or a ``(scale, zero_point)`` pair) as QParams; errors name ``name``."""
    if isinstance(value, QParams):
        return value
    if isinstance(value, (tuple, list)) and len(value) == 2:
        scale, zp = value
        if isinstance(zp, (bool, np.bool_)) or not isinstance(zp, numbers.Integral):
            raise ArgumentTypeError(f"{name}.zero_point", f"expected an integer, got {zp!r}")
        if isinstance(scale, (bool, np.bool_)) or not isinstance(scale, numbers.Real):
            raise ArgumentTypeError(f"{name}.scale", f"expected a real number, got {scale!r}")
        q = object.__new__(QParams)
        object.__setattr__(q, "scale", float(scale))
        object.__setattr__(q, "zero_point", int(zp))
        check_qparams(name, q)
        return q
    raise ArgumentTypeError(name, f"expected fpgaops.QParams or a (scale, zero_point) pair, got {value!r}")


def quantize(x, q):
    """float -> int8 with round-half-to-even and saturation."""
    v = np.rint(np.asarray(x, np.float64) / q.scale32) + q.zero_point
    return np.clip(v, QMIN, QMAX).astype(np.int8)


def dequantize(x, q):
    """int8 -> float64 (exact)."""
    return q.scale32 * (np.asarray(x).astype(np.float64) - q.zero_point)


def rounding_shift(v, shift):
    """``(v + 2**(shift-1)) >> shift`` on int64 (round half up); ``v`` unchanged where shift == 0.
    ``shift`` may be an array broadcasting against ``v`` (per-channel shifts)."""
    v = np.asarray(v, np.int64)
    s = np.asarray(shift, np.int64)
    if np.any(s < 0) or np.any(s > MAX_SHIFT):
        raise ArgumentError("shift", f"expected 0 <= shift <= {MAX_SHIFT}, got {shift}")
    half = np.where(s > 0, np.left_shift(np.int64(1), np.maximum(s - 1, 0)), 0)
    return (v + half) >> s


def requantize(acc, multiplier, shift):
    """The one integer rescaling rule (see the module docstring): round_half_up(acc * m / 2**s).
    ``multiplier`` and ``shift`` may be arrays broadcasting against ``acc`` (per channel)."""
    return rounding_shift(np.asarray(acc, np.int64) * np.asarray(multiplier, np.int64), shift)


def quantize_multiplier(real):
    """(m, s) with m / 2**s closest to ``real`` > 0, m in [2**30, 2**31), 0 <= s <= 62.

    A ratio too small for s <= 62 keeps s = 62 and a smaller m (it rounds everything to ~0); a
    ratio >= 2**31 cannot be represented and raises."""
    real = float(real)
    if not (math.isfinite(real) and real > 0):
        raise ArgumentError("scale", f"scale ratio must be finite and positive, got {real!r}")
    frac, exp = math.frexp(real)  # real = frac * 2**exp, frac in [0.5, 1)
    shift = 31 - exp
    m = round(frac * (1 << 31))
    if m == 1 << 31:
        m //= 2
        shift -= 1
    if shift < 0:
        raise ArgumentError("scale", f"scale ratio {real!r} is too large for int8 requantization (>= 2**31)")
    if shift > MAX_SHIFT:
        m = round(real * 2.0 ** MAX_SHIFT)
        shift = MAX_SHIFT
    return int(m), int(shift)


def quantize_multipliers(reals):
    """Multipliers for several ratios sharing one shift (the largest ratio sets it)."""
    m_max, shift = quantize_multiplier(max(reals))
    ms = [int(round(r * 2.0 ** shift)) for r in reals]
    assert max(ms) < 1 << 31
    return ms, shift


def clamp_int8(v):
    return np.clip(np.asarray(v, np.int64), QMIN, QMAX).astype(np.int8)


def build_lut(fn, in_q, out_q):
    """The exact 256-entry int8 table of the unary function ``fn`` (float64 -> float64).

    ``lut[i]`` is the output code for the input code ``i - 128``."""
    codes = np.arange(QMIN, QMAX + 1, dtype=np.int64)
    y = np.asarray(fn(dequantize(codes, in_q)), np.float64)
    return quantize(y, out_q)


def lut_index(q):
    """Index into a 256-entry LUT for int8 codes ``q`` (q + 128)."""
    return np.asarray(q).astype(np.int64) + 128


def act_range(activation, scale, zero_point):
    """(lo, hi) int8 codes that a clamping activation fused into a requantizing epilogue narrows
    the output to: None -> (-128, 127); "relu" -> (max(zp, -128), 127); "relu6" -> also
    hi = quantize(6.0) (round half to even, saturated)."""
    q = QParams(float(scale), int(zero_point))
    lo, hi = QMIN, QMAX
    if activation in ("relu", "relu6"):
        lo = max(QMIN, int(zero_point))
    if activation == "relu6":
        hi = int(quantize(np.float64(6.0), q))
    elif activation not in (None, "relu"):
        raise ArgumentError("activation", f"no int8 clamp range for {activation!r}; expected None, 'relu' or 'relu6'")
    return lo, hi
