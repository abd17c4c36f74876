"""Test vectors for the conv2d / dwconv / winograd C-simulation testbenches, from the NumPy reference.

    PYTHONPATH=<source>/python python gen_conv_vectors.py conv2d --out <build>/hls_tests/vectors/conv2d

Same contract as gen_vectors_ops.py (whose manifest writer it reuses): run by CTest as a
FIXTURES_SETUP test, writes into the BUILD directory only, fixed seed, a `cases.txt` manifest (one
case per line, columns named in its first line) and `<case>.<array>.npy` per case. Every case is a
full ConvCall: the int8 multipliers come from fpgaops.ops.conv2d's own parameter derivation, the
expected output from fpgaops.reference.conv2d (int8 bit-exact; float32 with its per-element bound).
"""
import sys
from pathlib import Path

import numpy as np

from fpgaops.ops.conv2d import _int8_params
from fpgaops.reference import conv2d as ref

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_vectors  # noqa: E402  (the shared command line)
from gen_vectors_ops import write  # noqa: E402  (the shared manifest writer)

SEED = 20240613
ACT = {None: 0, "relu": 1, "relu6": 2}
COLUMNS = ("name dtype n c h w k r s oh ow sh sw pt pl dh dw groups has_bias has_res act xzp yzp rzp rmult rshift "
           "amin amax has_tol").split()


def conv_case(rng, name, dtype, n, c, h, w, k, r, s, stride=(1, 1), pad=(0, 0), dil=(1, 1), groups=1,
              bias=True, res=False, act=None, xzp=0, yzp=0, winograd_m=0):
    oh = (h + 2 * pad[0] - dil[0] * (r - 1) - 1) // stride[0] + 1
    ow = (w + 2 * pad[1] - dil[1] * (s - 1) - 1) // stride[1] + 1
    cg = c // groups
    arrays = {}
    row = dict(name=name, dtype="f32" if dtype == "float32" else "i8", n=n, c=c, h=h, w=w, k=k, r=r, s=s, oh=oh,
               ow=ow, sh=stride[0], sw=stride[1], pt=pad[0], pl=pad[1], dh=dil[0], dw=dil[1], groups=groups,
               has_bias=int(bias), has_res=int(res), act=ACT[act], xzp=0, yzp=0, rzp=0, rmult=0, rshift=0, amin=0,
               amax=0, has_tol=0)
    geo = ((stride[0], stride[1]), (pad[0], pad[1]), dil, groups, (oh, ow))
    if dtype == "float32":
        x = rng.standard_normal((n, c, h, w)).astype(np.float32)
        wt = rng.standard_normal((k, cg, r, s)).astype(np.float32)
        b = rng.standard_normal(k).astype(np.float32) if bias else None
        rs = rng.standard_normal((n, k, oh, ow)).astype(np.float32) if res else None
        y = ref.conv2d_float(x, wt, b, *geo, activation=act, residual=rs)
        tol = ref.tolerance(x, wt, b, *geo, residual=rs, winograd_m=winograd_m)
        arrays.update(y=y.reshape(-1), tol=tol.reshape(-1).astype(np.float64))
        row["has_tol"] = 1
    else:
        x = rng.integers(-128, 128, (n, c, h, w)).astype(np.int8)
        wt = rng.integers(-128, 128, (k, cg, r, s)).astype(np.int8)
        b = rng.integers(-2**20, 2**20, k).astype(np.int32) if bias else None
        rs = rng.integers(-128, 128, (n, k, oh, ow)).astype(np.int8) if res else None
        wscale = rng.uniform(0.002, 0.02, k)
        q = _int8_params(k, 0.05, xzp, wscale, 2.0 * np.sqrt(cg * r * s), yzp, rs, 0.07 if res else None, -5, act)
        y = ref.conv2d_int8(x, wt, b, *geo, x_zero_point=xzp, mult=q["mult"], shift=q["shift"], y_zero_point=yzp,
                            lo=q["act_min"], hi=q["act_max"], residual=rs, res_zero_point=q.get("res_zero_point", 0),
                            res_mult=q.get("res_mult", 0), res_shift=q.get("res_shift", 0))
        arrays.update(y=y.reshape(-1), mult=q["mult"], shift=q["shift"])
        row.update(xzp=xzp, yzp=yzp, rzp=q.get("res_zero_point", 0), rmult=q.get("res_mult", 0),
                   rshift=q.get("res_shift", 0), amin=q["act_min"], amax=q["act_max"])
    arrays.update(x=x.reshape(-1), w=wt.reshape(-1))
    if b is not None:
        arrays["b"] = b
    if rs is not None:
        arrays["res"] = rs.reshape(-1)
    return row, arrays


