"""Launch plans: a network run for one set of input shapes, recorded once as the list of kernel
launches it enqueued, then replayed with no Python op layer at all.

Recording (``Recording``): the network runner executes the graph normally (every op validates its
arguments, picks its algorithm, allocates its output from the buffer pool) while
``OpenCLBackend.enqueue`` appends each launch -- program, kernel name, global and local size and
the argument values -- to the recording. A run is replayable only when nothing but kernel launches
happened between the input upload and the output download: a host copy inside the graph (a host
fallback, a value read back to decide something) fails the recording, and the runner keeps
running that network eagerly.

Replaying (``LaunchPlan``): every launch gets a kernel object of its own with its arguments bound
once, so a replay is one ``clEnqueueNDRangeKernel`` per launch. The buffers the launches use are
the ones the recording run used -- the runner's buffer plan, as the pool handed it out -- and the
plan *claims* them (``OpenCLBackend.claim``): out of the buffer pool and never pooled again while
the plan lives, so no other tensor can be given memory the plan overwrites. The plan owns its
input and output tensors; callers get copies of the outputs.

Constant device data the launches read (weights, packed weights, tap tables, LUTs, requantization
vectors) is kept alive by the plan's references to its buffers even if a cache drops it, and its
contents never change. Scratch buffers shared with eager calls are safe: the queue is in order and
each launch sequence writes its scratch before reading it.
"""
import threading
import time
from collections import namedtuple

import numpy as np


class Recording:
    """Collects the launches of one run while it is ``backend.recording`` (a context manager)."""

    def __init__(self, backend):
        self.backend = backend
        self.launches = []
        self.failure = None  # why this run cannot be replayed, or None
        self.thread = threading.get_ident()  # only this thread's launches and copies are the run's
        self.transient = False  # the failure says nothing about the network: record again later
        # Buffers the recorded run releases are reserved for it (not pooled for other threads):
        # the plan claims the ones its launches use when the run ends, the rest go to the pool.
        self.free = {}  # size -> [buffer]

    def keep(self, handle):
        self.free.setdefault(handle.size, []).append(handle)

    def take(self, size):
        bufs = self.free.get(size)
        return bufs.pop() if bufs else None

    def mine(self):
        return threading.get_ident() == self.thread

    def __enter__(self):
        with self.backend._lock:
            self.installed = self.backend.recording is None
            if self.installed:
                self.backend.recording = self
            else:  # another thread records on this device: this run stays op by op
                self.fail("another launch plan was being recorded on the device")
                self.transient = True  # the runner tries again on a later run
        return self

    def __exit__(self, *exc):
        if self.installed:
            with self.backend._lock:
                self.backend.recording = None
        if exc[0] is not None:
            self.fail(f"the run raised {exc[0].__name__}")

    def launch(self, k, gsize, lsize, args):
        self.launches.append((k.program, k.function_name, tuple(gsize), None if lsize is None else tuple(lsize),
                              tuple(args)))

    def fail(self, why):
        if self.failure is None:
            self.failure = why

    def plan(self, inputs, outputs):
        """A LaunchPlan over the recorded launches, fed by ``inputs`` and producing ``outputs``
        (device Tensors of the recorded run, handed over to the plan); None if the run failed."""
        try:
            if self.failure is not None:
                return None
            return LaunchPlan(self.backend, self.launches, inputs, outputs)
        finally:  # what the plan did not claim goes back to the pool
            free, self.free = self.free, {}
            for bufs in free.values():
                for b in bufs:
                    self.backend.release(b)


