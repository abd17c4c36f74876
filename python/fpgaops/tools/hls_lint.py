"""Synthesis-readiness checks of the HLS kernels: refuse what Vitis HLS cannot synthesize, or would
synthesize badly, in ``kernels/hls/``.

    python -m fpgaops.tools.hls_lint [--root CHECKOUT] [--json]      # exit status 1 on findings

Each rule, the AMD documentation it comes from and how to fix a finding: docs/hls_rules.md. The
checks read the code *as Vitis sees it*: every top of ``kernels/hls/top`` is parsed (libclang, the
``libclang`` wheel of the test extras) and compiled (``g++ -fsyntax-only``) with ``__SYNTHESIS__``
defined, so what only C-simulation compiles (the sim-only assert, the cycle counters) is out of view.
The open-source ap_types refuse ``__SYNTHESIS__`` (they are the simulation model), so the view
includes them, and the simulation ``hls_stream.h``, *before* defining it, as Vitis's own headers
would be. Only code under ``kernels/hls/include/fpgaops`` and ``kernels/hls/top`` is judged.

Rules (name: what is refused):
  dynamic-memory     new / delete / malloc / free and friends
  std-container      std::vector, deque, list, map, set, string, unique_ptr, function, ...
  recursion          a function that can call itself (directly or through others)
  virtual            virtual functions or virtual bases
  exception          throw / try / catch in the synthesis view
  synthesis-macro    __SYNTHESIS__ spelled outside fpgaops/sim_assert.hpp (one switch, one place)
  loop-label         a loop without a label
  loop-tripcount     a loop whose bound is not a compile-time constant, without LOOP_TRIPCOUNT
  dataflow-channel   in a DATAFLOW region, a stream, array or local variable with more than one
                     writer or more than one reader process
  maxi-port          an m_axi INTERFACE pragma without bundle= or depth=
  synthesis-view     a top that does not compile in the synthesis view
"""
import argparse
import dataclasses
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from . import hls_ast
from .hls_ast import Finding, Sources

RULES = ("dynamic-memory", "std-container", "recursion", "virtual", "exception", "synthesis-macro", "loop-label",
         "loop-tripcount", "dataflow-channel", "maxi-port", "synthesis-view")
SIM_MACRO_HOME = "sim_assert.hpp"


# ---- the synthesis view ---------------------------------------------------------------------------------------
def ap_types_dir():
    """ap_int.h / ap_fixed.h: $XILINX_HLS/include, else hls4ml's Apache-2.0 ap_types (found, not imported)."""
    import importlib.util
    import os

    if os.environ.get("XILINX_HLS") and Path(os.environ["XILINX_HLS"], "include", "ap_int.h").is_file():
        return Path(os.environ["XILINX_HLS"], "include")
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("ap_int.h: set XILINX_HLS or pip install hls4ml (the test extras)")
    return Path(list(spec.submodule_search_locations)[0], "templates", "vivado", "ap_types")


def generated_headers(root, out_dir, config=None):
    """fpgaops/config.hpp (of ``config``, a KernelConfig; default the checkout's base config) and
    fpgaops/winograd_matrices.hpp as the CMake build generates them."""
    from .. import config as cfgmod

    gen = Path(out_dir) / "fpgaops"
    gen.mkdir(parents=True, exist_ok=True)
    cfg = config if config is not None else cfgmod.load(root / "kernels" / "config" / "fpgaops.toml")
    (gen / "config.hpp").write_text(cfg.header())
    reference = root / "python" / "fpgaops" / "reference" / "winograd.py"  # a checkout's; else this package's
    if not reference.is_file():
        reference = Path(__file__).resolve().parents[1] / "reference" / "winograd.py"
    subprocess.run([sys.executable, str(root / "kernels" / "hls" / "gen" / "winograd_matrices.py"), "--source",
                    str(reference), "--header",
                    str(gen / "winograd_matrices.hpp")], check=True, capture_output=True)
    return Path(out_dir)


def include_args(root, gen_dir):
    sim = root / "kernels" / "hls" / "sim"
    return [f"-I{sim}", f"-I{root / 'kernels' / 'hls' / 'include'}", f"-I{gen_dir}", "-isystem", str(ap_types_dir())]


def prelude(source, ap_types=True):
    """The translation unit Vitis sees for ``source``: the simulation-model headers first, then the macro."""
    first = "#include <ap_int.h>\n#include <ap_fixed.h>\n" if ap_types else ""
    return f"{first}#include <hls_stream.h>\n#define __SYNTHESIS__ 1\n#include \"{Path(source).resolve()}\"\n"


def compile_synthesis_view(source, args, rel, ap_types=True):
    """g++ -fsyntax-only of ``source`` in the synthesis view: [] or one synthesis-view Finding."""
    with tempfile.NamedTemporaryFile("w", suffix=".cpp", delete=False) as f:
        f.write(prelude(source, ap_types))
    try:
        r = subprocess.run(["g++", "-fsyntax-only", "-std=c++14", "-Wno-unknown-pragmas", *args, f.name],
                           capture_output=True, text=True)
    finally:
        Path(f.name).unlink()
    if r.returncode == 0:
        return []
    errors = [ln for ln in r.stderr.splitlines() if "error" in ln][:3]
    return [Finding(rel, 1, "synthesis-view", "does not compile with __SYNTHESIS__: " + " | ".join(errors),
                    Path(source).name)]


