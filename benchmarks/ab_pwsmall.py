"""A/B for issue 13's small-image 1x1 convs and 3-channel stems on the opencl device, by OpenCL
event profiling (device time), variants alternating round by round in one process.

    PYTHONPATH=python .venv/bin/python benchmarks/ab_pwsmall.py layers [--rounds 15]
    PYTHONPATH=python .venv/bin/python benchmarks/ab_pwsmall.py stems [--rounds 15]
    PYTHONPATH=python .venv/bin/python benchmarks/ab_pwsmall.py nets --before DIR [--rounds 15] [--models ...]

layers: every float32 1x1 stride-1 conv shape (C, K, H) of at most conv2d.opencl.pwt_max_pixels
pixels in MobileNetV2, V3-small, V3-large, EfficientNet-B0, ShuffleNetV2 x1.0 (1x3x224x224), each
run as conv_pw and as conv_pwt (backends/opencl/conv2d.py use_pwt forced), with bias; both checked
against NumPy first. Median device time per variant; the shipped rule's choice marked.
keys: the same layers (the shipped rules) with the shipped kernel config and with --set's
[conv2d.opencl] keys changed (e.g. pwt_kv=3), alternating.
stems: the 3-channel 3x3 stride-2 stems (K = 16, 24, 32, 64 at 224^2) on conv_im2col for several
(pb, kv) blockings (conv2d.py im2col_blocking forced), plus the shipped choice.
nets: whole networks, --before DIR's fpgaops (e.g. an unpacked `git archive main`: its python/
and kernels/) against this tree's, both imported in one process (ab_mnv3.py's Variant); per
round, alternating, each launch plan's LaunchPlan.timeline (device time: all kernels, and per
kernel name) and the wall of net(x). Medians, and paired after/before ratios.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))
sys.path.insert(0, str(HERE.parent / "tests" / "nets"))
import fpgaops as fo  # noqa: E402
from fpgaops.backends.opencl import conv2d as oc  # noqa: E402
from fpgaops.backends.opencl.conv_common import tunables  # noqa: E402
from ab_common import profiled_opencl, rotated_rounds  # noqa: E402

MODELS = ("mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0", "shufflenet_v2_x1_0")
SHIPPED = (oc.use_pwt, oc.use_rows, oc.im2col_blocking)


def onnx_of(name):
    if name in fo.models.NAMES:
        return fo.models.build_onnx(name)
    import tempfile

    import onnx
    import tv_models
    with tempfile.TemporaryDirectory() as d:
        tv_models.export(name, f"{d}/m.onnx", 17, (1, 3, 224, 224))
        return onnx.load(f"{d}/m.onnx")


def pointwise_shapes(names, max_pixels):
    """{(C, K, H, W): count} of the float32 1x1 stride-1 ungrouped convs on images of 2..max_pixels
    pixels, recorded from the launcher's calls while each network runs op by op."""
    shapes, run = {}, oc.run
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)

    def record(backend, call):
        if call.algo == "im2col" and oc.pointwise(call) and 1 < call.h * call.w <= max_pixels:
            key = (call.c, call.k, call.h, call.w)
            shapes[key] = shapes.get(key, 0) + 1
        return run(backend, call)
    oc.run = record
    try:
        for name in names:
            net = fo.load_onnx(onnx_of(name))
            net.launch_plans = False
            net(x, device="opencl")
    finally:
        oc.run = run
    return shapes


def alternated(dev, events, names, select, rng, c, k, h, w, rounds):
    """{variant: [conv_pw* device seconds per round]} of one random 1x1 conv C -> K on H x W, the
    variants ``names`` switched by ``select(v)`` and run in rotated order (the first round checks each
    against a float64 product, untimed)."""
    x = rng.standard_normal((1, c, h, w), dtype=np.float32)
    wt = (rng.standard_normal((k, c, 1, 1), dtype=np.float32) / np.sqrt(c)).astype(np.float32)
    b = rng.standard_normal(k, dtype=np.float32)
    want = (wt.reshape(k, c).astype(np.float64) @ x.reshape(c, -1)).reshape(1, k, h, w) + b[None, :, None, None]
    dx, dw, db = (fo.to_device(a, "opencl") for a in (x, wt, b))

    def run(v):
        select(v)
        return fo.conv2d(dx, dw, db, 1, 0, 1, 1, algo="im2col")

    def check(v, y):
        err = np.abs(y.numpy() - want).max() / max(1.0, np.abs(want).max())
        if not err < 1e-4:
            sys.exit(f"{v} wrong on C={c} K={k} {h}x{w}: rel err {err}")

    times = rotated_rounds(dev, events, names, run, check, rounds, keep=lambda n: n.startswith("conv_pw"))
    return times


