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
    "gemm.pe": _int(1, 256),
    "gemm.simd": _int(1, 64),
    "gemm.pack_int8": _int(0, 1),
    "gemm.float32": _int(0, 1),
    # int8 products are <= 2^14 in magnitude: K <= 2^31 / 2^14 - 1 keeps the int32 sum exact
    "gemm.max_dim": _int(1, (1 << 31) // (1 << 14) - 1),
    "gemm.opencl.block_m": _int(1, 16),
    "gemm.opencl.block_n": _int(1, 64),
    "gemm.opencl.vec": _int(2, 16, pow2=True),  # OpenCL vector types: float2..float16
    "gemm.opencl.kc": _int(1, 4096),
    "gemm.opencl.int8_block_m": _int(1, 16),
    "gemm.opencl.int8_block_n": _int(2, 64),
    "gemm.opencl.int8_vec": _int(2, 8, pow2=True),  # 2*VEC int16 of B per vector: short4..short16
    "gemm.opencl.int8_pmaddwd": _int(0, 1),
    "gemm.opencl.int8_vnni": _int(0, 1),
    "conv2d.opencl.pb": _int(1, 16),
    "conv2d.opencl.kv": _int(1, 4),
    "conv2d.opencl.kv_avx512": _int(1, 4),
    "conv2d.opencl.pw_min_words": _int(1, 1 << 16),
    "conv2d.opencl.pw_m": _int(1, 16),
    "conv2d.opencl.pw_m_avx512": _int(1, 16),
    "conv2d.opencl.pwt_p": _int(1, 16),
    "conv2d.opencl.pwt_kv": _int(1, 4),
    "conv2d.opencl.pwt_max_pixels": _int(0, 1 << 20),
    "conv2d.opencl.pwt_min_channels": _int(1, 1 << 20),
    "conv2d.opencl.pw_min_lane_pct": _int(0, 100),
    "conv2d.opencl.rows_max_channels": _int(0, 1 << 20),
    "conv2d.opencl.rows_m": _int(1, 32),
    "conv2d.opencl.rows_m_avx512": _int(1, 32),
    "conv2d.opencl.rows_nv": _int(1, 4),
    "conv2d.opencl.pws_min_macs": _int(0, 1 << 40),
    "conv2d.opencl.pw_nv4_min_pixels": _int(0, 1 << 30),
    "conv2d.opencl.int8_words": _int(0, 1),
    "winograd.opencl.tb": _int(1, 16),
    "winograd.opencl.kv": _int(1, 4),
    "winograd.opencl.tb_avx512": _int(1, 16),
    "winograd.opencl.kv_avx512": _int(1, 4),
    "dwconv.opencl.rows": _int(1, 16),
    "dwconv.opencl.q_rows": _int(1, 16),
    "dwconv.opencl.q_min_ow": _int(1, 1 << 16),
    # dwconv_map_q unrolls a whole map (ceil(HW / 32) blocks of 12 loads) into its code
    "dwconv.opencl.q_map_max_hw": _int(0, 4096),
    "dwconv.opencl.q_map_channels": _int(1, 256),
    "dwconv.opencl.q_pwdw": _int(0, 1),
    "dwconv.opencl.row_max_ow": _int(0, 256),
    "dwconv.opencl.row_acc": _int(1, 64),
    "dwconv.opencl.row_channels": _int(1, 256),
    "dwconv.opencl.pw_min_bytes": _int(0, 1 << 40),
    "dwconv.opencl.pw_min_ow": _int(1, 1 << 16),
    "dwconv.opencl.pw_rows": _int(1, 256),
    "dwconv.opencl.pw_channels": _int(1, 16),
    # HLS conv2d / dwconv (kernels/hls/include/fpgaops/{conv2d,dwconv}.hpp)
    "conv2d.line_buffer_w": _int(1, 1 << 16),
    "conv2d.line_buffer_rows": _int(1, 1024),
    "conv2d.weight_buffer_words": _int(1, 1 << 20, pow2=True),
    "conv2d.fold_taps_max_channels": _int(0, 64),
    "conv2d.store_lanes": _int(1, 64, pow2=True),
    "dwconv.line_buffer_rows": _int(2, 64),
    "winograd.tile_k": _int(1, 256),
    "winograd.tile_w": _int(1, 256),
    "dwconv.max_w": _int(1, 1 << 16),
    "dwconv.max_kernel": _int(1, 16),
    "dwconv.simd": _int(1, 64, pow2=True),
    "dwconv.max_channels": _int(1, 1 << 16),
    "dwconv.max_row": _int(1, 1 << 20),
    "dwconv.line_buffer_uram": _int(0, 1),
    "dwconv.taps_in_fabric": _int(0, 1),
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


def _pack_pairs(c):
    if c["gemm.pack_int8"] and c["gemm.pe"] % 2:
        raise ConfigError("gemm.pe", f"must be even when gemm.pack_int8 = 1 (two output channels per DSP), "
                                     f"got {c['gemm.pe']}")


def _not_above(c, key, of):
    if c[key] > c[of]:
        raise ConfigError(key, f"must be <= {of} ({c[of]}), got {c[key]}")


def check_blocked_lanes(c):
    # every fill step writes SIMD lanes of k taken from one packed word, and the conv / pool blocks
    # are gemm.pe channels, a whole number per word: both must divide the lanes of a word of each
    # dtype the blocked engines are built for (float32: axi.word_bits / 32; without the float32
    # tops, gemm.float32 = 0, the int8 lanes, axi.word_bits / 8)
    if c["gemm.float32"]:
        lanes, what = c["axi.word_bits"] // 32, "the float32 lanes of an AXI word (axi.word_bits / 32)"
        hint = " (or set gemm.float32 = 0 for an int8-only build)"
    else:
        lanes, what = c["axi.word_bits"] // 8, "the int8 lanes of an AXI word (axi.word_bits / 8; gemm.float32 = 0)"
        hint = ""
    for key in ("gemm.simd", "gemm.pe"):
        if lanes % c[key]:
            raise ConfigError(key, f"must divide {what}, got {c[key]}{hint}")


def check_store_lanes(c):
    # the conv epilogue takes a vector of gemm.pe channels in chunks of min(store_lanes, pe)
    lanes, pe = c["conv2d.store_lanes"], c["gemm.pe"]
    if lanes < 1 or lanes < pe and pe % lanes:
        raise ConfigError("conv2d.store_lanes", f"must divide gemm.pe ({pe}) when below it, got {lanes}")


def _dw_rows(c):
    if c["dwconv.max_kernel"] >= c["dwconv.line_buffer_rows"]:
        raise ConfigError("dwconv.max_kernel", f"must be < dwconv.line_buffer_rows ({c['dwconv.line_buffer_rows']}), "
                                               f"got {c['dwconv.max_kernel']}")


# Rules between keys, checked after every key passed its own validator.
CROSS_CHECKS = [
    _multiple("gemm.tile_m", "gemm.pe"),
    _multiple("gemm.tile_k", "gemm.simd"),
    lambda c: check_store_lanes(c),
    lambda c: check_blocked_lanes(c),
    # two output channels per DSP48E2 when int8 MACs are packed
    lambda c: _pack_pairs(c),
    _multiple("gemm.opencl.block_n", "gemm.opencl.vec"),
    _multiple("gemm.opencl.int8_block_n", "gemm.opencl.int8_vec"),
    # conv2d stacks up to line_buffer_rows output rows in the TILE_N columns of the MAC array
    lambda c: _not_above(c, "conv2d.line_buffer_rows", "gemm.tile_n"),
    # a max_kernel x max_kernel filter's rows and the next row must all be in the depthwise line
    # buffer at once (it fills while the window reads)
    lambda c: _dw_rows(c),
    # a vector of dwconv.simd channels is a whole part of an AXI word, in float32 as in int8
    _divides("dwconv.simd", "the float32 lanes of an AXI word (axi.word_bits / 32)", lambda c: c["axi.word_bits"] // 32),
    _multiple("dwconv.max_channels", "dwconv.simd"),
    _multiple("dwconv.max_row", "dwconv.simd"),
]

# ---- pool / act_lut / eltwise / softmax ------------------------------------------------------
ACT_TABLES = ("sigmoid", "tanh", "silu", "gelu", "gelu_tanh")
SCHEMA.update({
    "pool.max_width": _int(1, 1 << 16),
    "pool.max_open_rows": _int(1, 64),
    "pool.max_kernel": _int(1, 1 << 10),
    "pool.blocked_open_rows": _int(1, 64),
    "pool.blocked_out_words": _int(1, 1 << 12),
    "pool.opencl.min_outputs": _int(1, 1 << 20),
    "pool.opencl.max_row": _int(16, 1 << 14),
    "act_lut.max_segments": _int(1, 1 << 16, pow2=True),
    "act_lut.opencl.vec": _int(1, 16, pow2=True),
    "eltwise.segment": _int(64, 1 << 20, pow2=True),
    "eltwise.opencl.vec": _int(1, 16, pow2=True),
    "softmax.max_dim": _int(1, 1 << 20),
    "softmax.opencl.wg": _int(1, 1024, pow2=True),
})
for _t in ACT_TABLES:
    SCHEMA.update({f"act_lut.{_t}.lo": _int(-1024, 1024), f"act_lut.{_t}.hi": _int(-1024, 1024),
                   f"act_lut.{_t}.segments": _int(1, 1 << 16)})
    SCHEMA.update({f"act_lut.{_t}.{s}": _int(-1024, 1024)
                   for s in ("below_slope", "below_offset", "above_slope", "above_offset")})


def _act_table(name):
    def check(c):
        p = f"act_lut.{name}."
        lo, hi, seg = c[p + "lo"], c[p + "hi"], c[p + "segments"]
        if lo >= hi:
            raise ConfigError(p + "hi", f"must be greater than {p}lo ({lo}), got {hi}")
        if seg > c["act_lut.max_segments"]:
            raise ConfigError(p + "segments", f"must be <= act_lut.max_segments ({c['act_lut.max_segments']}), got {seg}")
        # step = (hi - lo) / segments must be 2**k (k of either sign): exact index arithmetic
        num, den = hi - lo, seg
        while num % 2 == 0 and den % 2 == 0:
            num, den = num // 2, den // 2
        if num & (num - 1) or den & (den - 1):
            raise ConfigError(p + "segments", f"(hi - lo) / segments = {hi - lo}/{seg} must be a power of two")
    return check


def _at_least(key, of):
    def check(c):
        if c[key] < c[of]:
            raise ConfigError(key, f"must be >= {of} ({c[of]}), got {c[key]}")
    return check


CROSS_CHECKS += [_act_table(_t) for _t in ACT_TABLES]
# stride-1 windows of extent max_kernel keep max_kernel output rows open at once
CROSS_CHECKS.append(_at_least("pool.max_open_rows", "pool.max_kernel"))


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
    """The kernels/ folder (config/, opencl/, hls/): the installed package data, or the checkout's."""
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
