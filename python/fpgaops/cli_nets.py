"""The network subcommands of the ``fpgaops`` CLI (registered in fpgaops/cli.py):

    fpgaops run MODEL [--device D] [--batch N] [--image FILE] [--size S] [--profile]
    fpgaops compare MODEL [--device D] ...     against ONNX Runtime: max error, top-5 agreement
    fpgaops demo --net resnet18                the README demo: a sample photo, profile, comparison

MODEL is an ONNX file or a zoo name (resnet18, ..., mobilenet_v3_large; seeded random weights
unless --weights FILE).
"""
import os
import time

import numpy as np

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def _resize_bilinear_np(img, h, w):
    """Plain bilinear resize (align_corners=False) of an HxWxC float array (no antialiasing)."""
    H, W = img.shape[:2]
    ys = np.clip((np.arange(h) + 0.5) * H / h - 0.5, 0, H - 1)
    xs = np.clip((np.arange(w) + 0.5) * W / w - 0.5, 0, W - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, H - 1), np.minimum(x0 + 1, W - 1)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bot = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return top * (1 - fy) + bot * fy


def load_image(source):
    """An HxWx3 uint8 array from a file path, ``sklearn:NAME`` (scikit-learn's bundled sample
    photos: china.jpg, flower.jpg) or an array."""
    if isinstance(source, np.ndarray):
        img = source
    elif isinstance(source, str) and source.startswith("sklearn:"):
        from sklearn.datasets import load_sample_image
        img = load_sample_image(source.split(":", 1)[1])
    else:
        from PIL import Image
        with Image.open(source) as im:
            img = np.asarray(im.convert("RGB"))
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f"expected an HxWx3 image, got shape {img.shape}")
    return img[:, :, :3]


def preprocess(img, size=224):
    """torchvision's ImageNet transform: resize the shorter side to size*256/224 (bilinear,
    antialiased via PIL when available), center crop size x size, /255, mean/std normalize.
    Returns (1, 3, size, size) float32."""
    img = load_image(img)
    short = int(round(size * 256 / 224))
    h, w = img.shape[:2]
    nh, nw = (short, max(1, int(short * w / h))) if h <= w else (max(1, int(short * h / w)), short)
    try:
        from PIL import Image
        arr = np.asarray(Image.fromarray(img.astype(np.uint8)).resize((nw, nh), Image.BILINEAR), np.float32)
    except ImportError:
        arr = _resize_bilinear_np(img.astype(np.float32), nh, nw)
    top, left = int(round((nh - size) / 2.0)), int(round((nw - size) / 2.0))
    arr = arr[top:top + size, left:left + size] / 255.0
    arr = (arr - MEAN) / STD
    return np.ascontiguousarray(arr.transpose(2, 0, 1)[None], np.float32)


def open_model(spec, weights=None, allow_fallback=False):
    """(Network, description) from a zoo name or an ONNX path."""
    import fpgaops
    from fpgaops import models

    if spec in models.NAMES:
        net = fpgaops.load_onnx(models.build_onnx(spec, weights), allow_fallback=allow_fallback)
        return net, f"{spec} (zoo, {'weights ' + str(weights) if weights else 'seeded random weights'})"
    if not os.path.exists(spec):
        raise fpgaops.ModelError(f"{spec!r} is neither an ONNX file nor a zoo model ({', '.join(models.NAMES)})")
    return fpgaops.load_onnx(spec, allow_fallback=allow_fallback), spec


def _input(net, args):
    size = args.size
    if args.image:
        x = preprocess(args.image, size)
        return np.repeat(x, args.batch, axis=0), f"{args.image} (ImageNet preprocessing, {size}x{size})"
    shp = dict(net.input_shapes)[net.input_names[0]]
    shape = [args.batch] + [d if d is not None else size for d in (shp or (None, 3, None, None))[1:]]
    if len(shape) == 4 and shp and shp[2] is None:
        shape[2] = shape[3] = size
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    return x, f"random normal {tuple(shape)} (seed 0)"


def _run_with_progress(net, x, device, label="run"):
    from .textout import Progress

    bar = Progress(net.num_layers(x), label)
    t0 = time.perf_counter()
    y = net.run(x, device=device, callback=bar.step)[0]
    return y, time.perf_counter() - t0


def _topk(y, k=5):
    return np.argsort(-y, axis=-1, kind="stable")[..., :k]


def _ort(net, x):
    import onnxruntime as ort

    if net._model_bytes is None:
        raise RuntimeError("the model's bytes are not available (external data?)")
    sess = ort.InferenceSession(net._model_bytes, providers=["CPUExecutionProvider"])
    return sess.run(None, {net.input_names[0]: x})[0]


