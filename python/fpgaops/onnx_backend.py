"""fpgaops as an ONNX backend (``onnx.backend.base.Backend``), so ONNX's own backend test suite
(``onnx.backend.test.BackendTest``) runs against it the way other runtimes prove conformance.

    import fpgaops.onnx_backend as backend
    rep = backend.prepare(model, device="opencl")       # an fpgaops device name, or "CPU"
    outputs = rep.run([x])                               # a tuple of NumPy arrays
    backend.run_model(model, [x], device="reference")

Devices: ``device`` is an fpgaops device name (``reference``, ``csim``, ``opencl``, ``xrt``) or
ONNX's generic ``"CPU"``, which means the backend's default device: fpgaops' current device for
``FpgaopsBackend``, the bound device for a class from ``backend_for(name)`` (the backend test
suite names every test after the device string it passes, ``test_relu_cpu``, so the conformance
tests bind one class per fpgaops device). ``"CUDA"`` and other ONNX device strings are not
supported.

Graph inputs that are int32/int64 tensors or feed a parameter slot (``onnx_opsets.PARAM_INPUTS``:
a Reshape's shape, Resize's scales/sizes, Split's sizes... given at run time, as many ONNX node
tests do) are bound as constants when ``run`` sees their values: fpgaops plans shapes on the
host, so the model is specialized to those values (cached per value) and imported again. Other
non-float32 inputs are refused by the importer (float32 is the float path). Every failure is an
``FpgaopsError`` (``UnsupportedError`` / ``ModelError`` naming the
node); options: ``allow_fallback`` (default False) as in ``fpgaops.load_onnx``.
"""
import hashlib

import numpy as np
from onnx.backend.base import Backend, BackendRep

from .errors import ArgumentError, UnsupportedError
from .graph.onnx_opsets import PARAM_INPUTS

ONNX_DEVICES = ("CPU",)  # ONNX device strings accepted (mapped to the backend's default device)
_IGNORED = ("rtol", "atol")  # per-test tolerances the ONNX test runner passes through prepare()


def _resolve(cls, device):
    from .backends import current_device, get_device

    if not isinstance(device, str):
        raise ArgumentError("device", f"expected a device name string, got {device!r}")
    if device.upper() in ONNX_DEVICES:
        return get_device(cls.DEVICE) if cls.DEVICE else current_device()
    if device.upper() == "CUDA" or ":" in device:
        raise UnsupportedError(f"device: ONNX device {device!r} is not an fpgaops device; use 'CPU' or one of "
                               "'reference', 'csim', 'opencl', 'xrt'")
    return get_device(device)


class FpgaopsRep(BackendRep):
    """A prepared model: an ``fpgaops.Network`` on one device (one per bound set of non-float inputs)."""

    MAX_SPECIALIZED = 8

    def __init__(self, model, device, allow_fallback=False):
        from . import graph

        self.model = model
        self.device = device
        self.allow_fallback = allow_fallback
        inits = {t.name for t in model.graph.initializer}
        self.inputs = [vi for vi in model.graph.input if vi.name not in inits]
        # inputs bound at run time: integer tensors and every input feeding a parameter slot
        params = {n.input[k] for n in model.graph.node for k in PARAM_INPUTS.get(n.op_type, ()) if k < len(n.input)}
        self.bound = [k for k, vi in enumerate(self.inputs)
                      if vi.type.tensor_type.elem_type in (6, 7) or vi.name in params]
        for k, vi in enumerate(self.inputs):
            if k not in self.bound and (not vi.type.HasField("tensor_type") or vi.type.tensor_type.elem_type != 1):
                kind = vi.type.WhichOneof("value") or "unknown"
                raise UnsupportedError(f"graph input '{vi.name}' is a {kind} of ONNX element type "
                                       f"{vi.type.tensor_type.elem_type}; only float32 tensors are supported")
        self._nets = {}
        self.network = None if self.bound else graph.load_onnx(model, allow_fallback=allow_fallback)

    def _specialize(self, values):
        from onnx import numpy_helper

        from . import graph

        key = hashlib.sha256(b"".join(str(v.dtype).encode() + str(v.shape).encode() + v.tobytes()
                                      for v in values)).hexdigest()
        if key not in self._nets:
            m = type(self.model)()
            m.CopyFrom(self.model)
            for k, v in zip(self.bound, values):
                name = self.inputs[k].name
                m.graph.initializer.append(numpy_helper.from_array(v, name))
            while len(self._nets) >= self.MAX_SPECIALIZED:
                self._nets.pop(next(iter(self._nets)))
            self._nets[key] = graph.load_onnx(m, allow_fallback=self.allow_fallback)
        return self._nets[key]

    def run(self, inputs, **kwargs):
        if isinstance(inputs, dict):
            missing = [vi.name for vi in self.inputs if vi.name not in inputs]
            if missing:
                raise ArgumentError("inputs", f"missing graph input(s) {missing}")
            inputs = [inputs[vi.name] for vi in self.inputs]
        elif isinstance(inputs, np.ndarray):
            inputs = [inputs]
        inputs = list(inputs)
        if len(inputs) != len(self.inputs):
            raise ArgumentError("inputs", f"the model takes {len(self.inputs)} input(s) "
                                          f"{[vi.name for vi in self.inputs]}, got {len(inputs)}")
        try:
            inputs = [np.asarray(x) for x in inputs]
        except ValueError as e:  # ragged lists, sequences
            raise ArgumentError("inputs", f"every input must be a tensor (array): {e}") from None
        if any(x.dtype == object for x in inputs):
            raise ArgumentError("inputs", "every input must be a numeric tensor")
        net = self.network
        if self.bound:
            net = self._specialize([inputs[k] for k in self.bound])
            inputs = [x for k, x in enumerate(inputs) if k not in self.bound]
        return tuple(net.run(*inputs, device=self.device))


class FpgaopsBackend(Backend):
    """``onnx.backend.base.Backend`` over fpgaops. ``DEVICE``: what "CPU" means (None: the current
    fpgaops device)."""

    DEVICE = None

    @classmethod
    def is_compatible(cls, model, device="CPU", **kwargs):
        return True  # an incompatible model fails in prepare() with the nodes and reasons

    @classmethod
    def prepare(cls, model, device="CPU", allow_fallback=False, **kwargs):
        unknown = set(kwargs) - set(_IGNORED)
        if unknown:
            raise ArgumentError(sorted(unknown)[0], "unknown option (expected allow_fallback)")
        from .graph.onnx_import import _read_model

        model, _base = _read_model(model)
        return FpgaopsRep(model, _resolve(cls, device), allow_fallback)

    @classmethod
    def run_model(cls, model, inputs, device="CPU", **kwargs):
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(cls, node, inputs, device="CPU", outputs_info=None, **kwargs):
        raise UnsupportedError("run_node: fpgaops runs whole models; wrap the node in a model (onnx.helper)")

    @classmethod
    def supports_device(cls, device):
        from .backends import devices

        if not isinstance(device, str):
            return False
        avail = {d.name for d in devices() if d.available}
        if device.upper() in ONNX_DEVICES:
            return cls.DEVICE is None or cls.DEVICE in avail
        return device in avail


def backend_for(device):
    """A Backend class whose ONNX "CPU" device is the fpgaops device ``device``."""
    return type(f"FpgaopsBackend_{device}", (FpgaopsBackend,), {"DEVICE": device})


prepare = FpgaopsBackend.prepare
run_model = FpgaopsBackend.run_model
run_node = FpgaopsBackend.run_node
supports_device = FpgaopsBackend.supports_device
is_compatible = FpgaopsBackend.is_compatible
