"""The OpenCL float32 depthwise kernels of the fixed geometries (3x3 / 5x5, stride 1 / 2; dwconv.cl):
dwconv_row (whole output rows as 8- or 16-lane vectors, on AVX-512 devices) and dwconv_strip (8
columns per work-item, everywhere else), each forced through its branch of the launcher's rule
(backends/opencl/dwconv.py row_shape) and checked against the NumPy reference."""
import types

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops import config

from test_conv2d import check_float, geometry, make_float

pytestmark = pytest.mark.filterwarnings("ignore:Non-empty compiler output")


def rule_call(ow, w=None, s=3, stride=1, pad_left=None, dtype=np.float32):
    return types.SimpleNamespace(dtype=dtype, ow=ow, w=ow * stride if w is None else w, s=s, stride_w=stride,
                                 pad_left=(s - 1) // 2 if pad_left is None else pad_left)


def test_row_rule(monkeypatch):
    # which kernel and row vectors each call gets, on a device with and without AVX-512 (forced)
    from fpgaops.backends.opencl import dwconv, isa
    cfg = config.current().dwconv.opencl
    for avx512 in (True, False):
        monkeypatch.setattr(isa, "detect", lambda be, a=avx512: isa.Isa(True, a, 0))
        pick = lambda *a, **kw: dwconv.row_shape(None, rule_call(*a, **kw))
        if not avx512:  # dwconv_strip everywhere (the row kernel is sized for 32 registers)
            assert pick(7) is None and pick(14, s=5) is None
            continue
        assert pick(1) == (8, 1) and pick(7) == (8, 1) and pick(8, s=5) == (8, 1)
        assert pick(9) == (16, 1) and pick(14, s=5, stride=2) == (16, 1) and pick(16) == (16, 1)
        assert pick(17) == (16, 2) and pick(28, stride=2) == (16, 2) and pick(56) == (16, 4)
        assert pick(cfg.row_max_ow) == (16, -(-cfg.row_max_ow // 16))
        assert pick(cfg.row_max_ow + 1) is None                          # too wide: dwconv_strip
        assert pick(14, pad_left=0) is None and pick(14, s=5, pad_left=1) is None  # other left padding
        assert pick(14, dtype=np.int8) is None                           # int8: its own kernels
        assert pick(7, w=17) is None                                     # input row past the vectors


def with_key(monkeypatch, tmp_path, **keys):
    """The current kernel config with dwconv.opencl keys changed."""
    src = config.default_path().read_text()
    for k, v in keys.items():
        line = f"\n{k} = {getattr(config.current().dwconv.opencl, k)}\n"
        assert src.count(line) == 1, k
        src = src.replace(line, f"\n{k} = {v}\n")
    path = tmp_path / "fpgaops.toml"
    path.write_text(src)
    monkeypatch.setattr(config, "_current", config.load(path))


def run_depthwise(monkeypatch, n, c, mult, h, w, r, stride, act, with_res, avx512, pad=None, seed=0):
    """The depthwise conv on opencl with isa.detect forced to ``avx512``, checked against the
    reference; returns the kernels the launcher ran, as (name, lanes, vectors)."""
    from fpgaops.backends.opencl import dwconv, isa
    monkeypatch.setattr(isa, "detect", lambda be: isa.Isa(True, avx512, 0))
    ran = []
    real_row, real_strip = dwconv.run_row, dwconv.run_strip

    def row(backend, call, defines, vw, nv):
        ran.append(("dwconv_row", vw, nv))
        return real_row(backend, call, defines, vw, nv)

    def strip(backend, call, defines, rb=None, vnni=False):
        ran.append(("dwconv_strip", 8, None))
        return real_strip(backend, call, defines, rb, vnni)

    monkeypatch.setattr(dwconv, "run_row", row)
    monkeypatch.setattr(dwconv, "run_strip", strip)
    rng = np.random.default_rng(seed)
    x, wt, b = make_float(rng, n, c, h, w, c * mult, r, r, c)
    pad = (r // 2, r // 2) if pad is None else pad
    oh, ow = geometry(h, w, r, r, (stride, stride), pad, (1, 1))
    res = rng.standard_normal((n, c * mult, oh, ow), dtype=np.float32) if with_res else None
    with fo.device("opencl"):
        got = fo.conv2d(x, wt, b, (stride, stride), pad, (1, 1), c, algo="dwconv", activation=act, residual=res)
    check_float(got, x, wt, b, (stride, stride), pad, (1, 1), c, act, res, "dwconv")
    return ran


# (n, c, mult, h, w, r, stride): the layers' sizes (7 / 14 / 28 / 56 / 112 wide), 8- and 16-lane rows,
# one to several vectors per row, strips of the output rows (row_acc / vectors) dividing the rows or
# not, the row width at and past a vector, batch > 1 and channel multipliers (c*mult, n*c*mult not a
# multiple of row_channels), tiny rows
ROW_SHAPES = [(1, 5, 1, 7, 7, 3, 1), (1, 3, 1, 7, 7, 5, 1), (2, 3, 2, 14, 14, 3, 2), (1, 17, 1, 14, 14, 5, 1),
              (1, 4, 1, 28, 28, 5, 2), (1, 3, 1, 28, 28, 3, 1), (2, 2, 1, 16, 16, 3, 1), (1, 2, 1, 9, 17, 5, 1),
              (1, 2, 1, 30, 33, 5, 2), (1, 2, 1, 12, 56, 3, 1), (1, 2, 3, 5, 112, 3, 2), (1, 1, 1, 6, 112, 5, 1),
              (1, 2, 1, 1, 1, 3, 1), (1, 2, 1, 2, 3, 5, 2), (1, 19, 1, 8, 8, 3, 2),
              # rows of 1-3 columns over several work-items: a whole 8-lane store would run past
              # the strip into the next channel's plane, another work-item's (the stores are masked)
              (1, 40, 1, 3, 3, 3, 2), (1, 40, 1, 3, 3, 3, 1), (2, 33, 1, 1, 1, 3, 1), (1, 36, 1, 4, 6, 5, 2)]


@pytest.mark.parametrize("n, c, mult, h, w, r, stride", ROW_SHAPES)
@pytest.mark.parametrize("avx512", [True, False], ids=["avx512-dwconv_row", "no_avx512-dwconv_strip"])
def test_float32_depthwise_row_and_strip(require, monkeypatch, n, c, mult, h, w, r, stride, avx512):
    require("opencl")
    acts = [(None, False), ("relu6", True), ("hardswish", False)]
    act, with_res = acts[(h + w + r + c) % len(acts)]
    ran = run_depthwise(monkeypatch, n, c, mult, h, w, r, stride, act, with_res, avx512, seed=h * 31 + w)
    ow = geometry(h, w, r, r, (stride, stride), (r // 2, r // 2), (1, 1))[1]
    if avx512:
        vw = 8 if ow <= 8 else 16
        assert ran == [("dwconv_row", vw, -(-ow // vw))]
    else:
        assert ran == [("dwconv_strip", 8, None)]


@pytest.mark.parametrize("pad, ow_cap", [((1, 0), None), ((2, 2), 8)], ids=["left-pad-0", "wider-than-row_max_ow"])
def test_float32_depthwise_strip_branches(require, monkeypatch, tmp_path, pad, ow_cap):
    # on AVX-512 too, dwconv_strip runs what dwconv_row does not take: another left padding, rows
    # wider than dwconv.opencl.row_max_ow (lowered here)
    require("opencl")
    if ow_cap:
        with_key(monkeypatch, tmp_path, row_max_ow=ow_cap)
    ran = run_depthwise(monkeypatch, 1, 3, 1, 11, 12, 3 if pad == (1, 0) else 5, 1, "relu", True, True, pad=pad)
    assert ran == [("dwconv_strip", 8, None)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 2), c=st.integers(1, 20), mult=st.sampled_from([1, 1, 2]), h=st.integers(1, 40),
       w=st.integers(1, 70), r=st.sampled_from([3, 5]), stride=st.sampled_from([1, 2]),
       act=st.sampled_from([None, "relu", "relu6", "hardswish", "sigmoid"]), with_res=st.booleans(),
       row_acc=st.sampled_from([1, 5, 14]), row_channels=st.sampled_from([1, 3, 16]))
def test_float32_depthwise_row_any_shape(require, monkeypatch, tmp_path, n, c, mult, h, w, r, stride, act, with_res,
                                         row_acc, row_channels):
    # dwconv_row with other work splits: output rows per strip (row_acc / vectors: 1 to the whole
    # image) and channels per work-item (row_channels)
    require("opencl")
    with monkeypatch.context() as m:
        with_key(m, tmp_path, row_acc=row_acc, row_channels=row_channels)
        ran = run_depthwise(m, n, c, mult, h, w, r, stride, act, with_res, True, seed=h * 71 + w)
    assert ran[0][0] == "dwconv_row"


@pytest.mark.parametrize("r, pad", [(3, (0, 1)), (5, (0, 2)), (3, (3, 1)), (5, (4, 2))])
@pytest.mark.parametrize("stride", [1, 2])
def test_float32_depthwise_row_top_padding(require, monkeypatch, r, pad, stride):
    # dwconv_row needs the left padding (S - 1) / 2 only: any top/bottom padding, including output
    # rows wholly in the padding (bias + activation of zero)
    require("opencl")
    ran = run_depthwise(monkeypatch, 1, 3, 1, 9, 13, r, stride, "relu6", False, True, pad=pad, seed=r + pad[0])
    assert [k for k, _, _ in ran] == ["dwconv_row"]
