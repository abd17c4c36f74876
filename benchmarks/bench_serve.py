"""fpgaops serve: throughput and latency over HTTP (KServe v2, binary tensors) at several client
concurrencies, for ResNet-18 and MobileNetV2 (float32) on the opencl device, with dynamic batching
(max 8 rows, 2 ms queue delay) and without (batch 1), against the same model run by ONNX Runtime
behind the same server (an ``onnxruntime`` instance, in this benchmark only). One run; writes (or
replaces) the serving section of benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/bench_serve.py [--size 64] [--seconds 6] [--levels 1 4 16] [--no-write]
    .venv/bin/python benchmarks/bench_serve.py --overhead-only [--pairs 200]   # the overheads only, prints

The server runs in this process (uvicorn in a thread, models in their instance threads); the
clients run in a separate process (asyncio + httpx, one connection per client, each sending its
next request when the previous answer arrives). The overhead at concurrency 1 is measured per
request: sequential requests from a client process with ``tritonclient.http`` (the standard KServe
v2 client; binary tensors) and again with the standard library's ``http.client`` sending the same
binary request built once (the least any client adds: its figure is the server plus loopback TCP), each one's client-side latency minus the time the model instance spent
in ``net.run`` for it (the call ``net(x)`` makes) -- HTTP, loopback, the client's encoding, the
queue and the thread hand-off; pairing per request keeps other jobs' load out of the difference.
"""
import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python"))
from results_md import RESULTS, cpu_model, version, write_section  # noqa: E402
NOTE = ('Reading: the time *inside the server* (decode, checks, queue, thread hand-off, encode) is the '
        "server's own cost per request; the rest of the client-side overhead is loopback HTTP and the client "
        'itself (the minimal http.client figure is the least any client adds on top of the server), and on this 2-core machine shared with other jobs also the wait for a core at each hand-off '
        "(event loop, instance thread, PoCL's or ONNX Runtime's threads, the client process); the null "
        "model's client-side figure is that floor without any device threads. Dynamic batching helps the "
        'opencl device because at 64x64 a batch costs little more than one image (ResNet-18: about 25 ms at '
        'batch 1 and at batch 4, measured by hand here); at 224x224 batch 4 took 4x batch 1, so expect little '
        'gain there. ONNX Runtime gains little from batching here.')
SPANS = []  # seconds each request spent inside the server app (serve_versions)


def progress(msg):
    print(msg, file=sys.stderr, flush=True)


class OrtNet:
    """The runner's interface (run(*xs, device) -> list of arrays) over an ONNX Runtime session."""

    def __init__(self, proto):
        import onnxruntime as ort

        so = ort.SessionOptions()
        # ORT's pool threads spin after each run by default: on a 2-core machine that starves the
        # server's event loop and the clients, which is not ORT's speed but a scheduling artefact
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.sess = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.sess.get_inputs()]
        self.output_names = [o.name for o in self.sess.get_outputs()]

    def run(self, *xs, device=None):
        return self.sess.run(None, dict(zip(self.input_names, xs)))

    def __call__(self, x, device=None):
        return self.run(x)[0]


class NullNet:
    """A stand-in model that answers at once (the first 1000 input values): the server's own cost."""

    input_names, output_names = ["input"], ["output"]

    def run(self, *xs, device=None):
        return [np.ascontiguousarray(xs[0].reshape(xs[0].shape[0], -1)[:, :1000])]

    def __call__(self, x, device=None):
        return self.run(x)[0]


def make_version(name, net, device, size, max_batch):
    from fpgaops.serve.config import Batching, ModelSpec
    from fpgaops.serve.runtime import Instance, ModelVersion, verify_batching

    spec = ModelSpec(name=name, source=name, device=device, inputs=((None, (-1, 3, size, size)),),
                     timeout_ms=120000.0, batching=Batching(max_batch, 2.0, 4096))
    inst = Instance(net, device, 0)
    sizes, shapes, dtypes = verify_batching(inst, spec)
    return ModelVersion(spec, {}, [inst], sizes, list(net.output_names), shapes, dtypes)


def bench_server(versions):
    from fpgaops.serve.metrics import Metrics
    from fpgaops.serve.server import ModelServer, Slot

    class BenchServer(ModelServer):
        def __init__(self):
            self.repo, self.poll_s, self.metrics, self.degrade_kw = "", 0, Metrics(), {}
            self.slots, self._watch = {}, None
            for mv in versions:
                mv.metrics = self.metrics
                self.slots[mv.name] = Slot(mv.name)
                self.slots[mv.name].current = mv

        async def start(self, watch=True):
            for s in self.slots.values():
                s.current.start()

    return BenchServer()