def conv2d_cases(cfg):
    rng = np.random.default_rng(SEED)
    tn = cfg.gemm.tile_n
    lbw = cfg.conv2d.line_buffer_w
    cases = []

    # an int8-only build (gemm.float32 = 0) has no float32 conv2d top
    dtypes = ("float32", "int8") if cfg.gemm.float32 else ("int8",)

    def add(name, *args, **kw):
        for dt in dtypes:
            kw2 = dict(kw)
            if dt == "float32":
                kw2.pop("xzp", None), kw2.pop("yzp", None)
            cases.append(conv_case(rng, f"{name}_{'f32' if dt == 'float32' else 'i8'}", dt, *args, **kw2))

    add("3x3_pad1", 1, 8, 12, 12, 16, 3, 3, pad=(1, 1), act="relu", xzp=-7, yzp=3)
    add("3x3_wide_rows", 1, 5, 9, 150, 70, 3, 3, pad=(1, 1), res=True, xzp=11, yzp=-2)  # tile_w = tile_n
    add("1x1", 2, 33, 7, 7, 65, 1, 1, bias=False, act="relu6", xzp=-128, yzp=127)
    add("7x7_s2_pad3", 1, 3, 23, 29, 10, 7, 7, stride=(2, 2), pad=(3, 3), xzp=5)
    add("5x3_s2x1_dil2x3", 1, 4, 19, 17, 6, 5, 3, stride=(2, 1), pad=(4, 2), dil=(2, 3), res=True, act="relu")
    add("grouped", 2, 8, 10, 11, 12, 3, 3, pad=(1, 1), groups=4, xzp=-1)
    add("depthwise_mult2", 1, 6, 9, 9, 12, 3, 3, pad=(1, 1), groups=6, res=True, xzp=2)
    add("deep_k_slices", 1, 40, 6, 6, 70, 3, 3, pad=(1, 1), xzp=1)        # C*R*S = 360: 6 K slices
    add("tall_narrow", 1, 3, 70, 1, 5, 3, 1, pad=(1, 0))                  # OW = 1: line_buffer_rows rows a tile
    # the widest filter the im2col tops take when the row does not fit: (S-1)*dil+1 + (G-1)*stride ==
    # line_buffer_w, G = the int8 vectors of gemm.pe channels per bus word (a tile writes whole words of y)
    g8 = cfg.axi.word_bits // 8 // cfg.gemm.pe
    add("widest_filter", 1, 2, 4, lbw + 9, 3, 1, 2, dil=(1, lbw - g8))
    add("big_stride_w", 1, 2, 5, 3 * lbw, 4, 2, 3, stride=(1, 7), pad=(0, 1))  # tile_w < tile_n from the buffer
    add("pad_only_taps", 1, 2, 2, 2, 3, 3, 3, pad=(2, 2))                # outputs whose window is mostly padding
    assert tn >= 1
    return cases


