"""``deploy.toml``: the models a server runs, validated before anything loads.

    [server]                       # optional
    platform = "u50"               # board for the resource check (fpgaops deploy check --platform overrides)

    [[model]]
    name = "resnet18"              # [A-Za-z0-9_.-]+, unique; the KServe v2 model name
    source = "resnet18"            # a zoo name or an ONNX path (relative to this file)
    weights = "resnet18.pth"       # optional: torchvision state dict / safetensors / npz / onnx (zoo sources)
    version = 1                    # optional, default 1
    precision = "int8"             # "float32" (default) or "int8"
    calibration = "calib/"         # int8: a folder of .npy files (each one batch of inputs), or
    int8_model = "model_int8.onnx" #       an ONNX Runtime int8 model (QDQ or QOperator) instead
    device = "auto"                # opencl | csim | xrt | reference | auto
    input_shape = [-1, 3, 64, 64]  # -1 (first dimension only): the dynamic batch dimension
    instances = 1                  # model copies, each with its own thread (one per device/card)
    latency_objective_ms = 50      # p95 objective; above it new requests go to `fallback`
    fallback = "mobilenet_v2"      # optional: another model of this file
    timeout_ms = 10000             # per-request deadline (queue + compute)
    [model.batching]
    max_batch_size = 8             # 1 disables dynamic batching
    max_queue_delay_ms = 2.0       # how long the first request of a batch may wait for others
    max_queue = 64                 # queued requests before 429 Too Many Requests

tomllib reports no line for a semantic error, so ``_Lines`` finds each key in the text of its
``[[model]]`` block: every error names the file, the line and the key.
"""
import dataclasses
import os
import re
import tomllib

from ..errors import FpgaopsError

PRECISIONS = ("float32", "int8")
DEVICES = ("auto", "opencl", "csim", "xrt", "reference")
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class DeployError(FpgaopsError, ValueError):
    """A deploy.toml or model repository is invalid; the message names the file, line and key."""

    def __init__(self, where, message, line=None, key=None):
        self.where, self.line, self.key = where, line, key
        loc = f"{where}:{line}" if line else str(where)
        super().__init__(f"{loc}: {key + ': ' if key else ''}{message}")


@dataclasses.dataclass(frozen=True)
class Batching:
    max_batch_size: int = 8
    max_queue_delay_ms: float = 2.0
    max_queue: int = 64


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    name: str
    source: str                    # zoo name or absolute ONNX path
    weights: str | None = None     # absolute path
    version: int = 1
    precision: str = "float32"
    calibration: str | None = None
    int8_model: str | None = None
    device: str = "auto"
    inputs: tuple = ()             # ((name or None, (-1, 3, 64, 64)), ...)
    instances: int = 1
    latency_objective_ms: float | None = None
    fallback: str | None = None
    timeout_ms: float = 10000.0
    batching: Batching = Batching()

    def to_dict(self):
        d = dataclasses.asdict(self)
        d["inputs"] = [[n, list(s)] for n, s in self.inputs]
        return d

    @classmethod
    def from_dict(cls, d):
        d = dict(d)
        d["inputs"] = tuple((n, tuple(s)) for n, s in d["inputs"])
        d["batching"] = Batching(**d["batching"])
        return cls(**d)


@dataclasses.dataclass(frozen=True)
class Deployment:
    path: str
    platform: str | None
    models: tuple

    def model(self, name):
        for m in self.models:
            if m.name == name:
                return m
        raise KeyError(name)


MODEL_KEYS = {"name", "source", "weights", "version", "precision", "calibration", "int8_model", "device",
              "input_shape", "inputs", "instances", "latency_objective_ms", "fallback", "timeout_ms", "batching"}
BATCHING_KEYS = {f.name for f in dataclasses.fields(Batching)}
SERVER_KEYS = {"platform"}


