"""One loaded model version: its instances (a network copy and a thread each) and its dynamic batcher.

Requests go into a bounded queue. A dispatcher task takes an idle instance, then gathers queued
requests of the same item shape until ``max_batch_size`` rows or ``max_queue_delay_ms`` after the
first one, concatenates them along the batch dimension, runs the batch in the instance's thread
(never on the event loop) and splits the outputs back.

Bit-identity: a batch of rows must give each row exactly what running it alone gives. The runner
computes every image of a batch with the same reduction order, but the algorithm a layer picks may
depend on the batch size, so at load the batch sizes the batcher may use (powers of two up to
``max_batch_size``, and it) are each run on seeded random rows and compared bit for bit with the
rows run one at a time; a size that differs is never formed (logged). Only one-row requests are
merged, and only into verified sizes; a request carrying several rows runs alone, as sent.
"""
import asyncio
import collections
import concurrent.futures
import logging
import threading
import time

import numpy as np

from ..errors import FpgaopsError

log = logging.getLogger("fpgaops.serve")

_DEVICE_LOCKS = collections.defaultdict(threading.Lock)  # one fpgaops device runs one network at a time


class Overloaded(FpgaopsError, RuntimeError):
    """The queue is full (HTTP 429)."""


class Unavailable(FpgaopsError, RuntimeError):
    """The version is draining or stopped, or its device is absent (HTTP 503)."""


class RequestTimeout(FpgaopsError, TimeoutError):
    """The request's deadline passed before it ran (HTTP 504)."""


def batch_sizes(max_batch):
    s, out = 1, set()
    while s <= max_batch:
        out.add(s)
        s *= 2
    out.add(max_batch)
    return sorted(out)


class Instance:
    """A network copy on one device, run by one thread."""

    def __init__(self, net, device, index):
        self.net, self.device, self.index = net, device, index
        self.executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"fpgaops-{index}")
        self.busy_s = 0.0

    def run(self, xs):
        t0 = time.perf_counter()
        with _DEVICE_LOCKS[self.device]:
            outs = self.net.run(*xs, device=self.device)
        self.busy_s += time.perf_counter() - t0
        return [np.asarray(o) for o in outs]

    def close(self):
        self.executor.shutdown(wait=True)


def resolve_device(name):
    import fpgaops

    if name == "auto":
        return fpgaops.current_device().name
    avail = {d.name for d in fpgaops.devices() if d.available}
    if name not in avail:
        raise Unavailable(f"device {name!r} is not available here (available: {', '.join(sorted(avail))})")
    return name


def verify_batching(inst, spec, seed=0):
    """The batch sizes whose rows are bit-identical to the rows run alone (see the module doc);
    also the warm-up that builds every kernel and plan before traffic arrives."""
    from .repository import concrete_shapes

    sizes = batch_sizes(spec.batching.max_batch_size)
    rng = np.random.default_rng(seed)
    top = max(sizes)
    xs = [rng.standard_normal(s, dtype=np.float32) for s in concrete_shapes(spec, top)]
    single = [inst.run([x[i:i + 1] for x in xs]) for i in range(top)]
    ok = [1]
    for b in sizes[1:]:
        outs = inst.run([x[:b] for x in xs])
        same = all(np.array_equal(o[i], single[i][k][0]) for k, o in enumerate(outs) for i in range(b))
        if same:
            ok.append(b)
        else:
            log.warning("batch size differs from single runs: not used", extra={"event": "batch_size_excluded",
                        "model": spec.name, "batch": b})
    out_shapes = [(-1,) + tuple(o.shape[1:]) for o in single[0]]
    out_dtypes = [o.dtype for o in single[0]]
    return ok, out_shapes, out_dtypes


class Request:
    __slots__ = ("xs", "rows", "key", "future", "deadline", "t_enq", "t_start")

    def __init__(self, xs, future, deadline):
        self.xs = xs
        self.rows = xs[0].shape[0]
        self.key = tuple(x.shape[1:] for x in xs)
        self.future, self.deadline = future, deadline
        self.t_enq = time.perf_counter()
        self.t_start = None


