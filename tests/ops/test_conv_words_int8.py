"""int8 values handed from a conv to the 1x1 convs reading them in those convs' input layout
(ops.conv2d.conv2d_words; graph/words.py finds the values in int8 networks; docs/int8.md change 7):
bit-exact against the reference. On a VNNI device the producing kernel -- dwconv_map_q, dwconv_strip_q
(-DDW_WORDS) or conv_pw (-DPW_WORDS) -- also writes the words, and the 1x1 conv reading them runs no
conv_pad (checked on the recorded launches); elsewhere -- the int16-pair form, channels not a
multiple of 4, conv2d.opencl.int8_words = 0, the reference and csim -- no words are made and
every conv relays its input as before."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops import config
from fpgaops.graph import words
from fpgaops.ops.conv2d import conv2d_words

from opencl_paths import use_key
from test_dwconv_int8 import map_cases, wide_cases
from test_opencl_isa import ocl, vnni_form  # noqa: F401  (fixtures)


def qargs(rng, k, x_zp, x_scale):
    """int8 conv2d quantization arguments for k output channels."""
    return dict(bias=rng.integers(-2**14, 2**14, k).astype(np.int32), input_scale=x_scale, input_zero_point=x_zp,
                weight_scale=rng.uniform(0.001, 0.02, k), output_scale=float(rng.uniform(0.05, 0.5)),
                output_zero_point=int(rng.integers(-128, 20)))


def layers(case, first, k2, act, with_res, seed):
    """(x, the producer's conv2d arguments, the 1x1 reader's) for a depthwise case of map_cases /
    wide_cases; ``first`` "dw" (that depthwise conv) or "pw" (a 1x1 conv to as many channels)."""
    n, c, h, w, k, r, stride, pad, zp = case
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (n, c, h, w), dtype=np.int8)
    if first == "dw":
        a = dict(weight=rng.integers(-128, 128, (k, 1, r, r), dtype=np.int8), stride=stride, padding=pad, groups=c,
                 algo="dwconv",
                 activation=act, **qargs(rng, k, zp, 0.02))
        oh, ow = (h + 2 * pad[0] - r) // stride[0] + 1, (w + 2 * pad[1] - r) // stride[1] + 1
    else:
        a = dict(weight=rng.integers(-128, 128, (k, c, 1, 1), dtype=np.int8), activation=act, **qargs(rng, k, zp, 0.02))
        oh, ow = h, w
    b = dict(weight=rng.integers(-128, 128, (k2, k, 1, 1), dtype=np.int8),
             **qargs(rng, k2, a["output_zero_point"], a["output_scale"]))
    if with_res:
        b.update(residual=rng.integers(-128, 128, (n, k2, oh, ow), dtype=np.int8), residual_scale=0.5,
                 residual_zero_point=int(rng.integers(-10, 10)))
    return x, a, b


def run_pair(x, a, b):
    """(the two convs on the reference, on opencl through conv2d_words, the opencl kernels launched, the
    producer's words or None)."""
    with fo.device("reference"):
        want = fo.conv2d(fo.conv2d(x, **a), **b)
    be = fo.get_device("opencl")
    with fo.device("opencl"), be.record() as rec:
        h, hw = conv2d_words(x, None, True, **a)
        got, none = conv2d_words(h, hw, False, **b)
    assert none is None
    return want, got, [name for _p, name, *_ in rec.launches], hw


def case_takes_words(tw, first, case):
    """Whether the producer writes the words here: the VNNI form, whole words of channels, and a
    depthwise layer on dwconv_map_q / dwconv_strip_q (every map_cases / wide_cases layer) or a 1x1
    conv of more than one pixel."""
    n, c, h, w, k, *_ = case
    return tw == 4 and k % 4 == 0 and (first == "dw" or h * w > 1)


@st.composite
def pair_cases(draw):
    case = draw(st.one_of(map_cases(), wide_cases()))
    n, c, h, w, k, r, stride, pad, zp = case
    if draw(st.booleans()):  # mostly whole words of channels (MobileNets: multiples of 8)
        c = 4 * draw(st.integers(1, 6))
        k = c * draw(st.sampled_from([1, 1, 2]))
    return n, c, h, w, k, r, stride, pad, zp


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@settings(max_examples=20)
@given(case=pair_cases(), first=st.sampled_from(["dw", "pw"]), k2=st.integers(1, 40),
       act=st.sampled_from([None, "relu", "relu6"]), with_res=st.booleans(), seed=st.integers(0, 2**31))
def test_conv_words_bit_exact(vnni_form, case, first, k2, act, with_res, seed):
    want, got, names, hw = run_pair(*layers(case, first, k2, act, with_res, seed))
    np.testing.assert_array_equal(got, want)
    taken = case_takes_words(vnni_form, first, case)
    assert (hw is not None) == taken and names.count("conv_pad") == (not taken) + (first == "pw"), names


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@pytest.mark.parametrize("first, h, w, st_", [("dw", 14, 14, 1), ("dw", 7, 7, 1), ("dw", 28, 28, 2),
                                             ("dw", 56, 56, 1), ("dw", 56, 56, 2), ("dw", 30, 61, 1),
                                             ("pw", 14, 14, 1), ("pw", 56, 56, 1), ("pw", 3, 5, 1), ("pw", 1, 1, 1)])
@pytest.mark.parametrize("on", [1, 0])
def test_conv_words_switch(vnni_form, tmp_path, monkeypatch, first, h, w, st_, on):
    # MobileNetV2's shapes (dwconv_map_q up to 28x28, dwconv_strip_q above; conv_pw's 2- and
    # 4-vector pixel blocks, a partial last block, one pixel: conv_pw1 and no words), 8 / 16 / 96
    # channels (one, two and many work-items' channel blocks), zero points at both ends;
    # conv2d.opencl.int8_words = 0 keeps every relayout (both bit-exact)
    use_key(monkeypatch, tmp_path, "int8_words", 1, on)
    for c, zp in ((8, -128), (16, 127), (96, 3)):
        case = (2, c, h, w, c, 3, (st_, st_), (1, 1), zp)
        want, got, names, hw = run_pair(*layers(case, first, 24, "relu6", c == 16, 7))
        np.testing.assert_array_equal(got, want)
        taken = case_takes_words(vnni_form, first, case) and on == 1
        assert (hw is not None) == taken and names.count("conv_pad") == (not taken) + (first == "pw"), names


def test_conv_words_elsewhere(backend):
    # any device: conv2d_words gives conv2d's result; reference and csim make no words (their
    # launchers have no words_out), NumPy in, NumPy out
    case = (1, 8, 7, 7, 8, 3, (1, 1), (1, 1), 3)
    x, a, b = layers(case, "dw", 16, "relu", True, 3)
    h, hw = conv2d_words(x, None, True, **a)
    got, _ = conv2d_words(h, hw, False, **b)
    with fo.device("reference"):
        want = fo.conv2d(fo.conv2d(x, **a), **b)
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, want)
    if backend != "opencl":
        assert hw is None


