"""Test vectors for the pool / act_lut / eltwise C-simulation testbenches, from the NumPy reference.

    PYTHONPATH=<source>/python python gen_vectors_ops.py pool --out <build>/hls_tests/vectors/pool

Same contract as gen_vectors.py (the GEMM vectors): run by CTest as a FIXTURES_SETUP test, writes
into the BUILD directory only, fixed seed, a `cases.txt` manifest (one case per line, the columns
named in its first line) and `<case>.<array>.npy` per case. Float scalars are written as the hex
bits of their float32 (exact, and inf-safe). Operands the kernel reads at strides are flat buffers
with poison (NaN / random int8) everywhere no element of the operand lives.
"""
import sys
from pathlib import Path

import numpy as np

from fpgaops.backends.csim.conv2d import block_of, blocked_act
from fpgaops.backends.csim.pool import POOL_BLOCKED
from fpgaops.ops.act_lut import Activation
from fpgaops.ops.eltwise import _strides, broadcast_levels
from fpgaops.quant import QParams
from fpgaops.reference import act_lut as ref_act
from fpgaops.reference import eltwise as ref_elt
from fpgaops.reference import pool as ref_pool

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_vectors  # noqa: E402  (the shared command line)

SEED = 20240612


def fbits(v):
    return f"0x{int(np.float32(v).view(np.uint32)):08x}"


def write(out, columns, cases):
    lines = ["# " + " ".join(columns)]
    for row, arrays in cases:
        for key, arr in arrays.items():
            np.save(out / f"{row['name']}.{key}.npy", np.ascontiguousarray(arr))
        lines.append(" ".join(str(row[c]) for c in columns))
    (out / "cases.txt").write_text("\n".join(lines) + "\n")
    return len(cases)


def rand(rng, shape, dtype, specials=False):
    if np.dtype(dtype) == np.int8:
        return rng.integers(-128, 128, size=shape).astype(np.int8)
    x = rng.standard_normal(shape).astype(np.float32)
    if specials:
        flat = x.reshape(-1)
        flat[rng.choice(flat.size, min(3, flat.size), replace=False)] = [np.nan, np.inf, -np.inf][: min(3, flat.size)]
    return x


# ---- pool -----------------------------------------------------------------------------------------
POOL_COLUMNS = ("name dtype planes kind adaptive cip h oh kh sh ph dh w ow kw sw pw dw open_rows zero_point "
                "has_tol").split()


