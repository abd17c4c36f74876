"""An int8 expansion 1x1 conv and the depthwise conv reading it, handed over together
(ops.conv2d.conv2d_pwdw_words; graph/words.py pwdw_pairs finds them in int8 networks): both values
bit-exact against the reference. On a VNNI device, where dwconv_map_q or dwconv_strip_q takes the
depthwise conv and the 1x1 conv reads its producer's words, they run as one pwdw_q launch
(kernels/opencl/pwdw_q.cl);
elsewhere -- the int16-pair form, channels not whole work-items, other geometries,
dwconv.opencl.q_pwdw = 0, the reference and csim -- as the two convs (checked on the recorded launches)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops import config
from fpgaops.graph import words
from fpgaops.ops.conv2d import conv2d_pwdw_words, conv2d_words

from opencl_paths import use_key
from test_conv_words_int8 import mobilenet_int8, qargs  # noqa: F401  (fixture)
from test_opencl_isa import ocl, vnni_form  # noqa: F401  (fixtures)


def layers(n, c, e, h, w, stride, act1, act2, zp, seed):
    """(x, a 1x1 conv producing x's words, the expansion C -> E, the 3x3 pad 1 depthwise conv)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (n, c, h, w), dtype=np.int8)
    p0 = dict(weight=rng.integers(-128, 128, (c, c, 1, 1), dtype=np.int8), **qargs(rng, c, zp, 0.02))
    pw = dict(weight=rng.integers(-128, 128, (e, c, 1, 1), dtype=np.int8), activation=act1,
              **qargs(rng, e, p0["output_zero_point"], p0["output_scale"]))
    dw = dict(weight=rng.integers(-128, 128, (e, 1, 3, 3), dtype=np.int8), stride=stride, padding=1, groups=e,
              algo="dwconv", activation=act2, **qargs(rng, e, pw["output_zero_point"], pw["output_scale"]))
    return x, p0, pw, dw


def run(x, p0, pw, dw, want_words):
    """(reference (expanded, depthwise), opencl (expanded, depthwise, words), the kernels launched)."""
    with fo.device("reference"):
        x0 = fo.conv2d(x, **p0)
        want = fo.conv2d(x0, **pw)
        want = (want, fo.conv2d(want, **dw))
    be = fo.get_device("opencl")
    with fo.device("opencl"):
        x0, xw = conv2d_words(x, None, True, **p0)
        with be.record() as rec:
            got = conv2d_pwdw_words(x0, xw, pw, dw, want_words)
    return want, [t if isinstance(t, np.ndarray) or t is None else t.numpy() for t in got], \
        [name for _p, name, *_ in rec.launches]


def fused_here(tw, c, e, h, w, stride):
    """Whether pwdw_q runs the pair: the VNNI form, whole words of input channels, whole work-items of
    expanded channels, 16 to pw_nv4_min_pixels - 1 pixels, and a depthwise layer that dwconv_map_q takes (stride 1: rows
    narrower than q_min_ow; stride 2: output rows of at most 16 columns; at most q_map_max_hw
    outputs) or dwconv_strip_q (the others with output rows of q_min_ow+ columns)."""
    cfg = config.current().dwconv.opencl
    oh, ow = (h - 1) // stride + 1, (w - 1) // stride + 1
    geometry = ((ow < cfg.q_min_ow if stride == 1 else ow <= 16) and oh * ow <= cfg.q_map_max_hw
                or ow >= cfg.q_min_ow)
    return (tw == 4 and c % 4 == 0 and e % cfg.q_map_channels == 0 and geometry and cfg.q_pwdw == 1
            and 16 <= h * w < config.current().conv2d.opencl.pw_nv4_min_pixels)


@st.composite
def cases(draw):
    stride = draw(st.sampled_from([1, 2]))
    h, w = draw(st.sampled_from([(14, 14), (7, 7), (4, 4), (5, 11), (16, 16), (23, 23), (28, 28), (13, 31),
                                 (2, 9), (3, 30), (10, 56), (20, 40), (9, 70), (48, 48)]))
    c = draw(st.sampled_from([4, 8, 12, 16, 6]))
    e = draw(st.sampled_from([8, 16, 24, 48, 12]))
    return draw(st.integers(1, 2)), c, e, h, w, stride


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@settings(max_examples=25)
@given(case=cases(), act1=st.sampled_from([None, "relu6"]), act2=st.sampled_from([None, "relu", "relu6"]),
       zp=st.sampled_from([-128, 127, 3]), want_words=st.booleans(), seed=st.integers(0, 2**31))
def test_pwdw_bit_exact(vnni_form, case, act1, act2, zp, want_words, seed):
    # both values, the words (against conv2d_words' of the reference depthwise result), and which
    # kernels ran: pwdw_q exactly where fused_here says, else the two convs
    n, c, e, h, w, stride = case
    want, got, names = run(*layers(n, c, e, h, w, stride, act1, act2, zp, seed), want_words)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    fused = fused_here(vnni_form, c, e, h, w, stride)
    assert names.count("pwdw_q") == fused and (names.count("conv_pw") == (not fused)), names
    if want_words and got[2] is not None:  # the depthwise output as the next 1x1 conv's input words
        u = (want[1].astype(np.int16) + 128).astype(np.uint8).reshape(n, e // 4, 4, -1)
        words_want = (u[:, :, 0].astype(np.uint32) | u[:, :, 1].astype(np.uint32) << 8
                      | u[:, :, 2].astype(np.uint32) << 16 | u[:, :, 3].astype(np.uint32) << 24)
        np.testing.assert_array_equal(got[2], words_want)
    if fused and want_words and e % 4 == 0:
        assert got[2] is not None


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@pytest.mark.parametrize("on", [1, 0])
def test_pwdw_switch(vnni_form, tmp_path, monkeypatch, on):
    # dwconv.opencl.q_pwdw = 0: the two launches (bit-exact either way); MobileNetV2's shapes
    use_key(monkeypatch, tmp_path, "q_pwdw", 1, on)
    for n, c, e, h, stride in ((1, 64, 384, 14, 1), (2, 96, 576, 14, 2), (1, 160, 960, 7, 1), (1, 32, 192, 28, 2),
                               (1, 32, 192, 28, 1)):
        want, got, names = run(*layers(n, c, e, h, h, stride, "relu6", "relu6", -128, 5), True)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        assert names.count("pwdw_q") == (vnni_form == 4 and on == 1), names


def test_pwdw_elsewhere(backend):
    # any device: the two convs' results (NumPy in, NumPy out), no words where the launcher makes none
    x, p0, pw, dw = layers(1, 8, 16, 7, 7, 1, "relu6", None, 3, 2)
    x0, xw = conv2d_words(x, None, True, **p0)
    e, y, yw = conv2d_pwdw_words(x0, xw, pw, dw, True)
    with fo.device("reference"):
        want_e = fo.conv2d(fo.conv2d(x, **p0), **pw)
        want_y = fo.conv2d(want_e, **dw)
    assert isinstance(e, np.ndarray) and isinstance(y, np.ndarray)
    np.testing.assert_array_equal(e, want_e)
    np.testing.assert_array_equal(y, want_y)
    if backend != "opencl":
        assert yw is None


def test_pwdw_pairs_of_mobilenet_v2(mobilenet_int8):
    # the 16 expansions and their depthwise convs (the first block has no expansion); none where the
    # depthwise conv runs in float32 or with feed (_execute_locked)
    qnet, x = mobilenet_int8
    g = qnet.optimized(x)
    pairs = words.pwdw_pairs(g, qnet._int8_reason)
    assert len(pairs) == 16
    by_name = {n.name: n for n in g.nodes}
    for pw, dw in pairs.items():
        assert by_name[pw].attrs["groups"] == 1 and dw.attrs["groups"] > 1 and dw.inputs[0] == by_name[pw].outputs[0]
    skipped = qnet._int8_reason
    qnet._int8_reason = lambda g_, n: "float" if n.attrs.get("groups", 1) > 1 else skipped(g_, n)
    try:
        assert words.pwdw_pairs(g, qnet._int8_reason) == {}
    finally:
        del qnet._int8_reason
