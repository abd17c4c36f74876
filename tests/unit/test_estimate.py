"""The estimator (issue 7): hand-computed cycle counts of the HLS loop structure, memory- vs
compute-bound layers, the resource model, budget refusal, monotonicity, and the "modeled" label
on every reported figure. See docs/estimator.md for the model these numbers come from."""
import dataclasses

import pytest

from fpgaops import ArgumentError, ConfigError, UnsupportedError
from fpgaops import estimator as E

DEFAULT = E.GemmParams()  # 64x64x64 tiles, PE 4x16, 512-bit words, 64-beat bursts


class Mem:
    """A stand-in for the platform: every port and the board at fixed bytes per cycle."""

    def __init__(self, port_bw, board_bw=None):
        self.bw, self.board = port_bw, board_bw if board_bw is not None else port_bw

    def port(self, arg, width_bits):
        return min(self.bw, width_bits / 8)

    def concurrent(self, nbytes, width_bits):  # every port on a bank of its own
        return max([b / self.port(a, width_bits) for a, b in nbytes.items() if b] or [0.0])


def conv(n=1, c=64, h=56, w=56, k=64, r=3, s=3, stride=1, pad=1, groups=1, residual=False):
    oh = (h + 2 * pad - r) // stride + 1
    ow = (w + 2 * pad - s) // stride + 1
    return E.Layer("conv", "conv", dict(n=n, c=c, h=h, w=w, k=k, r=r, s=s, oh=oh, ow=ow, stride=(stride, stride),
                                        dilation=(1, 1), groups=groups, residual=residual))


# ---- the MAC array: gemm.hpp compute_tile ------------------------------------------------------------------
def test_mac_tile_default_float32_by_hand():
    # PE 16 x SIMD 16 (gemm.hpp SLICE_STEP), L = 512/32 = 16 floats per word. MAC iterations per
    # slice = TK/SIMD * (TM/PE * TN) = 4 * 256 = 1024 (NB = 256 accumulators >= the 8-cycle add: II = 1);
    # fill steps = (TM + TN) * ceil(TK/L) = 128 * 4 = 512 (one bus word per step).
    t = E.mac_tile(DEFAULT, "float32", 64)
    assert (t["fill_steps"], t["mac_steps"], t["ii"], t["nb"], t["nk"]) == (512, 1024, 1, 256, 1)
    # one slice: fill-only step + MAC-only step + 2 pipeline depths
    assert t["tile_cycles"] == 512 + 1024 + 2 * 14
    # K = 200: nk = 4 slices -> FILL + 3 * max(MAC, FILL) + MAC of the last slice + 5 * depth; the
    # last slice holds 8 of its 64 k: one SIMD step of 4, 256 MAC iterations (the zero-padded k skipped)
    assert E.mac_tile(DEFAULT, "float32", 200)["tile_cycles"] == 512 + 3 * 1024 + 256 + 5 * 14


def test_mac_tile_int8_by_hand():
    # L = 64 int8 per word: fill = 128 * 1 = 128 words (a word per step, not SIMD elements); the
    # operand layout does not matter (the load process transposes), nor does the DSP packing (the
    # same PE x SIMD MACs per cycle)
    t = E.mac_tile(DEFAULT, "int8", 64)
    assert (t["fill_steps"], t["mac_steps"]) == (128, 1024)
    assert t["tile_cycles"] == 128 + 1024 + 2 * 6
    assert E.mac_tile(DEFAULT, "int8", 64, trans_a=True, trans_b=True) == t


def test_zero_padded_k_is_skipped():
    # gemm.hpp: the MAC half visits the SIMD steps over real K only: the last slice's, and with a
    # vector-major B (conv2d) only the sub-vectors of a channel vector that hold channels
    p64 = E.GemmParams(64, 64, 64, 64, 16)                              # PE/SIMD = 4 sub-vectors
    full = E.mac_tile(p64, "int8", 64, b_vmajor=True)
    one = E.mac_tile(p64, "int8", 64, b_vmajor=True, sv=1)              # e.g. 16 channels in 64-channel blocks
    assert (full["mac_steps_last"], one["mac_steps_last"]) == (4 * 64, 1 * 64)
    assert full["tile_cycles"] - one["tile_cycles"] == 3 * 64
    # conv2d.hpp load_tile's d.sv: ceil(Cg / SIMD) in a single channel block, else every sub-vector
    g16 = E.conv2d_geometry(p64, conv(c=16, k=96, r=1, s=1, pad=0).attrs)
    g144 = E.conv2d_geometry(p64, conv(c=144, k=24, r=1, s=1, pad=0).attrs)
    assert (E.cycles.conv2d_sub_vectors(p64, g16), E.cycles.conv2d_sub_vectors(p64, g144)) == (1, 4)
    # K = 200 on the canonical GEMM path: the last slice's 8 of 64 k take one SIMD step of 4
    assert E.mac_tile(DEFAULT, "int8", 200)["mac_steps_last"] == 1 * 4 * 64


def test_streams_overlap_on_separate_banks_only():
    # conv2d's x, weights, residual and y each stream from a process of its own: on the ZCU104 x and
    # the weights use HP0 and HP1 (one port's time), the residual and the per-channel vectors share HP2
    from fpgaops import platforms
    from fpgaops.estimator.memory import PortBandwidth

    bw = PortBandwidth(platforms.load("zcu104"), "fpgaops_conv2d_i8", 300, 0.8)
    one = 1e6 / bw.port("x", 512)
    assert bw.concurrent({"x": 1e6, "weight": 1e6}, 512) == pytest.approx(one)
    assert bw.concurrent({"residual": 1e6, "bias": 1e6}, 512) == pytest.approx(2 * one)


