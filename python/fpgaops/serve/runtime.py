"""One loaded model version: its instances (a network copy and a thread each) and its dynamic batcher.

Requests go into a bounded queue. The dispatcher (``ModelVersion._pump``, run on the event loop
at each arrival, finished batch and fill deadline) takes an idle instance, gathers queued requests
of the same item shape until ``max_batch_size`` rows or ``max_queue_delay_ms`` after the first one
(only under load: see ``_fill_wait``), concatenates them along the batch dimension, runs the batch
in the instance's thread (never on the event loop) and splits the outputs back.

Bit-identity: a batch of rows must give each row exactly what running it alone gives. The runner
computes every image of a batch with the same reduction order, but the algorithm a layer picks may
depend on the batch size, so at load the batch sizes the batcher may use (powers of two up to
``max_batch_size``, and it) are each run on seeded random rows and compared bit for bit with the
rows run one at a time; a size that differs is never formed (logged). Only one-row requests are
merged, and only into verified sizes; a request carrying several rows runs alone, as sent.
"""
import asyncio
import collections
import functools
import logging
import queue
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
    """A network copy on one device, run by its own thread.

    The thread takes jobs from a SimpleQueue and hands each result to the job's callback (which
    must be thread-safe): one lock release to start a batch and one ``call_soon_threadsafe`` to
    finish it, instead of a ThreadPoolExecutor's work item, Future and chained asyncio future --
    at one client every step after ``net.run`` is on the request's latency."""

    def __init__(self, net, device, index):
        self.net, self.device, self.index = net, device, index
        self.busy_s = 0.0
        self._jobs = queue.SimpleQueue()
        self._thread = None  # started by the first job: a version that fails to load leaves no thread

    def run(self, xs):
        t0 = time.perf_counter()
        with _DEVICE_LOCKS[self.device]:
            outs = self.net.run(*xs, device=self.device)
        self.busy_s += time.perf_counter() - t0
        return [np.asarray(o) for o in outs]

    def submit(self, xs, done):
        """Run ``xs`` in this instance's thread, then call ``done(outputs, None)`` or ``done(None, error)`` there."""
        if self._thread is None:
            # a daemon: a version that is never stopped must not hold the interpreter open at exit;
            # close() (drain_and_stop) ends it after its last job
            self._thread = threading.Thread(target=self._work, name=f"fpgaops-{self.device}-{self.index}",
                                            daemon=True)
            self._thread.start()
        self._jobs.put((xs, done))

    def _work(self):
        while True:
            job = self._jobs.get()
            if job is None:
                return
            xs, done = job
            try:
                outs, err = self.run(xs), None
            except Exception as e:  # the batch's requests fail, the thread goes on
                outs, err = None, e
            try:
                done(outs, err)
            except Exception as e:  # e.g. the event loop was closed under a running batch
                log.error("result lost", extra={"event": "result_lost", "error": str(e)})

    def close(self):
        if self._thread is not None and self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()


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
    """A served version: instances + bounded queue + dispatcher. ``submit`` from the event loop.

    The dispatcher is ``_pump``, called on the event loop at each event that can start a batch (an
    arrival, a finished batch, the end of a fill wait): no task of its own, so a request that finds
    an instance idle is in that instance's thread before ``submit`` returns."""

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
        self._loop = None
        self._idle = []       # instances with no batch
        self._timer = None    # the pending end of a fill wait
        self._series = None   # metrics series (start)
        self._drained = None
        self._prev_arrival = self._last_arrival = -1e9  # arrival times feeding the wait decision
        self._last_compute = 0.0

    # -- lifecycle (on the event loop)
    def start(self):
        self._loop = asyncio.get_running_loop()
        self._idle = list(self.instances)
        self._drained = asyncio.Event()
        m = self.metrics  # the labelled series, looked up once (each lookup takes a lock)
        self._series = None if m is None else (
            m.queue_depth.labels(self.name), m.batch_size.labels(self.name), m.queue_seconds.labels(self.name),
            m.compute_seconds.labels(self.name), {d: m.device_busy.labels(d) for d in {i.device for i in self.instances}})
        self.state = "ready"

    async def drain_and_stop(self):
        """No new requests; finish every queued and running one; release the instances."""
        self.state = "draining"
        self._pump()
        await self._drained.wait()
        if self._timer is not None:
            self._timer.cancel()
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
        fut = self._loop.create_future()
        r = Request(xs, fut, time.perf_counter() + timeout_s)
        self._prev_arrival, self._last_arrival = self._last_arrival, r.t_enq
        self.queue.append(r)
        self._pump()
        self._gauge()
        return fut

    def _gauge(self):
        if self._series:
            self._series[0].set(len(self.queue))

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

    def _fill_wait(self):
        """Seconds the queue head should still wait for batch-mates (0: start now). A batch fills until
        max_batch rows are queued or the head waited max_queue_delay, but only while requests arrive
        faster than a batch computes: a lone client never waits, and batch-1 models never do."""
        b = self.spec.batching
        if b.max_batch_size <= 1 or b.max_queue_delay_ms <= 0:
            return 0.0
        head = self.queue[0]
        if len(self.queue) == 1 and head.t_enq - self._prev_arrival >= self._last_compute:
            return 0.0
        if sum(r.rows for r in self.queue) >= b.max_batch_size:
            return 0.0
        return max(0.0, head.t_enq + b.max_queue_delay_ms / 1e3 - time.perf_counter())

    def _on_timer(self):
        self._timer = None
        self._pump()

    def _pump(self):
        """Start batches while an instance is idle and requests wait (see the class doc)."""
        while self.queue and self._idle:
            wait = self._fill_wait()
            if wait > 0:
                if self._timer is None:
                    self._timer = self._loop.call_later(wait, self._on_timer)
                break
            batch = self._take()
            if batch:
                self._start(self._idle.pop(), batch)
        if self.state == "draining" and not self.queue and self.inflight == 0:
            self._drained.set()

    def _start(self, inst, batch):
        t0 = time.perf_counter()
        for r in batch:
            r.t_start = t0
        self.inflight += 1
        try:
            xs = [np.concatenate([r.xs[k] for r in batch]) if len(batch) > 1 else batch[0].xs[k]
                  for k in range(len(batch[0].xs))]
        except Exception as e:
            self._finish(inst, batch, t0, None, e)
            return
        inst.submit(xs, functools.partial(self._loop.call_soon_threadsafe, self._finish, inst, batch, t0))

    def _finish(self, inst, batch, t0, outs, err):
        """A batch is back (on the event loop): free its instance, start the next batch, answer."""
        dt = time.perf_counter() - t0
        self.inflight -= 1
        self._idle.append(inst)
        self._pump()
        if err is not None:  # a failing batch fails its requests, never the dispatcher
            log.error("batch failed", extra={"event": "batch_failed", "model": self.name, "error": str(err)})
            for r in batch:
                if not r.future.done():
                    r.future.set_exception(err)
        else:
            self._last_compute = dt / 2
            if len(batch) == 1:  # the outputs are the request's own
                if not batch[0].future.done():
                    batch[0].future.set_result(outs)
            else:
                at = 0
                for r in batch:
                    if not r.future.done():
                        r.future.set_result([o[at:at + r.rows] for o in outs])
                    at += r.rows
        if self._series:  # after the waiting requests' turns on the loop: not on their latency
            self._loop.call_soon(self._record, inst.device, batch, t0, dt if err is None else None)

    def _record(self, device, batch, t0, dt):
        depth, size, queued, compute, busy = self._series
        depth.set(len(self.queue))
        for r in batch:
            queued.observe(t0 - r.t_enq)
        if dt is not None:
            size.observe(sum(r.rows for r in batch))
            compute.observe(dt)
            busy[device].inc(dt)


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
