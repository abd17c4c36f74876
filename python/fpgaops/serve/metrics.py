"""Prometheus metrics of one server (its own registry, so several servers can live in one process)."""
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (.001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5, 10, 30)


class Metrics:
    def __init__(self):
        r = self.registry = CollectorRegistry()
        self.requests = Counter("fpgaops_requests", "inference requests by outcome",
                                ["model", "version", "outcome"], registry=r)
        self.queue_depth = Gauge("fpgaops_queue_depth", "requests waiting in a model's queue", ["model"], registry=r)
        self.batch_size = Histogram("fpgaops_batch_size", "rows per executed batch", ["model"],
                                    buckets=(1, 2, 3, 4, 6, 8, 12, 16, 32, 64, 128, 256), registry=r)
        self.queue_seconds = Histogram("fpgaops_queue_seconds", "time from arrival to the start of its batch",
                                       ["model"], buckets=LATENCY_BUCKETS, registry=r)
        self.compute_seconds = Histogram("fpgaops_compute_seconds", "time a batch ran on its device", ["model"],
                                         buckets=LATENCY_BUCKETS, registry=r)
        self.device_busy = Counter("fpgaops_device_busy_seconds", "seconds a device ran networks "
                                   "(utilisation = rate of this counter)", ["device"], registry=r)
        self.fallbacks = Counter("fpgaops_fallbacks", "requests answered by the fallback model",
                                 ["model", "fallback"], registry=r)
        self.degraded = Gauge("fpgaops_degraded", "1 while a model routes to its fallback", ["model"], registry=r)