def test_weights_stream_through_two_ports():
    # load_weights reads each slice's first half through `weight`, the second through `weight_hi`
    # at once: on the ZCU104 they are HP1 and HPC0, so a weight-bound layer (an FC layer as a 1x1
    # conv: 2048 x 1000 int8 weights, one pixel) takes half the time of one port
    from fpgaops import platforms
    from fpgaops.estimator.memory import PortBandwidth

    plat = platforms.load("zcu104")
    assert plat.port_banks(plat.compute_units("fpgaops_conv2d_i8")[0], "weight_hi") != \
        plat.port_banks(plat.compute_units("fpgaops_conv2d_i8")[0], "weight")
    bw = PortBandwidth(plat, "fpgaops_conv2d_i8", 300, 0.8)
    fc = dict(n=1, c=2048, h=1, w=1, k=1000, r=1, s=1, oh=1, ow=1, stride=(1, 1), dilation=(1, 1), groups=1,
              residual=False)
    p = dataclasses.replace(DEFAULT, pe=32, simd=32, float32=0)
    r = E.conv2d_layer(p, E.Options(), bw, "int8", fc)
    w_bytes = 1000 * 2048
    assert r["bound"] in ("loader", "memory")
    assert r["memory"] == pytest.approx(w_bytes / 2 / bw.port("weight", 512), rel=0.01)


def test_x_streams_through_two_ports():
    # fetch_x reads each row burst's first half through `x`, fetch_x_hi the second through `x_hi`
    # at once: on the ZCU104 they are HP0 and HPC1, so an x-bound layer (a 1x1 conv of 256 channels
    # to 8: x read once, 28 words per row of a channel block) takes half the time of one port
    from fpgaops import platforms
    from fpgaops.estimator.memory import PortBandwidth

    plat = platforms.load("zcu104")
    cu = plat.compute_units("fpgaops_conv2d_i8")[0]
    assert plat.port_banks(cu, "x_hi") != plat.port_banks(cu, "x")
    bw = PortBandwidth(plat, "fpgaops_conv2d_i8", 300, 0.8)
    a = dict(n=1, c=256, h=56, w=56, k=8, r=1, s=1, oh=56, ow=56, stride=(1, 1), dilation=(1, 1), groups=1,
             residual=False)
    p = dataclasses.replace(DEFAULT, pe=32, simd=32, float32=0)
    gm = E.cycles.conv2d_geometry(p, a, "int8")
    nk = E.cycles.mac_tile(p, "int8", gm["crs"], b_vmajor=True)["nk"]
    *_, x_lo, x_hi, fetch, fetch_hi = E.cycles.conv2d_load_tile(p, "int8", a, gm, nk)
    assert x_lo == x_hi  # 28 words a row: 14 through each port
    r = E.conv2d_layer(p, E.Options(), bw, "int8", a)
    x_bytes = 256 * 56 * 56
    assert r["memory"] == pytest.approx(x_bytes / 2 / bw.port("x", 512), rel=0.01)


def test_hbm_layouts_pair_second_ports_with_their_partners():
    from fpgaops.estimator import connectivity

    assert connectivity.PAIRED_PORTS == {"weight_hi": "weight", "x_hi": "x"}
    for board, sets in (("u50", 3), ("u280", 2)):
        q = _sets(board, sets)
        for cu in q.connectivity.nk["fpgaops_conv2d_i8"]:
            for second, partner in connectivity.PAIRED_PORTS.items():
                assert q.connectivity.sp[(cu, second)] == q.connectivity.sp[(cu, partner)]


def test_one_gemm_layer_cycles_from_the_formula():
    # M = 100, N = 70, K = 640: ceil(100/64) * ceil(70/64) = 4 tiles; the two of the first column
    # tile compute 64 columns, 512 + 9*1024 + 1024 + 11*14 cycles; the two edge tiles only their 6
    # columns: MAC steps 4 * 4 * 6 = 96 per slice, under the 512 fill steps
    tile = 512 + 9 * 1024 + 1024 + 11 * 14
    edge = 512 + 9 * 512 + 96 + 11 * 14
    e = E.gemm_engine(DEFAULT, "float32", 1, 100, 70, 640)
    assert e["tiles"] == 4 and e["compute_cycles"] == 2 * tile + 2 * edge
    # fast memory: compute-bound, cycles = compute + last tile's store (TM*TN) + memory latency
    r = E.gemm_layer(DEFAULT, E.Options(), Mem(1e9), "float32", 1, 100, 70, 640)
    assert r["bound"] == "compute"
    assert r["cycles"] == 2 * tile + 2 * edge + 64 * 64 + E.MEM_LATENCY_CYCLES


def test_edge_tiles_compute_their_columns_only():
    # gemm.hpp: the MAC loop visits the tile's valid columns, at least MIN_COLS = ceil(ACC_RMW /
    # (TM/PE)) of them (the accumulator distance it declares), at most TN
    full = E.mac_tile(DEFAULT, "int8", 64)
    assert E.mac_tile(DEFAULT, "int8", 64, cols=64) == full
    assert E.mac_tile(DEFAULT, "int8", 64, cols=200) == full
    assert E.mac_tile(DEFAULT, "int8", 64, cols=49)["mac_steps"] == 4 * 4 * 49
    assert E.mac_tile(DEFAULT, "int8", 64, cols=1)["mac_steps"] == 4 * 4 * 2     # MIN_COLS = 8 / 4
    p64 = E.GemmParams(64, 64, 64, 64, 16)                                       # TM/PE = 1: MIN_COLS 8
    assert E.mac_tile(p64, "int8", 64, cols=1)["mac_steps"] == 4 * 8
    assert E.mac_tile(p64, "int8", 64, cols=1)["ii"] == 1