def test_words_refused_when_they_do_not_match(vnni_form):
    # takes_words checks the words it is given: another shape (channels, pixels, batch) or dtype is
    # not read; words of the right shape are read only in the VNNI form (without VNNI, never)
    be = fo.get_device("opencl")
    from fpgaops.backends.opencl import conv2d as launcher
    from fpgaops.ops.conv2d import _prepare
    rng = np.random.default_rng(1)
    x = fo.to_device(rng.integers(-128, 128, (1, 8, 5, 5), dtype=np.int8), "opencl")
    kw = dict(weight=rng.integers(-128, 128, (4, 8, 1, 1), dtype=np.int8), **qargs(rng, 4, 0, 0.1))
    call = _prepare(x, **kw)[0]
    assert launcher.takes_words(be, call, be.empty((1, 2, 25), np.uint32)) == (vnni_form == 4)
    for shape in ((1, 2, 24), (1, 1, 25), (2, 2, 25)):
        assert not launcher.takes_words(be, call, be.empty(shape, np.uint32))
    assert not launcher.takes_words(be, call, be.empty((1, 2, 25), np.int32))


@pytest.fixture
def mobilenet_int8():  # (a new one per test: a launch plan recorded under one config would replay)
    net = fo.models.get("mobilenet_v2", num_classes=10)
    rng = np.random.default_rng(11)
    qnet = net.quantize([rng.standard_normal((1, 3, 64, 64)).astype(np.float32) for _ in range(2)])
    return qnet, rng.standard_normal((1, 3, 64, 64)).astype(np.float32)


def test_values_read_by_pointwise_of_mobilenet_v2(mobilenet_int8):
    # every 1x1 conv of MobileNetV2 but the classifier reads a conv's output: its block's depthwise
    # conv (17 projections), the previous block's projection (16 expansions, and the last 1x1 conv)
    qnet, x = mobilenet_int8
    g = qnet.optimized(x)
    found = words.read_by_pointwise(g, qnet._int8_reason)
    made_by = {n.outputs[0]: n for n in g.nodes}
    assert len(found) == 34
    assert sorted(made_by[v].attrs["groups"] > 1 for v in found) == [False] * 17 + [True] * 17
    skipped = qnet._int8_reason
    qnet._int8_reason = lambda g_, n: "float" if n.attrs.get("groups", 1) > 1 else skipped(g_, n)
    try:  # depthwise convs left in float32: their outputs are no conv's int8 value
        assert len(words.read_by_pointwise(g, qnet._int8_reason)) == 17
    finally:
        del qnet._int8_reason


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
def test_mobilenet_v2_int8_with_words_bit_exact(vnni_form, mobilenet_int8):
    # the network's output codes: opencl (on a VNNI device every 1x1 conv reading a conv's words)
    # against the reference; and every int8 value (codes(): the bytes are written as always)
    qnet, x = mobilenet_int8
    want = qnet.run(x, device="reference", int8_outputs=True)[0][0]
    be = fo.get_device("opencl")
    with be.record() as rec:
        got = qnet.run(x, device="opencl", int8_outputs=True)[0][0]
    np.testing.assert_array_equal(got, want)
    names = [name for _p, name, *_ in rec.launches]
    # a conv_pad before the stem and before the classifier, and before every other 1x1 conv (34) but
    # where its producer wrote the words (all of them on a VNNI device); on a VNNI device the
    # expansions whose depthwise conv dwconv_map_q takes run with it as pwdw_q (test_pwdw_int8.py)
    assert names.count("conv_pw") + names.count("pwdw_q") == 34
    assert (names.count("pwdw_q") > 0) == (vnni_form == 4)
    assert names.count("conv_pad") == (2 if vnni_form == 4 else 36), names
    want_all, got_all = qnet.codes(x, device="reference"), qnet.codes(x, device="opencl")
    for k in want_all:
        np.testing.assert_array_equal(got_all[k][1], want_all[k][1], err_msg=k)
    assert config.current().conv2d.opencl.int8_words == 1
