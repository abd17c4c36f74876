"""The same models on Ray Serve: one deployment per model, one replica per device/card.

    fpgaops serve REPO --ray [ADDRESS] [--ray-resource fpga_u50]

Each model is a Ray Serve deployment with ``instances`` replicas; a replica holds one network copy
and its own dynamic batcher (runtime.ModelVersion with one instance). With ``--ray-resource R``
every replica asks for ``{R: 1}``, so Ray places one replica per card on nodes started with
``ray start --resources '{"R": <cards on this host>}'``. An ingress deployment serves the same
KServe v2 routes (app.make_app) behind Ray Serve's HTTP proxy and forwards each request to a
replica through a deployment handle; a request whose replica dies is retried on another (the
inference is idempotent), so a lost replica costs latency, never a wrong or missing answer.

Versions under Ray: the ingress decides which version of a model takes new requests and names it
in every call; a replica serves exactly the version it is asked for, loading it (in a thread, from
the shared repository folder) the first time it is asked. ``POST /v2/repository/models/{name}/load``
first asks the replicas to load the new version (``prepare``, until every replica of the deployment
has answered or a replica's load fails, which refuses the load and keeps the old version), then
switches the ingress to it in one assignment; a replica frees an old version once a newer one is
in use on it (after the old one's queued requests finish). Requests already sent keep their
version, so nothing is dropped or answered by the wrong version during the switch. A replica that
Ray restarts later loads whatever version it is asked for. ``unload`` stops routing to the model
(503); its replicas keep their card until the application is redeployed without it (``serve.run``,
Ray Serve's rolling update), which is also how models are added or replicas re-counted. The
repository must be at the same path on every host (a shared folder).

Metrics: the ingress's /metrics counts requests, outcomes and fallbacks; the batch-level metrics
(queue depth, batch size, queue and compute time, device busy time) live in the replicas'
processes and go out through Ray's own metrics pipeline (``ray.serve.metrics``, which adds the
application, deployment and replica tags): each node's Prometheus endpoint
(``ray start --metrics-export-port P``), names prefixed ``ray_``.
"""
import asyncio
import logging
import os
import time

from .repository import RepositoryError, model_names, read_manifest, versions
from .runtime import Unavailable
from .server import ModelServer, Slot

RETRIES = 5  # with 0.1, 0.2, ... s pauses: 1.5 s for Ray Serve to route around a dead replica
PREPARE_TIMEOUT_S = 600  # a load gives up when the replicas have not all answered by then
log = logging.getLogger("fpgaops.serve")


class _Bound:
    def __init__(self, metric, tags):
        self.metric, self.tags = metric, tags

    def observe(self, v):
        self.metric.observe(v, tags=self.tags)

    def inc(self, v=1.0):
        self.metric.inc(v, tags=self.tags)

    def set(self, v):
        self.metric.set(v, tags=self.tags)


class _Family:
    def __init__(self, metric, keys):
        self.metric, self.keys = metric, keys

    def labels(self, *values):
        return _Bound(self.metric, dict(zip(self.keys, map(str, values))))


class ReplicaMetrics:
    """What runtime.ModelVersion records (metrics.BATCH_METRICS: same names, labels, buckets), on
    ray.serve.metrics instead of a prometheus_client registry."""

    def __init__(self):
        from ray.serve import metrics as rm

        from .metrics import BATCH_METRICS

        kinds = {"gauge": rm.Gauge, "counter": rm.Counter, "histogram": rm.Histogram}
        for attr, (kind, name, doc, labels, buckets) in BATCH_METRICS.items():
            kw = {"boundaries": [float(b) for b in buckets]} if buckets else {}
            setattr(self, attr, _Family(kinds[kind](name, description=doc, tag_keys=labels, **kw), labels))


class ModelReplica:
    """A Ray Serve replica: network copies of the versions it is asked for, on this replica's device,
    each with its batcher (runtime.ModelVersion with one instance)."""

    def __init__(self, repo, name, version):
        from . import logs
        from .runtime import load_version

        logs.setup("info")
        self.repo, self.name, self.newest = repo, name, version
        self.metrics = ReplicaMetrics()
        self.loaded = {version: load_version(repo, name, version, self.metrics, instances=1)}
        self.loading = {}  # version -> the task loading it (shared by the requests waiting for it)

    async def _version(self, version, retire=True):
        from .runtime import load_version

        mv = self.loaded.get(version)
        if mv is None:
            task = self.loading.get(version)
            if task is None:
                task = asyncio.ensure_future(asyncio.to_thread(load_version, self.repo, self.name, version,
                                                               self.metrics, 1))
                self.loading[version] = task
                task.add_done_callback(lambda t, v=version: self.loading.pop(v, None))
            mv = self.loaded.setdefault(version, await task)
        if mv.state == "loaded":
            mv.start()  # needs the replica's event loop, which exists only here
        if retire and version > self.newest:  # a newer version is in use here: the older ones finish and go
            self.newest = version
            for v in [v for v in self.loaded if v < version]:
                asyncio.ensure_future(self.loaded.pop(v).drain_and_stop())
        return mv

    async def infer(self, xs, version=None):
        mv = await self._version(self.newest if version is None else version)
        return await mv.submit(xs, mv.spec.timeout_ms / 1e3)

    async def prepare(self, version):
        """Load ``version`` (if not yet) and answer this replica's process id."""
        await self._version(version, retire=False)  # the old version keeps serving until the switch
        return os.getpid()

    def pid(self):
        return os.getpid()


