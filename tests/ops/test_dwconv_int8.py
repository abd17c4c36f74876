"""The OpenCL int8 depthwise strip (dwconv_strip of kernels/opencl/dwconv.cl: 3x3 / 5x5, stride 1 /
2, dilation 1) bit-exact against the reference on the geometries where its paths differ: images
several work-items wide (16 output columns each) so that left-border, interior and right-border
work-items all occur, any padding (borders handled by masking the loads with the code zp), the
first channel's top-left work-item (its loads would start before the buffer: the per-half
strip8_i8 path) and the last channel's bottom-right one (stride 2 reads past the tensor's end
beyond the guard: strip8_i8 again), zero points at both extremes, a channel multiplier, a batch,
a residual. Both forms of the pair product (pair_dot.h: vpmaddwd builtin and portable). On a VNNI
device also dwconv_strip_q (rows of dwconv.opencl.q_min_ow+ columns) and dwconv_map_q (3x3 pad 1,
stride 1 or 2, output maps of at most dwconv.opencl.q_map_max_hw pixels), each against the pair
strip on the same layers (gemm.opencl.int8_vnni = 0)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo

from opencl_paths import use_pmaddwd
from test_opencl_isa import ocl, vnni_form  # noqa: F401  (fixtures)


@st.composite
def strip_cases(draw):
    r = draw(st.sampled_from([3, 5]))
    sh, sw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, r - 1)), draw(st.integers(0, r - 1))
    h = draw(st.integers(max(1, r - 2 * ph), 24))
    w = draw(st.integers(max(1, r - 2 * pw), 70))
    n, c, mult = draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.sampled_from([1, 1, 2]))
    zp = draw(st.sampled_from([-128, 127, 0, -5]))
    return n, c, h, w, c * mult, r, (sh, sw), (ph, pw), zp


@pytest.fixture(params=[1, 0], ids=["pmaddwd", "portable"])
def pair_form(request, require, tmp_path, monkeypatch):
    require("opencl")
    use_pmaddwd(monkeypatch, tmp_path, request.param)
    return request.param


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@settings(max_examples=20)
@given(case=strip_cases(), act=st.sampled_from([None, "relu", "relu6"]), with_res=st.booleans(),
       seed=st.integers(0, 2**31))
def test_int8_depthwise_strip_bit_exact(pair_form, case, act, with_res, seed):
    check(case, act, with_res, seed)


def check(case, act, with_res, seed):
    """opencl's algo="dwconv" against the reference, bit for bit."""
    n, c, h, w, k, r, stride, pad, zp = case
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (n, c, h, w), dtype=np.int8)
    wt = rng.integers(-127, 128, (k, 1, r, r), dtype=np.int8)
    wt[0, 0, 0, 0] = -128  # the extreme weight code
    b = rng.integers(-2**14, 2**14, k).astype(np.int32)
    q = dict(input_scale=0.02, input_zero_point=zp, weight_scale=rng.uniform(0.001, 0.02, k),
             output_scale=float(rng.uniform(0.05, 2.0)), output_zero_point=int(rng.integers(-20, 20)))
    res = None
    if with_res:
        oh = (h + 2 * pad[0] - r) // stride[0] + 1
        ow = (w + 2 * pad[1] - r) // stride[1] + 1
        res = rng.integers(-128, 128, (n, k, oh, ow), dtype=np.int8)
        q.update(residual_scale=0.5, residual_zero_point=int(rng.integers(-10, 10)))
    with fo.device("reference"):
        want = fo.conv2d(x, wt, b, stride, pad, 1, c, activation=act, residual=res, **q)
    with fo.device("opencl"):
        got = fo.conv2d(x, wt, b, stride, pad, 1, c, algo="dwconv", activation=act, residual=res, **q)
    np.testing.assert_array_equal(got, want)


@st.composite
def wide_cases(draw):
    """3x3 layers with output rows of dwconv.opencl.q_min_ow+ columns (dwconv_strip_q on a VNNI device)."""
    sh, sw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    w = draw(st.integers(26 * sw, 80))
    h = draw(st.integers(max(1, 3 - 2 * ph), 14))
    if (sh, sw, ph, pw) == (1, 1, 1, 1):  # maps larger than dwconv_map_q takes (it has its own test)
        from fpgaops import config
        h = config.current().dwconv.opencl.q_map_max_hw // w + 1 + h % 3
    n, c, mult = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.sampled_from([1, 1, 2]))
    zp = draw(st.sampled_from([-128, 127, 0, 9]))
    return n, c, h, w, c * mult, 3, (sh, sw), (ph, pw), zp


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@settings(max_examples=20)
@given(case=wide_cases(), act=st.sampled_from([None, "relu", "relu6"]), with_res=st.booleans(),
       seed=st.integers(0, 2**31))
def test_int8_depthwise_vnni_strip_bit_exact(vnni_form, case, act, with_res, seed):
    # vnni: dwconv_strip_q (its masked borders, its scalar path at the buffer's first and last
    # work-items, partial 32-column blocks, both strides); portable: the pair strip on the same layers
    from fpgaops import config
    assert case[3] // case[6][1] >= config.current().dwconv.opencl.q_min_ow
    check(case, act, with_res, seed)


