"""Performance and resource estimator: modeled cycles, latency, images/s and DSP/BRAM/URAM use.

    import fpgaops
    est = fpgaops.estimate("resnet50", platform="u50", dtype="int8")   # or a Network / ONNX path
    print(est)                       # per-layer table + totals, every number labelled "modeled"
    est.images_per_s, est.latency_s, est.resources.totals

    fpgaops estimate resnet50 --platform u50 --dtype int8 [--config my.toml] [--batch 8]

Every number this module produces is a *model* of what the HLS kernels in
``kernels/hls/include/fpgaops`` would do on the board: nothing here ran on an FPGA. Each result
object carries ``label == "modeled"`` and every printed figure says so. The model, its assumptions
and its limits are written up in ``docs/estimator.md``; in short, with ``TM, TN, TK`` =
gemm.tile_*, ``PE_M x PE_N`` = gemm.pe_* and ``L`` = elements per AXI word (axi.word_bits):

GEMM MAC array (gemm.hpp ``compute_tile``, shared by fpgaops_gemm and fpgaops_conv2d), per tile:

    NB   = (TM/PE_M) * (TN/PE_N)                  accumulator blocks = dependence distance
    II   = max(1, ceil(ACC_LATENCY / NB))
    MAC  = TK * NB * II                            MAC-loop iterations of one K slice
    FILL = TM*ceil(TK/L)*L/gcd(PE_M,L) + TK*ceil(TN/L)*L/gcd(PE_N,L)    ping-pong fill iterations
    tile = FILL + (nk-1)*max(MAC, FILL) + MAC + (nk+1)*PIPE_DEPTH       nk = ceil(K/TK)

fpgaops_gemm: load = bytes_A/bw_a + bytes_B/bw_b (one process reads A then B, A re-read for every
column tile, B for every row tile); store = one element per cycle.
fpgaops_conv2d (conv2d.hpp): the loader emits the im2col slice from the line buffer ONE element
per cycle (EMIT_COLS, II=1), fills it one element per cycle (FILL_COLS), reads weights one word
per cycle: per tile  load = nk*TM*ceil(TK/L) + nk*TK*TN + Cg*R*tile_rows*seg_len (+ row overheads),
each memory-touching part at least its bytes / port bandwidth; store = one element per cycle.

A layer's cycles follow the DATAFLOW overlap of load / compute / store over consecutive tiles:

    cycles = max(compute, load, store, write-memory, bytes/board bandwidth) + prologue + epilogue

fpgaops_dwconv (dwconv.hpp): per output plane, taps + input rows x (padded width) fill cycles +
OH x OW pixels at one per cycle (the window unrolled). Pool / element-wise / activation kernels
stream at their documented rates (pool: one input column per cycle; eltwise / act: one word per
cycle). fpgaops_winograd (winograd.hpp): BK x BT output-stationary blocks, per input channel
A*(ROW+2) + 9*BK + BT*(BK+8) cycles, then BK*BT*m*m output-transform cycles.

Resources: 5 DSP48E2 per float32 MAC (fmul 3 + fadd 2, full-DSP cores), 1 per int8 MAC (the HLS
source does no DSP packing), BRAM18 per partitioned bank from its depth x width (LUTRAM when
<= 64 deep or <= 1 Kbit), m_axi read/write buffers of num_outstanding x max_burst_beats words per
bundle; every kernel times its CUs in connectivity.cfg (``nk=``). A configuration over the
board's budget (platform.toml, times usable_fraction) is refused with ConfigError.
"""
import dataclasses
import math
from pathlib import Path

from .errors import ArgumentError, ConfigError, UnsupportedError

LABEL = "modeled"
DTYPES = ("float32", "int8")
ALGOS = ("im2col", "winograd", "dwconv")
KERNEL_SETS = ("linked", "dtype", "conv")

# ---- fixed model constants (each one is discussed in docs/estimator.md) ---------------------------------------
DSP_PER_MAC = {"float32": 5, "int8": 1}       # fmul 3 + fadd 2 (full-DSP cores); int8 mul + add in one DSP48E2
ACC_LATENCY = {"float32": 8, "int8": 3}       # accumulator read -> add -> write-back, cycles
PIPE_DEPTH = {"float32": 14, "int8": 6}       # pipeline depth of one SLICE_STEP loop, paid per call
ROW_OVERHEAD = 2                              # cycles between consecutive short pipelined loops (flush + start)
WINO_TILE_OVERHEAD = 8                        # winograd.hpp: input transform + MAC-loop start per tile
MEM_LATENCY_CYCLES = 150                      # first-beat DRAM / HBM latency, paid once per layer
ENGINE_DSP_OVERHEAD = {"float32": 20, "int8": 12}   # epilogue arithmetic + index multiplies of a GEMM/conv CU
LUTS_PER_MAC = {"float32": 400, "int8": 40}
LUTS_PER_CU = 6000
LUTRAM_MAX_DEPTH = 64                         # shallower banks (or <= 1 Kbit) are LUTRAM, not BRAM
LUTRAM_MAX_BITS = 1024
READ_OUTSTANDING = 16                         # Vitis HLS m_axi default num_read_outstanding / num_write_outstanding
ZYNQ_PORT_BITS = 128                          # Zynq PS HP / HPC ports are 128-bit AXI
BRAM18_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))


