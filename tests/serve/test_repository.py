"""deploy check writes a verified repository; a tampered one is refused with the reason."""
import json
import os
import shutil

import numpy as np
import pytest

from fpgaops.serve.config import DeployError
from fpgaops.serve.repository import RepositoryError, build, read_manifest, versions
from fpgaops.serve.runtime import load_version

from serve_helpers import model_toml
from tinynets import tiny_cnn


def test_repository_layout_and_digests(tiny_repo):
    repo, paths, _ = tiny_repo
    assert versions(repo, "tiny_a") == [1]
    man = read_manifest(repo, "tiny_a", 1)
    assert set(man["files"]) == {"model.onnx"}
    assert man["kernel_config_digest"] and man["fpgaops_version"]
    assert man["source_sha256"] == man["files"]["model.onnx"]


def test_tampered_file_refused(tiny_repo):
    repo = tiny_repo[0]
    with open(os.path.join(repo, "tiny_a", "1", "model.onnx"), "ab") as f:
        f.write(b"\0")
    with pytest.raises(RepositoryError, match=r"model.onnx has sha256 .* \(modified after deploy check\)"):
        read_manifest(repo, "tiny_a", 1)


def test_other_kernel_config_refused(tiny_repo):
    repo = tiny_repo[0]
    p = os.path.join(repo, "tiny_b", "1", "manifest.json")
    man = json.load(open(p))
    man["kernel_config_digest"] = "0123456789abcdef"
    json.dump(man, open(p, "w"))
    with pytest.raises(RepositoryError, match="kernel_config_digest is '0123456789abcdef' in the manifest"):
        read_manifest(repo, "tiny_b", 1)


def test_extra_file_refused(tiny_repo):
    repo = tiny_repo[0]
    open(os.path.join(repo, "tiny_b", "1", "evil.bin"), "w").write("x")
    with pytest.raises(RepositoryError, match="differ from the manifest"):
        read_manifest(repo, "tiny_b", 1)


def test_loaded_version_matches_network(tiny_repo):
    import fpgaops

    repo, paths, _ = tiny_repo
    mv = load_version(repo, "tiny_a", 1)
    try:
        assert mv.sizes[0] == 1 and set(mv.sizes) <= {1, 2, 4, 8}
        assert mv.out_names == ["output"] and mv.out_shapes == [(-1, 5)]
        x = np.random.default_rng(3).standard_normal((2, 3, 8, 8), dtype=np.float32)
        got = mv.instances[0].run([x])[0]
        want = fpgaops.load_onnx(paths["tiny_a"])(x, device=mv.device)
        np.testing.assert_array_equal(got, want)
    finally:
        mv._close()


def test_int8_calibration_and_estimate(tmp_path):
    tiny_cnn(tmp_path / "a.onnx")
    calib = tmp_path / "calib"
    calib.mkdir()
    rng = np.random.default_rng(0)
    np.save(calib / "0.npy", rng.standard_normal((4, 3, 8, 8), dtype=np.float32))
    np.save(calib / "1.npy", rng.standard_normal((3, 8, 8), dtype=np.float32))  # one sample
    toml = tmp_path / "deploy.toml"
    toml.write_text('[server]\nplatform = "u50"\n' +
                    model_toml("q", "a.onnx", precision="int8", calibration="calib", device="reference"))
    build(toml, tmp_path / "repo", progress=lambda s: None)
    man = read_manifest(str(tmp_path / "repo"), "q", 1)
    assert set(man["files"]) == {"model.onnx", "calibration.npy"}
    assert man["estimate"]["platform"] == "u50" and man["estimate"]["latency_ms_modeled"] > 0
    mv = load_version(str(tmp_path / "repo"), "q", 1)
    try:
        assert type(mv.instances[0].net).__name__ == "QuantizedNetwork"
    finally:
        mv._close()


def test_bad_calibration_and_unsupported(tmp_path):
    tiny_cnn(tmp_path / "a.onnx")
    (tmp_path / "calib").mkdir()
    np.save(tmp_path / "calib" / "0.npy", np.zeros((2, 3, 9, 9), np.float32))
    toml = tmp_path / "deploy.toml"
    toml.write_text(model_toml("q", "a.onnx", precision="int8", calibration="calib"))
    with pytest.raises(DeployError, match=r"shape \(2, 3, 9, 9\) does not match"):
        build(toml, tmp_path / "repo", progress=lambda s: None)
    toml.write_text(model_toml("q", "a.onnx", input_shape=[-1, 4, 8, 8]))
    with pytest.raises(DeployError, match="input 'input'"):
        build(toml, tmp_path / "repo", progress=lambda s: None)


def test_unknown_platform_refused(tmp_path):
    tiny_cnn(tmp_path / "a.onnx")
    toml = tmp_path / "deploy.toml"
    toml.write_text(model_toml("q", "a.onnx"))
    with pytest.raises(DeployError, match="fit platform 'nosuchboard'"):
        build(toml, tmp_path / "repo", platform="nosuchboard", progress=lambda s: None)


def test_cli_deploy_check_example(tmp_path, capsys):
    """The example deploy.toml of the repository (ResNet-18 float32 + MobileNetV2 int8, fallback)."""
    from fpgaops.cli import main

    here = os.path.dirname(__file__)
    ex = os.path.join(here, "..", "..", "examples")
    shutil.copy(os.path.join(ex, "deploy.toml"), tmp_path / "deploy.toml")
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_calibration", os.path.join(ex, "make_calibration.py"))
    mc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mc)
    mc.main(str(tmp_path / "calib"), files=1, per_file=2)
    assert main(["deploy", "check", str(tmp_path / "deploy.toml"), "--out", str(tmp_path / "repo")]) == 0
    assert "ok: 2 model(s) resnet18, mobilenet_v2" in capsys.readouterr().out
    assert versions(str(tmp_path / "repo"), "mobilenet_v2") == [1]
    # a bad value fails with its line
    (tmp_path / "deploy.toml").write_text((tmp_path / "deploy.toml").read_text().replace(
        'device = "auto"', 'device = "gpu"', 1))
    assert main(["deploy", "check", str(tmp_path / "deploy.toml")]) == 2
    assert "deploy.toml:14: device: expected one of" in capsys.readouterr().err


def test_unsupported_node_named(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("Relu", ["input"], ["r"]),
                           helper.make_node("Det", ["r"], ["output"])], "odd",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 8, 8])],
                          [helper.make_tensor_value_info("output", TensorProto.FLOAT, None)])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(tmp_path / "odd.onnx"))
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    toml = tmp_path / "deploy.toml"
    toml.write_text(model_toml("odd", "odd.onnx"))
    with pytest.raises(DeployError, match=r"(?s)^odd: cannot load odd.onnx: UnsupportedOpsError.*Det"):
        build(toml, tmp_path / "repo", progress=lambda s: None)
    toml.write_text(model_toml("junk", "junk.onnx"))
    with pytest.raises(DeployError, match="not a readable ONNX model"):
        build(toml, tmp_path / "repo", progress=lambda s: None)