def pool_case(rng, name, dtype, planes, h, w, kind, k=(1, 1), s=None, p=(0, 0), d=(1, 1), ceil_mode=False,
              cip=True, adaptive=None, zp=0, specials=False, blocked=None, corners=False):
    """blocked: the kernel config, for the channel-blocked path (x and y in the conv tops' layout, the planes
    blocked as channels; kind | POOL_BLOCKED). corners: int8 codes drawn from -128, -127, 0, 127 only."""
    if adaptive:
        oh, ow = adaptive
        ah = ref_pool.Axis(h, oh, ref_pool.adaptive_bin(h, oh), adaptive=True)
        aw = ref_pool.Axis(w, ow, ref_pool.adaptive_bin(w, ow), adaptive=True)
    else:
        s = s or k
        ah = ref_pool.Axis(h, ref_pool.out_size(h, k[0], s[0], p[0], d[0], ceil_mode), k[0], s[0], p[0], d[0])
        aw = ref_pool.Axis(w, ref_pool.out_size(w, k[1], s[1], p[1], d[1], ceil_mode), k[1], s[1], p[1], d[1])
    x = rand(rng, (planes, 1, h, w), dtype, specials and kind == ref_pool.MAX)
    if corners:
        x = rng.choice(np.array([-128, -127, 0, 127], np.int8), size=x.shape)
    if blocked is not None:  # the padding planes of the last block are zeros the kernel pools too
        b, g = block_of(dtype, blocked)
        xp = np.zeros((-(-planes // b) * b, 1, h, w), x.dtype)
        xp[:planes] = x
        x = xp
    y = ref_pool.pool2d(x, kind, ah, aw, cip, zp)
    arrays = {"x": x.reshape(-1), "y": y.reshape(-1)}
    if blocked is not None:
        arrays = {"x": blocked_act(x.reshape(1, -1, h, w), 1, b, g).reshape(-1),
                  "y": blocked_act(y.reshape(1, -1, ah.o, aw.o), 1, b, g).reshape(-1)}
        planes, kind = x.shape[0] // b, kind | POOL_BLOCKED
    has_tol = int(dtype == "float32" and kind & 1 == ref_pool.AVG)
    if has_tol:
        tol = ref_pool.tolerance(x, ah, aw, cip).astype(np.float64)
        if blocked is not None:  # pad columns / planes are written as 0: exact
            tol = blocked_act(tol.reshape(1, -1, ah.o, aw.o), 1, *block_of(dtype, blocked))
        arrays["tol"] = tol.reshape(-1)
    row = dict(name=name, dtype="f32" if dtype == "float32" else "i8", planes=planes, kind=kind,
               adaptive=int(bool(adaptive)), cip=int(cip), h=ah.n, oh=ah.o, kh=ah.k, sh=ah.s, ph=ah.p, dh=ah.d,
               w=aw.n, ow=aw.o, kw=aw.k, sw=aw.s, pw=aw.p, dw=aw.d, open_rows=ref_pool.open_rows(ah), zero_point=zp,
               has_tol=has_tol)
    return row, arrays


def pool_cases(cfg):
    rng = np.random.default_rng(SEED)
    M, A = ref_pool.MAX, ref_pool.AVG
    cases = []

    def add(name, dtype, *args, **kw):
        cases.append(pool_case(rng, f"{dtype}_{name}", dtype, *args, **kw))

    for dt in ("float32", "int8"):
        add("max_3s2p1", dt, 6, 17, 19, M, (3, 3), (2, 2), (1, 1), specials=True)
        add("max_2s2", dt, 3, 8, 8, M, (2, 2))
        add("max_3s2_ceil", dt, 4, 14, 15, M, (3, 3), (2, 2), ceil_mode=True)
        add("max_dil2_k3_p1", dt, 2, 13, 11, M, (3, 3), (1, 1), (1, 1), (2, 2))
        add("max_dil3_k2_p1_allpad", dt, 2, 2, 9, M, (2, 1), (1, 1), (1, 0), (3, 1))
        add("max_k7_s1_p3", dt, 2, 9, 30, M, (7, 7), (1, 1), (3, 3))
        add("max_1x5_s1x3", dt, 2, 6, 23, M, (1, 5), (1, 3), (0, 2), ceil_mode=True)
        add("max_k1", dt, 2, 5, 5, M)
        add("avg_3s2p1_cip", dt, 5, 17, 19, A, (3, 3), (2, 2), (1, 1), cip=True, zp=-7)
        add("avg_3s2p1_nocip_ceil", dt, 5, 16, 18, A, (3, 3), (2, 2), (1, 1), ceil_mode=True, cip=False, zp=5)
        add("avg_2s2", dt, 3, 10, 10, A, (2, 2), zp=127)
        add("avg_5s3p2_ceil_cip", dt, 2, 12, 13, A, (5, 5), (3, 3), (2, 2), ceil_mode=True, cip=True, zp=-128)
        add("avg_k4_s1_p2", dt, 2, 7, 9, A, (4, 4), (1, 1), (2, 2), zp=3)
        add("gap_7x7", dt, 40, 7, 7, A, adaptive=(1, 1), zp=-5)
        add("gap_odd", dt, 3, 13, 29, A, adaptive=(1, 1), zp=11)
        add("adaptive_4x5", dt, 3, 10, 17, A, adaptive=(4, 5), zp=-1)
        add("adaptive_up_7x9", dt, 2, 5, 4, A, adaptive=(7, 9), zp=0)
        add("wide_row", dt, 2, 3, cfg.pool.max_width, M, (3, 3), (2, 2), (1, 1))
        # the channel-blocked path (pool.hpp run_blocked): more planes than a block, widths not a
        # multiple of a word's columns, every window shape it takes
        bl = dict(blocked=cfg)
        add("blk_max_3s2p1", dt, 37, 17, 19, M, (3, 3), (2, 2), (1, 1), specials=True, **bl)
        add("blk_max_3s2p1_resnet", dt, 16, 12, 12, M, (3, 3), (2, 2), (1, 1), **bl)
        add("blk_max_2s2", dt, 3, 8, 9, M, (2, 2), **bl)
        add("blk_max_3s2_ceil", dt, 4, 14, 15, M, (3, 3), (2, 2), ceil_mode=True, **bl)
        add("blk_max_dil2_k3_p1", dt, 2, 13, 11, M, (3, 3), (2, 2), (1, 1), (2, 2), **bl)
        add("blk_max_1x5_s1x3", dt, 2, 6, 23, M, (1, 5), (1, 3), (0, 2), ceil_mode=True, **bl)
        add("blk_max_k3_s1_p1", dt, 5, 9, 10, M, (3, 3), (1, 1), (1, 1), **bl)
        add("blk_max_k1_s3", dt, 2, 7, 13, M, (1, 1), (3, 3), **bl)
        add("blk_max_k2_s5", dt, 2, 11, 22, M, (2, 2), (5, 5), **bl)
        add("blk_max_dil3_k2_p1_allpad", dt, 2, 9, 2, M, (1, 2), (2, 3), (0, 1), (1, 3), **bl)  # windows all padding
        add("blk_avg_3s2p1_cip", dt, 20, 17, 19, A, (3, 3), (2, 2), (1, 1), cip=True, zp=-7, **bl)
        add("blk_avg_3s2p1_nocip_ceil", dt, 5, 16, 18, A, (3, 3), (2, 2), (1, 1), ceil_mode=True, cip=False, zp=5,
            **bl)
        add("blk_avg_2s2", dt, 3, 10, 10, A, (2, 2), zp=127, **bl)
        add("blk_avg_5s3p2_ceil_cip", dt, 2, 12, 13, A, (5, 5), (3, 3), (2, 2), ceil_mode=True, cip=True, zp=-128,
            **bl)
        # the widest output row the blocked bank takes (pool.blocked_out_words words)
        add("blk_wide_row", dt, 2, 3, 2 * cfg.pool.blocked_out_words * block_of(dt, cfg)[1] - 1, M, (3, 3), (2, 2), (1, 1), **bl)
    for zp in (-128, 127):  # int8 corners: saturating codes, padding at the int8 minimum / the zero point
        add(f"blk_max_corners_zp{zp + 128}", "int8", 18, 9, 11, M, (3, 3), (2, 2), (1, 1), corners=True, blocked=cfg)
        add(f"blk_avg_corners_zp{zp + 128}", "int8", 18, 9, 11, A, (3, 3), (2, 2), (1, 1), cip=True, zp=zp,
            corners=True, blocked=cfg)
        add(f"blk_avg_corners_nocip_zp{zp + 128}", "int8", 18, 9, 11, A, (3, 3), (1, 1), (1, 1), cip=False, zp=zp,
            corners=True, blocked=cfg)
    return cases


# ---- act_lut ----------------------------------------------------------------------------------------
ACT_COLUMNS = "name dtype count kind alpha beta has_table".split()


def act_cases(cfg):
    rng = np.random.default_rng(SEED + 1)
    cases = []
    specs = [("relu", {}), ("relu6", {}), ("leaky_relu", {"negative_slope": 0.1}),
             ("hardtanh", {"min_val": -2.0, "max_val": 0.5}), ("hardsigmoid", {}), ("hardswish", {}), ("sigmoid", {}),
             ("tanh", {}), ("silu", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"})]
    for i, (name, params) in enumerate(specs):
        act = Activation.of(name, **params)
        count = [1, 15, 16, 17, 1000, 4099][i % 6]
        x = np.concatenate([rng.uniform(-24, 24, count), [np.nan, np.inf, -np.inf, 0.0, -3.0, 16.0, -8.0]])
        x = x[: max(count, 1)].astype(np.float32) if count < 7 else x.astype(np.float32)
        kind, alpha, beta, table = act.float_kernel()
        tab = ref_act.float_table(table) if table else None
        y = ref_act.apply_float(x, kind, alpha, beta, tab)
        arrays = {"x": x, "y": y, "tol": ref_act.tolerance(y).astype(np.float64)}
        if tab is not None:
            arrays["table"] = tab
        cases.append((dict(name=f"f32_{act.function}_{i}", dtype="f32", count=x.size, kind=kind, alpha=fbits(alpha),
                           beta=fbits(beta), has_table=int(tab is not None)), arrays))
    for i, (name, params) in enumerate(specs[:8]):
        act = Activation.of(name, **params)
        in_q, out_q = QParams(0.03 + 0.01 * i, -20 + 9 * i), QParams(0.02 + 0.005 * i, 7 - 5 * i)
        lut = act.lut(in_q, out_q)
        count = [1, 63, 64, 65, 3000, 257][i % 6]
        x = rng.integers(-128, 128, count).astype(np.int8)
        cases.append((dict(name=f"i8_{act.function}_{i}", dtype="i8", count=count, kind=ref_act.LUT8, alpha=fbits(0),
                           beta=fbits(0), has_table=1), {"x": x, "y": ref_act.apply_int8(x, lut), "table": lut}))
    return cases


# ---- eltwise -------------------------------------------------------------------------------------------
ELT_COLUMNS = ("name dtype op p q r a_sp a_sq a_sr b_sp b_sq b_sr kind alpha beta za zb zo ma mb shift "
               "has_table").split()


def _flat(rng, dtype, p, q, r, strides):
    """Operand buffer read with strides over (p, q, r); poison wherever no element lives."""
    sp, sq, sr = strides
    span = (p - 1) * sp + (q - 1) * sq + (r - 1) * sr + 1
    flat = np.full(span, np.nan, np.float32) if dtype == "float32" else rng.integers(-128, 128, span).astype(np.int8)
    idx = np.arange(p)[:, None, None] * sp + np.arange(q)[None, :, None] * sq + np.arange(r)[None, None, :] * sr
    vals = rand(rng, idx.shape, dtype)
    flat[idx] = vals
    return flat, flat[idx]


def elt_case(rng, name, dtype, op, sa, sb, act=None, q=None):
    _, levels = broadcast_levels(sa, sb)
    levels = [(1, True, True)] * (3 - len(levels)) + levels
    p, qq, r = (lv[0] for lv in levels)
    a_st, b_st = _strides(levels, 0), _strides(levels, 1)
    a_flat, A = _flat(rng, dtype, p, qq, r, a_st)
    b_flat, B = _flat(rng, dtype, p, qq, r, b_st)
    arrays = {"a": a_flat, "b": b_flat}
    row = dict(name=name, dtype="f32" if dtype == "float32" else "i8", op=op, p=p, q=qq, r=r,
               a_sp=a_st[0], a_sq=a_st[1], a_sr=a_st[2], b_sp=b_st[0], b_sq=b_st[1], b_sr=b_st[2],
               kind=0, alpha=fbits(0), beta=fbits(0), za=0, zb=0, zo=0, ma=0, mb=0, shift=0, has_table=0)
    a_act = Activation.of(act) if act else None
    if dtype == "float32":
        kind, alpha, beta, table = a_act.float_kernel() if a_act else (ref_act.NONE, 0.0, 0.0, None)
        tab = ref_act.float_table(table) if table else None
        y = ref_elt.eltwise_float(A, B, op, kind, alpha, beta, tab)
        arrays["tol"] = ref_act.tolerance(y).reshape(-1).astype(np.float64) * (tab is not None)
        row.update(kind=kind, alpha=fbits(alpha), beta=fbits(beta), has_table=int(tab is not None))
        if tab is not None:
            arrays["table"] = tab
    else:
        qa, qb, qo = (QParams(*v) for v in q)
        if op == ref_elt.ADD:
            ma, mb, shift = ref_elt.add_multipliers(qa, qb, qo)
        else:
            (ma, shift), mb = ref_elt.mul_multiplier(qa, qb, qo), 0
        lut = a_act.lut(qo, qo) if a_act else None
        y = ref_elt.eltwise_int8(A, B, op, qa.zero_point, qb.zero_point, qo.zero_point, ma, mb, shift, lut)
        row.update(kind=ref_act.LUT8 if lut is not None else 0, za=qa.zero_point, zb=qb.zero_point,
                   zo=qo.zero_point, ma=ma, mb=mb, shift=shift, has_table=int(lut is not None))
        if lut is not None:
            arrays["table"] = lut
    arrays["y"] = y.reshape(-1)
    return row, arrays


def elt_cases(cfg):
    rng = np.random.default_rng(SEED + 2)
    seg = cfg.eltwise.segment
    A_, M_ = ref_elt.ADD, ref_elt.MUL
    qs = [(0.05, -3), (0.02, 10), (0.06, -128)]
    cases = []

    def add(name, dtype, *args, **kw):
        cases.append(elt_case(rng, f"{dtype}_{name}", dtype, *args, **kw))

    for dt in ("float32", "int8"):
        kw = {} if dt == "float32" else {"q": qs}
        add("add_dense", dt, A_, (2, 16, 7, 9), (2, 16, 7, 9), **kw)
        add("add_dense_relu_offsets", dt, A_, (3, 5, 11), (3, 5, 11), "relu", **kw)
        add("mul_se_gate", dt, M_, (2, 24, 13, 13), (2, 24, 1, 1), **kw)
        add("mul_se_gate_sigmoid", dt, M_, (2, 24, 5, 7), (2, 24, 1, 1), "sigmoid", **kw)
        add("add_bias_relu6", dt, A_, (2, 12, 6, 5), (12, 1, 1), "relu6", **kw)
        add("add_both_repeat", dt, A_, (3, 1, 7), (1, 5, 1), "hardswish", **kw)
        add("add_row_longer_than_segment", dt, A_, (2, seg + 37), (2, seg + 37), "silu", **kw)
        add("mul_one", dt, M_, (1,), (1,), **kw)
        add("add_odd_r", dt, A_, (7, 3), (7, 1), "gelu", **kw)
    cases.append(elt_case(rng, "int8_mul_tiny_scale", "int8", M_, (4, 33), (4, 33), q=[(0.5, 0), (0.5, 0), (1e-4, 0)]))
    cases.append(elt_case(rng, "int8_add_big_ratio", "int8", A_, (4, 33), (4, 33), q=[(2.0, 1), (0.001, -1), (0.01, 0)]))
    return cases


FAMILIES = {
    "pool": lambda out, cfg: write(out, POOL_COLUMNS, pool_cases(cfg)),
    "act_lut": lambda out, cfg: write(out, ACT_COLUMNS, act_cases(cfg)),
    "eltwise": lambda out, cfg: write(out, ELT_COLUMNS, elt_cases(cfg)),
}


def main(argv=None):
    return gen_vectors.main(argv, FAMILIES, "gen_vectors_ops", SEED)


if __name__ == "__main__":
    sys.exit(main())
