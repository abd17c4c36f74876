"""The AST rules of fpgaops.tools.hls_lint, on libclang's parse of the synthesis view.

Pragmas are not in clang's AST, so the rules that need them (LOOP_TRIPCOUNT, DATAFLOW) read the
``#pragma HLS`` lines that open a body from the source text (the project's style puts a loop's or a
region's pragmas as the first lines inside its braces, docs/hls_rules.md).
"""
import dataclasses
import functools
import re
import subprocess
from pathlib import Path

import clang.cindex as ci

K = ci.CursorKind
T = ci.TypeKind
DYNAMIC_CALLS = {"malloc", "calloc", "realloc", "free", "alloca", "aligned_alloc", "posix_memalign"}
STD_CONTAINERS = {"vector", "deque", "list", "forward_list", "map", "multimap", "set", "multiset", "unordered_map",
                  "unordered_multimap", "unordered_set", "unordered_multiset", "basic_string", "string", "stack",
                  "queue", "priority_queue", "unique_ptr", "shared_ptr", "weak_ptr", "function", "valarray"}
STREAM_READS = {"read", "read_nb", "empty"}
STREAM_WRITES = {"write", "write_nb", "full"}
LOOPS = (K.FOR_STMT, K.WHILE_STMT, K.DO_STMT)
FUNCTIONS = (K.FUNCTION_DECL, K.CXX_METHOD, K.FUNCTION_TEMPLATE, K.CONSTRUCTOR, K.DESTRUCTOR)
CONSTANT_NAME = re.compile(r"[A-Z][A-Z0-9_]*")   # the project's spelling of compile-time constants


@dataclasses.dataclass(frozen=True, order=True)
class Finding:
    file: str      # path relative to the checkout root (or the snippet's name)
    line: int
    rule: str
    message: str
    symbol: str = ""   # what the finding is about: function, loop label, region/variable, port

    @property
    def key(self):
        """``file:rule:symbol``: what a list of known violations names. Not the line: a known
        violation must stay listed when an unrelated edit moves it, and only then."""
        return f"{self.file}:{self.rule}:{self.symbol}"

    def __str__(self):
        return f"{self.file}:{self.line}: [{self.rule}] {self.message}"


class Sources:
    """Source lines by file, and the leading ``#pragma HLS`` block of a ``{ ... }`` body."""

    def __init__(self):
        self._lines = {}

    def lines(self, path):
        if path not in self._lines:
            self._lines[path] = Path(path).read_text().splitlines()
        return self._lines[path]

    def leading_pragmas(self, path, brace_line):
        """The #pragma lines that open the body whose ``{`` is on ``brace_line`` (1-based)."""
        out = []
        for text in self.lines(path)[brace_line:]:
            s = text.strip()
            if not s or s.startswith("//"):
                continue
            if s.startswith("#pragma"):
                out.append(s)
                continue
            break
        return out


def has_pragma(pragmas, word):
    return any(re.search(rf"#pragma\s+HLS\s+{word}\b", p, re.I) for p in pragmas)