class _Lines:
    """Line numbers of keys in the TOML text (1-based), per [[model]] block."""

    def __init__(self, text):
        self.lines = text.splitlines()
        self.blocks = [i for i, ln in enumerate(self.lines) if re.match(r"^\s*\[\[\s*model\s*\]\]", ln)]

    def _range(self, index):
        if index is None:
            end = self.blocks[0] if self.blocks else len(self.lines)
            return 0, end
        start = self.blocks[index] if index < len(self.blocks) else 0
        end = self.blocks[index + 1] if index + 1 < len(self.blocks) else len(self.lines)
        return start, end

    def find(self, key, index=None):
        start, end = self._range(index)
        pat = re.compile(rf'(^|[\s{{,."]){re.escape(key)}"?\s*=')
        for i in range(start, end):
            if pat.search(self.lines[i].split("#", 1)[0]):
                return i + 1
        return (start + 1) if index is not None and start < len(self.lines) else None


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def load(path, zoo_names=None):
    """Parse and validate a deploy.toml (no model is loaded here). Raises DeployError."""
    path = os.path.abspath(os.fspath(path))
    base = os.path.dirname(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise DeployError(path, f"cannot read: {e.strerror}") from None
    text = raw.decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise DeployError(path, f"not valid TOML: {e}", line=int(m.group(1)) if m else None) from None
    lines = _Lines(text)
    if zoo_names is None:
        from ..models import NAMES as zoo_names

    def err(msg, key, index=None):
        return DeployError(path, msg, line=lines.find(key.split(".")[-1], index), key=key)

    for k in data:
        if k not in ("server", "model"):
            raise err(f"unknown top-level key (known: server, model)", k)
    server = data.get("server", {})
    if not isinstance(server, dict):
        raise err("expected a table [server]", "server")
    for k in server:
        if k not in SERVER_KEYS:
            raise err(f"unknown key in [server] (known: {', '.join(sorted(SERVER_KEYS))})", k)
    platform = server.get("platform")
    if platform is not None and not isinstance(platform, str):
        raise err("expected a board name such as \"u50\"", "platform")
    models = data.get("model")
    if not isinstance(models, list) or not models:
        raise DeployError(path, "no models: add at least one [[model]] table")
    specs = []
    for i, m in enumerate(models):
        specs.append(_model(m, i, base, err, zoo_names))
    names = [s.name for s in specs]
    for i, s in enumerate(specs):
        if names.index(s.name) != i:
            raise err(f"duplicate model name {s.name!r}", "name", i)
        if s.fallback is not None:
            if s.fallback not in names:
                raise err(f"fallback {s.fallback!r} is not a model of this file (models: {', '.join(names)})",
                          "fallback", i)
            if s.fallback == s.name:
                raise err("a model cannot be its own fallback", "fallback", i)
            if s.latency_objective_ms is None:
                raise err("a fallback needs latency_objective_ms (when to use it)", "fallback", i)
            fb = specs[names.index(s.fallback)]
            if [sh[1:] for _, sh in fb.inputs] != [sh[1:] for _, sh in s.inputs]:
                raise err(f"fallback {s.fallback!r} takes inputs {[list(sh) for _, sh in fb.inputs]}, this model "
                          f"{[list(sh) for _, sh in s.inputs]}: a request must fit both", "fallback", i)
    return Deployment(path, platform, tuple(specs))


def _model(m, i, base, err, zoo_names):
    if not isinstance(m, dict):
        raise err("expected a table", "model", i)
    for k in m:
        if k not in MODEL_KEYS:
            raise err(f"unknown key (known: {', '.join(sorted(MODEL_KEYS))})", k, i)

    def get(key, check, what, default=None, required=False):
        if key not in m:
            if required:
                raise err(f"missing (expected {what})", key, i)
            return default
        v = m[key]
        if not check(v):
            raise err(f"expected {what}, got {v!r}", key, i)
        return v

    def rel(p):
        return p if os.path.isabs(p) else os.path.normpath(os.path.join(base, p))

    name = get("name", lambda v: isinstance(v, str) and NAME_RE.match(v), "a name of letters, digits, _ . -",
               required=True)
    source = get("source", lambda v: isinstance(v, str) and v, "a zoo name or an ONNX path", required=True)
    if source not in zoo_names:
        if not source.endswith(".onnx"):
            raise err(f"{source!r} is neither a zoo model ({', '.join(zoo_names)}) nor an .onnx path", "source", i)
        source = rel(source)
        if not os.path.isfile(source):
            raise err(f"ONNX file {source} not found", "source", i)
    weights = get("weights", lambda v: isinstance(v, str) and v, "a weights file path")
    if weights is not None:
        if source not in zoo_names:
            raise err("weights apply to zoo sources only (an ONNX file carries its own)", "weights", i)
        weights = rel(weights)
        if not os.path.isfile(weights):
            raise err(f"weights file {weights} not found (nothing is downloaded)", "weights", i)
    version = get("version", lambda v: _is_int(v) and 1 <= v < 10**9, "an integer >= 1", 1)
    precision = get("precision", lambda v: v in PRECISIONS, f"one of {PRECISIONS}", "float32")
    calibration = get("calibration", lambda v: isinstance(v, str) and v, "a folder of .npy files")
    int8_model = get("int8_model", lambda v: isinstance(v, str) and v.endswith(".onnx"), "an .onnx path")
    if precision == "int8":
        if (calibration is None) == (int8_model is None):
            raise err("int8 needs exactly one of calibration (a folder of .npy) or int8_model (an ORT int8 "
                      "model)", "precision", i)
        if calibration is not None:
            calibration = rel(calibration)
            if not os.path.isdir(calibration) or not any(f.endswith(".npy") for f in os.listdir(calibration)):
                raise err(f"{calibration} is not a folder holding .npy files", "calibration", i)
        else:
            int8_model = rel(int8_model)
            if not os.path.isfile(int8_model):
                raise err(f"int8 model {int8_model} not found", "int8_model", i)
    elif calibration is not None or int8_model is not None:
        key = "calibration" if calibration is not None else "int8_model"
        raise err("only for precision = \"int8\"", key, i)
    device = get("device", lambda v: v in DEVICES, f"one of {DEVICES}", "auto")
    if ("input_shape" in m) == ("inputs" in m):
        raise err("give exactly one of input_shape (one input) or inputs = {name = [...]}", "input_shape", i)

    def shape_ok(s):
        return (isinstance(s, list) and 2 <= len(s) <= 6 and all(_is_int(d) for d in s)
                and (s[0] == -1 or s[0] >= 1) and all(1 <= d <= 65536 for d in s[1:]))

    what = "a list like [-1, 3, 64, 64]: -1 (dynamic batch) or a positive size first, positive sizes after"
    if "input_shape" in m:
        inputs = ((None, tuple(get("input_shape", shape_ok, what))),)
    else:
        tab = get("inputs", lambda v: isinstance(v, dict) and v, "a table {input_name = [-1, 3, 64, 64]}")
        for k, s in tab.items():
            if not shape_ok(s):
                raise err(f"expected {what}, got {s!r}", k, i)
        inputs = tuple((k, tuple(s)) for k, s in tab.items())
    instances = get("instances", lambda v: _is_int(v) and 1 <= v <= 64, "an integer in [1, 64]", 1)
    slo = get("latency_objective_ms", lambda v: _is_num(v) and v > 0, "a positive number of milliseconds")
    fallback = get("fallback", lambda v: isinstance(v, str) and v, "a model name")
    timeout = get("timeout_ms", lambda v: _is_num(v) and v > 0, "a positive number of milliseconds", 10000.0)
    b = get("batching", lambda v: isinstance(v, dict), "a table [model.batching]", {})
    for k in b:
        if k not in BATCHING_KEYS:
            raise err(f"unknown key in batching (known: {', '.join(sorted(BATCHING_KEYS))})", f"batching.{k}", i)
    d = Batching()

    def bget(key, check, what_, default):
        v = b.get(key, default)
        if not check(v):
            raise err(f"expected {what_}, got {v!r}", f"batching.{key}", i)
        return v

    batching = Batching(
        max_batch_size=bget("max_batch_size", lambda v: _is_int(v) and 1 <= v <= 256, "an integer in [1, 256]",
                            d.max_batch_size),
        max_queue_delay_ms=float(bget("max_queue_delay_ms", lambda v: _is_num(v) and 0 <= v <= 10000,
                                      "milliseconds in [0, 10000]", d.max_queue_delay_ms)),
        max_queue=bget("max_queue", lambda v: _is_int(v) and 1 <= v <= 100000, "an integer in [1, 100000]",
                       d.max_queue))
    if batching.max_batch_size > 1 and any(s[0] != -1 for _, s in inputs):
        raise err("dynamic batching needs a dynamic batch dimension (-1 first) in every input shape",
                  "max_batch_size", i)
    return ModelSpec(name=name, source=source, weights=weights, version=version, precision=precision,
                     calibration=calibration, int8_model=int8_model, device=device, inputs=inputs,
                     instances=instances, latency_objective_ms=None if slo is None else float(slo),
                     fallback=fallback, timeout_ms=float(timeout), batching=batching)
