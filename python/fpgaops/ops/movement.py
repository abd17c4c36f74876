"""Data movement: concat, split, slice, permute (transpose) and constant pad, float32 and int8.

    fo.concat([a, b], dim=1)              # torch.cat
    fo.split(x, [58, 58], dim=1)          # torch.split (a size or a list of sizes)
    fo.slice(x, 1, 0, 58)                 # x[:, 0:58]; dims/starts/ends/steps may be sequences
    fo.permute(x, (0, 2, 3, 1))           # torch.permute, a dense copy
    fo.pad(x, (1, 1, 2, 0), value=0.0)    # torch.nn.functional.pad, mode="constant"

Every op is one or more launches of one kernel, the strided copy of ``MoveCall``: concat copies
each input into its slice of the output, split and slice copy windows of the input, permute
reads the input with permuted strides, pad fills the output and copies the interior. Elements are
moved as bits, so every backend agrees exactly with the golden model (reference/movement.py).

Backends without movement kernels (csim and xrt: there is no HLS data mover yet) run the same
copies on the host: the buffers are read back, copied by NumPy and written again. The network
runner labels such nodes host ops (graph/devops.py ``on_device``).
"""
import builtins
import dataclasses
import numbers

import numpy as np

from .._validate import placement, to_device
from ..backends.base import KernelCall
from ..errors import ArgumentError, ArgumentTypeError, UnsupportedError
from ..reference import movement as ref
from ..tensor import Tensor
from .act_lut import check_input

MAX_RANK = 6  # dimensions of a copy after merging contiguous ones (the kernel's loop nest)


@dataclasses.dataclass
class MoveCall(KernelCall):
    """kind "copy": y[yoff + sum i_d ys_d] = x[xoff + sum i_d xs_d] over ``shape`` (rank MAX_RANK,
    strides in elements, 0 < shape[d]); kind "fill": every element of y = value."""

    family = "movement"
    kind: str
    x: Tensor | None
    y: Tensor
    shape: tuple = ()
    xs: tuple = ()
    ys: tuple = ()
    xoff: int = 0
    yoff: int = 0
    value: float = 0.0




def _run(dev, call):
    if dev.has_family("movement"):
        dev.run(call)
        return
    y = call.y.numpy().reshape(-1)  # the host path (module docstring)
    if call.kind == "fill":
        y[:] = call.value
    else:
        ref.strided_copy(call.x.numpy().reshape(-1), y, call.shape, call.xs, call.ys, call.xoff, call.yoff)
    dev.copy_in(call.y.handle, y)


def dense_strides(shape):
    st, run = [], 1
    for n in reversed(shape):
        st.append(run)
        run *= n
    return tuple(reversed(st))


def merge(shape, xs, ys):
    """(shape, xs, ys) with size-1 dimensions dropped and neighbours that are contiguous in both
    operands merged, left-padded to MAX_RANK; UnsupportedError if more than MAX_RANK remain."""
    dims = [(n, a, b) for n, a, b in zip(shape, xs, ys) if n != 1]
    out = []
    for n, a, b in dims:
        if out and out[-1][1] == a * n and out[-1][2] == b * n:
            m = out[-1][0]
            out[-1] = (m * n, a, b)
        else:
            out.append((n, a, b))
    if len(out) > MAX_RANK:
        raise UnsupportedError(f"x: a copy over {len(out)} non-mergeable dimensions (the kernel takes {MAX_RANK})")
    out = [(1, 0, 0)] * (MAX_RANK - len(out)) + out
    return tuple(d[0] for d in out), tuple(d[1] for d in out), tuple(d[2] for d in out)


def _copy(dev, x, y, shape, xs, ys, xoff=0, yoff=0):
    s, a, b = merge(shape, xs, ys)
    _run(dev, MoveCall("copy", x, y, s, a, b, int(xoff), int(yoff)))


def _int(name, v):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise ArgumentTypeError(name, f"expected an int, got {v!r}")
    return int(v)


