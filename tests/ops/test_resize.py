"""resize on every backend against the golden model (reference/resize.py), bit for bit: every mode,
coordinate transformation and nearest rounding, up- and down-sampling, one axis left alone; the
host path of a device without fp64; torch's interpolate for the modes it exports; bad input names
the argument."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops.reference import resize as ref


def _golden(x, size, scales, attrs):
    h, w = x.shape[2:]
    if scales is None:
        scales = (size[0] / h, size[1] / w)
    if size is None:
        size = (int(np.floor(h * scales[0])), int(np.floor(w * scales[1])))
    return ref.resize(x, x.shape[:2] + tuple(size), (1.0, 1.0) + tuple(scales), attrs)


def _attrs(mode, coord, nmode="round_prefer_floor"):
    return {"mode": mode, "coordinate_transformation_mode": coord, "nearest_mode": nmode}


def _same(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype
    assert got.tobytes() == want.tobytes(), f"max |diff| {np.max(np.abs(got.astype(float) - want)):.3e}"


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(1, 12), w=st.integers(1, 12),
       mode=st.sampled_from(ref.MODES), coord=st.sampled_from(ref.COORDS), nmode=st.sampled_from(ref.NEAREST),
       how=st.sampled_from(["size", "scales", "both"]), sh=st.sampled_from([0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 2.4]),
       sw=st.sampled_from([0.34, 1.0, 1.25, 2.0, 4.0]), int8=st.booleans(), seed=st.integers(0, 2**31))
def test_against_golden(backend, n, c, h, w, mode, coord, nmode, how, sh, sw, int8, seed):
    rng = np.random.default_rng(seed)
    int8 = int8 and mode == "nearest"
    x = rng.integers(-128, 128, (n, c, h, w)).astype(np.int8) if int8 else \
        rng.standard_normal((n, c, h, w)).astype(np.float32)
    size = (max(1, int(np.floor(h * sh))), max(1, int(np.floor(w * sw))))
    scales = (sh, sw)
    if how == "size":
        scales = None
    elif how == "scales":
        size = None
        if min(int(np.floor(h * sh)), int(np.floor(w * sw))) < 1:
            return  # an empty output: refused (test_bad_input)
    a = _attrs(mode, coord, nmode)
    got = fo.resize(x, size, scales=scales, mode=mode, coordinate_transformation_mode=coord, nearest_mode=nmode)
    _same(got, _golden(x, size, scales, a))


@pytest.mark.parametrize("nmode", ref.NEAREST)
def test_nearest_ties(backend, nmode):
    """Scale 2 half_pixel puts every source coordinate at a .25/.75 fraction and scale 0.5 at .5 ties
    (asymmetric at scale 2: .0/.5): the rounding rules differ exactly there."""
    x = np.arange(2 * 3 * 6 * 8, dtype=np.float32).reshape(2, 3, 6, 8)
    for coord in ("half_pixel", "asymmetric", "align_corners"):
        for scales in ((2.0, 2.0), (0.5, 0.5), (1.0, 2.0)):
            a = _attrs("nearest", coord, nmode)
            got = fo.resize(x, None, scales=scales, mode="nearest", coordinate_transformation_mode=coord,
                            nearest_mode=nmode)
            _same(got, _golden(x, None, scales, a))


def test_special_values_follow_the_golden_model(backend):
    x = np.array([[[[0.0, np.inf, -np.inf, 1.0], [np.nan, 2.0, -0.0, 3.0]]]], np.float32)
    for mode in ref.MODES:
        got = fo.resize(x, (4, 7), mode=mode)
        want = _golden(x, (4, 7), None, _attrs(mode, "half_pixel"))
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_array_equal(got[~np.isnan(got)], want[~np.isnan(want)])


def test_opencl_without_fp64_runs_on_the_host(require, monkeypatch):
    """resize.cl computes in double: a device without cl_khr_fp64 reports no resize family and the op
    takes the host path (the golden model), with the same bits."""
    require("opencl")
    dev = fo.get_device("opencl")
    x = np.random.default_rng(1).standard_normal((1, 2, 5, 6)).astype(np.float32)
    want = fo.resize(fo.to_device(x, "opencl"), (9, 4), mode="linear").numpy()
    assert dev.has_family("resize") == bool(dev.device.double_fp_config)

    class NoFp64:
        double_fp_config = 0

        def __getattr__(self, k):
            return getattr(dev.__dict__["device"], k)

    monkeypatch.setattr(dev, "device", NoFp64())
    assert not dev.has_family("resize")
    launched = []
    monkeypatch.setattr(type(dev), "run", lambda self, call: launched.append(call.family))
    got = fo.resize(fo.to_device(x, "opencl"), (9, 4), mode="linear").numpy()
    assert launched == [] and got.tobytes() == want.tobytes()


@pytest.mark.parametrize("torch_mode,align", [("nearest", None), ("bilinear", False), ("bilinear", True)])
def test_matches_torch_interpolate(backend, torch_mode, align):
    """The ONNX modes torch's F.interpolate exports: nearest = asymmetric + floor, bilinear =
    pytorch_half_pixel (align_corners=False) or align_corners (True)."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).standard_normal((2, 3, 9, 13)).astype(np.float32)
    for size in ((18, 26), (5, 7), (9, 20)):
        want = torch.nn.functional.interpolate(torch.from_numpy(x).double(), size=size, mode=torch_mode,
                                               align_corners=align).numpy()
        if torch_mode == "nearest":
            got = fo.resize(x, size, mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
            np.testing.assert_array_equal(got, want.astype(np.float32))
        else:
            coord = "align_corners" if align else "pytorch_half_pixel"
            got = fo.resize(x, size, mode="linear", coordinate_transformation_mode=coord)
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_bad_input(no_kernel_launch):
    x = np.zeros((1, 2, 3, 4), np.float32)
    cases = [
        (lambda: fo.resize(np.zeros((2, 3, 4), np.float32), (2, 2)), ValueError, "x"),
        (lambda: fo.resize(x), ValueError, "size"),
        (lambda: fo.resize(x, (2,)), TypeError, "size"),
        (lambda: fo.resize(x, (2, 2.5)), TypeError, "size"),
        (lambda: fo.resize(x, (0, 2)), ValueError, "size"),
        (lambda: fo.resize(x, scales=(0.1, 1.0)), ValueError, "scales"),
        (lambda: fo.resize(x, scales=(-1.0, 1.0)), ValueError, "scales"),
        (lambda: fo.resize(x, scales=(float("nan"), 1.0)), ValueError, "scales"),
        (lambda: fo.resize(x, scales=(1e30, 1.0)), ValueError, "scales"),
        (lambda: fo.resize(x, (2**20, 2**20)), ValueError, "size"),
        (lambda: fo.resize(x, (2, 2), mode=3), TypeError, "mode"),
        (lambda: fo.resize([[1.0]], (2, 2)), TypeError, "x"),
    ]
    for fn, exc, arg in cases:
        with pytest.raises(exc) as e:
            fn()
        assert e.value.argument == arg, (arg, e.value)
    with pytest.raises(fo.UnsupportedError, match="cubic"):
        fo.resize(x, (2, 2), mode="cubic")
    with pytest.raises(fo.UnsupportedError, match="float32"):
        fo.resize(np.zeros((1, 1, 2, 2), np.int8), (4, 4), mode="linear")
