"""Post-training int8 quantization of a Network: ``net.quantize(calibration, ...)``.

    qnet = net.quantize(calib_batches, method="minmax" | "percentile" | "entropy",
                        per_channel=True, skip=["first", "last", "some.node"])
    y = qnet(x)                     # float32 in, float32 out; int8 kernels in between

The scheme (docs/int8.md has the full story):

* weights: int8 symmetric in [-127, 127], one scale per output channel (``per_channel=True``) or
  one per tensor; bias int32 at scale ``input_scale * weight_scale[k]``;
* activations: one affine ``QParams(scale, zero_point)`` per tensor from calibration ranges that
  always contain 0. A tensor calibrated non-negative (after ReLU / ReLU6) gets zero point -128:
  that is uint8 with all 256 codes, represented as int8 with the zero point shifted by 128
  (exactly equivalent);
* every int8 layer is one fpgaops int8 op: ``conv2d`` (requantization by integer multiplier and
  shift, bias, residual add and ReLU/ReLU6 clamp fused in the epilogue), ``add``/``mul`` (int8
  residual adds, broadcasting), ``activation`` (256-entry LUT), ``max_pool2d`` /
  ``avg_pool2d`` / ``adaptive_avg_pool2d`` (output quantized like the input), views. ``Gemm`` and
  ``MatMul`` with a constant weight run as a 1x1 int8 ``conv2d`` -- the same GEMM engine, with the
  requantizing epilogue that the int32-output ``gemm`` op does not have;
* layers that have no int8 kernel (Softmax, NumPy fallbacks, MatMul of two activations) and the
  layers named in ``skip`` stay float32; values crossing the boundary are quantized /
  dequantized on the host with ``fpgaops.quant.quantize`` / ``dequantize``.

Every integer step is deterministic, so an all-int8 network gives bit-identical outputs on every
backend (reference, csim, opencl, xrt) for the same input.
"""
import dataclasses
import math
import numbers

import numpy as np

from .. import quant
from ..errors import ArgumentError, ArgumentTypeError, UnsupportedError
from ..ops.conv2d import conv2d_pwdw_words, conv2d_words
from ..quant import QParams
from . import words

METHODS = ("minmax", "percentile", "entropy")
NUM_BINS = 2048
# an activation range narrower than this (a constant-zero tensor) gets this width instead
MIN_RANGE = 1e-6
BIAS_LIMIT = 2**30  # |int32 bias| cap: keeps acc + bias away from int32 wrap-around
# ops that keep their input's quantization (max/avg pooling and views work on the codes)
SAME_Q = ("MaxPool", "AvgPool", "GlobalAvgPool", "View")
INT8_OPS = ("Conv", "Gemm", "MatMul", "Act", "Add", "Mul") + SAME_Q


def _fo():
    import fpgaops
    return fpgaops


# --- calibration ------------------------------------------------------------------------------

def _batches(net, calibration):
    """The calibration batches as lists of float32 arrays (one per network input)."""
    if isinstance(calibration, np.ndarray) or calibration is None:
        raise ArgumentTypeError("calibration", "expected an iterable of input batches (e.g. a list of arrays), "
                                f"got {type(calibration).__name__}")
    try:
        it = iter(calibration)
    except TypeError:
        raise ArgumentTypeError("calibration", f"expected an iterable of input batches, got "
                                f"{type(calibration).__name__}") from None
    out = []
    n_in = len(net.graph.inputs)
    for i, b in enumerate(it):
        xs = list(b) if isinstance(b, (tuple, list)) else [b]
        if len(xs) != n_in:
            raise ArgumentError("calibration", f"batch {i}: the network takes {n_in} input(s), got {len(xs)}")
        conv = []
        for x in xs:
            if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
                x = x.numpy() if not hasattr(x, "detach") else x.detach().cpu().numpy()
            if not isinstance(x, np.ndarray):
                raise ArgumentTypeError("calibration", f"batch {i}: expected a numpy array, got {type(x).__name__}")
            if x.dtype.kind not in "fiu":
                raise ArgumentTypeError("calibration", f"batch {i}: expected a numeric array, got dtype {x.dtype}")
            x = np.ascontiguousarray(x, dtype=np.float32)
            if not np.all(np.isfinite(x)):
                raise ArgumentError("calibration", f"batch {i} contains NaN or Inf values; calibration data must be "
                                    "finite")
            conv.append(x)
        out.append(conv)
    if not out:
        raise ArgumentError("calibration", "no calibration batches (the iterable is empty)")
    return out


