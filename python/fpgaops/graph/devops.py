"""Device execution of lowered graph nodes: one function per lowered op calling the public
fpgaops op (so every node goes through the op's validation and the backend's launcher). Shared by
the float runner (runner.py) and the int8 runner (quantize.py) for the layers they run in float32."""
from ..errors import UnsupportedError


def _fo():
    import fpgaops
    return fpgaops


def _op(name):
    fn = getattr(_fo(), name, None)
    if fn is None:
        raise UnsupportedError(f"fpgaops.{name} not yet implemented")
    return fn


# --- device execution of lowered nodes ------------------------------------------------------

def _dev_conv(n, x, w, b, r):
    a = n.attrs
    return _op("conv2d")(x, w, b, stride=a["stride"], padding=a["padding"], dilation=a["dilation"],
                         groups=a["groups"], activation=a["activation"], residual=r)


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
    "Gemm": lambda n, a, b, c=None: _op("gemm")(a, b, c, alpha=n.attrs["alpha"], beta=n.attrs["beta"] if c is not None else 0.0,
                                                 trans_a=n.attrs["trans_a"], trans_b=n.attrs["trans_b"]),
    "MatMul": lambda n, a, b: _op("matmul")(a, b),
    "Softmax": lambda n, x: _op("softmax")(x, dim=n.attrs["dim"]),
    "View": lambda n, x: x.reshape(n.attrs["shape"]),
}

# which fpgaops functions each lowered op needs (for "not yet implemented" checks)
NEEDS = {"Conv": ["conv2d"], "Add": ["add"], "Mul": ["mul"], "MaxPool": ["max_pool2d"], "AvgPool": ["avg_pool2d"],
         "GlobalAvgPool": ["adaptive_avg_pool2d|global_avg_pool2d"], "Gemm": ["gemm"], "MatMul": ["matmul"],
         "Softmax": ["softmax"]}