# -- the client process --------------------------------------------------------------------------------------
def _client(port, model, out_name, x, concurrency, seconds, q):
    import httpx

    head = json.dumps({"inputs": [{"name": "input", "shape": list(x.shape), "datatype": "FP32",
                                   "parameters": {"binary_data_size": x.nbytes}}],
                       "outputs": [{"name": out_name, "parameters": {"binary_data": True}}]}).encode()
    body = head + x.tobytes()
    url = f"http://127.0.0.1:{port}/v2/models/{model}/infer"
    hdr = {"Inference-Header-Content-Length": str(len(head)), "Content-Type": "application/octet-stream"}

    async def worker(lat, t_end, warm_end):
        async with httpx.AsyncClient(timeout=300) as c:
            while True:
                t0 = time.perf_counter()
                if t0 >= t_end:
                    return
                r = await c.post(url, content=body, headers=hdr)
                t1 = time.perf_counter()
                if r.status_code != 200:
                    raise RuntimeError(f"{r.status_code}: {r.text[:200]}")
                if t0 >= warm_end:
                    lat.append(t1 - t0)

    async def main():
        lat = []
        t = time.perf_counter()
        warm_end, t_end = t + 1.0, t + 1.0 + seconds
        await asyncio.gather(*(worker(lat, t_end, warm_end) for _ in range(concurrency)))
        return lat

    t0 = time.perf_counter()
    try:
        lat = asyncio.run(main())
    except Exception as e:
        q.put(e)
        return
    q.put((lat, time.perf_counter() - t0 - 1.0))


def run_level(port, model, out_name, x, concurrency, seconds):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_client, args=(port, model, out_name, x, concurrency, seconds, q))
    p.start()
    got = q.get(timeout=seconds + 600)
    p.join()
    if isinstance(got, Exception):
        raise RuntimeError(f"client failed: {got}")
    lat, wall = got
    lat = np.array(lat)
    return {"n": len(lat), "rps": len(lat) / wall, "p50": float(np.median(lat)) * 1e3,
            "p99": float(np.percentile(lat, 99)) * 1e3}


def serve_versions(versions):
    """uvicorn serving these versions on an ephemeral loopback port, in a thread."""
    import uvicorn

    from fpgaops.serve.app import make_app

    inner = make_app(bench_server(versions), watch=False)

    async def app(scope, receive, send):
        """Times each HTTP request inside the server: from the ASGI call to the response's last byte."""
        if scope["type"] != "http":
            return await inner(scope, receive, send)
        t0 = time.perf_counter()

        async def timed_send(msg):
            if msg["type"] == "http.response.body" and not msg.get("more_body"):
                SPANS.append(time.perf_counter() - t0)
            await send(msg)

        await inner(scope, receive, timed_send)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    th = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    th.start()
    while not srv.started:
        time.sleep(0.05)
    return sock.getsockname()[1], srv, th, sock


def _sequential_client(port, model, out_name, x, warm, n, q, client="tritonclient"):
    """The overhead client (its own process, like a real one): ``warm`` then ``n`` sequential
    requests; returns the measured requests' latencies. ``client``: "tritonclient" (tritonclient.http,
    the standard KServe v2 client, binary tensors) or "http" (the standard library's http.client on one
    keep-alive connection, the same binary request built once: the least a client can do, so its
    figure is the server plus loopback TCP)."""
    try:
        if client == "tritonclient":
            import tritonclient.http as th

            c = th.InferenceServerClient(f"127.0.0.1:{port}", connection_timeout=120, network_timeout=120)
            inp = th.InferInput("input", list(x.shape), "FP32")
            inp.set_data_from_numpy(x, binary_data=True)
            outs = [th.InferRequestedOutput(out_name, binary_data=True)]

            def one():
                c.infer(model, [inp], outputs=outs)
        else:
            import http.client

            head = json.dumps({"inputs": [{"name": "input", "shape": list(x.shape), "datatype": "FP32",
                                           "parameters": {"binary_data_size": x.nbytes}}],
                               "outputs": [{"name": out_name, "parameters": {"binary_data": True}}]}).encode()
            body = head + x.tobytes()
            hdrs = {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(head))}
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

            def one():
                conn.request("POST", f"/v2/models/{model}/infer", body, hdrs)
                r = conn.getresponse()
                data = r.read()
                if r.status != 200:
                    raise RuntimeError(f"HTTP {r.status}: {data[:200]!r}")
        lat = []
        for i in range(warm + n):
            t0 = time.perf_counter()
            one()
            if i >= warm:
                lat.append(time.perf_counter() - t0)
        q.put(lat)
    except Exception as e:  # noqa: BLE001 -- reported by the parent
        q.put(RuntimeError(f"{type(e).__name__}: {e}"))


