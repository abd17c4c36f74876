"""fpgaops.Network: an imported model, specialized and optimized per input shape, executed on a
device with activations kept on that device between layers.

    net = fpgaops.load_onnx("resnet18.onnx")
    logits = net(x)                       # NumPy in, NumPy out, on the current device
    print(net.profile(x))                 # per-layer table
    print(net.trace(x, against="onnxruntime"))
"""
import contextlib
import dataclasses
import time

import numpy as np

from ..errors import ArgumentError, FpgaopsError, UnsupportedError
from . import passes, refops
from .devops import DEVICE_OPS, NEEDS, _fo, on_device  # noqa: F401  (DEVICE_OPS: tests patch it here)
from .execute import np_node, run_node
from .ir import ModelError
from .launchplan import WARM, device_lock, plan_of, run_planned
from .plan import plan as make_plan


def _capabilities(int8=False):
    """Which activations the conv2d / eltwise epilogues fuse (read from the ops). ``int8``: for
    the int8 quantizer's graph, whose conv epilogues fuse clamps only (relu, relu6)."""
    from ..ops import conv2d
    from ..ops.act_lut import ACTIVATIONS  # eltwise fuses every act_lut activation

    skip = conv2d.FLOAT_ONLY_ACTIVATIONS if int8 else ()
    return tuple(a for a in conv2d.ACTIVATIONS if a and a not in skip), tuple(ACTIVATIONS)


# --- results ------------------------------------------------------------------------------

@dataclasses.dataclass
class LayerTime:
    node: str
    op: str
    in_shape: tuple
    out_shape: tuple
    algorithm: str
    seconds: float
    flops: int
    fused: str

    @property
    def gflops(self):
        return self.flops / self.seconds / 1e9 if self.seconds > 0 and self.flops else 0.0


class Profile:
    """Per-layer times of one run; ``str()`` is the table, ``rows`` the data."""

    def __init__(self, rows, device, plan, wall):
        self.rows, self.device, self.plan, self.wall = rows, device, plan, wall

    @property
    def total(self):
        return sum(r.seconds for r in self.rows)

    def by_op(self):
        agg = {}
        for r in self.rows:
            agg[r.op] = agg.get(r.op, 0.0) + r.seconds
        return dict(sorted(agg.items(), key=lambda kv: -kv[1]))

    def __str__(self):
        from ..textout import table

        tot = self.total or 1e-30
        rows = [(r.node[:44], r.op + (f"+{r.fused}" if r.fused else ""), "x".join(map(str, r.in_shape)),
                 "x".join(map(str, r.out_shape)), r.algorithm, f"{r.seconds * 1e3:.3f}",
                 f"{r.gflops:.2f}" if r.flops else "-", f"{100 * r.seconds / tot:.1f}%") for r in self.rows]
        gf = sum(r.flops for r in self.rows)
        head = table(rows, ["node", "op", "input", "output", "algorithm", "ms", "GFLOP/s", "share"])
        ops = ", ".join(f"{k} {100 * v / tot:.0f}%" for k, v in self.by_op().items())
        return (f"{head}\n\ndevice {self.device}: {len(self.rows)} layers, {tot * 1e3:.2f} ms in layers "
                f"(wall {self.wall * 1e3:.2f} ms), {gf / 1e9:.3f} GFLOP, {gf / tot / 1e9:.2f} GFLOP/s\n"
                f"time by op: {ops}\n{self.plan}")


@dataclasses.dataclass
class TraceRow:
    node: str
    op: str
    value: str
    shape: tuple
    max_abs_err: float
    scale: float
    ok: bool


class Trace:
    """Layer-by-layer comparison. ``first_divergence`` is the first row beyond tolerance (or None)."""

    def __init__(self, rows, against, device, rtol, atol):
        self.rows, self.against, self.device, self.rtol, self.atol = rows, against, device, rtol, atol

    @property
    def first_divergence(self):
        return next((r for r in self.rows if not r.ok), None)

    @property
    def ok(self):
        return self.first_divergence is None

    def __str__(self):
        from ..textout import table

        rows = [(r.node[:44], r.op, "x".join(map(str, r.shape)), f"{r.max_abs_err:.3e}", f"{r.scale:.3e}",
                 "ok" if r.ok else "DIVERGES") for r in self.rows]
        fd = self.first_divergence
        verdict = ("every layer within tolerance" if fd is None else
                   f"first divergence at node '{fd.node}' ({fd.op}, value '{fd.value}'): max |err| "
                   f"{fd.max_abs_err:.3e} > {self.atol:g} + {self.rtol:g} * {fd.scale:.3e}")
        return (table(rows, ["node", "op", "shape", "max |err|", "max |ref|", "check"]) +
                f"\n\n{self.device} against {self.against} (tolerance atol {self.atol:g} + rtol {self.rtol:g} "
                f"* max|ref| per layer): {verdict}")


