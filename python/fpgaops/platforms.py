"""Board facts and link connectivity: ``platforms/<board>/platform.toml`` + ``connectivity.cfg``.

    >>> from fpgaops import platforms
    >>> p = platforms.load("u50")
    >>> p.platform, p.kernel_clock_mhz, p.budget["dsps"]
    >>> p.connectivity.sp[("fpgaops_gemm_f32_1", "a")]      # 'HBM[0]'

``platform.toml`` holds the board's facts (cited in the file); ``connectivity.cfg`` is the v++
link config (``nk=``, ``sp=``, ``slr=``) of every kernel on this board; ``kernel.toml`` is the board's
kernel config overlay (``kernel_config(board)``): keys of kernels/config/fpgaops.toml that differ on
this board (PE array, tiles, bus width, bursts...) plus a ``[build]`` table (kernel clock, the
kernels its xclbin links), chosen by the estimator's search so the board's budget holds them. ``check()``
cross-checks both against the kernel table from tops.hpp (fpgaops.kernels). The xclbin writer
turns the same two files into the MEM_TOPOLOGY / CONNECTIVITY sections of the xclbins the
project writes for host-path tests, so what the tests exercise is what v++ would link.

Standard library only (CMake runs ``python platforms.py --check BOARD`` at configure time).
"""
import dataclasses
import json
import re
import sys
import tomllib
from pathlib import Path

try:
    from . import config as _config
    from .errors import ArgumentError, ConfigError
except ImportError:  # run as a script by CMake
    import config as _config  # type: ignore[no-redef]
    from errors import ArgumentError, ConfigError  # type: ignore[no-redef]

BOARDS = ("u50", "u250", "u280", "zcu104")
KINDS = ("alveo", "zynq")
RESOURCES = ("luts", "ffs", "dsps", "bram36", "uram")
# xclbin.h enum MEM_TYPE, by the names platform.toml uses.
MEM_KINDS = {"DDR4": 1, "DRAM": 2, "HBM": 6, "PLRAM": 2}  # PLRAM banks are MEM_DRAM in v++ output


@dataclasses.dataclass(frozen=True)
class Bank:
    tag: str          # "HBM[3]", "DDR[0]", "HP0" -- what sp= names
    kind: str         # key of MEM_KINDS
    size_kib: int
    slr: str
    bandwidth_gbs: float


@dataclasses.dataclass
class Connectivity:
    """The parsed ``[connectivity]`` section of a v++ link config."""

    nk: dict = dataclasses.field(default_factory=dict)    # kernel -> [cu names]
    sp: dict = dataclasses.field(default_factory=dict)    # (cu, arg) -> bank expression
    slr: dict = dataclasses.field(default_factory=dict)   # cu -> "SLRn"

    def cu_kernel(self, cu):
        for k, cus in self.nk.items():
            if cu in cus:
                return k
        return None


@dataclasses.dataclass
class Platform:
    board: str
    description: str
    kind: str
    platform: str
    part: str
    kernel_clock_mhz: int
    slrs: list
    resources: dict
    usable_fraction: float
    memory_type: str
    total_gib: float
    bandwidth_gbs: float
    default_bank: str
    banks: list
    connectivity: Connectivity
    directory: Path

    @property
    def budget(self):
        """Resources the kernels may plan to use: floor(device total * usable_fraction)."""
        return {k: int(v * self.usable_fraction) for k, v in self.resources.items()}

    @property
    def config_file(self):
        return self.directory / "connectivity.cfg"

    def bank_index(self, tag):
        for i, b in enumerate(self.banks):
            if b.tag == tag:
                return i
        raise ArgumentError("bank", f"board {self.board} has no memory bank {tag!r}; "
                            f"banks: {', '.join(b.tag for b in self.banks)}")

    def port_banks(self, cu, arg):
        """Bank tags a CU argument is connected to (sp=, else the platform's default bank)."""
        expr = self.connectivity.sp.get((cu, arg))
        return expand_banks(expr) if expr else [self.default_bank]

    def compute_units(self, kernel):
        """CU names of ``kernel``: from nk=, else v++'s default of one CU named <kernel>_1."""
        return list(self.connectivity.nk.get(kernel, [f"{kernel}_1"]))


