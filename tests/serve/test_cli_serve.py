"""`fpgaops serve examples/deploy.toml` in its own process, queried by tritonclient.http: the
example of the repository (ResNet-18 float32 + MobileNetV2 int8) answers like net(x) run here."""
import os
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

import fpgaops

tritonclient = pytest.importorskip("tritonclient.http")
EX = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def test_serve_example_deploy_toml(tmp_path):
    sys.path.insert(0, EX)
    try:
        import make_calibration
    finally:
        sys.path.remove(EX)
    shutil.copy(os.path.join(EX, "deploy.toml"), tmp_path / "deploy.toml")
    calib = make_calibration.main(str(tmp_path / "calib"), files=1, per_file=4)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(EX, "..", "python"),
                                                       os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-m", "fpgaops", "serve", str(tmp_path / "deploy.toml"), "--port",
                             str(port), "--log-level", "debug"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        c = tritonclient.InferenceServerClient(f"127.0.0.1:{port}")
        t_end = time.time() + 300
        while True:
            try:
                if c.is_server_ready():
                    break
            except Exception:
                pass
            assert proc.poll() is None, proc.stdout.read()
            assert time.time() < t_end, "server not ready in 300 s"
            time.sleep(0.5)
        x = np.random.default_rng(5).standard_normal((1, 3, 64, 64), dtype=np.float32)
        dev = fpgaops.current_device().name
        want_r = fpgaops.models.resnet18()(x, device=dev)
        from fpgaops.serve.repository import calibration_batches

        cal = np.concatenate([np.load(os.path.join(calib, f)) for f in sorted(os.listdir(calib))])
        want_m = fpgaops.models.mobilenet_v2().quantize(calibration_batches(cal))(x, device=dev)
        for model, want in (("resnet18", want_r), ("mobilenet_v2", want_m)):
            inp = tritonclient.InferInput("input", [1, 3, 64, 64], "FP32")
            inp.set_data_from_numpy(x)
            r = c.infer(model, [inp], request_id=f"id-{model}")
            out = c.get_model_metadata(model)["outputs"][0]["name"]
            np.testing.assert_array_equal(r.as_numpy(out), want)
            assert r.get_response()["id"] == f"id-{model}"
    finally:
        proc.terminate()
        out = proc.communicate(timeout=60)[0]
    # JSON logs: the load events at info, one line per request at debug with the client's id
    import json

    lines = [json.loads(ln) for ln in out.splitlines() if ln.startswith("{")]
    assert {"resnet18", "mobilenet_v2"} <= {d.get("model") for d in lines if d.get("event") == "load"}
    assert any(d.get("event") == "request" and d.get("request_id") == "id-resnet18" for d in lines)
