"""Synthesis-readiness checks (fpgaops.tools.hls_lint, docs/hls_rules.md): each rule on a small
positive and negative snippet, then the whole kernels/hls tree against an explicit list of the
violations known today. scripts/test.sh (and so CI) runs this file with the rest of pytest."""
import os
from pathlib import Path

import pytest

if os.environ.get("CI") != "true":
    pytest.importorskip("clang.cindex", reason="libclang (pip install libclang: the test extras) is not installed")

from fpgaops.tools import hls_lint  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

# Violations in today's kernels, file:rule:symbol -> why it is listed (the failure messages give
# file:line; the key leaves the line out so that an unrelated edit does not move a known entry). The
# lead trims this list as the kernels are fixed; the test fails on a finding not listed here AND on
# an entry no longer found, so the list can only shrink on purpose. Empty since the winograd block
# record became per process (block_of).
KNOWN = {}


def rules(code, **kw):
    return {f.rule for f in hls_lint.lint_snippet(code, root=ROOT, **kw)}


def lines(code, rule):
    return sorted(f.line for f in hls_lint.lint_snippet(code, root=ROOT) if f.rule == rule)


# ---- one rule at a time: (rule, bad snippet, good snippet) ------------------------------------------------------
CASES = {
    "dynamic-memory": (
        "#include <stdlib.h>\nvoid k(int n) {\n  int* a = new int[n];\n  delete[] a;\n"
        "  float* b = (float*)malloc(16);\n  free(b);\n}\n",
        "void k(int n) {\n  int a[16];\n  a[0] = n;\n}\n"),
    "std-container": (
        "#include <vector>\nint k(int n) {\n  std::vector<int> v(n);\n  return v[0];\n}\n",
        "#include <stdint.h>\nint k(int n) {\n  int32_t v[8] = {0};\n  return v[n & 7];\n}\n"),
    "recursion": (
        "int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }\n"
        "int even(int n);\nint odd(int n) { return n == 0 ? 0 : even(n - 1); }\n"
        "int even(int n) { return n == 0 ? 1 : odd(n - 1); }\n",
        "int sq(int n) { return n * n; }\nint k(int n) { return sq(n) + sq(n + 1); }\n"),
    "virtual": (
        "struct Op { virtual int f(int x) { return x; } };\nint k(Op& o) { return o.f(1); }\n",
        "struct Op { int f(int x) { return x; } };\nint k(Op& o) { return o.f(1); }\n"),
    "exception": (
        "int k(int n) {\n  if (n < 0) throw 1;\n  return n;\n}\n",
        # the project's sim-only assert throws only outside the synthesis view
        "#include \"fpgaops/sim_assert.hpp\"\nint k(int n) {\n  FPGAOPS_SIM_ASSERT(n >= 0, \"n = \" << n);\n"
        "  return n;\n}\n"),
    "loop-label": (
        "int k() {\n  int s = 0;\n  for (int i = 0; i < 8; i++) s += i;\n  return s;\n}\n",
        "int k() {\n  int s = 0;\nSUM:\n  for (int i = 0; i < 8; i++) s += i;\n  return s;\n}\n"),
    "loop-tripcount": (
        "int k(int n) {\n  int s = 0;\nSUM:\n  for (int i = 0; i < n; i++) {\n#pragma HLS PIPELINE II=1\n"
        "    s += i;\n  }\n  return s;\n}\n",
        "static const int MAX_N = 64;\nint k(int n) {\n  int s = 0;\nSUM:\n  for (int i = 0; i < n; i++) {\n"
        "#pragma HLS PIPELINE II=1\n#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_N\n    s += i;\n  }\n"
        "CONST:\n  for (int i = 0; i < MAX_N; i++) {\n    s += i;\n  }\n  return s;\n}\n"),
    "dataflow-channel": (
        "#include <hls_stream.h>\n"
        "void produce(hls::stream<int>& s, int& x) { s.write(1); x = 2; }\n"
        "void consume(hls::stream<int>& s, int x, int* y) { y[0] = s.read() + x; }\n"
        "void also(hls::stream<int>& s, int x, int* y) { y[1] = s.read() + x; }\n"
        "void k(int* y) {\n#pragma HLS DATAFLOW\n  hls::stream<int> s;\n  int x;\n"
        "  produce(s, x);\n  consume(s, x, y);\n  also(s, x, y);\n}\n",
        "#include <hls_stream.h>\n"
        "void produce(hls::stream<int>& s) { s.write(1); }\n"
        "void pass(hls::stream<int>& in, hls::stream<int>& out) { out.write(in.read()); }\n"
        "void consume(hls::stream<int>& s, int* y) { y[0] = s.read(); }\n"
        "void k(int* y) {\n#pragma HLS DATAFLOW\n  hls::stream<int> a, b;\n"
        "  produce(a);\n  pass(a, b);\n  consume(b, y);\n}\n"),
    "maxi-port": (
        "extern \"C\" void k(int* a) {\n#pragma HLS INTERFACE mode=m_axi port=a offset=slave\n  a[0] = 1;\n}\n",
        "extern \"C\" void k(int* a) {\n#pragma HLS INTERFACE mode=m_axi port=a bundle=gmem0 depth=16 offset=slave\n"
        "  a[0] = 1;\n}\n"),
    "synthesis-macro": (
        "#ifndef __SYNTHESIS__\nint k() { return 1; }\n#endif\n",
        "int k() { return 1; }\n"),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_refuses_the_bad_snippet_and_accepts_the_good(rule):
    bad, good = CASES[rule]
    assert rule in rules(bad), f"{rule}: not found in the bad snippet"
    assert rules(good) == set(), f"{rule}: the good snippet has findings {rules(good)}"


def test_findings_name_the_line():
    bad = CASES["dynamic-memory"][0]
    assert lines(bad, "dynamic-memory") == [3, 4, 5, 6]
    assert lines(CASES["recursion"][0], "recursion") == [1, 4]   # fact; the odd -> even cycle at even


def test_a_dataflow_scalar_read_by_two_processes_is_refused():
    # a scalar computed by one process and read by two (the tile coordinates)
    code = ("void coords(int t, int& p) { p = t * 2; }\nvoid load(int p, int* a) { a[p] = 0; }\n"
            "void store(int p, int* b) { b[p] = 1; }\n"
            "void k(int* a, int* b, int n) {\nTILES:\n  for (int t = 0; t < n; t++) {\n#pragma HLS DATAFLOW\n"
            "#pragma HLS LOOP_TRIPCOUNT min=1 max=8\n    int p;\n    coords(t, p);\n    load(p, a);\n    store(p, b);\n"
            "  }\n}\n")
    found = hls_lint.lint_snippet(code, root=ROOT)
    assert [(f.rule, f.line) for f in found] == [("dataflow-channel", 9)]
    assert "2 readers" in found[0].message and "load" in found[0].message and "store" in found[0].message


def test_loop_bounds_from_a_const_local_of_constants_are_static():
    code = ("static const int N = 8;\nint k(int n) {\n  const int m = N * 2;\n  int s = 0;\nA:\n"
            "  for (int i = 0; i < m; i++) s += i;\n  const int v = n + 1;\nB:\n  for (int i = 0; i < v; i++) s += i;\n"
            "  return s;\n}\n")
    assert lines(code, "loop-tripcount") == [9]


def test_the_synthesis_view_compile_catches_sim_only_code():
    code = "#include \"fpgaops/sim_assert.hpp\"\nint k() { return ::fpgaops::hw::detail::sim_assert_fail == 0; }\n"
    assert "synthesis-view" in rules(code, compile_view=True)
    assert rules("int k() { return 1; }\n", compile_view=True) == set()


# ---- the kernels -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tree_findings():
    return hls_lint.lint_tree(ROOT)


def test_every_top_compiles_in_the_synthesis_view(tree_findings):
    assert [str(f) for f in tree_findings if f.rule == "synthesis-view"] == []


def test_kernels_have_no_violation_beyond_the_known_list(tree_findings):
    new = [str(f) for f in tree_findings if f.key not in KNOWN]
    assert not new, "new synthesis-readiness violations (fix them, see docs/hls_rules.md):\n" + "\n".join(new)


def test_the_known_list_has_no_stale_entry(tree_findings):
    stale = sorted(set(KNOWN) - {f.key for f in tree_findings})
    assert not stale, "fixed or moved: remove these from KNOWN in tests/buildflow/test_hls_lint.py: " + ", ".join(stale)


@pytest.mark.parametrize("board", ["zcu104", "u50", "u250", "u280"])
def test_every_board_compiles_its_tops_with_its_config(board):
    # what v++ -c compiles for the board: the top files of its linked kernels, whole, with its
    # resolved kernel config (a float32 top in the same file as an int8 one is compiled too)
    assert hls_lint.board_tops(ROOT, board) == []
