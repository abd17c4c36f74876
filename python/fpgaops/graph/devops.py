"""Device execution of lowered graph nodes: one function per lowered op calling the public
fpgaops op (so every node goes through the op's validation and the backend's launcher). Shared by
the float runner (runner.py) and the int8 runner (quantize.py) for the layers they run in float32.

``on_device(op, dev)``: whether a lowered op runs on ``dev``'s kernels. Ops of a family some
backends have no kernels for (``FAMILY``: the data movers, layer norm, erf -- none on csim/xrt,
which have no HLS tops for them yet) run there as host ops (lower.HOST_OPS, NumPy), and the
profile says so."""
import numpy as np

from ..backends.base import backend_of
from ..errors import UnsupportedError
from . import pwdw, shuffle


def _fo():
    import fpgaops
    return fpgaops


def _op(name):
    fn = getattr(_fo(), name, None)
    if fn is None:
        raise UnsupportedError(f"fpgaops.{name} not yet implemented")
    return fn


# --- device execution of lowered nodes ------------------------------------------------------

def _dev_conv(n, x, w, b, r, scale=None):
    """``scale``: passes.fuse_se_scale's per-channel input scale (N, C, 1, 1): the conv of x * scale,
    conv2d's channel_scale (multiplied as the kernel loads x where it can, else first: the same bits)."""
    a = n.attrs
    kw = {"channel_scale": scale} if scale is not None else {}
    return _op("conv2d")(x, w, b, stride=a["stride"], padding=a["padding"], dilation=a["dilation"],
                         groups=a["groups"], activation=a["activation"], residual=r, **kw)


def _dev_act(n, x):
    return _op(n.attrs["kind"])(x, **n.attrs["params"])


def _dev_binary(n, a, b):
    fn = _op("add" if n.op == "Add" else "mul")
    if n.attrs["activation"]:
        return fn(a, b, activation=n.attrs["activation"])
    return fn(a, b)


def _dev_gap(n, x):
    fo = _fo()
    if hasattr(fo, "adaptive_avg_pool2d"):
        return fo.adaptive_avg_pool2d(x, 1)
    y = _op("global_avg_pool2d")(x)
    return y.reshape(x.shape[0], x.shape[1], 1, 1)


def _dev_slice(n, x):
    a = n.attrs
    return _op("slice")(x, list(a["dims"]), list(a["starts"]), list(a["ends"]), list(a["steps"]))


def _dev_layer_norm(n, x, w, b=None):
    return _op("layer_norm")(x, tuple(x.shape[n.attrs["axis"]:]), w, b, eps=n.attrs["epsilon"])


def _dev_se_gate(n, x, w1, b1, w2, b2, w1t, w2t):
    """passes.fuse_se's gate: one se_gate launch where the backend has the kernel (opencl), else
    (and beyond its local memory) the unfused ops -- which define the result: the opencl kernel
    repeats their arithmetic bit for bit."""
    a = n.attrs
    dev = backend_of(x)
    if dev is not None and dev.has_family("se_gate") and len(x.shape) == 4:
        from ..ops import act_lut

        se_gate = dev.launcher("se_gate")
        if se_gate.supported(dev, x.shape[1], w1.shape[0], a["act1"], a["act2"]):
            tabs = [act_lut.kernel_args(act_lut.Activation.of(t), np.float32, dev)[3] if t else None
                    for t in (a["tab1"], a["tab2"])]
            return se_gate.run(dev, x, w1.shape[0], w1t, b1, w2t, b2, a["act1"], a["act2"], *tabs, a["mul1"], a["mul2"])
    conv = _op("conv2d")
    h = _dev_gap(n, x)
    for w, b, act, tab, mul in ((w1, b1, a["act1"], a["tab1"], a["mul1"]),
                                (w2, b2, a["act2"], a["tab2"], a["mul2"])):
        h = conv(h, w, b, activation=act)
        if tab:
            h = _op("mul")(h, _op(tab)(h)) if mul else _op(tab)(h)
    return h


