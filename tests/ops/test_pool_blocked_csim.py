"""The channel-blocked pool path on csim (pool.hpp run_blocked: a bus word of gemm.pe planes x G
columns per cycle): the launcher takes it for the regular windows ``blocked_fits`` admits and the
planar path for the rest (asserted through the regions the cycle counters report), and it is
bit-exact against the NumPy reference: int8 corner codes, zero points at both ends, padding at the
int8 minimum / -inf, planes spanning several blocks, widths that are not whole words."""
import numpy as np
import pytest

import fpgaops as fo
from fpgaops import config
from fpgaops.backends.csim.conv2d import block_of
from fpgaops.backends.csim.pool import blocked_fits
from fpgaops.reference import pool as ref

_csim = pytest.importorskip("fpgaops._csim", reason="the csim module is not built (scripts/dev-build.sh)")
CORNERS = np.array([-128, -127, -1, 0, 1, 126, 127], np.int8)


def regions(kernel):
    return {r["region"] for r in _csim.cycles_regions() if r["kernel"] == kernel}


def axes(shape, k, s, p, cm=False):
    h, w = shape[-2:]
    return (ref.Axis(h, ref.out_size(h, k, s, p, 1, cm), k, s, p, 1),
            ref.Axis(w, ref.out_size(w, k, s, p, 1, cm), k, s, p, 1))


@pytest.mark.parametrize("shape,k,s,p,cm", [
    ((1, 64, 28, 28), 3, 2, 1, False),   # ResNet's stem maxpool, scaled down
    ((2, 37, 13, 11), 3, 2, 1, True),    # planes across blocks, odd widths, ceil_mode
    ((1, 20, 9, 10), 3, 1, 1, False),    # stride 1: three open rows
    ((1, 5, 8, 9), 2, 2, 0, False),
    ((1, 3, 12, 13), 5, 3, 2, True),
])
@pytest.mark.parametrize("zp", [-128, 127, 3])
def test_int8_corners_bit_exact_on_the_blocked_path(shape, k, s, p, cm, zp):
    rng = np.random.default_rng(abs(zp) + k)
    x = rng.choice(CORNERS, size=shape)
    ah, aw = axes(shape, k, s, p, cm)
    with fo.device("csim"):
        _csim.cycles_reset()
        got_max = fo.max_pool2d(x, k, s, p, ceil_mode=cm)
        for cip in (True, False):
            got_avg = fo.avg_pool2d(x, k, s, p, ceil_mode=cm, count_include_pad=cip, x_q=(0.5, zp))
            np.testing.assert_array_equal(got_avg, ref.pool2d(x, ref.AVG, ah, aw, cip, zp))
    np.testing.assert_array_equal(got_max, ref.pool2d(x, ref.MAX, ah, aw))
    assert regions("fpgaops_pool_i8") == {"blocked"}


@pytest.mark.parametrize("dtype", [np.int8, np.float32])
def test_max_windows_of_only_padding(dtype):
    # (1, 2) window, padding 1, dilation 3 on a 2-wide row: every window misses the row (-128 / -inf)
    x = np.arange(2 * 4 * 10 * 2).reshape(2, 4, 10, 2).astype(dtype)
    want = fo.max_pool2d(x, (1, 2), (2, 3), (0, 1), (1, 3))
    with fo.device("csim"):
        _csim.cycles_reset()
        got = fo.max_pool2d(x, (1, 2), (2, 3), (0, 1), (1, 3))
    np.testing.assert_array_equal(got, want)
    assert regions(f"fpgaops_pool_{'i8' if dtype == np.int8 else 'f32'}") == {"blocked"}


def test_float32_on_the_blocked_path():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 19, 15, 17)).astype(np.float32)
    x[0, 3, 0, 0], x[1, 18, 14, 16], x[0, 0, 7, 7] = np.nan, np.inf, -np.inf
    ah, aw = axes(x.shape, 3, 2, 1)
    with fo.device("csim"):
        _csim.cycles_reset()
        got_max = fo.max_pool2d(x, 3, 2, 1)
        got_avg = fo.avg_pool2d(np.nan_to_num(x, posinf=0, neginf=0), 3, 2, 1)
    np.testing.assert_array_equal(got_max, ref.pool2d(x, ref.MAX, ah, aw))
    xf = np.nan_to_num(x, posinf=0, neginf=0)
    want = ref.pool2d(xf, ref.AVG, ah, aw, True)
    assert np.all(np.abs(got_avg.astype(np.float64) - want) <= ref.tolerance(xf, ah, aw, True))
    assert regions("fpgaops_pool_f32") == {"blocked"}


@pytest.mark.parametrize("call", [
    lambda x: fo.max_pool2d(x, 7, 1, 3),                      # 7 open output rows: more than the blocked bank
    lambda x: fo.adaptive_avg_pool2d(x, (3, 4), x_q=(1.0, 0)),  # adaptive bins
])
def test_what_the_blocked_path_refuses_runs_planar(call):
    x = np.random.default_rng(2).integers(-128, 128, (1, 4, 12, 12)).astype(np.int8)
    want = call(x)  # the reference backend
    with fo.device("csim"):
        _csim.cycles_reset()
        got = call(x)
    np.testing.assert_array_equal(got, want)
    assert regions("fpgaops_pool_i8") == {"stream"}


def test_blocked_fits_rule():
    cfg = config.current()
    k = cfg.pool.max_kernel
    assert blocked_fits(False, 3, 3, 2, 1, 1, 2, 56, 1, cfg)
    assert not blocked_fits(True, 3, 3, 2, 1, 1, 2, 56, 1, cfg)          # adaptive
    assert not blocked_fits(False, 3, 3, 2, 1, 1, cfg.pool.blocked_open_rows + 1, 56, 1, cfg)  # open rows
    assert not blocked_fits(False, 2, 2, k + 1, 1, 1, 1, 56, 1, cfg)     # stride beyond the register
    assert not blocked_fits(False, k + 1, 3, 2, 1, 1, 1, 56, 1, cfg)     # a window taller than max_kernel
    assert not blocked_fits(False, 3, 3, 2, k, 1, 1, 56, 1, cfg)         # ... dilated
    wmax = cfg.pool.blocked_out_words
    assert blocked_fits(False, 3, 3, 2, 1, 1, 2, wmax, 1, cfg)
    assert not blocked_fits(False, 3, 3, 2, 1, 1, 2, wmax + 1, 1, cfg)   # an output row of one word too many
    assert blocked_fits(False, 3, 3, 2, 1, 1, 2, wmax + 1, 2, cfg)
    assert not blocked_fits(False, 3, 3, 2, 1, 1, 2, 8, 0, cfg)          # gemm.pe wider than a word


def test_wide_rows_run_planar():
    # an output row of more than pool.blocked_out_words bus words: the planar path
    g = block_of(np.int8)[1]
    wmax = config.current().pool.blocked_out_words
    x = np.random.default_rng(3).integers(-128, 128, (1, 2, 3, 2 * wmax * g + 2)).astype(np.int8)
    want = fo.max_pool2d(x, 3, 2, 1)
    with fo.device("csim"):
        _csim.cycles_reset()
        got = fo.max_pool2d(x, 3, 2, 1)
    np.testing.assert_array_equal(got, want)
    assert regions("fpgaops_pool_i8") == {"stream"}
