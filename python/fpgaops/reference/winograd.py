"""Winograd minimal filtering F(m x m, 3 x 3): the transform matrices, defined ONCE here.

    Y = A^T [ (G g G^T) (.) (B^T d B) ] A        (Lavin & Gray, 2015)

for a 3x3 filter g and an (m+2)x(m+2) input tile d, giving an m x m output tile. Every kernel gets
these matrices from this file: OpenCL as generated ``-D`` macros (``cl_defines``), HLS as a
generated header (``hls_header``). Nobody types them twice.

int8 (m = 2 only): ``G`` has entries 1/2, so the filter transform is done with ``G2 = 2 G``
(integers) and the result ``A^T [(G2 g G2^T) (.) V] A = 4 Y`` is divided by 4 exactly at the end
(an arithmetic shift by 2 of an exact multiple of 4). All arithmetic is int32 with two's-complement
wrap; the result is exact whenever |4 Y| < 2**31, which ``int8_channel_limit`` guarantees for
int8 data with any zero point: 4 * C * 9 * 255 * 128 < 2**31  <=>  C <= 1827.

float32 error: see ``fpgaops.reference.conv2d.tolerance`` (factor ``FLOAT_ERROR_FACTOR[m]``).
"""
from fractions import Fraction as Fr

import numpy as np

# Interpolation points 0, 1, -1 (m=2) and 0, 1, -1, 2, -2 (m=4), plus infinity.
_MATS = {
    2: dict(
        BT=[[1, 0, -1, 0],
            [0, 1, 1, 0],
            [0, -1, 1, 0],
            [0, 1, 0, -1]],
        G=[[1, 0, 0],
           [Fr(1, 2), Fr(1, 2), Fr(1, 2)],
           [Fr(1, 2), Fr(-1, 2), Fr(1, 2)],
           [0, 0, 1]],
        AT=[[1, 1, 1, 0],
            [0, 1, -1, -1]],
    ),
    4: dict(
        BT=[[4, 0, -5, 0, 1, 0],
            [0, -4, -4, 1, 1, 0],
            [0, 4, -4, -1, 1, 0],
            [0, -2, -1, 2, 1, 0],
            [0, 2, -1, -2, 1, 0],
            [0, 4, 0, -5, 0, 1]],
        G=[[Fr(1, 4), 0, 0],
           [Fr(-1, 6), Fr(-1, 6), Fr(-1, 6)],
           [Fr(-1, 6), Fr(1, 6), Fr(-1, 6)],
           [Fr(1, 24), Fr(1, 12), Fr(1, 6)],
           [Fr(1, 24), Fr(-1, 12), Fr(1, 6)],
           [0, 0, 1]],
        AT=[[1, 1, 1, 1, 1, 0],
            [0, 1, -1, 2, -2, 0],
            [0, 1, 1, 4, 4, 0],
            [0, 1, -1, 8, -8, 1]],
    ),
}
TILES = tuple(sorted(_MATS))          # supported output tile sizes m
INT8_TILES = (2,)                     # int8 Winograd: F(2x2, 3x3) only
INT8_G_SCALE = 2                      # G2 = 2 G is integer for m = 2
INT8_DIVISOR = INT8_G_SCALE ** 2      # the exact division at the end
# |x - zp| <= 255, |w| <= 128, 9 taps, times the divisor: 4 * C * 9 * 255 * 128 < 2**31
INT8_MAX_CHANNELS = (2**31 - 1) // (INT8_DIVISOR * 9 * 255 * 128)
# float32 error factor beta_m of F(m x m, 3x3) in fpgaops.reference.conv2d.tolerance: the error
# is bounded by beta_m * gamma_{9C+2} * sum_c max|x_c| * sum|w_kc|. Measured worst ratios of the
# OpenCL kernels over 60 random layers (C 1-80, K 1-40, 3-30 px, input scales 1e-2..1e2):
# 0.15 (m=2) and 1.9 (m=4); the factors leave a 13x and 8x margin.
FLOAT_ERROR_FACTOR = {2: 2.0, 4: 16.0}


def exact(m):
    """(BT, G, AT) as nested lists of Fractions (the source of truth)."""
    if m not in _MATS:
        raise ValueError(f"Winograd F({m}x{m},3x3) is not defined; supported m: {TILES}")
    return tuple([[Fr(v) for v in row] for row in _MATS[m][k]] for k in ("BT", "G", "AT"))


def matrices(m):
    """(BT, G, AT) as float64 arrays: shapes (a, a), (a, 3), (m, a) with a = m + 2."""
    return tuple(np.array([[float(v) for v in row] for row in mat]) for mat in exact(m))


def int_matrices(m=2):
    """(BT, G2, AT) as int64 arrays for the int8 path: G2 = INT8_G_SCALE * G is integer."""
    if m not in INT8_TILES:
        raise ValueError(f"int8 Winograd supports m in {INT8_TILES}, not {m}")
    bt, g, at = exact(m)
    g2 = [[v * INT8_G_SCALE for v in row] for row in g]
    assert all(v.denominator == 1 for row in g2 for v in row)
    return tuple(np.array([[int(v) for v in row] for row in mat], np.int64) for mat in (bt, g2, at))


def filter_transform(w, m, integer=False):
    """U = G g G^T for every (k, c): w (K, C, 3, 3) -> (a, a, K, C)."""
    if integer:
        _, g, _ = int_matrices(m)
        return np.einsum("ir,kcrs,js->ijkc", g, w.astype(np.int64), g)
    _, g, _ = matrices(m)
    return np.einsum("ir,kcrs,js->ijkc", g, w.astype(np.float64), g)


