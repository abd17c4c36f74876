import os
import socket
import sys
import threading
import time

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("prometheus_client")

sys.path.insert(0, os.path.dirname(__file__))
from tinynets import tiny_cnn  # noqa: E402


def model_toml(name, source, **kw):
    lines = ["[[model]]", f'name = "{name}"', f'source = "{source}"']
    batching = kw.pop("batching", None)
    kw.setdefault("input_shape", [-1, 3, 8, 8])
    for k, v in kw.items():
        lines.append(f"{k} = {v!r}".replace("'", '"') if not isinstance(v, list) else f"{k} = {v}")
    if batching:
        lines.append("[model.batching]")
        lines += [f"{k} = {v}" for k, v in batching.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def tiny_repo(tmp_path):
    """A repository of two tiny CNNs (tiny_a with fallback tiny_b). Returns (repo, onnx paths)."""
    from fpgaops.serve.repository import build

    a = tiny_cnn(tmp_path / "a.onnx", seed=1)
    b = tiny_cnn(tmp_path / "b.onnx", seed=2, mid=4)
    toml = tmp_path / "deploy.toml"
    toml.write_text(model_toml("tiny_a", "a.onnx", latency_objective_ms=5000, fallback="tiny_b",
                               batching={"max_batch_size": 8, "max_queue_delay_ms": 5, "max_queue": 256})
                    + model_toml("tiny_b", "b.onnx", instances=2, batching={"max_batch_size": 4}))
    repo = tmp_path / "repo"
    build(toml, repo, progress=lambda s: None)
    return str(repo), {"tiny_a": a, "tiny_b": b}, toml


class LiveServer:
    """uvicorn on an ephemeral loopback port in a thread."""

    def __init__(self, app):
        import uvicorn

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self):
        self.thread.start()
        t_end = time.time() + 120
        while not self.server.started:
            if time.time() > t_end or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(60)
        self.sock.close()


@pytest.fixture
def live(tiny_repo):
    from fpgaops.serve.app import make_app
    from fpgaops.serve.server import ModelServer

    repo = tiny_repo[0]
    srv = ModelServer(repo, poll_s=0.2)
    with LiveServer(make_app(srv)) as ls:
        ls.model_server = srv
        ls.repo = repo
        ls.onnx = tiny_repo[1]
        yield ls
