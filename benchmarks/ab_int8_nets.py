"""End-to-end A/B for issue 13's int8 target (benchmarks/RESULTS.md): fpgaops int8 on opencl with
the VNNI form and with the int16-pair form, fpgaops float32, ONNX Runtime's int8 QDQ model and ORT
float32, all in one process, timed in interleaved rounds (medians; batch 1, 224x224, the zoo's
seeded random weights, 2 calibration images as in bench_nets.py), plus the device time of each
fpgaops run by kernel (OpenCL events of a launch-plan replay, median of 3).

    PYTHONPATH=python python benchmarks/ab_int8_nets.py [--models resnet18,mobilenet_v2] [--min-time 20]
"""
import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ab_int8_layers import config_with  # noqa: E402
from bench_nets import interleaved, ort_int8_session  # noqa: E402

import fpgaops as fo  # noqa: E402
from fpgaops import config, models  # noqa: E402
from fpgaops.backends.opencl import isa  # noqa: E402


def by_kernel(plan, x, reps=3):
    per = {}
    for _ in range(reps):
        for i, (name, _g, sec) in enumerate(plan.kernel_times([x])):
            per.setdefault(i, (name, []))[1].append(sec)
    out = {}
    for name, secs in per.values():
        out[name] = out.get(name, 0.0) + statistics.median(secs)
    return out


def main(argv=None):
    import onnxruntime as ort

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", default="resnet18,mobilenet_v2")
    p.add_argument("--min-time", type=float, default=20.0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    be = fo.get_device("opencl")
    print(f"isa {isa.detect(be)}", file=sys.stderr)
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    calib = np.random.default_rng(1).standard_normal((2, 3, 224, 224)).astype(np.float32)
    shipped = config.current()
    for name in args.models.split(","):
        proto = models.build_onnx(name)
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        sess = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
        qsess = ort_int8_session(proto, calib, args.threads)
        net = fo.load_onnx(proto)
        for _ in range(3):
            net(x, device="opencl")
        nets = {"f32": net}
        variants = {"i8 vnni": 1, "i8 pairs": 0} if isa.detect(be).vnni else {"i8 pairs": 0}
        outs = {}
        for v, on in variants.items():
            config._current = config_with(int8_vnni=on)
            q = net.quantize([c[None] for c in calib])
            for _ in range(3):  # the third run records the launch plan (under this config)
                outs[v] = q(x, device="opencl")
            nets[v] = q
        config._current = shipped
        if len(outs) == 2:
            np.testing.assert_array_equal(outs["i8 vnni"], outs["i8 pairs"])  # the two forms: same codes
        fns = {k: (lambda n=n: n(x, device="opencl")) for k, n in nets.items()}
        fns["ORT int8"] = lambda: qsess.run(None, {"input": x})
        fns["ORT f32"] = lambda: sess.run(None, {"input": x})
        times = interleaved(fns, args.min_time)
        med = {k: statistics.median(v) for k, v in times.items()}
        ratio = lambda a, b: statistics.median(np.array(times[a]) / np.array(times[b]))
        print(f"\n### {name}: median ms over {len(times['f32'])} interleaved rounds")
        print(" | ".join(f"{k} {v * 1e3:.1f}" for k, v in med.items()))
        for v in variants:
            print(f"{v}: ORT int8 / fpgaops {ratio('ORT int8', v):.2f}x, fpgaops f32 / {v} {ratio('f32', v):.2f}x")
        for k, n in nets.items():
            plan = n.launch_plan(x, device="opencl")
            if isinstance(plan, (str, type(None))):
                print(f"{k}: no launch plan ({plan})")
                continue
            kt = by_kernel(plan, x)
            top = sorted(kt.items(), key=lambda kv: -kv[1])[:6]
            print(f"{k} device {sum(kt.values()) * 1e3:.1f} ms: " + ", ".join(f"{a} {b * 1e3:.1f}" for a, b in top))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
