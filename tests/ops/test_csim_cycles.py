"""C-simulation cycle counters (fpgaops._csim.cycles*): the counts of a GEMM of known size are the
iteration counts its loops must make, derived here independently from the kernel config; every
other top reports its regions and processes. The counting model: docs/conv_hls.md."""
import math

import numpy as np
import pytest

import fpgaops as fo
from fpgaops import config
from fpgaops.estimator.params import ACC_RMW  # gemm.hpp's, mirrored by the model

_csim = pytest.importorskip("fpgaops._csim", reason="the csim module is not built")
CFG = config.current()
KEYS = {"kernel", "region", "process", "calls", "iterations", "loops", "ii", "depth", "cycles"}


def by_process(kernel):
    rows = [r for r in _csim.cycles() if r["kernel"] == kernel]
    assert rows, f"no cycle counts for {kernel}"
    for r in rows:
        assert KEYS <= set(r), r
        assert r["cycles"] == r["iterations"] * r["ii"] + r["loops"] * r["depth"], r
    return {(r["region"], r["process"]): r for r in rows}


def gemm_compute_iterations(m, n, k, in_bits):
    """compute_tile's pipelined loop trips for one GEMM, from the config (gemm.hpp's schedule)."""
    g, lanes = CFG.gemm, CFG.axi.word_bits // in_bits
    tm, tn, tk = g.tile_m, g.tile_n, g.tile_k
    tiles = math.ceil(m / tm) * math.ceil(n / tn)
    nk = math.ceil(k / tk)
    fill = (tm + tn) * math.ceil(tk / lanes)                      # canonical rows of A and B, a word per step
    min_cols = min(tn, math.ceil(ACC_RMW / (tm // g.pe)))         # gemm.hpp MIN_COLS
    tk_last = k - (nk - 1) * tk                                   # the last slice's SIMD steps: over real K only
    iters = 0
    for n0 in range(0, n, tn):                                    # an edge tile's MAC loop visits its columns only
        cols = min(tn, max(n - n0, min_cols))
        mac = (tk // g.simd) * (tm // g.pe) * cols                # PE x SIMD MACs per iteration
        mac_last = math.ceil(tk_last / g.simd) * (tm // g.pe) * cols
        iters += math.ceil(m / tm) * (fill + (nk - 1) * max(mac, fill) + mac_last)
    return iters, tiles, nk


@pytest.mark.parametrize("dtype", [np.int8, np.float32])
@pytest.mark.parametrize("m,n,k", [(100, 70, 200), (64, 64, 64), (1, 1, 1)])
def test_gemm_counts(dtype, m, n, k):
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (m, k)).astype(dtype)
    b = rng.integers(-128, 128, (k, n)).astype(dtype)
    _csim.cycles_reset()
    with fo.device("csim"):
        y = np.asarray(fo.matmul(a, b))
    np.testing.assert_array_equal(y, a.astype(np.int64) @ b.astype(np.int64))
    kernel = "fpgaops_gemm_i8" if dtype == np.int8 else "fpgaops_gemm_f32"
    rows = by_process(kernel)
    iters, tiles, nk = gemm_compute_iterations(m, n, k, 8 if dtype == np.int8 else 32)
    comp = rows[("tiles", "compute")]
    assert comp["calls"] == tiles
    assert comp["iterations"] == iters
    assert comp["loops"] == tiles * (nk + 1)  # one pipelined loop entry per slice step
    assert rows[("tiles", "store")]["iterations"] >= m * n        # one element per cycle, plus C rows
    regions = {r["region"]: r for r in _csim.cycles_regions() if r["kernel"] == kernel}
    slowest = max(r["cycles"] for r in rows.values())
    assert regions["tiles"]["calls"] == tiles
    assert slowest <= regions["tiles"]["cycles"] <= sum(r["cycles"] for r in rows.values())
    _csim.cycles_reset()
    assert not [r for r in _csim.cycles() if r["kernel"] == kernel]


def test_every_conv_top_reports():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 8, 10, 10)).astype(np.float32)
    w = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    wd = rng.standard_normal((8, 1, 3, 3)).astype(np.float32)
    _csim.cycles_reset()
    with fo.device("csim"):
        fo.conv2d(x, w, padding=1, algo="im2col")
        fo.conv2d(x, w, padding=1, algo="winograd")
        fo.conv2d(x, wd, padding=1, groups=8, algo="dwconv")
        fo.max_pool2d(x, 2, 2)
        fo.relu(fo.add(x, x))
    kernels = {r["kernel"] for r in _csim.cycles()}
    assert {"fpgaops_conv2d_f32", "fpgaops_winograd_f32", "fpgaops_dwconv_f32", "fpgaops_pool_f32",
            "fpgaops_eltwise_f32"} <= kernels, kernels
    for kern in kernels:
        rows = by_process(kern)
        assert all(r["iterations"] > 0 for r in rows.values()), rows
