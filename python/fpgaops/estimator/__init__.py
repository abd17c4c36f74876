"""Performance and resource estimator: modeled cycles, latency, images/s and DSP/BRAM/URAM use.

    import fpgaops
    est = fpgaops.estimate("resnet50", platform="u50", dtype="int8")   # or a Network / ONNX path
    print(est)                       # per-layer table (with the roofline) + totals, all "modeled"
    est.images_per_s, est.latency_s, est.resources.totals
    fpgaops.estimator.search("resnet50", "u50", 574)   # cheapest config beating 574 images/s

Every number this package produces is a *model* of what the HLS kernels in
``kernels/hls/include/fpgaops`` would do on the board: nothing here ran on an FPGA. Each result
carries ``label == "modeled"``. The model, its sources and its limits: docs/estimator.md.

Modules (one concern each, so a reviewer can check one rule against the code it models):

    params     model constants, GemmParams (the config's MAC-array keys), Options (what-if knobs)
    cycles     one function per HLS engine (gemm / conv2d / winograd / dwconv / streaming kernels)
    memory     port and board bandwidth; the per-layer roofline
    resources  DSP / BRAM / URAM / LUT per kernel CU, budget check
    layers     a network as Layer records (from the runner's fused graph)
    network    estimate(): layers on engines, totals, images/s
    report     the result records and their printed form
    search     the cheapest config that fits a board and beats a target

The command line (``fpgaops estimate``) lives in fpgaops.cli_estimate.
"""
from .cycles import (conv2d_geometry, conv2d_layer, dwconv_fit, dwconv_layer, dwconv_schedule, gemm_bytes,
                     gemm_engine, gemm_layer, mac_tile, stream_layer, winograd_layer)
from .layers import Layer, layers_of, resolve_net
from .memory import PortBandwidth, roofline
from .network import choose_conv, estimate, estimate_layers, peak_macs
from .params import (ACC_LATENCY, ALGOS, BRAM18_SHAPES, DSP_PER_MAC, DTYPES, ENGINE_DSP_OVERHEAD, KERNEL_SETS, LABEL,
                     LOAD_DEPTH, STORE_DEPTH,
                     LUTRAM_MAX_BITS, LUTRAM_MAX_DEPTH, LUTS_PER_CU, LUTS_PER_MAC, MEM_LATENCY_CYCLES, PIPE_DEPTH,
                     READ_OUTSTANDING, ROW_OVERHEAD, WHAT_IF_KEYS, WINO_TILE_OVERHEAD, ZYNQ_PORT_BITS, GemmParams,
                     Options, default_algos)
from .report import LayerEstimate, NetworkEstimate, ResourceEstimate
from .resources import (axi_bram18, bank_bram18, check_fits, kernel_cu_resources, mac_array_resources, main_kernel,
                        resources)
from .search import WHAT_IFS, SearchResult, candidates, overlay, search
from .measure import Measured, conv_layer, measure

# AMD Vitis AI DPU figures (images/s) quoted in issues 7 and 12: ZCU104 with 2 x DPUCZDX8G B4096 at
# 300 MHz, U50 with DPUCAHX8H. Published by AMD (Vitis AI model zoo performance tables); not reproduced here.
DPU_FIGURES = {
    ("zcu104", "resnet50"): 175, ("zcu104", "resnet18"): 417, ("zcu104", "mobilenet_v2"): 609,
    ("u50", "resnet50"): 574, ("u50", "resnet18"): 1404,
}

__all__ = [
    "estimate", "estimate_layers", "search", "resources", "layers_of", "Layer", "GemmParams", "Options",
    "LayerEstimate", "NetworkEstimate", "ResourceEstimate", "SearchResult", "DPU_FIGURES", "LABEL",
]
