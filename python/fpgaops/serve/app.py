"""The KServe v2 (Open Inference Protocol) HTTP routes on Starlette, over a ModelServer.

    GET  /v2                                   server metadata
    GET  /v2/health/live, /v2/health/ready
    GET  /v2/models/{name}[/versions/{v}]      model metadata;   .../ready
    POST /v2/models/{name}[/versions/{v}]/infer
    POST /v2/repository/index, /v2/repository/models/{name}/load, .../unload
    GET  /metrics                              Prometheus

Errors are ``{"error": reason}`` with 400 (bad request), 404 (unknown model/version), 413 (too
large), 429 (queue full, Retry-After), 503 (not loaded / draining, Retry-After), 504 (deadline).
A client's request id (``X-Request-ID`` header or the body's ``id``) is echoed in both.
"""
import asyncio
import contextlib
import logging
import re
import time

import numpy as np
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .protocol import HEADER, ProtocolError, decode_request, encode_response
from .repository import RepositoryError
from .runtime import Overloaded, RequestTimeout, Unavailable

log = logging.getLogger("fpgaops.serve")
MAX_BODY = 256 << 20  # bytes; a larger Content-Length is refused before it is read
INFER_PATH = re.compile(r"/v2/models/([^/]+)(?:/versions/([^/]+))?/infer")  # POSTs skip Starlette (make_app)


def _error(status, msg, rid=None, retry=None):
    h = {}
    if rid:
        h["x-request-id"] = rid
    if retry:
        h["retry-after"] = str(retry)
    return JSONResponse({"error": msg}, status_code=status, headers=h)


async def _body(request):
    n = request.headers.get("content-length")
    if n is not None and n.isdigit() and int(n) > MAX_BODY:
        raise ProtocolError(f"body of {n} bytes exceeds the {MAX_BODY} byte limit", 413)
    chunks, size = [], 0
    async for c in request.stream():
        size += len(c)
        if size > MAX_BODY:
            raise ProtocolError(f"body exceeds the {MAX_BODY} byte limit", 413)
        chunks.append(c)
    return b"".join(chunks)


async def _within(fut, timeout):
    """``await fut``, cancelling it after ``timeout`` seconds (RequestTimeout). What asyncio.wait_for
    does, with one timer instead of a waiter future and its extra event-loop turn per request."""
    expired = []

    def expire():
        if not fut.done():
            expired.append(True)
            fut.cancel()

    timer = asyncio.get_running_loop().call_later(timeout, expire)
    try:
        return await fut
    except asyncio.CancelledError:
        if expired:
            raise RequestTimeout(f"no answer within {timeout:g} s") from None
        raise
    finally:
        timer.cancel()


def _check_inputs(mv, arrays):
    """The request's tensors in the model's input order: FP32, the declared item shape, a batch."""
    spec = mv.spec
    names = mv.input_names
    if set(arrays) != set(names):
        raise ProtocolError(f"model {spec.name} takes inputs {names}, got {sorted(arrays)}")
    xs = []
    for name, (_, shape) in zip(names, spec.inputs):
        a = arrays[name]
        if a.dtype != np.float32:
            raise ProtocolError(f"input {name!r}: datatype must be FP32 for model {spec.name}")
        if a.ndim != len(shape) or tuple(a.shape[1:]) != tuple(shape[1:]):
            raise ProtocolError(f"input {name!r}: shape {list(a.shape)} does not match {list(shape)}")
        rows = a.shape[0]
        if shape[0] != -1 and rows != shape[0]:
            raise ProtocolError(f"input {name!r}: batch dimension must be {shape[0]}, got {rows}")
        if rows < 1 or rows > max(spec.batching.max_batch_size, 1):
            raise ProtocolError(f"input {name!r}: {rows} rows; this model takes 1 to "
                                f"{spec.batching.max_batch_size} per request")
        if not np.isfinite(a).all():  # the method, not np.all: no Python-level wrapper per request
            raise ProtocolError(f"input {name!r} contains NaN or Inf")
        xs.append(a)  # C-contiguous (decode_request)
    if len({x.shape[0] for x in xs}) != 1:
        raise ProtocolError("every input must have the same batch dimension")
    return xs