@st.composite
def map_cases(draw):
    """3x3 pad 1 layers with output maps of at most dwconv.opencl.q_map_max_hw pixels (dwconv_map_q
    on a VNNI device). Stride 1 (output rows narrower than dwconv.opencl.q_min_ow, as the map
    kernel takes them): maps of one pixel, one row, one column, 7x7, 14x14, 23x23, a partial last
    block of 32 outputs or none. Stride 2 (output rows of at most 16 columns): even and odd sizes
    (the bottom / right padding used or not), output rows of 8 or fewer columns (two rows per
    slot) and more. Several channels (the buffer's first and last channel assemble their
    outermost loads byte by byte: the first always, the last on some shapes), a channel
    multiplier, a batch."""
    stride = draw(st.sampled_from([1, 2]))
    sizes = ([(1, 1), (1, 13), (9, 1), (7, 7), (14, 14), (4, 8), (16, 16), (5, 11), (23, 23), (1, 23), (3, 23)]
             if stride == 1 else [(28, 28), (14, 14), (7, 7), (1, 1), (3, 32), (13, 31), (6, 17), (2, 16), (9, 4)])
    h, w = draw(st.sampled_from(sizes))
    n, c, mult = draw(st.integers(1, 2)), draw(st.integers(1, 11)), draw(st.sampled_from([1, 1, 2]))
    zp = draw(st.sampled_from([-128, 127, 0, 9]))
    return n, c, h, w, c * mult, 3, (stride, stride), (1, 1), zp


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@settings(max_examples=20)
@given(case=map_cases(), act=st.sampled_from([None, "relu", "relu6"]), with_res=st.booleans(),
       seed=st.integers(0, 2**31))
def test_int8_depthwise_small_map_bit_exact(vnni_form, case, act, with_res, seed):
    # vnni: dwconv_map_q (its constant masks, the gathered loads at the buffer's ends, partial
    # stores); portable: the pair strip on the same layers
    from fpgaops import config
    st_ = case[6][0]
    assert ((case[2] - 1) // st_ + 1) * ((case[3] - 1) // st_ + 1) <= config.current().dwconv.opencl.q_map_max_hw
    check(case, act, with_res, seed)


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
@pytest.mark.parametrize("h, w, st_, kernel", [(14, 14, 1, "run_map"), (7, 7, 1, "run_map"), (23, 23, 1, "run_map"),
                                              (1, 1, 1, "run_map"), (28, 28, 1, "run_strip"), (1, 40, 1, "run_strip"),
                                              (28, 28, 2, "run_map"), (14, 14, 2, "run_map"), (1, 32, 2, "run_map")])
def test_int8_depthwise_small_map_takes_the_map_kernel(vnni_form, monkeypatch, h, w, st_, kernel):
    # the selection: on a VNNI device these layers run dwconv_map_q, but for stride-1 rows of
    # dwconv.opencl.q_min_ow+ columns (28x28, 1x40: dwconv_strip_q, through run_strip); with the
    # int16-pair form (gemm.opencl.int8_vnni = 0, or no VNNI) the pair strip; all bit-exact (check).
    # 1x32 stride 2: the last channel's last loads would end more than the allocation guard past
    # the tensor (gathered); every map case: the first channel's first loads start before it (gathered).
    from fpgaops.backends.opencl import dwconv
    ran = []
    for name in ("run_map", "run_strip"):
        orig = getattr(dwconv, name)
        monkeypatch.setattr(dwconv, name, lambda *a, _o=orig, _n=name, **kw: (ran.append(_n), _o(*a, **kw))[1])
    check((1, 6, h, w, 6, 3, (st_, st_), (1, 1), -128), "relu6", False, 1)
    check((2, 3, h, w, 6, 3, (st_, st_), (1, 1), 127), None, True, 2)
    assert ran == ([kernel] * 2 if vnni_form == 4 else ["run_strip"] * 2)


@pytest.mark.filterwarnings("ignore:Non-empty compiler output")
def test_mobilenet_v2_int8_every_layer_bit_exact(vnni_form):
    # a network whose layers take the new paths: at 96x96 the first depthwise layers have rows of
    # 48 and 24 columns (dwconv_strip_q on a VNNI device) and the first 1x1 layers 2304 pixels
    # (conv_pw with 4 vectors); the classifier is a one-pixel 1x1 (conv_pw1). Every int8 value of
    # the network, opencl against the reference.
    net = fo.models.get("mobilenet_v2", num_classes=10)
    rng = np.random.default_rng(5)
    qnet = net.quantize([rng.standard_normal((1, 3, 96, 96)).astype(np.float32) for _ in range(2)])
    x = rng.standard_normal((1, 3, 96, 96)).astype(np.float32)
    want = qnet.codes(x, device="reference")
    got = qnet.codes(x, device="opencl")
    assert want.keys() == got.keys() and len(want) > 50
    for k in want:
        np.testing.assert_array_equal(got[k][1], want[k][1], err_msg=k)