def test_small_accumulator_distance_raises_the_ii():
    # tile 16 x 1 with PE 16: one accumulator per PE (NB = 1) -> a float accumulator is re-read
    # every cycle, HLS honours the DEPENDENCE distance and the II becomes the add latency
    p = E.GemmParams(16, 1, 64, 16, 16)
    assert E.mac_tile(p, "float32", 64)["ii"] == E.ACC_LATENCY["float32"]
    assert E.mac_tile(p, "int8", 64)["ii"] == E.ACC_LATENCY["int8"]


def test_gemm_bytes_by_hand():
    # float32, 64x64x64: A = 64 rows x 4 words, B = 64 rows x 4 words, 64-byte words
    assert E.gemm_bytes(DEFAULT, "float32", 1, 64, 64, 64) == (64 * 4 * 64, 64 * 4 * 64)
    # K = 65: a second slice of 1 element costs one more word per A row and 1 more B row
    a, b = E.gemm_bytes(DEFAULT, "float32", 1, 64, 64, 65)
    assert a == 64 * 5 * 64 and b == 65 * 4 * 64
    # N = 128: two column tiles -> A is read twice
    a, b = E.gemm_bytes(DEFAULT, "float32", 1, 64, 128, 64)
    assert a == 2 * 64 * 4 * 64 and b == 64 * 8 * 64


# ---- memory-bound vs compute-bound ----------------------------------------------------------------------------
def test_memory_bound_vs_compute_bound_gemm():
    fast = E.gemm_layer(DEFAULT, E.Options(), Mem(64.0), "float32", 1, 256, 256, 256)
    assert fast["bound"] == "compute"
    slow_mem = Mem(0.5)
    slow = E.gemm_layer(DEFAULT, E.Options(), slow_mem, "float32", 1, 256, 256, 256)
    assert slow["bound"] == "memory"
    ba, bb = E.gemm_bytes(DEFAULT, "float32", 1, 256, 256, 256)
    load = ba / 0.5 + bb / 0.5
    total = (ba + bb + 256 * 256 * 4) / 0.5
    assert slow["memory"] == pytest.approx(max(load, total))
    assert slow["cycles"] == pytest.approx(slow["memory"] + 64 * 64 + E.MEM_LATENCY_CYCLES)
    assert slow["cycles"] > fast["cycles"]


def test_store_bound_gemm_small_k_big_array():
    # K = 16 with a 1024-MAC array: the MAC loop is short, the store writes one element per cycle
    p = E.GemmParams(64, 64, 16, 16, 64)
    r = E.gemm_layer(p, E.Options(), Mem(1e9), "int8", 1, 1024, 1024, 16)
    assert r["bound"] == "store"
    widened = E.gemm_layer(p, E.Options(store_rate=16), Mem(1e9), "int8", 1, 1024, 1024, 16)
    assert widened["cycles"] < r["cycles"]


# ---- conv2d.hpp --------------------------------------------------------------------------------------------------
def test_conv2d_geometry_by_hand():
    g = E.conv2d_geometry(DEFAULT, conv().attrs)          # 56 wide: one output row of 56 per tile
    assert (g["tile_w"], g["tile_rows"], g["seg_len"], g["n_tiles"]) == (56, 1, 58, 56)
    g = E.conv2d_geometry(DEFAULT, conv(c=512, h=7, w=7, k=512).attrs)   # 7x7: all 7 rows in one tile
    assert (g["tile_w"], g["tile_rows"], g["tiles_p"], g["tiles_m"], g["n_tiles"]) == (7, 7, 1, 8, 8)
    g = E.conv2d_geometry(DEFAULT, conv(c=3, h=224, w=224, k=64, r=7, s=7, stride=2, pad=3).attrs)
    assert (g["tile_w"], g["tiles_q"], g["seg_len"]) == (64, 2, 63 * 2 + 7)


