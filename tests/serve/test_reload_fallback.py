"""Hot reload under load (nothing dropped, every answer right for the version that gave it) and the
SLO fallback switch."""
import os

import httpx
import numpy as np
import pytest

import fpgaops
from fpgaops.serve.degrade import Degrader
from fpgaops.serve.repository import build

from serve_helpers import LiveServer, add_version, model_toml
from tinynets import tiny_cnn

tritonclient = pytest.importorskip("tritonclient.http")


def send(client, model, x, rid):
    inp = tritonclient.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x, binary_data=True)
    return client.async_infer(model, [inp], request_id=rid)


def test_load_32_clients_with_hot_reload(live, tmp_path):
    """32 concurrent clients, 320 requests over two models; version 2 of tiny_a arrives half-way
    through the load (POST .../load) and version 3 by the folder watcher: none lost, duplicated or
    mixed up, and each answer equals net(x) of the version that answered."""
    dev = live.model_server.slots["tiny_a"].current.device
    nets = {("tiny_a", "1"): fpgaops.load_onnx(live.onnx["tiny_a"]),
            ("tiny_b", "1"): fpgaops.load_onnx(live.onnx["tiny_b"])}
    c = tritonclient.InferenceServerClient(live.url, concurrency=32)
    xs, pending = {}, []

    def burst(lo, hi):
        for i in range(lo, hi):
            x = np.random.default_rng(i).standard_normal((1, 3, 8, 8), dtype=np.float32)
            model = "tiny_a" if i % 3 else "tiny_b"
            xs[str(i)] = (model, x)
            pending.append(send(c, model, x, str(i)))

    # malformed requests from another thread all through the load: each gets its 4xx, nobody else notices
    import threading

    bad_codes = []

    def malformed():
        bodies = [b"{oops", b'{"inputs": [{"name": "input", "shape": [1, 3, 8, 8], "datatype": "FP64", "data": [1]}]}',
                  b'{"inputs": [{"name": "input", "shape": [99999999, 99999999], "datatype": "FP32", "data": []}]}']
        with httpx.Client(timeout=60) as h:
            for k in range(30):
                r = h.post(f"http://{live.url}/v2/models/{'tiny_a' if k % 4 else 'nope'}/infer",
                           content=bodies[k % 3])
                bad_codes.append(r.status_code)

    t_bad = threading.Thread(target=malformed)
    t_bad.start()
    burst(0, 120)
    nets[("tiny_a", "2")] = fpgaops.load_onnx(add_version(live.repo, tmp_path, "tiny_a", 2, seed=7))
    r = httpx.post(f"http://{live.url}/v2/repository/models/tiny_a/load", timeout=120)
    assert r.status_code == 200 and r.json()["version"] == "2", r.text
    burst(120, 220)
    nets[("tiny_a", "3")] = fpgaops.load_onnx(add_version(live.repo, tmp_path, "tiny_a", 3, seed=8))
    burst(220, 320)
    t_bad.join()
    assert len(bad_codes) == 30 and all(400 <= c < 500 for c in bad_codes), bad_codes
    seen, versions = set(), set()
    for p in pending:
        resp = p.get_result()
        d = resp.get_response()
        rid = d["id"]
        assert rid not in seen
        seen.add(rid)
        model, x = xs[rid]
        assert d["model_name"] == model and d["parameters"]["served_by"] == model
        versions.add((model, d["model_version"]))
        want = nets[(model, d["model_version"])](x, device=dev)
        np.testing.assert_array_equal(resp.as_numpy("output"), want)
    assert seen == set(xs)
    assert ("tiny_a", "2") in versions
    # the watcher picks up version 3 (a rename into the repository) within its poll interval
    import time

    t_end = time.time() + 60
    while live.model_server.slots["tiny_a"].current.version != 3 and time.time() < t_end:
        time.sleep(0.1)
    assert live.model_server.slots["tiny_a"].current.version == 3
    x = np.ones((1, 3, 8, 8), np.float32)
    got = send(c, "tiny_a", x, "last").get_result()
    assert got.get_response()["model_version"] == "3"
    np.testing.assert_array_equal(got.as_numpy("output"), nets[("tiny_a", "3")](x, device=dev))
    m = httpx.get(f"http://{live.url}/metrics").text
    assert 'fpgaops_requests_total{model="tiny_a",outcome="ok",version="2"}' in m


