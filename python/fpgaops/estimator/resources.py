"""The resource model: DSP48E2, BRAM18/36, URAM and LUT use of each kernel's CU, from the same
template parameters the kernels are compiled with (GemmParams / the kernel config), times the CU
counts of the board's connectivity.cfg. Every rule is cited from AMD's documentation in
docs/estimator.md ("Resource model").
"""
import math

from ..errors import ArgumentError, ConfigError
from .connectivity import kernel_specs, replicated
from .memory import board_config, load_platform
from .params import (BRAM18_SHAPES, DSP_PER_MAC, ENGINE_DSP_OVERHEAD, FADD_DSPS, KERNEL_SETS, LUTRAM_MAX_BITS,
                     LUTRAM_MAX_DEPTH, LUTS_PER_CU, LUTS_PER_MAC, READ_OUTSTANDING, URAM_SHAPE, GemmParams, Options, cdiv,
                     conv_epilogue_dsps, divider_luts, ebytes, fabric_mul_luts, mul_dsps, suffix)
from .report import ResourceEstimate


def bank_bram18(depth, width_bits):
    """BRAM18K blocks of one memory bank (best aspect ratio); 0 when it goes to LUTRAM."""
    if depth <= LUTRAM_MAX_DEPTH or depth * width_bits <= LUTRAM_MAX_BITS:
        return 0
    return min(cdiv(width_bits, w) * cdiv(depth, d) for d, w in BRAM18_SHAPES)


def _lutram_luts(depth, width_bits):
    """LUTs of a bank in LUTRAM (64 x 1 bits per LUT); none for a bank of one element, which is a
    register (an array partitioned down to single elements is scalars, UG1399 ARRAY_PARTITION) or a
    BRAM bank."""
    return 0 if depth <= 1 or bank_bram18(depth, width_bits) else width_bits * cdiv(depth, 64)


def uram_blocks(depth, width_bits):
    """URAM288 blocks of one memory bound to URAM (BIND_STORAGE impl=uram): 4096 x 72 bits each,
    cascaded in width and depth (UG573 UltraRAM; UG1399 BIND_STORAGE)."""
    return cdiv(width_bits, 72) * cdiv(depth, 4096)


def axi_bram18(width_bits, beats):
    """The m_axi adapter's data FIFO of one bundle: num_outstanding x burst beats words (UG1399)."""
    return bank_bram18(READ_OUTSTANDING * beats, width_bits)


