"""The xclbin kernels of fpgaops, read from the one place that declares them.

Every extern "C" kernel top is declared in ``kernels/hls/include/fpgaops/tops.hpp``; this module
parses that header (and the ``m_axi`` bundles in each top's ``kernels/hls/top/<file>.cpp``) into
``KernelSpec`` records: argument names, C types, pointer or scalar, and the AXI4-Lite
control-register offset of each argument *as v++ lays it out*. The xclbin writer, the CMake
xclbin targets, the manifest and the XRT backend all use this table, so a kernel's argument list is
written down exactly once (in tops.hpp).

Control-register layout (the s_axilite map Vitis HLS generates for a kernel; UG1399, "S_AXILITE
Control Register Map" and "S_AXILITE Offset Option"):

  * 0x00 control (ap_start/ap_done/...), 0x04 global interrupt enable, 0x08 IP interrupt enable,
    0x0C IP interrupt status. Arguments start at 0x10.
  * Each argument takes as many 32-bit data words as its width needs, followed by ONE reserved
    32-bit word (the "control protocol" word UG1399 tells you to reserve; HLS always leaves it).
    So a 64-bit pointer takes 12 bytes (0x10 data lo, 0x14 data hi, 0x18 reserved) and a 32-bit
    scalar 8 bytes. Arguments narrower than 32 bits (bool, char, short) still take one data word.
  * Offsets are only 4-byte aligned: a pointer after a pointer sits at 0x1C (not 0x20). This is
    what v++-built xclbins carry in EMBEDDED_METADATA (e.g. pointers at 0x10, 0x1C, 0x28 and the
    following scalars at 0x34, 0x3C).
  * The slave port's address range is the map's end rounded up to a power of two (HLS sizes the
    AXI4-Lite address bus to cover the map), at least 0x40.

m_axi bundles: an argument's port is ``m_axi_<bundle>``. Bundles come from the top's
``#pragma HLS INTERFACE m_axi port=<arg> bundle=<name>`` lines. A pointer without an explicit
bundle gets its own ``gmem<i>`` (i counting such pointers from 0), the default of Vitis HLS 2022.2
and later; give every pointer an explicit bundle to be independent of the tool version.

Standard library only: CMake runs this file as a script (``--cmake`` prints the table for it).
"""
import dataclasses
import json
import re
import sys
from pathlib import Path

try:
    from .errors import ArgumentError
except ImportError:  # run as a script by CMake
    from errors import ArgumentError  # type: ignore[no-redef]

CONTROL_PORT = "s_axi_control"
FIRST_ARG_OFFSET = 0x10
POINTER_BYTES = 8  # m_axi addresses are 64-bit on every supported platform

# C scalar types a kernel top may take, with their width in bytes.
SCALAR_BYTES = {
    "bool": 1, "char": 1, "signed char": 1, "unsigned char": 1, "int8_t": 1, "uint8_t": 1,
    "short": 2, "unsigned short": 2, "int16_t": 2, "uint16_t": 2,
    "int": 4, "unsigned": 4, "unsigned int": 4, "int32_t": 4, "uint32_t": 4, "float": 4,
    "long long": 8, "unsigned long long": 8, "int64_t": 8, "uint64_t": 8, "double": 8,
}


@dataclasses.dataclass(frozen=True)
class ArgSpec:
    index: int
    name: str
    ctype: str        # as declared, e.g. "const fpgaops::hw::word_t*" or "int"
    is_pointer: bool
    size: int         # bytes of the value written to the register file (8 for pointers)
    offset: int       # control-register offset
    port: str         # "m_axi_<bundle>" for pointers, CONTROL_PORT for scalars
    bundle: str = ""  # m_axi bundle (pointers only)

    @property
    def address_qualifier(self):
        """EMBEDDED_METADATA addressQualifier: 1 = global memory pointer, 0 = scalar."""
        return 1 if self.is_pointer else 0

    @property
    def scalar_kind(self):
        """'float', 'int' or 'uint' for scalars (how a Python value is packed), '' for pointers."""
        if self.is_pointer:
            return ""
        base = _base_type(self.ctype)
        if base in ("float", "double"):
            return "float"
        return "uint" if base.startswith("u") or base == "bool" else "int"