def _forward_values(net, xs, fn):
    """Run the float network (the optimized graph, NumPy ops) and call fn(value, array) on every
    graph input and node output."""
    g = net.optimized(*xs, int8=True)
    for name, x in zip(g.inputs, xs):
        fn(name, x)
    net._execute(xs, None, numpy=True, on_node=lambda n, y, dt: fn(n.outputs[0], np.asarray(y)), int8_graph=True)


def _entropy_threshold(hist, edges, signed):
    """TensorRT-style KL-divergence threshold on a histogram of |x| (bins over [0, max|x|])."""
    levels = 128 if signed else 256
    nb = len(hist)
    if hist.sum() == 0 or nb <= levels:
        return float(edges[-1])
    hist = hist.astype(np.float64)
    best, best_i = math.inf, nb
    for i in range(levels, nb + 1, 8):
        p = hist[:i].copy()
        p[i - 1] += hist[i:].sum()
        nz = p > 0
        # quantize the first i bins into `levels` groups, expand back over the non-empty bins
        idx = (np.arange(i) * levels) // i
        sums = np.bincount(idx, weights=hist[:i], minlength=levels)
        cnt = np.bincount(idx, weights=nz.astype(np.float64), minlength=levels)
        q = np.where(nz, sums[idx] / np.maximum(cnt[idx], 1), 0.0)
        ps, qs = p.sum(), q.sum()
        if qs == 0:
            continue
        pn, qn = p / ps, q / qs
        m = pn > 0
        with np.errstate(divide="ignore"):
            kl = np.sum(pn[m] * np.log(pn[m] / np.where(qn[m] > 0, qn[m], 1e-12)))
        if kl < best:
            best, best_i = kl, i
    return float(edges[best_i])


def calibrate(net, batches, method="minmax", percentile=99.99, num_bins=NUM_BINS):
    """{value name: (lo, hi)} float ranges of every activation tensor over the calibration set."""
    lo, hi = {}, {}

    def minmax(name, y):
        if y.size == 0 or y.dtype.kind != "f":
            return
        a, b = float(np.min(y)), float(np.max(y))
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ArgumentError("calibration", f"the float network produced NaN/Inf in '{name}' on the calibration "
                                "data")
        lo[name] = min(lo.get(name, a), a)
        hi[name] = max(hi.get(name, b), b)

    for xs in batches:
        _forward_values(net, xs, minmax)
    if method == "minmax":
        return {k: (lo[k], hi[k]) for k in lo}
    hists = {}

    def hist(name, y):
        if name not in lo:
            return
        if method == "percentile":
            a, b = lo[name], hi[name]
            if b <= a:
                return
            h, _ = np.histogram(y, bins=num_bins, range=(a, b))
        else:
            m = max(abs(lo[name]), abs(hi[name]))
            if m <= 0:
                return
            h, _ = np.histogram(np.abs(y), bins=num_bins, range=(0.0, m))
        hists[name] = hists.get(name, 0) + h.astype(np.int64)

    for xs in batches:
        _forward_values(net, xs, hist)
    ranges = {}
    for k in lo:
        a, b = lo[k], hi[k]
        h = hists.get(k)
        if h is None:
            ranges[k] = (a, b)
            continue
        if method == "percentile":
            edges = np.linspace(a, b, num_bins + 1)
            c = np.cumsum(h) / h.sum()
            tail = (100.0 - percentile) / 100.0
            i_lo = int(np.searchsorted(c, tail, side="left"))
            i_hi = int(np.searchsorted(c, 1.0 - tail, side="left"))
            ranges[k] = (max(a, float(edges[i_lo])) if a < 0 else a, min(b, float(edges[min(i_hi + 1, num_bins)])))
        else:
            m = max(abs(a), abs(b))
            t = _entropy_threshold(h, np.linspace(0.0, m, num_bins + 1), signed=a < 0)
            ranges[k] = (max(a, -t), min(b, t))
    return ranges


