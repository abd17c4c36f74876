"""deploy.toml validation: every error names the line and the key."""
import pytest

from fpgaops.serve.config import DeployError, load

BASE = """[server]
platform = "u50"

[[model]]
name = "a"
source = "a.onnx"
input_shape = [-1, 3, 8, 8]
"""


@pytest.fixture
def d(tmp_path):
    (tmp_path / "a.onnx").write_bytes(b"x")
    return tmp_path


def write(d, text):
    p = d / "deploy.toml"
    p.write_text(text)
    return p


def test_valid_defaults(d):
    dep = load(write(d, BASE))
    m = dep.models[0]
    assert dep.platform == "u50" and m.name == "a" and m.inputs == ((None, (-1, 3, 8, 8)),)
    assert m.precision == "float32" and m.device == "auto" and m.batching.max_batch_size == 8
    assert m.source == str(d / "a.onnx")


@pytest.mark.parametrize("extra,line,key", [
    ('colour = "red"\n', 8, "colour"),
    ('precision = "int4"\n', 8, "precision"),
    ('device = "gpu"\n', 8, "device"),
    ('instances = 0\n', 8, "instances"),
    ('latency_objective_ms = -3\n', 8, "latency_objective_ms"),
    ('fallback = "nope"\nlatency_objective_ms = 3\n', 8, "fallback"),
    ('[model.batching]\nmax_batch_size = 0\n', 9, "batching.max_batch_size"),
    ('[model.batching]\nmax_batch = 4\n', 9, "batching.max_batch"),
    ('precision = "int8"\n', 8, "precision"),
    ('calibration = "calib"\n', 8, "calibration"),
])
def test_bad_value_names_line_and_key(d, extra, line, key):
    with pytest.raises(DeployError) as e:
        load(write(d, BASE + extra))
    assert e.value.line == line and e.value.key == key, str(e.value)
    assert f"deploy.toml:{line}: {key}" in str(e.value)


def test_second_model_line(d):
    text = BASE + '\n[[model]]\nname = "b"\nsource = "a.onnx"\ninput_shape = [-1, 3, 0, 8]\n'
    with pytest.raises(DeployError) as e:
        load(write(d, text))
    assert e.value.line == 12 and e.value.key == "input_shape"


def test_duplicate_and_missing(d):
    with pytest.raises(DeployError, match="duplicate model name"):
        load(write(d, BASE + BASE.split("\n", 3)[3]))
    with pytest.raises(DeployError, match="source: missing"):
        load(write(d, '[[model]]\nname = "x"\ninput_shape = [-1, 3]\n'))
    with pytest.raises(DeployError, match="not found"):
        load(write(d, BASE.replace("a.onnx", "zz.onnx")))
    with pytest.raises(DeployError, match="not valid TOML") as e:
        load(write(d, BASE + "name = \n"))
    assert e.value.line == 8
    with pytest.raises(DeployError, match="unknown top-level key"):
        load(write(d, "models = 1\n" + BASE))
    two = BASE + 'fallback = "b"\nlatency_objective_ms = 5\n[[model]]\nname = "b"\nsource = "a.onnx"\n'
    with pytest.raises(DeployError, match="a request must fit both") as e:
        load(write(d, two + "input_shape = [-1, 3, 9, 9]\n"))
    assert e.value.line == 8
    assert load(write(d, two + "input_shape = [-1, 3, 8, 8]\n")).models[0].fallback == "b"
    with pytest.raises(DeployError, match="dynamic batch"):
        load(write(d, BASE.replace("-1, 3", "2, 3")))
