"""A/B for graph/shuffle.py's fuse_channel_shuffle on ShuffleNetV2 (opencl), alternated in one process:
the same network loaded with the pass ("fused") and without it ("unfused"), and ONNX Runtime.

    PYTHONPATH=python .venv/bin/python benchmarks/ab_shuffle.py [--model shufflenet_v2_x1_0] [--rounds 15]

Per round, in alternating order: each variant's launch plan replayed once on a profiling queue
(LaunchPlan.timeline: device time of all kernels, of the copy kernels copy_b4 + shuffle2_b4, and the
launch count) and the wall of net(x); ORT's wall (--threads intra-op threads). Medians, and paired
fused/unfused ratios. The fused logits must be the unfused ones' bytes.
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))
sys.path.insert(0, str(HERE.parent / "tests" / "nets"))
import fpgaops as fo  # noqa: E402
from fpgaops.graph import passes  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="shufflenet_v2_x1_0")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    args = ap.parse_args()
    import onnxruntime as ort
    import tv_models

    x = tv_models.images((args.batch, 3, 224, 224), seed=1)
    with tempfile.TemporaryDirectory() as d:
        path = f"{d}/m.onnx"
        tv_models.export(args.model, path, 17, (1, 3, 224, 224))
        fused = fo.load_onnx(path)
        real = passes.fuse_channel_shuffle
        passes.fuse_channel_shuffle = lambda g: g
        try:
            unfused = fo.load_onnx(path)
            unfused.optimized(x)  # specialized for x without the pass
        finally:
            passes.fuse_channel_shuffle = real
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    dev = fo.get_device("opencl")
    nets = {"fused": fused, "unfused": unfused}
    outs = {}
    for k, net in nets.items():
        for _ in range(3):  # op by op, recorded, replayed
            outs[k] = net(x, device=dev)
    if outs["fused"].tobytes() != outs["unfused"].tobytes():
        sys.exit("fused logits differ from the unfused ones")
    want = sess.run(None, {"input": x})[0]
    print(f"relative error vs ORT: {np.abs(outs['fused'] - want).max() / np.abs(want).max():.2e}", file=sys.stderr)
    plans = {k: net.launch_plan(x, device=dev) for k, net in nets.items()}
    keys = ("launches", "device", "copies", "wall")
    t = {k: {m: [] for m in keys} for k in nets}
    t["ORT"] = {"wall": []}
    order = ["fused", "unfused", "ORT"]
    for rnd in range(args.rounds):
        for k in (order if rnd % 2 else order[::-1]):
            if k != "ORT":
                tl = plans[k].timeline([x])
                t[k]["launches"].append(len(tl.launches))
                t[k]["device"].append(sum(r.end - r.start for r in tl.launches))
                t[k]["copies"].append(sum(r.end - r.start for r in tl.launches
                                          if r.name.startswith(("copy_", "shuffle2_"))))
            time.sleep(0.01)
            t0 = time.perf_counter()
            nets[k](x, device=dev) if k != "ORT" else sess.run(None, {"input": x})
            t[k]["wall"].append(time.perf_counter() - t0)
    med = lambda v: statistics.median(v)
    for k, d in t.items():
        print(f"{args.model} b{args.batch} {k:8}: " + ", ".join(
            f"{m} {med(v):.0f}" if m == "launches" else f"{m} {med(v) * 1e3:.3f} ms" for m, v in d.items()))
    pr = lambda a, b, m: med([p / q for p, q in zip(t[a][m], t[b][m])])
    print(f"paired medians over {args.rounds} rounds: fused/unfused device {pr('fused', 'unfused', 'device'):.3f}, "
          f"wall {pr('fused', 'unfused', 'wall'):.3f}; ORT/fused wall {pr('ORT', 'fused', 'wall'):.3f}, "
          f"ORT/unfused wall {pr('ORT', 'unfused', 'wall'):.3f}")


if __name__ == "__main__":
    main()
