"""GEMM benchmark: fpgaops (opencl, csim) against NumPy/OpenBLAS and CLBlast on the same PoCL device.

    cd /work/main && PYTHONPATH=python .venv/bin/python benchmarks/bench_gemm.py [--sizes 256,512] [--min-time S] [--csim-max N] [--no-write]

Prints a table and writes (or replaces) the GEMM section of benchmarks/RESULTS.md.

Method
  * float32 C = A @ B with M = N = K = size, A and B uniform in [-1, 1); int8 A, B uniform in
    [-128, 127], int32 result. GFLOP/s (GOP/s for int8) = 2*M*N*K / time.
  * fpgaops opencl: device-resident. A and B are copied to the device once (fpgaops.to_device);
    a timed run is one fo.matmul on the device tensors plus the queue's finish, so it includes
    the packing kernels, the GEMM kernel and the launch overhead, but no host<->device copy.
  * CLBlast: pyclblast.gemm on pyopencl arrays in the *same* context and queue as the fpgaops
    opencl backend (so the same platform, chosen by fpgaops' rules), timed the same way.
  * NumPy: np.matmul(a, b, out=c) on host arrays (OpenBLAS, all cores).
  * csim: the HLS tops C-simulated natively; host arrays in and out (csim has no device
    memory). Sizes above --csim-max are not run.
  * Every case: one warm-up run (program build, scratch allocation), then timed runs in
    interleaved rounds (opencl, NumPy, CLBlast, csim, opencl, NumPy, ...) for at least
    --min-time seconds per backend (at least 3 runs, at most 50; csim at most 2 when it takes
    over 0.5 s). The best time is reported: the machine may be shared, the best run is the one
    least disturbed, and interleaving exposes every backend to the same background load.
  * Every fpgaops / CLBlast result is checked against NumPy (int8: bit-exact) before timing.
"""
import argparse
import importlib.metadata
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))
from results_md import RESULTS, cpu_model, write_section  # noqa: E402

import fpgaops as fo  # noqa: E402



def progress(msg):
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K" + msg)
    else:
        sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def best_times(runners, min_time, min_reps=3, max_reps=50, slow=0.5):
    """Best time of each callable in ``runners`` (name -> fn), measured in interleaved rounds
    (each round runs every runner once) so that all of them see the same background load. A
    runner slower than ``slow`` seconds (csim) gets at most 2 timed runs."""
    times = {name: [] for name in runners}
    start = time.perf_counter()
    while True:
        for name, fn in runners.items():
            ts = times[name]
            if len(ts) >= max_reps or (ts and min(ts) > slow and len(ts) >= 2):
                continue
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
        counts = [len(ts) for name, ts in times.items() if not (ts and min(ts) > slow)]
        if not counts or min(counts) >= max_reps:
            break
        if min(counts) >= min_reps and time.perf_counter() - start >= min_time * len(runners):
            break
    return {name: min(ts) for name, ts in times.items()}


def blas_info():
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '?')}"
    except (AttributeError, KeyError, TypeError):
        return "unknown BLAS"


def version(pkg):
    try:
        return importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def operands(dtype, n, rng):
    if dtype == np.int8:
        return (rng.integers(-128, 128, (n, n), dtype=np.int8), rng.integers(-128, 128, (n, n), dtype=np.int8))
    return (rng.uniform(-1, 1, (n, n)).astype(np.float32), rng.uniform(-1, 1, (n, n)).astype(np.float32))


def expected(a, b):
    if a.dtype == np.int8:
        # float64 BLAS is exact here (|sum| <= K * 2^14 < 2^53) and much faster than integer matmul
        return (a.astype(np.float64) @ b.astype(np.float64)).astype(np.int32)
    return a @ b


def check(name, got, want):
    if want.dtype == np.int32:
        if not np.array_equal(got, want):
            raise SystemExit(f"{name}: result differs from the exact int32 product")
    else:
        err = np.max(np.abs(got - want)) / max(1.0, float(np.max(np.abs(want))))
        if not err < 1e-4:
            raise SystemExit(f"{name}: relative error {err:.3g} against NumPy")


def prepare_fpgaops(dev_name, a, b):
    dev = fo.get_device(dev_name)
    with fo.device(dev):
        if dev_name == "opencl":
            ta, tb = fo.to_device(a), fo.to_device(b)
            check(f"{dev_name} {a.dtype} {a.shape[0]}", fo.matmul(ta, tb).numpy(), expected(a, b))

            def run():
                fo.matmul(ta, tb)
                dev.finish()
        else:
            check(f"{dev_name} {a.dtype} {a.shape[0]}", fo.matmul(a, b), expected(a, b))

            def run():
                fo.matmul(a, b)
        run()  # warm-up
        return run


def prepare_numpy(a, b):
    out = np.empty((a.shape[0], b.shape[1]), np.float32)

    def run():
        np.matmul(a, b, out=out)

    run()  # warm-up
    return run


def prepare_clblast(a, b):
    import pyclblast
    import pyopencl.array as cla

    be = fo.get_device("opencl")  # same context, queue and platform selection as fpgaops
    n = a.shape[0]
    da, db = cla.to_device(be.queue, a), cla.to_device(be.queue, b)
    dc = cla.zeros(be.queue, (n, n), np.float32)

    def run():
        pyclblast.gemm(be.queue, n, n, n, da, db, dc, a_ld=n, b_ld=n, c_ld=n)
        be.queue.finish()

    run()
    check(f"CLBlast float32 {n}", dc.get(), expected(a, b))
    return run


def fmt(gflops):
    return "—" if gflops is None else f"{gflops:.1f}"


