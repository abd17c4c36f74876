"""Paired A/B of whole networks on the opencl device (issue 13): this checkout's fpgaops ("after")
against another checkout's ("before", --before DIR, e.g. an unpacked `git archive main`), and ONNX
Runtime, in one process, run by run alternating.

    PYTHONPATH=python python benchmarks/ab_mnv3.py --before DIR [--models mobilenet_v3_small,...]
        [--rounds 40] [--threads 2]

Both packages are imported in this process: each under the name ``fpgaops`` in turn, its modules
swapped in and out of ``sys.modules`` around every call (lazy ``import fpgaops`` inside the package
then finds the variant that runs), each with its own OpenCL context on the same device. Per round,
in rotating order, one run of each runner (``net(x)``: NumPy in, NumPy out, the launch plan
replayed), each after a SETTLE pause as in bench_nets.py (the device idle, as a request finds it).
Reported: each runner's median, the median of the per-round after/before ratios, and ORT / each
(the ratio bench_nets reports); with --timeline also the medians of each plan's
LaunchPlan.timeline (device time of the kernels, the gaps between them, the time before the first
and after the last). Outputs are checked: after and before agree with ORT (the
bench_nets criterion) before timing.
"""
import argparse
import importlib
import statistics
import sys
import time
from pathlib import Path

import numpy as np

SETTLE = 0.01  # as bench_nets.py


def load_variant(python_dir):
    """{module name: module} of the fpgaops package under ``python_dir``, imported fresh."""
    for m in [m for m in sys.modules if m == "fpgaops" or m.startswith("fpgaops.")]:
        del sys.modules[m]
    sys.path.insert(0, str(python_dir))
    try:
        importlib.import_module("fpgaops")
        importlib.import_module("fpgaops.models")
    finally:
        sys.path.remove(str(python_dir))
    return {m: mod for m, mod in sys.modules.items() if m == "fpgaops" or m.startswith("fpgaops.")}


class Variant:
    def __init__(self, name, python_dir):
        self.name, self.mods = name, load_variant(python_dir)

    def __enter__(self):
        for m in [m for m in sys.modules if m == "fpgaops" or m.startswith("fpgaops.")]:
            del sys.modules[m]
        sys.modules.update(self.mods)
        return self.mods["fpgaops"]

    def __exit__(self, *exc):
        return False


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--before", required=True, help="checkout whose python/ is 'before'")
    p.add_argument("--models", default="mobilenet_v3_small",
                   help="zoo names (fpgaops.models) or torchvision ones (tests/nets/tv_models.py)")
    p.add_argument("--rounds", type=int, default=40)
    p.add_argument("--threads", type=int, default=2, help="ORT intra-op threads")
    p.add_argument("--timeline", action="store_true",
                   help="also each plan's LaunchPlan.timeline (kernels, gaps), variants alternating")
    args = p.parse_args(argv)
    import onnxruntime as ort

    here = Path(__file__).resolve().parents[1] / "python"
    variants = [Variant("before", Path(args.before).resolve() / "python"), Variant("after", here)]
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    for name in args.models.split(","):
        with variants[1] as fo:
            if name in fo.models.NAMES:
                proto = fo.models.build_onnx(name)
            else:  # a torchvision network, exported as bench_nets.py does
                import tempfile

                import onnx
                sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "nets"))
                import tv_models

                with tempfile.TemporaryDirectory() as d:
                    tv_models.export(name, f"{d}/m.onnx", 17, (1, 3, 224, 224))
                    proto = onnx.load(f"{d}/m.onnx")
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        sess = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
        want = sess.run(None, {"input": x})[0]
        runners, plans = {"ORT": lambda: sess.run(None, {"input": x})}, {}
        for v in variants:
            with v as fo:
                net = fo.load_onnx(proto)
                dev = fo.get_device("opencl")
                for _ in range(4):
                    got = net(x, device=dev)
                plan = plans[v.name] = net.launch_plan(x, device=dev)
                err = float(np.max(np.abs(got - want)))
                ok = err <= 1e-4 + 2e-3 * float(np.max(np.abs(want)))
                print(f"{name} {v.name}: {plan}; max |err| vs ORT {err:.2e}{'' if ok else '  MISMATCH'}",
                      file=sys.stderr)
                if not ok:
                    return 1

            def run(v=v, net=net, dev=dev):
                with v:
                    net(x, device=dev)
            runners[v.name] = run
        times = {k: [] for k in runners}
        keys = list(runners)
        for r in range(args.rounds):
            for k in keys[r % len(keys):] + keys[:r % len(keys)]:
                time.sleep(SETTLE)
                t0 = time.perf_counter()
                runners[k]()
                times[k].append(time.perf_counter() - t0)
        if args.timeline:  # device view, each variant's plan on a profiling queue, alternating
            tl = {v.name: [] for v in variants}
            for r in range(args.rounds):
                for v in variants[::1 if r % 2 else -1]:
                    with v:
                        time.sleep(SETTLE)
                        tl[v.name].append(plans[v.name].timeline([x]))
            for k, ts in tl.items():
                m = lambda f: statistics.median(f(t) for t in ts) * 1e3
                print(f"  {k:6s} timeline: wall {m(lambda t: t.wall):.2f} ms = kernels {m(lambda t: t.kernel):.2f}"
                      f" + gaps {m(lambda t: sum(t.gaps)):.2f} + before the first kernel "
                      f"{m(lambda t: t.launches[0].start):.2f} + after the last "
                      f"{m(lambda t: t.wall - t.launches[-1].end):.2f}"
                      f" (medians; {len(ts[0].launches)} launches)")
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        ratio = lambda a, b: statistics.median(x / y for x, y in zip(times[a], times[b]))
        print(f"{name}: before {med['before']:.2f} ms, after {med['after']:.2f} ms, ORT {med['ORT']:.2f} ms; "
              f"after/before {ratio('after', 'before'):.3f} (paired median, {args.rounds} rounds); "
              f"ORT/before {ratio('ORT', 'before'):.2f}x, ORT/after {ratio('ORT', 'after'):.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
