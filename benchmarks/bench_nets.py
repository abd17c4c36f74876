"""Network benchmark: whole-model latency of fpgaops (opencl, csim) against PyTorch CPU and ONNX
Runtime CPU, batch 1, 224x224, on the zoo's ResNet-18, ResNet-50, MobileNetV2 and
MobileNetV3-small/large, and on torchvision's EfficientNet-B0, ShuffleNetV2 x1.0, DenseNet-121 and
VGG-11 (built from torchvision's constructors with random weights by tests/nets/tv_models.py,
nothing downloaded).

    cd /work/main && PYTHONPATH=python .venv/bin/python benchmarks/bench_nets.py [--models resnet18,...]
        [--tv-models efficientnet_b0,...] [--min-time 3] [--csim-max-seconds 120] [--no-write]

Prints a table and writes (or replaces) the networks section of benchmarks/RESULTS.md.

Method
  * One ONNX model per network from fpgaops.models.build_onnx (seeded random weights, the same
    bytes for every runner). PyTorch runs the hand-written torchvision-equivalent module
    (fpgaops.models.torch_ref) carrying exactly those weights. The torchvision networks (--tv-models)
    are torchvision's modules with seeded random weights (BatchNorm statistics calibrated on random
    images, tests/nets/tv_models.py), exported at opset 17 with dynamic batch/height/width; PyTorch
    runs that module.
  * fpgaops: ``net(x)`` -- NumPy in, NumPy out, so the input upload and the logits download are
    included; activations stay on the device between layers. Weights are uploaded by the warm-up
    run, as are kernel builds. BN folded, conv+bias+relu and residual adds fused (the default).
  * PyTorch eager: ``torch.no_grad()``, NCHW. PyTorch fast: ``torch.inference_mode()`` with the
    module and input in ``channels_last``.
  * ONNX Runtime: CPUExecutionProvider, all graph optimizations, intra-op threads = the thread
    count below (PyTorch uses the same count; PoCL's pthread device uses every CPU); also timed
    with its thread pool's spin-waiting off ("ORT no-spin"), which other jobs on the cores hurt less.
  * Timing (a shared machine: other jobs disturb single runs): after warm-ups (fpgaops: three runs,
    the third of which replays the recorded launch plan), the runners of one network -- ONNX
    Runtime, PyTorch eager and channels-last, fpgaops opencl with its launch plan, and fpgaops
    opencl op by op (``net.launch_plans = False``, the host path before launch plans) -- are
    timed in interleaved rounds (a block of BLOCK runs of each per round, the first not counted,
    for at least --min-time seconds, at least 5 rounds, at most 60; a round's figure is the median
    of its block). Each runner's median is reported, and ORT/opencl is the median of the per-round
    ratios, so a disturbance hits both sides of a ratio alike. Blocks start after a DRAIN pause
    of 100 ms: ONNX Runtime's pool thread spins at 100 % of a core for 30-50 ms after each run, and
    with one run per runner and 10 ms between, the runner after ORT ran on half the machine
    (fpgaops int8 MobileNetV2 10 ms after ORT 5.9 ms, after its own runs 3.6; docs/networks.md).
    Every timed run starts after a SETTLE pause: PyTorch's OpenMP threads (libgomp) busy-wait ~300k spins after
    each parallel region, and the runner timed right after torch found a core taken for a few ms
    (ResNet-18 opencl on a quiet machine: 25.0 ms right after torch, 19.7 ms settled; docs/networks.md).
    A longer pause before every run is not neutral: after 100 ms ORT's int8 MobileNetV2 took 10.1 ms
    against 4.3 ms after 10 ms (its thread pool asleep), hence the uncounted first run of a block.
    csim (the HLS tops C-simulated) is run once after the warm-up and skipped for a model whose
    warm-up took longer than --csim-max-seconds.
  * Profile (opencl): one replay of the launch plan on a profiling queue gives every kernel's
    device time from the OpenCL events. kernel time = their sum; host + launch overhead = the
    median wall time minus it (input upload and logits download included); GFLOP/s and the
    roofline fraction are the network's direct-convolution FLOPs over the median wall time, the
    roofline being 2 cores x 2 FMA pipes x 16 float lanes x 2 FLOP x the clock (--peak-gflops,
    default 330 for this machine). Per-layer host cost: (op-by-op wall - planned wall) / layers
    is what the plan saves; the plan's own host cost is the time to enqueue its launches.
  * Every runner's logits are checked against ONNX Runtime (identical top-5, max error within
    1e-4 + 2e-3 * max|logit|) before timing.
  * int8 rows (--int8-models, default resnet18,mobilenet_v2; "" to skip): fpgaops
    ``net.quantize`` (minmax, per-channel weights) and ONNX Runtime's own int8 QDQ model
    (``quant_pre_process`` + ``quantize_static``, QDQ format, default types) calibrated on the same
    --calib random-normal images; timed like the float runs, in the same process. The int8
    outputs are checked only for sanity (cosine similarity with the float32 ORT logits > 0.9):
    random weights and random calibration images make the int8 error larger than on real data.
"""
import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))
from results_md import RESULTS, cpu_model, version, write_section  # noqa: E402

