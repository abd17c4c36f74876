"""The config search: the cheapest MAC-array config (fewest modeled DSPs, then BRAM) that fits a
board and beats a target images/s. benchmarks/bench_estimate.py and the per-board kernel configs
(platforms/<board>/kernel.toml) come from it."""
import dataclasses
from pathlib import Path

from ..errors import ConfigError
from ..platforms import FLOAT32_BLOCKED_KERNELS
from .layers import resolve_net
from .memory import load_platform
from .network import estimate_layers
from .cycles import conv2d_weight_words
from .params import LABEL, GemmParams, Options
from .report import NetworkEstimate
from .connectivity import kernel_specs
from .resources import linked_kernels, resources
from . import connectivity


def candidates(base, dtype="int8", word_bits=None, int8_only=False):
    """MAC-array configs the search tries (every one passes the config rules). word_bits: the AXI
    word widths tried (default: the base config's; a Zynq board's 128-bit PS ports make narrower
    words worth trying, their m_axi buffers are a quarter of the 512-bit ones). int8_only: the
    xclbin links no float32 top of the blocked engines (platforms.FLOAT32_BLOCKED_KERNELS), so PE
    and SIMD may exceed the float32 lanes of a word (gemm.float32 = 0: the int8 lanes bound them)."""
    out = []
    eb = 4 if dtype == "float32" else 1
    int8_build = int8_only and dtype == "int8"
    for wb in sorted(set(word_bits or (base.word_bits,))):
        for beats in sorted({16, base.max_burst_beats}):
            for simd in (4, 8, 16, 32):
                for pe in (8, 16, 32, 64):
                    # conv2d.hpp: the activations' channel block is gemm.pe channels, SIMD sub-vectors
                    # of it, a whole number of blocks per word
                    if pe % simd or (wb // 8 // eb) % pe:
                        continue
                    # the float32 tops too (gemm.float32 = 1) wherever PE and SIMD fit the float32 lanes
                    f32 = 1 if (wb // 32) % simd == 0 and (wb // 32) % pe == 0 else 0
                    if not f32 and not int8_build:
                        continue
                    for tm in (64, 128, 256):
                        for tn in (64, 128):
                            # the line buffer: the config's, or one sized to the tile (rows of a
                            # stride-2 7x7 filter over TILE_N columns; TILE_N pixels of 7-wide maps)
                            for lbw, lbr in sorted({(base.line_buffer_w, base.line_buffer_rows),
                                                    (2 * tn + 8, -(-tn // 7))}):
                                for tk in (64, 128, 256):
                                    if tm % pe or tk % simd or tn < lbr:
                                        continue
                                    # the epilogue lanes: 16 (a 128-bit port's int8 outputs per
                                    # cycle) or 32, at most PE
                                    for sl in sorted({min(pe, 16), min(pe, 32)}):
                                        out.append(dataclasses.replace(
                                            base, tile_m=tm, tile_n=tn, tile_k=tk, pe=pe, simd=simd,
                                            max_burst_beats=beats, word_bits=wb, line_buffer_w=lbw,
                                            line_buffer_rows=lbr, float32=base.float32 if f32 else 0,
                                            store_lanes=sl))
    return out


def overlay(p, base):
    """The kernel-config keys (kernels/config/fpgaops.toml) in which GemmParams ``p`` differs from ``base``."""
    keys = {"tile_m": "gemm.tile_m", "tile_n": "gemm.tile_n", "tile_k": "gemm.tile_k", "pe": "gemm.pe",
            "simd": "gemm.simd", "pack_int8": "gemm.pack_int8", "word_bits": "axi.word_bits",
            "max_burst_beats": "axi.max_burst_beats", "line_buffer_w": "conv2d.line_buffer_w", "float32": "gemm.float32",
            "line_buffer_rows": "conv2d.line_buffer_rows", "weight_buffer_words": "conv2d.weight_buffer_words",
            "store_lanes": "conv2d.store_lanes"}
    return {key: getattr(p, f) for f, key in keys.items() if getattr(p, f) != getattr(base, f)}


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


def size_weight_buffer(p, layers, plat, cfg, dtype, o):
    """conv2d.weight_buffer_words for config ``p``: the smallest power of two holding the largest
    weight tile of the network's conv layers, halved while the board's URAM budget refuses it (a
    smaller buffer leaves the largest layers re-reading their weights, see conv2d_layer)."""
    need = max([conv2d_weight_words(p, dtype, L.attrs) for L in layers if L.op == "conv"] or [1])
    words = 1 << max(0, need - 1).bit_length()
    while words > 1:
        q = dataclasses.replace(p, weight_buffer_words=words)
        if resources(plat, cfg, dtype, o, q).totals["uram"] <= plat.budget["uram"]:
            return q
        words //= 2
    return dataclasses.replace(p, weight_buffer_words=1)


WHAT_IFS = ({}, {"store_rate": 4}, {"store_rate": 4, "stream_rate": 4}, {"store_rate": 16, "stream_rate": 16})


def search(net, platform, target_images_per_s, *, dtype="int8", batch=1, cus=(1, 2, 3, 4), what_ifs=WHAT_IFS,
           config=None, kernels=("dtype", "conv"), word_bits=None, **opts):
    """The cheapest MAC-array config and number of CU sets ``cus`` (fewest modeled DSPs, then BRAM)
    that fits the board and whose modeled images/s beats ``target_images_per_s``. What-if kernel changes (Options.store_rate,
    stream_rate) are tried in the order of ``what_ifs``, starting with none: the first
    level with a winner is returned. kernels: the kernel sets tried (Options.kernels): "dtype"
    budgets a dedicated xclbin of that dtype's kernels (like the DPU's), "conv" the same without
    fpgaops_gemm (FC layers on conv2d). word_bits: AXI word widths tried (candidates()). config:
    default the base kernel config (kernels/config/fpgaops.toml, not the board's overlay: the search
    is what chooses the overlay). If nothing beats the target, the fastest fitting config is
    returned with beats=False."""
    from .. import config as cfgmod

    if isinstance(config, (str, Path)):
        config = cfgmod.load(config)
    cfg = config if config is not None else cfgmod.current()
    plat = load_platform(platform)
    base = GemmParams.from_config(cfg)
    name, layers = resolve_net(net, batch)
    fastest = None
    specs = kernel_specs()
    for wi in what_ifs:
        winners = []
        for n_cu, kset in [(c, k) for c in cus for k in ((kernels,) if isinstance(kernels, str) else kernels)]:
            o = Options(kernels=kset, **wi, **opts)
            # the board laid out for n_cu CU sets (connectivity.py), as --write-configs writes it
            linked = linked_kernels(plat, kset, dtype)
            q = connectivity.with_sets(plat, specs, linked, n_cu)
            int8_only = not any(k in FLOAT32_BLOCKED_KERNELS for k in linked)
            for p in candidates(base, dtype, word_bits, int8_only):
                p = size_weight_buffer(p, layers, q, cfg, dtype, o)
                if not resources(q, cfg, dtype, o, p).fits:
                    continue
                e = estimate_layers(layers, q, dtype, p, o, cfg, batch, name, check_budget=False)
                if fastest is None or e.images_per_s > fastest.images_per_s:
                    fastest = e
                if e.images_per_s > target_images_per_s:
                    winners.append(e)
        if winners:
            best = min(winners, key=lambda e: (e.resources.totals["dsps"], e.resources.totals["bram36"],
                                               -e.images_per_s))
            return SearchResult(target_images_per_s, best, True)
    if fastest is None:
        raise ConfigError("gemm.pe", f"no candidate MAC-array config fits {plat.board}")
    return SearchResult(target_images_per_s, fastest, False)