def expand_banks(expr):
    """'HBM[0:3]' -> ['HBM[0]', ..., 'HBM[3]']; 'DDR[1]' -> ['DDR[1]']; 'HP0' -> ['HP0']."""
    m = re.fullmatch(r"(\w+)\[(\d+):(\d+)\]", expr)
    if m:
        lo, hi = int(m.group(2)), int(m.group(3))
        if hi < lo:
            raise ArgumentError("sp", f"bank range {expr!r} runs backwards")
        return [f"{m.group(1)}[{i}]" for i in range(lo, hi + 1)]
    if not re.fullmatch(r"\w+(\[\d+\])?", expr):
        raise ArgumentError("sp", f"cannot parse memory bank {expr!r}")
    return [expr]


def parse_connectivity(text, source="connectivity.cfg"):
    """Parse the ``[connectivity]`` section of a v++ config file (nk=, sp=, slr=)."""
    conn, section = Connectivity(), None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{source}:{lineno}"
        if line.startswith("["):
            section = line.strip("[]").strip()
            continue
        if "=" not in line:
            raise ArgumentError(where, f"expected key=value, got {raw!r}")
        key, value = (s.strip() for s in line.split("=", 1))
        if section != "connectivity":
            continue  # other v++ sections ([vivado], [advanced], ...) pass through to v++
        if key == "nk":
            parts = value.split(":")
            if len(parts) not in (2, 3) or not parts[1].isdigit() or int(parts[1]) < 1:
                raise ArgumentError(where, f"nk: expected <kernel>:<count>[:<cu>.<cu>...], got {value!r}")
            count = int(parts[1])
            cus = parts[2].split(".") if len(parts) == 3 else [f"{parts[0]}_{i + 1}" for i in range(count)]
            if len(cus) != count:
                raise ArgumentError(where, f"nk: {count} compute units but {len(cus)} names in {value!r}")
            conn.nk[parts[0]] = cus
        elif key == "sp":
            m = re.fullmatch(r"(\w+)\.(\w+):(\S+)", value)
            if not m:
                raise ArgumentError(where, f"sp: expected <cu>.<arg>:<bank>, got {value!r}")
            expand_banks(m.group(3))
            conn.sp[(m.group(1), m.group(2))] = m.group(3)
        elif key == "slr":
            m = re.fullmatch(r"(\w+):(SLR\d+)", value)
            if not m:
                raise ArgumentError(where, f"slr: expected <cu>:SLR<n>, got {value!r}")
            conn.slr[m.group(1)] = m.group(2)
        else:
            raise ArgumentError(where, f"unsupported connectivity key {key!r} (nk, sp, slr)")
    return conn


def platforms_dir():
    """The platforms/ folder: installed package data, else the checkout's."""
    here = Path(__file__).resolve().parent
    for cand in (here / "platforms", here.parents[1] / "platforms"):
        if (cand / "README.md").is_file() or any(cand.glob("*/platform.toml")):
            return cand
    raise ArgumentError("platforms", f"platforms/ not found beside {here}")


def available():
    """Board names that have a platform.toml."""
    return sorted(p.parent.name for p in platforms_dir().glob("*/platform.toml"))


def _req(data, key, kind, where):
    sect, _, name = key.rpartition(".")
    node = data
    for part in sect.split(".") if sect else []:
        node = node.get(part, {})
    if name not in node:
        raise ArgumentError(where, f"missing key {key!r}")
    v = node[name]
    if kind is float and isinstance(v, int) and not isinstance(v, bool):
        v = float(v)
    if not isinstance(v, kind) or isinstance(v, bool):
        raise ArgumentError(where, f"key {key!r}: expected {kind.__name__}, got {v!r}")
    return v