class RemoteVersion:
    """What app.make_app needs of a ModelVersion, forwarding to a deployment handle."""

    def __init__(self, man, handle):
        spec = man["spec"]
        self.spec, self.name, self.version, self.handle = spec, spec.name, spec.version, handle
        self.input_names = list(man["input_names"])
        self.out_names = [o for o, _ in man["outputs"]]
        self.out_shapes = [tuple(s) for _, s in man["outputs"]]
        self.device = f"ray:{spec.device}"
        self.sizes = []
        self.state = "ready"

    async def prepare(self, want, timeout_s=PREPARE_TIMEOUT_S):
        """Have the ``want`` replicas load this version (the router spreads concurrent calls over
        them; repeated until each replica's process has answered). A failed load raises."""
        seen, t_end = set(), time.monotonic() + timeout_s
        while len(seen) < want:
            if time.monotonic() > t_end:
                raise Unavailable(f"model {self.name} version {self.version}: {len(seen)} of {want} replicas "
                                  f"loaded it within {timeout_s} s")
            seen.update(await asyncio.gather(*(self.handle.prepare.remote(self.version) for _ in range(2 * want))))

    def submit(self, xs, timeout_s):
        if self.state != "ready":
            raise Unavailable(f"model {self.name} is {self.state}")
        return asyncio.ensure_future(self._call(xs))

    async def _call(self, xs):
        from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError

        for attempt in range(RETRIES + 1):
            try:
                return await self.handle.infer.remote(xs, self.version)
            except (RayActorError, ActorDiedError, ActorUnavailableError) as e:
                if attempt == RETRIES:
                    raise
                log.warning("replica lost, retrying", extra={"event": "retry", "model": self.name,
                                                              "attempt": attempt + 1, "error": type(e).__name__})
                await asyncio.sleep(0.1 * (attempt + 1))  # the replica died: another one takes it


class RayModelServer(ModelServer):
    """The ModelServer interface over Ray Serve deployment handles (routing and fallback reused)."""

    def __init__(self, repo, handles, degrade_kw=None):
        super().__init__(repo, poll_s=0, degrade_kw=degrade_kw)
        self.handles = dict(handles)
        self.replicas = {}  # the deployment's replica count (its first version's instances)
        for name in handles:
            s = self.slots.setdefault(name, Slot(name))
            self._switch(s, self._remote(name, versions(self.repo, name)[-1]))
            self.replicas[name] = s.current.spec.instances

    def _remote(self, name, version):
        return RemoteVersion(read_manifest(self.repo, name, version), self.handles[name])

    def _switch(self, s, new):
        from .degrade import Degrader

        old, s.current = s.current, new  # the atomic switch
        spec = new.spec
        s.degrader = Degrader(spec.latency_objective_ms / 1e3, **self.degrade_kw) \
            if spec.latency_objective_ms and spec.fallback else None
        return old

    async def start(self, watch=True):
        pass

    async def stop(self):
        pass

    async def load(self, name, version=None):
        """Have the replicas load ``version`` (default: the newest), then route new requests to it."""
        if name not in self.handles:
            raise RepositoryError(os.path.join(self.repo, name), "not deployed on Ray Serve: add a model by "
                                  "redeploying the repository (fpgaops serve --ray again)")
        s = self.slots[name]
        async with s.lock:
            vs = versions(self.repo, name)
            v = version if version is not None else (vs[-1] if vs else None)
            if v not in vs:
                raise RepositoryError(os.path.join(self.repo, name), f"version {v} not found (have {vs})")
            if s.current is not None and s.current.version == v:
                return s.current
            new = self._remote(name, v)  # verifies the manifest's digests here first
            await new.prepare(self.replicas[name])
            old = self._switch(s, new)
            log.info("model switched", extra={"event": "switch", "model": name, "version": v,
                                              "previous": old.version if old else None})
        return new

    async def unload(self, name):
        s = self.slots.get(name)
        if s is None or s.current is None:
            return False
        async with s.lock:
            old, s.current = s.current, None
        log.info("model unloaded", extra={"event": "unload", "model": name, "version": old.version})
        return True


class KServeIngress:
    """The ingress deployment: the KServe v2 app over deployment handles."""

    def __init__(self, repo, handles):
        self.server = RayModelServer(repo, handles)

    def __serve_build_asgi_app__(self):
        from .app import make_app

        return make_app(self.server, watch=False)


def build_app(repo, resource=None, replica_cpus=0.5):
    """The Ray Serve application of a repository (deployments bound, not yet run)."""
    from ray import serve

    repo = os.path.abspath(repo)
    handles = {}
    for name in model_names(repo):
        man = read_manifest(repo, name, versions(repo, name)[-1])
        spec = man["spec"]
        opts = {"num_cpus": replica_cpus}
        if resource:
            opts["resources"] = {resource: 1}
        dep = serve.deployment(ModelReplica, name=f"model-{name}", num_replicas=spec.instances,
                               ray_actor_options=opts,
                               max_ongoing_requests=spec.batching.max_queue + spec.batching.max_batch_size)
        handles[name] = dep.bind(repo, name, spec.version)
    ingress = serve.deployment(serve.ingress()(KServeIngress), name="kserve", ray_actor_options={"num_cpus": 0},
                               max_ongoing_requests=1000)
    return ingress.bind(repo, handles)


def run(repo, address="local", host="127.0.0.1", port=8000, resource=None, block=True):
    """Connect to (or start) Ray, start Serve's HTTP proxy on host:port, deploy, and wait."""
    import ray
    from ray import serve

    if not ray.is_initialized():
        if address in (None, "local"):
            # a local instance: its workers import the same fpgaops as this process
            import fpgaops

            pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(fpgaops.__file__)))
            ray.init(runtime_env={"env_vars": {"PYTHONPATH": pkg_parent}})
        else:
            ray.init(address=address)
    serve.start(http_options={"host": host, "port": port})
    serve.run(build_app(repo, resource), name="fpgaops", route_prefix="/")
    if block:
        import time

        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            serve.shutdown()
    return 0
