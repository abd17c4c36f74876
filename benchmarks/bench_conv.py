"""conv2d benchmark: every fpgaops algorithm on opencl (and csim when its conv kernels exist)
against torch.nn.functional.conv2d on the CPU (NCHW and channels_last), batch 1, float32.

    cd /work/main && PYTHONPATH=python .venv/bin/python benchmarks/bench_conv.py [--layers c64,dw144]
        [--min-time 0.5] [--profile] [--no-write]

Prints a table and writes (or replaces) the conv2d section of benchmarks/RESULTS.md.

Method
  * Layers: ResNet-18 conv1 and its four 3x3 stages, ResNet-50 1x1, MobileNetV2 depthwise and
    pointwise (LAYERS below). GFLOP/s = 2 * N*K*OH*OW * (C/groups)*R*S / time for every
    algorithm (Winograd's own arithmetic is smaller; the same convention as every CNN benchmark).
  * torch: torch.nn.functional.conv2d with torch.set_num_threads = the PoCL device's compute
    units (2 here), on NCHW tensors and on channels_last tensors (converted once, not timed),
    inside torch.inference_mode().
  * fpgaops opencl: device-resident: x and the weight are fpgaops Tensors copied in once; a timed
    run is one fo.conv2d + the queue's finish: all its kernels (input padding / transforms, GEMM,
    epilogue) and launch overhead, no host<->device copy. Weights are device Tensors, so the
    packed / Winograd-transformed weight is cached across runs (what a network does; the
    one-time transform cost is printed separately as 'weight prep').
  * csim: the HLS tops C-simulated (host arrays), only when fpgaops.backends.csim.conv2d exists.
  * Best of repeated runs (>= 3, >= --min-time s): the machine is shared with other jobs.
  * Every result is checked against the NumPy reference (within its tolerance) before timing.
  * --profile: per-kernel times of each opencl algorithm (queue finished around each launch).
"""
import argparse
import collections
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))
from results_md import RESULTS, write_section  # noqa: E402

import fpgaops as fo  # noqa: E402
from fpgaops.reference import conv2d as ref  # noqa: E402


# name: (C, H=W, K, R=S, stride, padding, groups, description)
LAYERS = {
    "r18_conv1": (3, 224, 64, 7, 2, 3, 1, "ResNet-18 conv1 3->64 7x7/2 224^2"),
    "r18_3x3_64": (64, 56, 64, 3, 1, 1, 1, "ResNet-18 64->64 3x3 56^2"),
    "r18_3x3_128": (128, 28, 128, 3, 1, 1, 1, "ResNet-18 128->128 3x3 28^2"),
    "r18_3x3_256": (256, 14, 256, 3, 1, 1, 1, "ResNet-18 256->256 3x3 14^2"),
    "r18_3x3_512": (512, 7, 512, 3, 1, 1, 1, "ResNet-18 512->512 3x3 7^2"),
    "r50_1x1": (256, 56, 64, 1, 1, 0, 1, "ResNet-50 1x1 256->64 56^2"),
    "mbv2_dw144": (144, 56, 144, 3, 1, 1, 144, "MobileNetV2 depthwise 3x3 144ch 56^2"),
    "mbv2_dw960": (960, 7, 960, 3, 1, 1, 960, "MobileNetV2 depthwise 3x3 960ch 7^2"),
    "mbv2_pw": (144, 56, 24, 1, 1, 0, 1, "MobileNetV2 pointwise 1x1 144->24 56^2"),
}
RESNET_3X3 = ["r18_3x3_64", "r18_3x3_128", "r18_3x3_256", "r18_3x3_512"]
DEPTHWISE = ["mbv2_dw144", "mbv2_dw960"]