def test_bad_version_refused_old_keeps_serving(live, tmp_path):
    add_version(live.repo, tmp_path, "tiny_b", 2, seed=5)
    with open(os.path.join(live.repo, "tiny_b", "2", "model.onnx"), "ab") as f:
        f.write(b"\0")
    r = httpx.post(f"http://{live.url}/v2/repository/models/tiny_b/load", timeout=60)
    assert r.status_code == 400 and "modified after deploy check" in r.json()["error"]
    assert live.model_server.slots["tiny_b"].current.version == 1
    assert httpx.post(f"http://{live.url}/v2/repository/models/tiny_b/unload").status_code == 200
    body = {"inputs": [{"name": "input", "shape": [1, 3, 8, 8], "datatype": "FP32", "data": [0.0] * 192}]}
    r = httpx.post(f"http://{live.url}/v2/models/tiny_b/infer", json=body)
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert httpx.get(f"http://{live.url}/v2/health/ready").status_code == 503


def test_degrader_hysteresis():
    d = Degrader(0.010, window_s=10, min_samples=5, recover=0.8, probe_every=4)
    for t in range(5):
        flip = d.observe(0.005, now=t * 0.1)
    assert flip is None and not d.degraded
    flips = [d.observe(0.050, now=1 + t * 0.1) for t in range(5)]
    assert flips[0] == "degraded" and d.degraded  # the first slow sample pushes p95 over
    assert [d.use_fallback() for _ in range(8)] == [True, True, True, False] * 2  # one probe in 4
    # p95 between 0.8x and 1x the objective: stays degraded (hysteresis)
    assert all(d.observe(0.009, now=2 + t * 0.1) is None for t in range(10)) and d.degraded
    # old samples leave the window; fast probes bring it back
    flips = [d.observe(0.002, now=20 + t * 0.1) for t in range(5)]
    assert flips[-1] == "recovered" and not d.degraded


def test_fallback_routing_and_metric(tmp_path):
    from fpgaops.serve.app import make_app
    from fpgaops.serve.server import ModelServer

    a = tiny_cnn(tmp_path / "a.onnx", seed=1)
    b = tiny_cnn(tmp_path / "b.onnx", seed=2, mid=4)
    toml = tmp_path / "deploy.toml"
    toml.write_text(model_toml("heavy", "a.onnx", latency_objective_ms=0.0001, fallback="light")
                    + model_toml("light", "b.onnx"))
    build(toml, tmp_path / "repo", progress=lambda s: None)
    srv = ModelServer(str(tmp_path / "repo"), poll_s=0, degrade_kw={"min_samples": 3, "probe_every": 1000})
    body = {"inputs": [{"name": "input", "shape": [1, 3, 8, 8], "datatype": "FP32", "data": [0.5] * 192}]}
    with LiveServer(make_app(srv)) as ls:
        served = []
        for _ in range(6):
            r = httpx.post(f"http://{ls.url}/v2/models/heavy/infer", json=body)
            assert r.status_code == 200
            served.append(r.json()["parameters"]["served_by"])
        assert served == ["heavy"] * 3 + ["light"] * 3
        out = np.array(r.json()["outputs"][0]["data"], np.float32)
        dev = srv.slots["light"].current.device
        np.testing.assert_array_equal(out, fpgaops.load_onnx(b)(np.full((1, 3, 8, 8), 0.5, np.float32),
                                                                  device=dev).ravel())
        m = httpx.get(f"http://{ls.url}/metrics").text
        assert 'fpgaops_fallbacks_total{fallback="light",model="heavy"} 3.0' in m
        assert 'fpgaops_degraded{model="heavy"} 1.0' in m
