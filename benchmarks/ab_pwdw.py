"""A/B of the fused expansion 1x1 + depthwise pair (graph pass fuse_pwdw, kernels/opencl/pwdw.cl)
against the two unfused launches, on the opencl device, alternated in one process (medians).

    python benchmarks/ab_pwdw.py layers [--rounds 15] [--set pw_rows=4,pw_channels=4;pw_rows=8]
        MobileNetV2's (224x224) expansion + depthwise pairs: device time of the unfused conv_pw +
        dwconv_row launches and of pwdw_row under each [dwconv.opencl] key set (';'-separated).
    python benchmarks/ab_pwdw.py net [--rounds 11] [--size 224] [--min-bytes N]
        MobileNetV2 float32: device time (sum of kernel times) and wall time per inference, fused
        (dwconv.opencl.pw_min_bytes = N) vs unfused (fusion off), with ONNX Runtime (2 threads) in the
        same rounds; medians and the median of the per-round paired ratios.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import fpgaops as fo  # noqa: E402
from fpgaops import config  # noqa: E402
from fpgaops.backends.opencl import pwdw  # noqa: E402

from ab_common import profiled_opencl  # noqa: E402

# MobileNetV2 (224x224) pairs: (C, E, H, stride) -> how many
MNV2 = {(16, 96, 112, 2): 1, (24, 144, 56, 1): 1, (24, 144, 56, 2): 1, (32, 192, 28, 1): 2, (32, 192, 28, 2): 1,
        (64, 384, 14, 1): 4, (96, 576, 14, 1): 2, (96, 576, 14, 2): 1, (160, 960, 7, 1): 3}


def config_with(sets):
    """A KernelConfig: the shipped one with [dwconv.opencl] keys changed ("k=v,k=v")."""
    src = config.default_path().read_text()
    cur = config.current()
    for kv in filter(None, sets.split(",")):
        key, val = kv.split("=")
        old = f"\n{key} = {getattr(cur.dwconv.opencl, key)}\n"
        assert src.count(old) == 1, key
        src = src.replace(old, f"\n{key} = {val}\n")
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(src)
    return config.load(f.name)


def layers(args):
    dev, events = profiled_opencl()
    base = config.current()
    cfgs = {s: config_with(s) for s in args.set.split(";")}
    rng = np.random.default_rng(0)
    tot = {v: 0.0 for v in ["unfused", *cfgs]}
    print(f"{'C':>4} {'E':>4} {'H':>4} s n | unfused us | " + " | ".join(f"{s} us (x)" for s in cfgs))
    for (c, e, h, s), cnt in MNV2.items():
        x = fo.to_device(rng.standard_normal((1, c, h, h), dtype=np.float32), dev)
        w1 = fo.to_device((rng.standard_normal((e, c, 1, 1)) / np.sqrt(c)).astype(np.float32), dev)
        w2 = fo.to_device(rng.standard_normal((e, 1, 3, 3)).astype(np.float32), dev)
        b1, b2 = (fo.to_device(rng.standard_normal(e).astype(np.float32), dev) for _ in range(2))

        def run(v):
            if v == "unfused":
                hh = fo.conv2d(x, w1, b1, activation="relu6")
                return fo.conv2d(hh, w2, b2, stride=s, padding=1, groups=e, activation="relu6")
            config._current = cfgs[v]
            try:
                return pwdw.run(dev, x, w1, b1, "relu6", w2, b2, "relu6", (s, s), (1, 1))
            finally:
                config._current = base

        times = {v: [] for v in tot}
        want = None
        for rnd in range(args.rounds + 1):
            order = list(tot)
            order = order[rnd % len(order):] + order[:rnd % len(order)]
            for v in order:
                events.clear()
                y = run(v)
                dev.finish()
                if rnd == 0:
                    got = y.numpy()
                    want = got if want is None else want
                    if not np.array_equal(got.view(np.int32), want.view(np.int32)):
                        sys.exit(f"{v}: not bit-identical on {(c, e, h, s)}")
                else:
                    times[v].append(sum((ev.profile.end - ev.profile.start) * 1e-9 for n, ev in events
                                        if not n.endswith("_pack")))
        med = {v: statistics.median(t) for v, t in times.items()}
        for v in med:
            tot[v] += cnt * med[v]
        print(f"{c:4} {e:4} {h:4} {s} {cnt} | {med['unfused'] * 1e6:10.1f} | "
              + " | ".join(f"{med[v] * 1e6:8.1f} ({med['unfused'] / med[v]:4.2f})" for v in cfgs), flush=True)
    print("sum x count (ms): " + ", ".join(f"{k} {v * 1e3:.3f}" for k, v in tot.items()))


def net(args):
    import onnxruntime as ort

    from fpgaops.models import build_onnx

    proto = build_onnx("mobilenet_v2")
    x = np.random.default_rng(0).standard_normal((1, 3, args.size, args.size)).astype(np.float32)
    base = config.current()
    cfgs = {"fused": config_with(f"pw_min_bytes={args.min_bytes}"), "unfused": config_with("pw_min_bytes=1000000000")}
    nets, plans, outs = {}, {}, {}
    for v, cfg in cfgs.items():
        config._current = cfg
        nets[v] = fo.load_onnx(proto)
        plans[v] = nets[v].launch_plan(x, device="opencl")
        outs[v] = plans[v].run([x])[0]
        outs[v] = outs[v].numpy() if hasattr(outs[v], "numpy") else np.asarray(outs[v])
        print(f"{v}: {sum(n.op == 'PwDw' for n in nets[v].optimized(x).nodes)} PwDw nodes", flush=True)
    config._current = base
    same = np.array_equal(outs["fused"].view(np.int32), outs["unfused"].view(np.int32))
    print(f"fused vs unfused logits bit-identical: {same}")
    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads = 2, 1
    sess = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
    iname = sess.get_inputs()[0].name
    ref = sess.run(None, {iname: x})[0]
    print("max |fused - ort| / max|ort|: %.2e" % (np.abs(outs["fused"] - ref).max() / np.abs(ref).max()))
    dev_t = {v: [] for v in cfgs}
    wall = {v: [] for v in [*cfgs, "ort"]}
    for rnd in range(args.rounds + 1):
        order = [*cfgs, "ort"]
        order = order[rnd % 3:] + order[:rnd % 3]
        for v in order:
            if v == "ort":
                t0 = time.perf_counter()
                sess.run(None, {iname: x})
                dt = time.perf_counter() - t0
            else:
                config._current = cfgs[v]
                t0 = time.perf_counter()
                y = plans[v].run([x])[0]
                _ = y.numpy() if hasattr(y, "numpy") else y
                dt = time.perf_counter() - t0
                kt = plans[v].kernel_times([x])
                config._current = base
                if rnd:
                    dev_t[v].append(sum(t for _, t in kt) if not isinstance(kt, dict) else sum(kt.values()))
            if rnd:
                wall[v].append(dt)
    med = lambda a: statistics.median(a) * 1e3
    ratio = lambda a, b: statistics.median([p / q for p, q in zip(a, b)])
    print(f"device ms: fused {med(dev_t['fused']):.3f} unfused {med(dev_t['unfused']):.3f} "
          f"paired fused/unfused {ratio(dev_t['fused'], dev_t['unfused']):.3f}")
    print(f"wall ms: fused {med(wall['fused']):.3f} unfused {med(wall['unfused']):.3f} ort {med(wall['ort']):.3f}; "
          f"paired fused/unfused {ratio(wall['fused'], wall['unfused']):.3f}; "
          f"ort/fused {ratio(wall['ort'], wall['fused']):.3f}, ort/unfused {ratio(wall['ort'], wall['unfused']):.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["layers", "net"])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--set", default="pw_rows=4,pw_channels=4")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--min-bytes", type=int, default=0)
    args = ap.parse_args()
    layers(args) if args.mode == "layers" else net(args)


if __name__ == "__main__":
    main()
