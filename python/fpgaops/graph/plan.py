"""Activation buffer planning over a lowered graph.

Every non-constant value gets a lifetime [first write, last read] in node order; Views alias
their input (no buffer of their own: ``Tensor.reshape`` shares the device buffer). Buffers are
then assigned greedily, best fit first: a value reuses the smallest free buffer that holds it,
else a new one is created. The runner executes in the same order and drops every device tensor
after its last read, so the backend's allocator sees exactly this reuse pattern.
"""
import dataclasses

import numpy as np


@dataclasses.dataclass
class BufferPlan:
    assignment: dict        # value -> buffer index
    buffer_bytes: list      # size of each planned buffer
    last_use: dict          # value -> index of the last node reading it (len(nodes) for outputs)
    peak_live_bytes: int    # max over time of the bytes of live activations (the lower bound)
    naive_bytes: int        # every activation in its own buffer

    @property
    def planned_bytes(self):
        return sum(self.buffer_bytes)

    def __str__(self):
        mib = lambda b: f"{b / 2**20:.2f} MiB"
        return (f"activations: peak live {mib(self.peak_live_bytes)}, planned pool {mib(self.planned_bytes)} "
                f"in {len(self.buffer_bytes)} buffers, without reuse {mib(self.naive_bytes)}")


def plan(g, itemsize=4):
    root = {}  # alias root of each value
    for i in g.inputs:
        root[i] = i
    for n in g.nodes:
        for o in n.outputs:
            if o:
                root[o] = root.get(n.inputs[0], n.inputs[0]) if n.op == "View" and n.inputs[0] not in g.consts else o
    size = {v: int(np.prod(g.shapes[v], dtype=np.int64)) * itemsize for v in root if root[v] == v and v in g.shapes}
    first, last = {i: -1 for i in g.inputs}, {}
    for k, n in enumerate(g.nodes):
        for i in n.inputs:
            if i in root:
                last[root[i]] = k
        for o in n.outputs:
            if o in root and root[o] == o:
                first.setdefault(o, k)
    end = len(g.nodes)
    for o in g.outputs:
        if o in root:
            last[root[o]] = end
    for v in size:
        last.setdefault(v, first.get(v, -1))
    ends = {}
    for v in size:
        ends.setdefault(last[v], []).append(v)
    free, buffers, assign = [], [], {}
    live, peak = 0, 0
    for i in g.inputs:
        buffers.append(size[i])
        assign[i] = len(buffers) - 1
        live += size[i]
    peak = live
    for k, n in enumerate(g.nodes):
        for o in n.outputs:
            if o in size and first.get(o) == k:
                fits = [b for b in free if buffers[b] >= size[o]]
                if fits:
                    b = min(fits, key=lambda b: buffers[b])
                    free.remove(b)
                else:
                    buffers.append(size[o])
                    b = len(buffers) - 1
                assign[o] = b
                live += size[o]
        peak = max(peak, live)
        for v in ends.get(k, ()):
            if v in assign and assign[v] not in free:
                free.append(assign[v])
                live -= size[v]
    return BufferPlan(assign, buffers, last, peak, sum(size.values()))