def ratio(x, y):
    return "—" if x is None or y is None else f"{x / y:.2f}x"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="256,512,1024,2048", help="comma-separated M=N=K values")
    p.add_argument("--csim-max", type=int, default=1024, help="largest size run on csim (C-simulation is slow)")
    p.add_argument("--min-time", type=float, default=1.0, help="seconds of timed runs per case (best taken)")
    p.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    avail = {d.name: d for d in fo.devices()}
    if not avail["opencl"].available:
        raise SystemExit(f"opencl backend unavailable: {avail['opencl'].detail}")
    has_csim = avail["csim"].available
    csim_note = "" if has_csim else f"csim skipped: {avail['csim'].detail}"
    try:
        import pyclblast  # noqa: F401
        has_clblast, clblast_note = True, ""
    except ImportError as e:
        has_clblast, clblast_note = False, f"CLBlast skipped: {e}"

    be = fo.get_device("opencl")
    header = [
        f"- CPU: {cpu_model()}",
        f"- OpenCL: {be.platform.name} — {be.platform.version.strip()}; device {be.device.name.strip()} "
        f"({be.device.max_compute_units} compute units)",
        f"- NumPy {np.__version__} with {blas_info()}; pyopencl {version('pyopencl')}; pyclblast {version('pyclblast')}",
        f"- fpgaops {fo.__version__}, kernel config {fo.config.current().digest} "
        f"(gemm.opencl: {dict((k.split('.')[-1], v) for k, v in fo.config.current().values.items() if k.startswith('gemm.opencl.'))})",
        f"- load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]

    rng = np.random.default_rng(0)
    cases = []  # (dtype, size, column)
    for n in sizes:
        cases += [(np.float32, n, "opencl"), (np.float32, n, "NumPy")]
        if has_clblast:
            cases.append((np.float32, n, "CLBlast"))
        if has_csim and n <= args.csim_max:
            cases.append((np.float32, n, "csim"))
    for n in sizes:
        cases.append((np.int8, n, "opencl"))
        if has_csim and n <= args.csim_max:
            cases.append((np.int8, n, "csim"))

    res = {}
    groups = {}  # (dtype, size) -> columns, measured together
    for dtype, n, col in cases:
        groups.setdefault((dtype, n), []).append(col)
    for i, ((dtype, n), cols) in enumerate(groups.items()):
        name = np.dtype(dtype).name
        progress(f"[{i + 1}/{len(groups)}] {name} {n}^3 on {', '.join(cols)} ...")
        a, b = operands(dtype, n, rng)
        runners = {}
        for col in cols:
            if col in ("opencl", "csim"):
                runners[col] = prepare_fpgaops(col, a, b)
            elif col == "NumPy":
                runners[col] = prepare_numpy(a, b)
            else:
                runners[col] = prepare_clblast(a, b)
        for col, t in best_times(runners, args.min_time).items():
            res[(name, n, col)] = 2.0 * n ** 3 / t / 1e9
    progress("done.\n")
    header.append(f"- load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
                  f"(other processes share the {os.cpu_count()} CPUs; see the method in the script's docstring)")

    def get(dt, n, col):
        return res.get((dt, n, col))

    lines = ["### float32 SGEMM, GFLOP/s (M = N = K)", "",
             "| size | fpgaops opencl | fpgaops csim | NumPy (OpenBLAS) | CLBlast (same PoCL device) "
             "| opencl / CLBlast | opencl / NumPy |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        o, nump, clb = get("float32", n, "opencl"), get("float32", n, "NumPy"), get("float32", n, "CLBlast")
        csim = get("float32", n, "csim")
        csim_s = fmt(csim) if has_csim and n <= args.csim_max else ("capped" if has_csim else "skipped")
        lines.append(f"| {n} | {fmt(o)} | {csim_s} | {fmt(nump)} | {fmt(clb)} | {ratio(o, clb)} | {ratio(o, nump)} |")
    lines += ["", "### int8 x int8 -> int32 GEMM, GOP/s (M = N = K; exact)", "",
              "| size | fpgaops opencl | fpgaops csim | opencl int8 / float32 |", "|---:|---:|---:|---:|"]
    for n in sizes:
        o, csim = get("int8", n, "opencl"), get("int8", n, "csim")
        csim_s = fmt(csim) if has_csim and n <= args.csim_max else ("capped" if has_csim else "skipped")
        lines.append(f"| {n} | {fmt(o)} | {csim_s} | {ratio(o, get('float32', n, 'opencl'))} |")
    notes = []
    if 1024 in sizes and has_clblast:
        o, nump, clb = get("float32", 1024, "opencl"), get("float32", 1024, "NumPy"), get("float32", 1024, "CLBlast")
        ok = o >= 3 * clb and o >= 0.35 * nump
        notes.append(f"- Target at 1024 (opencl >= 3x CLBlast and >= 35% of NumPy): "
                     f"{'met' if ok else 'NOT met'} ({o / clb:.1f}x CLBlast, {100 * o / nump:.0f}% of NumPy).")
    notes.append("- opencl timings are device-resident: operands copied to the device once, each timed run is "
                 "fo.matmul on device tensors + queue finish (packing kernels and launches included, no "
                 "host<->device copies). CLBlast is timed the same way on the same context and queue. "
                 "NumPy and csim take host arrays. Best of repeated runs taken in interleaved rounds across backends (shared machine).")
    for note in (csim_note, clblast_note):
        if note:
            notes.append(f"- {note}")

    body = "\n".join(["## GEMM", "", f"Generated by `benchmarks/bench_gemm.py` on {time.strftime('%Y-%m-%d %H:%M %Z')}.",
                      "", *header, "", *lines, "", *notes])
    print(body)
    if not args.no_write:
        write_section("bench_gemm", body)
        print(f"\nwrote the GEMM section of {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
