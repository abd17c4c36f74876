"""Kernel configuration: one file (kernels/config/fpgaops.toml), every layer reads it.

    >>> import fpgaops
    >>> fpgaops.config.current().gemm.tile_m
    64

The same values reach
  * the HLS build as a generated header  (``python config.py --header OUT``),
  * OpenCL programs as ``-D`` flags       (``KernelConfig.cl_defines()``),
  * Python (launch geometry, estimator, tests) through this module,
  * xclbin manifests, through ``KernelConfig.digest``.

Every key is declared in ``SCHEMA`` below; an unknown, missing or out-of-range key raises
``ConfigError`` naming it. The C++ templates check the same rules again with static_assert.

This file uses only the standard library so the build can run it as a script.
"""
import hashlib
import json
import os
import sys
import tomllib
from pathlib import Path

try:
    from .errors import ConfigError
except ImportError:  # run as a script by CMake: no package, no NumPy
    from errors import ConfigError  # type: ignore[no-redef]

ENV_VAR = "FPGAOPS_KERNEL_CONFIG"


def _int(lo, hi, pow2=False):
    def check(key, v):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ConfigError(key, f"expected an integer, got {v!r}")
        if not lo <= v <= hi:
            raise ConfigError(key, f"expected {lo} <= value <= {hi}, got {v}")
        if pow2 and v & (v - 1):
            raise ConfigError(key, f"expected a power of two, got {v}")
    return check