# --- the network ------------------------------------------------------------------------------

class _Spec:
    """The graph specialized to one set of input shapes."""

    def __init__(self, g):
        self.graph = g
        self.plan = make_plan(g)
        self.weights = {}  # (device name, const name) -> Tensor, uploaded on first use
        self.launch = {}  # device name -> launch plan state (launchplan.py)
        self.int8 = None  # the graph fused for the int8 quantizer (Network.optimized(int8=True))


class Network:
    """A model ready to run on fpgaops devices. Build with ``fpgaops.load_onnx`` / ``from_torch``."""

    MAX_SPECS = 4  # input shapes kept specialized at once
    # Replay recorded kernel launches from the third run of an input shape on (False: always run
    # op by op; for measuring the per-layer host cost). See backends/opencl/replay.py.
    launch_plans = True

    def __init__(self, graph, info=None, allow_fallback=False, fuse=True, model_bytes=None):
        self.graph = graph
        self.info = dict(info or {})
        self.allow_fallback = allow_fallback
        self.fuse = fuse
        self._model_bytes = model_bytes  # serialized ONNX (for trace against onnxruntime)
        self._specs = {}  # input shapes -> _Spec, least recently used first
        self._caps = _capabilities()
        # fail at load time on unsupported ops / inconsistent shapes, using the declared shapes
        shapes = self._default_shapes()
        if shapes is not None:
            self._spec(shapes)

    # -- introspection
    @property
    def input_names(self):
        return list(self.graph.inputs)

    @property
    def output_names(self):
        return list(self.graph.outputs)

    @property
    def input_shapes(self):
        return dict(self.graph.input_shapes)

    def _default_shapes(self, batch=1):
        """Concrete input shapes from the declaration (symbolic batch -> ``batch``), the model's
        ``fpgaops.default_input_shape`` metadata for one input, or None if unknown."""
        hint = self.info.get("default_input_shape")
        out = {}
        for name, shp in self.graph.input_shapes.items():
            if hint is not None and len(self.graph.inputs) == 1 and shp is not None and len(hint) == len(shp):
                shp = tuple(d if d is not None else h for d, h in zip(shp, hint))
            if shp is None or any(d is None for d in shp[1:]):
                return None
            if not shp:  # a 0-d input
                out[name] = ()
                continue
            out[name] = (batch if shp[0] is None else shp[0],) + tuple(shp[1:])
        return out

    def _spec(self, shapes):
        key = tuple(sorted((k, tuple(v)) for k, v in shapes.items()))
        spec = self._specs.pop(key, None)
        if spec is None:
            spec = _Spec(passes.optimize(self.graph, shapes, self.allow_fallback, self.fuse, *self._caps))
            while len(self._specs) >= self.MAX_SPECS:  # each holds folded weights (and device copies)
                self._specs.pop(next(iter(self._specs)))
        self._specs[key] = spec
        return spec

    def optimized(self, *xs_or_shapes, int8=False):
        """The lowered, fused graph for these inputs (arrays or shapes); default: declared shapes.
        ``int8=True``: the graph the int8 quantizer works on, where convs fuse only the
        activations an int8 conv epilogue has (relu, relu6: clamps); hardsigmoid / hardswish
        stay Act nodes there, with their own calibrated input."""
        if not xs_or_shapes:
            shapes = self._default_shapes()
            if shapes is None:
                raise ArgumentError("shapes", "the model's input shapes are symbolic; pass example inputs or shapes")
        else:
            shapes = self._shape_map(xs_or_shapes)
        spec = self._spec(shapes)
        if not int8:
            return spec.graph
        if spec.int8 is None:
            spec.int8 = passes.optimize(self.graph, shapes, self.allow_fallback, self.fuse, *_capabilities(int8=True),
                                         se=False)
        return spec.int8

    def memory_plan(self, *xs_or_shapes):
        g = self.optimized(*xs_or_shapes)
        return self._spec(self._shape_map([g.shapes[i] for i in g.inputs])).plan

    def peak_activation_bytes(self, *xs_or_shapes):
        return self.memory_plan(*xs_or_shapes).peak_live_bytes

    def missing_ops(self):
        """fpgaops functions this network needs that the installed fpgaops does not export."""
        fo, miss = _fo(), set()
        for n in self.optimized().nodes:
            need = list(NEEDS.get(n.op, []))
            if n.op == "Act":
                need.append(n.attrs["kind"])
            for alts in need:
                if not any(hasattr(fo, a) for a in alts.split("|")):
                    miss.add(alts.split("|")[0])
        return sorted(miss)

    def summary(self, *xs):
        g = self.optimized(*xs)
        return g.summary() + "\n" + str(self.memory_plan(*xs))

    # -- inputs
    def _shape_map(self, xs):
        if len(xs) != len(self.graph.inputs):
            raise ArgumentError("inputs", f"the network takes {len(self.graph.inputs)} input(s) "
                                          f"{self.graph.inputs}, got {len(xs)}")
        out = {}
        for name, x in zip(self.graph.inputs, xs):
            out[name] = tuple(int(d) for d in (x if isinstance(x, (tuple, list)) else np.shape(x) if not hasattr(x, "shape") else x.shape))
        return out

    def _check_inputs(self, xs):
        from ..tensor import Tensor
        if len(xs) != len(self.graph.inputs):
            raise ArgumentError("inputs", f"the network takes {len(self.graph.inputs)} input(s) "
                                          f"{self.graph.inputs}, got {len(xs)}")
        out = []
        for name, x in zip(self.graph.inputs, xs):
            if isinstance(x, Tensor):
                if x.dtype != np.float32:
                    raise ArgumentError(name, f"expected float32, got {x.dtype}")
                out.append(x)
                continue
            if not isinstance(x, np.ndarray):
                raise ArgumentError(name, f"expected a numpy.ndarray or fpgaops.Tensor, got {type(x).__name__}")
            if x.dtype != np.float32:
                raise ArgumentError(name, f"expected float32, got {x.dtype} (convert with .astype(np.float32))")
            if not np.all(np.isfinite(x)):
                raise ArgumentError(name, "contains NaN or Inf")
            out.append(np.require(x, requirements="C"))  # (np.ascontiguousarray makes 0-d arrays 1-d)
        return out

    # -- execution
    @staticmethod
    def _weight(spec, dev, name, arr):
        key = (dev.name, name)
        if key not in spec.weights:
            spec.weights[key] = _fo().to_device(np.ascontiguousarray(arr), dev)
        return spec.weights[key]

    def num_layers(self, *xs):
        """Number of layers (lowered nodes) executed for these inputs."""
        return len(self.optimized(*xs).nodes)

    def _execute(self, xs, dev, on_node=None, numpy=False, step=None, int8_graph=False):
        """Run every node; ``on_node(node, outputs, seconds)`` sees each result. Returns the
        output values (Tensors on the device, or NumPy arrays in numpy mode). ``int8_graph``:
        run the quantizer's graph (``optimized(int8=True)``) instead (numpy mode, calibration)."""
        fo = _fo()
        xs = self._check_inputs(xs)
        spec = self._spec(self._shape_map(xs))
        g, last = spec.graph, spec.plan.last_use
        if int8_graph:
            g = self.optimized(*xs, int8=True)
            last = make_plan(g).last_use
        env = {}
        for name, x in zip(g.inputs, xs):
            if numpy:
                env[name] = x.numpy() if hasattr(x, "numpy") and not isinstance(x, np.ndarray) else x
            else:
                env[name] = fo.to_device(x, dev)
        alias = {}
        for k, n in enumerate(g.nodes):
            args = []
            for i in n.inputs:
                if not i:
                    args.append(None)
                elif i in env:
                    args.append(env[i])
                elif i in g.consts:
                    host = numpy or not on_device(n.op, dev)
                    args.append(g.consts[i] if host else self._weight(spec, dev, i, g.consts[i]))
                else:
                    raise ModelError(f"value '{i}' is not available (internal scheduling error)", n.name)
            t0 = time.perf_counter()
            try:
                y = run_node(n, args, g.opset, dev, numpy)
            except FpgaopsError as e:  # name the node in the message, keep the class and its fields
                if e.args and isinstance(e.args[0], str) and f"'{n.name}'" not in e.args[0]:
                    e.args = (f"node '{n.name}' ({n.op}): {e.args[0]}",) + e.args[1:]
                raise
            except Exception as e:  # never a bare crash out of a model
                raise ModelError(f"{n.op} failed: {type(e).__name__}: {e}", n.name) from e
            if isinstance(y, list):  # several outputs (Split)
                for o, v in zip(n.outputs[1:], y[1:]):
                    if o:
                        env[o] = v
                y = y[0]
            if on_node is not None:
                if not numpy:
                    dev.finish()
                on_node(n, y, time.perf_counter() - t0)
            env[n.outputs[0]] = y
            if step is not None:
                step(n.name)
            # drop activations after their last read: the backend reuses their memory
            for i in n.inputs:
                if i in env and i not in g.outputs and last.get(alias.get(i, i), len(g.nodes)) <= k \
                        and i not in g.inputs:
                    del env[i]
            if n.op == "View":
                alias[n.outputs[0]] = alias.get(n.inputs[0], n.inputs[0])
        outs = []
        for o in g.outputs:
            if o in env:
                outs.append(env[o])
            else:
                c = g.consts[o]
                outs.append(c if numpy else fo.to_device(np.require(c, requirements="C"), dev))
        return outs

    def _device(self, device):
        from ..backends import current_device, get_device
        return get_device(device) if device is not None else current_device()

    def run(self, *xs, device=None, as_tensors=False, callback=None):
        """All outputs as a list (NumPy arrays, or device Tensors with as_tensors=True).
        ``callback(node_name)`` is called after each layer is queued (progress bars)."""
        dev = self._device(device)
        with device_lock(dev):
            if callback is None and self.launch_plans:
                outs = self._run_planned(xs, dev, as_tensors)
                if outs is not None:
                    return outs if as_tensors else self._scalars(xs, outs)
            outs = self._execute(xs, dev, step=callback)
            return outs if as_tensors else self._scalars(xs, [o.numpy() for o in outs])

    def _scalars(self, xs, outs):
        """Device tensors are at least 1-d: a graph output of shape () gets its shape back."""
        g = self._spec(self._shape_map(xs)).graph
        return [o.reshape(()) if g.shapes.get(name) == () and o.size == 1 else o for name, o in zip(g.outputs, outs)]

    def _run_planned(self, xs, dev, as_tensors):
        """The outputs by the launch plan of these input shapes on ``dev`` (launchplan.py); None
        when this run goes op by op."""
        spec = self._spec(self._shape_map(xs))
        if isinstance(spec.launch.get(dev.name), str) and spec.launch[dev.name] != WARM:
            return None  # no plan possible: skip the input checks done again by _execute

        def record(ins, rec):
            host = [n.name for n in spec.graph.nodes if not on_device(n.op, dev)]
            if host:  # (its copies would fail the recording too; this names the node)
                rec.fail(f"host fallback node '{host[0]}'")
            with rec:
                outs = self._execute(ins, dev)
            if any(o in self.graph.inputs or o in spec.graph.consts for o in spec.graph.outputs):
                rec.fail("an output that no node computes")
            return outs, None

        got = run_planned(spec.launch, dev, self._check_inputs(xs), record, as_tensors)
        return None if got is None else got[0]

    def launch_plan(self, *xs, device=None):
        """The launch plan replayed for these inputs on ``device`` (an object with
        ``num_launches``), the reason there is none (a string), or None before the second run."""
        return plan_of(self._spec(self._shape_map(xs)).launch, self._device(device))

    def __call__(self, *xs, device=None):
        """NumPy in, NumPy out. One output -> an array; several -> a tuple."""
        outs = self.run(*xs, device=device)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def run_numpy(self, *xs):
        """The optimized graph executed with the NumPy reference ops (no device; an oracle for the
        importer and the graph passes)."""
        outs = self._execute(xs, None, numpy=True)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def quantize(self, calibration, method="minmax", per_channel=True, skip=(), **kw):
        """Post-training int8 quantization -> an int8 network (fpgaops.graph.quantize.quantize)."""
        from .quantize import quantize
        return quantize(self, calibration, method=method, per_channel=per_channel, skip=skip, **kw)

    def _algorithm(self, dev, g, n):
        if n.op == "Fallback":
            return "fallback(numpy)"
        if n.op == "Host":
            return f"host(numpy): {n.attrs['reason']}"
        if not on_device(n.op, dev):
            return "host(numpy)"
        if n.op != "Conv":
            return {"View": "view (no copy)"}.get(n.op, "-")
        try:
            from ..ops.conv2d import choose_algo
            x, w = g.shapes[n.inputs[0]], g.shapes[n.inputs[1]]
            y = g.shapes[n.outputs[0]]
            a = n.attrs
            algo, m = choose_algo(dev.name, np.dtype(np.float32), x[0], x[1], x[2], x[3], w[0], w[2], w[3], y[2], y[3],
                                  tuple(a["stride"]), tuple(a["dilation"]), a["groups"])
            return f"winograd F({m}x{m},3x3)" if algo == "winograd" else algo
        except Exception:
            return "auto"

    def profile(self, *xs, device=None, warmup=1):
        """Per-layer times (each layer waited for on the device). ``warmup`` untimed runs first
        (the first run on a device builds kernels and uploads weights)."""
        dev = self._device(device)
        with device_lock(dev):
            return self._profile(xs, dev, warmup)

    def _profile(self, xs, dev, warmup):
        for _ in range(warmup):
            self._execute(xs, dev)
        xs_c = self._check_inputs(xs)
        g = self._spec(self._shape_map(xs_c)).graph
        rows = []

        def rec(n, y, dt):
            fused = []
            if n.op == "Conv":
                if n.inputs[3]:
                    fused.append("residual")
                if n.attrs["activation"]:
                    fused.append(n.attrs["activation"])
            elif n.op in ("Add", "Mul") and n.attrs["activation"]:
                fused.append(n.attrs["activation"])
            op = n.attrs["kind"] if n.op == "Act" else (f"Fallback:{n.attrs['onnx_op']}" if n.op == "Fallback" else
                                                        f"host:{n.attrs['onnx_op']}" if n.op == "Host" else n.op)
            rows.append(LayerTime(n.name, op, g.shapes.get(n.inputs[0], ()), g.shapes.get(n.outputs[0], ()),
                                  self._algorithm(dev, g, n), dt, passes.flops(g, n), "+".join(fused)))

        t0 = time.perf_counter()
        outs = self._execute(xs_c, dev, on_node=rec)
        for o in outs:
            o.numpy()
        wall = time.perf_counter() - t0
        return Profile(rows, dev.name, self._spec(self._shape_map(xs_c)).plan, wall)

    def _record(self, xs, dev, numpy=False):
        vals = {}
        with contextlib.nullcontext() if numpy else device_lock(dev):
            self._execute(xs, dev, on_node=lambda n, y, dt: vals.__setitem__(n.outputs[0], (n, np.asarray(y) if numpy else y.numpy())),
                          numpy=numpy)
        return vals

    def trace(self, *xs, against="reference", device=None, rtol=1e-3, atol=1e-4):
        """Run on ``device`` keeping every layer's output and compare each with ``against``:
        "reference" (the same optimized graph on fpgaops' reference backend), "numpy" (the
        optimized graph on the NumPy ONNX ops of fpgaops.graph.refops) or "onnxruntime" (the
        original model with every compared value exposed as an output). A layer diverges when
        max |err| > atol + rtol * max |ref|."""
        dev = self._device(device)
        got = self._record(xs, dev)
        if against == "reference":
            ref = {k: v[1] for k, v in self._record(xs, self._device("reference")).items()}
        elif against == "numpy":
            ref = {k: v[1] for k, v in self._record(xs, None, numpy=True).items()}
        elif against == "onnxruntime":
            ref = self._ort_values(xs, list(got))
        else:
            raise ArgumentError("against", f"expected 'reference', 'numpy' or 'onnxruntime', got {against!r}")
        rows = []
        for v, (n, y) in got.items():
            if v not in ref:
                continue
            r = np.asarray(ref[v], np.float64)
            if r.shape != y.shape:
                rows.append(TraceRow(n.name, n.op, v, y.shape, float("inf"), 0.0, False))
                continue
            err = float(np.max(np.abs(y.astype(np.float64) - r))) if y.size else 0.0
            scale = float(np.max(np.abs(r))) if r.size else 0.0
            ok = bool(np.all(np.isfinite(y))) and err <= atol + rtol * scale
            op = n.attrs["kind"] if n.op == "Act" else n.op
            rows.append(TraceRow(n.name, op, v, y.shape, err, scale, ok))
        return Trace(rows, against, dev.name, rtol, atol)

    def _ort_values(self, xs, names):
        if self._model_bytes is None:
            raise UnsupportedError("trace against onnxruntime needs a network loaded from an ONNX model")
        try:
            import onnx
            import onnxruntime as ort
        except ImportError as e:
            raise UnsupportedError(f"trace against onnxruntime needs onnx and onnxruntime: {e}") from None
        m = onnx.ModelProto()
        m.ParseFromString(self._model_bytes)
        have = {o.name for o in m.graph.output}
        produced = {o for n in m.graph.node for o in n.output}
        for v in names:
            if v in produced and v not in have:
                m.graph.output.append(onnx.helper.make_empty_tensor_value_info(v))
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
        feeds = {n: (x.numpy() if not isinstance(x, np.ndarray) else x) for n, x in zip(self.graph.inputs, xs)}
        outs = sess.run(None, feeds)
        return {o.name: v for o, v in zip(sess.get_outputs(), outs)}

    def __repr__(self):
        return (f"fpgaops.Network('{self.graph.name}', inputs={self.graph.input_shapes}, "
                f"{len(self.graph.nodes)} ONNX nodes, opset {self.graph.opset})")
