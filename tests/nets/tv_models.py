"""torchvision's classification networks for the tests: random weights, exported to ONNX offline.

Test-time workaround (never imported by ``import fpgaops``): the torchvision wheels on the package
registry are built against the CUDA build of torch. Beside the CPU build (torch 2.13.0+cpu) their
compiled extension ``torchvision/_C.so`` cannot load (it links libtorch_cuda), torchvision then
runs without its C++ ops, and ``import torchvision`` dies in ``_meta_registrations`` registering a
fake kernel for ``torchvision::nms`` ("operator torchvision::nms does not exist"). Only that
registration (and the one for ``qnms``) needs the operator to exist; the ``Meta`` registrations of
the other ops are skipped when the extension is absent. So before importing torchvision we declare
the two operators' schemas (copied from torchvision's ``csrc/ops/nms.cpp``) and nothing else: no
kernel, so calling ``torchvision.ops.nms`` still fails loudly ("could not run ... with arguments
from the 'CPU' backend"). The classification model constructors are pure Python and need none of it.
When the extension does load (a torchvision built for this torch), nothing is declared.
"""
import functools
import warnings

import numpy as np

# name -> (constructor name, keyword arguments). The networks of issue 13 plus the zoo's two.
NETS = {
    "efficientnet_b0": ("efficientnet_b0", {}),
    "shufflenet_v2_x0_5": ("shufflenet_v2_x0_5", {}),
    "squeezenet1_1": ("squeezenet1_1", {}),
    "densenet121": ("densenet121", {}),
    "vgg11": ("vgg11", {}),
    "convnext_tiny": ("convnext_tiny", {}),
    "mobilenet_v3_small": ("mobilenet_v3_small", {}),
    "resnet18": ("resnet18", {}),
}

_STUB_SCHEMAS = {  # torchvision/csrc/ops/nms.cpp, qnms.cpp
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}
_stub_lib = None  # the torch.library.Library holding the declarations (must stay alive)


@functools.lru_cache(None)
def torchvision():
    """``import torchvision`` on the CPU build of torch (see the module docstring)."""
    global _stub_lib
    import torch

    try:
        import torchvision as tv  # a torchvision whose extension matches this torch
        return tv
    except RuntimeError as e:
        if "torchvision::nms" not in str(e):
            raise
    import sys

    for mod in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[mod]  # the half-imported package
    _stub_lib = torch.library.Library("torchvision", "FRAGMENT")
    for name, schema in _STUB_SCHEMAS.items():
        try:
            _stub_lib.define(schema)
        except RuntimeError:  # already declared (by an earlier attempt in this process)
            pass
    import torchvision as tv

    return tv


def build(name, seed=0):
    """The torchvision model ``name`` in eval mode with seeded random weights (nothing downloaded).

    With torchvision's initializers and identity BatchNorm statistics, the signal of the deep
    MobileNet-style networks dies out: EfficientNet-B0's and MobileNetV3-small's logits then change
    by ~1e-7 relative from one input image to another, and a comparison would check the biases
    only. So the BatchNorm running statistics are calibrated on a batch of random images (each BN
    then normalizes its input, as in a trained network: logits change by O(1) between images), and
    the affine parameters drawn near (1, 0) so that BN folding has something to fold."""
    import torch

    tv = torchvision()
    fn, kwargs = NETS.get(name, (name, {}))  # other torchvision constructors by their own name
    torch.manual_seed(seed)
    net = getattr(tv.models, fn)(weights=None, **kwargs).eval()
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in bns:
            m.weight.copy_(0.8 + 0.4 * torch.rand(m.num_features, generator=g))
            m.bias.copy_(0.05 * torch.randn(m.num_features, generator=g))
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batch
            m.train()  # only the BNs: Dropout and StochasticDepth stay in eval mode
        if bns:
            net(torch.from_numpy(images((16, 3, 64, 64), seed=seed + 2)))
    return net.eval()


def export(name, path, opset, shape, seed=0):
    """Export ``build(name, seed)`` to ``path`` at ``opset`` with torch's TorchScript-based exporter
    (``dynamo=False``: works offline and needs no onnxscript; the dynamo exporter is torch's default
    since 2.9). Batch, height and width are dynamic where the network allows (``shape`` is the
    tracing example), so the importer's per-shape specialization and shape-chain folding are used
    as on any real export. Returns the torch module (the third reference)."""
    import torch

    net = build(name, seed)
    x = torch.from_numpy(images(shape, seed=99))
    # VGG's AdaptiveAvgPool2d((7, 7)) exports only for a static spatial size
    axes = {0: "N"} if name.startswith("vgg") else {0: "N", 2: "H", 3: "W"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's DeprecationWarning, tracer warnings
        torch.onnx.export(net, (x,), str(path), opset_version=opset, dynamo=False, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": axes, "logits": {0: "N"}},
                          do_constant_folding=True)
    return net


def images(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def rel_err(got, want):
    """max |got - want| / max |want| over the whole logits array (float64)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


def top5(y):
    return np.argsort(-np.asarray(y), axis=1, kind="stable")[:, :5]