# ---- pragma helpers (the AST has no pragmas: they are read from the source lines) ------------------------------
def maxi_findings(path, rel, src):
    """maxi-port: every m_axi INTERFACE pragma names its bundle and a depth (co-simulation memory size)."""
    out = []
    for i, text in enumerate(src.lines(path), 1):
        s = text.strip()
        if not re.match(r"#pragma\s+HLS\s+INTERFACE\b", s, re.I):
            continue
        if not re.search(r"(mode\s*=\s*m_axi|INTERFACE\s+m_axi)\b", s, re.I):
            continue
        missing = [k for k in ("bundle", "depth") if not re.search(rf"\b{k}\s*=", s, re.I)]
        if missing:
            port = re.search(r"\bport\s*=\s*(\w+)", s)
            name = port.group(1) if port else "?"
            out.append(Finding(rel, i, "maxi-port", f"m_axi port {name} has no "
                                                    f"{' and no '.join(k + '=' for k in missing)}", name))
    return out


def macro_findings(path, rel, src):
    if Path(path).name == SIM_MACRO_HOME:
        return []
    return [Finding(rel, i, "synthesis-macro", f"__SYNTHESIS__ is spelled only in fpgaops/{SIM_MACRO_HOME}",
                    "__SYNTHESIS__")
            for i, text in enumerate(src.lines(path), 1) if "__SYNTHESIS__" in text.split("//")[0]]


def lint_files(sources, root, judged, gen_dir=None, compile_view=True, ap_types=True):
    """All findings over the translation units ``sources`` (paths), judging code in ``judged`` files only."""
    root = Path(root)
    with tempfile.TemporaryDirectory() as tmp:
        gen = gen_dir or generated_headers(root, tmp)
        args = include_args(root, gen)
        src = Sources()
        found = set()

        def rel(path):
            p = Path(path).resolve()
            try:
                return str(p.relative_to(root.resolve()))
            except ValueError:
                return p.name

        for s in sources:
            tu = hls_ast.parse(prelude(s, ap_types), args)
            found.update(hls_ast.findings(tu, judged, rel, src))
            if compile_view:
                found.update(compile_synthesis_view(s, args, rel(s), ap_types))
        for path in judged:
            found.update(maxi_findings(path, rel(path), src))
            found.update(macro_findings(path, rel(path), src))
    return sorted(found)


def kernel_files(root):
    root = Path(root)
    tops = sorted((root / "kernels" / "hls" / "top").glob("*.cpp"))
    judged = tops + sorted((root / "kernels" / "hls" / "include" / "fpgaops").glob("*.hpp"))
    return tops, judged


def lint_tree(root=None):
    """The findings over a checkout's kernels/hls (default: this installation's kernel sources)."""
    from .. import config as cfgmod

    root = Path(root) if root else cfgmod.kernel_source_dir().parent
    tops, judged = kernel_files(root)
    return lint_files(tops, root, {str(p.resolve()) for p in judged})


def board_tops(root, board):
    """The synthesis view of the top files a board's xclbin compiles (v++ -c compiles a linked
    kernel's whole top file), with the board's resolved kernel config (platforms/<board>/kernel.toml):
    [] or one synthesis-view Finding per file that does not compile, e.g. a float32 top whose
    engine the board's MAC array does not fit."""
    from .. import kernels as kmod
    from .. import platforms

    root = Path(root)
    bc = platforms.kernel_config(board)
    specs = kmod.load(root / "kernels")
    sources = sorted({specs[k].source for k in bc.kernels})
    out = []
    with tempfile.TemporaryDirectory(prefix=f"hls_lint_{board}_") as tmp:
        gen = generated_headers(root, tmp, bc.config)
        for src in sources:
            path = root / "kernels" / "hls" / "top" / src
            out += compile_synthesis_view(path, include_args(root, gen), f"{board}: kernels/hls/top/{src}")
    return out


_GEN_CACHE = {}   # checkout root -> a TemporaryDirectory of generated headers, kept for the process


def _cached_gen(root):
    if root not in _GEN_CACHE:
        tmp = tempfile.TemporaryDirectory(prefix="hls_lint_gen_")
        generated_headers(root, tmp.name)
        _GEN_CACHE[root] = tmp
    return Path(_GEN_CACHE[root].name)


def lint_snippet(code, name="snippet.cpp", root=None, compile_view=False, ap_types=False):
    """The findings of one C++ snippet (tests): parsed in the synthesis view with the kernels' include
    paths (the ap_types and the g++ compile only when asked: they cost seconds per snippet)."""
    from .. import config as cfgmod

    root = Path(root) if root else cfgmod.kernel_source_dir().parent
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(code)
        return [dataclasses.replace(f, file=name) for f in
                lint_files([path], root, {str(path.resolve())}, _cached_gen(root), compile_view, ap_types)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", help="the checkout (default: this installation's kernel sources)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    found = lint_tree(args.root)
    if args.json:
        print(json.dumps([dataclasses.asdict(f) for f in found], indent=1))
    else:
        for f in found:
            print(f)
        print(f"hls_lint: {len(found)} finding(s)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
