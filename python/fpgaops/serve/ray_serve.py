"""The same models on Ray Serve: one deployment per model, one replica per device/card.

    fpgaops serve REPO --ray [ADDRESS] [--ray-resource fpga_u50]

Each model is a Ray Serve deployment with ``instances`` replicas; a replica holds one network copy
and its own dynamic batcher (runtime.ModelVersion with one instance). With ``--ray-resource R``
every replica asks for ``{R: 1}``, so Ray places one replica per card on nodes started with
``ray start --resources '{"R": <cards on this host>}'``. An ingress deployment serves the same
KServe v2 routes (app.make_app) behind Ray Serve's HTTP proxy and forwards each request to a
replica through a deployment handle; a request whose replica dies is retried on another (the
inference is idempotent), so a lost replica costs latency, never a wrong or missing answer.

Under Ray, new versions are rolled out by redeploying (``serve.run`` again: Ray Serve's rolling
update); the repository load/unload routes answer 400 there. Batch-level metrics live in the
replicas' processes; the ingress's /metrics counts requests, outcomes and fallbacks.
"""
import asyncio
import logging
import os

from .repository import model_names, read_manifest, versions
from .runtime import Unavailable
from .server import ModelServer, Slot

RETRIES = 5  # with 0.1, 0.2, ... s pauses: 1.5 s for Ray Serve to route around a dead replica
log = logging.getLogger("fpgaops.serve")


class ModelReplica:
    """A Ray Serve replica: one network copy on this replica's device, with its batcher."""

    def __init__(self, repo, name, version):
        from . import logs
        from .runtime import load_version

        logs.setup("info")
        self.mv = load_version(repo, name, version, instances=1)

    async def infer(self, xs):
        if self.mv.state == "loaded":
            self.mv.start()  # needs the replica's event loop, which exists only here
        return await self.mv.submit(xs, self.mv.spec.timeout_ms / 1e3)

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

    def submit(self, xs, timeout_s):
        if self.state != "ready":
            raise Unavailable(f"model {self.name} is {self.state}")
        return asyncio.ensure_future(self._call(xs))

    async def _call(self, xs):
        from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError

        for attempt in range(RETRIES + 1):
            try:
                return await self.handle.infer.remote(xs)
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
        from .degrade import Degrader

        for name, h in handles.items():
            man = read_manifest(self.repo, name, versions(self.repo, name)[-1])
            s = self.slots.setdefault(name, Slot(name))
            s.current = RemoteVersion(man, h)
            spec = man["spec"]
            if spec.latency_objective_ms and spec.fallback:
                s.degrader = Degrader(spec.latency_objective_ms / 1e3, **self.degrade_kw)

    async def start(self, watch=True):
        pass

    async def stop(self):
        pass

    async def load(self, name, version=None):
        raise Unavailable("on Ray Serve a new version is rolled out by redeploying (fpgaops serve --ray again)")

    async def unload(self, name):
        raise Unavailable("on Ray Serve, remove a model by redeploying without it")


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
