"""The OpenCL Winograd GEMM at every register blocking it can be configured to (winograd.opencl.tb
x kv; on an AVX-512 device an even kv takes the 16-lane path of winograd.cl, an odd kv the 8-lane
one, elsewhere both take the 8-lane one; the ISA is forced both ways here), float32 within the reference tolerance and int8 bit-exact.
The launcher passes the blocking to the kernel (-DWINO_TB/-DWINO_KV), so patching its blocking()
here exercises the same code a different config file would."""
import numpy as np
import pytest

import fpgaops as fo
from test_conv2d import check_float

BLOCKINGS = [(1, 1), (3, 3), (6, 2), (5, 4), (8, 4), (4, 1)]   # (tb, kv)


@pytest.fixture
def opencl(require):
    require("opencl")
    with fo.device("opencl"):
        yield


@pytest.fixture(params=[(tb, kv, avx512) for tb, kv in BLOCKINGS for avx512 in (False, True)],
                ids=lambda p: f"tb{p[0]}-kv{p[1]}-{'avx512' if p[2] else 'avx2'}")
def blocking(request, monkeypatch, opencl):
    from fpgaops.backends.opencl import isa, winograd as wino_cl   # imports pyopencl: after the skip check

    tb, kv, avx512 = request.param
    monkeypatch.setattr(wino_cl, "blocking", lambda backend: (tb, kv))
    # both sides of the ISA branch on any CPU: -DFPGAOPS_AVX512 (from isa.detect) picks the 16-lane
    # path for an even kv; its float16 vectors are portable OpenCL, so it runs on AVX2 hosts too
    monkeypatch.setattr(isa, "detect", lambda be: isa.Isa(True, avx512, 0))
    return tb, kv


@pytest.mark.parametrize("algo", ["winograd_f2", "winograd_f4"])
def test_float32_blockings(opencl, blocking, algo):
    # K = 37 and 19 tiles: neither a multiple of any KB nor of any TB (padded tiles and channels)
    rng = np.random.default_rng(sum(blocking))
    x = rng.standard_normal((2, 21, 9, 11), dtype=np.float32)
    w = rng.standard_normal((37, 21, 3, 3), dtype=np.float32)
    b = rng.standard_normal(37, dtype=np.float32)
    res = rng.standard_normal((2, 37, 9, 11), dtype=np.float32)
    got = fo.conv2d(x, w, b, 1, 1, algo=algo, activation="relu", residual=res)
    check_float(got, x, w, b, (1, 1), (1, 1), (1, 1), 1, "relu", res, algo)


def test_int8_blockings(opencl, blocking):
    rng = np.random.default_rng(sum(blocking))
    x = rng.integers(-128, 128, (1, 19, 10, 7), dtype=np.int8)
    w = rng.integers(-127, 128, (29, 19, 3, 3), dtype=np.int8)
    b = rng.integers(-5000, 5000, 29, dtype=np.int32)
    q = dict(input_scale=0.02, input_zero_point=3, weight_scale=rng.uniform(0.001, 0.02, 29), output_scale=0.7,
             output_zero_point=-4)
    with fo.device("reference"):
        want = fo.conv2d(x, w, b, 1, 1, activation="relu", **q)
    got = fo.conv2d(x, w, b, 1, 1, algo="winograd_f2", activation="relu", **q)
    np.testing.assert_array_equal(np.asarray(got), want)
