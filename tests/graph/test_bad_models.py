"""Bad models: a clear ModelError / UnsupportedError, never a crash, a hang, or a write outside
(or inside) the model's folder."""
import os

import numpy as np
import pytest

from graph_helpers import TensorProto, helper, model, numpy_helper, onnx, rand

import fpgaops
from fpgaops import ModelError

H = helper.make_node


def good():
    return model([H("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3], pads=[1] * 4)], [("x", [1, 2, 5, 5])],
                 [("y", None)], {"w": rand((3, 2, 3, 3))})


def snapshot(d):
    return sorted((p, os.path.getsize(os.path.join(d, p)), os.path.getmtime(os.path.join(d, p))) for p in os.listdir(d))


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "models"
    d.mkdir()
    (tmp_path / "secret.bin").write_bytes(b"\0" * 4096)
    yield d
    assert (tmp_path / "secret.bin").read_bytes() == b"\0" * 4096


def test_truncated_file(folder):
    data = good().SerializeToString()
    p = folder / "trunc.onnx"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="not a valid ONNX file"):
        fpgaops.load_onnx(str(p))


@pytest.mark.parametrize("content", [b"", b"hello, this is not onnx\n", bytes(range(256)) * 10, b"\x89PNG\r\n\x1a\n" + b"\0" * 100])
def test_not_onnx(folder, content):
    p = folder / "bad.onnx"
    p.write_bytes(content)
    with pytest.raises(ModelError):
        fpgaops.load_onnx(str(p))


def test_missing_file_and_wrong_type(folder):
    with pytest.raises(ModelError, match="does not exist"):
        fpgaops.load_onnx(str(folder / "nope.onnx"))
    with pytest.raises(ModelError, match="expected a path"):
        fpgaops.load_onnx(12345)


def test_missing_initializer():
    m = model([H("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3])], [("x", [1, 2, 5, 5])], [("y", None)])
    with pytest.raises(ModelError, match="'w' is neither a graph input, an initializer nor a node output"):
        fpgaops.load_onnx(m)


def test_cycle():
    m = model([H("Relu", ["x", ], ["a"]), H("Add", ["a", "c"], ["b"]), H("Relu", ["b"], ["c"]),
               H("Relu", ["c"], ["y"])], [("x", [1, 2])], [("y", None)])
    with pytest.raises(ModelError, match="cycle"):
        fpgaops.load_onnx(m)


def test_duplicate_output_and_missing_graph_output():
    m = model([H("Relu", ["x"], ["a"]), H("Relu", ["x"], ["a"])], [("x", [1, 2])], [("a", None)])
    with pytest.raises(ModelError, match="more than once"):
        fpgaops.load_onnx(m)
    m = model([H("Relu", ["x"], ["a"])], [("x", [1, 2])], [("zzz", None)])
    with pytest.raises(ModelError, match="never produced"):
        fpgaops.load_onnx(m)


@pytest.mark.parametrize("case", ["conv_channels", "add_broadcast", "gemm_inner", "reshape", "bn_params", "kernel_too_big"])
def test_inconsistent_shapes(case):
    if case == "conv_channels":
        m = model([H("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3])], [("x", [1, 4, 5, 5])], [("y", None)],
                  {"w": rand((3, 2, 3, 3))})
    elif case == "add_broadcast":
        m = model([H("Add", ["x", "c"], ["y"])], [("x", [1, 4, 5, 5])], [("y", None)], {"c": rand((3, 1, 1))})
    elif case == "gemm_inner":
        m = model([H("Gemm", ["x", "w"], ["y"], transB=1)], [("x", [2, 7])], [("y", None)], {"w": rand((3, 6))})
    elif case == "reshape":
        m = model([H("Reshape", ["x", "s"], ["y"])], [("x", [2, 7])], [("y", None)], {"s": np.array([3, -1], np.int64)})
    elif case == "bn_params":
        m = model([H("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"])], [("x", [1, 4, 2, 2])], [("y", None)],
                  {k: rand((3,)) for k in "gbmv"})
    else:
        m = model([H("Conv", ["x", "w"], ["y"], kernel_shape=[5, 5])], [("x", [1, 2, 3, 3])], [("y", None)],
                  {"w": rand((3, 2, 5, 5))})
    with pytest.raises(ModelError, match="inconsistent shapes|cannot reshape|larger than"):
        fpgaops.load_onnx(m)


def test_wrong_input_at_call():
    net = fpgaops.load_onnx(good())
    with pytest.raises(ModelError, match="declares"):
        net.run_numpy(rand((1, 3, 5, 5)))
    with pytest.raises(ValueError, match="float32"):
        net.run_numpy(np.zeros((1, 2, 5, 5), np.float64))
    with pytest.raises(ValueError, match="NaN"):
        net.run_numpy(np.full((1, 2, 5, 5), np.nan, np.float32))
    with pytest.raises(ValueError, match="takes 1 input"):
        net.run_numpy(rand((1, 2, 5, 5)), rand((1, 2, 5, 5)))


def _external_model(folder, location, offset=0, length=None, write=True):
    w = rand((3, 2, 3, 3))
    m = good()
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    entries = {"location": location, "offset": str(offset), "length": str(w.nbytes if length is None else length)}
    for k, v in entries.items():
        e = t.external_data.add()
        e.key, e.value = k, v
    if write:
        (folder / "weights.bin").write_bytes(w.tobytes())
    p = folder / "ext.onnx"
    p.write_bytes(m.SerializeToString())
    return p, w


def test_external_data_inside_folder_works(folder):
    p, w = _external_model(folder, "weights.bin")
    net = fpgaops.load_onnx(str(p))
    x = rand((1, 2, 5, 5))
    assert net.run_numpy(x).shape == (1, 3, 5, 5)
    before = snapshot(folder)
    net.run_numpy(x)
    assert snapshot(folder) == before


@pytest.mark.parametrize("loc", ["../secret.bin", "sub/../../secret.bin", "/etc/passwd", "C:\\x.bin", ""])
def test_external_data_outside_folder_refused(folder, loc):
    p, _ = _external_model(folder, loc)
    with pytest.raises(ModelError, match="external data"):
        fpgaops.load_onnx(str(p))


def test_external_data_symlink_escape_refused(folder):
    os.symlink(folder.parent / "secret.bin", folder / "link.bin")
    p, _ = _external_model(folder, "link.bin", write=False)
    with pytest.raises(ModelError, match="outside the model's folder"):
        fpgaops.load_onnx(str(p))


def test_external_data_bad_range(folder):
    p, w = _external_model(folder, "weights.bin", offset=10**9)
    with pytest.raises(ModelError, match="outside"):
        fpgaops.load_onnx(str(p))
    p, w = _external_model(folder, "weights.bin", length=8)
    with pytest.raises(ModelError, match="expected"):
        fpgaops.load_onnx(str(p))
    p, _ = _external_model(folder, "missing.bin", write=False)
    with pytest.raises(ModelError, match="not found"):
        fpgaops.load_onnx(str(p))


def test_external_data_from_bytes_refused(folder):
    p, _ = _external_model(folder, "weights.bin")
    with pytest.raises(ModelError, match="not loaded from a file"):
        fpgaops.load_onnx(p.read_bytes())


def test_absurd_tensor_sizes():
    m = good()
    t = m.graph.initializer[0]
    del t.dims[:]
    t.dims.extend([10**6, 10**6, 3, 3])
    with pytest.raises(ModelError, match="above the limit"):
        fpgaops.load_onnx(m)
    m = good()
    m.graph.initializer[0].dims[0] = 4  # raw data no longer matches the shape
    with pytest.raises(ModelError, match="raw data holds"):
        fpgaops.load_onnx(m)
    m = good()
    m.graph.initializer[0].dims[0] = -3
    with pytest.raises(ModelError, match="negative"):
        fpgaops.load_onnx(m)


def test_absurd_activation_size():
    m = model([H("Relu", ["x"], ["y"])], [("x", ["N", 3, "H", "W"])], [("y", None)])
    net = fpgaops.load_onnx(m)
    with pytest.raises(ModelError, match="32-bit"):
        net.optimized((1, 3, 10**6, 10**6))


def test_unsupported_opset_and_domain():
    m = good()
    m.opset_import[0].version = 6  # below 7 (opsets 7-10 are converted up to 11: tests/conformance)
    with pytest.raises(fpgaops.UnsupportedError, match="opset 6"):
        fpgaops.load_onnx(m)
    m = model([H("Relu", ["x"], ["a"]), H("Foo", ["a"], ["y"], domain="com.example")], [("x", [1, 2])], [("y", None)])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    with pytest.raises(fpgaops.UnsupportedError, match="com.example::Foo"):
        fpgaops.load_onnx(m)


def test_int_input_refused():
    g = helper.make_graph([H("Relu", ["x"], ["y"])], "t", [helper.make_tensor_value_info("x", TensorProto.INT64, [2])],
                          [helper.make_tensor_value_info("y", TensorProto.INT64, [2])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    with pytest.raises(fpgaops.UnsupportedError, match="float32"):
        fpgaops.load_onnx(m)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_mutated_models_raise_only_fpgaops_errors():
    """Random byte flips in small valid models: loading and running either works or raises an
    FpgaopsError (ModelError / UnsupportedError) -- never another exception or a crash."""
    from test_onnx_import import CASES, _case

    rng = np.random.default_rng(1)
    for name in sorted(CASES)[::3]:
        m, xs = _case(name)
        data = m.SerializeToString()
        for _ in range(40):
            d = bytearray(data)
            for _ in range(int(rng.integers(1, 3))):
                d[int(rng.integers(0, len(d)))] = int(rng.integers(0, 256))
            if rng.random() < 0.2:
                d = d[: int(rng.integers(0, len(d)))]
            try:
                fpgaops.load_onnx(bytes(d)).run_numpy(*xs)
            except fpgaops.FpgaopsError:
                pass


def test_long_graph_loads_in_linear_time():
    """10,000 nodes listed in reverse order: topological sort, passes and planning handle them (and
    no recursion limit is hit). No wall-clock bound: that would test the machine; a quadratic pass
    shows as a suite that runs for hours, which CI's time limit catches."""
    n = 10000
    nodes = [H("Relu", ["x" if i == 0 else f"v{i - 1}"], [f"v{i}" if i < n - 1 else "y"]) for i in range(n)]
    m = model(nodes[::-1], [("x", [1, 4])], [("y", None)])
    net = fpgaops.load_onnx(m)
    assert net.run_numpy(np.ones((1, 4), np.float32)).tolist() == [[1.0] * 4]
