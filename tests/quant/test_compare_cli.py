"""fpgaops.compare (per-layer SQNR, cosine, top-1 agreement, accuracy) and `fpgaops quantize`."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("matplotlib")

import fpgaops  # noqa: E402
from fpgaops import cli  # noqa: E402

from test_quantize import Small, calib, data, small_net  # noqa: E402


def test_compare_report():
    net = small_net()
    qnet = net.quantize(calib())
    x = data(10, 3)
    labels = net(x, device="reference").argmax(1)
    rep = fpgaops.compare(net, qnet, x, labels=labels, device="reference", batch_size=4)
    assert rep.samples == 10
    assert 0.98 < rep.cosine <= 1.0 + 1e-9
    assert rep.top1_agreement >= 0.8
    assert rep.accuracy_float == 1.0 and rep.accuracy_int8 == rep.top1_agreement
    g = net.optimized(x)
    assert [r.node for r in rep.layers] == [n.name for n in g.nodes]
    for r in rep.layers:
        assert r.dtype == "int8" and (r.sqnr_db > 15 or math.isinf(r.sqnr_db)), r
    text = str(rep)
    assert "SQNR dB" in text and "cosine similarity" in text and "accuracy: float32 100.00%" in text
    d = rep.to_dict()
    assert len(d["layers"]) == len(rep.layers)
    # an iterable of batches works too and gives the same numbers
    rep2 = fpgaops.compare(net, qnet, [x[:4], x[4:]], labels=labels, device="reference")
    assert rep2.cosine == pytest.approx(rep.cosine) and rep2.top1_agreement == rep.top1_agreement


def test_compare_marks_float_layers_and_bad_args(tmp_path):
    net = small_net()
    qnet = net.quantize(calib(), skip=["first"])
    x = data(3, 3)
    rep = fpgaops.compare(net, qnet, x, device="reference")
    assert rep.layers[0].dtype == "float32" and math.isinf(rep.layers[0].sqnr_db)  # identical float layer
    png = rep.plot(tmp_path / "s.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(fpgaops.ArgumentError, match="labels"):
        fpgaops.compare(net, qnet, x, labels=[1, 2], device="reference")
    with pytest.raises(fpgaops.ArgumentTypeError, match="int8_net"):
        fpgaops.compare(net, net, x)
    with pytest.raises(fpgaops.ArgumentError, match="data"):
        fpgaops.compare(net, qnet, [], device="reference")


def test_cli_quantize_report(tmp_path, capsys):
    model = tmp_path / "small.onnx"
    x0 = np.zeros((1, 3, 12, 12), np.float32)
    torch.onnx.export(Small().eval(), (torch.from_numpy(x0),), str(model), input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "b"}, "output": {0: "b"}},
                      opset_version=17, dynamo=False)
    np.save(tmp_path / "calib.npy", np.concatenate(calib()))
    x = data(8, 1)
    y = fpgaops.load_onnx(str(model))(x, device="reference").argmax(1)
    np.savez(tmp_path / "val.npz", x=x, y=y)
    png = tmp_path / "sqnr.png"
    rc = cli.main(["quantize", str(model), "--calib", str(tmp_path / "calib.npy"), "--method", "percentile",
                   "--report", "--data", str(tmp_path / "val.npz"), "--plot", str(png), "--device", "reference",
                   "--save-qparams", str(tmp_path / "q.json")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "SQNR dB" in out and "top-1 agreement" in out and "accuracy: float32 100.00%" in out
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    import json
    q = json.load(open(tmp_path / "q.json"))
    assert all(v["scale"] > 0 and -128 <= v["zero_point"] <= 127 for v in q.values())


def test_cli_quantize_errors(tmp_path, capsys):
    bad = np.ones((2, 3, 12, 12), np.float32)
    bad[0, 0, 0, 0] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    assert cli.main(["quantize", "resnet18", "--calib", str(tmp_path / "nan.npy"), "--size", "12"]) == 2
    assert "contains NaN" in capsys.readouterr().err
    assert cli.main(["quantize", "resnet18", "--calib", str(tmp_path / "missing.npy")]) == 2
    assert "not found" in capsys.readouterr().err
