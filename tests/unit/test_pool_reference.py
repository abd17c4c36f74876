"""The pooling golden model against independent math: PyTorch (when installed) over every
combination of small kernels, strides, paddings, dilations, ceil_mode and count_include_pad; a
brute-force window enumeration; the int8 rounding rule; and the streaming engine's open-row count
against a direct simulation of the engine's emission rule."""
import itertools

import numpy as np
import pytest

from fpgaops.reference import pool as ref


def brute_avg_int8(x, k, s, p, ceil_mode, cip, zp):
    """Direct definition: pad with the zero point, sum the window, divide with exact rounding."""
    n, c, h, w = x.shape
    oh, ow = ref.out_size(h, k, s, p, 1, ceil_mode), ref.out_size(w, k, s, p, 1, ceil_mode)
    out = np.empty((n, c, oh, ow), np.int8)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - p, j * s - p
            rows = [r for r in range(r0, r0 + k) if 0 <= r < h]
            cols = [q for q in range(c0, c0 + k) if 0 <= q < w]
            tot = x[:, :, rows][:, :, :, cols].astype(np.int64).sum(axis=(2, 3)) - zp * len(rows) * len(cols)
            div = (min(r0 + k, h + p) - r0) * (min(c0 + k, w + p) - c0) if cip else len(rows) * len(cols)
            from fractions import Fraction
            for a in range(n):
                for b in range(c):
                    f = Fraction(int(tot[a, b]), div)
                    out[a, b, i, j] = np.clip(zp + round(f), -128, 127)  # round(): half to even
    return out


def test_out_size_matches_pytorch_rule():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for h, k, s, p, d, cm in itertools.product([1, 2, 5, 8], [1, 2, 3], [1, 2, 3], [0, 1], [1, 2], [False, True]):
        if p > k // 2:
            continue
        o = ref.out_size(h, k, s, p, d, cm)
        try:
            want = F.max_pool2d(torch.zeros(1, 1, h, h), k, s, p, d, cm).shape[-1]
        except RuntimeError:
            want = 0
        assert max(o, 0) == want, (h, k, s, p, d, cm)


def specials(x):
    """x with a NaN, a +inf and a -inf planted (in different planes)."""
    x = x.copy()
    x[0, 0, 2, 3] = np.nan
    x[1, 1, 5, 6] = np.inf
    x[1, 2, 7, 7] = -np.inf
    return x


def brute_max(x, k, s, p, d, cm):
    """Max pooling by its definition (docs/pool_eltwise.md): the max of the window's in-bounds
    taps; NaN if any tap is NaN; -inf if the window holds padding only."""
    oh, ow = ref.out_size(x.shape[2], k, s, p, d, cm), ref.out_size(x.shape[3], k, s, p, d, cm)
    y = np.empty(x.shape[:2] + (oh, ow), np.float32)
    for i, j in itertools.product(range(oh), range(ow)):
        rows = [r for r in range(i * s - p, i * s - p + d * (k - 1) + 1, d) if 0 <= r < x.shape[2]]
        cols = [c for c in range(j * s - p, j * s - p + d * (k - 1) + 1, d) if 0 <= c < x.shape[3]]
        win = x[:, :, rows][:, :, :, cols].reshape(x.shape[:2] + (-1,))
        y[:, :, i, j] = -np.inf if win.shape[-1] == 0 else np.where(np.isnan(win).any(-1), np.nan, win.max(-1))
    return y


