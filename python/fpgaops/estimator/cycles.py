"""The cycle model: one function per HLS engine, each naming the kernel code it models.

Notation: TM, TN, TK = gemm.tile_*, PE_M x PE_N = gemm.pe_*, L = elements per AXI word. Every
``*_layer`` function returns dict(compute, memory, cycles, bytes, bound) for one kernel call, with
``mem`` a PortBandwidth (bytes per cycle per port and for the board). A layer's cycles follow the
DATAFLOW overlap of its processes over consecutive tiles:

    cycles = max(compute, load, store, write-memory, bytes / board bandwidth) + prologue + epilogue

The formulas and their derivation from the loop structure are in docs/estimator.md.
"""
import math

from ..errors import UnsupportedError
from .params import (ACC_LATENCY, ACC_RMW, LOAD_DEPTH, STORE_DEPTH, MEM_LATENCY_CYCLES, PIPE_DEPTH, ROW_OVERHEAD, WINO_TILE_OVERHEAD, cdiv,
                     ebytes)


def mac_tile(p, dtype, k, trans_a=False, trans_b=False, b_vmajor=False, cols=None, sv=None, rows=None):
    """Cycles of GemmEngine::compute_tile (gemm.hpp) for one output tile with reduction length k,
    ``cols`` valid columns (default TN), ``rows`` valid rows (default TM: the GEMM visits every row
    block; conv2d only those holding channels below Kg, BM_N = ceil(rows/PE) of TM/PE unless they
    hold fewer than MIN_DIST accumulators per column pass, and then at least ceil(MIN_DIST / BM_N)
    columns) and, with b_vmajor, ``sv`` of each channel vector's PE/SIMD sub-vectors holding
    channels (default all).

    nk + 1 calls of SLICE_STEP (one call site, ping-pong bit), one pipelined loop each: a MAC half
    of KS * NB iterations (NB = TM/PE * cols' accumulators visited, PE x SIMD MACs per iteration;
    cols' = cols clamped to [MIN_COLS, TN], MIN_COLS = ceil(ACC_RMW / (TM/PE)): the loop skips the
    columns past an edge tile; KS = the SIMD steps over real K: TK/SIMD, ceil(tk_last/SIMD) in the
    last slice, and with b_vmajor (TK/PE vector rows, ceil(tk_last/PE) in the last slice) times sv:
    the zero-padded K is skipped) and a fill half of (TM + TN) * ceil(TK/L) steps (the slice buffers hold bus
    words: one word per step), overlapped: the first call only fills, the last only multiplies.
    Both operands reach the array canonical (the load process transposes), so the layouts do not
    change it. b_vmajor (conv2d, compute_tile<..., B_VEC = gemm.pe, SPLIT_FILL>): B arrives as
    TK/PE vector rows of TN channel vectors, L/PE per word: the same TN * TK/L words (conv2d
    requires L | TK), stored as they arrive; A and B come from two processes (load_weights,
    load_tile) and the fill takes a word of each per step: max(TM, TN) * ceil(TK/L) steps."""
    L = p.word_bits // 8 // ebytes(dtype)
    tm, tn, tk = p.tile_m, p.tile_n, p.tile_k
    nb_m = tm // p.pe
    min_cols = min(tn, cdiv(ACC_RMW, nb_m))
    min_dist = nb_m * min_cols
    bm_n = nb_m if rows is None else min(nb_m, max(1, cdiv(rows, p.pe)))
    if bm_n * tn < min_dist:
        bm_n = nb_m
    c = min(tn, max(tn if cols is None else cols, cdiv(min_dist, bm_n)))
    nb = bm_n * c
    # the DEPENDENCE distance the loop declares is the shortest one, nb_m * MIN_COLS
    ii = max(1, cdiv(ACC_LATENCY[dtype], min_dist))
    nk = cdiv(k, tk)
    tk_last = k - (nk - 1) * tk
    if b_vmajor:
        svs = max(1, p.pe // p.simd)
        sv = svs if sv is None else min(svs, max(1, sv))
        ks_full, ks_last = (tk // p.pe) * sv, cdiv(tk_last, p.pe) * sv
    else:
        ks_full, ks_last = tk // p.simd, cdiv(tk_last, p.simd)
    mac, mac_last = ks_full * nb * ii, ks_last * nb * ii
    fill = (max(tm, tn) if b_vmajor else tm + tn) * cdiv(tk, L)
    tile = fill + (nk - 1) * max(mac, fill) + mac_last + (nk + 1) * PIPE_DEPTH[dtype]
    return {"nk": nk, "nb": nb, "ii": ii, "mac_steps": mac, "mac_steps_last": mac_last, "fill_steps": fill,
            "tile_cycles": tile}


def gemm_engine(p, dtype, batch, m, n, k, trans_a=False, trans_b=False):
    """Compute-process cycles of one fpgaops_gemm call (no memory): mac_tile() plus tiles, compute_cycles."""
    e = mac_tile(p, dtype, k, trans_a, trans_b)
    e["tiles"] = batch * cdiv(m, p.tile_m) * cdiv(n, p.tile_n)
    # the column tiles' valid columns (an edge tile's MAC loop visits only those)
    e["compute_cycles"] = batch * cdiv(m, p.tile_m) * sum(
        count * mac_tile(p, dtype, k, trans_a, trans_b, cols=tn)["tile_cycles"] for tn, count in _edges(n, p.tile_n)
        if count)
    return e


def seg_words(total, tile, eb, wb):
    """Words to read ``total`` elements cut in segments of ``tile`` (one burst per segment)."""
    full, last = divmod(total, tile)
    return full * cdiv(tile * eb, wb) + (cdiv(last * eb, wb) if last else 0)


def gemm_bytes(p, dtype, batch, m, n, k, trans_a=False, trans_b=False):
    """DRAM bytes fpgaops_gemm's load process reads: (bytes_a, bytes_b). A is re-read for every
    column tile, B for every row tile; rows outside the matrix are sent as zeros, never read."""
    eb, wb = ebytes(dtype), p.word_bits // 8
    mt, nt = cdiv(m, p.tile_m), cdiv(n, p.tile_n)
    a_words = k * seg_words(m, p.tile_m, eb, wb) if trans_a else m * seg_words(k, p.tile_k, eb, wb)
    b_words = n * seg_words(k, p.tile_k, eb, wb) if trans_b else k * seg_words(n, p.tile_n, eb, wb)
    return batch * nt * a_words * wb, batch * mt * b_words * wb


def gemm_schedule(p, dtype, batch, m, n, k, trans_a=False, trans_b=False):
    """fpgaops_gemm as the C-simulation counters see it: per output tile, the slowest of
    load_tile (gemm.hpp: canonical rows by read_elems, transposed operands through the transposer:
    TILE_K rows written a word per cycle, then the canonical rows read out a word per cycle),
    compute_tile (mac_tile) and store_tile (tm rows of tn elements one per cycle), summed over the
    tiles (edge tiles have fewer valid rows)."""
    L = p.word_bits // 8 // ebytes(dtype)
    tm_, tn_, tk_ = p.tile_m, p.tile_n, p.tile_k
    wpr_k, d = cdiv(tk_, L), LOAD_DEPTH
    nk = cdiv(k, tk_)
    last_k = k - (nk - 1) * tk_

    def canonical(rows, valid, len_, pitch):  # load_rows: `rows` rows of WPR_K words, `valid` of them read
        return valid * read_row_cycles(len_, wpr_k, pitch, L) + (rows - valid) * (wpr_k + d)

    def transposed(out_rows, len_, valid_k, pitch):  # load_transposed: TILE_K rows in, out_rows rows out
        words = cdiv(len_, L)
        rows_in = valid_k * read_row_cycles(len_, words, pitch, L) + (tk_ - valid_k) * read_elems_cycles(0, words)
        return rows_in + tk_ * (words + d) + out_rows * wpr_k + d

    def load(tm, tn):
        total = 0
        for s in range(2 if nk > 1 else 1):
            count, tk = (nk - 1, tk_) if s == 0 and nk > 1 else (1, last_k)
            a = transposed(tm_, tm, tk, m) if trans_a else canonical(tm_, tm, tk, k)
            b = canonical(tn_, tn, tk, k) if trans_b else transposed(tn_, tn, tk, n)
            total += count * (a + b)
        return total

    cycles = 0
    for tm, cm in ((tm_, m // tm_), (m % tm_, 1 if m % tm_ else 0)):
        for tn, cn in ((tn_, n // tn_), (n % tn_, 1 if n % tn_ else 0)):
            if cm and cn:
                store = tm * (tn + STORE_DEPTH)
                compute = mac_tile(p, dtype, k, cols=tn)["tile_cycles"]
                cycles += batch * cm * cn * max(load(tm, tn), compute, store)
    return cycles


def _finish(terms, prologue, epilogue, schedule=None):
    """(cycles, bound, schedule): the layer's cycles with DATAFLOW overlap, the term that bounds them,
    and ``schedule``, the slowest process with ideal memory (no bandwidth limit, no latency, no
    prologue / epilogue): what the C-simulation cycle counters measure (a region invocation lasts
    as long as its slowest process, fpgaops._csim.cycles_regions())."""
    bound = max(terms, key=terms.get)
    if schedule is None:
        schedule = max(v for k, v in terms.items() if k != "memory")
    return terms[bound] + prologue + epilogue + MEM_LATENCY_CYCLES, bound, schedule


def gemm_layer(p, o, mem, dtype, batch, m, n, k, trans_a=False, trans_b=False, bytes_b=None, extra_read=0):
    """One fpgaops_gemm call: dict(compute, memory, cycles, bytes, bound)."""
    e = gemm_engine(p, dtype, batch, m, n, k, trans_a, trans_b)
    ba, bb = gemm_bytes(p, dtype, batch, m, n, k, trans_a, trans_b)
    if bytes_b is not None:
        bb = bytes_b
    out = batch * m * n
    by = out * 4  # gemm writes float32 / int32
    load = ba / mem.port("a", p.word_bits) + bb / mem.port("b", p.word_bits)
    store = out / o.store_rate + batch * cdiv(m, p.tile_m) * cdiv(n, p.tile_n) * min(m, p.tile_m) * ROW_OVERHEAD
    wmem = by / mem.port("y", 32 * o.store_rate) + extra_read / mem.port("c", p.word_bits)
    total = ba + bb + by + extra_read
    memory = max(load, wmem, total / mem.board)
    cycles, bound, schedule = _finish({"compute": e["compute_cycles"], "memory": memory, "store": store},
                                      0, p.tile_m * p.tile_n / o.store_rate,
                                      gemm_schedule(p, dtype, batch, m, n, k, trans_a, trans_b))
    return {"compute": e["compute_cycles"], "memory": memory, "cycles": cycles, "bytes": int(total), "bound": bound,
            "schedule": schedule}


def conv2d_geometry(p, a, dtype="int8"):
    """conv2d.hpp conv2d_geometry(): the activations' channel block B = gemm.pe (x, residual, y) and
    its G = L/B vectors per bus word, tile_w (a multiple of G unless the tile spans the row),
    tile_rows, seg_len, the channel blocks (Cg padded to cblocks * B: the GEMM's K is
    crs = cblocks * B * R * S; Kg to kblocks * B), the row pitches padded to whole words (wp, owp)
    and the tile counts."""
    tn, tm, b = p.tile_n, p.tile_m, p.pe
    G = max(1, p.word_bits // 8 // ebytes(dtype) // b)
    (sh, sw), (dh, dw) = a["stride"], a["dilation"]
    extent_w = (a["s"] - 1) * dw + 1
    cap_w = (p.line_buffer_w - extent_w) // sw + 1 if extent_w <= p.line_buffer_w else 0
    wide = min(tn, cap_w)
    tile_w = a["ow"] if a["ow"] <= wide else wide // G * G
    if tile_w <= 0:
        raise UnsupportedError(f"conv2d: the dilated filter width {extent_w} (stride {sw}) leaves conv2d.line_buffer_w "
                               f"({p.line_buffer_w}) no tile of whole output words")
    tile_rows = min(tn // a["ow"], p.line_buffer_rows, a["oh"]) if tile_w == a["ow"] else 1
    seg_len = (tile_w - 1) * sw + extent_w
    kg, cg = a["k"] // a["groups"], a["c"] // a["groups"]
    cblocks, kblocks = cdiv(cg, b), cdiv(kg, b)
    g = {"cg": cg, "kg": kg, "B": b, "G": G, "cblocks": cblocks, "kblocks": kblocks,
         "crs": cblocks * b * a["r"] * a["s"], "wp": cdiv(a["w"], G) * G, "owp": cdiv(a["ow"], G) * G,
         "tile_w": tile_w, "tile_rows": tile_rows, "seg_len": seg_len, "tiles_m": cdiv(kg, tm),
         "tiles_q": cdiv(a["ow"], tile_w), "tiles_p": cdiv(a["oh"], tile_rows)}
    g["n_tiles"] = a["n"] * a["groups"] * g["tiles_p"] * g["tiles_q"] * g["tiles_m"]
    return g


def _pad(a):
    """The symmetric padding (top, left) that gives the layer's output size (layers carry no pads)."""
    (sh, sw), (dh, dw) = a["stride"], a["dilation"]
    return (max(0, cdiv((a["oh"] - 1) * sh + (a["r"] - 1) * dh + 1 - a["h"], 2)),
            max(0, cdiv((a["ow"] - 1) * sw + (a["s"] - 1) * dw + 1 - a["w"], 2)))


def read_elems_cycles(words, out_words=None):
    """common.hpp read_elems: a burst of ``words`` words plus the flush up to ``out_words`` (two
    pipelined loops, each entry paying LOAD_DEPTH); with nothing to read only the zero flush runs."""
    out_words = words if out_words is None else out_words
    if words:
        return out_words + 1 + 2 * LOAD_DEPTH
    return out_words + LOAD_DEPTH if out_words else 0


def read_elems_at(sh, length, out_words, L):
    """common.hpp read_elems of ``length`` elements starting at lane ``sh`` of a word: the burst
    loop reads ceil((sh + length)/L) words, the flush loop emits the rest up to ``out_words``; a
    loop that runs no iteration costs nothing (the counters charge LOAD_DEPTH per entered loop)."""
    in_words = cdiv(sh + length, L) if length else 0
    flush = out_words - (in_words - 1 if in_words else 0)
    return (in_words + LOAD_DEPTH if in_words else 0) + (flush + LOAD_DEPTH if flush > 0 else 0)


def read_row_cycles(length, out_words, pitch, L):
    """Mean read_elems cycles of rows ``pitch`` elements apart in a matrix whose tile starts on a
    word: row r starts at lane (r * pitch) mod L, so over a slice the first lanes are the multiples
    of gcd(pitch, L), each equally often (a row straddling one more word than its length costs one
    burst beat more and no flush)."""
    g = math.gcd(pitch, L) if pitch else L
    shs = range(0, L, g)
    return sum(read_elems_at(sh, length, out_words, L) for sh in shs) / len(shs)


def lb_row_fill(seg_len, inside, G, skip, sh):
    """conv2d.hpp fill_lines, one line-buffer row: (cycles, x words read). ``inside`` vectors of the
    seg_len-vector segment lie in the image, after ``skip`` padding columns; the first of them is
    vector ``sh`` of its x word (x rows start on a word: sh = first image column mod G); G vectors
    per word. The row is stored rotated by rt = (sh - skip) mod G: ceil((rt + seg_len) / G) words in
    three pipelined loops (FILL_PAD_HEAD, FILL_WORDS, FILL_PAD_TAIL), one word per cycle,
    LOAD_DEPTH per loop entered."""
    rt = (sh - skip) % G
    n_words = cdiv(rt + seg_len, G)
    if inside:
        u0, in_words = (skip + rt - sh) // G, cdiv(sh + inside, G)
    else:
        u0 = in_words = 0
    tail = n_words - u0 - in_words
    loops = (u0 > 0) + (in_words > 0) + (tail > 0)
    return n_words + loops * LOAD_DEPTH, in_words


def conv2d_load_tile(p, dtype, a, gm, nk, ddr_frac=1.0):
    """Cycles of conv2d.hpp's loading processes per tile, averaged over the layer's tiles (II = 1,
    depth LOAD_DEPTH), as (weights, window generator, line-buffer fills, x words read through x, through
    x_hi, fetch, fetch_hi).
    weights: process "weights" (load_weights): WSUM_CLEAR (TILE_M); per K slice the tm * TK/L words
    of the slice (slice-major weights), a word per cycle: from DDR (the share ``ddr_frac`` of the
    tiles: all, or a weight tile's first when it is resident) through two ports at once
    (LOAD_W_PAIRS: floor(n/2) pairs, the first half's word on, the second's into hi_buf; LOAD_W_ODD:
    the first half's odd word; LOAD_W_HI: the second half on), else from the resident copy in one
    loop (LOAD_W_WORDS); plus (TILE_M - tm) * TK/L zero words for the rows past Kg of an edge tile
    (LOAD_W_ZERO). Window generator + fills:
    process "load" (load_tile): per K slice TILE_K/B vector rows of P (EMIT_VECTORS: TILE_N channel
    vectors of B = gemm.pe channels, one per cycle); per (channel block, filter row) of the tile,
    tile_rows line-buffer rows (lb_row_fill: a bus word of G = L/B vectors per cycle; rows in the
    padding fill pad words only). fetch, fetch_hi: the cycles of processes "fetch" (fetch_x) and
    "fetch_hi" (fetch_x_hi), which read those x words for the fills, each row's burst of n words cut
    in two, the first ceil(n/2) through x and the rest through x_hi, a word per cycle in one loop
    (FETCH_WORDS, LOAD_DEPTH per entry) per line-buffer row with words to read."""
    L = p.word_bits // 8 // ebytes(dtype)
    G = gm["G"]
    wpr_k, d = cdiv(p.tile_k, L), LOAD_DEPTH
    weights = p.tile_m + d
    for tm, mc in _edges(gm["kg"], p.tile_m):  # edge tiles along Kg also run the zero loop
        n = tm * wpr_k
        ddr_loops = 2 * (n >= 2) + n % 2     # LOAD_W_PAIRS and LOAD_W_HI, LOAD_W_ODD for an odd word
        loops = ddr_frac * ddr_loops + (1 - ddr_frac)     # the resident copy: LOAD_W_WORDS
        weights += mc / gm["tiles_m"] * nk * (p.tile_m * wpr_k + loops * d + (d if tm < p.tile_m else 0))
    emit = nk * (p.tile_k // gm["B"]) * (p.tile_n + d)
    (sh_, sw), (dh, _) = a["stride"], a["dilation"]
    pad_top, pad_left = _pad(a)
    inside_rows = sum(0 <= pp * sh_ - pad_top + i * dh < a["h"] for i in range(a["r"]) for pp in range(a["oh"]))
    # rows the tiles visit: tiles_p * tile_rows per filter row (an edge tile of stacked rows runs past
    # OH: those rows fill pad words only and read no x)
    frac = inside_rows / (a["r"] * gm["tiles_p"] * gm["tile_rows"])
    c_in = c_pad = w_lo = w_hi = r_lo = r_hi = 0.0
    nq = gm["tiles_q"]
    for tq in range(nq):  # the column tiles: where the segment lies decides skip, length and alignment
        col0 = tq * gm["tile_w"] * sw - pad_left
        lo, hi = max(col0, 0), min(a["w"], col0 + gm["seg_len"])
        inside, skip = max(0, hi - lo), lo - col0
        ci, wi = lb_row_fill(gm["seg_len"], inside, G, skip, lo % G)
        cp, _ = lb_row_fill(gm["seg_len"], 0, G, skip, 0)
        c_in, c_pad = c_in + ci / nq, c_pad + cp / nq
        w_lo, w_hi = w_lo + (wi - wi // 2) / nq, w_hi + (wi // 2) / nq  # fetch_x's and fetch_x_hi's halves
        r_lo, r_hi = r_lo + (wi > 0) / nq, r_hi + (wi > 1) / nq
    rows = gm["cblocks"] * a["r"] * gm["tile_rows"]
    fills = rows * (frac * c_in + (1 - frac) * c_pad)
    x_lo, x_hi = rows * frac * w_lo, rows * frac * w_hi
    return weights, emit, fills, x_lo, x_hi, x_lo + rows * frac * r_lo * d, x_hi + rows * frac * r_hi * d


def _edges(total, tile):
    """[(size, count)] of the full tiles and the edge tile along one dimension."""
    return [(tile, total // tile)] + ([(total % tile, 1)] if total % tile else [])


def conv2d_store(p, dtype, a, gm):
    """Cycles of conv2d.hpp's store_tile and write_tile over the layer (processes "store" and
    "write", II = 1, depth STORE_DEPTH), as (store, write, y words): per weight tile (its first
    pixel tile), STORE_CHANNELS (the TM channels' constants, II = 3); per tile and valid channel block (B = gemm.pe channels) and valid output
    row, a run of q_n vectors = ceil(q_n / G) words: the residual's burst (STORE_RES_READ, when there
    is one) and STORE_VECS (one vector of B channels per B / conv2d.store_lanes cycles, words * G *
    B / store_lanes iterations); the writer
    bursts the run's words (WRITE_WORDS, one per cycle)."""
    d, G, b = STORE_DEPTH, gm["G"], gm["B"]
    store = write = words_total = 0.0
    for tm, mc in _edges(gm["kg"], p.tile_m):
        for nr, mr in _edges(a["oh"], gm["tile_rows"]):
            for q_n, mq in _edges(a["ow"], gm["tile_w"]):
                if not (mc and mr and mq):
                    continue
                runs = cdiv(tm, b) * nr
                words = cdiv(q_n, G)
                per_run = words * G * (b // p.epilogue_lanes) + d + ((words + d) if a["residual"] else 0)
                cnt = mc * mr * mq
                store += cnt * runs * per_run
                write += cnt * runs * (words + d)
                words_total += cnt * runs * words
    k = a["n"] * a["groups"]
    channels = a["groups"] * gm["tiles_m"] * (3 * p.tile_m + d)  # once per weight tile
    return k * store + channels, k * write, k * words_total


def fold_attrs(p, a):
    """The conv the im2col launchers run (fpgaops.backends.csim.conv2d.fold_for): the layer itself;
    the 1x1 conv of its C*R*S tap planes over the OH x OW outputs the host builds (an input image,
    "taps"); or the R x 1 conv of S*C channels over the OW columns (stride 1, no horizontal padding,
    "width")."""
    from ..backends.csim.conv2d import fold_for  # the launchers' rule (no import cycle: leaf module)

    fold = fold_for(a["c"] // a["groups"], a["r"], a["s"], a["groups"], p.pe, p.fold_taps_max_channels)
    if fold == "taps":
        return dict(a, c=a["c"] * a["r"] * a["s"], h=a["oh"], w=a["ow"], r=1, s=1, stride=(1, 1), dilation=(1, 1))
    if fold == "width":
        return dict(a, c=a["c"] * a["s"], w=a["ow"], s=1, stride=(a["stride"][0], 1), dilation=(a["dilation"][0], 1))
    return a


def conv2d_sub_vectors(p, gm):
    """conv2d.hpp load_tile's d.sv: the SIMD sub-vectors of a channel vector that hold channels,
    ceil(Cg / SIMD) when one channel block holds them all, else every one (PE / SIMD)."""
    return cdiv(gm["cg"], p.simd) if gm["cblocks"] == 1 else p.pe // p.simd


def conv2d_tile_cycles(p, dtype, a, gm):
    """compute_tile's cycles per tile averaged over the layer's tiles: a tile computes its valid
    columns (conv2d.hpp load_tile's d.cols: (rows - 1) * tile_w + q_n, its pixels) and its valid
    rows (d.rows: the output channels below Kg), so the edge tiles along OH, OW and Kg cost less."""
    total = count = 0
    for nr, mr in _edges(a["oh"], gm["tile_rows"]):
        for q_n, mq in _edges(a["ow"], gm["tile_w"]):
            for tm, mm in _edges(gm["kg"], p.tile_m):
                if mr and mq and mm:
                    cols = (nr - 1) * gm["tile_w"] + q_n
                    total += mr * mq * mm * mac_tile(p, dtype, gm["crs"], b_vmajor=True, cols=cols, rows=tm,
                                                     sv=conv2d_sub_vectors(p, gm))["tile_cycles"]
                    count += mr * mq * mm
    return total / count


def conv2d_weights_resident(p, gm, nk, L):
    """conv2d.hpp conv2d_geometry's `resident`: the tile's weights, TILE_M rows of nk slices of
    ceil(TK/L) words, fit the on-chip weight buffer."""
    return p.tile_m * nk * cdiv(p.tile_k, L) <= p.weight_buffer_words


def conv2d_weight_reads(p, dtype, a, gm, nk):
    """How often load_weights reads a weight tile from DDR, and the share of the tiles that do:
    once per weight tile when it is resident (conv2d.weight_buffer_words), else once per pixel tile."""
    L = p.word_bits // 8 // ebytes(dtype)
    pixel_tiles = a["n"] * gm["tiles_p"] * gm["tiles_q"]
    if conv2d_weights_resident(p, gm, nk, L):
        return 1, 1 / pixel_tiles
    return pixel_tiles, 1.0


def conv2d_weight_words(p, dtype, a):
    """Words of one weight tile of conv layer ``a`` (the buffer that holds it resident)."""
    a = fold_attrs(p, a)
    gm = conv2d_geometry(p, a, dtype)
    L = p.word_bits // 8 // ebytes(dtype)
    return p.tile_m * cdiv(gm["crs"], p.tile_k) * cdiv(p.tile_k, L)


def conv2d_layer(p, o, mem, dtype, a):
    """One fpgaops_conv2d call (implicit GEMM, PE-channel window generator, word-wide fused epilogue)."""
    a = fold_attrs(p, a)
    gm = conv2d_geometry(p, a, dtype)
    eb, wb = ebytes(dtype), p.word_bits // 8
    L = wb // eb
    tm, tn, tk = p.tile_m, p.tile_n, p.tile_k
    crs = gm["crs"]
    mt = mac_tile(p, dtype, crs, b_vmajor=True)
    nk, tiles = mt["nk"], gm["n_tiles"]
    compute = tiles * conv2d_tile_cycles(p, dtype, a, gm)
    # load process, per tile: weight rows (a word per cycle), the window generator (a vector of
    # B = gemm.pe channels per cycle), line-buffer refills (a word per cycle); the memory parts at least
    # bytes / bandwidth
    wpr_k = cdiv(tk, L)
    # slice-major weights, whole words per row slice; re-read per pixel tile unless the weight tile
    # (TM rows of nk slices) is resident (conv2d.weight_buffer_words): then once per weight tile
    reads, ddr_frac = conv2d_weight_reads(p, dtype, a, gm, nk)
    w_cyc, emit_cyc, f_cyc, x_lo, x_hi, fetch_cyc, fetch_hi = (tiles * x for x in
                                                              conv2d_load_tile(p, dtype, a, gm, nk, ddr_frac))
    w_bytes = reads * a["groups"] * gm["kg"] * nk * cdiv(tk * eb, wb) * wb
    # each slice's first half of words through `weight`, the second through `weight_hi`, at once
    w_lo = reads * a["groups"] * nk * wb * sum(mc * cdiv(rows * cdiv(tk * eb, wb), 2)
                                               for rows, mc in _edges(gm["kg"], tm) if mc)
    w_hi = w_bytes - w_lo
    x_bytes = (x_lo + x_hi) * wb
    w_mem = max(w_lo / mem.port("weight", p.word_bits), w_hi / mem.port("weight_hi", p.word_bits))
    # each row burst's first half through `x`, the second through `x_hi`, at once
    x_mem = max(x_lo * wb / mem.port("x", p.word_bits), x_hi * wb / mem.port("x_hi", p.word_bits))
    # four processes side by side: the weights (load_weights), the window generator with its
    # line-buffer fills (load_tile) and x's bursts (fetch_x, fetch_x_hi, running ahead of the
    # generator through the conv2d.xw / conv2d.xwh FIFOs)
    load = max(max(w_cyc, w_mem), emit_cyc + f_cyc, max(fetch_cyc, fetch_hi, x_mem))
    # store + write processes: B channels per cycle, a word of y per G vectors (blocked y, whole words)
    store, write, y_words = conv2d_store(p, dtype, a, gm)
    y_bytes = y_words * wb
    res = y_bytes if a["residual"] else 0
    total = w_bytes + x_bytes + y_bytes + res + a["k"] * 4
    # x (fetch_x, fetch_x_hi), the weights (load_weights), two bundles each, the residual (store_tile) and y
    # (write_tile) stream through bundles of their own: they overlap unless their ports share a bank
    streams = mem.concurrent({"weight": w_lo, "weight_hi": w_hi, "x": x_lo * wb, "x_hi": x_hi * wb, "residual": res,
                              "y": y_bytes}, p.word_bits)
    memory = max(streams, total / mem.board)
    prologue = max(tm * wpr_k, (tk // gm["B"]) * tn)  # the first slices: weights and P side by side
    cycles, bound, schedule = _finish({"compute": compute, "loader": load, "store": max(store, write),
                                       "memory": memory},
                                      prologue, tm * tn / gm["B"],
                                      max(compute, w_cyc, emit_cyc + f_cyc, fetch_cyc, fetch_hi, store, write))
    return {"compute": compute, "memory": memory, "cycles": cycles, "bytes": int(total), "bound": bound,
            "schedule": schedule}


def winograd_layer(p, o, mem, dtype, a, wm):
    """fpgaops_winograd (winograd.hpp): output-stationary blocks of BK output channels x BT m x m
    tiles of one tile row (winograd.tile_k / tile_w), one DATAFLOW region per block. compute_block,
    per input channel: the A = m+2 input rows of ROW = BT*m+2 elements (one per cycle), BK filter
    transforms (II = 9), then per tile the input transform and BK MAC steps of A*A products (II = 1);
    after the last channel BK*BT output transforms at II = m*m. load_block re-reads every filter
    (one word per 3x3 filter) and the A input rows per channel per block."""
    eb, wb = ebytes(dtype), p.word_bits // 8
    A, bk, bt = wm + 2, p.wino_bk, p.wino_bt
    row = bt * wm + 2
    c = a["c"]
    per_ch = A * (row + ROW_OVERHEAD) + 9 * bk + bt * (bk + WINO_TILE_OVERHEAD)
    block = c * per_ch + bk * bt * wm * wm
    tiles_h, tiles_w = cdiv(a["oh"], wm), cdiv(a["ow"], wm)
    blocks = a["n"] * cdiv(a["k"], bk) * tiles_h * cdiv(tiles_w, bt)
    comp = blocks * block
    load_cyc = blocks * c * (A * (row + ROW_OVERHEAD) + bk * (9 + ROW_OVERHEAD))
    x_bytes = blocks * c * A * cdiv(row * eb, wb) * wb
    w_bytes = blocks * c * bk * cdiv(9 * eb, wb) * wb
    out = a["n"] * a["k"] * a["oh"] * a["ow"]
    res = out * eb if a["residual"] else 0
    store = out / o.store_rate + blocks * bk * bt * wm * ROW_OVERHEAD
    w_mem, x_mem = w_bytes / mem.port("weight", p.word_bits), x_bytes / mem.port("x", p.word_bits)
    load = max(load_cyc, w_mem + x_mem)
    wmem = out * eb / mem.port("y", 32 * o.store_rate) + res / mem.port("residual", p.word_bits)
    total = x_bytes + w_bytes + out * eb + res
    memory = max(w_mem + x_mem, wmem, total / mem.board)
    cycles, bound, schedule = _finish({"compute": comp, "loader": load, "store": store, "memory": memory},
                                      per_ch, bk * bt * wm * wm, max(comp, load_cyc, store))
    return {"compute": comp, "memory": memory, "cycles": cycles, "bytes": int(total), "bound": bound,
            "schedule": schedule}


def dw_banks(max_kernel):
    """dwconv.hpp NB: the line buffer's column banks, one per filter column."""
    return max_kernel


def dwconv_fit(p, a):
    """None when dwconv.hpp takes the layer (the host launchers' dwconv_fits), else why not. Channels
    are padded to a multiple of SIMD and a multiplier K / C is expanded, so the kernel sees K channels."""
    (sh, sw), (dh, dw) = a["stride"], a["dilation"]
    cp = cdiv(a["k"], p.dw_simd) * p.dw_simd
    nb = dw_banks(p.dw_max_kernel)
    wp = (a["ow"] - 1) * sw + (a["s"] - 1) * dw + 1
    if a["residual"]:
        return "a residual"
    if max(a["r"], a["s"]) > p.dw_max_kernel:
        return f"filter {a['r']}x{a['s']} > dwconv.max_kernel {p.dw_max_kernel}"
    if cp > p.dw_max_channels:
        return f"{cp} channels > dwconv.max_channels {p.dw_max_channels}"
    if (a["r"] - 1) * dh + 1 + sh > p.dw_line_buffer_rows:
        return f"filter height + stride > dwconv.line_buffer_rows {p.dw_line_buffer_rows}"
    if (a["s"] - 1) * dw + 1 > nb or wp > p.dw_max_w:
        return "padded row or dilated width beyond the line buffer"
    if cdiv(wp, nb) * (cp // p.dw_simd) > cdiv(p.dw_max_row, p.dw_simd * nb):
        return f"padded row x channels > dwconv.max_row {p.dw_max_row}"
    return None


def read_at_cycles(off, count, lanes, out_words):
    """common.hpp read_elems of ``count`` elements at element offset ``off``: the burst of the
    in_words words they touch, then the flush up to ``out_words`` (a loop of 0 trips, when the
    elements straddle one more word than they fill, pays no pipeline depth)."""
    if count == 0:
        return out_words + LOAD_DEPTH if out_words else 0
    in_words = cdiv(off % lanes + count, lanes)
    flush = out_words - (in_words - 1)
    return in_words + LOAD_DEPTH + (flush + LOAD_DEPTH if flush > 0 else 0)


def dwconv_schedule(p, dtype, a):
    """The processes of dwconv.hpp's one DATAFLOW region, as the C-simulation counters count them
    (iterations x II + pipelined-loop entries x depth), with CG = K/SIMD channel groups (channels
    padded), V = L/SIMD vectors per word, D the compute depth (PIPE_DEPTH):
      fetch    per tap row read_elems of ceil(K/L) words; per image, every input row the output rows
               need, once: read_elems of its len*K in-image elements (nothing for a pad row)
      split    per tap row CG vectors; per needed input row wp*CG vectors, one per cycle
      compute  R*S*CG weight vectors; per image OH + 1 steps of max(output vectors OW*CG, fill
               vectors of the next output row's new input rows) iterations, one pipeline fill each
      store    K epilogue constants at II = 3 (three reads on one bundle), then N*OH*OW*CG vectors
    Returns dict(fetch, split, compute, store, rows: input rows per image, cp: padded channels)."""
    L = p.word_bits // 8 // ebytes(dtype)
    simd, d, dd = p.dw_simd, LOAD_DEPTH, PIPE_DEPTH[dtype]
    cp = cdiv(a["k"], simd) * simd
    cg, v = cp // simd, L // simd
    (sh, sw), (dh, dw) = a["stride"], a["dilation"]
    extent_h = (a["r"] - 1) * dh + 1
    wp = (a["ow"] - 1) * sw + (a["s"] - 1) * dw + 1
    pad_top = a.get("pad_top", max(0, cdiv((a["oh"] - 1) * sh + extent_h - a["h"], 2)))
    pad_left = a.get("pad_left", max(0, cdiv(wp - a["w"], 2)))
    length = max(0, min(a["w"], wp - pad_left))
    taps = a["r"] * a["s"]
    fetch = sum(read_at_cycles(t * cp, cp, L, cdiv(cp, L)) for t in range(taps))
    split = taps * (cg + d)
    fills, prev_hi = [], None
    for q in range(a["oh"]):                        # the input rows each output row adds
        lo = q * sh - pad_top
        first = lo if prev_hi is None or prev_hi < lo else prev_hi + 1
        prev_hi = lo + extent_h - 1
        rows = list(range(first, prev_hi + 1))
        fills.append(len(rows))
        for h in rows:
            inside = 0 <= h < a["h"] and length > 0
            if inside:
                fetch += sum(read_at_cycles((nn * a["h"] + h) * a["w"] * cp, length * cp, L, cdiv(length * cg, v))
                             for nn in range(a["n"]))
            split += a["n"] * (wp * cg + d)
    compute = taps * cg + dd
    outs = a["ow"] * cg
    for step in range(a["oh"] + 1):
        trips = max(outs if step > 0 else 0, fills[step] * wp * cg if step < a["oh"] else 0)
        compute += a["n"] * (trips + (dd if trips else 0))
    store = 3 * cp + 8 + a["n"] * a["oh"] * a["ow"] * cg + 8
    return {"fetch": fetch, "split": split, "compute": compute, "store": store, "rows": sum(fills), "cp": cp}


def dwconv_layer(p, o, mem, dtype, a, max_k=None):
    """fpgaops_dwconv (dwconv.hpp): SIMD channels x one output pixel per cycle, NHWC, one DATAFLOW
    region per launch (dwconv_schedule). Raises UnsupportedError when the layer exceeds the
    kernel's limits (the host then runs it on im2col). DDR: every needed input row once (one burst
    of w*K elements), the taps once, y once."""
    why = dwconv_fit(p, a)
    if why:
        raise UnsupportedError(f"dwconv: {why}")
    eb, wb = ebytes(dtype), p.word_bits // 8
    sc = dwconv_schedule(p, dtype, a)
    cp = sc["cp"]
    x_bytes = a["n"] * sc["rows"] * cdiv(a["w"] * cp * eb, wb) * wb   # an upper bound: pad rows read nothing
    w_bytes = a["r"] * a["s"] * cdiv(cp * eb, wb) * wb
    wr = cdiv(a["n"] * a["oh"] * a["ow"] * cp * eb, wb) * wb
    memory = max(x_bytes / mem.port("x", p.word_bits) + w_bytes / mem.port("weight", p.word_bits),
                 wr / mem.port("y", p.word_bits), (x_bytes + w_bytes + wr) / mem.board)
    comp = sc["compute"]
    loader = max(sc["fetch"], sc["split"])
    cycles, bound, schedule = _finish({"compute": comp, "loader": loader, "store": sc["store"], "memory": memory},
                                      0, 0)
    return {"compute": comp, "memory": memory, "cycles": cycles, "bytes": int(x_bytes + w_bytes + wr),
            "bound": bound, "schedule": schedule}


def numel(shape):
    n = 1
    for d in shape or ():
        n *= int(d)
    return n


def pool_schedule(p, dtype, a):
    """pool.hpp's one DATAFLOW region ("stream"), its processes as the C-simulation counters count
    them. a: x, y (NCHW shapes) and, for regular windows, kernel / stride / padding / dilation
    (the graph node's; without them: adaptive bins, as for GlobalAvgPool).
      read   every input row: read_elems of its w elements (one word per cycle)
      hpool  the column windows once (OW); per input row FILL_ROW (ceil(w/L) words) and then either
             the sliding window, one column per cycle over (OW-1)*sw + (kw-1)*dw + 1 columns, or the
             adaptive bins, one tap per cycle (at least one per output column)
      vpool  two OW loops, then per plane an OW loop per input row and per output row
      write  the outputs, one element per cycle
    Every pipelined loop entry pays its depth (read 3, hpool 4, vpool 4, write 2).
    A global pool (adaptive 1 x 1; int8, or float32 planes of at most one word) takes pool.hpp's
    run_global instead: read (one burst per plane), reduce (one word per cycle), write.
    A regular window the channel-blocked path takes (backends.csim.pool.blocked_fits) takes
    run_blocked (region "blocked", pool_blocked_schedule)."""
    L = p.word_bits // 8 // ebytes(dtype)
    (n, c, h, w), (_, _, oh, ow) = a["x"], a["y"]
    planes = n * c
    words = cdiv(w, L)
    if a.get("kernel") is not None:
        from ..backends.csim.pool import blocked_fits  # the launcher's rule (no import cycle: leaf module)
        from ..reference.pool import Axis, open_rows

        (kh, kw), (sh, sw), (ph, _), (dh, dw) = (a["kernel"], a["stride"], a["padding"],
                                                 a.get("dilation", (1, 1)))
        if blocked_fits(False, kh, kw, sw, dh, dw, open_rows(Axis(h, oh, kh, sh, ph, dh)), ow, L // p.pe):
            return pool_blocked_schedule(p, dtype, a)
    if a.get("kernel") is None and oh == ow == 1 and (dtype == "int8" or h * w <= L):
        # run_global: each plane one burst (read), a word of L lanes folded per cycle (reduce)
        wpp = cdiv(h * w, L)
        return {"read": sum(read_at_cycles(q * h * w, h * w, L, wpp) for q in range(planes)),
                "reduce": planes * wpp + 4, "write": planes + 2}
    read = sum(read_at_cycles(r * w, w, L, words) for r in range(planes * h))
    if a.get("kernel") is not None:
        kw, sw, pw, dw = a["kernel"][1], a["stride"][1], a["padding"][1], a.get("dilation", (1, 1))[1]
        per_row = (ow - 1) * sw + (kw - 1) * dw + 1 + 4
    else:  # adaptive bins [floor(j*w/ow), ceil((j+1)*w/ow))
        per_row = sum(max(1, -(-((j + 1) * w) // ow) - (j * w) // ow) for j in range(ow)) + 4
    hpool = ow + 4 + planes * h * (words + 4 + per_row)
    vpool = 2 * (ow + 4) + planes * (h + oh) * (ow + 4)
    write = planes * oh * ow + 2
    return {"read": read, "hpool": hpool, "vpool": vpool, "write": write}


def pool_blocked_schedule(p, dtype, a):
    """pool.hpp's channel-blocked region ("blocked"): the planes in blocks of B = gemm.pe lanes (the
    conv tops' layout), G = L / B columns per word, nw = ceil(w / G) words per input row, nq =
    ceil(ow / G) per output row, one word per cycle in every process:
      read   every word of the input, one loop
      hpool  per input row max(nw, e_last // G + 1) words through the register (e_last: the last
             column of the last output word, (nq*G - 1)*sw - pw + (kw - 1)*dw: the right padding)
      vpool  two nq loops (divisors, bank init), then per block an nq loop per input and per output row
      write  every output word
    Every pipelined loop entry pays its depth (read 3, hpool 4, vpool 4, write 2)."""
    L = p.word_bits // 8 // ebytes(dtype)
    g = L // p.pe
    (n, c, h, w), (_, _, oh, ow) = a["x"], a["y"]
    kw, sw, pw, dw = a["kernel"][1], a["stride"][1], a["padding"][1], a.get("dilation", (1, 1))[1]
    blocks, nw, nq = cdiv(n * c, p.pe), cdiv(w, g), cdiv(ow, g)
    iters = max(nw, ((nq * g - 1) * sw - pw + (kw - 1) * dw) // g + 1)
    return {"read": blocks * h * nw + 3, "hpool": blocks * h * (iters + 4),
            "vpool": 2 * (nq + 4) + blocks * (h + oh) * (nq + 4), "write": blocks * oh * nq + 2}


def stream_layer(p, o, mem, dtype, L):
    """pool / eltwise / act / softmax kernels: (kernel, shape, result dict). The pool schedule is
    pool.hpp's (pool_schedule); eltwise and act move one word of L lanes per cycle; softmax makes
    three passes of one element per cycle."""
    eb = ebytes(dtype)
    lanes = p.word_bits // 8 // eb
    a = L.attrs
    schedule = None
    if L.op == "pool":
        x, y = a["x"], a["y"]
        rd, wr = numel(x) * eb, numel(y) * eb
        sc = pool_schedule(p, dtype, a)
        schedule = max(sc.values())
        comp = schedule / o.stream_rate   # what-if: the horizontal and vertical passes widened
        shape = f"{x[1]}x{x[2]}x{x[3]}->{y[1]}x{y[2]}x{y[3]}"
    elif L.op == "eltwise":
        rd, wr = (numel(a["a"]) + numel(a["b"])) * eb, numel(a["y"]) * eb
        comp = cdiv(numel(a["y"]), lanes)  # one word of L lanes per cycle
        shape = "x".join(str(d) for d in a["y"][1:])
    else:  # act (one word per cycle), softmax (max, exp-sum and scale passes, one element per cycle)
        rd, wr = numel(a["x"]) * eb, numel(a["y"]) * eb
        comp = cdiv(numel(a["y"]), lanes) if L.op == "act" else 3 * numel(a["y"])
        shape = "x".join(str(d) for d in a["y"][1:])
    memory = max(rd / mem.port("x" if L.op != "eltwise" else "a", p.word_bits), wr / mem.port("y", p.word_bits),
                 (rd + wr) / mem.board)
    cycles, bound, sched = _finish({"stream": comp, "memory": memory}, 0, 0)
    return L.op, shape, {"compute": comp, "memory": memory, "cycles": cycles, "bytes": int(rd + wr),
                         "bound": bound, "schedule": sched if schedule is None or o.stream_rate != 1 else schedule}
