"""A/B of the fused expansion 1x1 + depthwise pair (graph pass fuse_pwdw, kernels/opencl/pwdw.cl)
against the two unfused launches, on the opencl device, alternated in one process (medians).

    python benchmarks/ab_pwdw.py layers [--rounds 15] [--set pw_rows=4,pw_channels=4;pw_rows=8]
        MobileNetV2's (224x224) expansion + depthwise pairs: device time of the unfused conv_pw +
        dwconv_row launches and of pwdw_row under each [dwconv.opencl] key set (';'-separated).
    python benchmarks/ab_pwdw.py net [--rounds 11] [--size 224] [--batch 1] [--min-bytes N] [--min-ow N]
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

from ab_common import profiled_opencl, rotated_rounds  # noqa: E402

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

        want = []

        def check(v, y):
            got = y.numpy()
            want.append(got) if not want else None
            if not np.array_equal(got.view(np.int32), want[0].view(np.int32)):
                sys.exit(f"{v}: not bit-identical on {(c, e, h, s)}")

        times = rotated_rounds(dev, events, tot, run, check, args.rounds)
        med = {v: statistics.median(t) for v, t in times.items()}
        for v in med:
            tot[v] += cnt * med[v]
        # the median of the per-round speedups (unfused / fused, same round: the machine's load alike)
        pair = {v: statistics.median(a / b for a, b in zip(times["unfused"], times[v])) for v in cfgs}
        print(f"{c:4} {e:4} {h:4} {s} {cnt} | {med['unfused'] * 1e6:10.1f} | "
              + " | ".join(f"{med[v] * 1e6:8.1f} ({pair[v]:4.2f})" for v in cfgs), flush=True)
    print("sum x count (ms): " + ", ".join(f"{k} {v * 1e3:.3f}" for k, v in tot.items()))


def net(args):
    import onnxruntime as ort

    from fpgaops.models import build_onnx

    proto = build_onnx("mobilenet_v2")
    x = np.random.default_rng(0).standard_normal((args.batch, 3, args.size, args.size)).astype(np.float32)
    base = config.current()
    fused = f"pw_min_bytes={args.min_bytes}" + (f",pw_min_ow={args.min_ow}" if args.min_ow else "")
    cfgs = {"fused": config_with(fused), "unfused": config_with("pw_min_bytes=1000000000")}
    dev = fo.get_device("opencl")
    nets, plans, outs = {}, {}, {}
    for v, cfg in cfgs.items():
        config._current = cfg
        nets[v] = fo.load_onnx(proto)
        for _ in range(3):  # op by op, recorded, replayed
            outs[v] = nets[v](x, device=dev)
        plans[v] = nets[v].launch_plan(x, device=dev)
        print(f"{v}: {sum(n.op == 'PwDw' for n in nets[v].optimized(x).nodes)} PwDw nodes, "
              f"{plans[v].num_launches} launches", flush=True)
    config._current = base
    if outs["fused"].tobytes() != outs["unfused"].tobytes():
        sys.exit("fused logits differ from the unfused ones")
    print("fused vs unfused logits bit-identical")
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
    iname = sess.get_inputs()[0].name
    ref = sess.run(None, {iname: x})[0]
    print("max |fused - ORT| / max |ORT|: %.2e" % (np.abs(outs["fused"] - ref).max() / np.abs(ref).max()))
    t = {v: {"device": [], "wall": []} for v in cfgs}
    t["ORT"] = {"wall": []}
    order = ["fused", "unfused", "ORT"]
    for rnd in range(args.rounds):
        for v in (order if rnd % 2 else order[::-1]):
            if v != "ORT":
                config._current = cfgs[v]
                tl = plans[v].timeline([x])
                t[v]["device"].append(sum(r.end - r.start for r in tl.launches))
            time.sleep(0.01)
            t0 = time.perf_counter()
            nets[v](x, device=dev) if v != "ORT" else sess.run(None, {iname: x})
            t[v]["wall"].append(time.perf_counter() - t0)
            config._current = base
    med = statistics.median
    for v, d in t.items():
        print(f"mobilenet_v2 {args.size} b{args.batch} {v:8}: "
              + ", ".join(f"{m} {med(a) * 1e3:.3f} ms" for m, a in d.items()))
    pr = lambda a, b, m: med([p / q for p, q in zip(t[a][m], t[b][m])])
    print(f"paired medians over {args.rounds} rounds: fused/unfused device {pr('fused', 'unfused', 'device'):.3f}, "
          f"wall {pr('fused', 'unfused', 'wall'):.3f}; ORT/fused wall {pr('ORT', 'fused', 'wall'):.3f}, "
          f"ORT/unfused wall {pr('ORT', 'unfused', 'wall'):.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["layers", "net"])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--set", default="pw_rows=4,pw_channels=4")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--min-bytes", type=int, default=0)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--min-ow", type=int, default=0, help="pw_min_ow of the fused variant (0: the config's)")
    args = ap.parse_args()
    layers(args) if args.mode == "layers" else net(args)


if __name__ == "__main__":
    main()
