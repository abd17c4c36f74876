"""The network estimate: each layer on the engine the model picks for it (cycles.py), the
board's roofline under each layer (memory.py), the resources of the linked kernels
(resources.py), latency and images/s. ``estimate`` is ``fpgaops.estimate``."""
import dataclasses
from pathlib import Path

from ..errors import ArgumentError, UnsupportedError
from .cycles import conv2d_layer, dwconv_layer, gemm_layer, stream_layer, winograd_layer
from .layers import resolve_net
from .memory import PortBandwidth, board_config, load_platform, roofline
from .params import ALGOS, DTYPES, WHAT_IF_KEYS, GemmParams, Options, default_algos, header_exists, suffix
from .report import LayerEstimate, NetworkEstimate
from .connectivity import replicated
from .resources import check_fits, linked_kernels, resources


def choose_conv(p, o, mems, dtype, a, algos, have_conv2d):
    """The fastest modeled engine for one conv layer: (kernel name, result dict)."""
    cands = []
    depthwise = a["groups"] == a["c"] and a["groups"] > 1
    if "dwconv" in algos and depthwise and not a["residual"]:  # dwconv.hpp takes no residual
        try:
            cands.append(("dwconv", dwconv_layer(p, o, mems("dwconv"), dtype, a)))
        except UnsupportedError:  # beyond the kernel's limits: the host runs it on im2col
            pass
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




def peak_macs(kernel, p):
    """Useful MACs per cycle of the engine that runs a layer at full rate (the roofline's compute roof):
    the PE_M x PE_N array (conv2d / gemm), SIMD channels x the MAX_K x MAX_K unrolled depthwise window (dwconv.hpp),
    or the A*A Winograd products, each worth 9*m*m/(A*A) direct MACs (winograd.hpp)."""
    k = kernel.rstrip("*")
    if k == "dwconv":
        return p.dw_simd * p.dw_max_kernel ** 2
    if k.startswith("winograd-f"):
        m = int(k[len("winograd-f"):])
        return 9 * m * m
    return p.macs


