"""Golden model of the pooling family (max, average, adaptive average, global average).

The kernels see one pooling geometry per axis (``Axis``): the input and output extents and
either a regular window (kernel k, stride s, padding p, dilation d; ceil_mode is already folded
into the output extent) or PyTorch's adaptive bins. Output index i covers the input positions

    regular:   {i*s - p + t*d : 0 <= t < k}  intersected with [0, n)
    adaptive:  [floor(i*n/o), ceil((i+1)*n/o))

and a 2-D window is the product of its row and column sets. Then

    MAX   y = max of the window; NaN anywhere in it gives NaN; an empty window (all taps in the
          padding, possible only with dilation) gives -inf (int8: -128)
    AVG   y = sum / (count_h * count_w) where count is the number of taps in [0, n), or with
          count_include_pad (regular windows) min(i*s - p + k, n + p) - (i*s - p), PyTorch's rule
          (padding taps count, the ceil_mode overhang past n + p does not)

float32: MAX is exact; AVG is summed in float64 and rounded once (``tolerance`` bounds any
float32 summation order). int8 (per-tensor scale and zero point z, the same for input and output):
MAX is the max of the codes; AVG is ``z + round_half_even(sum(q - z) / divisor)`` (padding taps
are real zeros, i.e. z), exact integer arithmetic.
"""
import dataclasses

import numpy as np

U32 = 2.0 ** -24
MAX, AVG = 0, 1


@dataclasses.dataclass(frozen=True)
class Axis:
    """Pooling geometry along one axis."""

    n: int                # input extent
    o: int                # output extent
    k: int = 1            # kernel taps (adaptive: the largest bin)
    s: int = 1
    p: int = 0
    d: int = 1
    adaptive: bool = False

    def taps(self, i):
        """Input positions of output ``i`` inside [0, n), in tap order."""
        if self.adaptive:
            lo, hi = (i * self.n) // self.o, -((-(i + 1) * self.n) // self.o)
            return list(range(lo, hi))
        start = i * self.s - self.p
        return [start + t * self.d for t in range(self.k) if 0 <= start + t * self.d < self.n]

    def count(self, i, include_pad):
        """The divisor factor of output ``i`` (AVG)."""
        if self.adaptive or not include_pad:
            return len(self.taps(i))
        start = i * self.s - self.p
        return min(start + self.k, self.n + self.p) - start


def out_size(n, k, s, p, d, ceil_mode):
    """PyTorch's pooling output size (may be <= 0: the caller rejects that)."""
    span = n + 2 * p - d * (k - 1) - 1
    o = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and o > 0 and (o - 1) * s >= n + p:
        o -= 1  # the last window must start inside the input or the left padding
    return o


def adaptive_bin(n, o):
    """Largest adaptive bin along an axis: max over i of ceil((i+1)n/o) - floor(i n/o)."""
    return max(-((-(i + 1) * n) // o) - (i * n) // o for i in range(o))


def div_round_half_even(a, b):
    """Exact round-half-to-even of a / b for integer arrays a and b > 0."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    q = np.floor_divide(a, b)
    r2 = 2 * (a - q * b)
    return q + ((r2 > b) | ((r2 == b) & (q % 2 == 1)))


def pool2d(x, kind, ah, aw, count_include_pad=True, zero_point=0):
    """x (N, C, H, W) float32 or int8 -> (N, C, OH, OW), semantics in the module docstring."""
    integer = x.dtype == np.int8
    n, c = x.shape[:2]
    out = np.empty((n, c, ah.o, aw.o), x.dtype)
    rows = [ah.taps(i) for i in range(ah.o)]
    cols = [aw.taps(j) for j in range(aw.o)]
    for i, r in enumerate(rows):
        for j, cl in enumerate(cols):
            win = x[:, :, r][:, :, :, cl].reshape(n, c, -1)
            if kind == MAX:
                if win.shape[-1] == 0:
                    out[:, :, i, j] = -128 if integer else -np.inf
                else:
                    out[:, :, i, j] = np.max(win, axis=-1)  # np.max propagates NaN
                continue
            div = ah.count(i, count_include_pad) * aw.count(j, count_include_pad)
            if integer:
                s = np.sum(win.astype(np.int64) - zero_point, axis=-1)
                out[:, :, i, j] = np.clip(zero_point + div_round_half_even(s, div), -128, 127)
            else:
                with np.errstate(invalid="ignore"):
                    out[:, :, i, j] = (np.sum(win.astype(np.float64), axis=-1) / div).astype(np.float32)
    return out


def tolerance(x, ah, aw, count_include_pad=True):
    """Per-element bound on |avg_float32 - exact| for any summation order: gamma_{k+1} times the
    window mean of |x|, plus the rounding of the result (k = taps in the largest window)."""
    taps = max(len(ah.taps(i)) for i in range(ah.o)) * max(len(aw.taps(j)) for j in range(aw.o))
    g = (taps + 2) * U32 / (1 - (taps + 2) * U32)
    mag = pool2d(np.abs(x.astype(np.float32)), AVG, ah, aw, count_include_pad)
    return g * mag.astype(np.float64) + U32 * mag + np.finfo(np.float32).tiny


# ---- PyTorch-argument front ends (for tests and the network runner) ------------------------------
def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    (kh, kw), (ph, pw), (dh, dw) = _pair(kernel_size), _pair(padding), _pair(dilation)
    sh, sw = _pair(stride) if stride is not None else (kh, kw)
    h, w = x.shape[-2:]
    ah = Axis(h, out_size(h, kh, sh, ph, dh, ceil_mode), kh, sh, ph, dh)
    aw = Axis(w, out_size(w, kw, sw, pw, dw, ceil_mode), kw, sw, pw, dw)
    return pool2d(x, MAX, ah, aw)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, zero_point=0):
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    sh, sw = _pair(stride) if stride is not None else (kh, kw)
    h, w = x.shape[-2:]
    ah = Axis(h, out_size(h, kh, sh, ph, 1, ceil_mode), kh, sh, ph)
    aw = Axis(w, out_size(w, kw, sw, pw, 1, ceil_mode), kw, sw, pw)
    return pool2d(x, AVG, ah, aw, count_include_pad, zero_point)


def adaptive_avg_pool2d(x, output_size, zero_point=0):
    oh, ow = _pair(output_size)
    h, w = x.shape[-2:]
    ah = Axis(h, oh, adaptive_bin(h, oh), adaptive=True)
    aw = Axis(w, ow, adaptive_bin(w, ow), adaptive=True)
    return pool2d(x, AVG, ah, aw, zero_point=zero_point)


def open_rows(ah):
    """Accumulator rows the streaming HLS engine keeps: the most output rows that have received
    some input row but are not finished yet (emitted after row min(last tap, n - 1))."""
    def first_row(i):
        if ah.adaptive:
            return (i * ah.n) // ah.o
        return i * ah.s - ah.p

    def done_row(i):
        last = -((-(i + 1) * ah.n) // ah.o) - 1 if ah.adaptive else i * ah.s - ah.p + (ah.k - 1) * ah.d
        return min(last, ah.n - 1)

    best, lo, hi = 1, 0, 0
    for r in range(ah.n):
        while lo < ah.o and done_row(lo) < r:
            lo += 1
        while hi < ah.o and first_row(hi) <= r:
            hi += 1
        best = max(best, hi - lo)
    return best