def test_conv2d_loader_by_hand():
    # 64 -> 64 channels, 3x3, 56x56, int8, ports at 1e9 B/cycle. Activations and weights channel-
    # blocked by gemm.pe = 16 (G = 4 vectors per 64-lane word): 4 channel blocks, K = 4*16*9 = 576 ->
    # nk = 9 slices; 56 tiles of one output row. load_tile's loops, each entry paying LOAD_DEPTH = 3:
    d = E.LOAD_DEPTH
    a = conv().attrs
    g = E.conv2d_geometry(DEFAULT, a)
    assert (g["B"], g["G"], g["cblocks"], g["crs"], g["wp"], g["owp"]) == (16, 4, 4, 576, 56, 56)
    r = E.conv2d_layer(DEFAULT, E.Options(), Mem(1e9), "int8", a)
    tiles, nk = 56, 9
    split = E.mac_tile(DEFAULT, "int8", 576, b_vmajor=True, cols=56)
    seq = E.mac_tile(DEFAULT, "int8", 576, cols=56)
    # conv2d's weights and window generator are two processes: the fill takes a word of each per step
    assert (split["fill_steps"], seq["fill_steps"]) == (64, 128)
    tile = split["tile_cycles"]
    assert tile == seq["tile_cycles"] - 64                           # only the first fill is exposed
    # a tile is one output row of 56 pixels: the MAC loop visits those 56 of its 64 columns
    assert split["mac_steps"] == 4 * 4 * 56
    assert r["compute"] == tiles * tile
    # WSUM_CLEAR; per slice the 64 rows of 1 word from DDR through two ports: 32 words in each of two
    # loops (LOAD_W_PAIRS, LOAD_W_HI; no odd word); from the resident copy in one loop
    weights = 64 + d + nk * (64 * 1 + 2 * d)
    resident = 64 + d + nk * (64 * 1 + d)
    assert E.cycles.conv2d_load_tile(DEFAULT, "int8", a, g, nk, ddr_frac=0)[0] == resident
    emit = nk * 4 * (64 + d)                           # TK/SIMD vector rows of TN vectors
    # a line-buffer row: 58 vectors from image column -1 (pad 1): 56 in the image starting on a word
    # (sh = 0), so the row is rotated by rt = (0 - 1) mod 4 = 3: ceil(61 / 4) = 16 words = one pad word,
    # the 14-word burst, one pad word (three loops); a row in the padding: 16 pad words, one loop
    fill_in = 16 + 3 * d
    fill_pad = 16 + d
    frac = (3 * 56 - 2) / (3 * 56)                     # tap rows inside the image (pad 1)
    fills = 4 * 3 * (frac * fill_in + (1 - frac) * fill_pad)
    lw, le, lf, *_ = E.cycles.conv2d_load_tile(DEFAULT, "int8", a, g, nk)
    assert (lw, le) == (weights, emit) and lf == pytest.approx(fills)
    assert tiles * max(weights, emit + fills) < r["compute"] / 2  # the SIMD window generator keeps up
    assert r["bound"] == "compute"
    assert r["schedule"] == r["compute"]
    prologue = max(64 * 1, 4 * 64)                     # first weight slice beside the first P slice
    assert r["cycles"] == pytest.approx(r["compute"] + prologue + 64 * 64 / 16 + E.MEM_LATENCY_CYCLES)
    # the store: the 64 channels' constants (II = 3) once for the one weight tile, then per tile 4
    # channel blocks of one run of 56 vectors (14 words): one vector per cycle; the writer one word per cycle
    store, write, words = E.cycles.conv2d_store(DEFAULT, "int8", a, g)
    assert store == 3 * 64 + E.STORE_DEPTH + tiles * 4 * (56 + E.STORE_DEPTH)
    assert (write, words) == (tiles * 4 * (14 + E.STORE_DEPTH), tiles * 4 * 14)


def test_dwconv_cycles_by_hand():
    # 144 channels, 3x3 stride 1 pad 1 on 56x56, int8, SIMD 16: CG = 9 channel groups, padded rows of
    # 58 columns. compute (dwconv.hpp): 3*3*9 weight vectors, then per image 57 steps: step 0 fills
    # the 3 rows of output row 0 (3*58*9 vectors), steps 1..55 compute a row (56*9 vectors) while
    # filling the next one (58*9), step 56 computes the last; every loop entry pays the depth (6)
    d = E.PIPE_DEPTH["int8"]
    p = dataclasses.replace(DEFAULT, dw_simd=16)
    a = conv(c=144, k=144, groups=144).attrs
    r = E.dwconv_layer(p, E.Options(), Mem(1e9), "int8", a)
    assert r["compute"] == 81 + d + (3 * 58 * 9 + d) + 55 * (58 * 9 + d) + (56 * 9 + d)
    # stride 2: 28 x 28 pixels from 57 padded rows of 57 columns; each step fills 2 rows (2*57*9
    # vectors) while computing 28*9: filling the line buffer bounds a stride-2 layer
    a2 = conv(c=144, k=144, groups=144, stride=2).attrs
    r2 = E.dwconv_layer(p, E.Options(), Mem(1e9), "int8", a2)
    assert r2["compute"] == 81 + d + (3 * 57 * 9 + d) + 27 * (2 * 57 * 9 + d) + (28 * 9 + d)
    # split: one vector per cycle of every padded row it sends (58 rows), + the 9 tap rows
    sc = E.dwconv_schedule(p, "int8", a)
    assert sc["split"] == 9 * (9 + E.LOAD_DEPTH) + 58 * (58 * 9 + E.LOAD_DEPTH)
    assert r["schedule"] == max(sc["fetch"], sc["split"], sc["compute"], sc["store"]) == sc["compute"]
    # twice the SIMD lanes: about half the cycles
    r32 = E.dwconv_layer(dataclasses.replace(p, dw_simd=32), E.Options(), Mem(1e9), "int8", a)
    assert r32["compute"] < 0.6 * r["compute"]


def test_dwconv_limits_route_to_im2col():
    a = conv(c=144, k=144, groups=144, r=5).attrs                       # 5x5 > dwconv.max_kernel = 3
    with pytest.raises(UnsupportedError, match="max_kernel"):
        E.dwconv_layer(DEFAULT, E.Options(), Mem(1e9), "int8", a)
    kern, _ = E.choose_conv(DEFAULT, E.Options(), lambda fam: Mem(64.0), "int8", a, E.ALGOS, True)
    assert kern == "conv2d"
    big = conv(c=2048, k=2048, groups=2048).attrs                       # channels > dwconv.max_channels
    assert "max_channels" in E.dwconv_fit(DEFAULT, big)
    assert E.dwconv_fit(DEFAULT, conv(c=960, k=960, groups=960, h=7, w=7).attrs) is None


