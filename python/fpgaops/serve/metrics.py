"""Prometheus metrics of one server (its own registry, so several servers can live in one process)."""
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (.001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5, 10, 30)
BATCH_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16, 32, 64, 128, 256)
# what a model version records (runtime.ModelVersion), also in a Ray Serve replica (ray_serve.py):
# attribute -> (kind, metric name, description, label names, buckets)
BATCH_METRICS = {
    "queue_depth": ("gauge", "fpgaops_queue_depth", "requests waiting in a model's queue", ("model",), None),
    "batch_size": ("histogram", "fpgaops_batch_size", "rows per executed batch", ("model",), BATCH_BUCKETS),
    "queue_seconds": ("histogram", "fpgaops_queue_seconds", "time from arrival to the start of its batch",
                      ("model",), LATENCY_BUCKETS),
    "compute_seconds": ("histogram", "fpgaops_compute_seconds", "time a batch ran on its device", ("model",),
                        LATENCY_BUCKETS),
    "device_busy": ("counter", "fpgaops_device_busy_seconds", "seconds a device ran networks "
                    "(utilisation = rate of this counter)", ("device",), None),
}


class Metrics:
    def __init__(self):
        r = self.registry = CollectorRegistry()
        self.requests = Counter("fpgaops_requests", "inference requests by outcome",
                                ["model", "version", "outcome"], registry=r)
        kinds = {"gauge": Gauge, "counter": Counter, "histogram": Histogram}
        for attr, (kind, name, doc, labels, buckets) in BATCH_METRICS.items():
            kw = {"buckets": buckets} if buckets else {}
            setattr(self, attr, kinds[kind](name, doc, list(labels), registry=r, **kw))
        self.fallbacks = Counter("fpgaops_fallbacks", "requests answered by the fallback model",
                                 ["model", "fallback"], registry=r)
        self.degraded = Gauge("fpgaops_degraded", "1 while a model routes to its fallback", ["model"], registry=r)
