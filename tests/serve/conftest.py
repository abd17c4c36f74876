import os
import sys

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("prometheus_client")

sys.path.insert(0, os.path.dirname(__file__))
from serve_helpers import LiveServer, model_toml  # noqa: E402,F401
from tinynets import tiny_cnn  # noqa: E402


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
