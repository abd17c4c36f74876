"""Layer-level A/B for the int8 MobileNetV2 work (issue 13): MobileNetV2's int8 pointwise and
depthwise layer shapes (224x224, batch 1, ReLU6-style zero point -128 input) with this checkout's
OpenCL launchers + kernels ("after") against another checkout's ("before", --before DIR), swapped
as in ab_int8_mnv2.py, interleaved round by round in one process. Each figure is the median over
rounds of the device time of all the layer's launches (OpenCL events; the input relayout included,
weight packing excluded), and the two sides' outputs must be identical.

    PYTHONPATH=python python benchmarks/ab_int8_mnv2_layers.py --before /work/main [--rounds 9] [--only pw|dw]

or "before" as this checkout with one kernel-config key changed (--before-key KEY=VALUE, as ab_int8_mnv2.py).
"""
import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab_common import profiled_opencl  # noqa: E402
from ab_int8_mnv2 import checkout  # noqa: E402

import fpgaops as fo  # noqa: E402
from fpgaops.transfer import to_device  # noqa: E402

# (kind, C, K, H, stride, count in the network); pointwise: C -> K at H x H, depthwise: C channels
LAYERS = [("pw", 32, 16, 112, 1, 1), ("pw", 16, 96, 112, 1, 1), ("pw", 96, 24, 56, 1, 1), ("pw", 24, 144, 56, 1, 2),
          ("pw", 144, 24, 56, 1, 1), ("pw", 144, 32, 28, 1, 1), ("pw", 32, 192, 28, 1, 3), ("pw", 192, 32, 28, 1, 2),
          ("pw", 192, 64, 14, 1, 1), ("pw", 64, 384, 14, 1, 4), ("pw", 384, 64, 14, 1, 3), ("pw", 384, 96, 14, 1, 1),
          ("pw", 96, 576, 14, 1, 3), ("pw", 576, 96, 14, 1, 2), ("pw", 576, 160, 7, 1, 1), ("pw", 160, 960, 7, 1, 3),
          ("pw", 960, 160, 7, 1, 2), ("pw", 960, 320, 7, 1, 1), ("pw", 320, 1280, 7, 1, 1), ("pw", 1280, 1000, 1, 1, 1),
          ("dw", 32, 32, 112, 1, 1), ("dw", 96, 96, 112, 2, 1), ("dw", 144, 144, 56, 1, 1), ("dw", 144, 144, 56, 2, 1),
          ("dw", 192, 192, 28, 1, 2), ("dw", 192, 192, 28, 2, 1), ("dw", 384, 384, 14, 1, 4),
          ("dw", 576, 576, 14, 1, 2), ("dw", 576, 576, 14, 2, 1), ("dw", 960, 960, 7, 1, 3)]
SKIP = ("pack", "wsum")  # weight packing: cached for constant weights, not per inference


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--before", type=Path)
    p.add_argument("--before-key", help="'before' is this checkout with kernel-config KEY=VALUE (an int)")
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--only", choices=["pw", "dw"])
    args = p.parse_args(argv)
    if (args.before is None) == (args.before_key is None):
        p.error("give one of --before and --before-key")
    be, events = profiled_opencl()
    rng = np.random.default_rng(0)
    sides = {"before": args.before_key or args.before.resolve(), "after": None}
    tot = {v: 0.0 for v in sides}
    print(f"{'layer':26s} {'before us':>9s} {'after us':>9s} {'speedup':>7s}")
    for kind, c, k, h, st, cnt in LAYERS:
        if args.only and kind != args.only:
            continue
        groups, r = (c, 3) if kind == "dw" else (1, 1)
        x = to_device(rng.integers(-128, 128, (1, c, h, h), dtype=np.int8), "opencl")
        w = to_device(rng.integers(-127, 128, (k, c // groups, r, r), dtype=np.int8), "opencl")
        b = to_device(rng.integers(-2**14, 2**14, k).astype(np.int32), "opencl")
        q = dict(input_scale=0.02, input_zero_point=-128, weight_scale=rng.uniform(0.001, 0.01, k),
                 output_scale=0.1, output_zero_point=-128)
        times, outs = {v: [] for v in sides}, {}
        for rnd in range(args.rounds + 1):
            for v, d in sides.items():
                with checkout(d, be):
                    events.clear()
                    y = fo.conv2d(x, w, b, st, r // 2, 1, groups, activation="relu6", **q)
                    be.finish()
                    outs[v] = y.numpy()
                if rnd:  # round 0 builds the programs and packs the weights
                    times[v].append(sum(ev.profile.end - ev.profile.start for n, ev in events
                                        if not any(s in n for s in SKIP)) * 1e-9)
        np.testing.assert_array_equal(outs["after"], outs["before"])
        med = {v: statistics.median(t) for v, t in times.items()}
        for v in sides:
            tot[v] += cnt * med[v]
        name = f"{kind} {c}->{k} {h}x{h} s{st} (x{cnt})"
        print(f"{name:26s} {med['before'] * 1e6:9.1f} {med['after'] * 1e6:9.1f} {med['before'] / med['after']:7.2f}",
              flush=True)
    print(f"{'MobileNetV2 total':26s} {tot['before'] * 1e6:9.1f} {tot['after'] * 1e6:9.1f} "
          f"{tot['before'] / tot['after']:7.2f}")


if __name__ == "__main__":
    main()