def estimate_layers(layers, platform="zcu104", dtype="int8", gemm=None, options=None, config=None, batch=1,
                    name="network", check_budget=True):
    """The model over already-extracted layers (see layers_of). Returns a NetworkEstimate."""
    if dtype not in DTYPES:
        raise ArgumentError("dtype", f"expected one of {DTYPES}, got {dtype!r}")
    o = options or Options()
    for k in WHAT_IF_KEYS:
        v = getattr(o, k)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ArgumentError(k, f"expected an integer >= 1, got {v!r}")
    algos = tuple(o.algos) if o.algos is not None else default_algos()
    bad = [a for a in algos if a not in ALGOS]
    if bad or not algos:
        raise ArgumentError("algos", f"expected a non-empty subset of {ALGOS}, got {o.algos!r}")
    if not 0 < o.bandwidth_efficiency <= 1:
        raise ArgumentError("bandwidth_efficiency", f"expected a value in (0, 1], got {o.bandwidth_efficiency}")
    plat = load_platform(platform)
    board = board_config(plat)
    cfg = config if config is not None else board.config
    p = (gemm or GemmParams.from_config(cfg)).check()
    clock = o.clock_mhz or board.clock_mhz
    if clock <= 0:
        raise ArgumentError("clock_mhz", f"expected a positive clock, got {clock}")
    sfx = suffix(dtype)
    linked = linked_kernels(plat, o.kernels, dtype)
    have_conv2d = f"fpgaops_conv2d_{sfx}" in linked
    # an engine that the xclbin does not link is not a choice (its layers go to the conv kernel)
    algos = tuple(a for a in algos if a == "im2col" or f"fpgaops_{a}_{sfx}" in linked) or ("im2col",)
    if o.cus is not None and (isinstance(o.cus, bool) or not isinstance(o.cus, int) or o.cus < 1):
        raise ArgumentError("cus", f"expected >= 1 CU sets, got {o.cus!r}")
    # CUs per linked kernel: nk= (the board's connectivity.cfg), or o.cus CU sets (connectivity.py)
    n_cus = {k: (o.cus if o.cus is not None and replicated(k) else len(plat.compute_units(k))) for k in linked}
    cus = max(n_cus.values(), default=1)  # CU sets: the runner holds one per image (backends/xrt)
    res = resources(plat, cfg, dtype, o, p)
    if check_budget:
        check_fits(res, plat.board, p)
    cache = {}

    def mems(family):
        if family not in cache:
            cache[family] = PortBandwidth(plat, f"fpgaops_{family}_{sfx}", clock, o.bandwidth_efficiency)
        return cache[family]

    launch = o.launch_us * 1e-6
    # the roofline under every layer: the configured array's peak MACs per cycle and the board's
    # DDR / HBM bandwidth per cycle (at the same efficiency the engine models use)
    board_bpc = plat.bandwidth_gbs * 1e9 * o.bandwidth_efficiency / (clock * 1e6)
    rows, busy = [], {}
    for L in layers:
        a = L.attrs
        if L.op == "conv":
            kern, r = choose_conv(p, o, mems, dtype, a, algos, have_conv2d)
            g = a["groups"]
            shape = f"{a['c']}x{a['h']}x{a['w']}->{a['k']}x{a['oh']}x{a['ow']} {a['r']}x{a['s']}/{a['stride'][0]}" + \
                (f" g{g}" if g > 1 else "")
            macs = a["n"] * a["k"] * (a["c"] // g) * a["r"] * a["s"] * a["oh"] * a["ow"]
            family = ("dwconv" if kern == "dwconv" else "winograd" if kern.startswith("winograd")
                      else "conv2d" if kern != "gemm-im2col" else "gemm")
            if kern in ("dwconv", "winograd-f2", "winograd-f4") and not header_exists(kern.split("-")[0]):
                kern += "*"  # planned engine
        elif L.op == "gemm" and f"fpgaops_gemm_{sfx}" not in linked and have_conv2d and not a["trans_a"]:
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
            kern, shape, r = stream_layer(p, o, mems(family), dtype, L)
            macs = 0
        secs = r["cycles"] / (clock * 1e6) + launch
        busy[family] = busy.get(family, 0.0) + secs
        roof, roof_bound = roofline(macs, r["bytes"], peak_macs(kern, p), board_bpc)
        rows.append(LayerEstimate(L.name, L.op, kern, shape, int(macs), float(r["compute"]), float(r["memory"]),
                                  float(r["cycles"]), int(r["bytes"]), r["bound"], secs,
                                  r["bytes"] / board_bpc, roof, roof_bound, float(r["schedule"])))
    latency = sum(r.seconds for r in rows)
    # throughput, as the runner executes (backends/xrt, graph/launchplan.py): a run holds one CU set
    # for its whole batch, layer after layer, so `cus` sets finish `cus` batches per latency; bounded
    # by the board's bandwidth, which every set shares, and by any kernel with fewer CUs than sets
    # (its CUs serve every set: each batch needs its busy time on one of them).
    per_batch = {"CU sets": latency / cus}
    for fam, t in busy.items():
        kname = f"fpgaops_{fam}_{sfx}"
        n = n_cus.get(kname, len(plat.compute_units(kname)))
        if n < cus:
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
    stream_rate). Raises ConfigError (naming a key) when the configured kernels exceed
    the board's DSP / BRAM / URAM budget. Every figure of the result is modeled, not measured.
    """
    from .. import config as cfgmod

    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ArgumentError("batch", f"expected a positive integer, got {batch!r}")
    if isinstance(config, (str, Path)):
        config = cfgmod.load(config)
    unknown = [k for k in opts if k not in {f.name for f in dataclasses.fields(Options)}]
    if unknown:
        raise ArgumentError(unknown[0], f"unknown estimate option (known: "
                                        f"{', '.join(f.name for f in dataclasses.fields(Options))})")
    options = dataclasses.replace(options, **opts) if options is not None else Options(**opts)
    name, layers = resolve_net(net, batch)
    return estimate_layers(layers, platform, dtype, gemm, options, config, batch, name)


