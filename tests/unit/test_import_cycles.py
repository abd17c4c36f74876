"""No import cycles inside python/fpgaops: module dependencies run one way (shared helpers in
their own modules, presentation in textout.py / the CLI). Every import statement counts, including
the ones inside functions (a lazy import hides a cycle from the interpreter, not from a reader).
An edge goes to the imported module itself, not to the packages it sits in."""
import ast
from pathlib import Path

import fpgaops

ROOT = Path(fpgaops.__file__).resolve().parent.parent


def modules():
    """{dotted name: (path, is_package)} of every module of the fpgaops package."""
    out = {}
    for f in (ROOT / "fpgaops").rglob("*.py"):
        parts = list(f.relative_to(ROOT).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (f, is_pkg)
    return out


def imported(mod, is_pkg, node, known):
    """Dotted names of the fpgaops modules one import statement of ``mod`` loads."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = mod.split(".") if is_pkg else mod.split(".")[:-1]
        base = base[:len(base) - node.level + 1] if node.level else []
        prefix = ".".join(base + ([node.module] if node.module else []))
        # "from pkg import name": name is a submodule, or an attribute of pkg
        names = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names]
    out = set()
    for n in names:
        while n not in known and "." in n:
            n = n.rsplit(".", 1)[0]
        if n in known and n != mod:
            out.add(n)
    return out


def graph():
    known = modules()
    edges = {}
    for mod, (path, is_pkg) in known.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                deps |= imported(mod, is_pkg, node, known)
        edges[mod] = deps
    return edges


def cycles(edges):
    """Strongly connected components with more than one module (iterative Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_the_detector_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    known = {"fpgaops.x": None, "fpgaops.y": None, "fpgaops.y.z": None}
    node = ast.parse("from .y import z, f").body[0]
    assert imported("fpgaops.x", False, node, known) == {"fpgaops.y.z", "fpgaops.y"}


def test_no_import_cycles_in_fpgaops():
    edges = graph()
    assert "fpgaops.graph.runner" in edges and edges["fpgaops.graph.runner"]  # the parser sees imports
    found = cycles(edges)
    detail = "\n".join(" <-> ".join(c) + ": " + "; ".join(f"{m} -> {sorted(edges[m] & set(c))}" for m in c)
                       for c in found)
    assert not found, f"import cycles:\n{detail}"


def test_graph_holds_no_cli_code():
    assert not [p.name for p in (ROOT / "fpgaops" / "graph").glob("cli*.py")]
    edges = graph()
    assert not {m for m in edges if m.startswith("fpgaops.graph")
                and edges[m] & {"fpgaops.cli", "fpgaops.cli_nets", "fpgaops.cli_quant"}}