def layers(args):
    dev, events = profiled_opencl()
    opencl = tunables(dev)["cfg"].conv2d.opencl
    vec, m = oc.pw_vec(dev), oc.pw_m(dev)
    rng = np.random.default_rng(0)
    shapes = pointwise_shapes(args.models.split(","), opencl.pwt_max_pixels) if args.models else {}
    for e in filter(None, args.extra.split(",")):  # C x K x H (square images)
        c, k, h = (int(v) for v in e.split("x"))
        shapes[(c, k, h, h)] = 0
    variants = {"pw": lambda *a: False, "pwt": lambda *a: True}
    print(f"{'C':>5} {'K':>5} {'HxW':>6} {'n':>2} | {'pw us':>7} {'pwt us':>7} | pwt/pw | shipped")
    tot = {"pw": 0.0, "pwt": 0.0, "shipped": 0.0, "best": 0.0}
    for (c, k, h, w), cnt in sorted(shapes.items(), key=lambda t: (t[0][2] * t[0][3], t[0][0], t[0][1])):
        times = alternated(dev, events, variants, lambda v: setattr(oc, "use_pwt", variants[v]), rng, c, k, h, w,
                           args.rounds)
        oc.use_pwt = SHIPPED[0]
        med = {v: statistics.median(t) for v, t in times.items()}
        ship = "pwt" if oc.use_pwt(h * w, c, k, vec, m, opencl) else "pw"
        for v in variants:
            tot[v] += cnt * med[v]
        tot["shipped"] += cnt * med[ship]
        tot["best"] += cnt * min(med.values())
        print(f"{c:5} {k:5} {h:>3}x{w:<2} {cnt:2} | {med['pw'] * 1e6:7.1f} {med['pwt'] * 1e6:7.1f} | "
              f"{med['pwt'] / med['pw']:5.2f}  | {ship}", flush=True)
    print("sum x count (ms): " + ", ".join(f"{k} {v * 1e3:.3f}" for k, v in tot.items()))


def keys(args):
    """The small-image 1x1 layers (as ``layers``) with the shipped kernel config (A) and a copy with
    --set's [conv2d.opencl] keys changed (B), the current config switched round by round."""
    import tempfile

    from fpgaops import config
    dev, events = profiled_opencl()
    cfg_a = config.current()
    src = config.default_path().read_text()
    for kv in args.set.split(","):
        key, val = kv.split("=")
        old = f"\n{key} = {getattr(cfg_a.conv2d.opencl, key)}\n"
        assert src.count(old) == 1, key
        src = src.replace(old, f"\n{key} = {val}\n")
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(src)
    cfg_b = config.load(f.name)
    rng = np.random.default_rng(0)
    shapes = pointwise_shapes(args.models.split(","), cfg_a.conv2d.opencl.pwt_max_pixels)
    tot = {"A": 0.0, "B": 0.0}
    print(f"B: {args.set}\n{'C':>5} {'K':>5} {'HxW':>6} {'n':>2} | {'A us':>7} {'B us':>7} | B/A")
    for (c, k, h, w), cnt in sorted(shapes.items(), key=lambda t: (t[0][2] * t[0][3], t[0][0], t[0][1])):
        times = alternated(dev, events, ("A", "B"),
                           lambda v: setattr(config, "_current", cfg_a if v == "A" else cfg_b), rng, c, k, h, w,
                           args.rounds)
        config._current = cfg_a
        med = {v: statistics.median(t) for v, t in times.items()}
        for v in med:
            tot[v] += cnt * med[v]
        print(f"{c:5} {k:5} {h:>3}x{w:<2} {cnt:2} | {med['A'] * 1e6:7.1f} {med['B'] * 1e6:7.1f} | "
              f"{med['B'] / med['A']:4.2f}", flush=True)
    print("sum x count (ms): " + ", ".join(f"{k} {v * 1e3:.3f}" for k, v in tot.items()))