def paired_overhead(port, model, out_name, mv, x, n, warm=5, client="tritonclient"):
    """Sequential requests from a client process; for each, its client-side latency minus the time
    the instance spent in net.run for it (the same call as net(x)): what the server, loopback HTTP and
    the client add. Requests are sequential, so the i-th measured request is the i-th measured run.
    Returns (median overhead ms, median net.run ms, median request ms, median inside-server ms)."""
    inst = mv.instances[0]
    real, compute = inst.run, []

    def timed(xs):
        t0 = time.perf_counter()
        out = real(xs)
        compute.append(time.perf_counter() - t0)
        return out

    inst.run = timed
    SPANS.clear()
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_sequential_client, args=(port, model, out_name, x, warm, n, q, client))
    p.start()
    try:
        lat = q.get(timeout=600 + n)
    finally:
        p.join()
        inst.run = real
    if isinstance(lat, Exception):
        raise RuntimeError(f"overhead client failed: {lat}")
    compute = np.array(compute[-n:])
    ov = np.array(lat) - compute
    inside = np.array(SPANS[-n:]) - compute
    return (float(np.median(ov)) * 1e3, float(np.median(compute)) * 1e3, float(np.median(lat)) * 1e3,
            float(np.median(inside)) * 1e3)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=64, help="input height = width")
    ap.add_argument("--seconds", type=float, default=6.0, help="measured seconds per level")
    ap.add_argument("--levels", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--models", nargs="+", default=["resnet18", "mobilenet_v2"])
    ap.add_argument("--pairs", type=int, default=40, help="request/net(x) pairs for the overhead")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--overhead-only", action="store_true",
                    help="measure the overheads at one client only (no throughput levels); prints, never writes")
    args = ap.parse_args(argv)

    import fpgaops as fo
    from fpgaops import models

    load0 = os.getloadavg()[0]
    x = np.random.default_rng(0).standard_normal((1, 3, args.size, args.size), dtype=np.float32)
    configs = []  # (label, model name served, net, device, max_batch)
    for m in args.models:
        proto = models.build_onnx(m)
        for backend in ("opencl", "onnxruntime"):
            for mb in (1, 8):
                net = fo.load_onnx(proto) if backend == "opencl" else OrtNet(proto)
                configs.append((m, backend, mb, f"{m}-{backend}-b{mb}", net, net.output_names[0]))
    rows, direct, direct_http = [], {}, {}
    null_mv = make_version("null", NullNet(), "null", args.size, 1)
    null_ov = null_http = None
    configs.insert(0, ("null", "none", 1, "null", None, "output"))
    for m, backend, mb, served, net, out_name in configs:
        if m == "null":
            port, srv, th, sock = serve_versions([null_mv])
            null_ov = paired_overhead(port, "null", "output", null_mv, x, args.pairs * 5)
            progress("null model: overhead {0:+.3f} ms, inside the server {3:.3f} ms (medians)".format(*null_ov))
            null_http = paired_overhead(port, "null", "output", null_mv, x, args.pairs * 5, client="http")
            progress("null model, http.client: overhead {0:+.3f} ms, inside the server {3:.3f} ms".format(*null_http))
            srv.should_exit = True
            th.join(60)
            sock.close()
            continue
        progress(f"{served}: loading (warm-up + batch-size verification)")
        mv = make_version(served, net, backend, args.size, mb)
        port, srv, th, sock = serve_versions([mv])
        # correctness once: the served answer equals net(x)
        import httpx

        r = httpx.post(f"http://127.0.0.1:{port}/v2/models/{served}/infer", timeout=120,
                       json={"inputs": [{"name": "input", "shape": list(x.shape), "datatype": "FP32",
                                         "data": x.ravel().tolist()}]})
        got = np.array(r.json()["outputs"][0]["data"], np.float32)
        want = net(x, device=backend if backend != "onnxruntime" else None).ravel()
        assert np.array_equal(got, want), f"{served}: served answer differs from net(x)"
        direct[(m, backend, mb)] = paired_overhead(port, served, out_name, mv, x, args.pairs)
        progress("  overhead {0:+.3f} ms, inside the server {3:+.3f} ms (request {2:.2f} ms, net.run {1:.2f} ms)"
                 .format(*direct[(m, backend, mb)]))
        direct_http[(m, backend, mb)] = paired_overhead(port, served, out_name, mv, x, args.pairs, client="http")
        progress("  http.client: overhead {0:+.3f} ms, inside the server {3:+.3f} ms (request {2:.2f} ms, "
                 "net.run {1:.2f} ms)".format(*direct_http[(m, backend, mb)]))
        for c in [] if args.overhead_only else args.levels:
            res = run_level(port, served, out_name, x, c, args.seconds)
            res.update(model=m, backend=backend, batching="dynamic (max 8)" if mb > 1 else "batch 1",
                       conc=c, sizes=mv.sizes)
            rows.append(res)
            progress(f"  c={c:3d}: {res['rps']:7.1f} req/s  p50 {res['p50']:8.2f} ms  p99 {res['p99']:8.2f} ms")
        srv.should_exit = True
        th.join(60)
        sock.close()
    load1 = os.getloadavg()[0]

    lines = [f"## Serving (benchmarks/bench_serve.py)", "",
             f"`fpgaops serve` over loopback HTTP (KServe v2, binary tensors), {args.size}x{args.size} float32 "
             f"images, one instance per model, {args.seconds:g} s per level after 1 s of warm-up; clients in a "
             "separate process, each sending its next request when its answer arrives. `onnxruntime` is the same "
             "model run by ONNX Runtime (CPU) behind the same server. Dynamic batching: max 8 rows, 2 ms delay, "
             "only batch sizes verified bit-identical at load.", "",
             f"Machine: {cpu_model()}; 1-minute load average {load0:.1f} at the start and {load1:.1f} at the "
             "end (above the CPU count the figures are disturbed; one run).", "",
             f"Versions: fpgaops {version('fpgaops')}, Python {sys.version.split()[0]}, starlette "
             f"{version('starlette')}, uvicorn {version('uvicorn')} (uvloop {version('uvloop')}, httptools {version('httptools')}), tritonclient {version('tritonclient')}, "
             f"onnxruntime {version('onnxruntime')}, numpy {np.__version__}.", "",
             "| model | device | batching | clients | req/s | p50 ms | p99 ms |",
             "|---|---|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['backend']} | {r['batching']} | {r['conc']} | {r['rps']:.1f} | "
                     f"{r['p50']:.2f} | {r['p99']:.2f} |")
    lines += ["", "Targets (the overheads: each request's client-side latency minus its own `net.run` time, "
              "sequential requests, medians):"]
    if null_ov:
        lines.append(f"- a null model answering at once, same server: **{null_ov[0]:+.3f} ms** per request seen by "
                     f"the client (HTTP on loopback, the client's encoding, the server), of which "
                     f"**{null_ov[3]:.3f} ms** inside the server app (decode, checks, queue, thread hand-off, encode); "
                     f"with the minimal http.client client **{null_http[0]:+.3f} ms** ({null_http[3]:.3f} ms inside)")

    def find(m, b, bat, c):
        for r in rows:
            if r["model"] == m and r["backend"] == b and r["batching"].startswith(bat) and r["conc"] == c:
                return r

    for m in args.models:
        hi = max(args.levels)
        d, s = find(m, "opencl", "dynamic", hi), find(m, "opencl", "batch 1", hi)
        if d and s:
            lines.append(f"- {m} opencl, {hi} clients: dynamic batching {d['rps']:.1f} req/s vs batch-1 "
                         f"{s['rps']:.1f} = **{d['rps'] / s['rps']:.2f}x** (target >= 1.3x for ResNet-18)")
        for b in ("opencl", "onnxruntime"):
            for mb in (1, 8):
                if (m, b, mb) in direct:
                    ov, d, req, inside = direct[(m, b, mb)]
                    hov, _, _, hinside = direct_http[(m, b, mb)]
                    lines.append(f"- {m} {b}, {'dynamic batching' if mb > 1 else 'batch 1'}, 1 client: overhead "
                                 f"**{ov:+.3f} ms** seen by a tritonclient.http client, **{hov:+.3f} ms** by the "
                                 f"minimal http.client client; **{inside:+.3f} ms** / {hinside:+.3f} ms of it inside "
                                 f"the server (request {req:.2f} ms, its net.run {d:.2f} ms)"
                                 + (" (target <= 1 ms)" if b == "opencl" else ""))
    lines += ["", NOTE]
    body = "\n".join(lines)
    print(body)
    if not (args.no_write or args.overhead_only):
        write_section("bench_serve", body)
        progress(f"wrote the serving section of {RESULTS}")


if __name__ == "__main__":
    main()
