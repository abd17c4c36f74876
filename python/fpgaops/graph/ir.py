"""The network IR: a flat, topologically ordered list of nodes over named values.

    Graph.nodes   [Node(name, op, inputs, outputs, attrs)]   in execution order
    Graph.consts  {value name: np.ndarray}                   initializers and folded constants
    Graph.shapes  {value name: tuple}                        filled by shape inference
    Graph.inputs / Graph.outputs                             value names

Node ops are ONNX op types as imported; graph passes lower them to a small set the runner
executes (see lower.py: ``Conv`` with fused bias/activation/residual, ``Act``, ``Add``/``Mul``
with an optional fused activation, ``Pool``, ``Gemm``/``MatMul``, ``Softmax``, ``View``; the
data-movement ops ``Concat``/``Split``/``Transpose``/``Resize``; ``Host`` and ``Fallback``).
Empty strings in ``inputs``/``outputs`` mark omitted optional ONNX inputs/outputs. Attributes
whose name starts with ``_`` are added by the importer (``_n_outputs`` of Split).
"""
import dataclasses

import numpy as np

from ..errors import FpgaopsError, UnsupportedError


class ModelError(FpgaopsError, ValueError):
    """The model file or graph is malformed: unreadable, cyclic, inconsistent shapes, missing
    tensors, unsafe external data, absurd sizes. ``node`` names the offending node if any."""

    def __init__(self, message, node=None):
        self.node = node
        super().__init__(f"node '{node}': {message}" if node else message)


class UnsupportedOpsError(UnsupportedError):
    """Load-time error listing every unsupported node as (name, op_type, reason)."""

    def __init__(self, nodes):
        self.nodes = list(nodes)
        lines = "\n".join(f"  {n!r} ({op}): {why}" for n, op, why in self.nodes)
        super().__init__(f"{len(self.nodes)} unsupported node(s) (pass allow_fallback=True to run them "
                         f"on the NumPy reference implementation):\n{lines}")


@dataclasses.dataclass
class Node:
    name: str
    op: str
    inputs: list
    outputs: list
    attrs: dict = dataclasses.field(default_factory=dict)
    # set by passes: the original ONNX nodes this node stands for (for profile / trace)
    origin: list = dataclasses.field(default_factory=list)

    def __post_init__(self):
        if not self.origin:
            self.origin = [self.name]


class Graph:
    def __init__(self, nodes, inputs, outputs, consts, input_shapes, opset=13, name="graph"):
        self.nodes = list(nodes)
        self.inputs = list(inputs)        # non-constant graph inputs
        self.outputs = list(outputs)
        self.consts = dict(consts)
        self.input_shapes = dict(input_shapes)  # declared; symbolic dims are None
        self.shapes = {}
        self.opset = opset
        self.name = name

    def copy(self):
        g = Graph([dataclasses.replace(n, inputs=list(n.inputs), outputs=list(n.outputs), attrs=dict(n.attrs),
                                       origin=list(n.origin)) for n in self.nodes],
                  self.inputs, self.outputs, self.consts, self.input_shapes, self.opset, self.name)
        g.shapes = dict(self.shapes)
        return g

    def producers(self):
        return {o: n for n in self.nodes for o in n.outputs if o}

    def consumers(self):
        """value name -> the nodes that read it, in graph order."""
        use = {}
        for n in self.nodes:
            for i in n.inputs:
                if i:
                    use.setdefault(i, []).append(n)
        return use

    def toposort(self):
        """Order nodes so every input is produced first (Kahn); ModelError on cycles or on
        values nobody produces."""
        known = set(self.inputs) | set(self.consts)
        prod = {}
        for n in self.nodes:
            for o in n.outputs:
                if not o:
                    continue
                if o in prod or o in known:
                    raise ModelError(f"value '{o}' is produced more than once", n.name)
                prod[o] = n
        deps, users = {}, {}
        for idx, n in enumerate(self.nodes):
            d = set()
            for i in n.inputs:
                if not i or i in known:
                    continue
                if i not in prod:
                    raise ModelError(f"input '{i}' is neither a graph input, an initializer nor a node output", n.name)
                d.add(id(prod[i]))
            deps[id(n)] = d
            for p in d:
                users.setdefault(p, []).append(n)
        import collections

        ready = collections.deque(n for n in self.nodes if not deps[id(n)])
        order, pending = [], {id(n): len(deps[id(n)]) for n in self.nodes}
        while ready:
            n = ready.popleft()
            order.append(n)
            for u in users.get(id(n), ()):
                pending[id(u)] -= 1
                if pending[id(u)] == 0:
                    ready.append(u)
        if len(order) != len(self.nodes):
            stuck = [n.name for n in self.nodes if pending[id(n)] > 0]
            raise ModelError(f"the graph has a cycle through node(s) {stuck[:8]}")
        self.nodes = order
        for o in self.outputs:
            if o not in prod and o not in known:
                raise ModelError(f"graph output '{o}' is never produced")
        return self

    def summary(self):
        lines = [f"graph {self.name}: inputs {[(i, self.input_shapes.get(i)) for i in self.inputs]}"]
        for n in self.nodes:
            shp = [self.shapes.get(o) for o in n.outputs]
            extra = {k: v for k, v in n.attrs.items() if not isinstance(v, np.ndarray)}
            lines.append(f"  {n.name:<40} {n.op:<10} {extra} -> {shp}")
        return "\n".join(lines)
