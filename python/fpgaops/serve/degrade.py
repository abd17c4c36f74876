"""SLO-driven fallback: a sliding window of a model's latencies and a switch with hysteresis.

Over the last ``window_s`` seconds (at least ``min_samples``), when the p95 of the primary's
end-to-end latency exceeds the objective, new requests go to the fallback model; while degraded,
one request in ``probe_every`` still goes to the primary so its latency keeps being measured, and
traffic returns when the p95 drops below ``recover`` x the objective.
"""
import collections
import time

import numpy as np


class Degrader:
    def __init__(self, objective_s, window_s=10.0, min_samples=20, recover=0.8, probe_every=10):
        self.objective_s, self.window_s, self.min_samples = objective_s, window_s, min_samples
        self.recover, self.probe_every = recover, probe_every
        self.samples = collections.deque()
        self.degraded = False
        self._count = 0

    def _trim(self, now):
        while self.samples and self.samples[0][0] < now - self.window_s:
            self.samples.popleft()

    def p95(self, now=None):
        self._trim(time.monotonic() if now is None else now)
        if len(self.samples) < self.min_samples:
            return None
        return float(np.percentile([s for _, s in self.samples], 95))

    def observe(self, seconds, now=None):
        """Record one primary latency; returns "degraded"/"recovered" when the state flips."""
        now = time.monotonic() if now is None else now
        self.samples.append((now, seconds))
        p = self.p95(now)
        if p is None:
            return None
        if not self.degraded and p > self.objective_s:
            self.degraded = True
            self.samples.clear()  # judge the way back on fresh samples only
            return "degraded"
        if self.degraded and p < self.recover * self.objective_s:
            self.degraded = False
            return "recovered"
        return None

    def use_fallback(self):
        """Route this request to the fallback? (while degraded, except one probe in probe_every)."""
        if not self.degraded:
            return False
        self._count += 1
        return self._count % self.probe_every != 0