def conv2d(xp, w, m, integer=False):
    """Winograd convolution of an already padded input (stride 1, dilation 1, groups 1).

    xp (N, C, Hp, Wp), w (K, C, 3, 3) -> (N, K, Hp - 2, Wp - 2), exact for integer data
    (int64 arithmetic, final exact division) and float64 otherwise. An independent formulation
    used by the unit tests to check the matrices; not the test oracle of the kernels.
    """
    n, c, hp, wp = xp.shape
    k = w.shape[0]
    oh, ow = hp - 2, wp - 2
    th, tw = -(-oh // m), -(-ow // m)
    a = m + 2
    dt = np.int64 if integer else np.float64
    pad = np.zeros((n, c, th * m + 2, tw * m + 2), dt)
    pad[:, :, :hp, :wp] = xp
    if integer:
        bt, _, at = int_matrices(m)
    else:
        bt, _, at = matrices(m)
    u = filter_transform(w, m, integer)
    # tiles d[n, c, ty, tx, a, a]
    idx_y = (np.arange(th)[:, None] * m + np.arange(a)[None, :])
    idx_x = (np.arange(tw)[:, None] * m + np.arange(a)[None, :])
    d = pad[:, :, idx_y[:, None, :, None], idx_x[None, :, None, :]]    # (n, c, th, tw, a, a)
    v = np.einsum("ip,ncyxpq,jq->ijncyx", bt, d, bt)
    mm = np.einsum("ijkc,ijncyx->ijnkyx", u, v)
    y = np.einsum("pi,ijnkyx,qj->nkypxq", at, mm, at).reshape(n, k, th * m, tw * m)
    if integer:
        assert np.all(y % INT8_DIVISOR == 0)
        y = y // INT8_DIVISOR
    return y[:, :, :oh, :ow]


# ---- code generation --------------------------------------------------------------------------

def _c_float(v):
    """An exact float32 literal (hex float) for a Fraction, or a small integer literal."""
    if v.denominator == 1:
        return f"{int(v)}.0f"
    return f"{float(np.float32(float(v))).hex()}f"


def _row_expr(row, src, integer):
    """One output of a 1-D transform as an expression over src(0..n-1), no spaces."""
    terms = []
    for j, v in enumerate(row):
        if v == 0:
            continue
        s = f"{src}({j})"
        if v == 1:
            terms.append(f"+{s}")
        elif v == -1:
            terms.append(f"-{s}")
        else:
            lit = str(int(v)) if integer else _c_float(v)
            terms.append(f"+({lit})*{s}" if v > 0 else f"-({lit[1:] if lit.startswith('-') else lit})*{s}")
    expr = "".join(terms) or "0"
    return expr[1:] if expr.startswith("+") else expr


def _transform_macro(name, mat, integer):
    """-D flag defining name(o,i) as 'o(0)=...;o(1)=...' with o and i macros/lambdas of the caller."""
    body = ";".join(f"o({r})=({_row_expr(row, 'i', integer)})" for r, row in enumerate(mat))
    return f"-D{name}(o,i)={body}"


def cl_defines(m, integer=False):
    """OpenCL -D flags: WINO_M, WINO_A and the 1-D transforms WINO_BT, WINO_G, WINO_AT.

    Each transform macro ``T(o, i)`` expands to ``o(0)=(expr of i(0..));o(1)=...;`` so a kernel
    applies it along rows or columns by defining the accessor macros ``o`` and ``i``.
    """
    if integer:
        bt, g, at = ([[Fr(int(v)) for v in row] for row in mat] for mat in int_matrices(m))
    else:
        bt, g, at = exact(m)
    flags = [f"-DWINO_M={m}", f"-DWINO_A={m + 2}"]
    if integer:
        flags.append(f"-DWINO_INT_SHIFT={INT8_DIVISOR.bit_length() - 1}")
    flags += [_transform_macro("WINO_BT", bt, integer), _transform_macro("WINO_G", g, integer),
              _transform_macro("WINO_AT", at, integer)]
    assert not any(" " in f for f in flags)
    return flags


def hls_header():
    """C++ header text with the matrices as constexpr arrays (for the HLS Winograd templates)."""
    lines = ["// Generated by python/fpgaops/reference/winograd.py. Do not edit.",
             "#ifndef FPGAOPS_WINOGRAD_MATRICES_HPP", "#define FPGAOPS_WINOGRAD_MATRICES_HPP", "",
             "namespace fpgaops {", "namespace wino {"]
    for m in TILES:
        for nm, mat in zip(("BT", "G", "AT"), exact(m)):
            rows = ", ".join("{" + ", ".join(_c_float(v) for v in row) + "}" for row in mat)
            lines.append(f"constexpr float F{m}_{nm}[{len(mat)}][{len(mat[0])}] = {{{rows}}};")
    for nm, mat in zip(("BT", "G2", "AT"), int_matrices(2)):
        rows = ", ".join("{" + ", ".join(str(int(v)) for v in row) + "}" for row in mat)
        lines.append(f"constexpr int F2_INT_{nm}[{len(mat)}][{len(mat[0])}] = {{{rows}}};")
    lines += [f"constexpr int F2_INT_DIVISOR = {INT8_DIVISOR};", "}  // namespace wino",
              "}  // namespace fpgaops", "", "#endif", ""]
    return "\n".join(lines)


def _main(argv=None):
    """``python -m fpgaops.reference.winograd --header OUT``: write the HLS header (for CMake)."""
    import argparse
    from pathlib import Path

    p = argparse.ArgumentParser(description="Write the generated Winograd matrix header for the HLS kernels.")
    p.add_argument("--header", required=True, help="output path, e.g. <build>/generated/fpgaops/winograd_matrices.hpp")
    args = p.parse_args(argv)
    out = Path(args.header)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = hls_header()
    if not out.exists() or out.read_text() != text:  # keep the timestamp: no needless rebuilds
        out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
