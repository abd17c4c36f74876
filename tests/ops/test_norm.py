"""layer_norm on every backend against the golden model (reference/norm.py) within
reference.norm.tolerance, and against torch's definition on a ConvNeXt-shaped case; bad input
names the argument."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops.reference import norm as ref


def _check(got, x, n, w, b, eps):
    want = ref.layer_norm(x, n, w, b, eps)
    assert got.shape == x.shape and got.dtype == np.float32
    err = np.abs(got.astype(np.float64) - want)
    tol = ref.tolerance(x, n, w, b, eps)
    assert np.all(err <= tol), f"max err {err.max():.3e}, worst ratio {np.max(err / tol):.2f}"


@settings(max_examples=25)
@given(lead=st.lists(st.integers(1, 6), min_size=0, max_size=3), norm=st.lists(st.integers(1, 40), min_size=1,
       max_size=2), affine=st.sampled_from(["none", "w", "wb"]), scale=st.sampled_from([1.0, 100.0]),
       offset=st.sampled_from([0.0, 50.0]), eps=st.sampled_from([1e-5, 1e-6]), seed=st.integers(0, 2**31))
def test_against_reference(backend, lead, norm, affine, scale, offset, eps, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(lead + norm) * scale + offset).astype(np.float32)
    w = rng.standard_normal(norm).astype(np.float32) if affine != "none" else None
    b = rng.standard_normal(norm).astype(np.float32) if affine == "wb" else None
    n = int(np.prod(norm))
    _check(fo.layer_norm(x, tuple(norm), w, b, eps), x, n, w, b, eps)


@pytest.mark.parametrize("shape", [(1, 56, 56, 96), (2, 7, 7, 768), (3, 1)])
def test_convnext_rows(backend, shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32)
    w, b = rng.standard_normal(shape[-1:]).astype(np.float32), rng.standard_normal(shape[-1:]).astype(np.float32)
    got = fo.layer_norm(x, shape[-1:], w, b, eps=1e-6)
    _check(got, x, shape[-1], w, b, 1e-6)
    torch = pytest.importorskip("torch")
    want = torch.nn.functional.layer_norm(torch.from_numpy(x).double(), shape[-1:], torch.from_numpy(w).double(),
                                          torch.from_numpy(b).double(), 1e-6).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_device_tensor_in_and_out(backend):
    x = np.random.default_rng(2).standard_normal((4, 10)).astype(np.float32)
    y = fo.layer_norm(fo.to_device(x, backend), 10)
    assert isinstance(y, fo.Tensor)
    _check(y.numpy(), x, 10, None, None, 1e-5)


X = np.zeros((2, 3, 4), np.float32)


@pytest.mark.parametrize("call, arg, exc", [
    (lambda: fo.layer_norm(X, (3,)), "normalized_shape", ValueError),
    (lambda: fo.layer_norm(X, (1, 2, 3, 4)), "normalized_shape", ValueError),
    (lambda: fo.layer_norm(X, ()), "normalized_shape", TypeError),
    (lambda: fo.layer_norm(X, 4.0), "normalized_shape", TypeError),
    (lambda: fo.layer_norm(X, 4, np.zeros(3, np.float32)), "weight", ValueError),
    (lambda: fo.layer_norm(X, 4, None, np.zeros(4, np.float64)), "bias", TypeError),
    (lambda: fo.layer_norm(X, 4, eps=-1.0), "eps", ValueError),
    (lambda: fo.layer_norm(X, 4, eps=np.inf), "eps", ValueError),
    (lambda: fo.layer_norm(X.astype(np.float64), 4), "x", TypeError),
    (lambda: fo.layer_norm(np.zeros((2, 0), np.float32), 0), "x", ValueError),
    (lambda: fo.layer_norm([1.0], 1), "x", TypeError),
])
def test_bad_input(no_kernel_launch, call, arg, exc):
    with pytest.raises(exc) as e:
        call()
    assert e.value.argument == arg


def test_int8_is_unsupported(no_kernel_launch):
    with pytest.raises(fo.UnsupportedError, match="float32"):
        fo.layer_norm(X.astype(np.int8), 4)
