"""The softmax golden model against PyTorch and its own invariants."""
import numpy as np
import pytest

from fpgaops.reference import softmax as ref


def test_rows_sum_to_one_and_shift_invariance():
    x = np.random.default_rng(0).standard_normal((5, 7, 3)) * 30
    for axis in (0, 1, 2, -1):
        y = ref.softmax(x, axis).astype(np.float64)
        np.testing.assert_allclose(y.sum(axis=axis), 1.0, rtol=1e-6)
        np.testing.assert_allclose(ref.softmax(x + 1000.0, axis), y, rtol=1e-5, atol=1e-30)


def test_matches_torch_on_finite_rows_and_the_definition_on_nan_and_inf_rows():
    """PyTorch on finite rows only (its exp on +-inf is its own, by CPU path). Special values by
    the definition (docs/pool_eltwise.md): a row holding NaN or +inf, or only -inf, is all NaN; a
    -inf element of an otherwise finite row is 0 and the rest is the softmax of the finite part."""
    x = np.random.default_rng(1).standard_normal((6, 9)).astype(np.float32) * 10
    torch = pytest.importorskip("torch")
    want = torch.softmax(torch.from_numpy(x), -1).numpy().astype(np.float64)
    y = ref.softmax(x, -1)
    # within the bound stated for any float32 implementation (PyTorch's exp differs by CPU path)
    assert np.all(np.abs(want - y) <= ref.tolerance(x, y))
    x[1, 3] = np.nan
    x[2, 4] = np.inf
    x[3, :] = -np.inf
    x[4, 0] = -np.inf
    got = ref.softmax(x, -1)
    assert np.isnan(got[1:4]).all() and not np.isnan(got[[0, 4, 5]]).any()
    assert got[4, 0] == 0
    np.testing.assert_allclose(got[4, 1:], ref.softmax(x[4:5, 1:], -1)[0], rtol=1e-6)
    np.testing.assert_array_equal(got[[0, 5]], ref.softmax(x[[0, 5]], -1))


def test_tolerance_accepts_float32_and_rejects_a_wrong_answer():
    x = (np.random.default_rng(2).standard_normal((4, 1000)) * 20).astype(np.float32)
    y = ref.softmax(x)
    e = np.exp(x - x.max(-1, keepdims=True))  # float32 throughout
    f32 = e / e.sum(-1, keepdims=True, dtype=np.float32)
    assert np.all(np.abs(f32.astype(np.float64) - y) <= ref.tolerance(x, y))
    assert not np.all(np.abs(y * 1.001 - y.astype(np.float64)) <= ref.tolerance(x, y))
