"""ONNX Runtime's own per-node profile of its int8 QDQ model of a zoo network (quant_pre_process +
quantize_static, as bench_nets.py builds it; 2 threads): which nodes run, by op type, and their
median time over the last 25 of 30 runs (ORT's profiler, enable_profiling). Shows which layers of
ORT's "int8" model stay float32 (benchmarks/RESULTS.md, issue 13).

    PYTHONPATH=python python benchmarks/ort_profile.py [--model mobilenet_v2]
"""
import argparse
import collections
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_nets import ort_int8_session  # noqa: E402

from fpgaops import models  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="mobilenet_v2")
    args = p.parse_args(argv)
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    calib = np.random.default_rng(1).standard_normal((2, 3, 224, 224)).astype(np.float32)
    proto = models.build_onnx(args.model)

    with tempfile.TemporaryDirectory() as d:
        sess = ort_int8_session(proto, calib, 2, profile_prefix=os.path.join(d, "prof"))
        for _ in range(30):
            sess.run(None, {"input": x})
        with open(sess.end_profiling()) as f:
            events = json.load(f)
    per = collections.defaultdict(list)
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            per[(e["name"][:-len("_kernel_time")], e["args"].get("op_name"))].append(e["dur"])
    rows = [(name, op, statistics.median(v[5:])) for (name, op), v in per.items()]
    by_op = collections.defaultdict(lambda: [0, 0.0])
    for _name, op, us in rows:
        by_op[op][0] += 1
        by_op[op][1] += us
    print(f"{args.model}, ORT int8 QDQ: {sum(us for *_, us in rows) / 1e3:.2f} ms in its nodes (ORT's profiler)")
    for op, (n, us) in sorted(by_op.items(), key=lambda kv: -kv[1][1]):
        print(f"  {op:28s} {n:3d} nodes {us / 1e3:6.2f} ms")
    print("float32 Conv nodes: " + " ".join(name.split("_token")[0] for name, op, _ in rows if op == "Conv"))


if __name__ == "__main__":
    main()