def _dim(name, d, rank):
    d = _int(name, d)
    if not -rank <= d < rank:
        raise ArgumentError(name, f"expected {-rank} <= {name} < {rank} for a {rank}-D input, got {d}")
    return d % rank


def _ints(name, v):
    if isinstance(v, (tuple, list)):
        return [_int(name, e) for e in v]
    return [_int(name, v)]


def _input(x, name="x"):
    shape, dtype = check_input(x, name)
    if not shape:
        raise ArgumentError(name, "expected at least a 1-D array, got a 0-d one")
    return shape, dtype


def concat(tensors, dim=0):
    """``torch.cat``: the inputs joined along ``dim`` (same dtype; equal shapes elsewhere)."""
    if not isinstance(tensors, (tuple, list)) or not tensors:
        raise ArgumentTypeError("tensors", f"expected a non-empty list of arrays or Tensors, got {tensors!r}")
    infos = [_input(t, f"tensors[{k}]") for k, t in enumerate(tensors)]
    shape0, dtype = infos[0]
    dim = _dim("dim", dim, len(shape0))
    for k, (s, dt) in enumerate(infos[1:], 1):
        if dt != dtype:
            raise ArgumentTypeError(f"tensors[{k}]", f"dtype {dt} differs from tensors[0]'s {dtype}")
        if len(s) != len(shape0) or any(a != b for d, (a, b) in enumerate(zip(s, shape0)) if d != dim):
            raise ArgumentError(f"tensors[{k}]", f"shape {tuple(s)} does not match tensors[0]'s {tuple(shape0)} "
                                                 f"outside dim {dim}")
    out = list(shape0)
    out[dim] = sum(s[dim] for s, _ in infos)
    dev, as_tensor = placement(*tensors)
    y = dev.empty(tuple(out), dtype)
    ys, at = dense_strides(out), 0
    for t, (s, _) in zip(tensors, infos):
        _copy(dev, to_device(t, dev), y, s, dense_strides(s), ys, yoff=at * ys[dim])
        at += s[dim]
    return y if as_tensor else y.numpy()


def _window(x, shape, dtype, dims, starts, steps, out):
    """The copy of the window (starts, steps per dim) of x into a new dense tensor of shape ``out``."""
    dev, as_tensor = placement(x)
    tx = to_device(x, dev)
    y = dev.empty(tuple(out), dtype)
    xs = list(dense_strides(shape))
    xoff = sum(s * xs[d] for d, s in zip(dims, starts))
    for d, st in zip(dims, steps):
        xs[d] *= st
    _copy(dev, tx, y, out, xs, dense_strides(out), xoff=xoff)
    return y if as_tensor else y.numpy()


def slice(x, dim, start=None, end=None, step=1):  # noqa: A001  (the op's name, as ONNX Slice)
    """``x[..., start:end:step, ...]`` along ``dim`` with Python's slicing rules (negative
    indices count from the end, out-of-range ends are clamped, step may be negative); ``dim``,
    ``start``, ``end`` and ``step`` may be equal-length sequences to slice several dims at once.
    An empty result is an ArgumentError."""
    shape, dtype = _input(x)
    rank = len(shape)
    dims = [_dim("dim", d, rank) for d in (dim if isinstance(dim, (tuple, list)) else [dim])]
    if len(set(dims)) != len(dims):
        raise ArgumentError("dim", f"a dimension appears twice in {dim!r}")
    k = len(dims)

    def spread(name, v, default):
        vals = [default] * k if v is None else (list(v) if isinstance(v, (tuple, list)) else [v] * k)
        if len(vals) != k:
            raise ArgumentError(name, f"expected {k} values (one per dim), got {len(vals)}")
        return [e if e is None else _int(name, e) for e in vals]

    starts, ends, steps = spread("start", start, None), spread("end", end, None), spread("step", step, 1)
    out, lo = list(shape), []
    for d, s, e, st in zip(dims, starts, ends, steps):
        if st == 0:
            raise ArgumentError("step", "step must not be 0")
        b, stop, _ = builtins.slice(s, e, st).indices(shape[d])
        out[d] = len(range(b, stop, st))
        if out[d] == 0:
            raise ArgumentError("end", f"slice {s}:{e}:{st} of dim {d} (size {shape[d]}) is empty")
        lo.append(b)
    return _window(x, shape, dtype, dims, lo, steps, out)


