"""ShuffleNetV2's channel shuffle as one node (``fuse_channel_shuffle``, run by passes.optimize).

torchvision's InvertedResidual ends with ``channel_shuffle(cat(x1, branch(x2)), groups=2)`` and the
next block starts with ``x.chunk(2, dim=1)``. Exported and lowered, that is

    Concat(a, b; axis 1) -> View (N, 2, C/2, H, W) -> Transpose (0, 2, 1, 3, 4) -> View (N, C, H, W)
        [-> Slice [0, C/2) and Slice [C/2, C) of dim 1, or Split(axis 1, [C/2, C/2])]

five copies on the movement kernel (two for the Concat, one for the Transpose, two for the halves),
each a full read and write of the block's activations. Since a and b have C/2 channels each, the
shuffled tensor is the interleave of their channels: y[:, 2j] = a[:, j], y[:, 2j + 1] = b[:, j];
its halves are y[:, :C/2] and y[:, C/2:]. ``ChannelShuffle {split}`` computes exactly that in one
node: inputs [a, b], outputs [y] (``split`` False: the block that ends a stage, whose output is
read whole by the next stage's two branches) or [first half, second half] (``split`` True).

On opencl it is one launch of movement.cl's ``shuffle2_*`` (backends/opencl/movement.py
``channel_shuffle``); elsewhere the unfused ops run (``run_device``, ``run_numpy``), which define
the result. A copy moves bits, so both are the same bytes. The match is strict: any other group
count, axis, permutation, reshape, unequal halves, or an intermediate with another reader (or a
graph output) leaves the graph as it is.
"""
from ..backends.base import backend_of
from .ir import Node

PERM = [0, 2, 1, 3, 4]  # the channel shuffle's transpose of (N, groups, C/groups, H, W)


def _halves(g, users, value, c):
    """The two nodes that take the halves [0, c/2) and [c/2, c) of dim 1 of ``value`` (N, C, H, W):
    (first, second) Slice nodes, or (split,) a Split node; None if its readers are anything else."""
    h = c // 2
    rd = users.get(value, [])
    if value in g.outputs:
        return None
    if len(rd) == 1 and rd[0].op == "Split" and rd[0].attrs["axis"] % 4 == 1 and list(rd[0].attrs["sizes"]) == [h, h] \
            and len(rd[0].outputs) == 2 and all(rd[0].outputs):
        return (rd[0],)
    if len(rd) != 2 or any(n.op != "Slice" or n.inputs[0] != value for n in rd):
        return None
    got = {}
    for n in rd:
        a = n.attrs
        if list(a["dims"]) != [1] or list(a["steps"]) != [1]:
            return None
        got[(a["starts"][0], a["ends"][0])] = n
    if set(got) != {(0, h), (h, c)}:
        return None
    return got[(0, h)], got[(h, c)]


def fuse_channel_shuffle(g):
    """Concat -> View -> Transpose -> View [-> halves] -> one ``ChannelShuffle`` node (module docstring)."""
    users = g.consumers()

    def only_reader(value, op):
        rd = users.get(value, [])
        ok = len(rd) == 1 and rd[0].op == op and value not in g.outputs
        return rd[0] if ok else None

    dropped, replace = set(), {}
    for cat in g.nodes:
        if cat.op != "Concat" or len(cat.inputs) != 2 or cat.attrs["axis"] != 1:
            continue
        a, b = cat.inputs
        sa, sb = g.shapes.get(a), g.shapes.get(b)
        if a in g.consts or b in g.consts or sa is None or len(sa) != 4 or sa != sb:
            continue
        n, h, hh, ww = sa
        c = 2 * h
        v1 = only_reader(cat.outputs[0], "View")
        if v1 is None or tuple(v1.attrs["shape"]) != (n, 2, h, hh, ww):
            continue
        tr = only_reader(v1.outputs[0], "Transpose")
        if tr is None or list(tr.attrs["perm"]) != PERM:
            continue
        v2 = only_reader(tr.outputs[0], "View")
        if v2 is None or tuple(v2.attrs["shape"]) != (n, c, hh, ww):
            continue
        chain = [cat, v1, tr, v2]
        halves = _halves(g, users, v2.outputs[0], c)
        if halves is None:
            outs = list(v2.outputs[:1])
        elif len(halves) == 1:
            outs = list(halves[0].outputs)
        else:
            outs = [halves[0].outputs[0], halves[1].outputs[0]]
        chain += list(halves or ())
        node = Node(cat.name, "ChannelShuffle", [a, b], outs, {"split": halves is not None},
                    [o for m in chain for o in m.origin])
        replace[id(cat)] = node
        dropped.update(id(m) for m in chain[1:])
    if replace:
        g.nodes = [replace.get(id(m), m) for m in g.nodes if id(m) not in dropped]
    return g


# --- execution: the unfused ops, which define the result -----------------------------------------

def run_numpy(n, args):
    """The node's outputs (a list) in NumPy: the host op (lower.HOST_OPS) and the oracle."""
    import numpy as np

    a, b = (np.asarray(v) for v in args)
    nb, h, hh, ww = a.shape
    y = np.concatenate([a, b], axis=1).reshape(nb, 2, h, hh, ww).transpose(PERM).reshape(nb, 2 * h, hh, ww)
    return [np.ascontiguousarray(y[:, :h]), np.ascontiguousarray(y[:, h:])] if n.attrs["split"] else \
        [np.ascontiguousarray(y)]


def run_device(n, a, b):
    """The device op (devops.DEVICE_OPS): one launch where the backend's movement launcher has a
    ``channel_shuffle`` (opencl's shuffle2); elsewhere the unfused
    concat / permute / slices, whose bytes the kernel reproduces (a copy computes nothing)."""
    import fpgaops as fo

    dev = backend_of(a)
    split = n.attrs["split"]
    shuffle = getattr(dev.launcher("movement"), "channel_shuffle", None) \
        if dev is not None and dev.has_family("movement") else None
    if shuffle is not None:
        return shuffle(dev, a, b, split)
    nb, h, hh, ww = a.shape
    y = fo.permute(fo.concat([a, b], 1).reshape(nb, 2, h, hh, ww), PERM).reshape(nb, 2 * h, hh, ww)
    return [fo.slice(y, 1, 0, h), fo.slice(y, 1, h, 2 * h)] if split else y