import fpgaops as fo  # noqa: E402
from fpgaops import models  # noqa: E402

MODELS = ("resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large")
TV_MODELS = ("efficientnet_b0", "shufflenet_v2_x1_0", "densenet121", "vgg11")
TV_OPSET = 17


def source(name, size):
    """(ONNX ModelProto, a function making the PyTorch module) of a zoo or torchvision network."""
    if name in models.NAMES:
        from fpgaops.models import torch_ref

        return models.build_onnx(name), lambda: torch_ref.from_zoo(name)
    import copy
    import tempfile

    import onnx

    sys.path.insert(0, str(HERE.parent / "tests" / "nets"))
    import tv_models  # test-time helper: torchvision on the CPU build of torch

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, f"{name}.onnx")
        module = tv_models.export(name, path, TV_OPSET, (1, 3, size, size))
        proto = onnx.load(path)
    return proto, lambda: copy.deepcopy(module)


def progress(msg):
    print(msg, file=sys.stderr, flush=True)


def best_time(fn, min_time, min_reps=3, max_reps=50):
    times, start = [], time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < min_time and len(times) < max_reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


SETTLE = 0.01  # seconds of idle before each timed run: longer than libgomp's spin-wait after torch
# Runs per runner per round (a block), the first WARMUP of a block not counted, and DRAIN seconds of
# idle before each block: ONNX Runtime's pool thread keeps spinning (one core at 100 %) for 30-50 ms
# after each run (measured from the threads' CPU time, docs/networks.md "Timing"), so a runner timed
# within that window after ORT had half the 2-core machine; a block's first run, after the drain,
# pays a runner's wake-up from a long idle (ORT's pool asleep), which a paced request stream never sees.
BLOCK, WARMUP, DRAIN = 4, 1, 0.1


def interleaved(fns, min_time, min_rounds=5, max_rounds=60):
    """{name: [seconds per round]}: per round a block of BLOCK runs of every fn, rotating the order,
    each run after SETTLE seconds of idle and each block after DRAIN seconds (so no runner's spinning
    threads still hold a core when another runs); a round's figure is the median of its block's runs
    after the first WARMUP."""
    times = {k: [] for k in fns}
    names, start, r = list(fns), time.perf_counter(), 0
    while r < min_rounds or (time.perf_counter() - start < min_time and r < max_rounds):
        for k in names[r % len(names):] + names[:r % len(names)]:
            time.sleep(DRAIN)
            block = []
            for _ in range(BLOCK):
                time.sleep(SETTLE)
                t0 = time.perf_counter()
                fns[k]()
                block.append(time.perf_counter() - t0)
            times[k].append(float(np.median(block[WARMUP:])))
        r += 1
    return times


def kernel_profile(net, x, plan, wall, eager_wall, peak_gflops):
    """The opencl profile summary of one network: device time by kernel vs wall time."""
    from fpgaops.graph import passes

    g = net.optimized(x)
    flops = sum(passes.flops(g, n) for n in g.nodes)
    per = {}
    for rep in range(3):
        for i, (name, _g, sec) in enumerate(plan.kernel_times([x])):
            per.setdefault(i, (name, []))[1].append(sec)
    by = {}
    for name, secs in per.values():
        by[name] = by.get(name, 0.0) + float(np.median(secs))
    ksum = sum(by.values())
    enqs = []
    for _ in range(5):
        net.run(x)  # drains the queue: the enqueue below starts on an idle device
        t0 = time.perf_counter()
        plan.run([x])
        enqs.append(time.perf_counter() - t0)
    enq = float(np.median(enqs))
    net.run(x)
    layers = len(g.nodes)
    return dict(launches=plan.num_launches, layers=layers, kernel=ksum, wall=wall, flops=flops,
                top=sorted(by.items(), key=lambda kv: -kv[1]), enqueue=enq,
                saved_per_layer=(eager_wall - wall) / layers, gflops=flops / wall / 1e9,
                roofline=flops / wall / 1e9 / peak_gflops)


