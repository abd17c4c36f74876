"""Both forms of the OpenCL int8 pair product (kernels/opencl/pair_dot.h: the AVX2 builtin and the
portable OpenCL C) on any machine: each checked bit for bit against NumPy on the extreme and random
int8 operands the int8 kernels feed it. The builtin form runs where the device compiler targets
AVX2 and is skipped with the reason elsewhere; the portable form runs everywhere. Whole int8 layers
on both forms: tests/ops/test_conv2d.py::test_int8_pair_product_paths_on_opencl."""
import platform

import numpy as np
import pytest

from opencl_paths import pair_dot, use_pmaddwd

pytestmark = pytest.mark.filterwarnings("ignore:Non-empty compiler output")  # the portable form's x86 ABI note


def operands():
    rng = np.random.default_rng(3)
    edge = np.array([-128, 127, 0, -1, 1], np.int16)
    a = np.concatenate([rng.integers(-128, 128, (500, 16)), np.full((1, 16), -128), np.full((1, 16), 127),
                        rng.choice(edge, (50, 16))]).astype(np.int16)
    b = np.concatenate([rng.integers(-128, 128, (500, 16)), np.full((1, 16), -128), np.full((1, 16), -128),
                        rng.choice(edge, (50, 16))]).astype(np.int16)
    return a, b


@pytest.mark.parametrize("pmaddwd", [1, 0], ids=["builtin", "portable"])
def test_pair_dot_form_is_bit_exact(require, tmp_path, monkeypatch, pmaddwd):
    require("opencl")
    use_pmaddwd(monkeypatch, tmp_path, pmaddwd)
    a, b = operands()
    builtin, got = pair_dot(a, b)
    if pmaddwd and not builtin:
        pytest.skip(f"this OpenCL device's compiler does not target AVX2 ({platform.machine()}): the "
                    "builtin form is not compiled here, the portable one is (tested by [portable])")
    assert builtin == bool(pmaddwd)  # the switch is honoured: 0 always gives the portable form
    prod = a.astype(np.int32) * b.astype(np.int32)
    np.testing.assert_array_equal(got, prod[:, 0::2] + prod[:, 1::2])
