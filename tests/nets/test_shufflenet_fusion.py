"""torchvision's ShuffleNetV2 x0.5 (random weights, exported offline) with and without
graph/shuffle.py's fuse_channel_shuffle: every block's Concat / channel-shuffle Transpose / halves
become one ChannelShuffle node (16 blocks: 13 with the split, the 3 stage ends without), one
shuffle2 launch each on opencl instead of five or three copy launches, and the logits stay the
same bytes (op by op and replayed). Fused, they are within test_torchvision's RTOL of ONNX Runtime
and of the reference backend (which runs the unfused ops)."""
import numpy as np
import pytest

pytest.importorskip("torch")
ort = pytest.importorskip("onnxruntime")

import fpgaops  # noqa: E402
from fpgaops.graph import passes  # noqa: E402

from tv_models import export, images, rel_err, top5  # noqa: E402

RTOL = 1e-4  # test_torchvision.RTOL
SHAPE = (2, 3, 64, 64)


@pytest.fixture(scope="module")
def onnx_path(tmp_path_factory):
    p = tmp_path_factory.mktemp("shufflenet") / "shufflenet_v2_x0_5-op17.onnx"
    export("shufflenet_v2_x0_5", p, 17, (1, 3, 64, 64))
    return p


def test_shufflenet_v2_channel_shuffle_fused_is_bit_identical(require, onnx_path, monkeypatch):
    require("opencl")
    x = images(SHAPE, seed=1)
    fused = fpgaops.load_onnx(str(onnx_path))
    g = fused.optimized(x)
    nodes = [n for n in g.nodes if n.op == "ChannelShuffle"]
    assert [n.attrs["split"] for n in nodes].count(True) == 13 and len(nodes) == 16
    assert not [n for n in g.nodes if n.op in ("Concat", "Transpose", "Slice", "Split")]
    with monkeypatch.context() as m:
        m.setattr(passes, "fuse_channel_shuffle", lambda g: g)
        plain = fpgaops.load_onnx(str(onnx_path))
        plain.optimized(x)  # specialized for x without the pass
    with fpgaops.device("opencl"):
        want = plain(x)
        for _ in range(3):  # op by op, recorded, replayed
            plain(x)
            got = fused(x)
            assert got.tobytes() == want.tobytes()
        assert plain.launch_plan(x).num_launches - fused.launch_plan(x).num_launches == 74 - 16
    with fpgaops.device("reference"):
        ref = fused(x)
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    for other in (ref, sess.run(None, {"input": x})[0]):
        assert (top5(got) == top5(other)).all()
        assert rel_err(got, other) <= RTOL, f"relative error {rel_err(got, other):.3e}"
    np.testing.assert_allclose(fused.run_numpy(x), ref, rtol=0, atol=RTOL * np.max(np.abs(ref)))
