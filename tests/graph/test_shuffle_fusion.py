"""ShuffleNetV2's channel shuffle (graph/shuffle.py fuse_channel_shuffle): Concat(a, b; axis 1) ->
Reshape (N, 2, C/2, H, W) -> Transpose (0, 2, 1, 3, 4) -> Reshape (N, C, H, W) [-> its two halves by
two Slices or a Split] becomes one ChannelShuffle node, one shuffle2 launch on opencl (movement.cl).
The pass fires on exactly that pattern and leaves every near-miss to the unfused ops. A copy moves
bits: the fused node gives the bytes of the unfused graph, of ONNX Runtime and of the NumPy oracle on
every backend; the shuffle2 kernel is checked against NumPy for float32 and int8 over random shapes."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("onnx")

import fpgaops  # noqa: E402
from fpgaops.errors import ArgumentError, ArgumentTypeError  # noqa: E402
from fpgaops.graph import passes  # noqa: E402

from graph_helpers import helper, model, ort_run  # noqa: E402

N, H, W = 2, 5, 7


def rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def shuffle_model(h=4, hb=None, groups=2, axis=1, perm=(0, 2, 1, 3, 4), tail="slices", extra=None):
    """a (N, h, H, W), b (N, hb, H, W) -> Concat(axis) -> Reshape (N, groups, C/groups, H, W) ->
    Transpose(perm) -> Reshape (N, C, H, W) -> ``tail``: "slices" (two Slices of dim 1 at C/2),
    "split" (Split into halves), "none" (the shuffled tensor is the output), "uneven" (Slices at
    C/2 - 1). ``extra``: a value that is also a graph output (a second reader)."""
    hb = h if hb is None else hb
    c = h + hb
    i64 = lambda v: np.array(v, np.int64)
    inits = {"s5": i64([N, groups, c // groups, H, W]), "s4": i64([N, c, H, W])}
    nodes = [helper.make_node("Concat", ["a", "b"], ["cat"], axis=axis),
             helper.make_node("Reshape", ["cat", "s5"], ["r5"]),
             helper.make_node("Transpose", ["r5"], ["t5"], perm=list(perm)),
             helper.make_node("Reshape", ["t5", "s4"], ["y"])]
    outs = [("y", None)]
    if tail in ("slices", "uneven"):
        cut = c // 2 - (tail == "uneven")
        inits.update(z=i64([0]), m=i64([cut]), e=i64([c]), ax=i64([1]))
        nodes += [helper.make_node("Slice", ["y", "z", "m", "ax"], ["lo"]),
                  helper.make_node("Slice", ["y", "m", "e", "ax"], ["hi"])]
        outs = [("lo", None), ("hi", None)]
    elif tail == "split":
        inits.update(sz=i64([c // 2, c // 2]))
        nodes.append(helper.make_node("Split", ["y", "sz"], ["lo", "hi"], axis=1))
        outs = [("lo", None), ("hi", None)]
    if extra:
        outs.append((extra, None))
    return model(nodes, [("a", (N, h, H, W)), ("b", (N, hb, H, W))], outs, inits)


@pytest.fixture
def unfused(monkeypatch):
    """load(proto): the Network with every fusion but fuse_channel_shuffle (the reference)."""
    def load(proto):
        with monkeypatch.context() as m:
            m.setattr(passes, "fuse_channel_shuffle", lambda g: g)
            return fpgaops.load_onnx(proto)  # specialized for the declared (static) shapes here
    return load


def _ops(net, a, b):
    return [(n.op, n.attrs.get("split")) for n in net.optimized(a, b).nodes]


def _same(got, want):
    got, want = (got if isinstance(got, tuple) else (got,)), (want if isinstance(want, (tuple, list)) else (want,))
    assert len(got) == len(want)
    for g_, w_ in zip(got, want):
        assert g_.shape == w_.shape and g_.tobytes() == np.ascontiguousarray(w_).tobytes()


@pytest.mark.parametrize("tail, ops", [
    ("slices", [("ChannelShuffle", True)]),                        # torchvision's block
    ("split", [("ChannelShuffle", True)]),                         # chunk exported as Split
    ("none", [("ChannelShuffle", False)]),                         # the last block of a stage
    ("uneven", [("ChannelShuffle", False), ("Slice", None), ("Slice", None)]),  # not the halves
])
def test_fires_on_the_pattern_and_matches_onnxruntime_bit_for_bit(backend, tail, ops):
    proto = shuffle_model(h=6, tail=tail)
    a, b = rand((N, 6, H, W), 1), rand((N, 6, H, W), 2)
    net = fpgaops.load_onnx(proto)
    assert _ops(net, a, b) == ops
    want = ort_run(proto, a, b)
    for _ in range(3):  # op by op, recorded, replayed (opencl)
        _same(net(a, b), want)
    _same(net.run_numpy(a, b), want)


@pytest.mark.parametrize("kw, why", [
    (dict(h=3, groups=3), "groups 3"),
    (dict(perm=(0, 1, 2, 4, 3)), "another permutation"),
    (dict(axis=2), "a concat along H"),
    (dict(h=4, hb=6), "unequal halves"),
    (dict(extra="cat"), "the concat read by another node (a graph output)"),
    (dict(extra="r5"), "the reshape read by another node"),
    (dict(extra="t5"), "the transpose read by another node"),
])
def test_does_not_fire_on_near_misses(backend, kw, why):
    proto = shuffle_model(**kw)
    h, hb = kw.get("h", 4), kw.get("hb", kw.get("h", 4))
    a, b = rand((N, h, H, W), 3), rand((N, hb, H, W), 4)
    net = fpgaops.load_onnx(proto)
    ops = [op for op, _ in _ops(net, a, b)]
    assert "ChannelShuffle" not in ops, why
    assert ops[0] == "Concat" and "Transpose" in ops, why
    _same(net(a, b), ort_run(proto, a, b))


def test_final_tensor_with_another_reader_keeps_its_slices(backend):
    """The shuffled tensor is also a graph output: the fused node writes it whole and the Slices stay."""
    proto = shuffle_model(h=4, extra="y")
    a, b = rand((N, 4, H, W), 5), rand((N, 4, H, W), 6)
    net = fpgaops.load_onnx(proto)
    assert _ops(net, a, b) == [("ChannelShuffle", False), ("Slice", None), ("Slice", None)]
    _same(net(a, b), ort_run(proto, a, b))


def test_one_launch_instead_of_five_on_opencl(require, unfused):
    require("opencl")
    proto = shuffle_model(h=8, tail="slices")
    a, b = rand((N, 8, H, W), 7), rand((N, 8, H, W), 8)
    fused, plain = fpgaops.load_onnx(proto), unfused(proto)
    assert [nd.op for nd in plain.optimized(a, b).nodes] == ["Concat", "View", "Transpose", "View", "Slice", "Slice"]
    with fpgaops.device("opencl"):
        want = plain(a, b)
        for _ in range(3):
            plain(a, b)
            _same(fused(a, b), want)
        assert fused.launch_plan(a, b).num_launches == 1
        assert plain.launch_plan(a, b).num_launches == 5  # two for the Concat, the Transpose, two Slices


def test_int8_quantizer_graph_keeps_the_separate_ops():
    proto = shuffle_model(h=4)
    a, b = rand((N, 4, H, W), 9), rand((N, 4, H, W), 10)
    net = fpgaops.load_onnx(proto)
    assert "ChannelShuffle" not in [n.op for n in net.optimized(a, b, int8=True).nodes]


# --- the shuffle2 kernel (backends/opencl/movement.py channel_shuffle) ----------------------------

def _want(a, b, split):
    n, h, hh, ww = a.shape
    y = np.concatenate([a, b], 1).reshape(n, 2, h, hh, ww).transpose(0, 2, 1, 3, 4).reshape(n, 2 * h, hh, ww)
    return [y[:, :h], y[:, h:]] if split else [y]


def _data(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if dtype == np.int8:
        return rng.integers(-128, 128, shape).astype(np.int8)
    return rng.standard_normal(shape).astype(np.float32)


def _kernel(a, b, split):
    from fpgaops.backends import get_device
    from fpgaops.backends.opencl import movement

    dev = get_device("opencl")
    got = movement.channel_shuffle(dev, fpgaops.to_device(a, dev), fpgaops.to_device(b, dev), split)
    return [t.numpy() for t in (got if split else [got])]


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), h=st.integers(1, 9), hh=st.integers(1, 7), ww=st.integers(1, 11), split=st.booleans(),
       dtype=st.sampled_from([np.float32, np.int8]), seed=st.integers(0, 2**31))
def test_shuffle2_kernel_against_numpy(require, n, h, hh, ww, split, dtype, seed):
    require("opencl")
    a, b = _data((n, h, hh, ww), dtype, seed), _data((n, h, hh, ww), dtype, seed + 1)
    _same(tuple(_kernel(a, b, split)), _want(a, b, split))


@pytest.mark.parametrize("shape", [(1, 3, 64, 97), (2, 116, 7, 7), (1, 1, 1, 1)])
def test_shuffle2_kernel_long_and_short_rows(require, shape):
    """Rows longer than a work-item's chunk (split across items) and many 49-element rows
    (ShuffleNetV2 x1.0's last stage at 224x224, several rows per item)."""
    require("opencl")
    a, b = _data(shape, np.float32, 1), _data(shape, np.float32, 2)
    for split in (True, False):
        _same(tuple(_kernel(a, b, split)), _want(a, b, split))


def test_shuffle2_bad_input_names_the_argument(require):
    require("opencl")
    from fpgaops.backends import get_device
    from fpgaops.backends.opencl import movement

    dev = get_device("opencl")
    a = fpgaops.to_device(rand((1, 2, 3, 3), 0), dev)
    with pytest.raises(ArgumentError, match="^b: .*differs from a's") as e:
        movement.channel_shuffle(dev, a, fpgaops.to_device(rand((1, 3, 3, 3), 0), dev), True)
    assert e.value.argument == "b"
    with pytest.raises(ArgumentTypeError, match="^a: expected a Tensor on opencl") as e:
        movement.channel_shuffle(dev, rand((1, 2, 3, 3), 0), a, True)
    assert e.value.argument == "a"
    with pytest.raises(ArgumentError, match="^a: expected a 4-D"):
        movement.channel_shuffle(dev, a.reshape(2, 3, 3), a.reshape(2, 3, 3), False)
