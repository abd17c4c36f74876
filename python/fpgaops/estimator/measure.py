"""Measured vs analytic cycles: each layer runs through the C-simulation tops (fpgaops._csim) on
small random int8 data with the cycle counters on, and the counters' cycles (the sum over the
kernel's DATAFLOW region invocations of the slowest process, fpgaops._csim.cycles_regions()) are
set beside the analytic model's ``schedule`` for the same layer on the same engine: the slowest
process with ideal memory (cycles.py ``_finish``), which is what the counters count.

The csim module is built with the installed kernel config (fpgaops.config.current()), so the
analytic side uses that config, not a board's overlay. Memory bandwidth and latency are not part
of either figure: the counters count loop iterations x II + pipeline depths, nothing waits on DRAM
in C-simulation. Both figures are *modeled* hardware cycles; neither ran on an FPGA.
"""
import dataclasses

import numpy as np

from ..errors import UnsupportedError
from .layers import Layer
from .memory import load_platform
from .params import LABEL, GemmParams, Options, suffix

# int8 quantization of the random layers (any valid values: the counters do not depend on the data)
_Q = dict(input_scale=0.05, input_zero_point=1, weight_scale=0.01, output_scale=0.1)
ALGO_OF_KERNEL = {"conv2d": "im2col", "winograd-f2": "winograd", "winograd-f4": "winograd", "dwconv": "dwconv"}


@dataclasses.dataclass
class Measured:
    name: str
    kernel: str          # the engine the model chose (conv2d / winograd-f2 / dwconv / gemm)
    shape: str
    analytic: float      # the model's schedule cycles (ideal memory)
    measured: float      # the csim counters' cycles
    processes: dict      # process -> measured cycles (summed over invocations)
    label: str = LABEL

    @property
    def ratio(self):
        return self.analytic / self.measured if self.measured else float("nan")


def _csim():
    try:
        from .. import _csim as mod  # noqa: PLC0415 (optional native module)
    except ImportError as e:
        raise UnsupportedError(f"estimate --measure needs the C-simulation module fpgaops._csim ({e}); build it "
                               f"with scripts/dev-build.sh or pip install .") from None
    if not hasattr(mod, "cycles_regions"):
        raise UnsupportedError("fpgaops._csim has no cycle counters (cycles_regions): rebuild it from this tree")
    return mod


def run_layer(layer, kernel, rng):
    """Run one conv / gemm / regular-window pool layer on the csim device (int8) and return the counters
    of its kernel."""
    import fpgaops as fo

    csim, a = _csim(), layer.attrs
    csim.cycles_reset()
    with fo.device("csim"):
        if layer.op == "conv":
            g = a["groups"]
            x = rng.integers(-128, 128, (a["n"], a["c"], a["h"], a["w"])).astype(np.int8)
            w = rng.integers(-128, 128, (a["k"], a["c"] // g, a["r"], a["s"])).astype(np.int8)
            # the symmetric padding that gives the layer's output size (the rows / columns the windows span)
            pad_h = max(0, -(-((a["oh"] - 1) * a["stride"][0] + (a["r"] - 1) * a["dilation"][0] + 1 - a["h"]) // 2))
            pad_w = max(0, -(-((a["ow"] - 1) * a["stride"][1] + (a["s"] - 1) * a["dilation"][1] + 1 - a["w"]) // 2))
            fo.conv2d(x, w, stride=a["stride"], padding=(pad_h, pad_w), dilation=a["dilation"], groups=g,
                      algo=ALGO_OF_KERNEL[kernel], **_Q)
        elif layer.op == "gemm" and not a["trans_a"] and not a["trans_b"] and a["batch"] == 1:
            x = rng.integers(-128, 128, (a["m"], a["k"])).astype(np.int8)
            w = rng.integers(-128, 128, (a["k"], a["n"])).astype(np.int8)
            fo.matmul(x, w)
        elif layer.op == "pool" and a.get("kernel") is not None:  # max and average count the same cycles
            x = rng.integers(-128, 128, a["x"]).astype(np.int8)
            fo.max_pool2d(x, a["kernel"], a["stride"], a["padding"], a.get("dilation", (1, 1)))
        else:
            raise UnsupportedError(f"measure: layer {layer.name} ({layer.op}) is not a conv, plain GEMM or "
                                   f"regular-window pool")
    fam = {"conv2d": "conv2d", "winograd-f2": "winograd", "winograd-f4": "winograd", "dwconv": "dwconv",
           "gemm": "gemm", "pool": "pool"}[kernel]
    name = f"fpgaops_{fam}_{suffix('int8')}"
    regions = [r for r in csim.cycles_regions() if r["kernel"] == name]
    if not regions:
        raise UnsupportedError(f"measure: {name} reported no cycle counts for layer {layer.name}")
    procs = {}
    for r in csim.cycles():
        if r["kernel"] == name:
            procs[f"{r['region']}/{r['process']}"] = procs.get(f"{r['region']}/{r['process']}", 0) + r["cycles"]
    return sum(r["cycles"] for r in regions), procs


def measure(layers, platform="u50", *, config=None, seed=0, options=None):
    """Measured (csim counters) and analytic (model schedule) cycles of the conv / GEMM / regular-window
    pool layers of ``layers`` (Layer records, e.g. fpgaops.estimator.layers_of(graph)), each on the engine the model
    picks for it. Returns a list of Measured. config: default the csim build's (config.current())."""
    from .. import config as cfgmod
    from .network import estimate_layers

    cfg = config if config is not None else cfgmod.current()
    plat = load_platform(platform)
    todo = [L for L in layers if L.op == "conv" or (L.op == "gemm" and not L.attrs["trans_a"]
                                                     and not L.attrs["trans_b"] and L.attrs["batch"] == 1)
            or (L.op == "pool" and L.attrs.get("kernel") is not None)]
    o = dataclasses.replace(options or Options(), kernels="linked")
    est = estimate_layers(todo, plat, "int8", GemmParams.from_config(cfg), o, cfg, check_budget=False)
    rng = np.random.default_rng(seed)
    out = []
    for L, row in zip(todo, est.layers):
        kernel = row.kernel.rstrip("*")
        if kernel not in ALGO_OF_KERNEL and kernel not in ("gemm", "pool"):
            continue
        measured, procs = run_layer(L, kernel, rng)
        out.append(Measured(L.name, kernel, row.shape, row.schedule_cycles, measured, procs))
    return out


def table(rows):
    hdr = f"{'layer':26s} {'engine':12s} {'shape':30s} {'analytic kcyc':>13s} {'csim kcyc':>10s} {'ratio':>6s}"
    lines = [f"measured (C-simulation cycle counters) vs analytic cycles -- both modeled, ideal memory", hdr,
             "-" * len(hdr)]
    for r in rows:
        lines.append(f"{r.name[:26]:26s} {r.kernel[:12]:12s} {r.shape[:30]:30s} {r.analytic / 1e3:13.1f} "
                     f"{r.measured / 1e3:10.1f} {r.ratio:6.3f}")
    return "\n".join(lines)


def conv_layer(name, c, h, k, r, stride=1, groups=1, n=1, w=None):
    """A conv Layer record of the given shape ('same' padding), for tests and scaled-down layer sets."""
    w = w or h
    pad = r // 2
    oh, ow = (h + 2 * pad - r) // stride + 1, (w + 2 * pad - r) // stride + 1
    return Layer(name, "conv", dict(n=n, c=c, h=h, w=w, k=k, r=r, s=r, oh=oh, ow=ow, stride=(stride, stride),
                                    dilation=(1, 1), groups=groups, residual=False))
