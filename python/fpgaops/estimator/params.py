"""The estimator's inputs: fixed model constants, the MAC array's tunables (GemmParams, read from the
kernel config) and the model knobs that are not config keys (Options).

Each constant is discussed in docs/estimator.md; the resource rules that use them cite AMD's
documentation there.
"""
import dataclasses

from ..errors import ConfigError

LABEL = "modeled"
DTYPES = ("float32", "int8")
ALGOS = ("im2col", "winograd", "dwconv")
KERNEL_SETS = ("board", "linked", "dtype", "conv")

# ---- fixed model constants (each one is discussed in docs/estimator.md) ---------------------------------------
DSP_PER_MAC = {"float32": 5, "int8": 1}       # fmul 3 + fadd 2 (full-DSP cores); int8 mul + add in one DSP48E2
ACC_LATENCY = {"float32": 8, "int8": 3}       # accumulator read -> add -> write-back, cycles
ACC_RMW = 8                                   # gemm.hpp ACC_RMW: the MAC loop's shortest accumulator distance
PIPE_DEPTH = {"float32": 14, "int8": 6}       # pipeline depth of one SLICE_STEP loop, paid per call
ROW_OVERHEAD = 2                              # cycles between consecutive short pipelined loops (flush + start)
LOAD_DEPTH = 3                                # pipeline depth of the load processes' loops (gemm.hpp LOAD_DEPTH)
STORE_DEPTH = 4                               # pipeline depth of the GEMM / conv store loops (gemm.hpp STORE_DEPTH)
WINO_TILE_OVERHEAD = 8                        # winograd.hpp: input transform + MAC-loop start per tile
MEM_LATENCY_CYCLES = 150                      # first-beat DRAM / HBM latency, paid once per layer
ENGINE_DSP_OVERHEAD = {"float32": 20, "int8": 12}   # index multiplies and scalar arithmetic of a GEMM/conv CU
FADD_DSPS = 2                                 # a float32 add on full-DSP cores (UG1399 BIND_OP impl=fulldsp)
LUTS_PER_MAC = {"float32": 400, "int8": 40}
LUTS_PER_CU = 6000
LUTRAM_MAX_DEPTH = 64                         # shallower banks (or <= 1 Kbit) are LUTRAM, not BRAM
LUTRAM_MAX_BITS = 1024
READ_OUTSTANDING = 16                         # Vitis HLS m_axi default num_read_outstanding / num_write_outstanding
ZYNQ_PORT_BITS = 128                          # Zynq PS HP / HPC ports are 128-bit AXI
BRAM18_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))
URAM_SHAPE = (4096, 72)                       # UltraRAM288K: one fixed 4K x 72 aspect ratio (UG573)
WHAT_IF_KEYS = ("store_rate", "stream_rate")


