"""`fpgaops run / compare / demo --net` and the ImageNet preprocessing."""
import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from fpgaops.cli import main  # noqa: E402
from fpgaops import cli_nets  # noqa: E402


def test_preprocess_matches_torchvision_recipe():
    PIL = pytest.importorskip("PIL.Image")
    img = (np.random.default_rng(0).random((300, 400, 3)) * 255).astype(np.uint8)
    x = cli_nets.preprocess(img, 224)
    assert x.shape == (1, 3, 224, 224) and x.dtype == np.float32
    # torchvision: Resize(256) (shorter side, bilinear), CenterCrop(224), ToTensor, Normalize
    r = np.asarray(PIL.fromarray(img).resize((341, 256), PIL.BILINEAR), np.float32) / 255
    top, left = int(round((256 - 224) / 2)), int(round((341 - 224) / 2))
    want = ((r[top:top + 224, left:left + 224] - cli_nets.MEAN) / cli_nets.STD).transpose(2, 0, 1)
    np.testing.assert_allclose(x[0], want, atol=1e-6)
    assert cli_nets.preprocess("sklearn:china.jpg", 64).shape == (1, 3, 64, 64)


def test_numpy_resize_fallback():
    img = np.random.default_rng(1).random((10, 20, 3)).astype(np.float32)
    out = cli_nets._resize_bilinear_np(img, 10, 20)
    np.testing.assert_allclose(out, img, atol=1e-6)
    assert cli_nets._resize_bilinear_np(img, 5, 7).shape == (5, 7, 3)


def test_run_and_compare_on_reference(capsys, tmp_path):
    assert main(["run", "mobilenet_v3_small", "--device", "reference", "--size", "64", "--batch", "2",
                 "--profile"]) == 0
    out = capsys.readouterr().out
    assert "top-5 classes" in out and "GFLOP/s" in out and "features.1.block.0.0" in out
    assert main(["compare", "resnet18", "--device", "reference", "--size", "64", "--image", "sklearn:china.jpg"]) == 0
    out = capsys.readouterr().out
    assert "top-5 identical: True" in out and "PASS" in out
    from fpgaops import models
    p = tmp_path / "m.onnx"
    p.write_bytes(models.build_onnx("mobilenet_v3_small").SerializeToString())
    assert main(["compare", str(p), "--device", "reference", "--size", "64"]) == 0
    assert main(["run", str(tmp_path / "missing.onnx")]) == 2
    assert "neither an ONNX file nor a zoo model" in capsys.readouterr().err


def test_demo_net(require):
    require("opencl")
    assert main(["demo", "--size", "128", "--net", "resnet18", "--device", "opencl"]) == 0