def _banks(data, where, slrs):
    groups = data.get("memory", {}).get("banks", [])
    if not isinstance(groups, list) or not groups:
        raise ArgumentError(where, "[[memory.banks]]: at least one bank group is required")
    out = []
    for g in groups:
        tag = _req({"b": g}, "b.tag", str, where)
        kind = _req({"b": g}, "b.kind", str, where)
        if kind not in MEM_KINDS:
            raise ArgumentError(where, f"bank {tag}: kind {kind!r} is not one of {sorted(MEM_KINDS)}")
        size_kib = int(_req({"b": g}, "b.size_mib", float, where) * 1024)
        bw = float(g.get("bandwidth_gbs", 0.0))
        slr = g.get("slr", slrs[0])
        count = g.get("count")
        if count is None:
            out.append(Bank(tag, kind, size_kib, slr, bw))
            continue
        if not isinstance(count, int) or count < 1:
            raise ArgumentError(where, f"bank {tag}: count must be a positive integer")
        for i in range(count):
            s = f"SLR{i}" if slr == "per-index" else slr
            out.append(Bank(f"{tag}[{i}]", kind, size_kib, s, bw))
    for b in out:
        if b.slr not in slrs:
            raise ArgumentError(where, f"bank {b.tag}: SLR {b.slr!r} is not one of the board's {slrs}")
    tags = [b.tag for b in out]
    if len(set(tags)) != len(tags):
        raise ArgumentError(where, "memory bank tags repeat")
    return out


