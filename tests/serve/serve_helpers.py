"""Helpers shared by the serve tests (a module of its own: `from conftest import` is ambiguous
because tests/xrt has a conftest.py too)."""
import os
import shutil
import socket
import threading
import time


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


def add_version(repo, tmp_path, name, version, seed):
    """Build ``name`` version ``version`` elsewhere and move it into ``repo`` with one rename."""
    from fpgaops.serve.repository import build
    from tinynets import tiny_cnn

    src = tiny_cnn(tmp_path / f"v{version}.onnx", seed=seed)
    toml = tmp_path / f"v{version}.toml"
    toml.write_text(model_toml(name, os.path.basename(src), version=version,
                               batching={"max_batch_size": 8, "max_queue": 256}))
    build(toml, tmp_path / f"stage{version}", progress=lambda s: None)
    tmp = os.path.join(repo, name, f".incoming{version}")
    shutil.copytree(tmp_path / f"stage{version}" / name / str(version), tmp)
    os.rename(tmp, os.path.join(repo, name, str(version)))
    return src