def agrees(got, want):
    err = float(np.max(np.abs(got.astype(np.float64) - want)))
    top = lambda y: np.argsort(-y, axis=1, kind="stable")[:, :5]
    return err <= 1e-4 + 2e-3 * float(np.max(np.abs(want))) and bool((top(got) == top(want)).all()), err


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--tv-models", default=",".join(TV_MODELS), help="torchvision networks ('' = none)")
    p.add_argument("--min-time", type=float, default=3.0)
    p.add_argument("--csim-max-seconds", type=float, default=120.0)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--skip-csim", action="store_true", help="no csim column (its warm-up runs take minutes)")
    p.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    p.add_argument("--int8-models", default="resnet18,resnet50,mobilenet_v2,efficientnet_b0",
                   help="networks with int8 rows ('' = none)")
    p.add_argument("--calib", type=int, default=2, help="random calibration images for the int8 rows")
    p.add_argument("--size", type=int, default=224, help="input height/width (default 224)")
    p.add_argument("--peak-gflops", type=float, default=330.0,
                   help="float32 roofline of the machine (2 cores x 2 FMA x 16 lanes x 2 x clock)")
    args = p.parse_args(argv)

    import onnxruntime as ort
    import torch

    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    torch.set_num_threads(args.threads)
    avail = {d.name: d for d in fo.devices()}
    if args.skip_csim:
        import types

        avail["csim"] = types.SimpleNamespace(name="csim", available=False, detail="skipped (--skip-csim)")
    x = np.random.default_rng(0).standard_normal((1, 3, args.size, args.size)).astype(np.float32)
    rows, notes, sources = [], [], {}
    for name in [m for m in args.models.split(",") + args.tv_models.split(",") if m]:
        progress(f"== {name}")
        proto, make_torch = sources[name] = source(name, args.size)
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        sess = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
        want = sess.run(None, {"input": x})[0]
        tm = make_torch()
        xt = torch.from_numpy(x)
        with torch.no_grad():
            ok, err = agrees(tm(xt).numpy(), want)
        assert ok, f"torch module disagrees with ORT on {name}: {err}"

        def eager():
            with torch.no_grad():
                tm(xt)
        tcl = make_torch().to(memory_format=torch.channels_last)
        xcl = xt.contiguous(memory_format=torch.channels_last)

        def fast():
            with torch.inference_mode():
                tcl(xcl)
        fast()
        so_ns = ort.SessionOptions()
        so_ns.intra_op_num_threads = args.threads
        so_ns.add_session_config_entry("session.intra_op.allow_spinning", "0")
        sess_ns = ort.InferenceSession(proto.SerializeToString(), so_ns, providers=["CPUExecutionProvider"])
        fns = {"ort": lambda: sess.run(None, {"input": x}), "ort_nospin": lambda: sess_ns.run(None, {"input": x}),
               "torch_eager": eager, "torch_fast": fast}
        net = fo.load_onnx(proto)
        res, prof = {}, None
        if avail["opencl"].available:
            got = [net(x, device="opencl") for _ in range(3)]  # builds, uploads, records the plan
            ok, err = agrees(got[-1], want)
            if ok:
                def op_by_op():
                    net.launch_plans = False
                    try:
                        net(x, device="opencl")
                    finally:
                        net.launch_plans = True
                fns["opencl"] = lambda: net(x, device="opencl")
                fns["opencl_eager"] = op_by_op
                progress(f"   opencl: max |err| vs ORT {err:.1e}; plan: {net.launch_plan(x, device='opencl')}")
            else:
                notes.append(f"{name} on opencl: output disagrees with ORT (max |err| {err:.2e}); not timed")
        else:
            notes.append(f"opencl: not available here ({avail['opencl'].detail})")
        times = interleaved(fns, args.min_time)
        res.update({k: float(np.median(v)) for k, v in times.items()})
        if "opencl" in times:
            res["ratio"] = float(np.median(np.array(times["ort"]) / np.array(times["opencl"])))
            res["ratio_eager"] = float(np.median(np.array(times["torch_eager"]) / np.array(times["opencl"])))
            res["rounds"] = len(times["ort"])
            plan = net.launch_plan(x, device="opencl")
            if plan is not None and not isinstance(plan, str):
                prof = kernel_profile(net, x, plan, res["opencl"], res["opencl_eager"], args.peak_gflops)
        if avail["csim"].available:
            try:
                t0 = time.perf_counter()
                got = net(x, device="csim")
                first = time.perf_counter() - t0
                ok, err = agrees(got, want)
                if not ok:
                    notes.append(f"{name} on csim: output disagrees with ORT (max |err| {err:.2e}); not timed")
                elif first > args.csim_max_seconds:
                    res["csim"] = first
                    notes.append(f"{name} on csim: warm-up run only ({first:.0f} s)")
                else:
                    res["csim"] = best_time(lambda: net(x, device="csim"), 0, min_reps=1, max_reps=1)
            except fo.UnsupportedError as e:
                notes.append(f"{name} on csim: {e}")
        else:
            notes.append(f"csim: not available here ({avail['csim'].detail})")
        rows.append((name, res, prof, net.peak_activation_bytes(x)))
        progress("   " + ", ".join(f"{k} {v * 1e3:.1f} ms" for k, v in res.items() if k in fns or k == "csim"))

    from fpgaops.textout import table
    ms = lambda t: f"{t * 1e3:.1f}" if t else "n/a"
    tab = table([(n, ms(r.get("opencl")), ms(r.get("opencl_eager")), ms(r.get("csim")), ms(r["torch_eager"]),
                  ms(r["torch_fast"]), ms(r["ort"]), ms(r["ort_nospin"]), f"{r['ratio']:.2f}x" if r.get("ratio") else "n/a",
                  f"{r['ratio_eager']:.2f}x" if r.get("ratio_eager") else "n/a", f"{peak / 2**20:.1f}")
                 for n, r, _p, peak in rows],
                [f"model (batch 1, {args.size}x{args.size})", "fpgaops opencl ms", "opencl op-by-op ms",
                 "fpgaops csim ms", "torch eager ms", "torch inference_mode+CL ms", "ORT ms", "ORT no-spin ms", "ORT/opencl",
                 "eager/opencl", "peak act. MiB"])
    ptab = table([(n, f"{pr['layers']}/{pr['launches']}", f"{pr['wall'] * 1e3:.1f}", f"{pr['kernel'] * 1e3:.1f}",
                   f"{(pr['wall'] - pr['kernel']) * 1e3:.1f}", f"{pr['saved_per_layer'] * 1e6:.0f}",
                   f"{pr['enqueue'] / pr['launches'] * 1e6:.0f}", f"{pr['gflops']:.0f}", f"{100 * pr['roofline']:.0f}%",
                   ", ".join(f"{k} {100 * v / pr['kernel']:.0f}%" for k, v in pr["top"][:4]))
                  for n, r, pr, _ in rows if pr is not None],
                 ["model", "layers/launches", "wall ms", "kernel ms", "host+launch ms", "saved us/layer",
                  "plan us/launch", "GFLOP/s", "roofline", "device time by kernel"])
    split = ["Profile (opencl, launch plan; method in the docstring): kernel ms = device time of all kernels "
             "(OpenCL events of one replay), host+launch ms = wall - kernel, saved us/layer = what the launch plan "
             "saves per layer against op-by-op execution, plan us/launch = host time to enqueue one planned launch "
             f"(the input upload included), roofline = GFLOP/s over {args.peak_gflops:.0f} GFLOP/s.", "",
             "```", ptab, "```"]
    opencl = avail["opencl"]
    body = "\n".join([
        "## Networks (benchmarks/bench_nets.py)", "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Latency of one image (batch 1, 3x{args.size}x{args.size}, "
        f"float32), median of interleaved rounds ({min(r.get('rounds', 0) for _n, r, _p, _k in rows)}+ per network; "
        f"a round: a block of {BLOCK} runs of each runner, {SETTLE * 1e3:.0f} ms apart, {DRAIN * 1e3:.0f} ms between "
        f"blocks, the median of the last {BLOCK - WARMUP}) after warm-ups; lower is better. Method: the docstring of "
        "benchmarks/bench_nets.py. Every runner's logits agree with ONNX Runtime (identical top-5).", "",
        f"- CPU: {cpu_model()}; threads: {args.threads} (PyTorch, ORT; PoCL uses every CPU); 1-minute load "
        f"average {load_start:.1f} at the start and {os.getloadavg()[0]:.1f} at the end (other processes share the "
        "machine; above the CPU count the numbers are disturbed, PyTorch most)",
        f"- fpgaops {fo.__version__}; opencl device: {opencl.version} {opencl.detail}",
        f"- torch {version('torch')}, onnxruntime {version('onnxruntime')}, onnx {version('onnx')}, numpy "
        f"{np.__version__}, Python {platform.python_version()}", "",
        "```", tab, "```", "",
        "ORT/opencl: median over rounds of ORT's latency over fpgaops opencl's (above 1 = fpgaops faster); "
        "eager/opencl likewise for PyTorch eager. ORT no-spin: ORT with its thread pool's spin-waiting off "
        "(session.intra_op.allow_spinning=0), a reading of ORT less hurt by other jobs on the cores; the ratio uses the "
        "default ORT. opencl op-by-op: the same network with launch plans off. csim is the HLS "
        "C-simulation of the FPGA kernel tops on the CPU: a functional model, its speed says nothing about the FPGA.",
        ""] + split + ([""] + [f"- note: {n}" for n in dict.fromkeys(notes)] if notes else []))
    int8_names = [m for m in args.int8_models.split(",") if m]
    if int8_names:
        body += "\n\n" + int8_section(args, x, avail, int8_names, {n: r for n, r, _p, _k in rows}, sources)
    print("\n" + body)
    if not args.no_write:
        write_section("bench_nets", body)
        progress(f"\nwrote the networks section of {RESULTS}")
    return 0


