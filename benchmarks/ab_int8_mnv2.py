"""End-to-end A/B of the int8 MobileNetV2 work (issue 13, docs/int8.md "MobileNetV2"): this checkout's
OpenCL launchers + kernels ("after") against another checkout's ("before", --before DIR, e.g. the
main branch), and ONNX Runtime's int8 QDQ model (built as bench_nets.py builds it), all in one
process, timed in interleaved rounds (medians; the ratios are medians of per-round ratios). Batch 1,
224x224, the zoo's seeded random weights, 2 random calibration images (net.quantize minmax,
per-channel weights, as bench_nets.py). "before" and "after" must give the same int8 output codes
(checked). Then the profile of each launch plan by kernel: device time (OpenCL events, median of
9 replays, the plans' replays alternated), launches, and the idle time between launches.

How "before" runs in this process: every module of fpgaops/backends/opencl/ (but its __init__) is
loaded from DIR in place of this checkout's, and kernels and the kernel config come from DIR/kernels, while the
"before" network is quantized and its launch plan recorded; a recorded plan keeps its own kernel
objects, so the two plans then replay side by side. (Only launcher and kernel changes can be
compared this way.)

    PYTHONPATH=python python benchmarks/ab_int8_mnv2.py --before /work/main [--model mobilenet_v2] [--min-time 30]

Or "before" is this checkout with one kernel-config key changed (--before-key, e.g.
``conv2d.opencl.int8_words=0``): the config is current while "before" is quantized and its plan
recorded (launchers read it as they launch), so graph and launcher changes behind a key compare too.
"""
import argparse
import contextlib
import importlib.util
import statistics
import sys
import tomllib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_nets import interleaved, ort_int8_session  # noqa: E402

import fpgaops as fo  # noqa: E402
from fpgaops import config, models  # noqa: E402
from fpgaops.backends import opencl as ocl_pkg  # noqa: E402

HERE = Path(__file__).resolve().parent.parent
PKG = "python/fpgaops/backends/opencl"


_LOADED = {}  # checkout dir -> ({module stem: module}, the backend's program cache for it)


def _modules(before, be):
    """Every launcher module of checkout ``before``, loaded once: all of them, not only those that
    differ, so that no cache (programs, kernels, packed weights: conv_common) is shared."""
    if before not in _LOADED:
        for p in sorted((HERE / PKG).glob("*.py")):  # this checkout's modules imported first
            if p.name != "__init__.py":
                importlib.import_module(f"fpgaops.backends.opencl.{p.stem}")
        stems = [p.stem for p in sorted((before / PKG).glob("*.py"))
                 if p.name != "__init__.py" and (HERE / PKG / p.name).exists()]
        differ = [s for s in stems if (before / PKG / f"{s}.py").read_text() != (HERE / PKG / f"{s}.py").read_text()]
        mods = {}
        for stem in stems:
            name = f"fpgaops.backends.opencl.{stem}"
            spec = importlib.util.spec_from_file_location(name, before / PKG / f"{stem}.py")
            mods[stem] = (spec, importlib.util.module_from_spec(spec))
        _LOADED[before] = ({s: m for s, (_sp, m) in mods.items()}, {}, mods)
        with _swapped(_LOADED[before][0], be, before, _LOADED[before][1]):
            pending = list(mods)
            while pending:  # a module whose imports are not executed yet is retried after the others
                failed = []
                for stem in pending:
                    spec, mod = mods[stem]
                    try:
                        spec.loader.exec_module(mod)
                    except ImportError:
                        failed.append(stem)
                if len(failed) == len(pending):
                    raise ImportError(f"{before}: cannot load the launchers {failed}")
                pending = failed
        print(f"before: {before} (launchers {', '.join(differ) or 'none'} differ)", file=sys.stderr)
    return _LOADED[before][:2]


@contextlib.contextmanager
def _swapped(mods, be, before, programs):
    saved = {s: sys.modules[f"fpgaops.backends.opencl.{s}"] for s in mods}
    saved_dir, saved_programs, saved_cfg = config.kernel_source_dir, be._programs, config._current
    toml = before / "kernels" / "config" / "fpgaops.toml"  # the checkout's kernel config too
    try:
        for s, m in mods.items():
            sys.modules[f"fpgaops.backends.opencl.{s}"] = m
            setattr(ocl_pkg, s, m)
        config.kernel_source_dir = lambda: before / "kernels"
        config._current = config.KernelConfig(tomllib.loads(toml.read_text()), str(toml))
        be._programs = programs
        yield
    finally:
        for s, m in saved.items():
            sys.modules[f"fpgaops.backends.opencl.{s}"] = m
            setattr(ocl_pkg, s, m)
        config.kernel_source_dir, be._programs, config._current = saved_dir, saved_programs, saved_cfg


