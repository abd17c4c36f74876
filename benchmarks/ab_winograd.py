"""A/B of the OpenCL Winograd path (issue 13): per-kernel device times (OpenCL event profiling) on
ResNet-18's 3x3 layers, batch 1, float32, baseline vs this checkout, interleaved in one process
(the machine is shared: alternate A and B, take medians).

    PYTHONPATH=python .venv/bin/python benchmarks/ab_winograd.py --base /path/to/other/checkout [--reps 15]

The baseline is another checkout's kernels/opencl/winograd.cl + backends/opencl/winograd.py
(e.g. a `git worktree` of main), loaded under another module name and built with its own
kernel source folder. Effective GFLOP/s = direct-conv FLOPs (2*K*OH*OW*C*9) / time; the
wino_gemm's own GFLOP/s = 2 * (m+2)^2 * tiles * C * K / its time. Each B result is checked
against the NumPy reference first."""
import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))
import fpgaops as fo  # noqa: E402
from fpgaops import config  # noqa: E402
from fpgaops.backends import get_device  # noqa: E402
from fpgaops.backends.opencl import conv_common, winograd as wino_b  # noqa: E402
from fpgaops.reference import conv2d as ref  # noqa: E402

LAYERS = [(64, 56), (128, 28), (256, 14), (512, 7)]


def load_base(root):
    """The other checkout's launcher as fpgaops.backends.opencl._wino_base, building its kernels
    from root/kernels (a define keeps its programs apart in the caches)."""
    spec = importlib.util.spec_from_file_location("fpgaops.backends.opencl._wino_base",
                                                  Path(root) / "python/fpgaops/backends/opencl/winograd.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    def program(backend, stem, defines):
        saved = config.kernel_source_dir
        config.kernel_source_dir = lambda: Path(root) / "kernels"
        try:
            return conv_common.program(backend, stem, list(defines) + ["-DFPGAOPS_AB_BASE=1"])
        finally:
            config.kernel_source_dir = saved
    mod.program = program
    return mod


class Profiler:
    def __init__(self, backend):
        cl = backend.cl
        self.backend, self.events = backend, None
        self.queue = cl.CommandQueue(backend.ctx, properties=cl.command_queue_properties.PROFILING_ENABLE)
        backend.finish()
        backend.queue = self.queue
        orig = backend.enqueue

        def enqueue(k, gsize, lsize, args):
            k.set_args(*args)
            ev = cl.enqueue_nd_range_kernel(self.queue, k, gsize, lsize)
            if self.events is not None:
                self.events.append((k.function_name, ev))
        backend.enqueue = enqueue
        self.orig = orig

    def run(self, fn):
        self.events = []
        fn()
        self.queue.finish()
        out = {}
        for name, ev in self.events:
            out[name] = out.get(name, 0.0) + (ev.profile.end - ev.profile.start) * 1e-9
        self.events = None
        return out


def ab_net(name, base, reps):
    """net(x) wall time (launch plan replay) of two copies of the network, one recorded with each
    launcher, alternated; the outputs are checked against each other and the first is printed
    against ORT-free reference tolerance by the tests, not here."""
    import time

    from fpgaops import models
    import fpgaops.backends.opencl.conv2d as c2d
    proto = models.build_onnx(name)
    x = np.random.default_rng(1).standard_normal((1, 3, 224, 224), dtype=np.float32)
    nets, outs = {}, {}
    for v, mod in (("A", base), ("B", wino_b)):
        nets[v] = fo.load_onnx(proto)
        c2d.winograd = mod
        try:
            outs[v] = [nets[v](x, device="opencl") for _ in range(3)][-1]
        finally:
            c2d.winograd = wino_b
    print(f"# {name}: max |A - B| {np.abs(outs['A'] - outs['B']).max():.2e} (max |A| {np.abs(outs['A']).max():.2e})")
    t = {"A": [], "B": []}
    for _ in range(reps):
        for v in "AB":
            t0 = time.perf_counter()
            nets[v](x, device="opencl")
            t[v].append(time.perf_counter() - t0)
    print(f"{name} net(x) median A {np.median(t['A'])*1e3:.2f} ms (min {min(t['A'])*1e3:.2f}), "
          f"B {np.median(t['B'])*1e3:.2f} ms (min {min(t['B'])*1e3:.2f})", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--layers", default="64,128,256,512")
    p.add_argument("--net", default="", help="also A/B this zoo network's net(x) at 224x224, e.g. resnet18")
    p.add_argument("--b-blocking", default="", help="B's wino_gemm (tb, kv), e.g. 8,4")
    args = p.parse_args()
    base = load_base(args.base)
    if args.b_blocking:
        tb, kv = (int(v) for v in args.b_blocking.split(","))
        wino_b.blocking = lambda backend: (tb, kv)
    dev = get_device("opencl")
    rng = np.random.default_rng(0)
    want = {int(s) for s in args.layers.split(",")}
    import fpgaops.backends.opencl.conv2d as c2d
    if args.net:
        ab_net(args.net, base, args.reps)   # before the profiler: its enqueue bypasses plan recording
    prof = Profiler(dev)
    for c, hw in LAYERS:
        if c not in want:
            continue
        x = rng.standard_normal((1, c, hw, hw), dtype=np.float32)
        w = (rng.standard_normal((c, c, 3, 3), dtype=np.float32) / np.sqrt(9 * c)).astype(np.float32)
        b = rng.standard_normal(c, dtype=np.float32)
        dx = fo.to_device(x, "opencl")
        dws = {v: fo.to_device(w, "opencl") for v in "AB"}   # own weight tensors: own transform caches
        db = fo.to_device(b, "opencl")
        mods = {"A": base, "B": wino_b}

        def call(v):
            c2d.winograd = mods[v]
            try:
                return fo.conv2d(dx, dws[v], db, 1, 1, algo="winograd", activation="relu")
            finally:
                c2d.winograd = wino_b
        m = 2 if hw < 10 else 4
        y = call("B").numpy()
        geo = (x, w, b, (1, 1), (1, 1), (1, 1), 1, (hw, hw))
        err = np.abs(y - ref.conv2d_float(*geo, "relu")) / ref.tolerance(*geo, winograd_m=m)
        print(f"# C={c} {hw}x{hw}: B max |err| / tolerance {err.max():.3f}", flush=True)
        assert err.max() <= 1.0, "B is wrong"
        times = {"A": [], "B": []}
        for _ in range(args.reps):
            for v in "AB":
                times[v].append(prof.run(lambda: call(v)))
        flops = 2.0 * c * hw * hw * c * 9
        tiles = (-(-hw // m)) ** 2
        gflops_gemm = 2.0 * (m + 2) ** 2 * tiles * c * c
        line = [f"C={c:3d} {hw:2d}x{hw:<2d} F({m},3)"]
        for v in "AB":
            names = sorted({k for t in times[v] for k in t if k != "wino_filter"})
            med = {k: float(np.median([t.get(k, 0.0) for t in times[v]])) for k in names}
            tots = [sum(val for k, val in t.items() if k != "wino_filter") for t in times[v]]
            tot, best = float(np.median(tots)), min(tots)
            parts = " ".join(f"{k.replace('wino_', '')} {med[k]*1e3:.3f}" for k in names)
            g = med.get("wino_gemm", 0.0)
            line.append(f"{v}: total {tot*1e3:.3f} ms (min {best*1e3:.3f}; {flops/tot/1e9:.0f} GF/s eff; "
                        f"gemm {gflops_gemm/g/1e9 if g else 0:.0f} GF/s) [{parts}]")
        print("\n   ".join(line), flush=True)


if __name__ == "__main__":
    main()