def split(x, split_size_or_sections, dim=0):
    """``torch.split``: a tuple of pieces along ``dim``, each of ``split_size_or_sections``
    elements (the last may be smaller) or of the listed sizes (summing to the dim)."""
    shape, dtype = _input(x)
    dim = _dim("dim", dim, len(shape))
    n = shape[dim]
    if isinstance(split_size_or_sections, (tuple, list)):
        sizes = _ints("split_size_or_sections", split_size_or_sections)
        if not sizes or any(s < 1 for s in sizes) or sum(sizes) != n:
            raise ArgumentError("split_size_or_sections", f"sizes {sizes} must be >= 1 and sum to dim {dim}'s {n}")
    else:
        size = _int("split_size_or_sections", split_size_or_sections)
        if size < 1:
            raise ArgumentError("split_size_or_sections", f"expected a size >= 1, got {size}")
        sizes = [min(size, n - b) for b in range(0, n, size)]
    dev, _ = placement(x)
    tx = x if isinstance(x, Tensor) else to_device(x, dev)
    outs, at = [], 0
    for s in sizes:
        out = list(shape)
        out[dim] = s
        outs.append(_window(tx, shape, dtype, [dim], [at], [1], out))
        at += s
    return tuple(outs if isinstance(x, Tensor) else [o.numpy() for o in outs])


def permute(x, dims):
    """``torch.permute``: y.shape[i] = x.shape[dims[i]], copied densely."""
    shape, dtype = _input(x)
    rank = len(shape)
    if not isinstance(dims, (tuple, list)):
        raise ArgumentTypeError("dims", f"expected a tuple of ints, got {dims!r}")
    dims = [_dim("dims", d, rank) for d in dims]
    if sorted(dims) != list(range(rank)):
        raise ArgumentError("dims", f"{tuple(dims)} is not a permutation of the {rank} dimensions")
    dev, as_tensor = placement(x)
    tx = to_device(x, dev)
    out = tuple(shape[d] for d in dims)
    y = dev.empty(out, dtype)
    xs = dense_strides(shape)
    _copy(dev, tx, y, out, [xs[d] for d in dims], dense_strides(out))
    return y if as_tensor else y.numpy()


def pad(x, pad, value=0.0):  # noqa: A002
    """``torch.nn.functional.pad(x, pad, mode="constant", value=value)``: ``pad`` holds
    (before, after) pairs starting from the last dimension; sizes >= 0 (no cropping). int8
    tensors take an integer value in [-128, 127]."""
    shape, dtype = _input(x)
    rank = len(shape)
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or len(pad) // 2 > rank:
        raise ArgumentError("pad", f"expected an even number of sizes, at most 2 per dimension ({2 * rank}), "
                                   f"got {pad!r}")
    p = _ints("pad", list(pad))
    if any(v < 0 for v in p):
        raise UnsupportedError(f"pad: negative sizes (cropping) in {tuple(p)}; use fo.slice")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ArgumentTypeError("value", f"expected a finite number, got {value!r}")
    if dtype == np.int8 and (value != int(value) or not -128 <= value <= 127):
        raise ArgumentError("value", f"an int8 tensor is padded with an integer in [-128, 127], got {value!r}")
    before, after = [0] * rank, [0] * rank
    for k in range(len(p) // 2):
        before[rank - 1 - k], after[rank - 1 - k] = p[2 * k], p[2 * k + 1]
    out = tuple(n + b + a for n, b, a in zip(shape, before, after))
    dev, as_tensor = placement(x)
    tx = to_device(x, dev)
    y = dev.empty(out, dtype)
    if out != tuple(shape):
        _run(dev, MoveCall("fill", None, y, value=value))
    ys = dense_strides(out)
    _copy(dev, tx, y, shape, dense_strides(shape), ys, yoff=sum(b * s for b, s in zip(before, ys)))
    return y if as_tensor else y.numpy()
