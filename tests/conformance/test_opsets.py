"""Opsets 7-25: one small CNN (Conv, BatchNormalization, Relu, MaxPool, Reshape, Gemm, Softmax)
written at opset 7 and converted up with onnx.version_converter to 9, 13, 18, 22 and 25 runs on
every backend and matches ONNX Runtime; models below 11 are converted to 11 by fpgaops; a node
whose schema version is not one fpgaops implements is refused naming the node and the version."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper, version_converter  # noqa: E402

import fpgaops  # noqa: E402
from fpgaops.graph import onnx_opsets  # noqa: E402

from graph_helpers import close, model, ort_run, rand  # noqa: E402

H = helper.make_node


def cnn(opset=7):
    c = 4
    inits = {"w": rand((c, 3, 3, 3), 1, 0.3), "b": rand((c,), 2), "g": rand((c,), 3) * 0.1 + 1, "bb": rand((c,), 4),
             "m": rand((c,), 5), "v": np.abs(rand((c,), 6)) + 0.5, "fw": rand((10, c * 4 * 4), 7, 0.1),
             "fb": rand((10,), 8), "shape": np.array([0, -1], np.int64)}
    nodes = [H("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             H("BatchNormalization", ["c", "g", "bb", "m", "v"], ["n"]),
             H("Relu", ["n"], ["r"]),
             H("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
             H("Reshape", ["p", "shape"], ["f"]),
             H("Gemm", ["f", "fw", "fb"], ["l"], transB=1),
             H("Softmax", ["l"], ["y"], axis=1)]
    m = model(nodes, [("x", [2, 3, 8, 8])], [("y", None)], inits, opset=opset)
    return m if opset == 7 else version_converter.convert_version(m, opset)


@pytest.mark.parametrize("opset", [7, 9, 13, 18, 22, 25])
def test_cnn_at_opset(opset, backend):
    m = cnn(opset)
    assert m.opset_import[0].version == opset
    x = rand((2, 3, 8, 8), 9)
    net = fpgaops.load_onnx(m)
    assert net.info["source_opset"] == opset
    assert net.info["opset"] == max(opset, onnx_opsets.OPSET_CONVERT_TO)
    close(net(x, device=backend), ort_run(cnn(7), x)[0], atol=1e-5)


@pytest.mark.parametrize("opset", [6, 26])
def test_opset_outside_the_range_refused(opset):
    m = cnn(13)
    m.opset_import[0].version = opset
    with pytest.raises(fpgaops.UnsupportedError, match=f"opset {opset} is outside the supported range 7-25"):
        fpgaops.load_onnx(m)


def test_node_version_not_implemented_is_refused(monkeypatch):
    """The per-node gate: with Conv-22 taken out of the table, an opset-22 model is refused
    naming the node and the version; the opset-21 model (Conv-11) still loads."""
    monkeypatch.setitem(onnx_opsets.SINCE, "Conv", {11})
    fpgaops.load_onnx(cnn(21))
    with pytest.raises(fpgaops.UnsupportedOpsError) as e:
        fpgaops.load_onnx(cnn(22))
    assert [(op, "Conv-22" in why) for _n, op, why in e.value.nodes] == [("Conv", True)]
    assert "Conv_0" in str(e.value)


def test_every_table_entry_is_a_real_schema_version():
    """The table names only versions ONNX defines for that op, each reachable from opsets 11-25."""
    for op, versions in onnx_opsets.SINCE.items():
        reachable = {onnx_opsets.since_version(op, v) for v in range(onnx_opsets.OPSET_CONVERT_TO,
                                                                       onnx_opsets.OPSET_MAX + 1)} - {None}
        assert versions <= reachable, f"{op}: {sorted(versions - reachable)} are not schema versions at opsets 11-25"


def test_every_claimed_op_covers_opsets_11_to_25():
    """No claimed op is refused for its version anywhere in 11-25 (the versions of the table are
    complete) unless the op does not exist yet at that opset (Gelu is opset 20)."""
    for op in onnx_opsets.SINCE:
        for opset in range(onnx_opsets.OPSET_CONVERT_TO, onnx_opsets.OPSET_MAX + 1):
            why = onnx_opsets.check_node(op, opset)
            assert why is None or onnx_opsets.since_version(op, opset) is None, why


def test_conversion_failure_is_an_fpgaops_error():
    m = model([H("Relu", ["x"], ["a"]), H("NoSuchOp", ["a"], ["y"])], [("x", [1, 2])], [("y", None)], opset=9)
    with pytest.raises(fpgaops.FpgaopsError):
        fpgaops.load_onnx(m)