def test_depthwise_dwconv_beats_the_mac_array():
    a = conv(c=144, k=144, groups=144).attrs
    on_conv2d = E.conv2d_layer(DEFAULT, E.Options(), Mem(64.0), "int8", a)
    on_dwconv = E.dwconv_layer(DEFAULT, E.Options(), Mem(64.0), "int8", a)
    assert on_dwconv["cycles"] < on_conv2d["cycles"] / 10
    kern, _ = E.choose_conv(DEFAULT, E.Options(), lambda fam: Mem(64.0), "int8", a, E.ALGOS, True)
    assert kern == "dwconv"


def test_dilated_filter_wider_than_the_line_buffer_is_unsupported():
    p = dataclasses.replace(DEFAULT, line_buffer_w=8)
    with pytest.raises(UnsupportedError):
        E.conv2d_geometry(p, conv(r=11, s=11, pad=5).attrs)


# ---- monotonicity --------------------------------------------------------------------------------------------
def test_more_pes_fewer_cycles_until_memory_bound():
    def cyc(pe, bw):
        p = E.GemmParams(64, 64, 64, pe, 16, pack_int8=0)
        return E.gemm_layer(p, E.Options(store_rate=64), Mem(bw), "int8", 1, 1024, 1024, 1024)

    fast = [cyc(pe, 1e9) for pe in (1, 2, 4, 8, 16)]
    assert all(a["cycles"] > b["cycles"] for a, b in zip(fast, fast[1:]))
    assert all(r["bound"] == "compute" for r in fast[:3])
    slow = [cyc(pe, 2.0) for pe in (1, 2, 4, 8, 16)]
    assert all(a["cycles"] >= b["cycles"] for a, b in zip(slow, slow[1:]))
    assert slow[-1]["bound"] == "memory" and slow[-1]["cycles"] == slow[-2]["cycles"]   # plateau


def test_network_monotone_in_the_array():
    layers = [conv(c=64, k=256, r=1, s=1, pad=0), conv(c=256, k=256, h=14, w=14)]
    ips = [E.estimate_layers(layers, "u50", "int8", E.GemmParams(64, 64, 64, pe, 16), E.Options(kernels="dtype"),
                             check_budget=False).images_per_s for pe in (2, 4, 8, 16)]
    assert all(a <= b for a, b in zip(ips, ips[1:]))


# ---- resources ----------------------------------------------------------------------------------------------------
def test_bank_bram18_by_hand():
    assert E.bank_bram18(256, 32) == 1          # 512 x 36 fits 256 x 32
    assert E.bank_bram18(64, 32) == 0           # 64 deep: LUTRAM
    assert E.bank_bram18(16, 8) == 0
    assert E.bank_bram18(1024, 512) == 29       # 1024 x 18 x 29 columns


def test_lutram_luts_by_hand():
    from fpgaops.estimator.resources import _lutram_luts

    assert _lutram_luts(64, 512) == 512         # 64 x 1 bits per LUT, 512 columns
    assert _lutram_luts(2, 512) == 512
    assert _lutram_luts(1, 512) == 0            # one element: a register (a_w at TM = PE)
    assert _lutram_luts(1024, 512) == 0         # BRAM


def test_pool_divides_are_counted_by_their_widths(monkeypatch):
    # pool.hpp: the planar path's one 32-bit divide and, per lane of the blocked word, a bounded one
    # (8 quotient steps on bits(255 * max_kernel^2) = 16 bits at max_kernel 16)
    import importlib

    from fpgaops import config
    from fpgaops.estimator.params import divider_luts

    # the module itself: the package exports a function of that name
    resources = importlib.import_module("fpgaops.estimator.resources")

    assert divider_luts(32, 32) == 1024
    cfg = config.current()
    assert (255 * cfg.values["pool.max_kernel"] ** 2).bit_length() == 16
    with_divides = resources.kernel_cu_resources("fpgaops_pool_i8", None, DEFAULT, cfg)["luts"]
    monkeypatch.setattr(resources, "divider_luts", lambda steps, bits: 0)
    without = resources.kernel_cu_resources("fpgaops_pool_i8", None, DEFAULT, cfg)["luts"]
    assert with_divides - without == DEFAULT.word_bits // 8 * 8 * 16 + 1024


def test_dwconv_taps_in_fabric_move_the_taps_from_dsps_to_luts():
    # dwconv.taps_in_fabric: the int8 taps' 9 x 8-bit multipliers bound to LUTs (BIND_OP impl=fabric)
    from fpgaops.estimator.params import fabric_mul_luts
    from fpgaops.estimator.resources import dwconv_resources

    assert fabric_mul_luts(9, 8) == 4 * 11
    dsp = dwconv_resources(DEFAULT, "int8")
    lut = dwconv_resources(dataclasses.replace(DEFAULT, dw_taps_fabric=1), "int8")
    taps = DEFAULT.dw_simd * DEFAULT.dw_max_kernel ** 2
    assert dsp["dsps"] - lut["dsps"] == taps
    assert lut["luts"] - dsp["luts"] == taps * 44
    # float32 taps stay on DSPs
    assert dwconv_resources(dataclasses.replace(DEFAULT, dw_taps_fabric=1), "float32") == \
        dwconv_resources(DEFAULT, "float32")
    assert E.axi_bram18(512, 64) == 29          # 16 outstanding x 64 beats of 512 bits


