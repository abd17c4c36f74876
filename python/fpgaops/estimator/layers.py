"""A network reduced to the layers the model needs: the runner's fused graph (Network.optimized())
as Layer records with their shapes; zoo names and ONNX paths are resolved here."""
import dataclasses
from pathlib import Path

from ..errors import ArgumentError


@dataclasses.dataclass
class Layer:
    """A network layer reduced to what the model needs (from the runner's fused graph)."""

    name: str
    op: str                # conv / gemm / pool / eltwise / act / softmax / view / other
    attrs: dict


def _pair(v, default):
    if v is None:
        return default
    return (int(v), int(v)) if isinstance(v, int) else tuple(int(i) for i in v)


def layers_of(graph):
    """The fused graph's nodes (``Network.optimized()``) as Layer records with their shapes."""
    out, sh = [], graph.shapes
    for nd in graph.nodes:
        ins = [sh.get(i) if i else None for i in nd.inputs]
        outs = [sh.get(o) for o in nd.outputs if o]
        y = outs[0] if outs else None
        if nd.op == "Conv":
            x, w = ins[0], ins[1]
            out.append(Layer(nd.name, "conv", dict(
                n=x[0], c=x[1], h=x[2], w=x[3], k=w[0], r=w[2], s=w[3], oh=y[2], ow=y[3],
                stride=tuple(nd.attrs.get("stride", (1, 1))), dilation=tuple(nd.attrs.get("dilation", (1, 1))),
                groups=int(nd.attrs.get("groups", 1)), residual=len(ins) > 3 and ins[3] is not None)))
        elif nd.op == "PwDw":  # graph/pwdw.py's fused pair: an OpenCL kernel; the FPGA runs the two convs
            x, w1, w2 = ins[0], ins[1], ins[3]
            e = w1[0]
            out.append(Layer(nd.name + "/pw", "conv", dict(
                n=x[0], c=x[1], h=x[2], w=x[3], k=e, r=1, s=1, oh=x[2], ow=x[3], stride=(1, 1), dilation=(1, 1),
                groups=1, residual=False)))
            out.append(Layer(nd.name + "/dw", "conv", dict(
                n=x[0], c=e, h=x[2], w=x[3], k=e, r=w2[2], s=w2[3], oh=y[2], ow=y[3],
                stride=tuple(nd.attrs["stride"]), dilation=(1, 1), groups=e, residual=False)))
        elif nd.op in ("Gemm", "MatMul"):
            a, b = ins[0], ins[1]
            ta, tb = bool(nd.attrs.get("trans_a", False)), bool(nd.attrs.get("trans_b", False))
            lead = 1
            for d in a[:-2]:
                lead *= d
            out.append(Layer(nd.name, "gemm", dict(batch=lead, m=a[-1] if ta else a[-2], k=a[-2] if ta else a[-1],
                                                   n=b[-2] if tb else b[-1], trans_a=ta, trans_b=tb)))
        elif nd.op in ("GlobalAvgPool", "MaxPool", "AvgPool", "AveragePool", "Pool"):
            win = {}
            if nd.attrs.get("kernel_size") is not None:   # a regular window (pool.hpp's sliding window)
                k = _pair(nd.attrs["kernel_size"], None)
                win = dict(kernel=k, stride=_pair(nd.attrs.get("stride"), k), padding=_pair(nd.attrs.get("padding"), (0, 0)),
                           dilation=_pair(nd.attrs.get("dilation"), (1, 1)))
            out.append(Layer(nd.name, "pool", dict(x=ins[0], y=y, **win)))
        elif nd.op in ("Add", "Mul", "Sub", "Div"):
            out.append(Layer(nd.name, "eltwise", dict(a=ins[0], b=ins[1], y=y)))
        elif nd.op == "Act":
            out.append(Layer(nd.name, "act", dict(x=ins[0], y=y, kind=nd.attrs.get("kind"))))
        elif nd.op == "Softmax":
            out.append(Layer(nd.name, "softmax", dict(x=ins[0], y=y)))
        elif nd.op in ("View", "Reshape", "Flatten", "Identity", "Squeeze", "Unsqueeze"):
            out.append(Layer(nd.name, "view", dict(y=y)))
        else:
            out.append(Layer(nd.name, "other", dict(y=y, op=nd.op)))
    return out



def resolve_net(net, batch):
    """(name, layers) for a Network, an optimized Graph, a zoo name, an ONNX path or a list of Layer."""
    from ..graph.ir import Graph

    name = None
    if isinstance(net, (list, tuple)) and all(isinstance(x, Layer) for x in net):
        return "layers", list(net)
    if isinstance(net, (str, Path)):
        from .. import models

        if str(net) in models.NAMES:
            name, net = str(net), getattr(models, str(net))()
        elif Path(net).is_file():
            from ..graph import load_onnx

            name, net = Path(net).stem, load_onnx(str(net))
        else:
            raise ArgumentError("net", f"{str(net)!r} is neither a zoo model ({', '.join(models.NAMES)}) "
                                       f"nor an existing ONNX file")
    if isinstance(net, Graph):
        if not net.shapes:
            raise ArgumentError("net", "the Graph has no shapes: pass a Network or Network.optimized(...)")
        return name or net.name, layers_of(net)
    if hasattr(net, "optimized") and hasattr(net, "_default_shapes"):
        shapes = net._default_shapes(batch)
        if shapes is None:
            raise ArgumentError("net", "the model's input shapes are symbolic; pass Network.optimized(shape)")
        # the batch is the leading dimension of every input, whatever the model declares
        g = net.optimized(*[(batch,) + tuple(shapes[i][1:]) for i in net.input_names])
        return name or g.name, layers_of(g)
    raise ArgumentError("net", f"expected a Network, Graph, zoo name or ONNX path, got {type(net).__name__}")