def compare_outputs(got, want, atol=1e-3, rtol=1e-3, k=5):
    err = float(np.max(np.abs(got.astype(np.float64) - want)))
    scale = float(np.max(np.abs(want)))
    top_same = bool(np.all(_topk(got, k) == _topk(want, k))) if got.ndim == 2 and got.shape[-1] >= k else True
    top1 = float(np.mean(_topk(got, 1) == _topk(want, 1))) if got.ndim == 2 else 1.0
    return {"max_abs_err": err, "max_abs_ref": scale, "rel_err": err / max(scale, 1e-30),
            "topk_identical": top_same, "top1_agreement": top1, "ok": err <= atol + rtol * scale and top_same}


def cmd_run(args):
    import fpgaops

    net, desc = open_model(args.model, args.weights, args.fallback)
    dev = fpgaops.get_device(args.device) if args.device else fpgaops.current_device()
    x, xdesc = _input(net, args)
    print(f"model  {desc}\ninput  {xdesc}\ndevice {dev.name}")
    missing = net.missing_ops()
    if missing:
        raise fpgaops.UnsupportedError(f"this fpgaops build lacks {', '.join('fpgaops.' + m for m in missing)}")
    y, dt = _run_with_progress(net, x, dev.name)
    print(f"output {y.shape} in {dt * 1e3:.1f} ms (first run: includes kernel builds and weight uploads)")
    if y.ndim == 2:
        for b in range(y.shape[0]):
            top = _topk(y[b:b + 1])[0]
            print(f"  batch {b}: top-5 classes {list(map(int, top))}  logits {[round(float(y[b, i]), 3) for i in top]}")
    if args.profile:
        print()
        print(net.profile(x, device=dev.name, warmup=0))
    return 0


def cmd_compare(args):
    import fpgaops

    net, desc = open_model(args.model, args.weights, args.fallback)
    dev = fpgaops.get_device(args.device) if args.device else fpgaops.current_device()
    x, xdesc = _input(net, args)
    print(f"model  {desc}\ninput  {xdesc}\ndevice {dev.name} against ONNX Runtime (CPU)")
    y, dt = _run_with_progress(net, x, dev.name, "compare")
    want = _ort(net, x)
    r = compare_outputs(y, want, args.atol, args.rtol)
    print(f"max |fpgaops - ORT| = {r['max_abs_err']:.3e} (max |ORT| {r['max_abs_ref']:.3e}, relative "
          f"{r['rel_err']:.2e}); top-5 identical: {r['topk_identical']}; top-1 agreement {100 * r['top1_agreement']:.0f}%")
    print("PASS" if r["ok"] else f"FAIL (tolerance atol {args.atol:g} + rtol {args.rtol:g} * max|ORT|, identical top-5)")
    if not r["ok"] and args.trace:
        print(net.trace(x, against="onnxruntime", device=dev.name))
    return 0 if r["ok"] else 1


def cmd_demo_net(args):
    """ResNet-18 (or --net NAME) on the default device on scikit-learn's china.jpg: top-5, the
    per-layer profile and the comparison with ONNX Runtime."""
    import fpgaops

    class A:
        pass
    a = A()
    a.model, a.weights, a.fallback = args.net, getattr(args, "weights", None), False
    a.device, a.batch, a.image, a.size = getattr(args, "device", None), 1, "sklearn:china.jpg", 224
    a.profile, a.atol, a.rtol, a.trace = True, 1e-3, 1e-3, True
    dev = fpgaops.get_device(a.device) if a.device else fpgaops.current_device()
    print(f"== {a.model} on '{dev.name}' ({'weights ' + a.weights if a.weights else 'seeded random weights: class ids are not meaningful'})\n")
    rc = cmd_run(a)
    print("\n== comparison with ONNX Runtime\n")
    return rc or cmd_compare(a)


def _common(p, compare=False):
    p.add_argument("model", help="an ONNX file or a zoo name (resnet18, resnet34, resnet50, mobilenet_v2, "
                                 "mobilenet_v3_small, mobilenet_v3_large)")
    p.add_argument("--device", default=None, help="reference, csim, opencl, xrt (default: the fastest available)")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--image", default=None, help="an image file, or sklearn:china.jpg / sklearn:flower.jpg")
    p.add_argument("--size", type=int, default=224, help="input height/width (default 224)")
    p.add_argument("--weights", default=None, help="zoo weights: torchvision state dict (.pth) or .safetensors")
    p.add_argument("--fallback", action="store_true", help="run unsupported nodes on the NumPy reference ops")
    if compare:
        p.add_argument("--atol", type=float, default=1e-3)
        p.add_argument("--rtol", type=float, default=1e-3)
        p.add_argument("--trace", action="store_true", help="on failure, show the layer-by-layer comparison")
    else:
        p.add_argument("--profile", action="store_true", help="print the per-layer profile")
