"""Whole networks on the kernels: ONNX import, graph passes, the runner.

    net = fpgaops.load_onnx("model.onnx")          # or fpgaops.from_torch(module, example)
    y = net(x); print(net.profile(x)); print(net.trace(x, against="onnxruntime"))

Importing this package needs neither onnx nor torch; ``load_onnx`` imports onnx when called.
"""
from .ir import Graph, ModelError, Node, UnsupportedOpsError
from .runner import Network, Profile, Trace


def load_onnx(model, allow_fallback=False, fuse=True):
    """A Network from an ONNX file path, serialized bytes or ``onnx.ModelProto``.

    Unsupported nodes raise UnsupportedOpsError listing every one (name, op type, reason); with
    ``allow_fallback=True`` nodes that have a NumPy implementation run on the host instead and the
    profile says so. Malformed models raise ModelError."""
    from .onnx_import import import_model, _onnx

    graph, info = import_model(model, allow_fallback)
    onnx = _onnx()
    if isinstance(model, onnx.ModelProto):
        raw = model.SerializeToString() if model.ByteSize() < 2**31 else None
    elif isinstance(model, (bytes, bytearray)):
        raw = bytes(model)
    else:
        with open(model, "rb") as f:
            raw = f.read()
        # with external data the bytes alone are not the model; trace against ORT is then off
        m = onnx.ModelProto()
        m.ParseFromString(raw)
        if any(t.data_location == onnx.TensorProto.EXTERNAL for t in m.graph.initializer):
            raw = None
    return Network(graph, info, allow_fallback=allow_fallback, fuse=fuse, model_bytes=raw)


def from_torch(module, example_input, allow_fallback=False, opset=17, dynamic_batch=True):
    """A Network from a ``torch.nn.Module`` via ``torch.onnx.export`` (torch is needed only here).
    ``example_input``: a torch tensor or NumPy array of the input shape."""
    import io

    try:
        import torch
    except ImportError:
        from ..errors import UnsupportedError
        raise UnsupportedError("from_torch needs PyTorch installed") from None
    x = example_input if isinstance(example_input, torch.Tensor) else torch.from_numpy(example_input)
    module = module.eval()
    buf = io.BytesIO()
    kw = dict(input_names=["input"], output_names=["output"], opset_version=opset)
    if dynamic_batch:
        kw["dynamic_axes"] = {"input": {0: "batch"}, "output": {0: "batch"}}
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            torch.onnx.export(module, (x,), buf, dynamo=False, **kw)
        except TypeError:  # older torch without the dynamo switch
            torch.onnx.export(module, (x,), buf, **kw)
    return load_onnx(buf.getvalue(), allow_fallback=allow_fallback)


__all__ = ["load_onnx", "from_torch", "Network", "Graph", "Node", "ModelError", "UnsupportedOpsError",
           "Profile", "Trace"]
