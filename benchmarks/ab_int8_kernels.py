"""A/B of two versions of the OpenCL kernel sources under the same launchers (issue 13, int8 epilogue):
each layer of ab_int8_layers.LAYERS runs int8 (the shipped VNNI setting) with kernels/ of this checkout
("after") and of another checkout ("before", --before DIR, whose kernel signatures must match), in one
process, interleaved round by round; each figure is the median device time (OpenCL events, weight
packing excluded). Also float32 as the yardstick.

    PYTHONPATH=python python benchmarks/ab_int8_kernels.py --before /path/to/other/checkout [--rounds 7]
"""
import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab_int8_layers import LAYERS, SKIP  # noqa: E402
from ab_common import profiled_opencl  # noqa: E402

import fpgaops as fo  # noqa: E402
from fpgaops import config  # noqa: E402
from fpgaops.backends.opencl import conv_common  # noqa: E402
from fpgaops.transfer import to_device  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--before", default=None, help="checkout whose kernels/ is the 'before' variant")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--only", default="", help="layers whose name contains this")
    p.add_argument("--pw-min-words", type=int, default=None,
                   help="instead of --before: int8 conv_pw with this conv2d.opencl.pw_min_words (1: one k-block per item) vs shipped")
    args = p.parse_args(argv)
    be, events = profiled_opencl()
    cl = be.cl
    from fpgaops.backends.opencl import conv2d
    shipped_kbn = conv2d.pw_kbn
    after = Path(config.kernel_source_dir())
    dirs = {"before": Path(args.before).resolve() / "kernels" if args.before else after, "after": after}
    caches = {v: ({}, {}) for v in dirs}  # per variant: backend programs, conv_common programs
    real_dir = config.kernel_source_dir

    def use(v):
        config.kernel_source_dir = lambda: dirs[v]
        if args.pw_min_words is not None:
            conv2d.pw_kbn = ((lambda cq, kblk, _words: shipped_kbn(cq, kblk, args.pw_min_words)) if v == "before"
                             else shipped_kbn)
        be._programs, conv_common._PROGRAMS = caches[v]

    rng = np.random.default_rng(0)
    for name, (c, h, k, r, st, g) in LAYERS.items():
        if args.only not in name:
            continue
        pad = r // 2
        xf = to_device(rng.standard_normal((1, c, h, h), dtype=np.float32), "opencl")
        wf = to_device(rng.standard_normal((k, c // g, r, r), dtype=np.float32), "opencl")
        bf = to_device(rng.standard_normal(k, dtype=np.float32), "opencl")
        xq = to_device(rng.integers(-128, 128, (1, c, h, h), dtype=np.int8), "opencl")
        wq = to_device(rng.integers(-127, 128, (k, c // g, r, r), dtype=np.int8), "opencl")
        bq = to_device(rng.integers(-2**14, 2**14, k).astype(np.int32), "opencl")
        q = dict(input_scale=0.02, input_zero_point=-128, weight_scale=np.full(k, 0.01), output_scale=0.1,
                 output_zero_point=-128)
        i8 = lambda: fo.conv2d(xq, wq, bq, st, pad, 1, g, activation="relu", **q)
        runs = {"f32": lambda: fo.conv2d(xf, wf, bf, st, pad, 1, g, activation="relu"), "i8 before": i8, "i8 after": i8}
        times = {v: [] for v in runs}
        outs = {}
        for rnd in range(args.rounds + 1):
            for v, fn in runs.items():
                use("before" if v == "i8 before" else "after")
                events.clear()
                y = fn()
                be.finish()
                if v != "f32":
                    outs[v] = y.numpy()
                del y
                if rnd:
                    times[v].append(sum(ev.profile.end - ev.profile.start for n, ev in events
                                        if not any(s in n for s in SKIP)) * 1e-9)
        config.kernel_source_dir = real_dir
        med = {v: statistics.median(t) for v, t in times.items()}
        print(f"{name:26s} " + "  ".join(f"{v} {med[v] * 1e3:7.3f}" for v in med), flush=True)
        np.testing.assert_array_equal(outs["i8 before"], outs["i8 after"])  # same codes


if __name__ == "__main__":
    main()