def cdiv(a, b):
    return -(-a // b)


def mul_dsps(a_bits, b_bits):
    """DSP48E2 of one signed a x b-bit multiply, the operand widths as the kernel source declares
    them: UG579's 27 x 18 signed multiplier tiled, each operand cut in a signed top piece and
    unsigned lower pieces (26 / 17 bits), the better orientation (32 x 32: 2 x 2 = 4)."""
    def pieces(bits, port):
        return 1 if bits <= port else 1 + cdiv(bits - port, port - 1)
    return min(pieces(a_bits, 27) * pieces(b_bits, 18), pieces(a_bits, 18) * pieces(b_bits, 27))


def fabric_mul_luts(a_bits, b_bits):
    """LUTs of one signed a x b-bit multiply bound to fabric (UG1399 BIND_OP op=mul impl=fabric): an
    array multiplier of ceil(b / 2) carry-chain adder rows, (a + 2) bits each, a LUT6 per bit
    forming two partial-product bits into the CARRY8 (UG574, CLB: LUT6 + CARRY8). 9 x 8 bits: 44."""
    return cdiv(b_bits, 2) * (a_bits + 2)


def divider_luts(steps, bits):
    """LUTs of a restoring divider of ``steps`` quotient bits on ``bits``-bit operands, pipelined:
    per step one compare-subtract row, a LUT6 per bit on the CARRY8 (the previous step's select
    folded into it, UG574). A 32-bit ``/`` and ``%`` is 32 steps of 32 bits."""
    return steps * bits


def conv_epilogue_dsps(dtype):
    """DSP48E2 of one conv2d.hpp epilogue lane (ConvI8 / ConvF32::epilogue): int8, requantize(acc +
    bias, mult), int32 x int32, and the residual's ap_int<9> difference x res_mult (int32); float32,
    two adds (bias, residual)."""
    return mul_dsps(32, 32) + mul_dsps(9, 32) if dtype == "int8" else 2 * FADD_DSPS


def ebytes(dtype):
    return 4 if dtype == "float32" else 1


def suffix(dtype):
    return "f32" if dtype == "float32" else "i8"


@dataclasses.dataclass(frozen=True)
class GemmParams:
    """The MAC array's tunables (kernels/config [gemm], axi.*, conv2d.line_buffer_*) and dwconv's buffers.

    The array of gemm.hpp: PE output channels x SIMD reduction lanes per cycle (``pe``, ``simd``),
    two int8 MACs per DSP48E2 when ``pack_int8`` (WP486)."""

    tile_m: int = 64
    tile_n: int = 64
    tile_k: int = 64
    pe: int = 16
    simd: int = 16
    word_bits: int = 512
    max_burst_beats: int = 64
    line_buffer_w: int = 256
    line_buffer_rows: int = 32
    dw_max_w: int = 1024
    dw_max_kernel: int = 3
    dw_line_buffer_rows: int = 5
    wino_bk: int = 16
    wino_bt: int = 8
    pack_int8: int = 1
    dw_simd: int = 16
    dw_max_channels: int = 1024
    dw_max_row: int = 24576
    dw_lb_uram: int = 1
    weight_buffer_words: int = 2048   # conv2d.weight_buffer_words: the resident weight tile (bus words)
    fold_taps_max_channels: int = 4   # conv2d.fold_taps_max_channels: input images whose taps the host folds
    float32: int = 1                  # gemm.float32: the MAC array's float32 tops are built (0: int8 only)
    store_lanes: int = 16             # conv2d.store_lanes: epilogue channels per cycle (at most pe)
    dw_taps_fabric: int = 0           # dwconv.taps_in_fabric: the int8 taps' multipliers in LUTs

    @classmethod
    def from_config(cls, cfg):
        g, v = cfg.gemm, cfg.values
        return cls(g.tile_m, g.tile_n, g.tile_k, g.pe, g.simd, cfg.axi.word_bits, cfg.axi.max_burst_beats,
                   v.get("conv2d.line_buffer_w", 256), v.get("conv2d.line_buffer_rows", 32),
                   v.get("dwconv.max_w", 1024), v.get("dwconv.max_kernel", 3), v.get("dwconv.line_buffer_rows", 5),
                   v.get("winograd.tile_k", 16), v.get("winograd.tile_w", 8), v.get("gemm.pack_int8", 0),
                   v.get("dwconv.simd", 16), v.get("dwconv.max_channels", 1024), v.get("dwconv.max_row", 24576),
                   v.get("dwconv.line_buffer_uram", 1), v.get("conv2d.weight_buffer_words", 2048),
                   v.get("conv2d.fold_taps_max_channels", 4), v.get("gemm.float32", 1),
                   v.get("conv2d.store_lanes", 16), v.get("dwconv.taps_in_fabric", 0))

    def check(self):
        """The rules of config.py and the static_asserts of gemm.hpp / conv2d.hpp, naming the key."""
        for key in ("tile_m", "tile_n", "tile_k", "pe", "simd"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 1024:
                raise ConfigError(f"gemm.{key}", f"expected an integer in [1, 1024], got {v!r}")
        if self.tile_m % self.pe:
            raise ConfigError("gemm.tile_m", f"must be a multiple of gemm.pe ({self.pe}), got {self.tile_m}")
        if self.tile_k % self.simd:
            raise ConfigError("gemm.tile_k", f"must be a multiple of gemm.simd ({self.simd}), got {self.tile_k}")
        # the config's own rules (config.py imports nothing of ours)
        from ..config import check_blocked_lanes, check_store_lanes

        keys = {"gemm.float32": self.float32, "axi.word_bits": self.word_bits, "gemm.simd": self.simd,
                "gemm.pe": self.pe, "conv2d.store_lanes": self.store_lanes}
        check_blocked_lanes(keys)
        check_store_lanes(keys)
        if self.pack_int8 not in (0, 1):
            raise ConfigError("gemm.pack_int8", f"expected 0 or 1, got {self.pack_int8!r}")
        if self.pack_int8 and self.pe % 2:
            raise ConfigError("gemm.pe", f"must be even when gemm.pack_int8 = 1, got {self.pe}")
        return self

    @property
    def epilogue_lanes(self):
        """conv2d.hpp SL: the epilogue's channels per cycle, min(conv2d.store_lanes, gemm.pe)."""
        return min(self.store_lanes, self.pe)

    @property
    def macs(self):
        return self.pe * self.simd

    def short(self):
        pack = ", 2 int8 MACs/DSP" if self.pack_int8 else ""
        return (f"tile {self.tile_m}x{self.tile_n}x{self.tile_k}, PE {self.pe} x SIMD {self.simd} = {self.macs} MACs"
                f"{pack}, {self.epilogue_lanes} epilogue lanes, {self.word_bits}-bit words, {self.max_burst_beats}-beat bursts")


@dataclasses.dataclass(frozen=True)
class Options:
    """Model knobs that are not kernel-config keys.

    ``store_rate`` and ``stream_rate`` are what-if knobs: 1 is what the HLS source does today
    (GEMM / conv store: one element per cycle; the pool's planar path: one column per cycle). A value v > 1 models
    that loop widened to v elements per cycle, a kernel change that does not exist yet. (The conv
    window generator's former ``emit_rate`` knob is gone: conv2d.hpp emits gemm.pe channels per
    cycle, which the model follows.)
    """

    clock_mhz: float = None            # default: the board config's clock (kernel.toml), else the platform's
    cus: int = None                    # CU sets (connectivity.py: N CUs of each replicated kernel, each set
                                       # running whole images); default: the nk= counts of the board's file
    algos: tuple = None                # conv engines to choose from; default: those whose headers exist
    kernels: str = "board"             # "board": the kernels of platforms/<board>/kernel.toml [build];
                                       # "linked": every nk= kernel; "dtype": that dtype's only; "conv":
                                       # that dtype's without fpgaops_gemm (FC layers as 1x1 convs on conv2d)
    bandwidth_efficiency: float = 0.8  # achievable fraction of the theoretical DRAM / HBM bandwidth
    launch_us: float = 5.0             # host -> kernel start overhead per kernel call
    store_rate: int = 1                # what-if: store elements per cycle (HLS today: 1)
    stream_rate: int = 1               # what-if: pool columns per cycle (HLS today: 1)

    def what_if(self):
        return {k: getattr(self, k) for k in WHAT_IF_KEYS if getattr(self, k) != 1}


def header_exists(stem):
    from .. import config as cfgmod

    try:
        root = cfgmod.kernel_source_dir()
    except ConfigError:
        return False
    return (root / "kernels" / "hls" / "include" / "fpgaops" / f"{stem}.hpp").is_file() or \
        (root / "hls" / "include" / "fpgaops" / f"{stem}.hpp").is_file()


def default_algos():
    """im2col always; winograd / dwconv once kernels/hls/include/fpgaops/{winograd,dwconv}.hpp exist."""
    return ("im2col",) + tuple(a for a in ("winograd", "dwconv") if header_exists(a))
