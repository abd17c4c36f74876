"""flatten and reshape: views without copies (no kernel launch) on every backend."""
import numpy as np
import pytest

import fpgaops as fo


def test_numpy_views(no_kernel_launch):
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    f = fo.flatten(x, 1)
    assert f.shape == (2, 60) and np.shares_memory(f, x)
    assert fo.flatten(x).shape == (120,)
    assert fo.flatten(x, 1, 2).shape == (2, 12, 5)
    assert fo.flatten(x, -2, -1).shape == (2, 3, 20)
    r = fo.reshape(x, (6, -1))
    assert r.shape == (6, 20) and np.shares_memory(r, x)
    assert fo.flatten(np.ones((), np.float32)).shape == (1,)


def test_tensor_views_share_the_device_buffer(backend):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = fo.to_device(x)
    f = fo.flatten(t, 1)
    assert isinstance(f, fo.Tensor) and f.shape == (2, 12) and f.handle is t.handle
    r = fo.reshape(t, (4, 6))
    assert r.handle is t.handle
    np.testing.assert_array_equal(r.numpy(), x.reshape(4, 6))
    np.testing.assert_array_equal(fo.relu(fo.flatten(t)).numpy(), x.reshape(-1))


@pytest.mark.parametrize("call, arg, exc", [
    (lambda: fo.flatten(np.zeros((2, 3)), 2), "start_dim", ValueError),
    (lambda: fo.flatten(np.zeros((2, 3)), 0, -3), "end_dim", ValueError),
    (lambda: fo.flatten(np.zeros((2, 3, 4)), 2, 1), "start_dim", ValueError),
    (lambda: fo.flatten(np.zeros((2, 3)), 0.5), "start_dim", TypeError),
    (lambda: fo.reshape(np.zeros((2, 3)), (4, 2)), "shape", ValueError),
    (lambda: fo.reshape(np.zeros((2, 3)), "a"), "shape", TypeError),
    (lambda: fo.reshape([1, 2], (2,)), "x", TypeError),
])
def test_bad_input(call, arg, exc):
    with pytest.raises(exc) as e:
        call()
    assert e.value.argument == arg