def test_gemm_cu_resources_by_hand():
    r = E.mac_array_resources(DEFAULT, "int8")
    # a_w: 2 x PE = 32 word-wide banks of 4 x 512 bits, b_w: 2 banks of 64 x 512 (LUTRAM: <= 64
    # deep); acc: PE = 16 banks of 256 x 32 bits; c_tile PIPO: 2 x 16 banks of 256 x 32; the
    # transposer: 64 banks of 64 x 8 (LUTRAM). 16 + 32 = 48 BRAM18.
    assert r["b18"] == 48
    # 256 int8 MACs, two per DSP48E2 (gemm.pack_int8 = 1, WP486), else one each
    assert r["dsps"] == 128 + E.ENGINE_DSP_OVERHEAD["int8"]
    unpacked = E.mac_array_resources(E.GemmParams(pack_int8=0), "int8")
    assert unpacked["dsps"] == 256 + E.ENGINE_DSP_OVERHEAD["int8"]
    f = E.mac_array_resources(DEFAULT, "float32")
    assert f["dsps"] == 256 * 5 + E.ENGINE_DSP_OVERHEAD["float32"]


def test_multiplier_dsps_by_hand():
    from fpgaops.estimator.params import conv_epilogue_dsps, mul_dsps

    # UG579's 27 x 18 signed multiplier: a signed top piece and unsigned 26- / 17-bit lower pieces
    assert mul_dsps(8, 8) == 1 and mul_dsps(27, 18) == 1 and mul_dsps(18, 27) == 1
    assert mul_dsps(9, 32) == 2 and mul_dsps(18, 32) == 2 and mul_dsps(28, 18) == 2
    assert mul_dsps(32, 32) == 4 and mul_dsps(64, 32) == 6
    # the int8 epilogue lane: the int32 x int32 requantization + the residual's 9 x 32
    assert conv_epilogue_dsps("int8") == 6 and conv_epilogue_dsps("float32") == 4


def test_conv_epilogue_dsps_follow_store_lanes():
    from fpgaops.estimator.params import conv_epilogue_dsps

    p16 = dataclasses.replace(DEFAULT, pe=32, tile_m=64, store_lanes=16, float32=0)
    p32 = dataclasses.replace(p16, store_lanes=32)
    one = E.kernel_cu_resources("fpgaops_conv2d_i8", None, p16, None)["dsps"]
    two = E.kernel_cu_resources("fpgaops_conv2d_i8", None, p32, None)["dsps"]
    assert two - one == 16 * conv_epilogue_dsps("int8")
    # and the epilogue's cycles: a vector of PE channels takes PE / store_lanes cycles (STORE_VECS),
    # so halving the lanes adds one cycle per vector, G vectors per y word
    from fpgaops.estimator.cycles import conv2d_store

    a = conv(c=32, k=32, h=8, w=8).attrs
    gm = E.conv2d_geometry(p16, a)
    st16, _, y_words = conv2d_store(p16, "int8", a, gm)
    st32, _, _ = conv2d_store(p32, "int8", a, gm)
    assert y_words > 0 and st16 - st32 == y_words * gm["G"]
    with pytest.raises(ConfigError, match="conv2d.store_lanes"):
        dataclasses.replace(p16, store_lanes=24).check()


def test_eltwise_i8_dsps_by_hand():
    # per lane: the shared 18 x 32 (add's da, mul's da * db) 2 + add's 9 x 32 2 + mul's 9 x 9 1
    r = E.kernel_cu_resources("fpgaops_eltwise_i8", None, DEFAULT, None)
    assert r["dsps"] == 64 * 5


def test_resources_scale_with_cus():
    from fpgaops import platforms

    from fpgaops.estimator.connectivity import replicated

    # --cus: CU sets, N CUs of each kernel a set replicates (the conv engines and pooling)
    one = E.resources("u50", options=E.Options(kernels="dtype", cus=1))
    two = E.resources("u50", options=E.Options(kernels="dtype", cus=2))
    assert E.main_kernel(platforms.load("u50"), "int8") in [k for k in one.kernels if replicated(k)]
    for name in one.kernels:
        factor = 2 if replicated(name) else 1
        assert two.kernels[name]["dsps"] == factor * one.kernels[name]["dsps"]
        assert two.kernels[name]["cus"] == factor * one.kernels[name]["cus"]


def test_budget_refusal_names_a_key():
    layers = [conv()]
    huge = E.GemmParams(64, 64, 64, 64, 16, pack_int8=0, float32=0)  # 1024 MACs in gemm_i8 and again in conv2d_i8
    with pytest.raises(ConfigError) as ei:
        E.estimate_layers(layers, "zcu104", "int8", huge, E.Options(kernels="dtype"))
    assert ei.value.key == "gemm.pe" and "zcu104" in str(ei.value) and "modeled" in str(ei.value)
    # the same config fits the U50's budget as a dedicated int8 xclbin with one CU set
    e = E.estimate_layers(layers, "u50", "int8", huge, E.Options(kernels="dtype", cus=1))
    assert e.resources.fits


def test_estimate_refuses_an_invalid_array():
    with pytest.raises(ConfigError) as ei:
        E.estimate_layers([conv()], "u50", "int8", E.GemmParams(64, 64, 64, 3, 16))
    assert ei.value.key == "gemm.tile_m"
    with pytest.raises(ConfigError) as ei:
        E.GemmParams(64, 96, 64, 4, 32).check()      # SIMD must divide the 16 float32 lanes of a word
    assert ei.value.key == "gemm.simd"
    # config.py's lanes rule: PE too, unless the float32 tops are not built (gemm.float32 = 0)
    with pytest.raises(ConfigError) as ei:
        E.GemmParams(64, 64, 64, 64, 16).check()
    assert ei.value.key == "gemm.pe"
    assert E.GemmParams(64, 64, 64, 64, 32, float32=0).check().simd == 32
    with pytest.raises(ConfigError, match="even") as ei:
        E.GemmParams(66, 64, 64, 1, 1, pack_int8=1).check()    # packed pairs need an even PE
    assert ei.value.key == "gemm.pe"


