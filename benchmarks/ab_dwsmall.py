"""A/B of the OpenCL float32 depthwise kernels inside whole networks (issue 13, small images): this
checkout's launcher + kernels ("after") vs another checkout's ("before", --before DIR), in one
process. Per network, one launch plan is recorded with each variant's dwconv launcher and kernels
(the rest of the network is this checkout's); then, round by round in alternating order, each
plan's LaunchPlan.timeline (device time of every launch) and the wall of ``net(x)``.

Printed per network: each depthwise layer shape (channels, input size, filter, stride; x count in
the net) with its median device time before / after, the network's depthwise total, all kernels'
total, and the median wall of net(x). Outputs of the two variants are compared first.

    PYTHONPATH=python python benchmarks/ab_dwsmall.py --before DIR [--nets mobilenet_v3_small,...]
        [--rounds 9]
"""
import argparse
import collections
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import fpgaops as fo
from fpgaops.backends.opencl import dwconv

from ab_common import dwconv_variants  # noqa: E402  (benchmarks/ is the script's folder)

ROOT = Path(__file__).resolve().parents[1]
NETS = "mobilenet_v3_small,mobilenet_v3_large,mobilenet_v2,efficientnet_b0,shufflenet_v2_x1_0"


def build(name):
    """The network as an fpgaops runner: the zoo's ONNX or a torchvision export."""
    if name in fo.models.NAMES:
        return lambda: fo.load_onnx(fo.models.build_onnx(name))
    import onnx

    sys.path.insert(0, str(ROOT / "tests" / "nets"))
    import tv_models

    with tempfile.TemporaryDirectory() as d:
        tv_models.export(name, f"{d}/m.onnx", 17, (1, 3, 224, 224))
        proto = onnx.load(f"{d}/m.onnx")
    return lambda: fo.load_onnx(proto)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--before", required=True, help="checkout whose dwconv launcher + kernels/ are 'before'")
    p.add_argument("--nets", default=NETS)
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--by-kernel", action="store_true", help="also each kernel name's total device time")
    args = p.parse_args(argv)
    be = fo.get_device("opencl")
    variants = ("before", "after")
    use, restore = dwconv_variants(be, args.before)

    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    for name in args.nets.split(","):
        make = build(name)
        nets, plans, outs, shapes = {}, {}, {}, []
        real_run = dwconv.run

        def spy(backend, call):  # the depthwise layers, in launch order
            shapes.append((call.c, call.h, call.r, call.stride_h))
            return real_run(backend, call)

        for v in variants:
            use(v)
            net = nets[v] = make()
            for i in range(3):
                dwconv.run = spy if (v, i) == ("after", 0) else real_run
                outs[v] = net(x, device="opencl")
            dwconv.run = real_run
            plans[v] = net.launch_plan(x, device="opencl")
        restore()
        err = float(np.max(np.abs(outs["after"] - outs["before"])))
        print(f"{name}: {len(shapes)} depthwise layers; max |after - before| {err:.2e}", flush=True)
        dw = {v: [] for v in variants}     # per round: the dwconv launches' durations
        kern = {v: [] for v in variants}   # per round: all kernels
        names = {v: [] for v in variants}  # per round: {kernel name: device time}
        wall = {v: [] for v in variants}
        for r in range(args.rounds):
            for v in list(variants)[::1 if r % 2 else -1]:
                t = plans[v].timeline([x])
                d = [ln.end - ln.start for ln in t.launches if ln.name.startswith("dwconv")]
                assert len(d) == len(shapes), (len(d), len(shapes))
                dw[v].append(d)
                kern[v].append(sum(ln.end - ln.start for ln in t.launches))
                by = collections.Counter()
                for ln in t.launches:
                    by[ln.name] += ln.end - ln.start
                names[v].append(by)
                time.sleep(0.01)
                t0 = time.perf_counter()
                nets[v](x, device="opencl")
                wall[v].append(time.perf_counter() - t0)
        layer = {v: collections.defaultdict(float) for v in variants}
        count = collections.Counter(shapes)
        for v in variants:
            for i, s in enumerate(shapes):
                layer[v][s] += statistics.median(rnd[i] for rnd in dw[v])
        print(f"  {'layer (c, hw, r, stride)':28s} {'before us':>9s} {'after us':>9s} {'speedup':>7s}")
        for s in sorted(count, key=lambda s: (-s[1], s[0])):
            b, a = layer["before"][s], layer["after"][s]
            print(f"  {str(s) + f' x{count[s]}':28s} {b * 1e6:9.1f} {a * 1e6:9.1f} {b / a:7.2f}")
        if args.by_kernel:
            for k in sorted(set(names["before"][0]) | set(names["after"][0])):
                b, a = (statistics.median(r[k] for r in names[v]) * 1e6 for v in ("before", "after"))
                print(f"  {k:28s} {b:9.1f} {a:9.1f}" + (f" {b / a:7.2f}" if a else ""))
        med = lambda d, v, f=lambda z: z: statistics.median(f(z) for z in d[v]) * 1e3
        for label, d, f in (("depthwise total", dw, sum), ("all kernels", kern, lambda z: z),
                            ("net(x) wall", wall, lambda z: z)):
            b, a = med(d, "before", f), med(d, "after", f)
            print(f"  {label:28s} {b:9.3f} {a:9.3f} {b / a:7.2f}  (ms, medians of {args.rounds})", flush=True)


if __name__ == "__main__":
    main()