def _cdiv(a, b):
    return -(-a // b)


def _ebytes(dtype):
    return 4 if dtype == "float32" else 1


def _suffix(dtype):
    return "f32" if dtype == "float32" else "i8"


# ---- parameters ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class GemmParams:
    """The MAC array's tunables (kernels/config [gemm], axi.*, conv2d.line_buffer_*) and dwconv's buffers."""

    tile_m: int = 64
    tile_n: int = 64
    tile_k: int = 64
    pe_m: int = 4
    pe_n: int = 16
    word_bits: int = 512
    max_burst_beats: int = 64
    line_buffer_w: int = 256
    line_buffer_rows: int = 32
    dw_max_w: int = 1024
    dw_max_kernel: int = 7
    dw_line_buffer_rows: int = 8
    wino_bk: int = 16
    wino_bt: int = 8

    @classmethod
    def from_config(cls, cfg):
        g, v = cfg.gemm, cfg.values
        return cls(g.tile_m, g.tile_n, g.tile_k, g.pe_m, g.pe_n, cfg.axi.word_bits, cfg.axi.max_burst_beats,
                   v.get("conv2d.line_buffer_w", 256), v.get("conv2d.line_buffer_rows", 32),
                   v.get("dwconv.max_w", 1024), v.get("dwconv.max_kernel", 7), v.get("dwconv.line_buffer_rows", 8),
                   v.get("winograd.tile_k", 16), v.get("winograd.tile_w", 8))

    def check(self):
        """The rules of config.py and the static_asserts of gemm.hpp / conv2d.hpp, naming the key."""
        for key in ("tile_m", "tile_n", "tile_k", "pe_m", "pe_n"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 1024:
                raise ConfigError(f"gemm.{key}", f"expected an integer in [1, 1024], got {v!r}")
        if self.tile_m % self.pe_m:
            raise ConfigError("gemm.tile_m", f"must be a multiple of gemm.pe_m ({self.pe_m}), got {self.tile_m}")
        if self.tile_n % self.pe_n:
            raise ConfigError("gemm.tile_n", f"must be a multiple of gemm.pe_n ({self.pe_n}), got {self.tile_n}")
        if (self.word_bits // 8) % self.pe_n:
            raise ConfigError("gemm.pe_n", f"must divide the int8 lanes of a word ({self.word_bits // 8}), "
                                           f"got {self.pe_n}")
        return self

    @property
    def macs(self):
        return self.pe_m * self.pe_n

    def short(self):
        return (f"tile {self.tile_m}x{self.tile_n}x{self.tile_k}, PE {self.pe_m}x{self.pe_n} = {self.macs} MACs, "
                f"{self.max_burst_beats}-beat bursts")


@dataclasses.dataclass(frozen=True)
class Options:
    """Model knobs that are not kernel-config keys.

    ``store_rate``, ``emit_rate`` and ``stream_rate`` are what-if knobs: 1 is what the HLS source
    does today (GEMM / conv store: one element per cycle; conv window generator: one im2col element
    per cycle; pool: one column per cycle). A value v > 1 models that loop widened to v elements
    per cycle, a kernel change that does not exist yet.
    """

    clock_mhz: float = None            # default: the platform's kernel clock
    cus: int = None                    # CUs of the conv kernel (conv2d, else gemm); default: its nk= count
    algos: tuple = None                # conv engines to choose from; default: those whose headers exist
    kernels: str = "linked"            # "linked": every nk= kernel; "dtype": that dtype's only; "conv":
                                       # that dtype's without fpgaops_gemm (FC layers as 1x1 convs on conv2d)
    bandwidth_efficiency: float = 0.8  # achievable fraction of the theoretical DRAM / HBM bandwidth
    launch_us: float = 5.0             # host -> kernel start overhead per kernel call
    store_rate: int = 1                # what-if: store elements per cycle (HLS today: 1)
    emit_rate: int = 1                 # what-if: conv im2col elements emitted per cycle (HLS today: 1)
    stream_rate: int = 1               # what-if: pool columns per cycle (HLS today: 1)
    macs_per_dsp: int = 1              # what-if: int8 MACs per DSP48E2 (2 = the DSP packing trick; HLS today: 1)

    def what_if(self):
        return {k: getattr(self, k) for k in WHAT_IF_KEYS if getattr(self, k) != 1}


WHAT_IF_KEYS = ("store_rate", "emit_rate", "stream_rate", "macs_per_dsp")


def _header_exists(stem):
    from . import config as cfgmod

    try:
        root = cfgmod.kernel_source_dir()
    except ConfigError:
        return False
    return (root / "kernels" / "hls" / "include" / "fpgaops" / f"{stem}.hpp").is_file() or \
        (root / "hls" / "include" / "fpgaops" / f"{stem}.hpp").is_file()


def default_algos():
    """im2col always; winograd / dwconv once kernels/hls/include/fpgaops/{winograd,dwconv}.hpp exist."""
    return ("im2col",) + tuple(a for a in ("winograd", "dwconv") if _header_exists(a))


# ---- results ------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class LayerEstimate:
    name: str
    op: str
    kernel: str          # gemm / conv2d / conv2d (fc) / gemm-im2col / dwconv / winograd-f2* (planned) / pool / ...
    shape: str
    macs: int            # useful MACs (not the padded ones the array runs)
    compute_cycles: float
    memory_cycles: float
    cycles: float
    bytes: int
    bound: str           # compute / loader / store / memory / stream / -
    seconds: float       # cycles / clock + launch overhead
    label: str = LABEL


@dataclasses.dataclass
class ResourceEstimate:
    kernels: dict        # kernel -> {"cus", "dsps", "bram36", "uram", "luts"} (all its CUs)
    totals: dict
    budget: dict
    label: str = LABEL

    @property
    def fits(self):
        return not self.over()

    def over(self):
        return [k for k in ("dsps", "bram36", "uram") if self.totals[k] > self.budget[k]]

    def __str__(self):
        rows = [f"{'kernel (modeled)':24s} {'CUs':>4s} {'DSP':>7s} {'BRAM36':>7s} {'URAM':>5s} {'LUT':>9s}"]
        for k, r in self.kernels.items():
            rows.append(f"{k:24s} {r['cus']:4d} {r['dsps']:7d} {r['bram36']:7d} {r['uram']:5d} {r['luts']:9d}")
        t, b = self.totals, self.budget
        rows.append(f"{'total (modeled)':24s} {'':4s} {t['dsps']:7d} {t['bram36']:7d} {t['uram']:5d} {t['luts']:9d}")
        rows.append(f"{'board budget':24s} {'':4s} {b['dsps']:7d} {b['bram36']:7d} {b['uram']:5d} {b['luts']:9d}")
        return "\n".join(rows)


@dataclasses.dataclass
class NetworkEstimate:
    network: str
    platform: str
    dtype: str
    batch: int
    clock_mhz: float
    gemm: GemmParams
    cus: int
    algos: tuple
    what_if: dict
    layers: list
    resources: ResourceEstimate
    cycles: float
    latency_s: float         # one batch, layer after layer, on one CU of each kernel
    images_per_s: float      # images in flight on every kernel and CU (see docs/estimator.md)
    bottleneck: str          # what bounds images_per_s: a kernel name or "memory"
    label: str = LABEL

    @property
    def macs(self):
        return sum(layer.macs for layer in self.layers)

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["macs"] = self.macs
        return d

    def table(self):
        hdr = (f"{'layer':26s} {'kernel':14s} {'shape':28s} {'MMAC':>8s} {'compute kcyc':>12s} "
               f"{'memory kcyc':>11s} {'kcycles':>9s} {'bound':>8s} {'us (modeled)':>12s}")
        rows = [hdr, "-" * len(hdr)]
        for r in self.layers:
            rows.append(f"{r.name[:26]:26s} {r.kernel[:14]:14s} {r.shape[:28]:28s} {r.macs / 1e6:8.2f} "
                        f"{r.compute_cycles / 1e3:12.1f} {r.memory_cycles / 1e3:11.1f} {r.cycles / 1e3:9.1f} "
                        f"{r.bound:>8s} {r.seconds * 1e6:12.1f}")
        return "\n".join(rows)

    def __str__(self):
        gops = 2 * self.macs / self.batch * self.images_per_s / 1e9
        wi = f"; what-if {self.what_if}" if self.what_if else ""
        return "\n".join([
            f"fpgaops estimate -- every figure is MODELED from the HLS source, not measured on a board",
            f"{self.network} on {self.platform}, {self.dtype}, batch {self.batch}, {self.clock_mhz:g} MHz, "
            f"{self.cus} compute CU(s), conv engines {', '.join(self.algos)}{wi}",
            f"MAC array: {self.gemm.short()}",
            "",
            self.table(),
            "",
            str(self.resources),
            "",
            f"modeled latency:    {self.latency_s * 1e3:.3f} ms per batch of {self.batch}",
            f"modeled throughput: {self.images_per_s:.1f} images/s ({gops:.1f} GOP/s useful; "
            f"bound by {self.bottleneck})",
        ])


# ---- platform helpers ---------------------------------------------------------------------------------------
def _platform(platform):
    from . import platforms

    if isinstance(platform, str):
        return platforms.load(platform)
    return platform


class _Mem:
    """Bytes per cycle of each m_axi port of one CU of ``kernel``, and of the whole board."""

    def __init__(self, plat, kernel, clock_mhz, eff):
        hz = clock_mhz * 1e6
        self.board = plat.bandwidth_gbs * 1e9 * eff / hz
        self._plat, self._cu, self._hz, self._eff = plat, plat.compute_units(kernel)[0], hz, eff
        self._banks = {b.tag: b for b in plat.banks}

    def port(self, arg, width_bits):
        plat, bw = self._plat, 0.0
        for tag in plat.port_banks(self._cu, arg):
            b = self._banks.get(tag)
            bw += (b.bandwidth_gbs if b is not None and b.bandwidth_gbs else plat.bandwidth_gbs)
        per_cycle = min(bw * 1e9 * self._eff / self._hz, self.board)
        width = width_bits if plat.kind != "zynq" else min(width_bits, ZYNQ_PORT_BITS)
        return min(per_cycle, width / 8)


# ---- the MAC array and the GEMM kernel ----------------------------------------------------------------------
def mac_tile(p, dtype, k, trans_a=False, trans_b=False):
    """Cycles of GemmEngine::compute_tile for one output tile with reduction length k."""
    L = p.word_bits // 8 // _ebytes(dtype)
    tm, tn, tk = p.tile_m, p.tile_n, p.tile_k
    g_a, g_b = L // math.gcd(p.pe_m, L), L // math.gcd(p.pe_n, L)
    fill_a = (tk * _cdiv(tm, L) if trans_a else tm * _cdiv(tk, L)) * g_a
    fill_b = (tn * _cdiv(tk, L) if trans_b else tk * _cdiv(tn, L)) * g_b
    nb = (tm // p.pe_m) * (tn // p.pe_n)
    ii = max(1, _cdiv(ACC_LATENCY[dtype], nb))
    mac = tk * nb * ii
    fill = fill_a + fill_b
    nk = _cdiv(k, tk)
    tile = fill + (nk - 1) * max(mac, fill) + mac + (nk + 1) * PIPE_DEPTH[dtype]
    return {"nk": nk, "nb": nb, "ii": ii, "mac_steps": mac, "fill_steps": fill, "tile_cycles": tile}


def gemm_engine(p, dtype, batch, m, n, k, trans_a=False, trans_b=False):
    """Compute-process cycles of one fpgaops_gemm call (no memory): mac_tile() plus tiles, compute_cycles."""
    e = mac_tile(p, dtype, k, trans_a, trans_b)
    e["tiles"] = batch * _cdiv(m, p.tile_m) * _cdiv(n, p.tile_n)
    e["compute_cycles"] = e["tiles"] * e["tile_cycles"]
    return e


def _seg_words(total, tile, eb, wb):
    """Words to read ``total`` elements cut in segments of ``tile`` (one burst per segment)."""
    full, last = divmod(total, tile)
    return full * _cdiv(tile * eb, wb) + (_cdiv(last * eb, wb) if last else 0)


def gemm_bytes(p, dtype, batch, m, n, k, trans_a=False, trans_b=False):
    """DRAM bytes fpgaops_gemm's load process reads: (bytes_a, bytes_b). A is re-read for every
    column tile, B for every row tile; rows outside the matrix are sent as zeros, never read."""
    eb, wb = _ebytes(dtype), p.word_bits // 8
    mt, nt = _cdiv(m, p.tile_m), _cdiv(n, p.tile_n)
    a_words = k * _seg_words(m, p.tile_m, eb, wb) if trans_a else m * _seg_words(k, p.tile_k, eb, wb)
    b_words = n * _seg_words(k, p.tile_k, eb, wb) if trans_b else k * _seg_words(n, p.tile_n, eb, wb)
    return batch * nt * a_words * wb, batch * mt * b_words * wb


def _finish(terms, prologue, epilogue):
    bound = max(terms, key=terms.get)
    return terms[bound] + prologue + epilogue + MEM_LATENCY_CYCLES, bound


def gemm_layer(p, o, mem, dtype, batch, m, n, k, trans_a=False, trans_b=False, bytes_b=None, extra_read=0):
    """One fpgaops_gemm call: dict(compute, memory, cycles, bytes, bound)."""
    e = gemm_engine(p, dtype, batch, m, n, k, trans_a, trans_b)
    ba, bb = gemm_bytes(p, dtype, batch, m, n, k, trans_a, trans_b)
    if bytes_b is not None:
        bb = bytes_b
    out = batch * m * n
    by = out * 4  # gemm writes float32 / int32
    load = ba / mem.port("a", p.word_bits) + bb / mem.port("b", p.word_bits)
    store = out / o.store_rate + batch * _cdiv(m, p.tile_m) * _cdiv(n, p.tile_n) * min(m, p.tile_m) * ROW_OVERHEAD
    wmem = by / mem.port("y", 32 * o.store_rate) + extra_read / mem.port("c", p.word_bits)
    total = ba + bb + by + extra_read
    memory = max(load, wmem, total / mem.board)
    cycles, bound = _finish({"compute": e["compute_cycles"], "memory": memory, "store": store},
                            0, p.tile_m * p.tile_n / o.store_rate)
    return {"compute": e["compute_cycles"], "memory": memory, "cycles": cycles, "bytes": int(total), "bound": bound}


# ---- fpgaops_conv2d (conv2d.hpp) ------------------------------------------------------------------------------
def conv2d_geometry(p, a):
    """conv2d.hpp conv2d_geometry(): tile_w, tile_rows, seg_len and the tile counts."""
    tn, tm = p.tile_n, p.tile_m
    (sh, sw), (dh, dw) = a["stride"], a["dilation"]
    extent_w = (a["s"] - 1) * dw + 1
    cap_w = (p.line_buffer_w - extent_w) // sw + 1 if extent_w <= p.line_buffer_w else 0
    tile_w = min(tn, a["ow"], cap_w)
    if tile_w <= 0:
        raise UnsupportedError(f"conv2d: the dilated filter width {extent_w} exceeds conv2d.line_buffer_w "
                               f"({p.line_buffer_w})")
    tile_rows = min(tn // a["ow"], p.line_buffer_rows, a["oh"]) if tile_w == a["ow"] else 1
    seg_len = (tile_w - 1) * sw + extent_w
    kg = a["k"] // a["groups"]
    g = {"cg": a["c"] // a["groups"], "kg": kg, "tile_w": tile_w, "tile_rows": tile_rows, "seg_len": seg_len,
         "tiles_m": _cdiv(kg, tm), "tiles_q": _cdiv(a["ow"], tile_w), "tiles_p": _cdiv(a["oh"], tile_rows)}
    g["n_tiles"] = a["n"] * a["groups"] * g["tiles_p"] * g["tiles_q"] * g["tiles_m"]
    return g


def conv2d_layer(p, o, mem, dtype, a):
    """One fpgaops_conv2d call (implicit GEMM, window generator, fused epilogue)."""
    gm = conv2d_geometry(p, a)
    eb, wb = _ebytes(dtype), p.word_bits // 8
    L = wb // eb
    tm, tn, tk = p.tile_m, p.tile_n, p.tile_k
    crs = gm["cg"] * a["r"] * a["s"]
    mt = mac_tile(p, dtype, crs)
    nk, tiles = mt["nk"], gm["n_tiles"]
    compute = tiles * mt["tile_cycles"]
    # load process, per tile: weight rows (one word per cycle), P rows (one element per cycle),
    # line-buffer refills (one element per cycle), each memory part at least bytes / bandwidth
    wpr_k = _cdiv(tk, L)
    w_cyc = tiles * nk * tm * (wpr_k + ROW_OVERHEAD)
    pixel_tiles = a["n"] * a["groups"] * gm["tiles_p"] * gm["tiles_q"]
    w_bytes = pixel_tiles * gm["kg"] * _seg_words(crs, tk, eb, wb) * wb
    emit_cyc = tiles * nk * tk * (tn / o.emit_rate + ROW_OVERHEAD)
    fills = tiles * gm["cg"] * a["r"] * gm["tile_rows"]
    f_cyc = fills * (gm["seg_len"] / o.emit_rate + ROW_OVERHEAD)
    x_bytes = fills * _cdiv(min(gm["seg_len"], a["w"]) * eb, wb) * wb
    w_mem, x_mem = w_bytes / mem.port("weight", p.word_bits), x_bytes / mem.port("x", p.word_bits)
    load = max(w_cyc, w_mem) + emit_cyc + max(f_cyc, x_mem)
    # store process: per (channel, output row, column tile) run, q_n elements one per cycle
    out = a["n"] * a["k"] * a["oh"] * a["ow"]
    runs = a["n"] * a["k"] * a["oh"] * gm["tiles_q"]
    res = out * eb if a["residual"] else 0
    store = out / o.store_rate + runs * (ROW_OVERHEAD + (_cdiv(tn * eb, wb) if a["residual"] else 0))
    y_bytes = out * eb
    wmem = y_bytes / mem.port("y", 32 * o.store_rate) + res / mem.port("residual", p.word_bits)
    total = w_bytes + x_bytes + y_bytes + res + a["k"] * 4
    memory = max(w_mem + x_mem, wmem, total / mem.board)
    prologue = tm * wpr_k + tk * tn / o.emit_rate
    cycles, bound = _finish({"compute": compute, "loader": load, "store": store, "memory": memory},
                            prologue, tm * tn / o.store_rate)
    return {"compute": compute, "memory": memory, "cycles": cycles, "bytes": int(total), "bound": bound}


# ---- fpgaops_winograd (winograd.hpp) and fpgaops_dwconv (dwconv.hpp) ------------------------------------------
def winograd_layer(p, o, mem, dtype, a, wm):
    """fpgaops_winograd (winograd.hpp): output-stationary blocks of BK output channels x BT m x m
    tiles of one tile row (winograd.tile_k / tile_w), one DATAFLOW region per block. compute_block,
    per input channel: the A = m+2 input rows of ROW = BT*m+2 elements (one per cycle), BK filter
    transforms (II = 9), then per tile the input transform and BK MAC steps of A*A products (II = 1);
    after the last channel BK*BT output transforms at II = m*m. load_block re-reads every filter
    (one word per 3x3 filter) and the A input rows per channel per block."""
    eb, wb = _ebytes(dtype), p.word_bits // 8
    A, bk, bt = wm + 2, p.wino_bk, p.wino_bt
    row = bt * wm + 2
    c = a["c"]
    per_ch = A * (row + ROW_OVERHEAD) + 9 * bk + bt * (bk + WINO_TILE_OVERHEAD)
    block = c * per_ch + bk * bt * wm * wm
    tiles_h, tiles_w = _cdiv(a["oh"], wm), _cdiv(a["ow"], wm)
    blocks = a["n"] * _cdiv(a["k"], bk) * tiles_h * _cdiv(tiles_w, bt)
    comp = blocks * block
    load_cyc = blocks * c * (A * (row + ROW_OVERHEAD) + bk * (9 + ROW_OVERHEAD))
    x_bytes = blocks * c * A * _cdiv(row * eb, wb) * wb
    w_bytes = blocks * c * bk * _cdiv(9 * eb, wb) * wb
    out = a["n"] * a["k"] * a["oh"] * a["ow"]
    res = out * eb if a["residual"] else 0
    store = out / o.store_rate + blocks * bk * bt * wm * ROW_OVERHEAD
    w_mem, x_mem = w_bytes / mem.port("weight", p.word_bits), x_bytes / mem.port("x", p.word_bits)
    load = max(load_cyc, w_mem + x_mem)
    wmem = out * eb / mem.port("y", 32 * o.store_rate) + res / mem.port("residual", p.word_bits)
    total = x_bytes + w_bytes + out * eb + res
    memory = max(w_mem + x_mem, wmem, total / mem.board)
    cycles, bound = _finish({"compute": comp, "loader": load, "store": store, "memory": memory},
                            per_ch, bk * bt * wm * wm)
    return {"compute": comp, "memory": memory, "cycles": cycles, "bytes": int(total), "bound": bound}


def dwconv_layer(p, o, mem, dtype, a, max_k=7):
    """fpgaops_dwconv (dwconv.hpp): one DATAFLOW region per output plane (nn, kk). compute_plane
    reads the R*S taps, then per output row fills the new padded input rows into the line buffer
    (one element per cycle) and computes one output pixel per cycle (the window unrolled); the
    load process streams the same rows, the store one element per cycle. Planes overlap."""
    eb, wb = _ebytes(dtype), p.word_bits // 8
    (sh, sw), (dh, dw) = a["stride"], a["dilation"]
    extent_h, extent_w = (a["r"] - 1) * dh + 1, (a["s"] - 1) * dw + 1
    wp = (a["ow"] - 1) * sw + extent_w                    # padded row: the columns the windows span
    rows = (a["oh"] - 1) * sh + extent_h if sh <= extent_h else a["oh"] * extent_h   # input rows per plane
    banks = [(j * dw) % max_k for j in range(a["s"])]
    ii = max(1, _cdiv(max(banks.count(b) for b in set(banks)), 2))  # taps of one row in one bank
    taps = a["r"] * a["s"]
    planes = a["n"] * a["k"]
    plane = taps + rows * (wp + ROW_OVERHEAD) + a["oh"] * (a["ow"] * ii + ROW_OVERHEAD)
    comp = planes * plane
    store = planes * a["oh"] * a["ow"] / o.store_rate
    x_bytes = planes * min(rows, a["h"]) * _cdiv(a["w"] * eb, wb) * wb   # each plane reads its channel's rows
    w_bytes = planes * _cdiv(taps * eb, wb) * wb
    wr = planes * a["oh"] * a["ow"] * eb
    memory = max(x_bytes / mem.port("x", p.word_bits) + w_bytes / mem.port("weight", p.word_bits),
                 wr / mem.port("y", 32 * o.store_rate), (x_bytes + w_bytes + wr) / mem.board)
    cycles, bound = _finish({"compute": comp, "store": store, "memory": memory},
                            taps + extent_h * wp, a["ow"])
    return {"compute": comp, "memory": memory, "cycles": cycles, "bytes": int(x_bytes + w_bytes + wr),
            "bound": bound}


# ---- layers ---------------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Layer:
    """A network layer reduced to what the model needs (from the runner's fused graph)."""

    name: str
    op: str                # conv / gemm / pool / eltwise / act / softmax / view / other
    attrs: dict


def layers_of(graph):
    """The fused graph's nodes (``Network.optimized()``) as Layer records with their shapes."""
    out, sh = [], graph.shapes
    for nd in graph.nodes:
        ins = [sh.get(i) if i else None for i in nd.inputs]
        outs = [sh.get(o) for o in nd.outputs if o]
        y = outs[0] if outs else None
        if nd.op == "Conv":
            x, w = ins[0], ins[1]
            out.append(Layer(nd.name, "conv", dict(
                n=x[0], c=x[1], h=x[2], w=x[3], k=w[0], r=w[2], s=w[3], oh=y[2], ow=y[3],
                stride=tuple(nd.attrs.get("stride", (1, 1))), dilation=tuple(nd.attrs.get("dilation", (1, 1))),
                groups=int(nd.attrs.get("groups", 1)), residual=len(ins) > 3 and ins[3] is not None)))
        elif nd.op in ("Gemm", "MatMul"):
            a, b = ins[0], ins[1]
            ta, tb = bool(nd.attrs.get("trans_a", False)), bool(nd.attrs.get("trans_b", False))
            lead = 1
            for d in a[:-2]:
                lead *= d
            out.append(Layer(nd.name, "gemm", dict(batch=lead, m=a[-1] if ta else a[-2], k=a[-2] if ta else a[-1],
                                                   n=b[-2] if tb else b[-1], trans_a=ta, trans_b=tb)))
        elif nd.op in ("GlobalAvgPool", "MaxPool", "AveragePool", "Pool"):
            out.append(Layer(nd.name, "pool", dict(x=ins[0], y=y)))
        elif nd.op in ("Add", "Mul", "Sub", "Div"):
            out.append(Layer(nd.name, "eltwise", dict(a=ins[0], b=ins[1], y=y)))
        elif nd.op == "Act":
            out.append(Layer(nd.name, "act", dict(x=ins[0], y=y, kind=nd.attrs.get("kind"))))
        elif nd.op == "Softmax":
            out.append(Layer(nd.name, "softmax", dict(x=ins[0], y=y)))
        elif nd.op in ("View", "Reshape", "Flatten", "Identity", "Squeeze", "Unsqueeze"):
            out.append(Layer(nd.name, "view", dict(y=y)))
        else:
            out.append(Layer(nd.name, "other", dict(y=y, op=nd.op)))
    return out


def _numel(shape):
    n = 1
    for d in shape or ():
        n *= int(d)
    return n


def _conv(p, o, mems, dtype, a, algos, have_conv2d):
    """The fastest modeled engine for one conv layer: (kernel name, result dict)."""
    cands = []
    depthwise = a["groups"] == a["c"] and a["groups"] > 1
    if "dwconv" in algos and depthwise and not a["residual"]:  # dwconv.hpp takes no residual
        cands.append(("dwconv", dwconv_layer(p, o, mems("dwconv"), dtype, a, p.dw_max_kernel)))
    # winograd.hpp: 3x3, stride 1, dilation 1, groups 1; int8 F(2x2) only
    if ("winograd" in algos and a["r"] == a["s"] == 3 and a["stride"] == (1, 1) and a["dilation"] == (1, 1)
            and a["groups"] == 1):
        for wm in ((2,) if dtype == "int8" else (2, 4)):
            cands.append((f"winograd-f{wm}", winograd_layer(p, o, mems("winograd"), dtype, a, wm)))
    if "im2col" in algos or not cands:
        if have_conv2d:
            cands.append(("conv2d", conv2d_layer(p, o, mems("conv2d"), dtype, a)))
        else:  # no conv kernel linked: an explicit im2col matrix through fpgaops_gemm
            g = a["groups"]
            m_, n_, k_ = a["k"] // g, a["oh"] * a["ow"], (a["c"] // g) * a["r"] * a["s"]
            cands.append(("gemm-im2col", gemm_layer(p, o, mems("gemm"), dtype, a["n"] * g, m_, n_, k_)))
    return min(cands, key=lambda kr: kr[1]["cycles"])


def _stream(p, o, mem, dtype, L):
    """pool / eltwise / act / softmax kernels: (kernel, shape, result dict)."""
    eb = _ebytes(dtype)
    lanes = p.word_bits // 8 // eb
    a = L.attrs
    if L.op == "pool":
        x, y = a["x"], a["y"]
        rd, wr = _numel(x) * eb, _numel(y) * eb
        comp = _numel(x) / o.stream_rate + _numel(x[:-1]) * ROW_OVERHEAD  # one column per cycle, per row
        shape = f"{x[1]}x{x[2]}x{x[3]}->{y[1]}x{y[2]}x{y[3]}"
    elif L.op == "eltwise":
        rd, wr = (_numel(a["a"]) + _numel(a["b"])) * eb, _numel(a["y"]) * eb
        comp = _cdiv(_numel(a["y"]), lanes)  # one word of L lanes per cycle
        shape = "x".join(str(d) for d in a["y"][1:])
    else:  # act (one word per cycle), softmax (max, exp-sum and scale passes, one element per cycle)
        rd, wr = _numel(a["x"]) * eb, _numel(a["y"]) * eb
        comp = _cdiv(_numel(a["y"]), lanes) if L.op == "act" else 3 * _numel(a["y"])
        shape = "x".join(str(d) for d in a["y"][1:])
    memory = max(rd / mem.port("x" if L.op != "eltwise" else "a", p.word_bits), wr / mem.port("y", p.word_bits),
                 (rd + wr) / mem.board)
    cycles, bound = _finish({"stream": comp, "memory": memory}, 0, 0)
    return L.op, shape, {"compute": comp, "memory": memory, "cycles": cycles, "bytes": int(rd + wr), "bound": bound}


# ---- resources ------------------------------------------------------------------------------------------------
def bank_bram18(depth, width_bits):
    """BRAM18K blocks of one memory bank (best aspect ratio); 0 when it goes to LUTRAM."""
    if depth <= LUTRAM_MAX_DEPTH or depth * width_bits <= LUTRAM_MAX_BITS:
        return 0
    return min(_cdiv(width_bits, w) * _cdiv(depth, d) for d, w in BRAM18_SHAPES)


def _lutram_luts(depth, width_bits):
    return 0 if bank_bram18(depth, width_bits) else width_bits * _cdiv(depth, 64)


def axi_bram18(width_bits, beats):
    """The m_axi adapter's data FIFO of one bundle: num_outstanding x burst beats words (UG1399)."""
    return bank_bram18(READ_OUTSTANDING * beats, width_bits)


def mac_array_resources(p, dtype, macs_per_dsp=1):
    """The MAC array's slice buffers, accumulators and c_tile PIPO (gemm.hpp compute_tile / run)."""
    eb = _ebytes(dtype)
    L = p.word_bits // 8 // eb
    w_a, w_b = math.gcd(p.pe_m, L), math.gcd(p.pe_n, L)
    nb = (p.tile_m // p.pe_m) * (p.tile_n // p.pe_n)
    banks = [  # (count, depth, width)
        (2 * w_a * p.pe_m, _cdiv(p.tile_k, w_a) * (p.tile_m // p.pe_m), 8 * eb),   # a_ping / a_pong
        (2 * w_b * p.pe_n, _cdiv(p.tile_k, w_b) * (p.tile_n // p.pe_n), 8 * eb),   # b_ping / b_pong
        (p.macs, nb, 32),                                                          # acc, one bank per PE
        (2 * p.macs, nb, 32),                                                      # c_tile PIPO
    ]
    b18 = sum(c * bank_bram18(d, w) for c, d, w in banks)
    luts = sum(c * _lutram_luts(d, w) for c, d, w in banks)
    per_mac = DSP_PER_MAC[dtype] if dtype == "float32" else DSP_PER_MAC[dtype] / macs_per_dsp
    return {"dsps": math.ceil(p.macs * per_mac) + ENGINE_DSP_OVERHEAD[dtype], "b18": b18,
            "luts": p.macs * LUTS_PER_MAC[dtype] + LUTS_PER_CU + luts}


def _bundles_b18(spec, p):
    """m_axi adapters of a kernel: one FIFO per bundle, word-wide if any of its pointers is a word_t*."""
    if spec is None:
        return 2 * axi_bram18(p.word_bits, p.max_burst_beats)
    b18 = 0
    for _bundle, names in spec.bundles.items():
        wide = any("word_t" in spec.arg(nm).ctype for nm in names)
        b18 += axi_bram18(p.word_bits if wide else 32, p.max_burst_beats)
    return b18


def kernel_cu_resources(name, spec, p, cfg, macs_per_dsp=1):
    """Modeled DSP / BRAM36 / URAM / LUT of one CU of kernel ``name``."""
    dtype = "float32" if name.endswith("_f32") else "int8"
    eb = _ebytes(dtype)
    lanes = p.word_bits // 8 // eb
    b18, dsps, luts = _bundles_b18(spec, p), 8, LUTS_PER_CU
    v = cfg.values if cfg is not None else {}
    if name.startswith(("fpgaops_gemm_", "fpgaops_conv2d_")):
        r = mac_array_resources(p, dtype, macs_per_dsp)
        b18, dsps, luts = b18 + r["b18"], r["dsps"], r["luts"]
        if name.startswith("fpgaops_conv2d_"):
            b18 += bank_bram18(p.line_buffer_rows * p.line_buffer_w, 8 * eb)   # the line buffer
            b18 += bank_bram18(p.tile_m, 32)                                   # weight row sums
            dsps += 6 if dtype == "int8" else 4                                # requantize / epilogue
    elif name.startswith("fpgaops_winograd_"):
        # the A*A products of one MAC step (II = 1), for the largest m the top instantiates; the
        # accumulators acc[A][A][BK][BT]: A*A banks of BK*BT words
        big_a = 6 if dtype == "float32" else 4
        dsps = big_a * big_a * DSP_PER_MAC[dtype] + 2 * ENGINE_DSP_OVERHEAD[dtype]
        b18 += big_a * big_a * bank_bram18(p.wino_bk * p.wino_bt, 32)
        luts += big_a * big_a * LUTS_PER_MAC[dtype] + big_a * big_a * _lutram_luts(p.wino_bk * p.wino_bt, 32)
    elif name.startswith("fpgaops_dwconv_"):
        k = p.dw_max_kernel
        # the unrolled MAX_K x MAX_K window; line buffer: LB_ROWS slots x MAX_K cyclic banks
        dsps = k * k * DSP_PER_MAC[dtype] + ENGINE_DSP_OVERHEAD[dtype]
        b18 += p.dw_line_buffer_rows * k * bank_bram18(_cdiv(p.dw_max_w, k), 8 * eb)
        luts += k * k * LUTS_PER_MAC[dtype]
    elif "_pool_" in name:
        w = v.get("pool.max_width", 1024)
        b18 += bank_bram18(w, 8 * eb) + v.get("pool.max_open_rows", 16) * bank_bram18(w, 32)
        dsps = 12 if dtype == "float32" else 4
    elif "_act_" in name or "_eltwise_" in name:
        if dtype == "float32":  # the float table replicated per lane pair (dual port), interpolation per lane
            b18 += (lanes // 2) * bank_bram18(v.get("act_lut.max_segments", 4096) + 1, 32)
            dsps = lanes * 5 + (lanes * 3 if "_eltwise_" in name else 0)
        else:
            dsps = lanes * 2 if "_eltwise_" in name else 0
        luts += lanes * (300 if dtype == "float32" else 60)
    elif "_softmax_" in name:
        b18 += bank_bram18(v.get("softmax.max_dim", 16384), 32)
        dsps = 30
    return {"dsps": dsps, "bram36": _cdiv(b18, 2), "uram": 0, "luts": luts}


_SPECS = []


def _kernel_specs():
    """The kernel table of tops.hpp (fpgaops.kernels), parsed once; {} when it cannot be read."""
    from . import kernels as kmod

    if not _SPECS:
        try:
            _SPECS.append(kmod.load())
        except Exception:  # noqa: BLE001 - optional for the model: two word bundles per kernel then
            _SPECS.append({})
    return _SPECS[0]


def _main_kernel(plat, dtype):
    """The kernel that runs the convolutions: fpgaops_conv2d_<dt> when linked, else fpgaops_gemm_<dt>."""
    conv = f"fpgaops_conv2d_{_suffix(dtype)}"
    return conv if conv in plat.connectivity.nk else f"fpgaops_gemm_{_suffix(dtype)}"


def resources(platform="zcu104", config=None, dtype="int8", options=None, gemm=None):
    """Modeled DSP / BRAM36 / URAM / LUT use of the kernels of ``platform``'s connectivity.cfg.

    options.kernels == "linked": every kernel with an nk= line (what the xclbin holds); "dtype":
    only ``dtype``'s kernels (a dedicated xclbin). options.cus replaces the CU count of the kernel
    that runs the convolutions (fpgaops_conv2d_<dtype>, else fpgaops_gemm_<dtype>)."""
    from . import config as cfgmod

    o = options or Options()
    if o.kernels not in KERNEL_SETS:
        raise ArgumentError("kernels", f"expected one of {KERNEL_SETS}, got {o.kernels!r}")
    plat = _platform(platform)
    cfg = config if config is not None else cfgmod.current()
    p = (gemm or GemmParams.from_config(cfg)).check()
    specs = _kernel_specs()
    out, main = {}, _main_kernel(plat, dtype)
    for name, cus in plat.connectivity.nk.items():
        if o.kernels in ("dtype", "conv") and not name.endswith("_" + _suffix(dtype)):
            continue
        if o.kernels == "conv" and name.startswith("fpgaops_gemm_") and main != name:
            continue
        n = len(cus)
        if o.cus is not None and name == main:
            n = o.cus
        r = kernel_cu_resources(name, specs.get(name), p, cfg, o.macs_per_dsp)
        out[name] = {"cus": n, **{k: v * n for k, v in r.items()}}
    totals = {k: sum(r[k] for r in out.values()) for k in ("dsps", "bram36", "uram", "luts")}
    budget = {k: plat.budget[k] for k in ("dsps", "bram36", "uram", "luts")}
    return ResourceEstimate(out, totals, budget)


def check_fits(res, board, p):
    """Raise ConfigError naming the key to change when the modeled resources exceed the budget."""
    over = res.over()
    if over:
        what = ", ".join(f"{k} {res.totals[k]} > budget {res.budget[k]}" for k in over)
        key = "gemm.pe_m" if "dsps" in over else "axi.max_burst_beats"
        big = max(res.kernels, key=lambda k: res.kernels[k][over[0]])
        raise ConfigError(key, f"the configured kernels do not fit {board} (modeled: {what}; largest: {big}). "
                               f"MAC array {p.short()}. Shrink gemm.pe_m/pe_n or the tiles, shorten "
                               f"axi.max_burst_beats (m_axi buffers), link fewer kernels (estimate with "
                               f"kernels='dtype') or fewer CUs")


# ---- the network estimate -------------------------------------------------------------------------------------
def _resolve_net(net, batch):
    """(name, layers) for a Network, an optimized Graph, a zoo name, an ONNX path or a list of Layer."""
    from .graph.ir import Graph

    name = None
    if isinstance(net, (list, tuple)) and all(isinstance(x, Layer) for x in net):
        return "layers", list(net)
    if isinstance(net, (str, Path)):
        from . import models

        if str(net) in models.NAMES:
            name, net = str(net), getattr(models, str(net))()
        elif Path(net).is_file():
            from .graph import load_onnx

            name, net = Path(net).stem, load_onnx(str(net))
        else:
            raise ArgumentError("net", f"{str(net)!r} is neither a zoo model ({', '.join(models.NAMES)}) "
                                       f"nor an existing ONNX file")
    if isinstance(net, Graph):
        if not net.shapes:
            raise ArgumentError("net", "the Graph has no shapes: pass a Network or Network.optimized(...)")
        return name or net.name, layers_of(net)
    if hasattr(net, "optimized") and hasattr(net, "_default_shapes"):
        shapes = net._default_shapes(batch)
        if shapes is None:
            raise ArgumentError("net", "the model's input shapes are symbolic; pass Network.optimized(shape)")
        # the batch is the leading dimension of every input, whatever the model declares
        g = net.optimized(*[(batch,) + tuple(shapes[i][1:]) for i in net.input_names])
        return name or g.name, layers_of(g)
    raise ArgumentError("net", f"expected a Network, Graph, zoo name or ONNX path, got {type(net).__name__}")


def estimate_layers(layers, platform="zcu104", dtype="int8", gemm=None, options=None, config=None, batch=1,
                    name="network", check_budget=True):
    """The model over already-extracted layers (see layers_of). Returns a NetworkEstimate."""
    from . import config as cfgmod

    if dtype not in DTYPES:
        raise ArgumentError("dtype", f"expected one of {DTYPES}, got {dtype!r}")
    o = options or Options()
    for k in WHAT_IF_KEYS:
        v = getattr(o, k)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ArgumentError(k, f"expected an integer >= 1, got {v!r}")
    if o.macs_per_dsp > 2:
        raise ArgumentError("macs_per_dsp", f"a DSP48E2 packs at most 2 int8 MACs, got {o.macs_per_dsp}")
    algos = tuple(o.algos) if o.algos is not None else default_algos()
    bad = [a for a in algos if a not in ALGOS]
    if bad or not algos:
        raise ArgumentError("algos", f"expected a non-empty subset of {ALGOS}, got {o.algos!r}")
    if not 0 < o.bandwidth_efficiency <= 1:
        raise ArgumentError("bandwidth_efficiency", f"expected a value in (0, 1], got {o.bandwidth_efficiency}")
    plat = _platform(platform)
    cfg = config if config is not None else cfgmod.current()
    p = (gemm or GemmParams.from_config(cfg)).check()
    clock = o.clock_mhz or plat.kernel_clock_mhz
    if clock <= 0:
        raise ArgumentError("clock_mhz", f"expected a positive clock, got {clock}")
    sfx = _suffix(dtype)
    have_conv2d = f"fpgaops_conv2d_{sfx}" in plat.connectivity.nk
    main = _main_kernel(plat, dtype)
    cus = o.cus if o.cus is not None else len(plat.compute_units(main))
    if cus < 1:
        raise ArgumentError("cus", f"expected >= 1 compute units, got {cus}")
    res = resources(plat, cfg, dtype, o, p)
    if check_budget:
        check_fits(res, plat.board, p)
    cache = {}

    def mems(family):
        if family not in cache:
            cache[family] = _Mem(plat, f"fpgaops_{family}_{sfx}", clock, o.bandwidth_efficiency)
        return cache[family]

    launch = o.launch_us * 1e-6
    rows, busy = [], {}
    for L in layers:
        a = L.attrs
        if L.op == "conv":
            kern, r = _conv(p, o, mems, dtype, a, algos, have_conv2d)
            g = a["groups"]
            shape = f"{a['c']}x{a['h']}x{a['w']}->{a['k']}x{a['oh']}x{a['ow']} {a['r']}x{a['s']}/{a['stride'][0]}" + \
                (f" g{g}" if g > 1 else "")
            macs = a["n"] * a["k"] * (a["c"] // g) * a["r"] * a["s"] * a["oh"] * a["ow"]
            family = ("dwconv" if kern == "dwconv" else "winograd" if kern.startswith("winograd")
                      else "conv2d" if kern != "gemm-im2col" else "gemm")
            if kern in ("dwconv", "winograd-f2", "winograd-f4") and not _header_exists(kern.split("-")[0]):
                kern += "*"  # planned engine
        elif L.op == "gemm" and o.kernels == "conv" and have_conv2d and not a["trans_a"]:
            # no GEMM kernel in this xclbin: every row of A is an image of C = K channels, 1x1 pixels
            fc = dict(n=a["batch"] * a["m"], c=a["k"], h=1, w=1, k=a["n"], r=1, s=1, oh=1, ow=1, stride=(1, 1),
                      dilation=(1, 1), groups=1, residual=False)
            r = conv2d_layer(p, o, mems("conv2d"), dtype, fc)
            kern, family = "conv2d (fc)", "conv2d"
            shape = f"{a['m']}x{a['k']} @ {a['k']}x{a['n']}" + (f" x{a['batch']}" if a["batch"] > 1 else "")
            macs = a["batch"] * a["m"] * a["n"] * a["k"]
        elif L.op == "gemm":
            r = gemm_layer(p, o, mems("gemm"), dtype, a["batch"], a["m"], a["n"], a["k"], a["trans_a"], a["trans_b"])
            kern, family = "gemm", "gemm"
            shape = f"{a['m']}x{a['k']} @ {a['k']}x{a['n']}" + (f" x{a['batch']}" if a["batch"] > 1 else "")
            macs = a["batch"] * a["m"] * a["n"] * a["k"]
        elif L.op == "view":
            rows.append(LayerEstimate(L.name, L.op, "-", "(a view: no kernel)", 0, 0.0, 0.0, 0.0, 0, "-", 0.0))
            continue
        elif L.op == "other":
            raise UnsupportedError(f"estimate: layer {L.name!r} ({a.get('op')}) has no kernel and no model")
        else:
            family = L.op
            kern, shape, r = _stream(p, o, mems(family), dtype, L)
            macs = 0
        secs = r["cycles"] / (clock * 1e6) + launch
        busy[family] = busy.get(family, 0.0) + secs
        rows.append(LayerEstimate(L.name, L.op, kern, shape, int(macs), float(r["compute"]), float(r["memory"]),
                                  float(r["cycles"]), int(r["bytes"]), r["bound"], secs))
    latency = sum(r.seconds for r in rows)
    # throughput: with images in flight every kernel works concurrently on different images; the
    # compute kernels have `cus` CUs, the others their nk= count; all share the board's bandwidth.
    per_batch = {}
    for fam, t in busy.items():
        kname = f"fpgaops_{fam}_{sfx}"
        n = cus if kname == main else len(plat.compute_units(kname))
        per_batch[kname] = t / max(n, 1)
    total_bytes = sum(r.bytes for r in rows)
    per_batch["memory"] = total_bytes / (plat.bandwidth_gbs * 1e9 * o.bandwidth_efficiency)
    bottleneck = max(per_batch, key=per_batch.get)
    ips = batch / per_batch[bottleneck] if per_batch[bottleneck] > 0 else float("inf")
    return NetworkEstimate(name, plat.board, dtype, batch, clock, p, cus, algos, o.what_if(), rows, res,
                           sum(r.cycles for r in rows), latency, ips, bottleneck)


def estimate(net, platform="zcu104", *, dtype="int8", batch=1, config=None, gemm=None, options=None, **opts):
    """Modeled per-layer cycles, latency, images/s and resource use of ``net`` on ``platform``.

    net: a Network (fpgaops.load_onnx, fpgaops.models.*), Network.optimized(...) Graph, zoo name
    ("resnet50") or ONNX path. platform: a board under platforms/ (zcu104, u50, u250, u280) or a
    Platform. dtype: "int8" or "float32". config: a KernelConfig or TOML path (default: the current
    kernel config); gemm: GemmParams overriding its MAC-array keys. Other keywords: fields of
    Options (clock_mhz, cus, algos, kernels, bandwidth_efficiency, launch_us, store_rate,
    emit_rate, stream_rate). Raises ConfigError (naming a key) when the configured kernels exceed
    the board's DSP / BRAM / URAM budget. Every figure of the result is modeled, not measured.
    """
    from . import config as cfgmod

    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ArgumentError("batch", f"expected a positive integer, got {batch!r}")
    if isinstance(config, (str, Path)):
        config = cfgmod.load(config)
    unknown = [k for k in opts if k not in {f.name for f in dataclasses.fields(Options)}]
    if unknown:
        raise ArgumentError(unknown[0], f"unknown estimate option (known: "
                                        f"{', '.join(f.name for f in dataclasses.fields(Options))})")
    options = dataclasses.replace(options, **opts) if options is not None else Options(**opts)
    name, layers = _resolve_net(net, batch)
    return estimate_layers(layers, platform, dtype, gemm, options, config, batch, name)


# ---- search ---------------------------------------------------------------------------------------------------
def candidates(base, dtype="int8"):
    """MAC-array configs the search tries (every one passes the config rules)."""
    L8 = base.word_bits // 8
    out = []
    for beats in sorted({16, base.max_burst_beats}):
        for pe_n in (16, 32, 64):
            if L8 % pe_n:
                continue
            for pe_m in (4, 8, 16, 32):
                for tm in (64, 128, 256):
                    for tn in (64, 128):
                        for tk in (64, 128, 256):
                            if tm % pe_m or tn % pe_n or tn < base.line_buffer_rows:
                                continue
                            out.append(dataclasses.replace(base, tile_m=tm, tile_n=tn, tile_k=tk, pe_m=pe_m,
                                                           pe_n=pe_n, max_burst_beats=beats))
    return out


@dataclasses.dataclass
class SearchResult:
    target: float
    estimate: NetworkEstimate   # the cheapest config beating target, else the fastest that fits
    beats: bool
    label: str = LABEL

    def describe(self):
        e = self.estimate
        wi = (", needs " + ", ".join(f"{k}={v}" for k, v in e.what_if.items())) if e.what_if else ""
        return (f"{e.gemm.short()}, {e.cus} CU(s), {e.clock_mhz:g} MHz{wi}: {e.images_per_s:.0f} images/s modeled, "
                f"{e.resources.totals['dsps']} DSP / {e.resources.totals['bram36']} BRAM36")


WHAT_IFS = ({}, {"store_rate": 4}, {"emit_rate": 4}, {"store_rate": 4, "emit_rate": 4},
            {"store_rate": 4, "emit_rate": 4, "stream_rate": 4}, {"store_rate": 16, "emit_rate": 16, "stream_rate": 16})


def search(net, platform, target_images_per_s, *, dtype="int8", batch=1, cus=(1, 2, 3, 4), what_ifs=WHAT_IFS,
           config=None, kernels=("dtype", "conv"), **opts):
    """The cheapest MAC-array config (fewest modeled DSPs, then BRAM) that fits the board and whose
    modeled images/s beats ``target_images_per_s``. What-if kernel changes (Options.store_rate,
    emit_rate, stream_rate) are tried in the order of ``what_ifs``, starting with none: the first
    level with a winner is returned. kernels: the kernel sets tried (Options.kernels): "dtype"
    budgets a dedicated xclbin of that dtype's kernels (like the DPU's), "conv" the same without
    fpgaops_gemm (FC layers on conv2d). If nothing beats the target, the fastest fitting config is returned
    with beats=False."""
    from . import config as cfgmod

    if isinstance(config, (str, Path)):
        config = cfgmod.load(config)
    cfg = config if config is not None else cfgmod.current()
    plat = _platform(platform)
    base = GemmParams.from_config(cfg)
    name, layers = _resolve_net(net, batch)
    fastest = None
    for wi in what_ifs:
        winners = []
        for n_cu, kset in [(c, k) for c in cus for k in ((kernels,) if isinstance(kernels, str) else kernels)]:
            o = Options(cus=n_cu, kernels=kset, **wi, **opts)
            for p in candidates(base, dtype):
                if not resources(plat, cfg, dtype, o, p).fits:
                    continue
                e = estimate_layers(layers, plat, dtype, p, o, cfg, batch, name, check_budget=False)
                if fastest is None or e.images_per_s > fastest.images_per_s:
                    fastest = e
                if e.images_per_s > target_images_per_s:
                    winners.append(e)
        if winners:
            best = min(winners, key=lambda e: (e.resources.totals["dsps"], e.resources.totals["bram36"],
                                               -e.images_per_s))
            return SearchResult(target_images_per_s, best, True)
    if fastest is None:
        raise ConfigError("gemm.pe_m", f"no candidate MAC-array config fits {plat.board}")
    return SearchResult(target_images_per_s, fastest, False)


# ---- command line: fpgaops estimate MODEL ------------------------------------------------------------------------
def add_arguments(p):
    """Arguments of ``fpgaops estimate`` (registered in cli.COMMANDS)."""
    p.add_argument("model", help="a zoo network (resnet18, resnet50, mobilenet_v2, ...) or an ONNX file")
    p.add_argument("--platform", default="zcu104", help="board under platforms/ (zcu104, u50, u250, u280)")
    p.add_argument("--config", default=None, help="kernel config TOML (default: the current kernels/config)")
    p.add_argument("--batch", type=int, default=1, help="images per kernel call (default 1)")
    p.add_argument("--dtype", choices=DTYPES, default="int8")
    p.add_argument("--clock-mhz", type=float, default=None, help="kernel clock (default: the platform's)")
    p.add_argument("--cus", type=int, default=None, help="compute units of the conv / GEMM kernel (default: nk=)")
    p.add_argument("--kernels", choices=KERNEL_SETS, default="linked",
                   help="budget every linked kernel (linked), only those of --dtype (dtype: a dedicated xclbin), "
                        "or those without fpgaops_gemm, FC layers then run as 1x1 convs (conv)")
    p.add_argument("--algos", default=None,
                   help="comma-separated conv engines among im2col,winograd,dwconv (winograd / dwconv without "
                        "their headers are planned engines; default: the engines that exist)")
    p.add_argument("--compare", action="store_true",
                   help="also print AMD's published Vitis AI DPU images/s for this network and board")
    p.add_argument("--json", action="store_true", help="print the estimate as JSON")


# AMD Vitis AI DPU figures (images/s) quoted in issue 7: ZCU104 with 2 x DPUCZDX8G B4096 at 300 MHz,
# U50 with DPUCAHX8H. Published by AMD (Vitis AI model zoo performance tables); not reproduced here.
DPU_FIGURES = {
    ("zcu104", "resnet50"): 175, ("zcu104", "resnet18"): 417, ("zcu104", "mobilenet_v2"): 609,
    ("u50", "resnet50"): 574, ("u50", "resnet18"): 1404,
}


def cmd_estimate(args):
    import json

    kw = {}
    if args.clock_mhz is not None:
        kw["clock_mhz"] = args.clock_mhz
    if args.cus is not None:
        kw["cus"] = args.cus
    if args.algos:
        kw["algos"] = tuple(a.strip() for a in args.algos.split(",") if a.strip())
    e = estimate(args.model, args.platform, dtype=args.dtype, batch=args.batch, config=args.config,
                 kernels=args.kernels, **kw)
    if args.json:
        print(json.dumps(e.to_dict(), indent=1, default=str))
        return 0
    print(e)
    if args.compare:
        dpu = DPU_FIGURES.get((e.platform, Path(str(args.model)).stem))
        if dpu is None:
            print("no published DPU figure for this network and board in fpgaops.estimator.DPU_FIGURES")
        else:
            print(f"AMD Vitis AI DPU (published, measured by AMD): {dpu} images/s; "
                  f"modeled fpgaops / DPU = {e.images_per_s / dpu:.3f}")
    return 0