class ModelVersion:
    """A served version: instances + bounded queue + dispatcher. ``submit`` from the event loop."""

    def __init__(self, spec, manifest, instances, sizes, out_names, out_shapes, out_dtypes, metrics=None):
        self.spec, self.manifest, self.instances = spec, manifest, instances
        self.name, self.version = spec.name, spec.version
        self.sizes = sizes
        self.input_names = instances[0].net.input_names if hasattr(instances[0].net, "input_names") else []
        self.out_names, self.out_shapes, self.out_dtypes = out_names, out_shapes, out_dtypes
        self.device = instances[0].device
        self.metrics = metrics
        self.queue = collections.deque()
        self.inflight = 0
        self.state = "loaded"
        self._wake = None
        self._idle = None
        self._task = None
        self._drained = None
        self._prev_arrival = self._last_arrival = -1e9  # arrival times feeding the wait decision
        self._last_compute = 0.0

    # -- lifecycle (on the event loop)
    def start(self):
        self._wake = asyncio.Event()
        self._idle = asyncio.Queue()
        for inst in self.instances:
            self._idle.put_nowait(inst)
        self._drained = asyncio.Event()
        self.state = "ready"
        self._task = asyncio.get_running_loop().create_task(self._dispatch())

    async def drain_and_stop(self):
        """No new requests; finish every queued and running one; release the instances."""
        self.state = "draining"
        self._wake.set()
        await self._drained.wait()
        self._task.cancel()
        await asyncio.get_running_loop().run_in_executor(None, self._close)
        self.state = "stopped"

    def _close(self):
        for inst in self.instances:
            inst.close()

    # -- requests
    def submit(self, xs, timeout_s):
        if self.state != "ready":
            raise Unavailable(f"model {self.name} version {self.version} is {self.state}")
        if len(self.queue) >= self.spec.batching.max_queue:
            raise Overloaded(f"model {self.name}: {len(self.queue)} requests queued (max_queue)")
        fut = asyncio.get_running_loop().create_future()
        r = Request(xs, fut, time.perf_counter() + timeout_s)
        self._prev_arrival, self._last_arrival = self._last_arrival, r.t_enq
        self.queue.append(r)
        self._gauge()
        self._wake.set()
        return fut

    def _gauge(self):
        if self.metrics:
            self.metrics.queue_depth.labels(self.name).set(len(self.queue))

    def _take(self):
        """The next batch from the queue: same item shape, a verified size (module doc)."""
        now = time.perf_counter()
        while self.queue and (self.queue[0].future.done() or self.queue[0].deadline < now):
            r = self.queue.popleft()
            if not r.future.done():
                r.future.set_exception(RequestTimeout(f"deadline passed after {now - r.t_enq:.3f} s in the queue"))
        if not self.queue:
            return []
        first = self.queue.popleft()
        batch, rows = [first], first.rows
        limit = self.spec.batching.max_batch_size
        if first.rows == 1 and limit > 1:  # a multi-row request runs as sent: alone
            keep = collections.deque()
            while self.queue and rows < limit:
                r = self.queue.popleft()
                if r.future.done():
                    continue
                if r.key == first.key and rows + r.rows <= limit and r.rows == 1:
                    batch.append(r)
                    rows += r.rows
                else:
                    keep.append(r)
            # shrink to the largest verified size
            while len(batch) > 1 and rows not in self.sizes:
                keep.appendleft(batch.pop())
                rows -= 1
            self.queue.extendleft(reversed(keep))
        return batch

    async def _dispatch(self):
        loop = asyncio.get_running_loop()
        delay = self.spec.batching.max_queue_delay_ms / 1e3
        limit = self.spec.batching.max_batch_size
        while True:
            if not self.queue:
                if self.state == "draining" and self.inflight == 0:
                    self._drained.set()
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            inst = await self._idle.get()
            # let a batch fill: wait until max_batch rows are queued or the first one waited `delay`,
            # but only while requests arrive faster than a batch computes (a lone client never waits)
            busy = len(self.queue) > 1 or (self.queue and self.queue[0].t_enq - self._prev_arrival < self._last_compute)
            if limit > 1 and delay > 0 and busy:
                t_end = self.queue[0].t_enq + delay
                while sum(r.rows for r in self.queue) < limit and time.perf_counter() < t_end:
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), max(0.0, t_end - time.perf_counter()))
                    except asyncio.TimeoutError:
                        break
            batch = self._take()
            self._gauge()
            if not batch:
                self._idle.put_nowait(inst)
                continue
            self.inflight += 1
            loop.create_task(self._run(inst, batch))

    async def _run(self, inst, batch):
        loop = asyncio.get_running_loop()
        t0 = time.perf_counter()
        for r in batch:
            r.t_start = t0
        try:
            xs = [np.concatenate([r.xs[k] for r in batch]) if len(batch) > 1 else batch[0].xs[k]
                  for k in range(len(batch[0].xs))]
            outs = await loop.run_in_executor(inst.executor, inst.run, xs)
            dt = time.perf_counter() - t0
            self._last_compute = dt / 2
            if self.metrics:
                m = self.metrics
                m.batch_size.labels(self.name).observe(sum(r.rows for r in batch))
                m.compute_seconds.labels(self.name).observe(dt)
                m.device_busy.labels(inst.device).inc(dt)
                for r in batch:
                    m.queue_seconds.labels(self.name).observe(t0 - r.t_enq)
            at = 0
            for r in batch:
                if not r.future.done():
                    r.future.set_result([o[at:at + r.rows] for o in outs])
                at += r.rows
        except Exception as e:  # a failing batch fails its requests, never the dispatcher
            log.error("batch failed", extra={"event": "batch_failed", "model": self.name, "error": str(e)})
            for r in batch:
                if not r.future.done():
                    r.future.set_exception(e)
        finally:
            self.inflight -= 1
            self._idle.put_nowait(inst)
            self._wake.set()


def load_version(repo, name, version, metrics=None, instances=None):
    """Verify and load ``repo/name/version`` (blocking: call it in a thread). Returns a ModelVersion.
    ``instances`` overrides the spec's count (a Ray Serve replica is one instance)."""
    import dataclasses

    from .repository import build_network, read_manifest

    man = read_manifest(repo, name, version)
    spec = man["spec"]
    if instances is not None:
        spec = dataclasses.replace(spec, instances=instances)
    device = resolve_device(spec.device)
    instances = []
    for i in range(spec.instances):
        net = build_network(man["folder"], spec)
        fnet = getattr(net, "float_network", net)
        # one plan per batch size the batcher may form, plus one for a multi-row request
        if hasattr(fnet, "MAX_SPECS"):
            fnet.MAX_SPECS = max(fnet.MAX_SPECS, len(batch_sizes(spec.batching.max_batch_size)) + 2)
        instances.append(Instance(net, device, i))
    sizes, out_shapes, out_dtypes = verify_batching(instances[0], spec)
    for inst in instances[1:]:
        verify_batching(inst, spec)  # warm-up of every copy
    out_names = list(getattr(instances[0].net, "output_names", [])) or [f"output{i}" for i in range(len(out_shapes))]
    log.info("model loaded", extra={"event": "load", "model": name, "version": version, "device": device,
                                    "instances": spec.instances, "batch_sizes": sizes})
    return ModelVersion(spec, man, instances, sizes, out_names, out_shapes, out_dtypes, metrics)
