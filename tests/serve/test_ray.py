"""Ray Serve: two replicas of a model on a local Ray instance (the device as a custom resource),
the KServe v2 routes behind Ray Serve's proxy, one replica killed under load: no wrong answer; then a
new version loaded through the repository route under load: none lost, each answer from the version
that says it answered."""
import os
import signal
import socket

import httpx
import numpy as np
import pytest

import fpgaops

from serve_helpers import add_version

ray = pytest.importorskip("ray")
serve = pytest.importorskip("ray.serve")
tritonclient = pytest.importorskip("tritonclient.http")


@pytest.fixture
def ray_local():
    # workers import fpgaops from this checkout: they inherit the environment of ray.init's raylet
    here = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "python"))
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([here] + ([os.path.abspath(p) for p in old.split(os.pathsep)]
                                                         if old else []))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        metrics_port = s.getsockname()[1]
    # the replicas' batch metrics leave through Ray's metrics agent on this port (reported every second)
    ray.init(num_cpus=2, resources={"fpga_sim": 3}, include_dashboard=False, log_to_driver=False,
             _metrics_export_port=metrics_port, _system_config={"metrics_report_interval_ms": 1000})
    try:
        yield metrics_port
    finally:
        serve.shutdown()
        ray.shutdown()
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def _send(c, x, rid):
    inp = tritonclient.InferInput("input", [1, 3, 8, 8], "FP32")
    inp.set_data_from_numpy(x)
    return c.async_infer("tiny_b", [inp], request_id=rid)


def test_two_replicas_one_killed_under_load(tiny_repo, ray_local, tmp_path):
    from fpgaops.serve.ray_serve import build_app

    repo, paths, _ = tiny_repo
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    serve.run(build_app(repo, resource="fpga_sim", replica_cpus=0.25), name="fpgaops", route_prefix="/")
    c = tritonclient.InferenceServerClient(f"127.0.0.1:{port}", concurrency=8)
    assert c.is_server_ready() and c.is_model_ready("tiny_b")
    assert c.get_model_metadata("tiny_b")["outputs"][0]["shape"] == [-1, 5]
    # the two replicas of tiny_b: each holds one unit of the custom resource
    h = serve.get_deployment_handle("model-tiny_b", app_name="fpgaops")
    pids = set()
    for _ in range(50):
        pids.add(h.pid.remote().result())
        if len(pids) == 2:
            break
    assert len(pids) == 2
    import time

    t_end = time.time() + 30  # the resource view is eventually consistent
    while ray.available_resources().get("fpga_sim", 0) != 0 and time.time() < t_end:
        time.sleep(0.2)
    assert ray.available_resources().get("fpga_sim", 0) == 0  # 1 (tiny_a) + 2 (tiny_b) of 3 taken

    net = fpgaops.load_onnx(paths["tiny_b"])
    xs = [np.random.default_rng(i).standard_normal((1, 3, 8, 8), dtype=np.float32) for i in range(80)]
    pending = []
    for i, x in enumerate(xs):
        pending.append(_send(c, x, str(i)))
        if i == 20:
            os.kill(sorted(pids)[0], signal.SIGKILL)
    dev = fpgaops.current_device().name
    from tritonclient.utils import InferenceServerException

    ok, failed = 0, []
    for i, p in enumerate(pending):
        try:
            r = p.get_result()
        except InferenceServerException as e:  # a clean HTTP error is allowed, a wrong answer never
            failed.append(str(e))
            continue
        assert r.get_response()["id"] == str(i)
        np.testing.assert_array_equal(r.as_numpy("output"), net(xs[i], device=dev))
        ok += 1
    # requests on the killed replica are retried on the other one; some may still fail cleanly (an
    # HTTP error with a reason), none may be answered wrongly or go missing
    assert ok + len(failed) == len(xs) and ok >= 3 * len(xs) // 4, failed

    # version 2 through the repository route while requests flow: the replicas (the restarted one
    # included) load it first, then the ingress switches; every answer matches its version's network
    v2 = fpgaops.load_onnx(add_version(repo, tmp_path, "tiny_b", 2, seed=7))
    nets = {"1": net, "2": v2}
    pending = [_send(c, x, str(i)) for i, x in enumerate(xs[:30])]
    r = httpx.post(f"http://127.0.0.1:{port}/v2/repository/models/tiny_b/load", timeout=300)
    assert r.status_code == 200 and r.json()["version"] == "2", r.text
    pending += [_send(c, x, str(30 + i)) for i, x in enumerate(xs[30:60])]
    seen = []
    for i, p in enumerate(pending):
        r = p.get_result()
        resp = r.get_response()
        assert resp["id"] == str(i)
        v = resp["parameters"]["served_version"]
        seen.append(v)
        np.testing.assert_array_equal(r.as_numpy("output"), nets[v](xs[i], device=dev))
    assert set(seen[30:]) == {"2"}  # sent after the load answered: the new version
    assert c.get_model_metadata("tiny_b")["versions"] == ["2"]

    # the replicas' batch metrics, on Ray's Prometheus endpoint of this node: tiny_b ran batches
    t_end, rows = time.time() + 60, 0
    while time.time() < t_end:
        text = httpx.get(f"http://127.0.0.1:{ray_local}/metrics", timeout=10).text
        counts = [ln for ln in text.splitlines() if ln.startswith("ray_fpgaops_batch_size_count")
                  and 'deployment="model-tiny_b"' in ln and 'model="tiny_b"' in ln]
        rows = sum(float(ln.rsplit(" ", 1)[1]) for ln in counts)
        if rows > 0:
            break
        time.sleep(1)
    assert rows > 0, "no fpgaops_batch_size observations from the tiny_b replicas on Ray's metrics endpoint"