def load(board, directory=None):
    """The validated Platform of ``board`` (a name under platforms/, or a folder path)."""
    if not isinstance(board, str) or not board:
        raise ArgumentError("board", f"expected a board name, got {board!r}")
    pdir = Path(directory) if directory else platforms_dir() / board
    toml_file = pdir / "platform.toml"
    if not toml_file.is_file():
        raise ArgumentError("board", f"unknown board {board!r}: {toml_file} does not exist "
                            f"(boards: {', '.join(available())}; see platforms/README.md to add one)")
    where = str(toml_file)
    try:
        data = tomllib.loads(toml_file.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ArgumentError(where, f"invalid TOML: {e}") from None
    kind = _req(data, "board.kind", str, where)
    if kind not in KINDS:
        raise ArgumentError(where, f"board.kind must be one of {KINDS}, got {kind!r}")
    slrs = data.get("board", {}).get("slrs")
    if not isinstance(slrs, list) or not slrs or not all(isinstance(s, str) for s in slrs):
        raise ArgumentError(where, "board.slrs: expected a list of SLR names")
    resources = {k: _req(data, f"resources.{k}", int, where) for k in RESOURCES}
    frac = _req(data, "resources.usable_fraction", float, where)
    if not 0 < frac <= 1:
        raise ArgumentError(where, f"resources.usable_fraction must be in (0, 1], got {frac}")
    banks = _banks(data, where, slrs)
    cfg_file = pdir / "connectivity.cfg"
    try:
        conn = parse_connectivity(cfg_file.read_text(), str(cfg_file))
    except OSError as e:
        raise ArgumentError(str(cfg_file), f"cannot read: {e}") from None
    p = Platform(
        board=_req(data, "board.name", str, where), description=data["board"].get("description", ""),
        kind=kind, platform=_req(data, "board.platform", str, where), part=_req(data, "board.part", str, where),
        kernel_clock_mhz=_req(data, "board.kernel_clock_mhz", int, where), slrs=slrs, resources=resources,
        usable_fraction=frac, memory_type=_req(data, "memory.type", str, where),
        total_gib=_req(data, "memory.total_gib", float, where),
        bandwidth_gbs=_req(data, "memory.bandwidth_gbs", float, where),
        default_bank=_req(data, "memory.default_bank", str, where), banks=banks, connectivity=conn,
        directory=pdir)
    if p.board != pdir.name and directory is None:
        raise ArgumentError(where, f"board.name {p.board!r} differs from its folder name {pdir.name!r}")
    p.bank_index(p.default_bank)
    return p


def check(platform, kernels):
    """Problems (strings) between a Platform's connectivity and the kernel table; [] when sound."""
    problems, conn = [], platform.connectivity
    for name, spec in kernels.items():
        if name not in conn.nk:
            problems.append(f"kernel {name} has no nk= line (add nk={name}:1:{name}_1)")
            continue
        for cu in conn.nk[name]:
            per_bundle = {}
            for arg in spec.pointer_args:
                expr = conn.sp.get((cu, arg.name))
                if expr is None:
                    problems.append(f"{cu}.{arg.name}: no sp= line (pointer arguments need a memory bank)")
                    continue
                for tag in expand_banks(expr):
                    if tag not in {b.tag for b in platform.banks}:
                        problems.append(f"{cu}.{arg.name}: bank {tag} does not exist on {platform.board}")
                prev = per_bundle.setdefault(arg.bundle, (arg.name, expr))
                if prev[1] != expr:
                    problems.append(f"{cu}: {prev[0]} and {arg.name} share m_axi bundle {arg.bundle} "
                                    f"but are mapped to {prev[1]} and {expr}")
            slr = conn.slr.get(cu)
            if slr is not None and slr not in platform.slrs:
                problems.append(f"{cu}: {slr} is not an SLR of {platform.board} ({platform.slrs})")
            if slr is not None and len(platform.slrs) == 1:
                problems.append(f"{cu}: slr= given for a single-SLR device")
    for kernel in conn.nk:
        if kernel not in kernels:
            problems.append(f"nk= names kernel {kernel}, which tops.hpp does not declare")
    for (cu, arg) in conn.sp:
        k = conn.cu_kernel(cu)
        if k is None:
            problems.append(f"sp= names compute unit {cu}, which no nk= line creates")
        elif k in kernels:
            a = next((x for x in kernels[k].args if x.name == arg), None)
            if a is None or not a.is_pointer:
                problems.append(f"sp={cu}.{arg}: {k} has no pointer argument {arg!r}")
    for cu in conn.slr:
        if conn.cu_kernel(cu) is None:
            problems.append(f"slr= names compute unit {cu}, which no nk= line creates")
    return problems


# ---- the board's kernel config: platforms/<board>/kernel.toml over kernels/config/fpgaops.toml ---------------
KERNEL_TOML = "kernel.toml"
BUILD_KEYS = ("clock_mhz", "kernels")


@dataclasses.dataclass
class BoardConfig:
    """A board's kernel config (the base config with its overlay, validated) and its build choices."""

    board: str
    config: object        # fpgaops.config.KernelConfig
    clock_mhz: int        # the kernel clock this config is planned and built for
    kernels: list         # the kernels the board's xclbin links (each has nk= / sp= lines)
    source: Path          # the kernel.toml, or the base config when the board has none

    @property
    def digest(self):
        return self.config.digest


def merge_overlay(base, overlay, where, prefix=""):
    """``overlay`` over ``base`` (nested dicts); a key the base does not have is an error naming it."""
    out = dict(base)
    for k, v in overlay.items():
        key = f"{prefix}{k}"
        if k not in base:
            raise ConfigError(key, f"{where}: not a key of kernels/config/fpgaops.toml")
        if isinstance(base[k], dict) != isinstance(v, dict):
            raise ConfigError(key, f"{where}: a {'table' if isinstance(base[k], dict) else 'value'} in the base config")
        out[k] = merge_overlay(base[k], v, where, key + ".") if isinstance(v, dict) else v
    return out


# The float32 tops of the engines blocked by gemm.pe / gemm.simd, which gemm.float32 = 0 leaves out
# (kernels/hls/top/fpgaops_{gemm,conv2d,pool}.cpp).
FLOAT32_BLOCKED_KERNELS = ("fpgaops_gemm_f32", "fpgaops_conv2d_f32", "fpgaops_pool_f32")


def kernel_config(board, base=None, platform=None):
    """The BoardConfig of ``board``: kernels/config/fpgaops.toml (or ``base``, a TOML path) with
    ``platforms/<board>/kernel.toml`` laid over it. Without a kernel.toml: the base config, the
    platform's kernel clock and every kernel of connectivity.cfg. Raises ConfigError naming the key."""
    plat = platform or load(board)
    base_path = Path(base) if base else _config.default_path()
    try:
        base_data = tomllib.loads(base_path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError("<file>", f"cannot read {base_path}: {e}") from None
    path = plat.directory / KERNEL_TOML
    if not path.is_file():
        return BoardConfig(plat.board, _config.KernelConfig(base_data, base_path), plat.kernel_clock_mhz,
                           list(plat.connectivity.nk), base_path)
    try:
        overlay = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ConfigError("<file>", f"{path}: invalid TOML: {e}") from None
    build = overlay.pop("build", {})
    unknown = [k for k in build if k not in BUILD_KEYS]
    if unknown:
        raise ConfigError(f"build.{unknown[0]}", f"{path}: unknown key (known: {', '.join(BUILD_KEYS)})")
    clock = build.get("clock_mhz", plat.kernel_clock_mhz)
    if isinstance(clock, bool) or not isinstance(clock, int) or not 50 <= clock <= 1000:
        raise ConfigError("build.clock_mhz", f"{path}: expected an integer MHz in [50, 1000], got {clock!r}")
    kernels = build.get("kernels", list(plat.connectivity.nk))
    if not isinstance(kernels, list) or not kernels or not all(isinstance(k, str) for k in kernels):
        raise ConfigError("build.kernels", f"{path}: expected a non-empty list of kernel names")
    missing = [k for k in kernels if k not in plat.connectivity.nk]
    if missing:
        raise ConfigError("build.kernels", f"{path}: {missing[0]} has no nk= line in {plat.config_file}")
    cfg = _config.KernelConfig(merge_overlay(base_data, overlay, str(path)), path)
    if not cfg.values["gemm.float32"]:  # an int8-only build has no float32 blocked top to link
        f32 = [k for k in kernels if k in FLOAT32_BLOCKED_KERNELS]
        if f32:
            raise ConfigError("build.kernels", f"{path}: {f32[0]} is not built with gemm.float32 = 0")
    return BoardConfig(plat.board, cfg, clock, kernels, path)


def config_toml(cfg):
    """A KernelConfig as TOML (dotted keys, sorted): what the build writes for a board and the manifest reads."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        return repr(v)
    lines = [f"# {cfg.source} resolved by python/fpgaops/platforms.py; digest {cfg.digest}"]
    lines += [f"{k} = {value(v)}" for k, v in sorted(cfg.values.items())]
    return "\n".join(lines) + "\n"


def link_config(platform, kernels):
    """connectivity.cfg reduced to ``kernels`` (their nk=, sp= and slr= lines): what v++ -l links."""
    conn = platform.connectivity
    cus = {cu for k in kernels for cu in conn.nk[k]}
    lines = [f"# {platform.config_file} reduced to the kernels of {platform.directory / KERNEL_TOML}", "[connectivity]"]
    lines += [f"nk={k}:{len(conn.nk[k])}:{'.'.join(conn.nk[k])}" for k in kernels]
    lines += [f"sp={cu}.{arg}:{bank}" for (cu, arg), bank in conn.sp.items() if cu in cus]
    lines += [f"slr={cu}:{slr}" for cu, slr in conn.slr.items() if cu in cus]
    return "\n".join(lines) + "\n"


def _write_if_changed(path, text):
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists() or out.read_text() != text:  # keep the timestamp: no needless rebuilds
        out.write_text(text)


def _main(argv):
    import argparse

    ap = argparse.ArgumentParser(description="Validate a board's platform.toml and connectivity.cfg.")
    ap.add_argument("board")
    ap.add_argument("--check", action="store_true", help="also check connectivity against tops.hpp")
    ap.add_argument("--kernels-root", help="the kernels/ folder (default: this installation's)")
    ap.add_argument("--get", help="print one field (platform, part, kind, kernel_clock_mhz, config_file)")
    ap.add_argument("--write-config", metavar="OUT", help="write the board's resolved kernel config (TOML)")
    ap.add_argument("--write-link-config", metavar="OUT", help="write connectivity.cfg reduced to the linked kernels")
    ap.add_argument("--get-build", choices=("clock_mhz", "kernels", "digest"),
                    help="print one field of the board's kernel config (kernels: ;-separated, for CMake)")
    ap.add_argument("--base-config", help="the base kernel config TOML (default: kernels/config/fpgaops.toml)")
    args = ap.parse_args(argv)
    try:
        p = load(args.board)
        if args.write_config or args.write_link_config or args.get_build:
            bc = kernel_config(args.board, args.base_config, p)
            if args.write_config:
                _write_if_changed(args.write_config, config_toml(bc.config))
            if args.write_link_config:
                _write_if_changed(args.write_link_config, link_config(p, bc.kernels))
            if args.get_build:
                v = getattr(bc, args.get_build)
                print(";".join(v) if isinstance(v, list) else v)
        if args.check:
            try:
                from . import kernels as kmod
            except ImportError:
                import kernels as kmod  # type: ignore[no-redef]
            problems = check(p, kmod.load(args.kernels_root))
            if problems:
                print(f"error: platforms/{p.board}/connectivity.cfg:\n  " + "\n  ".join(problems), file=sys.stderr)
                return 1
    except (ArgumentError, ConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.get:
        print(getattr(p, args.get))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
