"""concat / split / slice / permute / pad on every backend against the golden model
(reference/movement.py, NumPy), exactly: elements are moved as bits (float32 and int8, NaN
payloads included). Bad input names the argument."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops as fo
from fpgaops.reference import movement as ref

DTYPES = st.sampled_from([np.float32, np.int8])
SHAPES = st.lists(st.integers(1, 9), min_size=1, max_size=5)


def _data(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if dtype == np.int8:
        return rng.integers(-128, 128, shape).astype(np.int8)
    return rng.standard_normal(shape).astype(np.float32)


def _same(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype
    assert got.tobytes() == np.ascontiguousarray(want).tobytes()


@settings(max_examples=20)
@given(shape=SHAPES, dtype=DTYPES, data=st.data(), seed=st.integers(0, 2**31))
def test_concat(backend, shape, dtype, data, seed):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 6), min_size=1, max_size=4))
    xs = []
    for k, n in enumerate(sizes):
        s = list(shape)
        s[dim] = n
        xs.append(_data(s, dtype, seed + k))
    _same(fo.concat(xs, dim), ref.concat(xs, dim % len(shape)))


@settings(max_examples=20)
@given(shape=SHAPES, dtype=DTYPES, data=st.data(), seed=st.integers(0, 2**31))
def test_split(backend, shape, dtype, data, seed):
    dim = data.draw(st.integers(0, len(shape) - 1))
    x = _data(shape, dtype, seed)
    if data.draw(st.booleans()):
        size = data.draw(st.integers(1, shape[dim]))
        sizes = [min(size, shape[dim] - b) for b in range(0, shape[dim], size)]
        got = fo.split(x, size, dim)
    else:
        cuts = sorted(data.draw(st.sets(st.integers(1, shape[dim] - 1), max_size=3))) if shape[dim] > 1 else []
        sizes = list(np.diff([0] + cuts + [shape[dim]]))
        got = fo.split(x, [int(s) for s in sizes], dim)
    want = ref.split(x, sizes, dim)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        _same(g, w)


@settings(max_examples=25)
@given(shape=SHAPES, dtype=DTYPES, data=st.data(), seed=st.integers(0, 2**31))
def test_slice(backend, shape, dtype, data, seed):
    x = _data(shape, dtype, seed)
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True))
    starts, ends, steps = [], [], []
    for d in dims:
        n = shape[d]
        step = data.draw(st.sampled_from([1, 1, 2, 3, -1, -2]))
        s = data.draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
        e = data.draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
        if len(range(*slice(s, e, step).indices(n))) == 0:
            s, e = None, None
        starts.append(s), ends.append(e), steps.append(step)
    idx = [slice(None)] * x.ndim
    for d, s, e, stp in zip(dims, starts, ends, steps):
        idx[d] = slice(s, e, stp)
    _same(fo.slice(x, dims, starts, ends, steps), x[tuple(idx)])


@settings(max_examples=25)
@given(shape=st.lists(st.integers(1, 7), min_size=1, max_size=6), dtype=DTYPES, data=st.data(),
       seed=st.integers(0, 2**31))
def test_permute(backend, shape, dtype, data, seed):
    x = _data(shape, dtype, seed)
    dims = data.draw(st.permutations(range(len(shape))))
    _same(fo.permute(x, dims), ref.permute(x, dims))


@settings(max_examples=20)
@given(shape=SHAPES, dtype=DTYPES, data=st.data(), seed=st.integers(0, 2**31))
def test_pad(backend, shape, dtype, data, seed):
    x = _data(shape, dtype, seed)
    k = data.draw(st.integers(1, len(shape)))
    p = data.draw(st.lists(st.integers(0, 3), min_size=2 * k, max_size=2 * k))
    value = data.draw(st.integers(-128, 127)) if dtype == np.int8 else data.draw(st.sampled_from([0.0, -1.5, 3e38]))
    pairs = [(0, 0)] * len(shape)
    for j in range(k):
        pairs[len(shape) - 1 - j] = (p[2 * j], p[2 * j + 1])
    _same(fo.pad(x, p, value=value), ref.pad(x, pairs, value))


@pytest.mark.parametrize("shape", [(1, 232, 28, 28), (1, 2, 116, 28, 28), (1, 96, 56, 56), (3, 200003)])
def test_network_shapes(backend, shape):
    """Large copies as the networks issue them (channel concat at batch 1, channel shuffle,
    NCHW -> NHWC), split over several work-items; NaN payloads move unchanged."""
    x = _data(shape, np.float32, 3)
    x.reshape(-1)[::97] = np.nan
    if len(shape) == 5:
        _same(fo.permute(x, (0, 2, 1, 3, 4)), ref.permute(x, (0, 2, 1, 3, 4)))
    elif len(shape) == 4:
        _same(fo.permute(x, (0, 2, 3, 1)), ref.permute(x, (0, 2, 3, 1)))
        a, b = fo.split(x, shape[1] // 2, 1) if shape[1] % 2 == 0 else (x, x)
        _same(fo.concat([b, a], 1), ref.concat([x[:, shape[1] // 2:], x[:, :shape[1] // 2]], 1))
    else:
        _same(fo.concat([x, x[:1]], 0), ref.concat([x, x[:1]], 0))


def test_device_tensors_stay_on_the_device(backend):
    x = _data((2, 6, 3, 3), np.float32, 5)
    t = fo.to_device(x, backend)
    parts = fo.split(t, 3, 1)
    assert all(isinstance(p, fo.Tensor) for p in parts)
    y = fo.concat([fo.permute(parts[1], (0, 1, 3, 2)), parts[0]], 1)
    assert isinstance(y, fo.Tensor)
    _same(y.numpy(), np.concatenate([x[:, 3:].transpose(0, 1, 3, 2), x[:, :3]], 1))


X = np.zeros((2, 3, 4), np.float32)


@pytest.mark.parametrize("call, arg, exc", [
    (lambda: fo.concat([], 0), "tensors", TypeError),
    (lambda: fo.concat(X, 0), "tensors", TypeError),
    (lambda: fo.concat([X, X.astype(np.int8)], 0), "tensors[1]", TypeError),
    (lambda: fo.concat([X, np.zeros((2, 4, 4), np.float32)], 0), "tensors[1]", ValueError),
    (lambda: fo.concat([X, X], 3), "dim", ValueError),
    (lambda: fo.concat([X, np.zeros((2, 0, 4), np.float32)], 1), "tensors[1]", ValueError),
    (lambda: fo.concat([X, X.astype(np.float64)], 0), "tensors[1]", TypeError),
    (lambda: fo.split(X, 0, 1), "split_size_or_sections", ValueError),
    (lambda: fo.split(X, [1, 1], 1), "split_size_or_sections", ValueError),
    (lambda: fo.split(X, 1.5, 1), "split_size_or_sections", TypeError),
    (lambda: fo.split(X, 1, -4), "dim", ValueError),
    (lambda: fo.slice(X, 1, 2, 1), "end", ValueError),
    (lambda: fo.slice(X, 1, 0, 2, 0), "step", ValueError),
    (lambda: fo.slice(X, [1, 1], 0, 2), "dim", ValueError),
    (lambda: fo.slice(X, [0, 1], [0], 2), "start", ValueError),
    (lambda: fo.slice(X, 0, 0.5, 2), "start", TypeError),
    (lambda: fo.permute(X, (0, 1)), "dims", ValueError),
    (lambda: fo.permute(X, (0, 1, 1)), "dims", ValueError),
    (lambda: fo.permute(X, 0), "dims", TypeError),
    (lambda: fo.pad(X, (1,)), "pad", ValueError),
    (lambda: fo.pad(X, (1, 1), value=np.nan), "value", TypeError),
    (lambda: fo.pad(X.astype(np.int8), (1, 1), value=0.5), "value", ValueError),
    (lambda: fo.pad(X.astype(np.int8), (1, 1), value=300), "value", ValueError),
    (lambda: fo.permute(np.float32(1.0), ()), "x", TypeError),
    (lambda: fo.permute(np.zeros((), np.float32), ()), "x", ValueError),
])
def test_bad_input(no_kernel_launch, call, arg, exc):
    with pytest.raises(exc) as e:
        call()
    assert e.value.argument == arg


def test_cropping_pad_is_unsupported(no_kernel_launch):
    with pytest.raises(fo.UnsupportedError, match="fo.slice"):
        fo.pad(X, (-1, 0))