def ort_int8_session(proto, calib, threads, profile_prefix=None):
    """ONNX Runtime's int8 QDQ model of ``proto`` (quant_pre_process + quantize_static) and a session
    (with ORT's profiler on, writing to ``profile_prefix``..., where given: ort_profile.py)."""
    import tempfile

    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{"input": c[None]} for c in calib])

        def get_next(self):
            return next(self.it, None)

    with tempfile.TemporaryDirectory() as d:
        src, pre, dst = (os.path.join(d, f) for f in ("f32.onnx", "pre.onnx", "qdq.onnx"))
        onnx.save(proto, src)
        quant_pre_process(src, pre)
        quantize_static(pre, dst, Reader(), quant_format=QuantFormat.QDQ)
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        if profile_prefix:
            so.enable_profiling = True
            so.profile_file_prefix = profile_prefix
        return ort.InferenceSession(dst, so, providers=["CPUExecutionProvider"])


def int8_section(args, x, avail, names, float_rows, sources):
    """int8 rows: fpgaops int8 (opencl, csim) against its float32 and ONNX Runtime's int8 QDQ model."""
    import onnxruntime as ort
    from fpgaops.textout import table

    calib = np.random.default_rng(1).standard_normal((args.calib,) + x.shape[1:]).astype(np.float32)
    cos = lambda a, b: float(np.sum(a * b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    rows, notes = [], []
    for name in names:
        progress(f"== {name} int8")
        proto = sources[name][0] if name in sources else source(name, args.size)[0]
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        sess = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
        want = sess.run(None, {"input": x})[0]
        fres = float_rows.get(name) or {"ort": best_time(lambda: sess.run(None, {"input": x}), args.min_time)}
        res = {"ort_f32": fres.get("ort"), "opencl_f32": fres.get("opencl"), "csim_f32": fres.get("csim")}
        net = fo.load_onnx(proto)
        if name not in float_rows:  # float32 fpgaops not run above: time it here
            for dev in ("opencl", "csim"):
                if avail[dev].available:
                    t0 = time.perf_counter()
                    ok, _err = agrees(net(x, device=dev), want)
                    first = time.perf_counter() - t0
                    if ok:
                        if dev == "opencl":
                            net(x, device=dev)  # the third run records the launch plan
                            net(x, device=dev)
                        res[f"{dev}_f32"] = first if dev == "csim" and first > args.csim_max_seconds else best_time(
                            lambda: net(x, device=dev), args.min_time if dev == "opencl" else 0,
                            min_reps=3 if dev == "opencl" else 1, max_reps=50 if dev == "opencl" else 1)
                    else:
                        notes.append(f"{name} float32 on {dev}: output disagrees with ORT; not timed")
        qsess = ort_int8_session(proto, calib, args.threads)
        y_ort8 = qsess.run(None, {"input": x})[0]
        res["ort_int8"] = best_time(lambda: qsess.run(None, {"input": x}), args.min_time)
        t0 = time.perf_counter()
        qnet = net.quantize([c[None] for c in calib])
        progress(f"   calibration {time.perf_counter() - t0:.1f} s")
        res["cos_ort_int8"] = cos(y_ort8, want)
        for dev in ("opencl", "csim"):
            res[dev] = None
            if not avail[dev].available:
                notes.append(f"{dev}: not available here ({avail[dev].detail})")
                continue
            t0 = time.perf_counter()
            got = qnet(x, device=dev)
            first = time.perf_counter() - t0
            res[f"cos_{dev}"] = c = cos(got, want)
            # a sanity gate, not an accuracy claim (random weights): above 0.9, or no more than 0.05 below
            # ORT's own int8 model of the same network (EfficientNet-B0's SE gates lose about as much in both)
            if not c > min(0.9, res["cos_ort_int8"] - 0.05):
                notes.append(f"{name} int8 on {dev}: cosine with the float32 logits {c:.3f}, ORT int8's "
                             f"{res['cos_ort_int8']:.3f} (not timed)")
                continue
            if dev == "csim":
                res[dev] = first if first > args.csim_max_seconds else best_time(lambda: qnet(x, device=dev), 0,
                                                                                  min_reps=1, max_reps=1)
                if first > args.csim_max_seconds:
                    notes.append(f"{name} int8 on csim: warm-up run only ({first:.0f} s)")
            else:
                # int8, ORT int8 and fpgaops float32 in the same interleaved rounds (medians)
                fns = {"opencl": lambda: qnet(x, device="opencl"), "ort_int8": lambda: qsess.run(None, {"input": x})}
                if res.get("opencl_f32"):
                    fns["opencl_f32"] = lambda: net(x, device="opencl")
                times = interleaved(fns, args.min_time)
                res.update({k: float(np.median(v)) for k, v in times.items()})
                res["ratio"] = float(np.median(np.array(times["ort_int8"]) / np.array(times["opencl"])))
            progress(f"   int8 {dev}: {res[dev] * 1e3:.1f} ms (cosine with float32 ORT {c:.4f})")
        progress(f"   ORT int8 QDQ {res['ort_int8'] * 1e3:.1f} ms (cosine with float32 ORT {res['cos_ort_int8']:.4f})")
        rows.append((name, res))
    ms = lambda t: f"{t * 1e3:.1f}" if t else "n/a"
    tab = table([(n, ms(r["opencl"]), ms(r["opencl_f32"]), ms(r["csim"]), ms(r["csim_f32"]), ms(r["ort_int8"]),
                  ms(r["ort_f32"]), f"{r['ratio']:.2f}x" if r.get("ratio") else "n/a",
                  "/".join(f"{r[k]:.3f}" if r.get(k) is not None else "n/a"
                           for k in ("cos_opencl", "cos_csim", "cos_ort_int8")))
                 for n, r in rows],
                [f"model int8 (batch 1, {x.shape[2]}x{x.shape[3]})", "fpgaops int8 opencl ms", "fpgaops f32 opencl ms",
                 "fpgaops int8 csim ms", "fpgaops f32 csim ms", "ORT int8 QDQ ms", "ORT f32 ms", "ORT int8/opencl int8",
                 "cosine vs f32 (opencl/csim/ORT int8)"])
    return "\n".join([
        "### int8", "",
        f"fpgaops `net.quantize` (minmax, per-channel weights, {args.calib} random-normal calibration images) "
        "against its float32 and against ONNX Runtime's int8 QDQ model (quant_pre_process + quantize_static, same "
        "calibration images), same run, same input; fpgaops int8, ORT int8 and fpgaops float32 opencl timed in the "
        "same interleaved rounds (medians; the ratio is the median of per-round ratios). Both fpgaops runners "
        "replay launch plans (the int8 one quantizes between float and int8 layers on the device). The cosine column compares each int8 output with the float32 "
        "ORT logits (random weights: a sanity check, not an accuracy figure; see docs/int8.md).", "",
        "```", tab, "```"] + ([""] + [f"- note: {n}" for n in dict.fromkeys(notes)] if notes else []))


if __name__ == "__main__":
    sys.exit(main())
