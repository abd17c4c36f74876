"""The conv2d golden model against independent formulations: direct loops, np.einsum over an
explicit im2col, torch.nn.functional.conv2d (when installed); the Winograd matrices against
their defining identity; the int8 epilogue against the quant module's rule."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fpgaops import quant
from fpgaops.reference import conv2d as ref
from fpgaops.reference import winograd as wino


def direct_loops(x, w, stride, pad, dilation, groups, out_hw, zp=0):
    """Seven nested loops, float64 / int64: the definition, nothing clever."""
    n, c, h, wd = x.shape
    k, cg, r, s = w.shape
    kg = k // groups
    oh, ow = out_hw
    integer = x.dtype == np.int8
    y = np.zeros((n, k, oh, ow), np.int64 if integer else np.float64)
    for b, kk, p, q in itertools.product(range(n), range(k), range(oh), range(ow)):
        g = kk // kg
        acc = 0
        for ci, i, j in itertools.product(range(cg), range(r), range(s)):
            hi = p * stride[0] - pad[0] + i * dilation[0]
            wi = q * stride[1] - pad[1] + j * dilation[1]
            if 0 <= hi < h and 0 <= wi < wd:
                xv = int(x[b, g * cg + ci, hi, wi]) - zp if integer else float(x[b, g * cg + ci, hi, wi])
                acc += xv * (int(w[kk, ci, i, j]) if integer else float(w[kk, ci, i, j]))
        y[b, kk, p, q] = acc
    return y


def einsum_im2col(x, w, stride, pad, dilation, groups, out_hw):
    """Explicit im2col matrix (gathered with index arrays) and one einsum per group."""
    n, c, h, wd = x.shape
    k, cg, r, s = w.shape
    oh, ow = out_hw
    hp = max(h + pad[0], (oh - 1) * stride[0] + (r - 1) * dilation[0] + 1)
    wp = max(wd + pad[1], (ow - 1) * stride[1] + (s - 1) * dilation[1] + 1)
    xp = np.zeros((n, c, hp, wp))
    xp[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + wd] = x
    rows = (np.arange(oh) * stride[0])[:, None] + (np.arange(r) * dilation[0])[None, :]   # (oh, r)
    cols = (np.arange(ow) * stride[1])[:, None] + (np.arange(s) * dilation[1])[None, :]   # (ow, s)
    patches = xp[:, :, rows[:, None, :, None], cols[None, :, None, :]]                      # n c oh ow r s
    kg = k // groups
    out = [np.einsum("ncpqrs,kcrs->nkpq", patches[:, g * cg:(g + 1) * cg], w[g * kg:(g + 1) * kg].astype(np.float64))
           for g in range(groups)]
    return np.concatenate(out, axis=1)


def geometry(h, w, r, s, stride, pad, dilation):
    oh = (h + 2 * pad[0] - dilation[0] * (r - 1) - 1) // stride[0] + 1
    ow = (w + 2 * pad[1] - dilation[1] * (s - 1) - 1) // stride[1] + 1
    return oh, ow


shapes = st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 9), st.integers(1, 9), st.integers(1, 3),
                   st.sampled_from([(1, 1), (3, 3), (5, 5), (1, 3), (2, 1)]), st.integers(1, 3), st.integers(1, 3),
                   st.integers(0, 2), st.integers(0, 2), st.integers(1, 2), st.integers(1, 2), st.sampled_from([1, 2]))


@settings(max_examples=40)
@given(shape=shapes, seed=st.integers(0, 2**31))
def test_reference_matches_direct_loops_and_einsum(shape, seed):
    n, cg, h, w, kg, (r, s), sh, sw, ph, pw, dh, dw, groups = shape
    oh, ow = geometry(h, w, r, s, (sh, sw), (ph, pw), (dh, dw))
    if oh < 1 or ow < 1:
        return
    rng = np.random.default_rng(seed)
    c, k = cg * groups, kg * groups
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((k, cg, r, s)).astype(np.float32)
    args = ((sh, sw), (ph, pw), (dh, dw), groups, (oh, ow))
    got = ref.accumulate(x, wt, *args)
    np.testing.assert_allclose(got, direct_loops(x, wt, *args[:-1], (oh, ow)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, einsum_im2col(x, wt, *args), rtol=1e-12, atol=1e-12)
    xi = rng.integers(-128, 128, (n, c, h, w), dtype=np.int8)
    wi = rng.integers(-128, 128, (k, cg, r, s), dtype=np.int8)
    zp = int(rng.integers(-128, 128))
    np.testing.assert_array_equal(ref.accumulate(xi, wi, *args, x_zero_point=zp),
                                  direct_loops(xi, wi, *args[:-1], (oh, ow), zp))


@settings(max_examples=25)
@given(shape=shapes, seed=st.integers(0, 2**31), act=st.sampled_from([None, "relu", "relu6"]))
def test_reference_matches_torch(shape, seed, act):
    torch = pytest.importorskip("torch")
    n, cg, h, w, kg, (r, s), sh, sw, ph, pw, dh, dw, groups = shape
    oh, ow = geometry(h, w, r, s, (sh, sw), (ph, pw), (dh, dw))
    if oh < 1 or ow < 1:
        return
    rng = np.random.default_rng(seed)
    c, k = cg * groups, kg * groups
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((k, cg, r, s)).astype(np.float32)
    b = rng.standard_normal(k).astype(np.float32)
    res = rng.standard_normal((n, k, oh, ow)).astype(np.float32)
    got = ref.conv2d_float(x, wt, b, (sh, sw), (ph, pw), (dh, dw), groups, (oh, ow), act, res)
    t = torch.nn.functional.conv2d(torch.from_numpy(x).double(), torch.from_numpy(wt).double(),
                                   torch.from_numpy(b).double(), (sh, sw), (ph, pw), (dh, dw), groups)
    t = t + torch.from_numpy(res).double()
    t = {None: t, "relu": torch.relu(t), "relu6": torch.clamp(t, 0, 6)}[act]
    np.testing.assert_allclose(got, t.numpy().astype(np.float32), rtol=1e-6, atol=1e-6)


# ---- Winograd -------------------------------------------------------------------------------

@pytest.mark.parametrize("m", wino.TILES)
def test_winograd_1d_identity_exact(m):
    """A^T [(G g) . (B^T d)] == the valid correlation of d with g, in exact rational arithmetic."""
    from fractions import Fraction as Fr

    bt, g, at = wino.exact(m)
    rng = np.random.default_rng(m)
    for _ in range(5):
        d = [Fr(int(v)) for v in rng.integers(-50, 50, m + 2)]
        f = [Fr(int(v)) for v in rng.integers(-50, 50, 3)]
        u = [sum(g[i][j] * f[j] for j in range(3)) for i in range(m + 2)]
        v = [sum(bt[i][j] * d[j] for j in range(m + 2)) for i in range(m + 2)]
        y = [sum(at[i][j] * u[j] * v[j] for j in range(m + 2)) for i in range(m)]
        assert y == [sum(d[i + j] * f[j] for j in range(3)) for i in range(m)]


@pytest.mark.parametrize("m", wino.TILES)
def test_winograd_conv_matches_direct(m):
    rng = np.random.default_rng(m)
    xp = rng.standard_normal((2, 3, 11, 9))
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    got = wino.conv2d(xp, w, m)
    want = ref.accumulate(xp.astype(np.float32), w, (1, 1), (0, 0), (1, 1), 1, (9, 7))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


def test_winograd_int8_is_exact_with_the_integer_filter_transform():
    rng = np.random.default_rng(0)
    xp = rng.integers(-255, 256, (1, 5, 10, 13))     # x - zp spans [-255, 255]
    w = rng.integers(-128, 128, (3, 5, 3, 3)).astype(np.int8)
    got = wino.conv2d(xp, w, 2, integer=True)
    want = direct_loops(xp.astype(np.float64), w.astype(np.float64), (1, 1), (0, 0), (1, 1), 1, (8, 11))
    np.testing.assert_array_equal(got, want.astype(np.int64))
    _, g2, _ = wino.int_matrices(2)
    assert np.array_equal(g2, 2 * wino.matrices(2)[1])


def test_winograd_int8_channel_limit_keeps_int32_exact():
    c = wino.INT8_MAX_CHANNELS
    assert wino.INT8_DIVISOR * c * 9 * 255 * 128 < 2**31 <= wino.INT8_DIVISOR * (c + 1) * 9 * 255 * 128


@pytest.mark.parametrize("m, integer", [(2, False), (4, False), (2, True)])
def test_generated_opencl_defines(m, integer):
    flags = wino.cl_defines(m, integer)
    assert all(" " not in f for f in flags)
    text = " ".join(flags)
    assert f"-DWINO_M={m}" in text and "-DWINO_BT(o,i)=" in text and "-DWINO_AT(o,i)=" in text
    # evaluate the generated G transform in Python and compare with the matrix
    g_flag = next(f for f in flags if f.startswith("-DWINO_G("))
    body = g_flag.split("=", 1)[1]
    vals = [1.5, -2.25, 0.75]
    out = {}
    import re
    for stmt in body.split(";"):
        lhs, rhs = stmt.split("=", 1)
        idx = int(re.search(r"o\((\d+)\)", lhs).group(1))
        expr = re.sub(r"i\((\d+)\)", lambda mm: repr(vals[int(mm.group(1))]), rhs)
        expr = re.sub(r"(0x[0-9a-fA-F.p+-]+)f", lambda mm: repr(float.fromhex(mm.group(1))), expr)
        expr = re.sub(r"(\d+\.0)f", r"\1", expr)
        out[idx] = eval(expr)  # noqa: S307 (our own generated arithmetic)
    g = wino.int_matrices(m)[1] if integer else wino.matrices(m)[1]
    np.testing.assert_allclose([out[i] for i in range(m + 2)], g @ np.array(vals), rtol=1e-7, atol=1e-7)


def test_hls_header_generated_from_the_same_matrices():
    text = wino.hls_header()
    assert "F4_BT[6][6]" in text and "F2_INT_G2[4][3]" in text and "F2_INT_DIVISOR = 4" in text


# ---- int8 epilogue ---------------------------------------------------------------------------

def test_int8_epilogue_uses_the_quant_rule():
    rng = np.random.default_rng(5)
    x = rng.integers(-128, 128, (1, 4, 6, 6), dtype=np.int8)
    w = rng.integers(-128, 128, (3, 4, 3, 3), dtype=np.int8)
    b = rng.integers(-1000, 1000, 3).astype(np.int32)
    mult = np.array([quant.quantize_multiplier(v)[0] for v in (0.01, 0.002, 0.03)], np.int32)
    shift = np.array([quant.quantize_multiplier(v)[1] for v in (0.01, 0.002, 0.03)], np.int32)
    geom = ((1, 1), (1, 1), (1, 1), 1, (6, 6))
    got = ref.conv2d_int8(x, w, b, *geom, x_zero_point=7, mult=mult, shift=shift, y_zero_point=-3)
    acc = direct_loops(x, w, (1, 1), (1, 1), (1, 1), 1, (6, 6), 7) + b[None, :, None, None]
    want = np.clip(((acc * mult[None, :, None, None] + (1 << (shift[None, :, None, None].astype(np.int64) - 1)))
                    >> shift[None, :, None, None]) - 3, -128, 127)
    np.testing.assert_array_equal(got, want.astype(np.int8))


def test_float_tolerance_is_not_vacuous():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 16, 8, 8)).astype(np.float32)
    w = rng.standard_normal((4, 16, 3, 3)).astype(np.float32)
    geom = ((1, 1), (1, 1), (1, 1), 1, (8, 8))
    tol = ref.tolerance(x, w, None, *geom)
    y = np.abs(ref.conv2d_float(x, w, None, *geom)).astype(np.float64)
    assert np.median(tol / np.maximum(y, 1e-3)) < 1e-3