class LaunchPlan:
    def __init__(self, backend, launches, inputs, outputs):
        cl = backend.cl
        self.backend, self.inputs, self.outputs = backend, list(inputs), list(outputs)
        self.steps = []
        buffers = {t.handle.int_ptr: t.handle for t in self.inputs + self.outputs}
        for prg, name, gsize, lsize, args in launches:
            k = cl.Kernel(prg, name)
            k.set_args(*args)
            self.steps.append((k, gsize, lsize))
            for a in args:
                if isinstance(a, cl.MemoryObjectHolder):
                    buffers[a.int_ptr] = a
        self.buffers = list(buffers.values())
        backend.claim(self.buffers)
        # one replay at a time: concurrent runs of one plan would share its buffers (the caller
        # holds it from run() to results())
        self.lock = threading.Lock()

    def __del__(self):
        backend = getattr(self, "backend", None)
        if backend is not None and getattr(self, "buffers", None):
            backend.unclaim(self.buffers)

    def __repr__(self):
        return f"<LaunchPlan: {len(self.steps)} kernel launches over {len(self.buffers)} buffers>"

    @property
    def num_launches(self):
        return len(self.steps)

    def run(self, xs):
        """Upload ``xs`` (NumPy arrays or device Tensors of the recorded shapes and dtypes) and
        enqueue every launch; returns without waiting."""
        self._uploads = self._enqueue(self.backend.queue, xs)[0]

    def _enqueue(self, queue, xs):
        """(upload events, launch events) of one replay on ``queue``.

        The whole replay is enqueued behind a user event and released at once: the device starts
        when every launch is queued and then runs them back to back. Released launch by launch,
        the device idled between kernels waiting for the host: PoCL's pthread workers use the
        CPU cores the enqueueing thread needs, and after an idle pause each launch woke them
        (docs/networks.md, "Where a replay's time goes"). The upload is non-blocking (its event,
        kept until the next replay, holds the host array)."""
        cl = self.backend.cl
        gate = cl.UserEvent(self.backend.ctx)
        try:
            ups = []
            for t, x in zip(self.inputs, xs):
                if isinstance(x, np.ndarray):
                    ups.append(cl.enqueue_copy(queue, t.handle, x, is_blocking=False, wait_for=[gate]))
                else:
                    ups.append(cl.enqueue_copy(queue, t.handle, x.handle, byte_count=t.nbytes, wait_for=[gate]))
            enqueue = cl.enqueue_nd_range_kernel
            events = [enqueue(queue, k, gsize, lsize, wait_for=None if ups else [gate]) if i == 0 else
                      enqueue(queue, k, gsize, lsize) for i, (k, gsize, lsize) in enumerate(self.steps)]
        finally:  # (also on an error: never leave the queue blocked)
            gate.set_status(cl.command_execution_status.COMPLETE)
        return ups, events

    def results(self, as_tensors):
        """The outputs of the last run: NumPy arrays (waits), or new device Tensors the caller owns."""
        if not as_tensors:
            return [t.numpy() for t in self.outputs]
        cl, out = self.backend.cl, []
        for t in self.outputs:
            y = self.backend.empty(t.shape, t.dtype)
            cl.enqueue_copy(self.backend.queue, y.handle, t.handle, byte_count=t.nbytes)
            out.append(y)
        return out

    def kernel_times(self, xs):
        """One replay on a profiling queue of the same context: [(kernel name, global size,
        seconds on the device)] per launch, from the OpenCL events (no host time included)."""
        return [(r.name, r.gsize, r.end - r.start) for r in self.timeline(xs).launches]

    def timeline(self, xs):
        """One replay of NumPy inputs ``xs`` on a profiling queue of the same context, enqueued as
        ``run`` does, timed by the OpenCL events: where a replay's time goes (docs/networks.md,
        "Where a replay's time goes").

        Returns a ``Timeline``: ``launches`` as ``Launch(name, gsize, groups, start, end)`` with
        start and end in seconds from the start of the input upload and ``groups`` the launch's
        work-group count (None when the runtime picks the local size); ``upload`` and ``readback``
        (device seconds of the input and output copies); ``wall`` (host seconds from enqueueing
        the upload to the outputs on the host). The idle time between kernels k and k+1 is
        ``launches[k + 1].start - launches[k].end`` (``Timeline.gaps``)."""
        cl = self.backend.cl
        queue = cl.CommandQueue(self.backend.ctx, properties=cl.command_queue_properties.PROFILING_ENABLE)
        outs = [np.empty(t.shape, t.dtype) for t in self.outputs]
        self.backend.finish()
        t0 = time.perf_counter()
        ups, events = self._enqueue(queue, [np.ascontiguousarray(x) for x in xs])
        downs = [cl.enqueue_copy(queue, o, t.handle, is_blocking=False) for t, o in zip(self.outputs, outs)]
        cl.wait_for_events(downs)
        wall = time.perf_counter() - t0
        queue.finish()  # (in order: every event is complete; this only makes it explicit)
        zero = ups[0].profile.start if ups else events[0].profile.start
        sec = lambda ns: (ns - zero) * 1e-9
        launches = [Launch(k.function_name, gsize, _groups(gsize, lsize), sec(ev.profile.start), sec(ev.profile.end))
                    for (k, gsize, lsize), ev in zip(self.steps, events)]
        copies = lambda evs: sum((e.profile.end - e.profile.start) * 1e-9 for e in evs)
        return Timeline(launches, copies(ups), copies(downs), wall)


def _groups(gsize, lsize):
    if lsize is None:
        return None
    return int(np.prod([-(-g // l) for g, l in zip(gsize, lsize)]))


Launch = namedtuple("Launch", "name gsize groups start end")


class Timeline(namedtuple("Timeline", "launches upload readback wall")):
    """One profiled replay (``LaunchPlan.timeline``); times in seconds."""

    @property
    def kernel(self):
        """Device time of all kernels."""
        return sum(r.end - r.start for r in self.launches)

    @property
    def gaps(self):
        """[idle seconds between the end of launch k and the start of launch k + 1]."""
        return [b.start - a.end for a, b in zip(self.launches, self.launches[1:])]
