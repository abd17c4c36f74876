"""The estimator's results and how they print: per-layer rows (with the roofline floor the board's
DDR / HBM bandwidth and the MAC array's peak put under each layer), resources, network totals.
Every figure carries ``label == "modeled"`` and every printed heading says so.
"""
import dataclasses

from .params import LABEL, GemmParams


@dataclasses.dataclass
class LayerEstimate:
    name: str
    op: str
    kernel: str          # gemm / conv2d / conv2d (fc) / gemm-im2col / dwconv / winograd-f2* (planned) / pool / ...
    shape: str
    macs: int            # useful MACs (not the padded ones the array runs)
    compute_cycles: float
    memory_cycles: float
    cycles: float
    bytes: int
    bound: str           # compute / loader / store / memory / stream / -
    seconds: float       # cycles / clock + launch overhead
    bw_floor_cycles: float = 0.0   # bytes / board DDR-HBM bandwidth: no schedule of this layer is faster
    roof_cycles: float = 0.0       # roofline: max(MACs / array peak, bw_floor_cycles)
    roof_bound: str = "-"          # which roof binds: compute / memory
    schedule_cycles: float = 0.0   # slowest process with ideal memory: what the csim cycle counters measure
    label: str = LABEL

    @property
    def roof_fraction(self):
        """How close the modeled engine gets to the roofline (1.0 = on it)."""
        return self.roof_cycles / self.cycles if self.cycles else 1.0


@dataclasses.dataclass
class ResourceEstimate:
    kernels: dict        # kernel -> {"cus", "dsps", "bram36", "uram", "luts"} (all its CUs)
    totals: dict
    budget: dict
    label: str = LABEL

    @property
    def fits(self):
        return not self.over()

    def over(self):
        return [k for k in ("dsps", "bram36", "uram") if self.totals[k] > self.budget[k]]

    def __str__(self):
        rows = [f"{'kernel (modeled)':24s} {'CUs':>4s} {'DSP':>7s} {'BRAM36':>7s} {'URAM':>5s} {'LUT':>9s}"]
        for k, r in self.kernels.items():
            rows.append(f"{k:24s} {r['cus']:4d} {r['dsps']:7d} {r['bram36']:7d} {r['uram']:5d} {r['luts']:9d}")
        t, b = self.totals, self.budget
        rows.append(f"{'total (modeled)':24s} {'':4s} {t['dsps']:7d} {t['bram36']:7d} {t['uram']:5d} {t['luts']:9d}")
        rows.append(f"{'board budget':24s} {'':4s} {b['dsps']:7d} {b['bram36']:7d} {b['uram']:5d} {b['luts']:9d}")
        return "\n".join(rows)




@dataclasses.dataclass
class NetworkEstimate:
    network: str
    platform: str
    dtype: str
    batch: int
    clock_mhz: float
    gemm: GemmParams
    cus: int
    algos: tuple
    what_if: dict
    layers: list
    resources: ResourceEstimate
    cycles: float
    latency_s: float         # one batch, layer after layer, on one CU set
    images_per_s: float      # cus CU sets each running whole batches (see docs/estimator.md)
    bottleneck: str          # what bounds images_per_s: "CU sets" (cus / latency), a kernel name or "memory"
    label: str = LABEL

    @property
    def macs(self):
        return sum(layer.macs for layer in self.layers)

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["macs"] = self.macs
        return d

    def table(self):
        hdr = (f"{'layer':26s} {'kernel':14s} {'shape':28s} {'MMAC':>8s} {'compute kcyc':>12s} "
               f"{'memory kcyc':>11s} {'kcycles':>9s} {'bound':>8s} {'BW floor kcyc':>13s} {'roof':>6s} "
               f"{'us (modeled)':>12s}")
        rows = [hdr, "-" * len(hdr)]
        for r in self.layers:
            roof = f"{r.roof_fraction:6.0%}" if r.cycles else f"{'-':>6s}"
            rows.append(f"{r.name[:26]:26s} {r.kernel[:14]:14s} {r.shape[:28]:28s} {r.macs / 1e6:8.2f} "
                        f"{r.compute_cycles / 1e3:12.1f} {r.memory_cycles / 1e3:11.1f} {r.cycles / 1e3:9.1f} "
                        f"{r.bound:>8s} {r.bw_floor_cycles / 1e3:13.1f} {roof} {r.seconds * 1e6:12.1f}")
        return "\n".join(rows)

    def __str__(self):
        gops = 2 * self.macs / self.batch * self.images_per_s / 1e9
        wi = f"; what-if {self.what_if}" if self.what_if else ""
        return "\n".join([
            f"fpgaops estimate -- every figure is MODELED from the HLS source, not measured on a board",
            f"{self.network} on {self.platform}, {self.dtype}, batch {self.batch}, {self.clock_mhz:g} MHz, "
            f"{self.cus} CU set(s), conv engines {', '.join(self.algos)}{wi}",
            f"MAC array: {self.gemm.short()}",
            "BW floor = layer bytes / the board's DDR-HBM bandwidth; roof = the roofline floor "
            "max(MACs / array peak, BW floor) as a fraction of the modeled cycles",
            "",
            self.table(),
            "",
            str(self.resources),
            "",
            f"modeled latency:    {self.latency_s * 1e3:.3f} ms per batch of {self.batch}",
            f"modeled throughput: {self.images_per_s:.1f} images/s ({gops:.1f} GOP/s useful; "
            f"bound by {self.bottleneck})",
        ])


