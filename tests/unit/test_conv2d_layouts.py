"""The host side of the im2col tops' layouts (fpgaops.backends.csim.conv2d, used by the csim and xrt
launchers): channel-blocked activations round-trip, the slice-major weight layout puts every element
where conv2d.hpp reads it, and the width fold of the small-channel stem computes the same conv as the
NumPy reference (int8 bit-exactly), padding, stride and dilation included. No kernel runs here; the
csim tops themselves are checked by tests/ops/test_conv2d.py and hls_tests/conv2d_tb.cpp."""
import numpy as np
import pytest

from fpgaops.backends.csim import conv2d as L


@pytest.mark.parametrize("n, c, h, w, groups, b, g", [(1, 3, 5, 7, 1, 16, 4), (2, 12, 3, 9, 3, 4, 16),
                                                      (1, 64, 2, 3, 1, 64, 1), (1, 20, 4, 5, 2, 16, 1)])
def test_blocked_activations_round_trip_and_pad_with_zeros(n, c, h, w, groups, b, g):
    x = np.random.default_rng(0).integers(-128, 128, (n, c, h, w)).astype(np.int8)
    a = L.blocked_act(x, groups, b, g)
    cgp, wp = -(-(c // groups) // b) * b, -(-w // g) * g
    assert a.shape == (n, groups, cgp // b, h, wp, b)
    assert wp % g == 0                                            # every row starts on a bus word
    np.testing.assert_array_equal(L.unblocked_act(a, x.shape, groups, b, g), x)
    assert np.count_nonzero(a) == np.count_nonzero(x)             # padding channels and columns are zero
    cg = c // groups                                              # element (n, c, h, w) -> its vector lane
    assert a[0, (c - 1) // cg, ((c - 1) % cg) // b, h - 1, w - 1, ((c - 1) % cg) % b] == x[0, c - 1, h - 1, w - 1]


def test_slice_major_weights_follow_the_reduction_order():
    k, cg, r, s, b, tk, groups = 6, 5, 3, 2, 4, 16, 2
    wt = np.arange(k * cg * r * s, dtype=np.int32).reshape(k, cg, r, s) + 1
    out = L.blocked_weight(wt, b, groups, tk)
    cgp = 8
    nk = -(-cgp * r * s // tk)
    assert out.shape == (groups, nk, k // groups, tk)
    for kk in range(k):
        for ci in range(cg):
            for i in range(r):
                for j in range(s):
                    t = ((ci // b * r + i) * s + j) * b + ci % b    # conv2d.hpp's t = ((cb*R + i)*S + j)*B + c
                    assert out[kk // (k // groups), t // tk, kk % (k // groups), t % tk] == wt[kk, ci, i, j]
    assert np.count_nonzero(out) == wt.size


def test_fold_rule():
    assert L.folds_width(3, 7, 1, 16) and L.folds_width(3, 3, 1, 64)  # ResNet / MobileNetV2 stems
    assert not L.folds_width(64, 3, 1, 16)                           # whole blocks already
    assert not L.folds_width(3, 1, 1, 16)                            # 1x1: nothing to fold
    assert not L.folds_width(3, 3, 3, 16)                            # grouped: not folded
    # the tap fold: input images (C <= conv2d.fold_taps_max_channels) with fewer K blocks than the width fold
    assert L.fold_for(3, 7, 7, 1, 64, 4) == "taps"     # ResNet stem at PE 64: 3 blocks instead of 7
    assert L.fold_for(3, 3, 3, 1, 64, 4) == "taps"     # MobileNetV2 stem: 1 instead of 3
    assert L.fold_for(3, 3, 3, 1, 64, 0) == "width"    # the key set to 0: width fold only
    assert L.fold_for(3, 7, 7, 1, 16, 4) == "taps"     # PE 16: 10 blocks instead of 14
    assert L.fold_for(4, 1, 2, 1, 16, 4) == "width"    # 1x2 at PE 16: one block either way
    assert L.fold_for(8, 3, 3, 1, 64, 4) == "width"    # not an image: the window generator
    assert L.fold_for(3, 1, 1, 1, 64, 4) is None       # 1x1: nothing to fold
    assert L.fold_for(3, 3, 3, 3, 64, 4) is None       # grouped


@pytest.mark.parametrize("h, w, r, s, stride, pad, dil", [(11, 13, 7, 7, (2, 2), (3, 3), (1, 1)),
                                                          (9, 10, 3, 3, (2, 1), (1, 2), (1, 2)),
                                                          (6, 5, 2, 3, (1, 3), (0, 4), (2, 1))])
def test_folds_are_the_same_conv(h, w, r, s, stride, pad, dil):
    rng = np.random.default_rng(1)
    n, c, k = 2, 3, 5
    x = rng.integers(-128, 128, (n, c, h, w)).astype(np.int8)
    wt = rng.integers(-128, 128, (k, c, r, s)).astype(np.int8)
    oh = (h + 2 * pad[0] - dil[0] * (r - 1) - 1) // stride[0] + 1
    ow = (w + 2 * pad[1] - dil[1] * (s - 1) - 1) // stride[1] + 1
    zp = 7  # int8 padding holds the raw zero point, in the kernel and in the fold alike
    xf, wf = L.fold_width(x, wt, stride[1], pad[1], dil[1], ow, zp)
    assert xf.shape == (n, s * c, h, ow) and wf.shape == (k, s * c, r, 1)

    def acc(xx, ww, st, pd, dl):  # int64 direct conv of (x - zp), zero-padded (= raw codes padded with zp)
        xp = np.pad(xx.astype(np.int64) - zp, ((0, 0), (0, 0), (pd[0], pd[0]), (pd[1], pd[1])))
        out = np.zeros((n, k, oh, ow), np.int64)
        for i in range(ww.shape[2]):
            for j in range(ww.shape[3]):
                win = xp[:, :, i * dl[0]: i * dl[0] + (oh - 1) * st[0] + 1: st[0],
                         j * dl[1]: j * dl[1] + (ow - 1) * st[1] + 1: st[1]]
                out += np.einsum("nchw,kc->nkhw", win, ww[:, :, i, j].astype(np.int64))
        return out

    np.testing.assert_array_equal(acc(xf, wf, (stride[0], 1), (pad[0], 0), (dil[0], 1)), acc(x, wt, stride, pad, dil))
    xt, wtt = L.fold_taps(x, wt, stride, pad, dil, (oh, ow), zp)
    assert xt.shape == (n, r * s * c, oh, ow) and wtt.shape == (k, r * s * c, 1, 1)
    np.testing.assert_array_equal(acc(xt, wtt, (1, 1), (0, 0), (1, 1)), acc(x, wt, stride, pad, dil))