DEVICE_OPS = {
    "Conv": _dev_conv,
    "Act": _dev_act,
    "Add": _dev_binary,
    "Mul": _dev_binary,
    "MaxPool": lambda n, x: _op("max_pool2d")(x, n.attrs["kernel_size"], stride=n.attrs["stride"],
                                                padding=n.attrs["padding"], dilation=n.attrs["dilation"],
                                                ceil_mode=n.attrs["ceil_mode"]),
    "AvgPool": lambda n, x: _op("avg_pool2d")(x, n.attrs["kernel_size"], stride=n.attrs["stride"],
                                                padding=n.attrs["padding"], ceil_mode=n.attrs["ceil_mode"],
                                                count_include_pad=n.attrs["count_include_pad"]),
    "GlobalAvgPool": _dev_gap,
    "SEGate": _dev_se_gate,
    "Gemm": lambda n, a, b, c=None: _op("gemm")(a, b, c, alpha=n.attrs["alpha"], beta=n.attrs["beta"] if c is not None else 0.0,
                                                 trans_a=n.attrs["trans_a"], trans_b=n.attrs["trans_b"]),
    "MatMul": lambda n, a, b: _op("matmul")(a, b),
    "Softmax": lambda n, x: _op("softmax")(x, dim=n.attrs["dim"]),
    "View": lambda n, x: x.reshape(n.attrs["shape"]),
    "Concat": lambda n, *xs: _op("concat")(list(xs), n.attrs["axis"]),
    "Split": lambda n, x: list(_op("split")(x, list(n.attrs["sizes"]), n.attrs["axis"])),
    "Slice": _dev_slice,
    "Transpose": lambda n, x: _op("permute")(x, n.attrs["perm"]),
    "LayerNorm": _dev_layer_norm,
    "Gelu": lambda n, x: _op("gelu_exact")(x),
    "Erf": lambda n, x: _op("erf")(x),
    "ChannelShuffle": shuffle.run_device,
    "PwDw": pwdw.run_device,
    # lower._resize keeps only (N, C, H, W) resizes of H and W (others are Host nodes)
    "Resize": lambda n, x: _op("resize")(x, n.attrs["out_shape"][2:], scales=n.attrs["scales"][2:], mode=n.attrs["mode"],
                                         coordinate_transformation_mode=n.attrs["coordinate_transformation_mode"],
                                         nearest_mode=n.attrs["nearest_mode"]),
}

# lowered op -> its op family, for the ops that run on the host where a backend lacks the family
FAMILY = {"Concat": "movement", "Split": "movement", "Slice": "movement", "Transpose": "movement",
          "LayerNorm": "norm", "Gelu": "erf", "Erf": "erf", "ChannelShuffle": "movement",
          "Resize": "resize"}


def on_device(op, dev):
    """Whether lowered op ``op`` runs on ``dev``'s kernels (else on the host: lower.HOST_OPS)."""
    if op not in DEVICE_OPS:
        return False
    fam = FAMILY.get(op)
    return fam is None or dev is None or dev.has_family(fam)

# which fpgaops functions each lowered op needs (for "not yet implemented" checks)
NEEDS = {"Conv": ["conv2d"], "Add": ["add"], "Mul": ["mul"], "MaxPool": ["max_pool2d"], "AvgPool": ["avg_pool2d"],
         "GlobalAvgPool": ["adaptive_avg_pool2d|global_avg_pool2d"],
         "SEGate": ["adaptive_avg_pool2d|global_avg_pool2d", "conv2d"], "Gemm": ["gemm"], "MatMul": ["matmul"],
         "Softmax": ["softmax"], "Concat": ["concat"], "Split": ["split"], "Slice": ["slice"],
         "Transpose": ["permute"], "LayerNorm": ["layer_norm"], "Gelu": ["gelu_exact"], "Erf": ["erf"],
         "ChannelShuffle": ["concat", "permute", "slice"], "Resize": ["resize"],
         "PwDw": ["conv2d"]}
