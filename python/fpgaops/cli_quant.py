"""``fpgaops quantize``: post-training int8 quantization of a network from the command line.

    fpgaops quantize MODEL --calib calib.npy [--method minmax|percentile|entropy] [--per-tensor]
                     [--skip first last NODE...] [--report [--data val.npz] [--plot sqnr.png]]

MODEL is an ONNX file or a zoo name (as for ``fpgaops run``). ``--calib`` and ``--data`` are
``.npy`` files holding a batch of inputs (N, ...) or ``.npz`` files with the inputs under ``x``
(and class labels under ``y``), or ``random:N`` for N random-normal inputs of the model's shape
(``--size`` for zoo models). With ``--report`` the int8 network is compared with the float one
(``fpgaops.compare``: per-layer SQNR, cosine similarity, top-1 agreement, accuracy with labels)
and the per-layer SQNR is plotted to a PNG.

    fpgaops qdq MODEL_INT8.onnx [--data x.npy | random:N] [--device D] [--propagate]

runs a pre-quantized ONNX model (QDQ or QOperator, e.g. from onnxruntime's quantize_static) on the
int8 kernels and compares it with ONNX Runtime layer by layer (``ImportedNetwork.trace``).
"""
import json
import os

import numpy as np


def _load(spec, net, size, what):
    import fpgaops

    if spec.startswith("random:"):
        try:
            n = int(spec.split(":", 1)[1])
        except ValueError:
            raise fpgaops.ArgumentError(what, f"expected random:N, got {spec!r}") from None
        if n < 1:
            raise fpgaops.ArgumentError(what, f"expected random:N with N >= 1, got {spec!r}")
        shp = dict(net.input_shapes)[net.input_names[0]] or (None, 3, None, None)
        shape = [n] + [d if d is not None else size for d in shp[1:]]
        return np.random.default_rng(0 if what == "calib" else 1).standard_normal(shape).astype(np.float32), None
    if not os.path.isfile(spec):
        raise fpgaops.ArgumentError(what, f"file {spec!r} not found")
    if spec.endswith(".npz"):
        with np.load(spec, allow_pickle=False) as z:
            if "x" not in z.files:
                raise fpgaops.ArgumentError(what, f"{spec!r} has no array 'x' (found {z.files})")
            return z["x"].astype(np.float32), (z["y"] if "y" in z.files else None)
    return np.load(spec, allow_pickle=False).astype(np.float32), None


def cmd_quantize(args):
    import fpgaops

    from .cli_nets import open_model

    net, desc = open_model(args.model, args.weights, args.fallback)
    calib, _ = _load(args.calib, net, args.size, "calib")
    bs = max(1, args.batch_size)
    batches = [calib[i:i + bs] for i in range(0, len(calib), bs)]
    print(f"model  {desc}\ncalib  {args.calib}: {len(calib)} inputs {tuple(calib.shape[1:])} in {len(batches)} "
          f"batch(es)\nmethod {args.method}, weights per-{'tensor' if args.per_tensor else 'channel'}"
          + (f", float layers: {args.skip}" if args.skip else ""))
    qnet = net.quantize(batches, method=args.method, per_channel=not args.per_tensor, skip=args.skip or ())
    layers = qnet.layers(calib[:1])
    n8 = sum(1 for _, _, dt, _ in layers if dt == "int8")
    print(f"int8   {n8} of {len(layers)} layers on the int8 kernels")
    for name, why in sorted(qnet.float_nodes.items()):
        print(f"  float32: {name} ({why})")
    if args.save_qparams:
        with open(args.save_qparams, "w") as f:
            json.dump({k: {"scale": q.scale, "zero_point": q.zero_point} for k, q in qnet.qparams.items()}, f, indent=1)
        print(f"qparams saved to {args.save_qparams}")
    if not args.report:
        return 0
    data, labels = (calib, None) if not args.data else _load(args.data, net, args.size, "data")
    if args.labels:
        labels = np.load(args.labels, allow_pickle=False)
    rep = fpgaops.compare(net, qnet, data, labels=labels, device=args.device, batch_size=bs)
    print()
    print(rep)
    plot = args.plot or (os.path.splitext(os.path.basename(args.model))[0] + "_int8_sqnr.png")
    rep.plot(plot, title=f"{os.path.basename(args.model)} int8 ({args.method}): per-layer SQNR")
    print(f"per-layer SQNR plot saved to {plot}")
    return 0


def add_arguments(p):
    p.add_argument("model", help="an ONNX file or a zoo name (resnet18, ..., mobilenet_v3_large)")
    p.add_argument("--calib", required=True, help="calibration inputs: .npy (N, ...), .npz with 'x', or random:N")
    p.add_argument("--method", default="minmax", choices=["minmax", "percentile", "entropy"])
    p.add_argument("--per-tensor", action="store_true", help="one weight scale per tensor (default: per channel)")
    p.add_argument("--skip", nargs="*", default=None, help="layers that stay float32: node names, 'first', 'last'")
    p.add_argument("--batch-size", type=int, default=32, help="calibration / report batch size")
    p.add_argument("--report", action="store_true", help="compare int8 with float32 and plot per-layer SQNR")
    p.add_argument("--data", default=None, help="report data (default: the calibration inputs); .npz 'y' = labels")
    p.add_argument("--labels", default=None, help="a .npy of class labels for --data (accuracy)")
    p.add_argument("--plot", default=None, help="PNG path of the SQNR plot (default MODEL_int8_sqnr.png)")
    p.add_argument("--save-qparams", default=None, help="write every tensor's scale / zero point as JSON")
    p.add_argument("--device", default=None, help="device for the report (default: the fastest available)")
    p.add_argument("--size", type=int, default=224, help="input height/width for random:N (default 224)")
    p.add_argument("--weights", default=None, help="zoo weights: torchvision state dict (.pth) or .safetensors")
    p.add_argument("--fallback", action="store_true", help="run unsupported nodes on the NumPy reference ops")


def cmd_qdq(args):
    import fpgaops

    if not os.path.isfile(args.model):
        raise fpgaops.ArgumentError("model", f"file {args.model!r} not found (an int8 ONNX model, QDQ or QOperator)")
    qnet = fpgaops.load_qdq(args.model)
    x, _ = _load(args.data, qnet.float_network, args.size, "data")
    layers = qnet.layers(x[:1])
    n8 = sum(1 for _, _, dt, _ in layers if dt == "int8")
    print(f"model  {args.model}\nint8   {n8} of {len(layers)} layers on the int8 kernels")
    for name, why in sorted(qnet.float_nodes.items()):
        print(f"  float32: {name} ({why})")
    t = qnet.trace(x, device=args.device, isolated=not args.propagate)
    print()
    print(t)
    return 0 if t.ok else 1


def add_qdq_arguments(p):
    p.add_argument("model", help="an int8 ONNX model in QDQ or QOperator format")
    p.add_argument("--data", default="random:1", help="inputs: .npy (N, ...), .npz with 'x', or random:N (default)")
    p.add_argument("--size", type=int, default=224, help="input height/width for random:N if the model's is dynamic")
    p.add_argument("--device", default=None, help="device (default: the fastest available)")
    p.add_argument("--propagate", action="store_true",
                   help="let differences propagate (default: each layer is fed ONNX Runtime's input codes)")