@dataclasses.dataclass(frozen=True)
class KernelSpec:
    name: str
    family: str
    source: str             # file name under kernels/hls/top/
    args: tuple
    control: str = "ap_ctrl_chain"

    @property
    def register_map_end(self):
        last = self.args[-1] if self.args else None
        return FIRST_ARG_OFFSET if last is None else last.offset + _words(last.size) * 4 + 4

    @property
    def address_range(self):
        end, r = self.register_map_end, 0x40
        while r < end:
            r *= 2
        return r

    @property
    def pointer_args(self):
        return [a for a in self.args if a.is_pointer]

    @property
    def bundles(self):
        """m_axi bundle -> argument names sharing it, in argument order."""
        out = {}
        for a in self.pointer_args:
            out.setdefault(a.bundle, []).append(a.name)
        return out

    def arg(self, name):
        for a in self.args:
            if a.name == name:
                return a
        raise ArgumentError("arg", f"kernel {self.name} has no argument {name!r}")

    def to_dict(self):
        return {"name": self.name, "family": self.family, "source": self.source, "control": self.control,
                "address_range": self.address_range,
                "args": [dataclasses.asdict(a) for a in self.args]}


def _words(nbytes):
    return max(1, (nbytes + 3) // 4)


def _base_type(ctype):
    t = re.sub(r"\b(const|volatile)\b", " ", ctype).replace("*", " ").replace("&", " ")
    t = re.sub(r"\bstd::", "", t)
    return " ".join(t.split())


def _strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def _split_args(params):
    """Split a parameter list at top-level commas (template arguments may hold commas)."""
    out, depth, cur = [], 0, ""
    for ch in params:
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return [" ".join(p.split()) for p in out]


def _parse_arg(kernel, text):
    m = re.match(r"^(.*?)([A-Za-z_]\w*)\s*$", text)
    if not m or not m.group(1).strip():
        raise ArgumentError("tops.hpp", f"kernel {kernel}: cannot parse argument {text!r}")
    ctype, name = " ".join(m.group(1).split()), m.group(2)
    ctype = ctype.replace(" *", "*").replace(" &", "&")
    if "&" in ctype or "[" in text:
        raise ArgumentError("tops.hpp", f"kernel {kernel}: argument {name!r} ({ctype}) must be a pointer or a scalar")
    is_pointer = "*" in ctype
    if not is_pointer and _base_type(ctype) not in SCALAR_BYTES:
        raise ArgumentError("tops.hpp", f"kernel {kernel}: argument {name!r} has unsupported scalar type {ctype!r}; "
                            f"supported: {sorted(SCALAR_BYTES)}")
    return name, ctype, is_pointer


# "// ---- gemm (fpgaops_gemm.cpp): ..." opens a family block in tops.hpp.
_BLOCK = re.compile(r"^\s*//\s*-{2,}\s*(\w+)\s*\((fpgaops_\w+\.cpp)\)", re.M)
_DECL = re.compile(r"\bvoid\s+(fpgaops_\w+)\s*\(([^;{]*?)\)\s*;", re.S)


def parse_tops(text, top_dir=None):
    """KernelSpecs for every kernel declared in ``text`` (the contents of tops.hpp)."""
    blocks = [(m.start(), m.group(1), m.group(2)) for m in _BLOCK.finditer(text)]
    if "extern \"C\"" not in text:
        raise ArgumentError("tops.hpp", 'no extern "C" block found')
    body = text[text.index('extern "C"'):]
    offset0 = text.index('extern "C"')
    clean = _strip_comments(body)
    # Declarations are found in the comment-free text; their family block comes from the
    # nearest preceding block comment in the original text (matched by kernel name order).
    decls = [(m.group(1), m.group(2)) for m in _DECL.finditer(clean)]
    if not decls:
        raise ArgumentError("tops.hpp", "no kernel declarations (void fpgaops_...(...);) found")
    kernels, seen = [], set()
    for name, params in decls:
        if name in seen:
            raise ArgumentError("tops.hpp", f"kernel {name} is declared twice")
        seen.add(name)
        decl = re.search(r"\bvoid\s+" + re.escape(name) + r"\s*\(", body)
        pos = offset0 + (decl.start() if decl else 0)
        family, source = None, None
        for start, fam, src in blocks:
            if start < pos:
                family, source = fam, src
        if family is None:
            raise ArgumentError("tops.hpp", f"kernel {name} is not inside a '// ---- <family> (<file>.cpp)' block")
        parsed = [_parse_arg(name, p) for p in _split_args(params)]
        pragmas = _top_pragmas(Path(top_dir) / source, name) if top_dir else {}
        kernels.append(_layout(name, family, source, parsed, pragmas))
    return kernels


def _layout(name, family, source, parsed, pragmas):
    args, offset, auto_bundle = [], FIRST_ARG_OFFSET, 0
    bundles = pragmas.get("bundles", {})
    for i, (arg, ctype, is_pointer) in enumerate(parsed):
        if is_pointer:
            size = POINTER_BYTES
            bundle = bundles.get(arg)
            if bundle is None:
                bundle = f"gmem{auto_bundle}"
                auto_bundle += 1
            port = f"m_axi_{bundle}"
        else:
            size, bundle, port = SCALAR_BYTES[_base_type(ctype)], "", CONTROL_PORT
        args.append(ArgSpec(i, arg, ctype, is_pointer, size, offset, port, bundle))
        offset += _words(size) * 4 + 4  # data words + the reserved word HLS leaves after each
    return KernelSpec(name, family, source, tuple(args), pragmas.get("control", "ap_ctrl_chain"))


def _function_body(text, name):
    m = re.search(r"\b" + re.escape(name) + r"\s*\([^;{]*\)\s*\{", text, flags=re.S)
    if not m:
        return None
    depth, i = 1, m.end()
    while i < len(text) and depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return text[m.end():i]


def _top_pragmas(path, name):
    """m_axi bundles and the block protocol from the INTERFACE pragmas of one top's definition."""
    try:
        text = Path(path).read_text()
    except OSError:
        return {}  # top not written yet: defaults (documented above)
    body = _function_body(_strip_comments(text), name)
    if body is None:
        return {}
    bundles, control = {}, None
    for line in re.findall(r"#\s*pragma\s+HLS\s+INTERFACE\b([^\n]*)", body, flags=re.I):
        opts = dict(re.findall(r"(\w+)\s*=\s*([\w.]+)", line))
        words = line.split()
        mode = opts.get("mode") or (words[0] if words and "=" not in words[0] else "")
        if mode == "m_axi" and "port" in opts and "bundle" in opts:
            bundles[opts["port"]] = opts["bundle"]
        if mode in ("ap_ctrl_hs", "ap_ctrl_chain", "ap_ctrl_none") and opts.get("port") == "return":
            control = mode
    out = {"bundles": bundles}
    if control:
        out["control"] = control
    return out


def kernel_dir():
    """The kernels/ folder (installed package data, or the checkout's)."""
    try:
        from .config import kernel_source_dir
    except ImportError:
        from config import kernel_source_dir  # type: ignore[no-redef]
    return kernel_source_dir()


def load(kernels_root=None):
    """KernelSpecs for this installation's tops.hpp, keyed by kernel name (declaration order)."""
    root = Path(kernels_root) if kernels_root else kernel_dir()
    header = root / "hls" / "include" / "fpgaops" / "tops.hpp"
    try:
        text = header.read_text()
    except OSError as e:
        raise ArgumentError("tops.hpp", f"cannot read {header}: {e}") from None
    return {k.name: k for k in parse_tops(text, root / "hls" / "top")}


def _main(argv):
    import argparse

    p = argparse.ArgumentParser(description="Print the kernel table parsed from tops.hpp.")
    p.add_argument("--kernels-root", help="the kernels/ folder (default: this installation's)")
    p.add_argument("--cmake", action="store_true",
                   help="print 'kernel|source|family' lines for CMake (one kernel per line)")
    args = p.parse_args(argv)
    try:
        table = load(args.kernels_root)
    except ArgumentError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.cmake:
        for k in table.values():
            print(f"{k.name}|{k.source}|{k.family}")
    else:
        print(json.dumps([k.to_dict() for k in table.values()], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
