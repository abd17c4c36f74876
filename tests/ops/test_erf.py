"""erf and gelu_exact on every backend against the golden model (reference/erf.py, math.erf in
float64) within reference.erf.tolerance, and gelu_exact against torch's GELU; bad input names the
argument."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops.reference import erf as ref


def _check(got, x, fn):
    want = (ref.gelu if fn == ref.GELU else ref.erf)(x)
    assert got.shape == x.shape and got.dtype == np.float32
    err = np.abs(got.astype(np.float64) - want)
    tol = ref.tolerance(x, fn)
    assert np.all(err <= tol), f"max err {err.max():.3e}, worst ratio {np.max(err / tol):.2f}"


@settings(max_examples=20)
@given(shape=st.lists(st.integers(1, 40), min_size=1, max_size=3), scale=st.sampled_from([0.1, 1.0, 4.0, 30.0]),
       fn=st.sampled_from([ref.ERF, ref.GELU]), seed=st.integers(0, 2**31))
def test_against_reference(backend, shape, scale, fn, seed):
    x = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)
    _check((fo.gelu_exact if fn == ref.GELU else fo.erf)(x), x, fn)


def test_special_values(backend):
    x = np.array([0.0, -0.0, np.inf, -np.inf, 1e-30, -1e-30, 6.0, -6.0, 10.0, -10.0], np.float32)
    np.testing.assert_array_equal(fo.erf(x)[2:4], [1.0, -1.0])
    g = fo.gelu_exact(x)
    assert g[2] == np.inf and g[3] == 0.0 and g[0] == 0.0
    _check(fo.erf(x[np.isfinite(x)]), x[np.isfinite(x)], ref.ERF)
    _check(fo.gelu_exact(x[np.isfinite(x)]), x[np.isfinite(x)], ref.GELU)
    assert np.isnan(fo.gelu_exact(np.array([np.nan], np.float32))[0])


def test_matches_torch_gelu(backend):
    torch = pytest.importorskip("torch")
    x = (np.random.default_rng(3).standard_normal(100003) * 3).astype(np.float32)
    want = torch.nn.functional.gelu(torch.from_numpy(x).double()).numpy()
    np.testing.assert_allclose(fo.gelu_exact(x), want, rtol=2e-6, atol=1e-7)


def test_bad_input(no_kernel_launch):
    with pytest.raises(TypeError) as e:
        fo.erf([1.0])
    assert e.value.argument == "x"
    with pytest.raises(ValueError) as e:
        fo.gelu_exact(np.zeros((0, 2), np.float32))
    assert e.value.argument == "x"
    with pytest.raises(fo.UnsupportedError, match="float32"):
        fo.gelu_exact(np.zeros(3, np.int8))
