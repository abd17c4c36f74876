"""A/B of the OpenCL depthwise kernel dwconv_strip (issue 13) on MobileNetV2's depthwise layers
(float32 or int8, 3x3, batch 1, bias + relu): this checkout's launcher + kernels ("after") vs
another checkout's ("before", --before DIR), in one process, interleaved round by round; each
figure is the median device time (OpenCL events) and the bandwidth it implies counting the input
read once and the output written once.

    PYTHONPATH=python python benchmarks/ab_dwconv.py --before /path/to/other/checkout [--rounds 9]
"""
import argparse
import statistics

import numpy as np

import fpgaops as fo
from fpgaops.transfer import to_device

from ab_common import dwconv_variants, profiled_opencl  # noqa: E402  (benchmarks/ is the script's folder)

# MobileNetV2 (224x224) depthwise layers: (channels, input size, stride, count in the net)
LAYERS = [(32, 112, 1, 1), (96, 112, 2, 1), (144, 56, 1, 1), (144, 56, 2, 1), (192, 28, 1, 2), (192, 28, 2, 1),
          (384, 14, 1, 4), (576, 14, 1, 2), (576, 14, 2, 1), (960, 7, 1, 3)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--before", required=True, help="checkout whose dwconv launcher + kernels/ are 'before'")
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--int8", action="store_true", help="int8 (input zero point -128) instead of float32")
    args = p.parse_args(argv)
    be, events = profiled_opencl()
    cl = be.cl
    variants = ("before", "after")
    use, restore = dwconv_variants(be, args.before)

    rng = np.random.default_rng(0)
    tot = {v: 0.0 for v in variants}
    print(f"{'layer':22s} {'before us':>9s} {'GB/s':>6s} {'after us':>9s} {'GB/s':>6s} {'speedup':>7s}")
    for c, h, st, cnt in LAYERS:
        if args.int8:
            x = to_device(rng.integers(-128, 128, (1, c, h, h), dtype=np.int8), "opencl")
            w = to_device(rng.integers(-127, 128, (c, 1, 3, 3), dtype=np.int8), "opencl")
            b = to_device(rng.integers(-2**14, 2**14, c).astype(np.int32), "opencl")
            q = dict(input_scale=0.02, input_zero_point=-128, weight_scale=np.full(c, 0.01), output_scale=0.1,
                     output_zero_point=-128)
        else:
            x = to_device(rng.standard_normal((1, c, h, h), dtype=np.float32), "opencl")
            w = to_device(rng.standard_normal((c, 1, 3, 3), dtype=np.float32), "opencl")
            b = to_device(rng.standard_normal(c, dtype=np.float32), "opencl")
            q = {}
        times = {v: [] for v in variants}
        outs = {}
        for rnd in range(args.rounds + 1):
            for v in variants:
                use(v)
                events.clear()
                y = fo.conv2d(x, w, b, st, 1, 1, c, activation="relu", **q)
                be.finish()
                outs[v] = y.numpy()
                del y
                if rnd:
                    times[v].append(sum(ev.profile.end - ev.profile.start for n, ev in events
                                        if n.startswith("dwconv")) * 1e-9)
        restore()
        np.testing.assert_allclose(outs["after"], outs["before"], rtol=1e-5, atol=0 if args.int8 else 1e-5)
        oh = -(-h // st)
        nbytes = x.numpy().itemsize * c * (h * h + oh * oh)
        med = {v: statistics.median(t) for v, t in times.items()}
        for v in variants:
            tot[v] += cnt * med[v]
        name = f"{h}x{h}x{c} s{st} (x{cnt})"
        print(f"{name:22s} " + " ".join(f"{med[v] * 1e6:9.1f} {nbytes / med[v] * 1e-9:6.1f}" for v in variants)
              + f" {med['before'] / med['after']:7.2f}", flush=True)
    print(f"{'MobileNetV2 total':22s} {tot['before'] * 1e6:9.1f} {'':6s} {tot['after'] * 1e6:9.1f} {'':6s} "
          f"{tot['before'] / tot['after']:7.2f}")


if __name__ == "__main__":
    main()