@functools.lru_cache(maxsize=1)
def _compiler_include():
    """stddef.h & co.: the pip libclang has no resource headers; GCC's are ABI-compatible for parsing."""
    try:
        return subprocess.run(["gcc", "-print-file-name=include"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def parse(code, args):
    """libclang's translation unit of ``code`` (the synthesis-view prelude of a top)."""
    extra = ["-isystem", _compiler_include()] if _compiler_include() else []
    return ci.Index.create().parse("synthesis_view.cpp", args=["-x", "c++", "-std=c++14", *args, *extra],
                                   unsaved_files=[("synthesis_view.cpp", code)])


def _file(c):
    f = c.location.file
    return str(Path(f.name).resolve()) if f else None


def _key(c):
    """A declaration's identity across cursors (decl and uses): its USR, else its location."""
    return c.get_usr() or (c.location.file.name if c.location.file else "", c.location.line, c.location.column)


def _unwrap(c):
    while c.kind in (K.UNEXPOSED_EXPR, K.PAREN_EXPR) and len(list(c.get_children())) == 1:
        c = next(c.get_children())
    return c


def _name(fn):
    """A function's name for finding keys: Class::method, or the function's name."""
    if fn is None:
        return "<file scope>"
    parent = fn.semantic_parent
    if parent is not None and parent.kind in (K.CLASS_DECL, K.STRUCT_DECL, K.CLASS_TEMPLATE):
        return f"{parent.spelling}::{fn.spelling}"
    return fn.spelling


def _head_tokens(fn):
    """The tokens of a function definition before its body (specifiers such as constexpr)."""
    out = []
    for t in fn.get_tokens():
        if t.spelling == "{":
            break
        out.append(t.spelling)
    return out


def _in_std(decl):
    p = decl.semantic_parent
    while p is not None and p.kind != K.TRANSLATION_UNIT:
        if p.kind == K.NAMESPACE and p.spelling == "std":
            return True
        p = p.semantic_parent
    return False


def _params(fn):
    return [c for c in fn.get_children() if c.kind == K.PARM_DECL]


def _callee(call):
    """The function a CALL_EXPR calls (its definition when known), or None (dependent / overloaded)."""
    ref = call.referenced
    if ref is None:
        for ch in call.get_children():
            ch = _unwrap(ch)
            if ch.kind in (K.DECL_REF_EXPR, K.MEMBER_REF_EXPR) and ch.referenced is not None:
                ref = ch.referenced
            break
    if ref is None or ref.kind not in FUNCTIONS:
        return None
    d = ref.get_definition()
    return d if d is not None else ref


def _element_const(t):
    t = t.get_canonical()
    while t.kind in (T.POINTER, T.LVALUEREFERENCE, T.RVALUEREFERENCE, T.CONSTANTARRAY, T.INCOMPLETEARRAY,
                     T.DEPENDENTSIZEDARRAY, T.VARIABLEARRAY):
        if t.is_const_qualified():
            return True
        t = t.get_pointee() if t.kind in (T.POINTER, T.LVALUEREFERENCE, T.RVALUEREFERENCE) else t.element_type
        t = t.get_canonical() if t.kind != T.INVALID else t
    return t.is_const_qualified()


def _is_stream(t):
    return "stream<" in t.spelling or "stream<" in t.get_canonical().spelling


def _is_aggregate_channel(t):
    """Arrays and pointers: memories (PIPOs, m_axi buffers) a DATAFLOW region hands between processes."""
    return t.get_canonical().kind in (T.POINTER, T.CONSTANTARRAY, T.INCOMPLETEARRAY, T.DEPENDENTSIZEDARRAY) or \
        t.kind in (T.CONSTANTARRAY, T.DEPENDENTSIZEDARRAY, T.INCOMPLETEARRAY)


class _Checker:
    def __init__(self, judged, rel, src):
        self.judged, self.rel, self.src = judged, rel, src
        self.out = set()
        self.calls = {}      # function key -> set of callee keys
        self.where = {}      # function key -> (cursor, name)
        self.constexpr = set()   # constexpr functions: evaluated by the compiler, never hardware

    def add(self, c, rule, msg, symbol=None):
        self.out.add(Finding(self.rel(_file(c)), c.location.line, rule, msg, symbol or c.spelling or ""))

    # -- the walk ---------------------------------------------------------------------------------------------
    def walk(self, c, parent=None, fn=None):
        for ch in c.get_children():
            f = _file(ch)
            if f is not None and f not in self.judged:
                continue
            self.visit(ch, c, fn)

    def visit(self, c, parent, fn):
        k = c.kind
        if k in FUNCTIONS and c.is_definition():
            fn = c
            if "constexpr" in _head_tokens(c):
                self.constexpr.add(_key(c))
            self.where[_key(c)] = (c, c.spelling)
            self.calls.setdefault(_key(c), set())
            if k == K.CXX_METHOD and c.is_virtual_method():
                self.add(c, "virtual", f"virtual function {c.spelling}: no virtual dispatch in hardware")
            body = next((b for b in c.get_children() if b.kind == K.COMPOUND_STMT), None)
            if body is not None:
                self.region(body, c)
        elif k == K.CXX_METHOD and c.is_virtual_method():
            self.add(c, "virtual", f"virtual function {c.spelling}: no virtual dispatch in hardware")
        elif k == K.CXX_BASE_SPECIFIER and any(t.spelling == "virtual" for t in c.get_tokens()):
            self.add(c, "virtual", f"virtual base {c.spelling}")
        elif k in (K.CXX_NEW_EXPR, K.CXX_DELETE_EXPR):
            self.add(c, "dynamic-memory", f"{'new' if k == K.CXX_NEW_EXPR else 'delete'}: dynamic memory "
                                          f"cannot be synthesized; use a fixed-size array sized from the config",
                     _name(fn))
        elif k in (K.CXX_THROW_EXPR, K.CXX_TRY_STMT, K.CXX_CATCH_STMT):
            self.add(c, "exception", "exceptions are not synthesizable (FPGAOPS_SIM_ASSERT is the sim-only check)",
                     _name(fn))
        elif k == K.CALL_EXPR:
            self.call(c, fn)
        elif k in (K.TEMPLATE_REF, K.TYPE_REF) and c.referenced is not None:
            ref = c.referenced
            if ref.spelling in STD_CONTAINERS and _in_std(ref):
                self.add(c, "std-container", f"std::{ref.spelling}: standard containers allocate dynamically",
                         f"{_name(fn)}/std::{ref.spelling}")
        elif k in LOOPS and (fn is None or _key(fn) not in self.constexpr):
            self.loop(c, parent, fn)
        self.walk(c, parent=c, fn=fn)

    def call(self, c, fn):
        if c.spelling in DYNAMIC_CALLS:
            ref = c.referenced
            if ref is None or _file(ref) not in self.judged:
                self.add(c, "dynamic-memory", f"{c.spelling}(): dynamic memory cannot be synthesized", _name(fn))
        callee = _callee(c)
        if fn is not None and callee is not None:
            self.calls[_key(fn)].add(_key(callee))

    # -- loops ------------------------------------------------------------------------------------------------
    def loop(self, c, parent, fn=None):
        what = {K.FOR_STMT: "for", K.WHILE_STMT: "while", K.DO_STMT: "do"}[c.kind]
        line = self.src.lines(_file(c))[c.location.line - 1]
        if not line[c.location.column - 1:].startswith(what):
            return  # expanded from a macro (the do { } while (0) of a statement macro): not a loop of the code
        kids = list(c.get_children())
        label = parent.spelling if parent is not None and parent.kind == K.LABEL_STMT else None
        if label is None:
            self.add(c, "loop-label", f"{what} loop without a label (reports and pragmas name loops by label)",
                     _name(fn))
        body = kids[0] if c.kind == K.DO_STMT else kids[-1]
        pragmas = self.src.leading_pragmas(_file(body), body.extent.start.line) if body.kind == K.COMPOUND_STMT \
            else []
        if c.kind == K.DO_STMT:
            heads, loop_vars = kids[1:], set()
        else:
            heads = kids[:-1]
            loop_vars = {_key(v) for h in heads if h.kind == K.DECL_STMT for v in h.get_children()
                         if v.kind == K.VAR_DECL}
        const = all(self.constant(h, loop_vars) for h in heads) and c.kind == K.FOR_STMT
        if not const and not has_pragma(pragmas, "LOOP_TRIPCOUNT"):
            self.add(c, "loop-tripcount", f"{what} loop with a run-time bound and no LOOP_TRIPCOUNT pragma "
                                          f"(HLS cannot report its latency)", label or _name(fn))
        if body.kind == K.COMPOUND_STMT and has_pragma(pragmas, "DATAFLOW"):
            self.dataflow(body, label or _name(fn))

    def constant(self, expr, loop_vars, depth=0):
        """True when every name ``expr`` reads (other than the loop variables) is a compile-time constant."""
        for d in [expr, *expr.walk_preorder()]:
            if d.kind == K.VAR_DECL and _key(d) in loop_vars:
                continue
            if d.kind not in (K.DECL_REF_EXPR, K.MEMBER_REF_EXPR):
                continue
            ref = d.referenced
            if ref is None:
                if d.kind == K.MEMBER_REF_EXPR or (d.spelling and not CONSTANT_NAME.fullmatch(d.spelling)):
                    if d.kind == K.MEMBER_REF_EXPR or d.spelling:
                        return False
                continue
            if ref.kind in FUNCTIONS or ref.kind in (K.OVERLOADED_DECL_REF, K.TEMPLATE_NON_TYPE_PARAMETER,
                                                     K.ENUM_CONSTANT_DECL):
                continue
            if ref.kind != K.VAR_DECL or _key(ref) in loop_vars:
                if _key(ref) in loop_vars:
                    continue
                return False
            scope = ref.semantic_parent.kind if ref.semantic_parent is not None else None
            static = ref.storage_class == ci.StorageClass.STATIC or scope in (
                K.NAMESPACE, K.TRANSLATION_UNIT, K.CLASS_DECL, K.STRUCT_DECL, K.CLASS_TEMPLATE)
            if not ref.type.is_const_qualified():
                return False
            if static:
                continue
            init = [ch for ch in ref.get_children() if ch.kind not in (K.TYPE_REF, K.NAMESPACE_REF, K.TEMPLATE_REF)]
            if depth >= 4 or not init or not self.constant(init[-1], loop_vars, depth + 1):
                return False
        return True

    # -- DATAFLOW regions -------------------------------------------------------------------------------------
    def region(self, body, fn):
        """A function body that opens with #pragma HLS DATAFLOW."""
        if has_pragma(self.src.leading_pragmas(_file(body), body.extent.start.line), "DATAFLOW"):
            self.dataflow(body, _name(fn))

    def dataflow(self, body, region):
        """dataflow-channel: each stream, array and local variable of the region has at most one writer
        process and at most one reader process (UG1399, dataflow canonical form)."""
        local = {}
        for st in body.get_children():
            if st.kind == K.DECL_STMT:
                for v in st.get_children():
                    if v.kind == K.VAR_DECL:
                        local[_key(v)] = v
        users = {}   # var key -> {"r": [process...], "w": [...]}
        for st in body.get_children():
            st = _unwrap(st)
            if st.kind != K.CALL_EXPR:
                continue
            callee = _callee(st)
            if callee is None:
                continue
            params = _params(callee)
            for i, arg in enumerate(st.get_arguments()):
                root = _unwrap(arg)
                while root.kind == K.MEMBER_REF_EXPR and list(root.get_children()):
                    root = _unwrap(next(root.get_children()))
                if root.kind != K.DECL_REF_EXPR or root.referenced is None or i >= len(params):
                    continue
                var = root.referenced
                is_local = _key(var) in local
                if var.kind not in (K.VAR_DECL, K.PARM_DECL):
                    continue
                if not is_local and not (_is_stream(var.type) or _is_aggregate_channel(var.type)):
                    continue  # a read-only scalar argument of the region: fan-out is allowed
                mode = self.access(params[i], callee)
                if mode is None:
                    continue
                entry = users.setdefault(_key(var), {"var": var, "r": [], "w": []})
                for m in mode:
                    entry[m].append(st.spelling or callee.spelling)
        for entry in users.values():
            for m, what in (("w", "writers"), ("r", "readers")):
                procs = entry[m]
                if len(procs) > 1:
                    v = entry["var"]
                    self.add(v, "dataflow-channel", f"{v.spelling} has {len(procs)} {what} in DATAFLOW region "
                                                    f"{region} ({', '.join(procs)}): one producer and one consumer "
                                                    f"per channel", f"{region}/{v.spelling}")

    def access(self, param, fn, depth=0):
        """'r', 'w' or 'rw': how ``fn`` uses its parameter ``param``; None when it cannot tell."""
        t = param.type
        canon = t.get_canonical()
        if canon.kind in (T.LVALUEREFERENCE, T.RVALUEREFERENCE):
            pointee = canon.get_pointee()
            if pointee.is_const_qualified():
                return "r"
            if _is_stream(t):
                return self.stream_use(param, fn, depth)
            return "w"
        if _is_aggregate_channel(t):
            return "r" if _element_const(t) else "w"
        return "r"

    def stream_use(self, param, fn, depth):
        """The stream operations ``fn`` applies to its stream parameter, following it into callees."""
        mode, pk = set(), _key(param)
        for c in fn.walk_preorder():
            if c.kind == K.MEMBER_REF_EXPR and c.spelling in STREAM_READS | STREAM_WRITES:
                base = [_unwrap(x) for x in c.get_children()]
                if base and base[0].kind == K.DECL_REF_EXPR and base[0].referenced is not None and \
                        _key(base[0].referenced) == pk:
                    mode.add("r" if c.spelling in STREAM_READS else "w")
            elif c.kind == K.CALL_EXPR and depth < 4:
                callee = _callee(c)
                if callee is None or _key(callee) == _key(fn):
                    continue
                params = _params(callee)
                for i, arg in enumerate(c.get_arguments()):
                    a = _unwrap(arg)
                    if a.kind == K.DECL_REF_EXPR and a.referenced is not None and _key(a.referenced) == pk \
                            and i < len(params):
                        sub = self.access(params[i], callee, depth + 1)
                        mode.update(sub or "")
        return "".join(sorted(mode, reverse=True)) or None

    # -- recursion --------------------------------------------------------------------------------------------
    def recursion(self):
        color, stack = {}, []

        def visit(f):
            color[f] = 1
            stack.append(f)
            for g in self.calls.get(f, ()):
                if color.get(g) == 1:
                    cyc = stack[stack.index(g):]
                    head = min(cyc, key=lambda x: (str(self.where.get(x, ("", ""))[1]), str(x)))
                    if head in self.where:
                        c, name = self.where[head]
                        names = " -> ".join(self.where[x][1] for x in cyc if x in self.where)
                        self.add(c, "recursion", f"{name} is recursive ({names} -> {self.where[g][1]}): "
                                                 f"HLS cannot build a call stack")
                elif g not in color and g in self.calls:
                    visit(g)
            stack.pop()
            color[f] = 2

        for f in list(self.calls):
            if f not in color:
                visit(f)


def findings(tu, judged, rel, src):
    """The AST rules over one translation unit, for the code in ``judged`` (resolved paths)."""
    chk = _Checker(judged, rel, src)
    chk.walk(tu.cursor)
    chk.recursion()
    return chk.out
