"""The KServe v2 routes through tritonclient.http and raw HTTP; batching is bit-identical."""
import concurrent.futures
import json

import httpx
import numpy as np
import pytest

import fpgaops

tritonclient = pytest.importorskip("tritonclient.http")


def infer(client, model, x, binary=True, rid=None, version=""):
    inp = tritonclient.InferInput("input", list(x.shape), "FP32")
    inp.set_data_from_numpy(x, binary_data=binary)
    out = tritonclient.InferRequestedOutput("output", binary_data=binary)
    r = client.infer(model, [inp], outputs=[out], request_id=rid or "", model_version=version)
    return r


def test_health_and_metadata(live):
    c = tritonclient.InferenceServerClient(live.url)
    assert c.is_server_live() and c.is_server_ready()
    assert c.is_model_ready("tiny_a") and not c.is_model_ready("nope")
    md = c.get_model_metadata("tiny_a")
    assert md["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 3, 8, 8]}]
    assert md["outputs"] == [{"name": "output", "datatype": "FP32", "shape": [-1, 5]}]
    assert c.get_server_metadata()["name"] == "fpgaops"
    assert httpx.get(f"http://{live.url}/v2/models/tiny_a/versions/1").status_code == 200
    assert httpx.get(f"http://{live.url}/v2/models/tiny_a/versions/7").status_code == 404


@pytest.mark.parametrize("binary", [True, False])
def test_infer_matches_net(live, binary):
    c = tritonclient.InferenceServerClient(live.url)
    x = np.random.default_rng(0).standard_normal((1, 3, 8, 8), dtype=np.float32)
    dev = live.model_server.slots["tiny_a"].current.device
    want = fpgaops.load_onnx(live.onnx["tiny_a"])(x, device=dev)
    r = infer(c, "tiny_a", x, binary=binary, rid="req-42")
    np.testing.assert_array_equal(r.as_numpy("output"), want)
    resp = r.get_response()
    assert resp["id"] == "req-42"
    assert resp["parameters"]["served_by"] == "tiny_a" and resp["parameters"]["fallback"] is False
    r = infer(c, "tiny_a", x, version="1")
    np.testing.assert_array_equal(r.as_numpy("output"), want)


def test_curl_style_json_and_request_id_header(live):
    x = np.arange(3 * 8 * 8, dtype=np.float32).reshape(1, 3, 8, 8) / 100
    body = {"id": "body-id", "inputs": [{"name": "input", "shape": [1, 3, 8, 8], "datatype": "FP32",
                                         "data": x.ravel().tolist()}]}
    r = httpx.post(f"http://{live.url}/v2/models/tiny_b/infer", json=body, headers={"x-request-id": "hdr-id"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert r.headers["x-request-id"] == "hdr-id" and out["id"] == "body-id"
    dev = live.model_server.slots["tiny_b"].current.device
    want = fpgaops.load_onnx(live.onnx["tiny_b"])(x, device=dev)
    np.testing.assert_array_equal(np.array(out["outputs"][0]["data"], np.float32).reshape(1, 5), want)


def test_concurrent_requests_are_batched_and_bit_identical(live):
    """16 clients at once: every answer equals the request run alone (batched or not)."""
    dev = live.model_server.slots["tiny_a"].current.device
    net = fpgaops.load_onnx(live.onnx["tiny_a"])
    xs = [np.random.default_rng(i).standard_normal((1, 3, 8, 8), dtype=np.float32) for i in range(96)]
    want = [net(x, device=dev) for x in xs]
    c = tritonclient.InferenceServerClient(live.url, concurrency=16)  # gevent: 16 connections, one thread
    pending = []
    for i, x in enumerate(xs):
        inp = tritonclient.InferInput("input", list(x.shape), "FP32")
        inp.set_data_from_numpy(x, binary_data=True)
        pending.append(c.async_infer("tiny_a", [inp], request_id=str(i)))
    got = {}
    for p in pending:
        r = p.get_result()
        got[int(r.get_response()["id"])] = r.as_numpy("output")
    for i in range(len(xs)):
        np.testing.assert_array_equal(got[i], want[i])
    m = httpx.get(f"http://{live.url}/metrics").text
    for name in ("fpgaops_queue_depth{", "fpgaops_batch_size_bucket{", "fpgaops_queue_seconds_bucket{",
                 "fpgaops_compute_seconds_bucket{", "fpgaops_device_busy_seconds_total{"):
        assert name in m, name
    assert 'fpgaops_requests_total{model="tiny_a",outcome="ok",version="1"} 96.0' in m


def test_malformed_requests_get_clean_4xx(live):
    u = f"http://{live.url}/v2/models"
    good = {"inputs": [{"name": "input", "shape": [1, 3, 8, 8], "datatype": "FP32", "data": [0.0] * 192}]}
    cases = [
        ("tiny_a", b"{not json", {}, 400, "not valid JSON"),
        ("nope", json.dumps(good).encode(), {}, 404, "unknown model"),
        ("tiny_a", json.dumps({"inputs": [dict(good["inputs"][0], shape=[1, 3, 9, 8])]}).encode(), {}, 400,
         "192 values for shape"),
        ("tiny_a", json.dumps({"inputs": [dict(good["inputs"][0], shape=[1, 3, 4, 16])]}).encode(), {}, 400,
         "does not match"),
        ("tiny_a", json.dumps({"inputs": [dict(good["inputs"][0], datatype="INT32", data=[0] * 192)]}).encode(), {},
         400, "datatype must be FP32"),
        ("tiny_a", json.dumps({"inputs": [dict(good["inputs"][0], datatype="BF99")]}).encode(), {}, 400,
         "unknown datatype"),
        ("tiny_a", json.dumps({"inputs": [dict(good["inputs"][0], shape=[1 << 20, 1 << 20, 8, 8])]}).encode(), {},
         413, "more than"),
        ("tiny_a", json.dumps({"inputs": [{"name": "input", "shape": [1, 3, 8, 8], "datatype": "FP32",
                                           "parameters": {"binary_data_size": 768}}]}).encode(), {}, 400,
         "only 0 binary bytes"),
        ("tiny_a", b'{"inputs": []}' + b"x" * 10, {"Inference-Header-Content-Length": "99999"}, 400,
         "but the body has"),
        ("tiny_a", json.dumps({"inputs": [dict(good["inputs"][0], name="image")]}).encode(), {}, 400,
         "takes inputs ['input']"),
        ("tiny_a", json.dumps({"inputs": [dict(good["inputs"][0], shape=[16, 3, 8, 8], data=[0.0] * 3072)]}).encode(),
         {}, 400, "1 to 8 per request"),
        ("tiny_a", json.dumps({"inputs": [dict(good["inputs"][0], data=[float("nan")] * 192)]})
         .replace("NaN", "NaN").encode(), {}, 400, "NaN or Inf"),
        ("tiny_a", json.dumps(dict(good, outputs=[{"name": "logits"}])).encode(), {}, 400, "unknown output"),
    ]
    for model, body, headers, status, reason in cases:
        r = httpx.post(f"{u}/{model}/infer", content=body, headers=headers)
        assert r.status_code == status, (reason, r.status_code, r.text)
        assert reason in r.json()["error"], (reason, r.text)
    r = httpx.post(f"{u}/tiny_a/infer", content=json.dumps(good).encode())
    assert r.status_code == 200
    # a declared body of 1 TiB is refused from its header, before anything is read
    import socket

    with socket.create_connection(("127.0.0.1", live.port)) as s:
        s.sendall(b"POST /v2/models/tiny_a/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 1099511627776\r\n\r\nx")
        head = s.recv(4096).decode()
    assert head.startswith("HTTP/1.1 413"), head
    r = httpx.post(f"{u}/tiny_a/infer", content=json.dumps(good).encode())  # others undisturbed
    assert r.status_code == 200


def test_queue_full_429_retry_after(tiny_repo):
    """Two blocked instances and max_queue = 1: of 8 simultaneous requests at most 3 are held, the
    others get 429 with Retry-After at once; the held ones are answered when the instances resume."""
    import dataclasses
    import threading

    from serve_helpers import LiveServer
    from fpgaops.serve.app import make_app
    from fpgaops.serve.server import ModelServer

    srv = ModelServer(tiny_repo[0], poll_s=0)
    with LiveServer(make_app(srv)) as ls:
        mv = srv.slots["tiny_b"].current
        mv.spec = dataclasses.replace(mv.spec, batching=dataclasses.replace(mv.spec.batching, max_queue=1,
                                                                            max_batch_size=1))
        gate = threading.Event()
        for inst in mv.instances:
            real = inst.run
            inst.run = lambda xs, real=real: (gate.wait(60), real(xs))[1]
        body = {"inputs": [{"name": "input", "shape": [1, 3, 8, 8], "datatype": "FP32", "data": [0.0] * 192}]}
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            futs = [ex.submit(httpx.post, f"http://{ls.url}/v2/models/tiny_b/infer", json=body, timeout=60)
                    for _ in range(8)]
            done = []
            for f in concurrent.futures.as_completed(futs, timeout=60):
                done.append(f.result())
                if len(done) == 5:
                    break
            assert [r.status_code for r in done] == [429] * 5
            assert all(r.headers["retry-after"] == "1" and "max_queue" in r.json()["error"] for r in done)
            gate.set()
            rest = [f.result() for f in futs if f.result() not in done]
        # at most 3 are held (2 running, 1 queued); more may have met a full queue before the
        # dispatcher took the first ones, so the rest are 200s (at least the first) and maybe 429s
        codes = sorted(r.status_code for r in rest)
        assert len(rest) == 3 and codes.count(200) >= 1 and set(codes) <= {200, 429}, codes


def test_request_deadline_504(tiny_repo):
    """A request still queued or running when its model's timeout_ms passes gets 504; the next is fine."""
    import dataclasses
    import time

    from serve_helpers import LiveServer
    from fpgaops.serve.app import make_app
    from fpgaops.serve.server import ModelServer

    srv = ModelServer(tiny_repo[0], poll_s=0)
    with LiveServer(make_app(srv)) as ls:
        mv = srv.slots["tiny_a"].current
        mv.spec = dataclasses.replace(mv.spec, timeout_ms=100.0)
        real = mv.instances[0].run
        mv.instances[0].run = lambda xs: (time.sleep(0.5), real(xs))[1]
        body = {"id": "late", "inputs": [{"name": "input", "shape": [1, 3, 8, 8], "datatype": "FP32",
                                          "data": [0.0] * 192}]}
        r = httpx.post(f"http://{ls.url}/v2/models/tiny_a/infer", json=body, timeout=30)
        assert r.status_code == 504 and "deadline" in r.json()["error"]
        assert r.headers["x-request-id"] == "late"
        mv.instances[0].run = real
        mv.spec = dataclasses.replace(mv.spec, timeout_ms=10000.0)
        assert httpx.post(f"http://{ls.url}/v2/models/tiny_a/infer", json=body, timeout=30).status_code == 200
        assert 'outcome="timeout"' in httpx.get(f"http://{ls.url}/metrics").text


def test_unexpected_infer_error_is_a_clean_500(live):
    """The infer route bypasses Starlette's middleware (app.make_app): an unexpected error must
    still answer 500 with a JSON reason, and the server keeps serving."""
    srv = live.model_server
    real = srv.route
    srv.route = lambda name: (_ for _ in ()).throw(KeyError("boom"))
    body = {"inputs": [{"name": "input", "shape": [1, 3, 8, 8], "datatype": "FP32", "data": [0.0] * 192}]}
    try:
        r = httpx.post(f"http://{live.url}/v2/models/tiny_a/infer", json=body, timeout=30)
    finally:
        srv.route = real
    assert r.status_code == 500 and "error" in r.json()
    assert httpx.post(f"http://{live.url}/v2/models/tiny_a/versions/1/infer", json=body, timeout=30).status_code == 200