def progress(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def best_time(fn, min_time, min_reps=3, max_reps=200):
    fn()  # warm-up: program build, scratch, weight cache
    times = []
    start = time.perf_counter()
    while len(times) < max_reps and (len(times) < min_reps or time.perf_counter() - start < min_time):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if times[-1] > 5 * max(min_time, 1e-3):
            break
    return min(times)


def algos(c, r, stride, groups):
    out = ["im2col"]
    if r == 3 and stride == 1 and groups == 1:
        out += ["winograd_f2", "winograd_f4"]
    if groups == c:
        out.append("dwconv")
    return out


def check(got, x, w, stride, pad, groups, algo):
    oh, ow = got.shape[2:]
    geom = ((stride, stride), (pad, pad), (1, 1), groups, (oh, ow))
    want = ref.conv2d_float(x, w, None, *geom)
    m = {"winograd_f2": 2, "winograd_f4": 4}.get(algo, 0)
    tol = ref.tolerance(x, w, None, *geom, winograd_m=m)
    err = np.abs(got.astype(np.float64) - want)
    if not np.all(err <= tol):
        raise AssertionError(f"{algo}: result outside the tolerance (worst err/bound {np.max(err / tol):.2f})")


class Profiler:
    """Wraps the opencl launchers' launch() to time each kernel (finish before and after)."""

    def __init__(self):
        from fpgaops.backends.opencl import conv2d as oc, dwconv as od, winograd as ow

        self.mods = (oc, od, ow)
        self.orig = oc.launch
        self.times = collections.defaultdict(list)

    def __enter__(self):
        def timed(backend, prg, name, g, l, *args):
            backend.finish()
            t = time.perf_counter()
            self.orig(backend, prg, name, g, l, *args)
            backend.finish()
            self.times[name].append(time.perf_counter() - t)

        for m in self.mods:
            m.launch = timed
        return self

    def __exit__(self, *exc):
        for m in self.mods:
            m.launch = self.orig


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--layers", default=",".join(LAYERS), help="comma-separated names from LAYERS")
    p.add_argument("--min-time", type=float, default=0.5, help="seconds of timed runs per case")
    p.add_argument("--rounds", type=int, default=3,
                   help="sweep the torch / opencl cases this many times, keep each case's best (shared machine)")
    p.add_argument("--profile", action="store_true", help="also print per-kernel opencl times")
    p.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = p.parse_args()
    names = [n for n in args.layers.split(",") if n]

    try:
        import torch
    except ImportError:
        torch = None
    avail = {d.name: d for d in fo.devices()}
    if not avail["opencl"].available:
        sys.exit(f"opencl backend not available: {avail['opencl'].detail}")
    threads = fo.get_device("opencl").device.max_compute_units
    has_csim = avail["csim"].available and importlib.util.find_spec("fpgaops.backends.csim.conv2d") is not None
    if torch is not None:
        torch.set_num_threads(threads)

    rng = np.random.default_rng(0)
    rows, results, prof_lines = [], {}, []
    for rnd in range(max(1, args.rounds)):
        first = rnd == 0
        sweep(names, args, torch, has_csim and first, args.profile and first, rng, results, prof_lines)
    finish(names, args, torch, avail, threads, has_csim, results, prof_lines, rows)


def sweep(names, args, torch, has_csim, profile, rng, results, prof_lines):
    """Measure every case once; merge into results keeping the best time per case."""
    for name in names:
        c, hw, k, r, stride, pad, groups, desc = LAYERS[name]
        x = rng.standard_normal((1, c, hw, hw), dtype=np.float32)
        w = (rng.standard_normal((k, c // groups, r, r), dtype=np.float32) / np.sqrt(c // groups * r * r)).astype(np.float32)
        oh = (hw + 2 * pad - r) // stride + 1
        flops = 2 * k * oh * oh * (c // groups) * r * r
        res = {}
        if torch is not None:
            tx, tw = torch.from_numpy(x), torch.from_numpy(w)
            txl, twl = tx.contiguous(memory_format=torch.channels_last), tw.contiguous(memory_format=torch.channels_last)
            with torch.inference_mode():
                res["torch NCHW"] = best_time(lambda: torch.nn.functional.conv2d(tx, tw, None, stride, pad, 1, groups),
                                              args.min_time)
                res["torch NHWC"] = best_time(lambda: torch.nn.functional.conv2d(txl, twl, None, stride, pad, 1, groups),
                                              args.min_time)
        dev = fo.get_device("opencl")
        dx, dw = fo.to_device(x, "opencl"), fo.to_device(w, "opencl")
        for algo in algos(c, r, stride, groups):
            got = fo.conv2d(dx, dw, None, stride, pad, 1, groups, algo=algo).numpy()
            check(got, x, w, stride, pad, groups, algo)

            def run(algo=algo):
                fo.conv2d(dx, dw, None, stride, pad, 1, groups, algo=algo)
                dev.finish()

            res[f"opencl {algo}"] = best_time(run, args.min_time)
            # one-time weight preparation (packing / Winograd filter transform), for the record
            t = time.perf_counter()
            fo.conv2d(x, w, None, stride, pad, 1, groups, algo=algo)  # NumPy weight: no cache
            res[f"_cold {algo}"] = time.perf_counter() - t
            if profile:
                with Profiler() as pr:
                    for _ in range(5):
                        fo.conv2d(dx, dw, None, stride, pad, 1, groups, algo=algo)
                    fo.conv2d(x, w, None, stride, pad, 1, groups, algo=algo)
                prof_lines.append(f"| {name} | {algo} | " + ", ".join(
                    f"{kn} {min(v) * 1e3:.2f}" for kn, v in pr.times.items()) + " |")
        if has_csim:
            with fo.device("csim"):
                for algo in algos(c, r, stride, groups):
                    algo_c = "winograd" if algo.startswith("winograd") else algo
                    if f"csim {algo_c}" in res:
                        continue
                    try:
                        res[f"csim {algo_c}"] = best_time(
                            lambda algo=algo: fo.conv2d(x, w, None, stride, pad, 1, groups, algo=algo), args.min_time,
                            min_reps=2)
                    except fo.UnsupportedError:
                        pass
        if name in results:
            old_res = results[name][1]
            res = {k_: min(v, old_res.get(k_, v)) for k_, v in res.items()} | {
                k_: v for k_, v in old_res.items() if k_ not in res}
        results[name] = (flops, res)
        progress(f"{name}: " + ", ".join(f"{k_} {v * 1e3:.2f} ms" for k_, v in res.items()))


def finish(names, args, torch, avail, threads, has_csim, results, prof_lines, rows):

    # ---- the table ----------------------------------------------------------------------------
    header = ["| layer | GFLOP | torch NCHW | torch NHWC | opencl im2col | opencl winograd F2 | opencl winograd F4 | "
              "opencl dwconv | best opencl / torch NCHW |" + (" csim (per algo) |" if has_csim else ""),
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if has_csim else "")]
    cols = ["torch NCHW", "torch NHWC", "opencl im2col", "opencl winograd_f2", "opencl winograd_f4", "opencl dwconv"]
    for name in names:
        flops, res = results[name]
        cells = []
        for col in cols:
            t = res.get(col)
            cells.append("-" if t is None else f"{t * 1e3:.2f} ms ({flops / t / 1e9:.0f})")
        best = min(v for k_, v in res.items() if k_.startswith("opencl"))
        ratio = f"{best / res['torch NCHW']:.2f}x" if "torch NCHW" in res else "-"
        line = f"| {LAYERS[name][7]} | {flops / 1e9:.3f} | " + " | ".join(cells) + f" | {ratio} |"
        if has_csim:
            cs = [f"{k_[5:]} {v * 1e3:.1f} ms" for k_, v in res.items() if k_.startswith("csim")]
            line += f" {', '.join(cs)} |" if cs else " - |"
        rows.append(line)

    notes = []
    if torch is not None:
        def best_of(name, prefix):
            return min(v for k_, v in results[name][1].items() if k_.startswith(prefix))
        for name in [n for n in RESNET_3X3 if n in results]:
            res = results[name][1]
            b = best_of(name, "opencl")
            wino = min(res["opencl winograd_f2"], res["opencl winograd_f4"])
            notes.append(f"- {name}: best opencl {b * 1e3:.2f} ms = {b / res['torch NCHW']:.2f}x torch NCHW "
                         f"(target <= 2x: {'met' if b <= 2 * res['torch NCHW'] else 'NOT met'}); Winograd "
                         f"{wino * 1e3:.2f} ms vs im2col {res['opencl im2col'] * 1e3:.2f} ms "
                         f"({'beats' if wino < res['opencl im2col'] else 'does NOT beat'} im2col)")
        for name in [n for n in DEPTHWISE if n in results]:
            res = results[name][1]
            notes.append(f"- {name}: dwconv {res['opencl dwconv'] * 1e3:.2f} ms vs torch NCHW "
                         f"{res['torch NCHW'] * 1e3:.3f} ms ({'beats' if res['opencl dwconv'] < res['torch NCHW'] else 'does NOT beat'} torch)")
    # the per-call floor: a trivial depthwise conv (validation, allocation, one launch, finish)
    tx1 = fo.to_device(np.ones((1, 8, 8, 8), np.float32), "opencl")
    tw1 = fo.to_device(np.ones((8, 1, 3, 3), np.float32), "opencl")
    dev = fo.get_device("opencl")

    def tiny():
        fo.conv2d(tx1, tw1, None, 1, 1, 1, 8, algo="dwconv")
        dev.finish()

    floor = best_time(tiny, args.min_time)
    notes.append(f"- Per-call floor of the opencl path (8-channel 8x8 depthwise conv: Python validation, output "
                 f"allocation, one kernel launch, finish): {floor * 1e3:.3f} ms.")
    dw_missed = [n for n in DEPTHWISE if n in results and "torch NCHW" in results[n][1]
                 and results[n][1]["opencl dwconv"] >= results[n][1]["torch NCHW"]]
    if dw_missed:
        notes.append(
            f"- Depthwise target (beat torch NCHW) NOT met on {', '.join(dw_missed)}. Limiting factors, from the profile below: (1) the "
            "per-call floor above is already close to torch's whole 960-channel 7x7 call; (2) on PoCL the "
            "dwconv kernel runs at ~10 GFLOP/s, far below the machine: the border handling (left/right "
            "padding lanes) and the epilogue cost more than the 9 FMAs per vector. A stripped kernel on a "
            "pre-padded input with no epilogue measured 0.21-0.31 ms for the 144-channel 56x56 layer (kernel "
            "alone, same machine), and a separate padding pass costs 0.3-0.6 ms on PoCL, so neither variant "
            "reaches torch's oneDNN depthwise (one fused, JIT-vectorised pass). What would: channels-last "
            "(NHWC) data so a vector spans 8 channels with no borders per vector, or the HLS dwconv kernel.")
    cold = [f"{n} {k_[6:]} {v * 1e3:.1f} ms" for n in names for k_, v in results[n][1].items() if k_.startswith("_cold")
            and "winograd" in k_]
    notes.append("- Cold call (NumPy weight: copy-in + packing / Winograd filter transform + the conv, no cache): "
                 + ", ".join(cold) + ".")
    notes.append(f"- torch {torch.__version__ if torch else '(not installed)'}, {threads} threads; "
                 f"opencl: {avail['opencl'].version}, {avail['opencl'].detail}.")
    if not has_csim:
        notes.append("- csim: not run (the HLS conv kernels / fpgaops.backends.csim.conv2d do not exist yet).")
    else:
        from fpgaops.backends.csim import conv2d as csim_conv
        runs = {a: getattr(f, "__name__", str(f)).strip("_") for a, f in getattr(csim_conv, "TOPS", {}).items()}
        notes.append("- csim: the HLS tops C-simulated natively (host arrays in/out, weights re-sent each call); "
                     f"what each algo runs there: {runs} (an algo without its own HLS top runs on the im2col "
                     "engine, same function).")
    body = ["## conv2d", "", f"Generated by `benchmarks/bench_conv.py` on {time.strftime('%Y-%m-%d %H:%M %Z')}, "
            f"batch 1, float32. Cells: time (GFLOP/s, direct-convolution FLOPs).", "", *header, *rows, "", *notes]
    if prof_lines:
        body += ["", "Per-kernel opencl times (ms, best of 5 warm runs + the cold run's weight prep):", "",
                 "| layer | algo | kernels |", "|---|---|---|", *prof_lines]
    text_body = "\n".join(body)
    print(text_body)
    if not args.no_write:
        write_section("bench_conv", text_body)
        progress(f"wrote the conv2d section of {RESULTS}")


if __name__ == "__main__":
    main()