# ---- networks, labels, errors ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def resnet18_u50():
    return E.estimate("resnet18", "u50", dtype="int8")


def test_network_estimate_is_consistent(resnet18_u50):
    e = resnet18_u50
    assert e.label == "modeled" and e.resources.label == "modeled"
    assert all(r.label == "modeled" for r in e.layers)
    assert e.macs == pytest.approx(1.81e9, rel=0.02)                # ResNet-18: 1.8 GMAC
    assert e.latency_s == pytest.approx(sum(r.seconds for r in e.layers))
    assert 0 < e.images_per_s <= 1 / max(r.seconds for r in e.layers) * 1e6
    kinds = {r.kernel for r in e.layers}
    assert {"pool", "conv2d (fc)"} <= kinds and kinds & {"conv2d", "gemm-im2col"}  # the U50 runs FC on conv2d
    d = e.to_dict()
    assert d["label"] == "modeled" and all(row["label"] == "modeled" for row in d["layers"])


def test_printed_estimate_labels_every_figure_modeled(resnet18_u50):
    text = str(resnet18_u50)
    lines = text.splitlines()
    assert "MODELED" in lines[0]
    assert "us (modeled)" in text and "kernel (modeled)" in text and "total (modeled)" in text
    assert any(ln.startswith("modeled latency") for ln in lines)
    assert any(ln.startswith("modeled throughput") for ln in lines)


def test_public_function_and_module():
    import fpgaops

    assert callable(fpgaops.estimate) and fpgaops.estimate is E.estimate
    assert fpgaops.estimator is E


def test_argument_errors():
    with pytest.raises(ArgumentError):
        E.estimate([conv()], "u50", batch=0)
    with pytest.raises(ArgumentError):
        E.estimate([conv()], "u50", dtype="int4")
    with pytest.raises(ArgumentError):
        E.estimate([conv()], "u50", bogus=1)
    with pytest.raises(ArgumentError):
        E.estimate([conv()], "u50", algos=("fft",))
    with pytest.raises(ArgumentError):
        E.estimate("no_such_model", "u50")
    with pytest.raises(ArgumentError):
        E.estimate([conv()], "no_such_board")


def test_algos_restrict_the_conv_engines():
    layers = [conv(c=64, k=64)]
    only = E.estimate(layers, "u50", algos=("im2col",))
    assert only.layers[0].kernel == "conv2d"
    both = E.estimate(layers, "u50", algos=("im2col", "winograd"))
    assert both.layers[0].cycles <= only.layers[0].cycles
    assert both.layers[0].kernel.startswith(("winograd-f2", "conv2d"))


def test_winograd_block_cycles_by_hand():
    # int8 F(2x2): A = 4, BK = 16, BT = 8, ROW = 18; 64 -> 64 channels on 56x56: 28 x 28 tiles,
    # blocks = 4 (k) * 28 (tile rows) * 4 (tile columns / 8)
    p = dataclasses.replace(DEFAULT, wino_bk=16, wino_bt=8)
    r = E.winograd_layer(p, E.Options(), Mem(1e9), "int8", conv().attrs, 2)
    per_ch = 4 * (18 + E.ROW_OVERHEAD) + 9 * 16 + 8 * (16 + E.WINO_TILE_OVERHEAD)
    assert r["compute"] == 4 * 28 * 4 * (64 * per_ch + 16 * 8 * 4)


# ---- search ------------------------------------------------------------------------------------------------------
def test_search_finds_the_cheapest_config_that_beats_a_target():
    layers = [conv(c=64, k=64, r=1, s=1, pad=0)]
    easy = E.estimate(layers, "u50", kernels="dtype", cus=1).images_per_s
    r = E.search(layers, "u50", easy * 0.5, cus=(1,), what_ifs=({},))
    assert r.beats and r.estimate.images_per_s > easy * 0.5 and r.label == "modeled"
    assert r.estimate.resources.fits
    impossible = E.search(layers, "u50", 1e12, cus=(1,), what_ifs=({},))
    assert not impossible.beats and impossible.estimate.images_per_s >= r.estimate.images_per_s
    assert "images/s modeled" in impossible.describe()


# ---- command line -------------------------------------------------------------------------------------------------
def test_cli_estimate(capsys):
    from fpgaops import cli

    assert cli.main(["estimate", "resnet18", "--platform", "u50", "--dtype", "int8", "--compare"]) == 0
    out = capsys.readouterr().out
    assert "MODELED" in out and "modeled throughput" in out and "1404" in out
    # 64 conv CUs cannot fit a ZCU104: refused, exit status 2, the config key named
    assert cli.main(["estimate", "resnet18", "--platform", "zcu104", "--cus", "64"]) == 2
    assert "kernel config key" in capsys.readouterr().err


def test_batch_is_the_leading_dimension(resnet18_u50):
    e4 = E.estimate("resnet18", "u50", dtype="int8", batch=4)
    assert e4.batch == 4 and e4.macs == 4 * resnet18_u50.macs
    assert e4.layers[-1].shape.startswith("4x512")          # the FC's M is the batch
    assert e4.latency_s < 4 * resnet18_u50.latency_s        # the FC amortizes its weights over the batch


