"""MobileNetV2 (fpgaops.models, random weights) with graph/pwdw.py's fuse_pwdw on every expansion +
depthwise pair (the size and width thresholds lowered so the 64x64 network has them all): 16 PwDw nodes,
one pwdw_row launch each on opencl instead of two, and the logits stay the same bytes as unfused
(op by op and replayed). Fused, they are within test_torchvision's RTOL of ONNX Runtime and of the
reference backend (which runs the unfused convs)."""
import tomllib

import numpy as np
import pytest

ort = pytest.importorskip("onnxruntime")

import fpgaops  # noqa: E402
from fpgaops import config, models  # noqa: E402

RTOL = 1e-4  # test_torchvision.RTOL
SHAPE = (2, 3, 64, 64)


def _config(min_bytes):
    data = tomllib.loads(config.default_path().read_text())
    data["dwconv"]["opencl"].update(pw_min_bytes=min_bytes, pw_min_ow=1)
    return config.KernelConfig(data, "test")


def test_mobilenet_v2_pwdw_fused_is_bit_identical(require, monkeypatch):
    require("opencl")
    proto = models.build_onnx("mobilenet_v2")
    x = np.random.default_rng(1).standard_normal(SHAPE).astype(np.float32)
    monkeypatch.setattr(config, "_current", _config(1 << 40))
    plain = fpgaops.load_onnx(proto)
    assert not [n for n in plain.optimized(x).nodes if n.op == "PwDw"]
    monkeypatch.setattr(config, "_current", _config(0))
    fused = fpgaops.load_onnx(proto)
    assert len([n for n in fused.optimized(x).nodes if n.op == "PwDw"]) == 16
    with fpgaops.device("opencl"):
        for _ in range(3):  # op by op, recorded, replayed
            want = plain(x)
            got = fused(x)
            assert got.tobytes() == want.tobytes()
        assert plain.launch_plan(x).num_launches - fused.launch_plan(x).num_launches == 16
    with fpgaops.device("reference"):
        ref = fused(x)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    for other in (ref, sess.run(None, {sess.get_inputs()[0].name: x})[0]):
        err = np.max(np.abs(got.astype(np.float64) - other)) / np.max(np.abs(other))
        assert err <= RTOL, f"relative error {err:.3e}"


def test_fpga_estimator_sees_the_two_convs(monkeypatch):
    """The FPGA has no fused kernel (csim / xrt run the two convs): the estimator's layers of the
    fused graph are those of the unfused one."""
    from fpgaops.estimator.layers import layers_of

    proto = models.build_onnx("mobilenet_v2")
    x = np.zeros((1, 3, 224, 224), np.float32)
    layers = {}
    for k, min_bytes in (("plain", 1 << 40), ("fused", 0)):
        monkeypatch.setattr(config, "_current", _config(min_bytes))
        g = fpgaops.load_onnx(proto).optimized(x)
        assert (k == "fused") == any(n.op == "PwDw" for n in g.nodes)
        layers[k] = [(L.op, L.attrs) for L in layers_of(g)]
    assert layers["fused"] == layers["plain"]