# key -> validator. Keys are "section.sub.key" as in the TOML file.
SCHEMA = {
    "axi.word_bits": _int(32, 1024, pow2=True),
    "axi.max_burst_beats": _int(1, 256, pow2=True),
    "gemm.tile_m": _int(1, 1024),
    "gemm.tile_n": _int(1, 1024),
    "gemm.tile_k": _int(1, 1024),
    "gemm.pe_m": _int(1, 64),
    "gemm.pe_n": _int(1, 64),
    # int8 products are <= 2^14 in magnitude: K <= 2^31 / 2^14 - 1 keeps the int32 sum exact
    "gemm.max_dim": _int(1, (1 << 31) // (1 << 14) - 1),
    "gemm.opencl.block_m": _int(1, 16),
    "gemm.opencl.block_n": _int(1, 64),
    "gemm.opencl.vec": _int(1, 16, pow2=True),
    "gemm.opencl.kc": _int(1, 4096),
}


def _multiple(key, of):
    def check(c):
        if c[key] % c[of]:
            raise ConfigError(key, f"must be a multiple of {of} ({c[of]}), got {c[key]}")
    return check


def _divides(key, of_what, of_value):
    def check(c):
        if of_value(c) % c[key]:
            raise ConfigError(key, f"must divide {of_what} ({of_value(c)}), got {c[key]}")
    return check


# Rules between keys, checked after every key passed its own validator.
CROSS_CHECKS = [
    _multiple("gemm.tile_m", "gemm.pe_m"),
    _multiple("gemm.tile_n", "gemm.pe_n"),
    # the MAC array's columns are filled from one packed word of B per cycle
    _divides("gemm.pe_n", "the lanes of an int8 AXI word (axi.word_bits / 8)", lambda c: c["axi.word_bits"] // 8),
    _multiple("gemm.opencl.block_n", "gemm.opencl.vec"),
]


def _flatten(data, prefix=""):
    out = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


class Section:
    """Attribute view of one TOML table: ``cfg.gemm.tile_m``, ``cfg.gemm.opencl.block_m``."""

    def __init__(self, values, prefix):
        self._values, self._prefix = values, prefix

    def __getattr__(self, name):
        key = f"{self._prefix}{name}"
        if key in self._values:
            return self._values[key]
        if any(k.startswith(key + ".") for k in self._values):
            return Section(self._values, key + ".")
        raise AttributeError(f"kernel config has no key '{key}'")

    def __repr__(self):
        items = {k[len(self._prefix):]: v for k, v in self._values.items() if k.startswith(self._prefix)}
        return f"Section({self._prefix.rstrip('.') or '<root>'}: {items})"


class KernelConfig(Section):
    """A validated, resolved kernel configuration."""

    def __init__(self, data, source="<dict>"):
        values = _flatten(data)
        validate(values)
        super().__init__(values, "")
        self.source = str(source)

    @property
    def values(self):
        """All keys, flattened to "section.key" -> value."""
        return dict(self._values)

    @property
    def digest(self):
        """16 hex digits identifying the resolved values (not the file's comments or order)."""
        canon = json.dumps(self._values, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode()).hexdigest()[:16]

    @staticmethod
    def macro(key):
        return key.replace(".", "_").upper()

    def cl_defines(self, prefix=""):
        """``-DKEY=value`` flags for OpenCL, for the keys under ``prefix`` (all when empty)."""
        return [f"-D{self.macro(k)}={v}" for k, v in sorted(self._values.items()) if k.startswith(prefix)]

    def header(self):
        """The C++ header the HLS build includes as <fpgaops/config.hpp>."""
        lines = [
            f"// Generated from {Path(self.source).name} by python/fpgaops/config.py. Do not edit:",
            "// change kernels/config/fpgaops.toml and rebuild.",
            "#ifndef FPGAOPS_CONFIG_HPP",
            "#define FPGAOPS_CONFIG_HPP",
            "",
            f'#define FPGAOPS_CONFIG_DIGEST "{self.digest}"',
            "// Macros, for HLS pragma factors (which take literals or macros).",
        ]
        lines += [f"#define FPGAOPS_{self.macro(k)} {v}" for k, v in sorted(self._values.items())]
        lines += ["", "namespace fpgaops {", "namespace cfg {"]
        lines += [f"constexpr int {self.macro(k)} = {v};" for k, v in sorted(self._values.items())]
        lines += ["}  // namespace cfg", "}  // namespace fpgaops", "", "#endif  // FPGAOPS_CONFIG_HPP", ""]
        return "\n".join(lines)


def validate(values):
    """Check flattened ``values`` against SCHEMA and CROSS_CHECKS; raise ConfigError naming the key."""
    for key in values:
        if key not in SCHEMA:
            raise ConfigError(key, "unknown key (see SCHEMA in python/fpgaops/config.py)")
    for key, check in SCHEMA.items():
        if key not in values:
            raise ConfigError(key, "missing")
        check(key, values[key])
    for check in CROSS_CHECKS:
        check(values)


def default_path():
    """The installed config (package data), else the source tree's when running from a checkout."""
    here = Path(__file__).resolve().parent
    for cand in (here / "kernels" / "config" / "fpgaops.toml", here.parents[1] / "kernels" / "config" / "fpgaops.toml"):
        if cand.is_file():
            return cand
    raise ConfigError("<file>", f"kernels/config/fpgaops.toml not found beside {here}")


def load(path=None):
    """Load and validate a config file (default: $FPGAOPS_KERNEL_CONFIG, else the packaged one)."""
    path = Path(path or os.environ.get(ENV_VAR) or default_path())
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError("<file>", f"cannot read {path}: {e}") from None
    return KernelConfig(data, path)


_current = None


def current():
    """The configuration this process uses (loaded once)."""
    global _current
    if _current is None:
        _current = load()
    return _current


def kernel_source_dir():
    """Folder holding kernels/ (installed package data, or the checkout's)."""
    return default_path().parents[1]


def _main(argv):
    import argparse

    p = argparse.ArgumentParser(description="Validate the kernel config and write the HLS header.")
    p.add_argument("--config", help="TOML file (default: the packaged kernels/config/fpgaops.toml)")
    p.add_argument("--header", help="write the C++ header here")
    p.add_argument("--digest", action="store_true", help="print the config digest")
    args = p.parse_args(argv)
    try:
        cfg = load(args.config)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.header:
        out = Path(args.header)
        out.parent.mkdir(parents=True, exist_ok=True)
        text = cfg.header()
        if not out.exists() or out.read_text() != text:  # keep the timestamp: no needless rebuilds
            out.write_text(text)
    if args.digest:
        print(cfg.digest)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
