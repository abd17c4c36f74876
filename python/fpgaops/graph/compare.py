"""Accuracy report of an int8 network against its float32 original: ``fpgaops.compare``.

    report = fpgaops.compare(net, qnet, x_val, labels=y_val)
    print(report); report.plot("sqnr.png")

Per-layer SQNR (signal-to-quantization-noise ratio, dB) of every layer output,
``10 log10(sum(f**2) / sum((f - q)**2))`` accumulated over all the data, with ``f`` the float
network's value and ``q`` the int8 network's value dequantized; the cosine similarity of the
final outputs, top-1 agreement (argmax over axis 1) and, with labels, the accuracy of both.
"""
import dataclasses
import math

import numpy as np

from ..errors import ArgumentError, ArgumentTypeError


@dataclasses.dataclass
class LayerSQNR:
    node: str
    op: str
    value: str
    dtype: str       # what the int8 network ran this layer in: "int8" | "float32"
    sqnr_db: float


@dataclasses.dataclass
class CompareReport:
    layers: list
    cosine: float
    top1_agreement: float
    samples: int
    accuracy_float: float | None = None
    accuracy_int8: float | None = None
    device: str = ""

    def __str__(self):
        from ..textout import table

        rows = [(r.node[:44], r.op, r.dtype, "inf" if math.isinf(r.sqnr_db) else f"{r.sqnr_db:.2f}")
                for r in self.layers]
        lines = [table(rows, ["layer", "op", "ran as", "SQNR dB"]), "",
                 f"{self.samples} samples on {self.device}: final-output cosine similarity {self.cosine:.6f}, "
                 f"top-1 agreement {100 * self.top1_agreement:.2f}%"]
        if self.accuracy_float is not None:
            lines.append(f"accuracy: float32 {100 * self.accuracy_float:.2f}%, int8 {100 * self.accuracy_int8:.2f}% "
                         f"(delta {100 * (self.accuracy_int8 - self.accuracy_float):+.2f} pp)")
        return "\n".join(lines)

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["layers"] = [dataclasses.asdict(r) for r in self.layers]
        return d

    def plot(self, path, title=None):
        """Save a bar chart of the per-layer SQNR as a PNG at ``path``."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        vals = [min(r.sqnr_db, 100.0) for r in self.layers]
        fig, ax = plt.subplots(figsize=(max(6.0, 0.28 * len(vals) + 2), 4.0))
        colors = ["tab:blue" if r.dtype == "int8" else "tab:gray" for r in self.layers]
        ax.bar(range(len(vals)), vals, color=colors)
        ax.set_xticks(range(len(vals)))
        ax.set_xticklabels([r.node for r in self.layers], rotation=90, fontsize=6)
        ax.set_ylabel("SQNR (dB)")
        ax.set_title(title or f"per-layer SQNR (cosine {self.cosine:.4f}, top-1 agreement "
                     f"{100 * self.top1_agreement:.1f}%)")
        fig.tight_layout()
        fig.savefig(path, format="png", dpi=120)
        plt.close(fig)
        return path


def _batches(data, batch_size):
    if isinstance(data, np.ndarray):
        if data.ndim < 1 or len(data) == 0:
            raise ArgumentError("data", f"expected a non-empty batch of inputs, got shape {data.shape}")
        return [data[i:i + batch_size] for i in range(0, len(data), batch_size)]
    try:
        out = [np.asarray(b) for b in data]
    except TypeError:
        raise ArgumentTypeError("data", f"expected an array or an iterable of batches, got {type(data).__name__}") \
            from None
    if not out:
        raise ArgumentError("data", "no data (the iterable is empty)")
    return out


def compare(float_net, int8_net, data, labels=None, device=None, batch_size=64):
    """Compare ``int8_net`` (from ``float_net.quantize``) with ``float_net`` on ``data`` (an array
    of inputs, split into ``batch_size`` batches, or an iterable of batches) -> CompareReport.
    ``labels``: class indices for every sample (accuracy of both networks)."""
    from .quantize import QuantizedNetwork

    if not isinstance(int8_net, QuantizedNetwork):
        raise ArgumentTypeError("int8_net", f"expected the result of Network.quantize, got {type(int8_net).__name__}")
    if int8_net.float_network is not float_net:
        # value names must match: accept another Network only if it has the same graph
        if getattr(float_net, "graph", None) is None:
            raise ArgumentTypeError("float_net", f"expected an fpgaops.Network, got {type(float_net).__name__}")
    batches = [np.ascontiguousarray(b, dtype=np.float32) for b in _batches(data, int(batch_size))]
    dev = float_net._device(device)
    sig, noise, meta = {}, {}, {}
    fo_out, q_out = [], []
    g = None
    for xb in batches:
        g = float_net.optimized(xb)
        fvals = {k: v[1] for k, v in float_net._record([xb], dev).items()}
        qvals = int8_net.values(xb, device=dev)
        for n in g.nodes:
            v = n.outputs[0]
            if v not in fvals or v not in qvals:
                continue
            f = fvals[v].astype(np.float64)
            q = qvals[v].astype(np.float64)
            sig[v] = sig.get(v, 0.0) + float(np.sum(f * f))
            noise[v] = noise.get(v, 0.0) + float(np.sum((f - q) ** 2))
        out = g.outputs[0]
        fo_out.append(fvals[out] if out in fvals else float_net(xb, device=dev))
        q_out.append(qvals[out] if out in qvals else int8_net(xb, device=dev))
    plan = {name: dt for name, _, dt, _ in int8_net.layers(batches[0])}
    layers = []
    for n in g.nodes:
        v = n.outputs[0]
        if v not in sig:
            continue
        s, e = sig[v], noise[v]
        db = math.inf if e == 0 else (10 * math.log10(s / e) if s > 0 else -math.inf)
        op = n.attrs["kind"] if n.op == "Act" else n.op
        layers.append(LayerSQNR(n.name, op, v, plan.get(n.name, "int8"), db))
    yf = np.concatenate([np.asarray(y, np.float64).reshape(len(y), -1) for y in fo_out])
    yq = np.concatenate([np.asarray(y, np.float64).reshape(len(y), -1) for y in q_out])
    denom = np.linalg.norm(yf) * np.linalg.norm(yq)
    cosine = float(np.sum(yf * yq) / denom) if denom > 0 else float(np.array_equal(yf, yq))
    agree = float(np.mean(yf.argmax(1) == yq.argmax(1)))
    rep = CompareReport(layers, cosine, agree, len(yf), device=dev.name)
    if labels is not None:
        lab = np.asarray(labels).reshape(-1)
        if lab.shape[0] != len(yf):
            raise ArgumentError("labels", f"expected {len(yf)} labels (one per sample), got {lab.shape[0]}")
        rep.accuracy_float = float(np.mean(yf.argmax(1) == lab))
        rep.accuracy_int8 = float(np.mean(yq.argmax(1) == lab))
    return rep