@pytest.mark.parametrize("cm", [False, True])
def test_max_pool_matches_pytorch(cm):
    """PyTorch on finite inputs over every small geometry (its special-value handling is its own
    and may differ by CPU path); NaN / +-inf against the definition, by brute force."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 11, 14)).astype(np.float32)
    for k, s, p, d in itertools.product([1, 2, 3, 4, 7], [1, 2, 3], [0, 1, 2, 3], [1, 2, 3]):
        if p > k // 2 or ref.out_size(11, k, s, p, d, cm) < 1 or ref.out_size(14, k, s, p, d, cm) < 1:
            continue
        want = F.max_pool2d(torch.from_numpy(x), k, s, p, d, cm).numpy()
        got = ref.max_pool2d(x, k, s, p, d, cm)
        np.testing.assert_array_equal(got, want, err_msg=str((k, s, p, d, cm)))
    xs = specials(x)
    for k, s, p, d in [(1, 1, 0, 1), (2, 2, 0, 1), (3, 2, 1, 1), (3, 1, 1, 2), (7, 3, 3, 1), (4, 3, 2, 3)]:
        np.testing.assert_array_equal(ref.max_pool2d(xs, k, s, p, d, cm), brute_max(xs, k, s, p, d, cm),
                                      err_msg=str((k, s, p, d, cm)))


@pytest.mark.parametrize("cm, cip", list(itertools.product([False, True], [False, True])))
def test_avg_pool_matches_pytorch(cm, cip):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = np.random.default_rng(1).standard_normal((2, 3, 13, 10)).astype(np.float32)
    for k, s, p in itertools.product([1, 2, 3, 5, 6], [1, 2, 4], [0, 1, 2, 3]):
        if p > k // 2 or ref.out_size(10, k, s, p, 1, cm) < 1:
            continue
        want = F.avg_pool2d(torch.from_numpy(x).double(), k, s, p, cm, cip).numpy()
        got = ref.avg_pool2d(x, k, s, p, cm, cip)
        np.testing.assert_allclose(got, want, rtol=2e-7, atol=1e-7, err_msg=str((k, s, p, cm, cip)))


def test_adaptive_avg_pool_matches_pytorch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = np.random.default_rng(2).standard_normal((2, 3, 9, 13)).astype(np.float32)
    for o in [1, (1, 1), (2, 3), (4, 5), (7, 7), (9, 13), (12, 20), (1, 13), (5, 1)]:
        want = F.adaptive_avg_pool2d(torch.from_numpy(x).double(), o).numpy()
        np.testing.assert_allclose(ref.adaptive_avg_pool2d(x, o), want, rtol=2e-7, atol=1e-7, err_msg=str(o))


def test_all_padding_window_with_dilation_is_minus_inf():
    # taps at -1 and 2 of a 2-row input: the window holds padding only (PyTorch gives -inf too)
    x = np.ones((1, 1, 2, 2), np.float32)
    got = ref.max_pool2d(x, (2, 1), 1, (1, 0), (3, 1))
    assert got.shape == (1, 1, 1, 2) and np.all(got == -np.inf)
    torch = pytest.importorskip("torch")
    want = torch.nn.functional.max_pool2d(torch.from_numpy(x), (2, 1), 1, (1, 0), (3, 1)).numpy()
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("k, s, p, cm, cip", [(3, 2, 1, True, True), (3, 2, 1, False, False), (2, 2, 0, False, True),
                                             (5, 3, 2, True, False), (4, 1, 2, True, True)])
def test_int8_avg_pool_rounds_half_to_even_exactly(k, s, p, cm, cip):
    rng = np.random.default_rng(3)
    x = rng.integers(-128, 128, (1, 2, 9, 8)).astype(np.int8)
    for zp in (-128, -3, 0, 77, 127):
        np.testing.assert_array_equal(ref.avg_pool2d(x, k, s, p, cm, cip, zero_point=zp),
                                      brute_avg_int8(x, k, s, p, cm, cip, zp))


def test_div_round_half_even():
    a = np.arange(-50, 51)
    for b in (1, 2, 3, 4, 9):
        want = np.array([round(__import__("fractions").Fraction(int(v), b)) for v in a])
        np.testing.assert_array_equal(ref.div_round_half_even(a, b), want)


def simulate_engine(ax):
    """The HLS vpool emission rule, simulated: the most output rows holding a slot at once."""
    def taps(i):
        return ax.taps(i)
    left = {i: len(taps(i)) for i in range(ax.o)}
    nxt, peak = 0, 1
    for r in range(ax.n):
        hit = [i for i in range(ax.o) if r in taps(i)]
        assert not hit or min(hit) >= nxt, "a row contributes to an output already emitted"
        if hit:
            peak = max(peak, max(hit) - nxt + 1)
        for i in hit:
            left[i] -= 1
        while nxt < ax.o and left[nxt] == 0:
            nxt += 1
    assert nxt == ax.o
    return peak


def test_open_rows_covers_the_engine():
    for n, k, s, p, d in itertools.product([1, 2, 5, 9], [1, 2, 3, 5], [1, 2, 3], [0, 1, 2], [1, 2, 3]):
        if p > k // 2:
            continue
        for cm in (False, True):
            o = ref.out_size(n, k, s, p, d, cm)
            if o < 1:
                continue
            ax = ref.Axis(n, o, k, s, p, d)
            assert ref.open_rows(ax) >= simulate_engine(ax), (n, k, s, p, d, cm)
    for n, o in itertools.product([1, 2, 3, 7, 10], [1, 2, 3, 7, 13]):
        ax = ref.Axis(n, o, ref.adaptive_bin(n, o), adaptive=True)
        assert ref.open_rows(ax) >= simulate_engine(ax), (n, o)


def test_avg_tolerance_is_tight_but_sufficient():
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((2, 2, 12, 12)) * 100).astype(np.float32)
    ah = aw = ref.Axis(12, 6, 3, 2, 1)
    exact = ref.pool2d(x, ref.AVG, ah, aw)
    tol = ref.tolerance(x, ah, aw)
    # a float32 left-to-right sum is inside the bound; a 1e-4 relative error is not
    f32 = np.zeros_like(exact)
    for i in range(6):
        for j in range(6):
            s = np.float32(0)
            for r in ah.taps(i):
                for c in aw.taps(j):
                    s = np.float32(s + x[0, 0, r, c])
            f32[0, 0, i, j] = s / np.float32(9)
    assert np.all(np.abs(f32[0, 0] - exact[0, 0]) <= tol[0, 0])
    assert not np.all(np.abs(exact * (1 + 1e-4) - exact) <= tol)
