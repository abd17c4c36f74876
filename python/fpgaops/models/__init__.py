"""The model zoo: torchvision's ResNet-18/34/50, MobileNetV2, MobileNetV3-small/large.

    net = fpgaops.models.resnet18()                              # seeded random weights
    net = fpgaops.models.resnet18(weights="resnet18.pth")        # a torchvision state dict
    net = fpgaops.models.mobilenet_v2(weights="mnv2.safetensors")
    proto = fpgaops.models.build_onnx("resnet18")                # the onnx.ModelProto itself

The graphs are built directly as ONNX (torchvision is not needed); initializer names are the
torchvision state-dict keys and BatchNormalization stays a node (folded by the runner), so a
state dict maps 1:1. Nothing is ever downloaded: ``weights`` is a local file -- a ``.pth``/``.pt``
state dict (read with ``torch.load(weights_only=True)``), ``.safetensors`` (read without torch),
``.npz``, or an ``.onnx`` model with the same initializer names -- or a dict of arrays.
"""
import os

import numpy as np

from ..graph.ir import ModelError

NAMES = ("resnet18", "resnet34", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large")
IGNORED_KEYS = ("num_batches_tracked",)


def _builders():
    from . import mobilenet, resnet
    return {"resnet18": resnet.resnet18_onnx, "resnet34": resnet.resnet34_onnx, "resnet50": resnet.resnet50_onnx,
            "mobilenet_v2": mobilenet.mobilenet_v2_onnx, "mobilenet_v3_small": mobilenet.mobilenet_v3_small_onnx,
            "mobilenet_v3_large": mobilenet.mobilenet_v3_large_onnx}


def read_state_dict(weights):
    """{key: float32 ndarray} from a file or a dict (torch tensors or arrays)."""
    if isinstance(weights, dict):
        items = weights.items()
    else:
        path = os.fspath(weights)
        if not os.path.isfile(path):
            raise ModelError(f"weights file {path!r} not found (fpgaops never downloads weights)")
        ext = os.path.splitext(path)[1].lower()
        if ext == ".safetensors":
            from safetensors.numpy import load_file
            try:
                items = load_file(path).items()
            except Exception as e:
                raise ModelError(f"cannot read safetensors file {path!r}: {e}") from None
        elif ext == ".npz":
            with np.load(path, allow_pickle=False) as z:
                items = {k: z[k] for k in z.files}.items()
        elif ext == ".onnx":
            import onnx
            from ..graph.onnx_import import _read_model, tensor_to_numpy
            m, base = _read_model(path)
            items = {t.name: tensor_to_numpy(t, base, [0]) for t in m.graph.initializer}.items()
        else:  # .pth / .pt / anything torch.save wrote
            try:
                import torch
            except ImportError:
                raise ModelError(f"{path!r} looks like a PyTorch file; reading it needs torch (or convert it to "
                                 ".safetensors)") from None
            try:
                sd = torch.load(path, map_location="cpu", weights_only=True)
            except Exception as e:
                raise ModelError(f"cannot read {path!r} as a PyTorch state dict (weights_only=True): {e}") from None
            if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
                sd = sd["state_dict"]
            if not isinstance(sd, dict):
                raise ModelError(f"{path!r} holds a {type(sd).__name__}, not a state dict")
            items = sd.items()
    out = {}
    for k, v in items:
        if hasattr(v, "detach"):
            v = v.detach().cpu().float().numpy() if v.is_floating_point() else v.detach().cpu().numpy()
        out[str(k)] = np.asarray(v)
    return out


def apply_weights(model, weights, strict=True):
    """Replace the initializers of ``model`` (an onnx.ModelProto) with ``weights`` in place."""
    from onnx import numpy_helper

    sd = read_state_dict(weights)
    inits = {t.name: t for t in model.graph.initializer}
    params = [k for k in inits if not k.startswith("const:")]
    missing = [k for k in params if k not in sd]
    unexpected = [k for k in sd if k not in inits and not k.endswith(IGNORED_KEYS)]
    if strict and (missing or unexpected):
        raise ModelError(f"weights do not match {model.graph.name}: missing {missing[:10]}"
                         f"{' ...' if len(missing) > 10 else ''} ({len(missing)}), unexpected {unexpected[:10]}"
                         f"{' ...' if len(unexpected) > 10 else ''} ({len(unexpected)})")
    for k in params:
        if k not in sd:
            continue
        old = inits[k]
        v = sd[k]
        if tuple(v.shape) != tuple(old.dims):
            raise ModelError(f"weight '{k}' has shape {tuple(v.shape)}, the graph expects {tuple(old.dims)}")
        old.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(v, np.float32), k))
    return model


def build_onnx(name, weights=None, num_classes=1000, seed=0):
    """The zoo model ``name`` as an onnx.ModelProto (seeded random weights unless ``weights``)."""
    b = _builders()
    if name not in b:
        raise ModelError(f"unknown model {name!r}; the zoo has {list(NAMES)}")
    m = b[name](num_classes=num_classes, seed=seed)
    if weights is not None:
        apply_weights(m, weights)
    return m


def _net(name, weights=None, num_classes=1000, seed=0, **kw):
    from ..graph import load_onnx
    return load_onnx(build_onnx(name, weights, num_classes, seed), **kw)


def resnet18(weights=None, num_classes=1000, seed=0, **kw):
    return _net("resnet18", weights, num_classes, seed, **kw)


def resnet34(weights=None, num_classes=1000, seed=0, **kw):
    return _net("resnet34", weights, num_classes, seed, **kw)


def resnet50(weights=None, num_classes=1000, seed=0, **kw):
    return _net("resnet50", weights, num_classes, seed, **kw)


def mobilenet_v2(weights=None, num_classes=1000, seed=0, **kw):
    return _net("mobilenet_v2", weights, num_classes, seed, **kw)


def mobilenet_v3_small(weights=None, num_classes=1000, seed=0, **kw):
    return _net("mobilenet_v3_small", weights, num_classes, seed, **kw)


def mobilenet_v3_large(weights=None, num_classes=1000, seed=0, **kw):
    return _net("mobilenet_v3_large", weights, num_classes, seed, **kw)


def get(name, **kw):
    """A zoo Network by name."""
    if name not in NAMES:
        raise ModelError(f"unknown model {name!r}; the zoo has {list(NAMES)}")
    return globals()[name](**kw)


__all__ = list(NAMES) + ["build_onnx", "apply_weights", "read_state_dict", "get", "NAMES"]