def stems(args):
    dev, events = profiled_opencl()
    tun = tunables(dev)
    rng = np.random.default_rng(0)
    blockings = [tuple(int(v) for v in b.split("x")) for b in args.blockings.split(",")]
    no_rows = lambda *a: False
    variants = {f"im2col {pb}x{kv}": (no_rows, lambda be, kg, pb=pb, kv=kv: (pb, kv)) for pb, kv in blockings}
    variants["im2col config"] = (no_rows, lambda be, kg: (tun["pb"], tun["kv"]))
    variants["rows"] = (lambda *a: True, SHIPPED[2])
    for k in (16, 24, 32, 64):
        x = rng.standard_normal((1, 3, 224, 224), dtype=np.float32)
        wt = rng.standard_normal((k, 3, 3, 3), dtype=np.float32)
        b = rng.standard_normal(k, dtype=np.float32)
        with fo.device("reference"):
            want = fo.conv2d(x, wt, b, 2, 1, activation="hardswish")
        dx, dw, db = (fo.to_device(a, "opencl") for a in (x, wt, b))

        def run(v):
            oc.use_rows, oc.im2col_blocking = variants[v]
            return fo.conv2d(dx, dw, db, 2, 1, 1, 1, algo="im2col", activation="hardswish")

        def check(v, y):
            err = np.abs(y.numpy() - want).max() / max(1.0, np.abs(want).max())
            if not err < 1e-4:
                sys.exit(f"{v} wrong on K={k}: rel err {err}")

        # timed: the pad / phase split and the conv, not the (cached) weight packing
        times = rotated_rounds(dev, events, variants, run, check, args.rounds)
        oc.use_rows, oc.im2col_blocking = SHIPPED[1:]
        print(f"K={k:3}: " + ", ".join(f"{v} {statistics.median(t) * 1e6:.1f}" for v, t in times.items()) + " us",
              flush=True)


def nets(args):
    """--before DIR's fpgaops (e.g. an unpacked `git archive main`) against this tree's, both
    imported in this process as ab_mnv3.py does (Variant), each with its own launch plan."""
    from ab_mnv3 import Variant
    variants = [Variant("before", Path(args.before).resolve() / "python"), Variant("after", HERE.parent / "python")]
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    keys = ("all", "conv_pw*", "conv_rows", "conv_im2col", "conv_pad", "wall")  # conv_pw*: conv_pw, conv_pwt, conv_pw1
    match = lambda k, name: k == "all" or name == k or k.endswith("*") and name.startswith(k[:-1])
    for name in args.models.split(","):
        with variants[1]:
            proto = onnx_of(name)
        runs, plans, outs = {}, {}, {}
        for v in variants:
            with v as fo_v:
                net = fo_v.load_onnx(proto)
                dev = fo_v.get_device("opencl")
                for _ in range(3):
                    outs[v.name] = net(x, device=dev)
                runs[v.name], plans[v.name] = (lambda net=net, dev=dev: net(x, device=dev)), net.launch_plan(x, device=dev)
        a, b = outs["before"], outs["after"]
        if not np.allclose(a, b, rtol=1e-3, atol=1e-3 * np.abs(a).max()):
            sys.exit(f"{name}: after differs from before by {np.abs(a - b).max()}")
        dt = {v.name: {k: [] for k in keys} for v in variants}
        for rnd in range(args.rounds):
            for v in (variants if rnd % 2 else variants[::-1]):
                with v:
                    tl = plans[v.name].timeline([x])
                    for k in keys[:-1]:
                        dt[v.name][k].append(sum(r.end - r.start for r in tl.launches if match(k, r.name)))
                    time.sleep(0.01)
                    t0 = time.perf_counter()
                    runs[v.name]()
                    dt[v.name]["wall"].append(time.perf_counter() - t0)
        for v, d in dt.items():
            print(f"{name:19} {v:6}: " + ", ".join(f"{k} {statistics.median(t) * 1e3:.3f}" for k, t in d.items())
                  + " ms (medians: device time per kernel name from the timeline; wall = net(x))", flush=True)
        ratio = statistics.median(t1 / t0 for t0, t1 in zip(dt["before"]["all"], dt["after"]["all"]))
        wr = statistics.median(t1 / t0 for t0, t1 in zip(dt["before"]["wall"], dt["after"]["wall"]))
        print(f"{name:19} after/before: device {ratio:.3f}, wall {wr:.3f} (paired medians, {args.rounds} rounds)",
              flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("layers", "keys", "stems", "nets"))
    ap.add_argument("--set", default="", help="keys: [conv2d.opencl] keys of config B, key=value,...")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--before", default="/tmp/pwsmall_main", help="nets: the checkout whose python/ is 'before'")
    ap.add_argument("--extra", default="", help="layers: more shapes, CxKxH,... (counted 0 in the sums)")
    ap.add_argument("--blockings", default="6x2,12x2",
                    help="stems: pb x kv blockings of conv_im2col to compare")
    args = ap.parse_args()
    {"layers": layers, "keys": keys, "stems": stems, "nets": nets}[args.mode](args)


if __name__ == "__main__":
    main()
