"""softmax on every backend against the reference within reference.softmax.tolerance; NaN / Inf
rows as PyTorch; bad input names the argument."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops.reference import softmax as ref


@settings(max_examples=25)
@given(shape=st.lists(st.integers(1, 12), min_size=1, max_size=4), data=st.data(), scale=st.sampled_from([1, 30]),
       seed=st.integers(0, 2**31))
def test_any_axis(backend, shape, data, scale, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)
    got = fo.softmax(x, dim)
    want = ref.softmax(x, dim)
    assert got.shape == x.shape and got.dtype == np.float32
    assert np.all(np.abs(got.astype(np.float64) - want) <= ref.tolerance(x, want, dim))


@pytest.mark.parametrize("shape", [(1, 1000), (8, 1001), (2, 10), (3, 1)])
def test_classifier_heads(backend, shape):
    x = (np.random.default_rng(1).standard_normal(shape) * 8).astype(np.float32)
    got, want = fo.softmax(x), ref.softmax(x)
    assert np.all(np.abs(got.astype(np.float64) - want) <= ref.tolerance(x, want))


def test_nan_and_inf_rows(backend):
    x = np.array([[np.inf, 1.0], [-np.inf, -np.inf], [np.nan, 1.0], [1.0, 2.0], [-np.inf, 0.0]], np.float32)
    got = fo.softmax(x)
    want = ref.softmax(x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[3:], want[3:], rtol=1e-6)
    assert np.isnan(got[:3]).all() and got[4, 0] == 0 and got[4, 1] == 1


@pytest.mark.parametrize("call, arg, exc", [
    (lambda: fo.softmax(np.zeros((2, 3), np.float32), 2), "dim", ValueError),
    (lambda: fo.softmax(np.zeros((2, 3), np.float32), -3), "dim", ValueError),
    (lambda: fo.softmax(np.zeros((2, 3), np.float32), 1.0), "dim", TypeError),
    (lambda: fo.softmax(np.zeros((2, 3), np.float64)), "x", TypeError),
    (lambda: fo.softmax(np.zeros((2, 0), np.float32)), "x", ValueError),
])
def test_bad_input(no_kernel_launch, call, arg, exc):
    with pytest.raises(exc) as e:
        call()
    assert e.value.argument == arg


def test_int8_and_huge_rows_are_unsupported(no_kernel_launch):
    with pytest.raises(fo.UnsupportedError, match="float32"):
        fo.softmax(np.zeros((2, 3), np.int8))
    from fpgaops import config

    n = config.current().softmax.max_dim + 1
    with pytest.raises(fo.UnsupportedError, match="softmax.max_dim"):
        fo.softmax(np.zeros((1, n), np.float32))
