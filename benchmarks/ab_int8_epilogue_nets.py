"""End-to-end A/B of the int8 conv epilogue work of issue 13 (benchmarks/RESULTS.md, "Issue 13"):
MobileNetV2 (and any zoo network) int8 on opencl, "before" = one output block per conv_pw work-item
(conv2d.opencl.pw_min_words = 1) and the 64-bit requantization everywhere (requant_defines -> []), i.e. the former
kernels' arithmetic and grid, against the shipped "after", plus fpgaops float32, in one process,
interleaved rounds (wall medians) and device time by kernel (OpenCL events of launch-plan replays,
median of 3). Both int8 variants must give identical codes. Batch 1, 224x224, zoo seeded weights.

    PYTHONPATH=python python benchmarks/ab_int8_epilogue_nets.py [--models mobilenet_v2] [--min-time 20]
"""
import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab_int8_nets import by_kernel  # noqa: E402
from bench_nets import interleaved  # noqa: E402

import fpgaops as fo  # noqa: E402
from fpgaops import models  # noqa: E402
from fpgaops.backends.opencl import conv2d, dwconv  # noqa: E402


def variant(before):
    """Set the launchers to the 'before' (True) or shipped (False) int8 epilogue and grid."""
    conv2d.pw_kbn = (lambda cq, kblk, _words: 1) if before else SHIPPED[0]
    conv2d.requant_defines = (lambda call: []) if before else SHIPPED[1]
    dwconv.requant_defines = (lambda call: []) if before else SHIPPED[1]


SHIPPED = (conv2d.pw_kbn, conv2d.requant_defines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="mobilenet_v2")
    p.add_argument("--min-time", type=float, default=20.0)
    args = p.parse_args(argv)
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    calib = np.random.default_rng(1).standard_normal((2, 3, 224, 224)).astype(np.float32)
    for name in args.models.split(","):
        net = fo.load_onnx(models.build_onnx(name))
        for _ in range(3):
            net(x, device="opencl")
        nets, outs = {"f32": net}, {}
        for v in ("i8 before", "i8 after"):
            variant(v == "i8 before")
            q = net.quantize([c[None] for c in calib])
            for _ in range(3):  # the third run records the launch plan (under this variant)
                outs[v] = q(x, device="opencl")
            nets[v] = q
        np.testing.assert_array_equal(outs["i8 before"], outs["i8 after"])

        def run(k, n):
            variant(k == "i8 before")
            return n(x, device="opencl")
        times = interleaved({k: (lambda k=k, n=n: run(k, n)) for k, n in nets.items()}, args.min_time)
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"\n### {name}: median wall ms over {len(times['f32'])} interleaved rounds")
        print(" | ".join(f"{k} {v * 1e3:.1f}" for k, v in med.items()))
        ratio = statistics.median(np.array(times["i8 before"]) / np.array(times["i8 after"]))
        print(f"i8 before / after (wall, per round): {ratio:.2f}x")
        for k, n in nets.items():
            variant(k == "i8 before")
            plan = n.launch_plan(x, device="opencl")
            if isinstance(plan, (str, type(None))):
                print(f"{k}: no launch plan ({plan})")
                continue
            kt = by_kernel(plan, x)
            top = sorted(kt.items(), key=lambda kv: -kv[1])[:6]
            print(f"{k} device {sum(kt.values()) * 1e3:.2f} ms ({len(plan.kernel_times([x]))} launches): "
                  + ", ".join(f"{a} {b * 1e3:.2f}" for a, b in top))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
