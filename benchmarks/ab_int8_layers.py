"""A/B of the OpenCL int8 conv forms against float32, layer by layer (issue 13, benchmarks/RESULTS.md).

For each layer shape (ResNet-18 and MobileNetV2 convolutions at 224x224, batch 1), in one process and
interleaved round by round: fpgaops float32 (algo auto, as the network runner picks), int8 with the
VNNI form (gemm.opencl.int8_vnni = 1, where the CPU has VNNI) and int8 with the int16-pair form
(int8_vnni = 0), optionally float32 conv_im2col with kv (AVX2 blocking) against kv_avx512. Each
figure is the median over rounds of the *device* time of the layer's kernels (OpenCL profiling
events, packing of the cached weights excluded), so other jobs on the machine mostly show up as
noise, not as bias between the variants.

    PYTHONPATH=python python benchmarks/ab_int8_layers.py [--rounds 7] [--kv]
"""
import argparse
import statistics

import numpy as np

import fpgaops as fo
from fpgaops import config
from fpgaops.backends.opencl import isa
from fpgaops.transfer import to_device

from ab_common import profiled_opencl  # noqa: E402  (benchmarks/ is the script's folder)

# name: (C, H, K, R, stride, groups)
LAYERS = {
    "r18 stem 3->64 7x7/2": (3, 224, 64, 7, 2, 1),
    "r18 64->64 3x3 56": (64, 56, 64, 3, 1, 1),
    "r18 64->128 3x3/2": (64, 56, 128, 3, 2, 1),
    "r18 128->128 3x3 28": (128, 28, 128, 3, 1, 1),
    "r18 128->256 3x3/2": (128, 28, 256, 3, 2, 1),
    "r18 256->256 3x3 14": (256, 14, 256, 3, 1, 1),
    "r18 256->512 3x3/2": (256, 14, 512, 3, 2, 1),
    "r18 512->512 3x3 7": (512, 7, 512, 3, 1, 1),
    "r18 down 128->256 1x1/2": (128, 28, 256, 1, 2, 1),
    "mv2 pw 16->96 112": (16, 112, 96, 1, 1, 1),
    "mv2 pw 144->24 56": (144, 56, 24, 1, 1, 1),
    "mv2 pw 24->144 56": (24, 56, 144, 1, 1, 1),
    "mv2 pw 192->32 28": (192, 28, 32, 1, 1, 1),
    "mv2 pw 384->64 14": (384, 14, 64, 1, 1, 1),
    "mv2 pw 576->96 14": (576, 14, 96, 1, 1, 1),
    "mv2 pw 960->160 7": (960, 7, 160, 1, 1, 1),
    "mv2 pw 320->1280 7": (320, 7, 1280, 1, 1, 1),
    "mv2 dw 144 3x3 56": (144, 56, 144, 3, 1, 144),
}
SKIP = ("pack", "wsum")  # weight packing: cached for constant weights, not per inference


def config_with(**keys):
    """The shipped kernel config with ``key = value`` lines replaced (a KernelConfig object)."""
    src = config.default_path().read_text()
    for k, v in keys.items():
        line = next(l for l in src.splitlines() if l.startswith(f"{k} = "))
        src = src.replace(f"\n{line}\n", f"\n{k} = {v}\n")
    return config.KernelConfig(config.tomllib.loads(src), source="ab_int8_layers")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--kv", action="store_true", help="also im2col with conv2d.opencl.kv vs kv_avx512")
    p.add_argument("--only", default="", help="layers whose name contains this")
    args = p.parse_args(argv)
    be, events = profiled_opencl()
    cl = be.cl
    found = isa.detect(be)

    shipped = config.current()
    cfgs = {"f32": shipped, "i8 vnni": config_with(int8_vnni=1), "i8 pairs": config_with(int8_vnni=0)}
    if args.kv:
        cfgs["f32 kv"] = shipped
        cfgs["f32 kv_avx512"] = shipped
        cfgs["i8 vnni kv"] = cfgs["i8 vnni"]
    rng = np.random.default_rng(0)
    rows = []
    for name, (c, h, k, r, st, g) in LAYERS.items():
        if args.only not in name:
            continue
        pad = r // 2
        xf = to_device(rng.standard_normal((1, c, h, h), dtype=np.float32), "opencl")
        wf = to_device(rng.standard_normal((k, c // g, r, r), dtype=np.float32), "opencl")
        bf = to_device(rng.standard_normal(k, dtype=np.float32), "opencl")
        xq = to_device(rng.integers(-128, 128, (1, c, h, h), dtype=np.int8), "opencl")
        wq = to_device(rng.integers(-127, 128, (k, c // g, r, r), dtype=np.int8), "opencl")
        bq = to_device(rng.integers(-2**14, 2**14, k).astype(np.int32), "opencl")
        q = dict(input_scale=0.02, input_zero_point=-128, weight_scale=np.full(k, 0.01), output_scale=0.1,
                 output_zero_point=-128)
        runs = {
            "f32": lambda: fo.conv2d(xf, wf, bf, st, pad, 1, g, activation="relu"),
            "i8 vnni": lambda: fo.conv2d(xq, wq, bq, st, pad, 1, g, activation="relu", **q),
            "i8 pairs": lambda: fo.conv2d(xq, wq, bq, st, pad, 1, g, activation="relu", **q),
        }
        if args.kv and g == 1 and r > 1:
            runs["f32 kv"] = lambda: fo.conv2d(xf, wf, bf, st, pad, 1, g, algo="im2col", activation="relu")
            runs["f32 kv_avx512"] = runs["f32 kv"]
            runs["i8 vnni kv"] = runs["i8 vnni"]  # int8 conv_im2col with the AVX2 blocking
        if not found.vnni:
            runs.pop("i8 vnni")
            runs.pop("i8 vnni kv", None)
        times = {v: [] for v in runs}
        for rnd in range(args.rounds + 1):
            for v, fn in runs.items():
                config._current = cfgs[v]
                saved = isa.detect
                if v in ("f32 kv", "i8 vnni kv"):  # the AVX2 blocking on this device
                    isa.detect = lambda backend, _f=found: _f._replace(avx512=False)
                try:
                    events.clear()
                    y = fn()
                    be.finish()
                finally:
                    isa.detect = saved
                del y
                if rnd:  # round 0: builds and packs
                    times[v].append(sum(ev.profile.end - ev.profile.start for n, ev in events
                                        if not any(s in n for s in SKIP)) * 1e-9)
        config._current = shipped
        med = {v: statistics.median(t) for v, t in times.items()}
        rows.append((name, med))
        line = "  ".join(f"{v} {med[v] * 1e3:7.3f}" for v in med)
        print(f"{name:26s} {line}", flush=True)
    cols = list(rows[0][1])
    print("\n| layer | " + " | ".join(f"{c} ms" for c in cols) + " | int8 best / f32 |")
    print("|---|" + "---:|" * (len(cols) + 1))
    for name, med in rows:
        best8 = min(med.get("i8 vnni", np.inf), med["i8 pairs"])
        print(f"| {name} | " + " | ".join(f"{med[c] * 1e3:.3f}" if c in med else "-" for c in cols) + f" | {best8 / med['f32']:.2f} |")
    tot = {c: sum(m[c] for _, m in rows if c in m) for c in cols}
    print("| total | " + " | ".join(f"{tot[c] * 1e3:.2f}" for c in cols) + " | |")


if __name__ == "__main__":
    main()