@pytest.mark.parametrize("board", ["zcu104", "u50", "u250", "u280"])
def test_every_board_estimates_with_its_default_config(board):
    # platforms/<board>/kernel.toml: the board's kernel config and linked kernels fit its budget
    from fpgaops import platforms

    bc = platforms.kernel_config(board)
    e = E.estimate("resnet18", board)
    assert e.resources.fits and e.label == "modeled" and e.clock_mhz == bc.clock_mhz
    assert set(e.resources.kernels) == set(bc.kernels)
    assert E.GemmParams.from_config(bc.config) == e.gemm
    # the roofline under every layer: never above the modeled cycles, never below the bandwidth floor
    for r in e.layers:
        if r.cycles:
            assert r.bw_floor_cycles <= r.roof_cycles <= r.cycles * (1 + 1e-9)


def test_cli_estimate_zcu104_out_of_the_box(capsys):
    from fpgaops import cli

    assert cli.main(["estimate", "resnet18", "--platform", "zcu104"]) == 0
    out = capsys.readouterr().out
    assert "BW floor" in out and "modeled" in out


def test_conv2d_resident_weights_by_hand():
    # 64 -> 64 channels, 3x3, 56x56, int8: K = 576 -> nk = 9 slices of TK = 64 (one word per row
    # slice): a weight tile is TM * 9 = 576 words. It fits conv2d.weight_buffer_words = 1024, so the
    # weights cross the port once (64 rows x 9 words), not once per each of the 56 pixel tiles; the
    # load cycles (a word per cycle from DDR or from the buffer) do not change.
    a = conv().attrs
    assert E.conv2d_weight_words(DEFAULT, "int8", a) == 64 * 9
    words = 64 * 9 * 64
    res = E.conv2d_layer(dataclasses.replace(DEFAULT, weight_buffer_words=1024), E.Options(), Mem(1e9), "int8", a)
    rer = E.conv2d_layer(dataclasses.replace(DEFAULT, weight_buffer_words=512), E.Options(), Mem(1e9), "int8", a)
    assert rer["bytes"] - res["bytes"] == 55 * words
    assert res["schedule"] == rer["schedule"]
    # the buffer is one URAM memory of 512-bit words: 8 columns of 72 bits, 4096 deep each
    assert E.uram_blocks(1024, 512) == 8 and E.uram_blocks(8192, 512) == 16
    cu = E.kernel_cu_resources("fpgaops_conv2d_i8", None, dataclasses.replace(DEFAULT, weight_buffer_words=8192), None)
    assert cu["uram"] == 16


# ---- CU sets: images/s as the runner executes (a run holds one set for its whole batch) -------------------------------
def _sets(board, n):
    from fpgaops import kernels, platforms
    from fpgaops.estimator import connectivity
    from fpgaops.estimator.memory import board_config

    p = platforms.load(board)
    return connectivity.with_sets(p, kernels.load(), board_config(p).kernels, n)


def test_cu_sets_multiply_one_set_throughput():
    layers = [conv(), conv(c=128, k=128, h=28, w=28)]
    one = E.estimate_layers(layers, _sets("u50", 1), "int8", check_budget=False)
    two = E.estimate_layers(layers, _sets("u50", 2), "int8", check_budget=False)
    assert (one.cus, two.cus) == (1, 2)
    assert two.latency_s == pytest.approx(one.latency_s)       # each set has its own HBM channels
    assert one.images_per_s == pytest.approx(1 / one.latency_s) and one.bottleneck == "CU sets"
    assert two.images_per_s == pytest.approx(2 / two.latency_s) and two.bottleneck == "CU sets"
    # --cus N on a one-set board counts N CUs of each replicated kernel, as the laid-out board does
    assert E.estimate_layers(layers, "u50", "int8", options=E.Options(cus=2), check_budget=False).cus == 2
    assert two.resources.kernels["fpgaops_conv2d_i8"]["cus"] == 2 and two.resources.kernels["fpgaops_act_i8"]["cus"] == 1


def test_a_kernel_with_fewer_cus_than_sets_bounds_images_per_s():
    # the GEMM kernel of every int8 kernel (kernels="dtype": the U50's own build runs FC on conv2d)
    from fpgaops import kernels, platforms
    from fpgaops.estimator import connectivity
    from fpgaops.estimator.resources import linked_kernels

    p = platforms.load("u50")
    four = connectivity.with_sets(p, kernels.load(), linked_kernels(p, "dtype", "int8"), 4)
    fc = E.Layer("fc", "gemm", dict(batch=1, m=64, n=4096, k=4096, trans_a=False, trans_b=True))
    e = E.estimate_layers([conv(), fc], four, "int8", options=E.Options(kernels="dtype"), check_budget=False)
    gemm_s = next(r.seconds for r in e.layers if r.kernel == "gemm")
    assert e.bottleneck == "fpgaops_gemm_i8"                   # one GEMM CU serves the four sets
    assert e.images_per_s == pytest.approx(1 / gemm_s) and e.images_per_s < 4 / e.latency_s


def test_sets_sharing_a_port_share_its_bandwidth():
    from fpgaops.estimator import connectivity
    from fpgaops.estimator.memory import PortBandwidth

    one, two = _sets("zcu104", 1), _sets("zcu104", 2)   # every set on the same HP ports
    assert connectivity.sharers(two)["HP0"] == 2 and connectivity.sharers(one)["HP0"] == 1
    b1, b2 = (PortBandwidth(p, "fpgaops_conv2d_i8", 100, 0.8).port("x", 512) for p in (one, two))
    assert b2 == pytest.approx(b1 / 2)
    # float32 and int8 CUs never stream at once: a U50 layout of two int8 sets shares no channel
    assert max(connectivity.sharers(_sets("u50", 2)).values()) == 1
