"""A small detection-neck-style network with torch's F.interpolate (the Resize modes torch exports:
nearest = asymmetric + floor, bilinear = pytorch_half_pixel or align_corners), exported offline at
opsets 13 and 17: on opencl every node runs on the device (no host op, the launch plan replays)
and the outputs are within 1e-5 relative of ONNX Runtime and of the reference backend."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

import fpgaops  # noqa: E402


class Neck(torch.nn.Module):
    """Two pyramid levels merged top-down (FPN style), upsampled by scale factor and to a size."""

    def __init__(self, mode, align):
        super().__init__()
        self.down = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.lat = torch.nn.Conv2d(3, 8, 1)
        self.out = torch.nn.Conv2d(8, 4, 3, padding=1)
        self.mode, self.align = mode, align

    def forward(self, x):
        kw = {} if self.mode == "nearest" else {"align_corners": self.align}
        top = torch.nn.functional.interpolate(torch.relu(self.down(x)), scale_factor=2.0, mode=self.mode, **kw)
        y = self.out(torch.relu(top + self.lat(x)))
        return torch.nn.functional.interpolate(y, size=(23, 37), mode=self.mode, **kw)


@pytest.mark.parametrize("opset", [13, 17])
@pytest.mark.parametrize("mode,align", [("nearest", None), ("bilinear", False), ("bilinear", True)])
def test_interpolate_runs_on_the_device(require, tmp_path, opset, mode, align):
    require("opencl")
    torch.manual_seed(0)
    net = Neck(mode, align).eval()
    x = np.random.default_rng(1).standard_normal((2, 3, 16, 20)).astype(np.float32)
    path = tmp_path / "neck.onnx"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's DeprecationWarnings (as tv_models.export)
        torch.onnx.export(net, (torch.from_numpy(x),), str(path), opset_version=opset, dynamo=False,
                          input_names=["input"], output_names=["y"])
    m = fpgaops.load_onnx(str(path))
    assert [n.op for n in m.optimized(x).nodes].count("Resize") == 2
    with fpgaops.device("opencl"):
        got = m(x)
        prof = m.profile(x, warmup=0)
        assert not [r.op for r in prof.rows if r.algorithm.startswith("host")], str(prof)
        for _ in range(2):  # recorded, replayed
            assert m(x).tobytes() == got.tobytes()
    with fpgaops.device("reference"):
        ref = m(x)
    want = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    scale = float(np.max(np.abs(want)))
    for other in (ref, want):
        assert got.shape == other.shape == (2, 4, 23, 37)
        assert float(np.max(np.abs(got - other))) <= 1e-5 * scale