def _metadata(mv):
    return {"name": mv.name, "versions": [str(mv.version)], "platform": f"fpgaops_{mv.device}",
            "inputs": [{"name": n, "datatype": "FP32", "shape": list(s)} for n, (_, s) in zip(mv.input_names,
                                                                                             mv.spec.inputs)],
            "outputs": [{"name": n, "datatype": "FP32", "shape": list(s)} for n, s in zip(mv.out_names,
                                                                                         mv.out_shapes)],
            "parameters": {"device": mv.device, "precision": mv.spec.precision,
                           "max_batch_size": mv.spec.batching.max_batch_size, "batch_sizes": mv.sizes}}


def make_app(server, watch=True):
    """A Starlette app serving ``server`` (a ModelServer); models load at startup."""
    import fpgaops

    m = server.metrics

    def lookup(request):
        name = request.path_params["name"]
        s = server.slots.get(name)
        if s is None:
            return None, _error(404, f"unknown model {name!r} (models: {', '.join(server.slots)})")
        mv = s.current
        if mv is None:
            return None, _error(503, f"model {name!r} is not loaded", retry=1)
        v = request.path_params.get("version")
        if v is not None and v != str(mv.version):
            return None, _error(404, f"model {name!r} version {v} is not loaded (serving {mv.version})")
        return mv, None

    async def server_meta(request):
        return JSONResponse({"name": "fpgaops", "version": fpgaops.__version__,
                             "extensions": ["binary_tensor_data", "model_repository"]})

    async def live(request):
        return Response(status_code=200)

    async def ready(request):
        return Response(status_code=200 if server.ready() else 503)

    async def model_meta(request):
        mv, err = lookup(request)
        return err or JSONResponse(_metadata(mv))

    async def model_ready(request):
        mv, err = lookup(request)
        if err is not None:
            return Response(status_code=err.status_code)
        return Response(status_code=200 if mv.state == "ready" else 503)

    async def infer(request):
        t0 = time.perf_counter()
        rid = request.headers.get("x-request-id")
        name = request.path_params["name"]
        mv, err = lookup(request)
        if err is not None:
            m.requests.labels(name, request.path_params.get("version", ""), "not_found").inc()
            if rid:
                err.headers["x-request-id"] = rid
            return err
        try:
            body = await _body(request)
            req, arrays, outs = decode_request(body, request.headers.get(HEADER))
            # the body's id answers in the body, the X-Request-ID header in the header (a proxy such as
            # Ray Serve's sets its own header); each stands in for the other when alone
            hid = rid
            rid = str(req["id"]) if "id" in req else rid
            xs = _check_inputs(mv, arrays)
        except ProtocolError as e:
            m.requests.labels(name, str(mv.version), "bad_request").inc()
            log.debug("bad request", extra={"event": "request", "model": name, "request_id": rid, "status": e.status,
                                            "error": str(e)})
            return _error(e.status, str(e), rid)
        target, fell_back = server.route(name)
        unknown = [o["name"] for o in outs if o["name"] not in target.out_names]
        if unknown:
            return _error(400, f"unknown output(s) {unknown}; model {target.name} has {target.out_names}", rid)
        timeout = mv.spec.timeout_ms / 1e3
        try:
            results = await _within(target.submit(xs, timeout), timeout)
        except Overloaded as e:
            m.requests.labels(target.name, str(target.version), "overloaded").inc()
            return _error(429, str(e), rid, retry=1)
        except Unavailable as e:
            m.requests.labels(target.name, str(target.version), "unavailable").inc()
            return _error(503, str(e), rid, retry=1)
        except RequestTimeout as e:
            m.requests.labels(target.name, str(target.version), "timeout").inc()
            return _error(504, f"deadline of {timeout:g} s passed: {e}", rid)
        except Exception as e:  # the model itself failed on this input
            m.requests.labels(target.name, str(target.version), "error").inc()
            log.error("inference failed", extra={"event": "request", "model": target.name, "request_id": rid,
                                                 "error": str(e)})
            return _error(500, f"{type(e).__name__}: {e}", rid)
        dt = time.perf_counter() - t0
        params = {"served_by": target.name, "served_version": str(target.version), "fallback": fell_back}
        if rid:
            req["id"] = rid
        body, headers = encode_response(name, mv.version, target.out_names, results, req, outs, params)
        if hid or rid:
            headers["x-request-id"] = hid or rid
        # bookkeeping runs once this task has written the response (send does not suspend): off the latency
        asyncio.get_running_loop().call_soon(record_ok, name, target, fell_back, rid, dt)
        return Response(body, headers=headers)

    def record_ok(name, target, fell_back, rid, dt):
        if not fell_back:
            server.observe(name, dt)
        else:
            m.fallbacks.labels(name, target.name).inc()
        m.requests.labels(target.name, str(target.version), "ok").inc()
        log.debug("request", extra={"event": "request", "model": name, "served_by": target.name,
                                    "version": target.version, "request_id": rid, "ms": round(dt * 1e3, 3)})

    async def repo_index(request):
        out = []
        from .repository import versions

        for n, s in server.slots.items():
            for v in versions(server.repo, n):
                cur = s.current is not None and s.current.version == v
                out.append({"name": n, "version": str(v), "state": "READY" if cur else "UNAVAILABLE"})
        return JSONResponse(out)

    async def repo_load(request):
        name = request.path_params["name"]
        try:
            mv = await server.load(name)
        except RepositoryError as e:
            return _error(400, str(e))
        except Exception as e:
            return _error(400, f"loading {name!r} failed: {type(e).__name__}: {e}")
        return JSONResponse({"name": name, "version": str(mv.version), "state": "READY"})

    async def repo_unload(request):
        name = request.path_params["name"]
        if name not in server.slots:
            return _error(404, f"unknown model {name!r}")
        await server.unload(name)
        return JSONResponse({"name": name, "state": "UNAVAILABLE"})

    async def metrics(request):
        return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await server.start(watch=watch)
        try:
            yield
        finally:
            await server.stop()

    routes = [
        Route("/v2", server_meta), Route("/v2/health/live", live), Route("/v2/health/ready", ready),
        Route("/v2/models/{name}", model_meta), Route("/v2/models/{name}/versions/{version}", model_meta),
        Route("/v2/models/{name}/ready", model_ready),
        Route("/v2/models/{name}/versions/{version}/ready", model_ready),
        # POSTs are answered by app() below without Starlette; listed here for 405 on other methods
        Route("/v2/models/{name}/infer", infer, methods=["POST"]),
        Route("/v2/models/{name}/versions/{version}/infer", infer, methods=["POST"]),
        Route("/v2/repository/index", repo_index, methods=["POST"]),
        Route("/v2/repository/models/{name}/load", repo_load, methods=["POST"]),
        Route("/v2/repository/models/{name}/unload", repo_unload, methods=["POST"]),
        Route("/metrics", metrics),
    ]
    star = Starlette(routes=routes, lifespan=lifespan)

    async def app(scope, receive, send):
        """Infer requests go straight to ``infer`` (the hot path: no middleware stack or route scan,
        which at one client cost about as much as the model's queue and thread hand-off); the rest to
        Starlette. An unexpected error still answers 500, as Starlette's ServerErrorMiddleware would."""
        if scope["type"] == "http" and scope["method"] == "POST":
            path, root = scope["path"], scope.get("root_path", "")  # mounted under a prefix (ASGI spec)
            mt = INFER_PATH.fullmatch(path[len(root):] if root and path.startswith(root) else path)
            if mt is not None:
                scope["path_params"] = {"name": mt[1]} if mt[2] is None else {"name": mt[1], "version": mt[2]}
                try:
                    response = await infer(Request(scope, receive))
                except Exception as e:
                    log.error("infer failed", extra={"event": "request", "error": f"{type(e).__name__}: {e}"})
                    response = _error(500, "Internal Server Error")
                await response(scope, receive, send)
                return
        await star(scope, receive, send)

    return app