def qparams_from_range(lo, hi):
    """Affine int8 QParams covering [lo, hi] (widened to contain 0). A non-negative range gets zero
    point -128 (uint8 codes shifted by 128)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < MIN_RANGE:
        hi = lo + MIN_RANGE
    scale = float(np.float32((hi - lo) / 255.0))
    zp = int(np.clip(round(quant.QMIN - lo / scale), quant.QMIN, quant.QMAX))
    return QParams(scale, zp)


# --- weights ------------------------------------------------------------------------------------

def quantize_weight(w, per_channel=True):
    """(int8 weight, float32 scales (K,)): symmetric, codes in [-127, 127]; an all-zero channel
    gets scale 0 here (replaced by the caller, which knows the layer's other scales)."""
    w = np.asarray(w, np.float64)
    k = w.shape[0]
    amax = np.max(np.abs(w.reshape(k, -1)), axis=1) if per_channel else np.full(k, np.max(np.abs(w)))
    scale = (amax / 127.0).astype(np.float32).astype(np.float64)
    safe = np.where(scale > 0, scale, 1.0).reshape((k,) + (1,) * (w.ndim - 1))
    wq = np.clip(np.rint(w / safe), -127, 127).astype(np.int8)
    return wq, scale


@dataclasses.dataclass
class _Layer:
    """A prepared int8 conv-like layer (Conv, or Gemm/MatMul as a 1x1 conv)."""
    weight: np.ndarray      # int8 KCRS
    bias: np.ndarray        # int32 (K,)
    weight_scale: np.ndarray  # float64 (K,), float32-representable


class QuantizedNetwork:
    """An int8 network made by ``Network.quantize``. Call it like the float network: float32
    NumPy in, float32 NumPy out (outputs dequantized). ``qparams`` maps every int8 value to its
    QParams; ``float_nodes`` lists the layers that stay float32 (and why)."""

    def __init__(self, net, qparams, method, per_channel, skip_nodes, ranges):
        self.float_network = net
        self.qparams = dict(qparams)
        self.method = method
        self.per_channel = per_channel
        self.skip = set(skip_nodes)
        self.ranges = dict(ranges)
        self._layers = {}     # node name -> _Layer
        self._weights = {}    # (device name, key) -> Tensor
        self.float_nodes = {}  # node name -> reason
        self._launch = {}     # input shapes -> {device name: launch plan state} (launchplan.py)

    # -- introspection
    @property
    def input_names(self):
        return self.float_network.input_names

    @property
    def output_names(self):
        return self.float_network.output_names

    def optimized(self, *xs):
        return self.float_network.optimized(*xs, int8=True)

    def __repr__(self):
        return (f"fpgaops.QuantizedNetwork('{self.float_network.graph.name}', int8 {self.method}, "
                f"per_channel={self.per_channel}, float layers={sorted(self.float_nodes)})")

    # -- planning
    def _int8_reason(self, g, n):
        """None if node n runs in int8, else why it stays float."""
        if n.name in self.skip:
            return "skipped by request"
        if n.op not in INT8_OPS:
            return f"no int8 kernel for {n.op if n.op != 'Fallback' else 'Fallback:' + n.attrs['onnx_op']}"
        if n.op in ("Gemm", "MatMul"):
            if n.inputs[1] not in g.consts:
                return "the weight is not a constant"
            if len(g.shapes.get(n.inputs[0], ())) != 2:
                return "only 2-D inputs run in int8"
            if n.op == "Gemm":
                a = n.attrs
                if a["trans_a"]:
                    return "trans_a"
                if len(n.inputs) > 2 and n.inputs[2]:
                    c = n.inputs[2]
                    if c not in g.consts:
                        return "the bias is not a constant"
                    k = g.shapes[n.outputs[0]][1]
                    if np.asarray(g.consts[c]).size != k:
                        return "the bias is not one value per output"
        if n.op == "Conv":
            if n.inputs[1] not in g.consts or (n.inputs[2] and n.inputs[2] not in g.consts):
                return "the weight is not a constant"
            w = g.consts[n.inputs[1]]
            from ..ops.conv2d import INT8_MAX_TAPS
            if w[0].size > INT8_MAX_TAPS:
                return "too many taps for the int32 accumulator"
        if n.op in ("Act", "Add", "Mul", "Conv", "Gemm", "MatMul") and n.outputs[0] not in self.qparams:
            return "no calibration range for its output"
        for i in n.inputs:
            if i and i not in g.consts and i not in self.qparams:
                return f"no quantization parameters for its input '{i}'"
        return None

    def _conv_like(self, g, n):
        """The float (weight KCRS, bias (K,)) of a Conv / Gemm / MatMul node."""
        if n.op == "Conv":
            w = np.asarray(g.consts[n.inputs[1]], np.float32)
            b = np.asarray(g.consts[n.inputs[2]], np.float32) if n.inputs[2] else None
            return w, b
        b_ = np.asarray(g.consts[n.inputs[1]], np.float64)
        if n.op == "MatMul":
            w, b = b_.T, None
        else:
            a = n.attrs
            w = (b_ if a["trans_b"] else b_.T) * a["alpha"]
            b = None
            if len(n.inputs) > 2 and n.inputs[2]:
                b = np.asarray(g.consts[n.inputs[2]], np.float64).reshape(-1) * a["beta"]
        return w.astype(np.float32)[:, :, None, None], (None if b is None else b.astype(np.float32))

    def _layer(self, g, n, qx, qy):
        if n.name in self._layers:
            return self._layers[n.name]
        w, b = self._conv_like(g, n)
        wq, sw = quantize_weight(w, self.per_channel)
        # an all-zero output channel: its scale only carries the bias; make the multiplier 1
        sw = np.where(sw > 0, sw, float(np.float32(qy.scale32 / qx.scale32)))
        k = w.shape[0]
        if b is None:
            bq = np.zeros(k, np.int32)
        else:
            bq = np.clip(np.rint(b.astype(np.float64) / (qx.scale32 * sw)), -BIAS_LIMIT, BIAS_LIMIT).astype(np.int32)
        layer = _Layer(wq, bq, sw)
        self._layers[n.name] = layer
        return layer

    # -- execution
    def _const(self, dev, key, arr):
        k = (dev.name, key)
        if k not in self._weights:
            self._weights[k] = _fo().to_device(np.ascontiguousarray(arr), dev)
        return self._weights[k]

    def _device(self, device):
        from ..backends import current_device, get_device
        return get_device(device) if device is not None else current_device()

    def _execute(self, xs, dev, record=None, feed=None):
        from .launchplan import device_lock

        with device_lock(dev):  # network runs on one device are serialised (launchplan.py)
            return self._execute_locked(xs, dev, record, feed)

    def _execute_locked(self, xs, dev, record=None, feed=None):
        """Run; returns the output values as (array or Tensor, QParams or None). ``record(node,
        value, (array or Tensor, QParams or None))`` sees every node output as computed.
        ``feed`` ({value: int8 codes}) replaces those int8 values after they are computed, so
        later layers see the given codes (layer-by-layer comparison without propagation)."""
        from .execute import run_node

        fo = _fo()
        net = self.float_network
        xs = net._check_inputs(xs)
        g = net.optimized(*xs, int8=True)
        env = {}
        for name, x in zip(g.inputs, xs):
            env[name] = (fo.to_device(x, dev), None)

        def as_float(v):
            val, q = v
            if q is None:
                return val
            t = getattr(dev, "dequantize_tensor", lambda *a: None)(val, q.scale32, q.zero_point)
            return t if t is not None else fo.to_device(quant.dequantize(val.numpy(), q).astype(np.float32), dev)

        def as_int8(v, name):
            val, q = v
            if q is not None:
                return val, q
            q = self.qparams[name]
            if feed is not None and name in feed:
                return fo.to_device(np.ascontiguousarray(feed[name], np.int8), dev), q
            if not isinstance(val, np.ndarray):  # on the device where it can (launch plans need it)
                t = getattr(dev, "quantize_tensor", lambda *a: None)(val, q.scale32, q.zero_point)
                if t is not None:
                    return t, q
            host = val.numpy() if not isinstance(val, np.ndarray) else val
            return fo.to_device(quant.quantize(host, q), dev), q

        def arg(i):
            if i in env:
                return env[i]
            if i in g.consts:
                return self._const(dev, ("float", i), np.asarray(g.consts[i], np.float32)), None
            raise UnsupportedError(f"value '{i}' is not available")

        # the values 1x1 convs read, and their second layout where their producer wrote one (words.py;
        # not with ``feed``, which replaces values after they are made)
        layouts = (words.read_by_pointwise(g, self._int8_reason) if feed is None else set(), {})
        # expansion + depthwise pairs, run together (words.pwdw_pairs; not with ``feed``, which
        # replaces the expansion's value before the depthwise conv would read it)
        pairs = words.pwdw_pairs(g, self._int8_reason) if feed is None else {}
        early = {}  # depthwise node name -> its (value, QParams), made with its expansion
        for n in g.nodes:
            why = self._int8_reason(g, n)
            if n.name in early:
                out = early.pop(n.name)
            elif why is not None:
                self.float_nodes.setdefault(n.name, why)
                args = [None if not i else as_float(arg(i)) for i in n.inputs]
                y = run_node(n, args, g.opset, dev, False)  # device, host and fallback ops alike
                if isinstance(y, list):  # several outputs (Split)
                    env.update((o, (v, None)) for o, v in zip(n.outputs[1:], y[1:]) if o)
                    y = y[0]
                out = (y, None)
            elif n.name in pairs:
                out, early[pairs[n.name].name] = self._run_pwdw(g, n, pairs[n.name], dev, arg, as_int8, layouts)
            else:
                out = self._run_int8(g, n, dev, arg, as_int8, layouts)
            if record is not None:
                record(n, n.outputs[0], out)
            if feed is not None and out[1] is not None and n.outputs[0] in feed:
                out = (fo.to_device(np.ascontiguousarray(feed[n.outputs[0]], np.int8), dev), out[1])
            env[n.outputs[0]] = out
        return [env[o] if o in env else (np.asarray(g.consts[o], np.float32), None) for o in g.outputs]

    def _run_int8(self, g, n, dev, arg, as_int8, layouts):
        """Node ``n`` in int8: (its value, its QParams). ``layouts``: (the values 1x1 convs read, {value:
        its words}) as ``_execute_locked`` keeps them."""
        fo = _fo()
        a = n.attrs
        if n.op in SAME_Q:
            x, qx = as_int8(arg(n.inputs[0]), n.inputs[0])
            qo = self.qparams.get(n.outputs[0])
            if n.op == "GlobalAvgPool" and qo is not None and qo != qx:
                # an output quantized differently from the input (imported QDQ models): the
                # average as a depthwise H x W conv of ones with weight scale 1/(H*W), whose
                # epilogue requantizes to the output's QParams
                nb, c, h, w_ = x.shape
                ones = self._const(dev, ("gap_ones", c, h, w_), np.ones((c, 1, h, w_), np.int8))
                y = fo.conv2d(x, ones, None, groups=c, input_scale=qx.scale32, input_zero_point=qx.zero_point,
                              weight_scale=1.0 / (h * w_), output_scale=qo.scale32, output_zero_point=qo.zero_point)
                return y, qo
            if n.op == "View":
                y = x.reshape(a["shape"])
            elif n.op == "MaxPool":
                y = fo.max_pool2d(x, a["kernel_size"], stride=a["stride"], padding=a["padding"],
                                  dilation=a["dilation"], ceil_mode=a["ceil_mode"])
            elif n.op == "AvgPool":
                y = fo.avg_pool2d(x, a["kernel_size"], stride=a["stride"], padding=a["padding"],
                                  ceil_mode=a["ceil_mode"], count_include_pad=a["count_include_pad"], x_q=qx)
            else:
                y = fo.adaptive_avg_pool2d(x, 1, x_q=qx)
            self.qparams[n.outputs[0]] = qx
            return y, qx
        qy = self.qparams[n.outputs[0]]
        if n.op == "Act":
            x, qx = as_int8(arg(n.inputs[0]), n.inputs[0])
            return fo.activation(x, a["kind"], x_q=qx, out_q=qy, **a["params"]), qy
        if n.op in ("Add", "Mul"):
            ops = []
            for i in n.inputs[:2]:
                if i in g.consts:
                    c = np.asarray(g.consts[i], np.float32)
                    qc = self.qparams.get(i) or qparams_from_range(float(c.min()), float(c.max()))
                    self.qparams[i] = qc
                    ops.append((self._const(dev, ("q", i, qc), quant.quantize(c, qc)), qc))
                else:
                    ops.append(as_int8(arg(i), i))
            fn = fo.add if n.op == "Add" else fo.mul
            (ta, qa), (tb, qb) = ops
            return fn(ta, tb, activation=a["activation"], a_q=qa, b_q=qb, out_q=qy), qy
        # Conv, Gemm, MatMul
        x, qx = as_int8(arg(n.inputs[0]), n.inputs[0])
        if n.op == "Conv":
            wanted, made = layouts
            y, yw = conv2d_words(x, made.get(n.inputs[0]), n.outputs[0] in wanted,
                                 **self._conv_args(g, n, dev, arg, as_int8, qx, qy))
            if yw is not None:
                made[n.outputs[0]] = yw
            return y, qy
        layer = self._layer(g, n, qx, qy)
        w = self._const(dev, ("w", n.name), layer.weight)
        b = self._const(dev, ("b", n.name, qx), layer.bias)
        m, k = x.shape
        y = fo.conv2d(x.reshape(m, k, 1, 1), w, b, input_scale=qx.scale32, input_zero_point=qx.zero_point,
                      weight_scale=layer.weight_scale, output_scale=qy.scale32, output_zero_point=qy.zero_point)
        return y.reshape(m, layer.weight.shape[0]), qy

    def _run_pwdw(self, g, n, d, dev, arg, as_int8, layouts):
        """Expansion Conv ``n`` and the depthwise Conv ``d`` reading its output (words.pwdw_pairs):
        ((n's value, QParams), (d's value, QParams)), as _run_int8 of each would give them."""
        x, qx = as_int8(arg(n.inputs[0]), n.inputs[0])
        qe, qy = self.qparams[n.outputs[0]], self.qparams[d.outputs[0]]
        wanted, made = layouts
        pw = self._conv_args(g, n, dev, arg, as_int8, qx, qe)
        dw = self._conv_args(g, d, dev, arg, as_int8, qe, qy)
        ye, y, yw = conv2d_pwdw_words(x, made.get(n.inputs[0]), pw, dw, d.outputs[0] in wanted)
        if yw is not None:
            made[d.outputs[0]] = yw
        return (ye, qe), (y, qy)

    def _conv_args(self, g, n, dev, arg, as_int8, qx, qy):
        """fpgaops.conv2d's arguments but x for int8 Conv node ``n`` (input QParams qx, output qy)."""
        a = n.attrs
        layer = self._layer(g, n, qx, qy)
        kw = dict(weight=self._const(dev, ("w", n.name), layer.weight), bias=self._const(dev, ("b", n.name, qx), layer.bias),
                  stride=a["stride"], padding=a["padding"], dilation=a["dilation"], groups=a["groups"],
                  activation=a["activation"], input_scale=qx.scale32, input_zero_point=qx.zero_point,
                  weight_scale=layer.weight_scale, output_scale=qy.scale32, output_zero_point=qy.zero_point)
        if n.inputs[3]:
            r, qr = as_int8(arg(n.inputs[3]), n.inputs[3])
            kw.update(residual=r, residual_scale=qr.scale32, residual_zero_point=qr.zero_point)
        return kw

    def run(self, *xs, device=None, int8_outputs=False):
        """All outputs as a list of float32 arrays (dequantized); with ``int8_outputs=True`` the
        int8 outputs are returned as (int8 codes, QParams) pairs instead (float outputs as
        (array, None))."""
        from .launchplan import device_lock

        dev = self._device(device)
        with device_lock(dev):
            outs = self._run_planned(xs, dev) if self.float_network.launch_plans else None
            if outs is None:
                outs = self._execute(xs, dev)
            outs = [(v if isinstance(v, np.ndarray) else v.numpy(), q) for v, q in outs]
        if int8_outputs:
            return [(v if isinstance(v, np.ndarray) else v.numpy(), q) for v, q in outs]
        return [_to_float_host(o) for o in outs]

    def __call__(self, *xs, device=None):
        outs = self.run(*xs, device=device)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def _run_planned(self, xs, dev):
        """[(array, QParams or None)] by the launch plan of these input shapes (launchplan.py), or
        None when this run goes op by op."""
        from .launchplan import run_planned

        key = tuple(sorted(self.float_network._shape_map(xs).items()))
        states = self._launch.pop(key, None) or {}
        self._launch[key] = states  # most recently used last; a few shapes kept (each holds buffers)
        while len(self._launch) > 4:
            self._launch.pop(next(iter(self._launch)))

        def record(ins, rec):
            with rec:
                outs = self._execute(ins, dev)
            return [v for v, _q in outs], [q for _v, q in outs]

        got = run_planned(states, dev, self.float_network._check_inputs(xs), record, False)
        return None if got is None else list(zip(*got))

    def launch_plan(self, *xs, device=None):
        """The launch plan replayed for these inputs on ``device``, the reason there is none, or None."""
        from .launchplan import plan_of

        states = self._launch.get(tuple(sorted(self.float_network._shape_map(xs).items())), {})
        return plan_of(states, self._device(device))

    def values(self, *xs, device=None):
        """{value name: float32 array} of every node output (int8 values dequantized)."""
        vals = {}
        self._execute(xs, self._device(device), record=lambda n, v, y: vals.__setitem__(v, _to_float_host(y)))
        return vals

    def codes(self, *xs, device=None, feed=None):
        """{value name: (node, int8 codes, QParams)} of every int8 node output (float layers left
        out). ``feed`` ({value name: int8 codes}) makes later layers read the given codes instead of
        the computed ones, e.g. another runtime's, to compare layer by layer without propagation."""
        vals = {}

        def rec(n, v, y):
            if y[1] is not None:
                vals[v] = (n, y[0] if isinstance(y[0], np.ndarray) else y[0].numpy(), y[1])
        self._execute(xs, self._device(device), record=rec, feed=feed)
        return vals

    def layers(self, *xs):
        """[(node name, op, 'int8' | 'float32', QParams of the output or None)] for these inputs."""
        g = self.optimized(*xs)
        out = []
        for n in g.nodes:
            why = self._int8_reason(g, n)
            out.append((n.name, n.op, "int8" if why is None else "float32",
                        self.qparams.get(n.outputs[0]) if why is None else None))
        return out


def _to_float_host(v):
    val, q = v
    arr = val if isinstance(val, np.ndarray) else val.numpy()
    if q is None:
        return np.asarray(arr, np.float32)
    return quant.dequantize(arr, q).astype(np.float32)


def _resolve_skip(g, skip):
    if isinstance(skip, str):
        skip = [skip]
    try:
        skip = list(skip or ())
    except TypeError:
        raise ArgumentTypeError("skip", f"expected a list of node names, got {skip!r}") from None
    compute = [n for n in g.nodes if n.op in ("Conv", "Gemm", "MatMul")]
    names = set()
    for s in skip:
        if not isinstance(s, str):
            raise ArgumentTypeError("skip", f"expected node names (str), got {s!r}")
        if s == "first" and compute:
            names.add(compute[0].name)
            continue
        if s == "last" and compute:
            names.add(compute[-1].name)
            continue
        hit = [n.name for n in g.nodes if n.name == s or s in n.origin]
        if not hit:
            raise ArgumentError("skip", f"no layer named {s!r}; layers: {[n.name for n in g.nodes][:20]}"
                                f"{' ...' if len(g.nodes) > 20 else ''} (or 'first' / 'last')")
        names.update(hit)
    return names


def quantize(net, calibration, method="minmax", per_channel=True, skip=(), percentile=99.99, num_bins=NUM_BINS):
    """Post-training int8 quantization of ``net`` (a ``fpgaops.Network``) -> QuantizedNetwork.

    calibration: an iterable of input batches (arrays, or tuples of arrays for several inputs),
    representative of the data the network will see; method: "minmax" (full observed range),
    "percentile" (clip at the ``percentile``-th / (100 - percentile)-th percentile) or "entropy"
    (KL-divergence threshold, as TensorRT); per_channel: one weight scale per output channel (else
    one per tensor); skip: layer names (ONNX node names or the fused layer names of
    ``net.optimized()``; "first" / "last" name the first / last Conv/Gemm) that stay float32."""
    if method not in METHODS:
        raise ArgumentError("method", f"expected one of {METHODS}, got {method!r}")
    if not isinstance(per_channel, (bool, np.bool_)):
        raise ArgumentTypeError("per_channel", f"expected a bool, got {per_channel!r}")
    if isinstance(percentile, (bool, np.bool_)) or not isinstance(percentile, numbers.Real) \
            or not 50.0 < float(percentile) <= 100.0:
        raise ArgumentError("percentile", f"expected a number in (50, 100], got {percentile!r}")
    if isinstance(num_bins, (bool, np.bool_)) or not isinstance(num_bins, numbers.Integral) or num_bins < 256:
        raise ArgumentError("num_bins", f"expected an int >= 256, got {num_bins!r}")
    batches = _batches(net, calibration)
    g = net.optimized(*batches[0], int8=True)
    skip_nodes = _resolve_skip(g, skip)
    ranges = calibrate(net, batches, method, float(percentile), int(num_bins))
    qparams = {k: qparams_from_range(*r) for k, r in ranges.items()}
    # pooling and views keep their input's quantization (they work on the codes)
    for n in g.nodes:
        if n.op in SAME_Q and n.inputs[0] in qparams:
            qparams[n.outputs[0]] = qparams[n.inputs[0]]
    qnet = QuantizedNetwork(net, qparams, method, bool(per_channel), skip_nodes, ranges)
    for n in g.nodes:  # fill float_nodes
        why = qnet._int8_reason(g, n)
        if why is not None:
            qnet.float_nodes[n.name] = why
    return qnet