def dwconv_cases(cfg):
    """Depthwise (groups == C, no residual) within the kernel's limits, edges included."""
    rng = np.random.default_rng(SEED + 1)
    mk, mw, lbr = cfg.dwconv.max_kernel, cfg.dwconv.max_w, cfg.dwconv.line_buffer_rows
    cases = []

    def add(name, *args, **kw):
        for dt in ("float32", "int8"):
            kw2 = dict(kw)
            if dt == "float32":
                kw2.pop("xzp", None), kw2.pop("yzp", None)
            cases.append(conv_case(rng, f"{name}_{'f32' if dt == 'float32' else 'i8'}", dt, *args, **kw2))

    simd, max_row = cfg.dwconv.simd, cfg.dwconv.max_row
    nb = mk                                          # dwconv.hpp NB: column banks
    depth = -(-max_row // (simd * nb))               # vectors per (row slot, bank)
    add("mbv2_3x3_s1", 2, 16, 14, 14, 16, 3, 3, pad=(1, 1), groups=16, act="relu6", xzp=-3, yzp=4)
    add("mbv2_3x3_s2", 1, 24, 15, 16, 24, 3, 3, stride=(2, 2), pad=(1, 1), groups=24, act="relu6", xzp=9)
    add("channels_not_simd_s2", 2, 40, 7, 9, 40, 3, 3, stride=(2, 2), pad=(1, 1), groups=40, xzp=-5, yzp=2)
    add("multiplier_3", 1, 4, 9, 7, 12, 3, 3, pad=(1, 1), groups=4, bias=False, xzp=-128, yzp=127)
    add("max_kernel", 1, 3, 12, 13, 3, mk, mk, pad=(mk // 2, mk // 2), groups=3, act="relu")
    add("dilated_full_buffer", 1, 2, 12, 12, 2, 2, 2, dil=((lbr - 2), nb - 1), pad=(1, 2), groups=2, xzp=1)
    add("stride3_no_pad", 1, 3, 11, 10, 3, 2, 2, stride=(3, 3), groups=3)
    wide = min(mw, depth * nb)                       # one channel group: the widest padded row that fits
    add("widest_row", 1, 2, 3, wide - 2, 2, 3, 3, pad=(1, 1), groups=2)   # padded row == wide
    add("one_pixel", 1, 5, 1, 1, 5, 3, 3, pad=(1, 1), groups=5, xzp=7)
    return cases


def winograd_cases(cfg):
    """3x3 stride 1: float32 F(2x2) and F(4x4) within the Winograd bound, int8 F(2x2) bit-exact.
    Sizes straddle the kernel's blocks (winograd.tile_k channels x winograd.tile_w tiles)."""
    rng = np.random.default_rng(SEED + 2)
    bk, bt = cfg.winograd.tile_k, cfg.winograd.tile_w
    cases = []

    def add(name, *args, **kw):
        for dt, m in (("float32", 2), ("float32", 4), ("int8", 2)):
            kw2 = dict(kw)
            if dt == "float32":
                kw2.pop("xzp", None), kw2.pop("yzp", None)
            row, arrays = conv_case(rng, f"{name}_{'f32' if dt == 'float32' else 'i8'}_m{m}", dt, *args,
                                    winograd_m=m if dt == "float32" else 0, **kw2)
            row["wm"] = m
            cases.append((row, arrays))

    add("same_pad", 1, 8, 12, 12, 16, 3, 3, pad=(1, 1), act="relu", xzp=-7, yzp=3)
    add("odd_sizes_residual", 2, 5, 9, 11, bk + 3, 3, 3, pad=(1, 1), res=True, act="relu6", xzp=100, yzp=-3)
    add("valid_wide", 1, 3, 7, 4 * bt * 2 + 5, 4, 3, 3, bias=False, xzp=-128)
    add("asym_pad", 1, 4, 6, 5, 3, 3, 3, pad=(2, 0), xzp=5)
    add("many_channels", 1, 70, 6, 6, 2 * bk, 3, 3, pad=(1, 1), xzp=1)
    add("tiny", 1, 1, 1, 1, 1, 3, 3, pad=(1, 1))
    return cases


FAMILIES = {
    "conv2d": lambda out, cfg: write(out, COLUMNS, conv2d_cases(cfg)),
    "winograd": lambda out, cfg: write(out, COLUMNS + ["wm"], winograd_cases(cfg)),
    "dwconv": lambda out, cfg: write(out, COLUMNS, dwconv_cases(cfg)),
}


def main(argv=None):
    return gen_vectors.main(argv, FAMILIES, "gen_conv_vectors", SEED)


if __name__ == "__main__":
    sys.exit(main())
