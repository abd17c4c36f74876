"""Test vectors for the C-simulation testbenches, from the NumPy reference (fpgaops.reference).

    PYTHONPATH=<source>/python python gen_vectors.py gemm --out <build>/hls_tests/vectors/gemm

Run by CTest as a FIXTURES_SETUP test; writes into the BUILD directory only (vectors are never
committed). A fixed seed makes every run produce the same vectors. Per family a `cases.txt`
manifest lists one case per line; each case's arrays are `<case>.<name>.npy`.

Operands are written exactly as the kernel reads them: flat buffers holding a batch of matrices at
the case's element strides (any stride: unaligned, zero = shared, overlapping). Every element of a
buffer that no matrix covers is poison (NaN for float32, random for int8), so a kernel that reads
outside its matrices produces a wrong answer instead of passing by luck.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from fpgaops import config as fconfig
from fpgaops.reference import gemm as ref_gemm

SEED = 20240611


# ---- gemm ---------------------------------------------------------------------------------------
GEMM_COLUMNS = ("name dtype batch m n k stride_a stride_b stride_c ldc trans_a trans_b alpha beta has_c").split()


def _span(batch, stride, count):
    return (batch - 1) * stride + count


def _flat_operand(rng, dtype, batch, stride, rows, cols, lo=-128, hi=128):
    """A flat buffer with `batch` (rows x cols) matrices at `stride`, poison elsewhere, and the
    matrices as the kernel must see them (read back from the buffer: overlaps are honoured)."""
    count = rows * cols
    n = _span(batch, stride, count)
    if dtype == np.float32:
        flat = np.full(n, np.nan, np.float32)
    elif dtype == np.int8:
        flat = rng.integers(-128, 128, n).astype(np.int8)
    else:  # int32 C
        flat = rng.integers(-(2**31), 2**31, n, dtype=np.int64).astype(np.int32)
    for p in range(batch):
        o = p * stride
        if dtype == np.float32:
            flat[o:o + count] = rng.standard_normal(count).astype(np.float32)
        else:
            flat[o:o + count] = rng.integers(lo, hi, count, dtype=np.int64).astype(dtype)
    mats = np.stack([flat[p * stride:p * stride + count].reshape(rows, cols) for p in range(batch)])
    return flat, mats


def gemm_case(rng, name, dtype, m, n, k, *, batch=1, trans_a=False, trans_b=False, alpha=1.0, beta=0.0,
              c=None, stride_a=None, stride_b=None, stride_c=None, c_lo=-(2**31), c_hi=2**31):
    """One GEMM case. c: None, 'full' (ldc = n) or 'row' (ldc = 0, one bias row per batch entry)."""
    dtype = np.dtype(dtype).type
    acc = np.float32 if dtype == np.float32 else np.int32
    sa = m * k if stride_a is None else stride_a
    sb = k * n if stride_b is None else stride_b
    a_rows, a_cols = (k, m) if trans_a else (m, k)
    b_rows, b_cols = (n, k) if trans_b else (k, n)
    a_flat, a_st = _flat_operand(rng, dtype, batch, sa, a_rows, a_cols)
    b_flat, b_st = _flat_operand(rng, dtype, batch, sb, b_rows, b_cols)
    A = a_st.transpose(0, 2, 1) if trans_a else a_st
    B = b_st.transpose(0, 2, 1) if trans_b else b_st
    arrays = {"a": a_flat, "b": b_flat}
    C, ldc, sc = None, 0, 0
    if c is not None:
        c_rows, ldc = (m, n) if c == "full" else (1, 0)
        sc = c_rows * n if stride_c is None else stride_c
        c_flat, c_st = _flat_operand(rng, acc, batch, sc, c_rows, n, c_lo, c_hi)
        arrays["c"] = c_flat
        C = np.broadcast_to(c_st, (batch, m, n))
    y = ref_gemm.gemm(A, B, C, alpha, beta)
    arrays["y"] = np.ascontiguousarray(y)
    if dtype == np.float32:
        arrays["tol"] = ref_gemm.tolerance(A, B, C, alpha, beta).astype(np.float64)
    row = dict(name=name, dtype="f32" if dtype == np.float32 else "i8", batch=batch, m=m, n=n, k=k, stride_a=sa,
               stride_b=sb, stride_c=sc, ldc=ldc, trans_a=int(trans_a), trans_b=int(trans_b),
               alpha=repr(float(np.float32(alpha))), beta=repr(float(np.float32(beta))), has_c=int(c is not None))
    return row, arrays


def gemm_cases(cfg):
    tm, tn, tk = cfg.gemm.tile_m, cfg.gemm.tile_n, cfg.gemm.tile_k
    rng = np.random.default_rng(SEED)
    cases = []

    def add(name, dtype, *args, **kw):
        cases.append(gemm_case(rng, f"{dtype}_{name}", dtype, *args, **kw))

    for dt in ("float32", "int8"):
        # tile edges: 1, tile - 1, tile, tile + 1 on every axis
        add("1x1x1", dt, 1, 1, 1)
        add("edge_m-1_n+1_k", dt, max(tm - 1, 1), tn + 1, tk)
        add("edge_m_n_k+1", dt, tm, tn, tk + 1)
        add("edge_m+1_n-1_k-1", dt, tm + 1, max(tn - 1, 1), max(tk - 1, 1))
        add("tiles_2x3_k3", dt, 2 * tm, 3 * tn, 3 * tk)
        # odd primes, both transposes
        add("prime_67x71x73", dt, 67, 71, 73)
        add("prime_ta_97x13x131", dt, 97, 13, 131, trans_a=True)
        add("prime_tb_37x53x29", dt, 37, 53, 29, trans_b=True)
        add("prime_tab_101x103x107", dt, 101, 103, 107, trans_a=True, trans_b=True)
        # vectors and long dot products
        add("row_1x300x257_tb", dt, 1, 300, 257, trans_b=True)
        add("col_129x1x65", dt, 129, 1, 65)
        add("dot_1x1x1000", dt, 1, 1, 1000)
        add("outer_70x90x1", dt, 70, 90, 1)
        add("big_200x150x300_tb", dt, 200, 150, 300, trans_b=True)
        # batches: dense, shared (stride 0), unaligned strides with gaps, overlapping strides
        add("batch3_dense_bshared", dt, 17, 19, 23, batch=3, stride_b=0)
        add("batch4_unaligned", dt, 13, 29, 31, batch=4, stride_a=13 * 31 + 3, stride_b=31 * 29 + 5,
            trans_a=True)
        add("batch2_ashared_tb", dt, 65, 33, 66, batch=2, stride_a=0, trans_b=True)
        add("batch3_overlap", dt, 5, 7, 9, batch=3, stride_a=1, stride_b=7)

    f = "float32"
    # alpha / beta and C as a full matrix or a broadcast bias row
    add("alpha_beta_full", f, 45, 77, 51, alpha=0.5, beta=-1.25, c="full")
    add("alpha_beta_full_tab", f, 66, 63, 65, alpha=-2.0, beta=0.75, c="full", trans_a=True, trans_b=True)
    add("bias_row", f, 50, 70, 40, beta=1.0, c="row")
    add("alpha_bias_row_tb", f, 3, 130, 64, alpha=1.5, beta=2.0, c="row", trans_b=True)
    add("beta0_c_ignored", f, 20, 30, 40, alpha=1.0, beta=0.0, c="full")  # C is NaN-poisoned, never read
    add("alpha0", f, 9, 11, 13, alpha=0.0, beta=1.0, c="full")
    add("batch3_c_unaligned", f, 11, 21, 17, batch=3, alpha=0.25, beta=-0.5, c="full", stride_a=11 * 17 + 1,
        stride_b=17 * 21 + 2, stride_c=11 * 21 + 3)
    add("batch2_bias_shared", f, 31, 45, 20, batch=2, beta=1.0, c="row", stride_c=0)
    add("batch2_bias_each", f, 31, 45, 20, batch=2, beta=1.0, c="row", stride_c=45 + 3)

    i = "int8"
    add("c_full", i, 45, 77, 51, beta=1, c="full")
    add("c_full_tab", i, 66, 63, 65, beta=1, c="full", trans_a=True, trans_b=True)
    add("bias_row", i, 50, 70, 40, beta=1, c="row")
    add("beta0_c_ignored", i, 20, 30, 40, beta=0, c="full")
    add("c_wraps", i, 8, 8, 300, beta=1, c="full", c_lo=2**31 - 2**20, c_hi=2**31)  # acc + C wraps mod 2^32
    add("batch3_c_unaligned", i, 11, 21, 17, batch=3, beta=1, c="full", stride_a=11 * 17 + 1,
        stride_b=17 * 21 + 2, stride_c=11 * 21 + 3)
    add("batch2_bias_shared", i, 31, 45, 20, batch=2, beta=1, c="row", stride_c=0)

    # int8 extremes: every product -128 * -128, the largest |sum| a tile sees
    row, arrays = gemm_case(rng, "int8_extreme_k1000", np.int8, 5, 33, 1000)
    arrays["a"][:] = -128
    arrays["b"][:] = -128
    arrays["y"][:] = ref_gemm.gemm(arrays["a"].reshape(1, 5, 1000), arrays["b"].reshape(1, 1000, 33))
    cases.append((row, arrays))
    return cases


def write_gemm(out, cfg):
    cases = gemm_cases(cfg)
    lines = ["# " + " ".join(GEMM_COLUMNS)]
    for row, arrays in cases:
        for key, arr in arrays.items():
            np.save(out / f"{row['name']}.{key}.npy", np.ascontiguousarray(arr))
        lines.append(" ".join(str(row[c]) for c in GEMM_COLUMNS))
    (out / "cases.txt").write_text("\n".join(lines) + "\n")
    return len(cases)


FAMILIES = {"gemm": write_gemm}


def main(argv=None, families=FAMILIES, tool="gen_vectors", seed=SEED):
    """The command line of every vector generator (gen_vectors_ops.py and gen_conv_vectors.py call it
    with their own families): write FAMILY's cases into --out, replacing older vectors."""
    p = argparse.ArgumentParser(description=f"{tool}: test vectors from the NumPy reference")
    p.add_argument("family", choices=sorted(families))
    p.add_argument("--out", required=True, type=Path, help="output folder (in the build tree)")
    p.add_argument("--config", help="kernel config TOML (default: the source tree's)")
    args = p.parse_args(argv)
    cfg = fconfig.load(args.config)
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.npy"):
        old.unlink()
    n = families[args.family](args.out, cfg)
    print(f"{tool}: {n} {args.family} cases -> {args.out} (seed {seed}, config {cfg.digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
