"""The OpenCL device quantize and dequantize of the int8 runner (kernels/opencl/quant.cl) bit-exact against
fpgaops.quant on any length (chunks of several work-items and a partial last one), scale and zero
point, with ties of x / scale and saturating values."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops
from fpgaops import quant


@pytest.fixture
def opencl(require):
    require("opencl")
    return fpgaops.get_device("opencl")


@settings(max_examples=30)
@given(n=st.integers(1, 3000), scale=st.floats(1e-4, 10.0), zp=st.integers(-128, 127), seed=st.integers(0, 2**31))
def test_device_quantize_any_length_bit_exact(opencl, n, scale, zp, seed):
    rng = np.random.default_rng(seed)
    q = quant.QParams(scale, zp)
    s = np.float32(q.scale32)
    x = (rng.standard_normal(n) * 100 * s).astype(np.float32)
    ties = (rng.integers(-200, 200, n) + 0.5).astype(np.float32) * s  # x / scale at (or next to) k + 1/2
    x = np.where(rng.random(n) < 0.3, ties, x).astype(np.float32)
    # saturating values: +-inf, the largest floats (x / scale overflows float32, not float64)
    special = np.array([np.inf, -np.inf, 3.4e38, -3.4e38, 0.0, -0.0], np.float32)
    x = np.where(rng.random(n) < 0.05, special[rng.integers(0, special.size, n)], x).astype(np.float32)
    t = opencl.quantize_tensor(fpgaops.to_device(x), q.scale32, q.zero_point)
    if t is None:
        pytest.skip("the OpenCL device has no float64: the int8 runner converts on the host")
    np.testing.assert_array_equal(t.numpy(), quant.quantize(x, q))


@settings(max_examples=20)
@given(n=st.integers(1, 3000), scale=st.floats(1e-6, 1e3), zp=st.integers(-128, 127), seed=st.integers(0, 2**31))
def test_device_dequantize_any_length_bit_exact(opencl, n, scale, zp, seed):
    q = quant.QParams(scale, zp)
    codes = np.random.default_rng(seed).integers(-128, 128, n).astype(np.int8)
    t = opencl.dequantize_tensor(fpgaops.to_device(codes), q.scale32, q.zero_point)
    if t is None:
        pytest.skip("the OpenCL device has no float64: the int8 runner converts on the host")
    np.testing.assert_array_equal(t.numpy(), quant.dequantize(codes, q).astype(np.float32))