def mac_array_resources(p, dtype, transposer=True):
    """The MAC array of gemm.hpp (compute_tile / run): the ping-pong slice buffers of bus words
    a_w[2][TM][ceil(TK/L)] (complete on the ping-pong bit, cyclic PE on rows: 2*PE banks one word
    wide) and b_w[2][TN*ceil(TK/L)] (2 banks one word wide), the accumulators acc[NB][PE] (PE banks),
    the c_tile PIPO (cyclic PE on rows, two copies) and the load process's transposer
    tr[L][ceil(TK/L)*max(TM,TN)] (L banks; the GEMM's only: conv2d's window generator feeds B
    vector-major, ``transposer`` False). DSPs: PE*SIMD multipliers, 5 DSP48E2 per float32 MAC, 1 per
    int8 MAC or 1 per two when gemm.pack_int8 (WP486: two weights sharing an activation in one 27x18
    multiply)."""
    eb = ebytes(dtype)
    L = p.word_bits // 8 // eb
    nb = (p.tile_m // p.pe) * p.tile_n
    wpr_k = cdiv(p.tile_k, L)
    banks = [  # (count, depth, width)
        (2 * p.pe, (p.tile_m // p.pe) * wpr_k, p.word_bits),                      # a_w
        (2, p.tile_n * wpr_k, p.word_bits),                                        # b_w
        (p.pe, nb, 32),                                                            # acc
        (2 * p.pe, (p.tile_m // p.pe) * p.tile_n, 32),                             # c_tile PIPO
    ]
    if transposer:
        banks.append((L, cdiv(p.tile_k, L) * max(p.tile_m, p.tile_n), 8 * eb))    # transposer
    b18 = sum(c * bank_bram18(d, w) for c, d, w in banks)
    luts = sum(c * _lutram_luts(d, w) for c, d, w in banks)
    per_mac = DSP_PER_MAC[dtype] / (2 if dtype == "int8" and p.pack_int8 else 1)
    return {"dsps": math.ceil(p.macs * per_mac) + ENGINE_DSP_OVERHEAD[dtype], "b18": b18,
            "luts": p.macs * LUTS_PER_MAC[dtype] + LUTS_PER_CU + luts}


def dwconv_resources(p, dtype):
    """dwconv.hpp: SIMD x MAX_K^2 MACs (the unrolled window, one product per lane and tap) and SIMD
    epilogues (int8: a 32 x 32-bit requantization multiply, mul_dsps = 4 DSP48E2; float32: the bias add, 2);
    the line buffer lb[LB_ROWS][NB][LB_DEPTH] (every (slot, bank) its own SIMD-lane-wide bank), the
    weights wk[MAX_K^2][MAX_CG] (a bank per tap) and the epilogue constants ch[MAX_CG][SIMD] (a bank
    per lane, bias + mult + shift = 96 bits). The streams (<= 64 deep) are LUTRAM / SRL."""
    from .cycles import dw_banks

    eb, simd, k = ebytes(dtype), p.dw_simd, p.dw_max_kernel
    nb = dw_banks(k)
    lb_depth = cdiv(p.dw_max_row, simd * nb)
    max_cg = p.dw_max_channels // simd
    lb = (p.dw_line_buffer_rows * nb, lb_depth, simd * 8 * eb)        # line buffer
    banks = [(k * k, max_cg, simd * 8 * eb),                            # weights
             (simd, max_cg, 96)]                                        # epilogue constants
    uram = 0
    if p.dw_lb_uram:   # dwconv.line_buffer_uram: BIND_STORAGE impl=uram, URAM288 4K x 72 per block (UG573)
        uram = lb[0] * cdiv(lb[2], URAM_SHAPE[1]) * cdiv(lb[1], URAM_SHAPE[0])
    else:
        banks.append(lb)
    b18 = sum(c * bank_bram18(d, w) for c, d, w in banks)
    lutram = sum(c * _lutram_luts(d, w) for c, d, w in banks)
    macs = simd * k * k
    # int8 taps are ap_int<9> x ap_int<8> (dw_tap): one DSP48E2 each, or with dwconv.taps_in_fabric
    # (BIND_OP impl=fabric) none and fabric_mul_luts(9, 8) LUTs each
    fabric = dtype == "int8" and p.dw_taps_fabric
    dsps = (0 if fabric else macs * DSP_PER_MAC[dtype]) \
        + simd * (mul_dsps(32, 32) if dtype == "int8" else FADD_DSPS) + 4
    # the window's multiplexers: per tap and lane an LB_ROWS:1 slot mux and an NB:1 bank rotation
    mux = macs * 8 * eb * (p.dw_line_buffer_rows + nb) // 4
    mul_luts = macs * fabric_mul_luts(9, 8) if fabric else 0
    return {"dsps": dsps, "b18": b18, "uram": uram, "luts": macs * LUTS_PER_MAC[dtype] + lutram + mux + mul_luts}


def _bundles_b18(spec, p):
    """m_axi adapters of a kernel: one FIFO per bundle, word-wide if any of its pointers is a word_t*."""
    if spec is None:
        return 2 * axi_bram18(p.word_bits, p.max_burst_beats)
    b18 = 0
    for _bundle, names in spec.bundles.items():
        wide = any("word_t" in spec.arg(nm).ctype for nm in names)
        b18 += axi_bram18(p.word_bits if wide else 32, p.max_burst_beats)
    return b18


def kernel_cu_resources(name, spec, p, cfg):
    """Modeled DSP / BRAM36 / URAM / LUT of one CU of kernel ``name``."""
    dtype = "float32" if name.endswith("_f32") else "int8"
    eb = ebytes(dtype)
    lanes = p.word_bits // 8 // eb
    b18, dsps, luts, uram = _bundles_b18(spec, p), 8, LUTS_PER_CU, 0
    v = cfg.values if cfg is not None else {}
    if name.startswith(("fpgaops_gemm_", "fpgaops_conv2d_")):
        r = mac_array_resources(p, dtype, transposer=name.startswith("fpgaops_gemm_"))
        b18, dsps, luts = b18 + r["b18"], r["dsps"], r["luts"]
        if name.startswith("fpgaops_conv2d_"):
            # the line buffer lb[LB_ROWS][ceil(LB_W / G) + 1] of bus words (G = L / PE channel vectors
            # each), one bank (conv2d.hpp load_tile); the store's residual run and the store -> write
            # FIFO, ceil(TN / G) + 1 words each; the channel constants ch[TM] (3 x 32 bits) in PE banks
            g = max(1, lanes // p.pe)
            run_words = cdiv(p.tile_n, g) + 1
            b18 += bank_bram18(p.line_buffer_rows * (cdiv(p.line_buffer_w, g) + 1), p.word_bits)
            b18 += 2 * bank_bram18(run_words, p.word_bits)
            # the fetch_x / fetch_x_hi -> load_tile FIFOs of x words (conv2d.hpp XWH_DEPTH = XW_DEPTH
            # / 2 + 1 each: together one fill of a tile)
            lb_ww = cdiv(p.line_buffer_w, g) + 1
            xwh = min(p.line_buffer_rows * lb_ww, 2 * cdiv(p.tile_n, g) + 2 * p.line_buffer_rows) // 2 + 1
            b18 += 2 * bank_bram18(xwh, p.word_bits)
            luts += 2 * _lutram_luts(xwh, p.word_bits)
            b18 += p.pe * bank_bram18(cdiv(p.tile_m, p.pe), 96)
            luts += 2 * _lutram_luts(run_words, p.word_bits) + p.pe * _lutram_luts(cdiv(p.tile_m, p.pe), 96)
            b18 += bank_bram18(p.tile_m, 32)                                   # weight row sums
            # load_weights' hi_buf: the second port's half of a slice, floor(TM * TK/L / 2) words
            hi_words = p.tile_m * cdiv(p.tile_k, lanes) // 2
            b18 += bank_bram18(hi_words, p.word_bits)
            luts += _lutram_luts(hi_words, p.word_bits)
            uram += uram_blocks(p.weight_buffer_words, p.word_bits)            # resident weights (wbuf)
            dsps += p.epilogue_lanes * conv_epilogue_dsps(dtype)                  # the epilogue lanes (store_tile)
    elif name.startswith("fpgaops_winograd_"):
        # the A*A products of one MAC step (II = 1), for the largest m the top instantiates; the
        # accumulators acc[A][A][BK][BT]: A*A banks of BK*BT words
        big_a = 6 if dtype == "float32" else 4
        dsps = big_a * big_a * DSP_PER_MAC[dtype] + 2 * ENGINE_DSP_OVERHEAD[dtype]
        b18 += big_a * big_a * bank_bram18(p.wino_bk * p.wino_bt, 32)
        luts += big_a * big_a * LUTS_PER_MAC[dtype] + big_a * big_a * _lutram_luts(p.wino_bk * p.wino_bt, 32)
    elif name.startswith("fpgaops_dwconv_"):
        r = dwconv_resources(p, dtype)
        b18, dsps, luts, uram = b18 + r["b18"], r["dsps"], luts + r["luts"], r["uram"]
    elif "_pool_" in name:
        w = v.get("pool.max_width", 1024)
        b18 += bank_bram18(w, 8 * eb) + v.get("pool.max_open_rows", 16) * bank_bram18(w, 32)
        # the channel-blocked path (pool.hpp run_blocked): the bank of open rows, whole words of 32-bit
        # accumulators per cell, complete in rows and lanes (rows x lanes banks of out_words cells);
        # the divisor factors cnt_w (G banks); the row-partial and output FIFOs, out_words deep
        rows = min(v.get("pool.blocked_open_rows", 4), v.get("pool.max_open_rows", 16))
        qw, g = v.get("pool.blocked_out_words", 64), max(1, lanes // p.pe)
        for n_banks, depth, bits in ((rows * lanes, qw, 32), (g, qw, 32), (1, qw, 32 * lanes), (1, qw, 8 * eb * lanes)):
            b18 += n_banks * bank_bram18(depth, bits)
            luts += n_banks * _lutram_luts(depth, bits)
        dsps = 12 if dtype == "float32" else 4
        if dtype == "int8":
            # the averages' divides (pool.hpp): per lane of the blocked path's word a bounded one, 8
            # quotient steps (QUOTIENT_BITS) on bits(255 * max_kernel^2)-bit magnitudes; the planar
            # path's one 32-bit
            k = v.get("pool.max_kernel", 16)
            luts += lanes * divider_luts(8, (255 * k * k).bit_length()) + divider_luts(32, 32)
    elif "_act_" in name or "_eltwise_" in name:
        if dtype == "float32":  # the float table replicated per lane pair (dual port), interpolation per lane
            b18 += (lanes // 2) * bank_bram18(v.get("act_lut.max_segments", 4096) + 1, 32)
            dsps = lanes * 5 + (lanes * 3 if "_eltwise_" in name else 0)
        elif "_eltwise_" in name:
            # eltwise.hpp EltI8::apply per lane, by the source's types: the shared ap_int<18> x int32
            # (add's da, mul's da * db), add's ap_int<9> x int32 and mul's 9 x 9
            dsps = lanes * (mul_dsps(18, 32) + mul_dsps(9, 32) + mul_dsps(9, 9))
        else:
            dsps = 0
        luts += lanes * (300 if dtype == "float32" else 60)
    elif "_softmax_" in name:
        b18 += bank_bram18(v.get("softmax.max_dim", 16384), 32)
        dsps = 30
    return {"dsps": dsps, "bram36": cdiv(b18, 2), "uram": uram, "luts": luts}


def linked_kernels(plat, kernels, dtype):
    """The kernels an xclbin of kernel set ``kernels`` (Options.kernels) holds on ``plat``."""
    if kernels not in KERNEL_SETS:
        raise ArgumentError("kernels", f"expected one of {KERNEL_SETS}, got {kernels!r}")
    if kernels == "board":
        return list(board_config(plat).kernels)
    names = list(plat.connectivity.nk)
    if kernels == "linked":
        return names
    names = [n for n in names if n.endswith("_" + suffix(dtype))]
    conv = f"fpgaops_conv2d_{suffix(dtype)}"
    if kernels == "conv" and conv in names:
        names = [n for n in names if not n.startswith("fpgaops_gemm_")]
    return names


def main_kernel(plat, dtype, linked=None):
    """The kernel that runs the convolutions: fpgaops_conv2d_<dt> when linked, else fpgaops_gemm_<dt>."""
    conv = f"fpgaops_conv2d_{suffix(dtype)}"
    return conv if conv in (linked if linked is not None else plat.connectivity.nk) else f"fpgaops_gemm_{suffix(dtype)}"


def resources(platform="zcu104", config=None, dtype="int8", options=None, gemm=None):
    """Modeled DSP / BRAM36 / URAM / LUT use of the kernels an xclbin for ``platform`` links.

    options.kernels == "board" (default): the kernels of platforms/<board>/kernel.toml [build];
    "linked": every kernel with an nk= line; "dtype": only ``dtype``'s kernels; "conv": those
    without fpgaops_gemm. config: default the board's kernel config. options.cus: the number of CU
    sets, which replaces the CU count of every linked kernel that sets replicate
    (connectivity.REPLICATED: the conv engines and pooling; the others keep their nk= count)."""

    o = options or Options()
    plat = load_platform(platform)
    linked = linked_kernels(plat, o.kernels, dtype)
    cfg = config if config is not None else board_config(plat).config
    p = (gemm or GemmParams.from_config(cfg)).check()
    specs = kernel_specs()
    out = {}
    for name in linked:
        n = len(plat.connectivity.nk[name])
        if o.cus is not None and replicated(name):
            n = o.cus
        r = kernel_cu_resources(name, specs.get(name), p, cfg)
        out[name] = {"cus": n, **{k: v * n for k, v in r.items()}}
    totals = {k: sum(r[k] for r in out.values()) for k in ("dsps", "bram36", "uram", "luts")}
    budget = {k: plat.budget[k] for k in ("dsps", "bram36", "uram", "luts")}
    return ResourceEstimate(out, totals, budget)


def check_fits(res, board, p):
    """Raise ConfigError naming the key to change when the modeled resources exceed the budget."""
    over = res.over()
    if over:
        what = ", ".join(f"{k} {res.totals[k]} > budget {res.budget[k]}" for k in over)
        key = "gemm.pe" if "dsps" in over else "axi.max_burst_beats"
        big = max(res.kernels, key=lambda k: res.kernels[k][over[0]])
        raise ConfigError(key, f"the configured kernels do not fit {board} (modeled: {what}; largest: {big}). "
                               f"MAC array {p.short()}. Shrink gemm.pe/simd or the tiles, shorten "
                               f"axi.max_burst_beats (m_axi buffers), link fewer kernels (estimate with "
                               f"kernels='dtype') or fewer CUs")