@contextlib.contextmanager
def checkout(before, be):
    """Launchers and kernels of checkout ``before`` (None: this one; "KEY=VALUE": this one with that
    kernel-config key) while the block runs."""
    if before is None:
        yield
        return
    if isinstance(before, str):
        key, value = before.split("=")
        src = config.default_path().read_text()
        name = key.rsplit(".", 1)[1]
        lines = [ln for ln in src.splitlines() if ln.startswith(f"{name} = ")]
        if len(lines) != 1:
            raise SystemExit(f"--before-key: {name} is not one line of {config.default_path()}")
        saved = config._current
        config._current = config.KernelConfig(tomllib.loads(src.replace(lines[0], f"{name} = {value}")), "--before-key")
        if config._current.values[key] != int(value):
            raise SystemExit(f"--before-key: {key} did not change")
        try:
            yield
        finally:
            config._current = saved
        return
    mods, programs = _modules(before, be)
    with _swapped(mods, be, before, programs):
        yield


def profiles(plans, x, reps=9):
    """{variant: profile(...)} of every launch plan, their replays alternated (one of each per round,
    so that the load of other jobs falls on every variant alike)."""
    tls = {v: [] for v in plans}
    for _ in range(reps):
        for v, plan in plans.items():
            tls[v].append(plan.timeline([x]))
    return {v: profile(t) for v, t in tls.items()}


def profile(tls):
    """{kernel name: (launches, median device seconds)}, median idle seconds between launches, median
    wall, of the timelines ``tls`` of one launch plan."""
    per = {}
    for i in range(len(tls[0].launches)):
        name = tls[0].launches[i].name
        sec = statistics.median(t.launches[i].end - t.launches[i].start for t in tls)
        n, s = per.get(name, (0, 0.0))
        per[name] = (n + 1, s + sec)
    return per, statistics.median(sum(t.gaps) for t in tls), statistics.median(t.wall for t in tls)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--before", type=Path, help="checkout whose launchers + kernels are 'before'")
    p.add_argument("--before-key", help="'before' is this checkout with kernel-config KEY=VALUE (an int)")
    p.add_argument("--model", default="mobilenet_v2")
    p.add_argument("--min-time", type=float, default=30.0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    be = fo.get_device("opencl")
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    calib = np.random.default_rng(1).standard_normal((2, 3, 224, 224)).astype(np.float32)
    proto = models.build_onnx(args.model)
    net = fo.load_onnx(proto)
    qsess = ort_int8_session(proto, calib, args.threads)
    nets, codes = {}, {}
    variants = {"after": None}
    if args.before is not None or args.before_key:
        variants = {"before": args.before_key or args.before.resolve(), "after": None}
    for v, d in variants.items():
        with checkout(d, be):
            q = net.quantize([c[None] for c in calib])
            for _ in range(3):  # the second run records the launch plan, the third replays it
                codes[v] = q.run(x, device="opencl", int8_outputs=True)[0][0]
        nets[v] = q
    if "before" in codes:
        np.testing.assert_array_equal(codes["after"], codes["before"])
    fns = {k: (lambda n=n: n(x, device="opencl")) for k, n in nets.items()}
    fns["ORT int8"] = lambda: qsess.run(None, {"input": x})
    times = interleaved(fns, args.min_time)
    med = {k: statistics.median(t) for k, t in times.items()}
    ratio = lambda a, b: statistics.median(np.array(times[a]) / np.array(times[b]))
    print(f"### {args.model} int8, batch 1, 224x224: median ms over {len(times['after'])} interleaved rounds")
    print(" | ".join(f"{k} {t * 1e3:.2f}" for k, t in med.items()))
    for v in nets:
        print(f"ORT int8 / fpgaops {v}: {ratio('ORT int8', v):.2f}x")
    if "before" in nets:
        print(f"before / after: {ratio('before', 'after'):.2f}x")
    plans = {v: q.launch_plan(x, device="opencl") for v, q in nets.items()}
    for v, (per, gaps, wall) in profiles(plans, x).items():
        dev = sum(s for _n, s in per.values())
        print(f"\n{v}: {plans[v].num_launches} launches, device {dev * 1e3:.2f} ms, gaps {gaps * 1e3:.2f} ms, "
              f"profiled replay wall {wall * 1e3:.2f} ms")
        for name, (n, s) in sorted(per.items(), key=lambda kv: -kv[1][1]):
            print(f"  {name:20s} {n:3d} launches {s * 1e3:7.2f} ms")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
