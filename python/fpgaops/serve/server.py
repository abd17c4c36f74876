"""The models a server holds: one slot per model name, each with its current version, hot reload
(load in a thread, switch atomically, drain the old version) and the SLO fallback switch.

Everything here runs on the event loop except model loading (a thread) and execution (the
instance threads of runtime.ModelVersion); a switch is one assignment, so a request sees either
the old or the new version, and the old one finishes what it queued before it stops.
"""
import asyncio
import logging
import os

from .degrade import Degrader
from .metrics import Metrics
from .repository import RepositoryError, model_names, versions
from .runtime import load_version

log = logging.getLogger("fpgaops.serve")


class Slot:
    def __init__(self, name):
        self.name = name
        self.current = None         # the ModelVersion taking new requests
        self.degrader = None
        self.lock = asyncio.Lock()  # one load/unload of this model at a time
        self.error = None           # why the last load failed


class ModelServer:
    def __init__(self, repo, poll_s=1.0, metrics=None, degrade_kw=None):
        self.repo = os.path.abspath(repo)
        self.poll_s = poll_s
        self.metrics = metrics or Metrics()
        self.degrade_kw = degrade_kw or {}
        self.slots = {n: Slot(n) for n in model_names(self.repo)}
        self._watch = None

    # -- lifecycle
    async def start(self, watch=True):
        await asyncio.gather(*(self.load(n) for n in self.slots))
        if watch and self.poll_s:
            self._watch = asyncio.get_running_loop().create_task(self._watcher())

    async def stop(self):
        if self._watch:
            self._watch.cancel()
        for s in self.slots.values():
            if s.current is not None:
                old, s.current = s.current, None
                await old.drain_and_stop()

    def ready(self):
        return all(s.current is not None and s.current.state == "ready" for s in self.slots.values())

    async def _watcher(self):
        """A new complete version folder (its manifest written last) is loaded and switched to."""
        while True:
            await asyncio.sleep(self.poll_s)
            for name, s in self.slots.items():
                vs = versions(self.repo, name)
                if s.current is not None and vs and vs[-1] > s.current.version and s.error != vs[-1]:
                    try:
                        await self.load(name)
                    except Exception:
                        pass  # logged by load; the old version keeps serving

    # -- load / unload
    async def load(self, name, version=None):
        """Load ``version`` (default: the newest) in a thread, switch to it, drain the old one."""
        if name not in self.slots:
            if not versions(self.repo, name):
                raise RepositoryError(os.path.join(self.repo, name), "no such model in the repository")
            self.slots[name] = Slot(name)
        s = self.slots[name]
        async with s.lock:
            vs = versions(self.repo, name)
            if not vs:
                raise RepositoryError(os.path.join(self.repo, name), "no complete version folder")
            v = version if version is not None else vs[-1]
            if v not in vs:
                raise RepositoryError(os.path.join(self.repo, name), f"version {v} not found (have {vs})")
            if s.current is not None and s.current.version == v:
                return s.current
            try:
                new = await asyncio.to_thread(load_version, self.repo, name, v, self.metrics)
            except Exception as e:
                s.error = v
                log.error("load failed", extra={"event": "load_failed", "model": name, "version": v,
                                                "error": str(e)})
                raise
            s.error = None
            new.start()
            old, s.current = s.current, new  # the atomic switch
            spec = new.spec
            if spec.latency_objective_ms and spec.fallback:
                s.degrader = Degrader(spec.latency_objective_ms / 1e3, **self.degrade_kw)
            else:
                s.degrader = None
            log.info("model switched", extra={"event": "switch", "model": name, "version": v,
                                              "previous": old.version if old else None})
        if old is not None:
            await old.drain_and_stop()
            log.info("old version drained", extra={"event": "drained", "model": name, "version": old.version})
        return new

    async def unload(self, name):
        s = self.slots.get(name)
        if s is None or s.current is None:
            return False
        async with s.lock:
            old, s.current = s.current, None
        await old.drain_and_stop()
        log.info("model unloaded", extra={"event": "unload", "model": name, "version": old.version})
        return True

    # -- routing
    def route(self, name):
        """(ModelVersion to run, answered-by-fallback?) for a request to ``name``."""
        s = self.slots[name]
        mv = s.current
        if s.degrader is not None and s.degrader.use_fallback():
            fb = self.slots.get(mv.spec.fallback)
            if fb is not None and fb.current is not None and fb.current.state == "ready":
                return fb.current, True
        return mv, False

    def observe(self, name, seconds):
        s = self.slots.get(name)
        if s is None or s.degrader is None:
            return
        flip = s.degrader.observe(seconds)
        if flip:
            self.metrics.degraded.labels(name).set(1 if flip == "degraded" else 0)
            log.info(f"model {flip}", extra={"event": flip, "model": name, "fallback": s.current.spec.fallback})
