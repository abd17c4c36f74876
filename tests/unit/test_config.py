"""The kernel config: one file, validated in Python (naming the key) and again in C++."""
import copy
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from fpgaops import config
from fpgaops.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def raw():
    return tomllib.loads(config.default_path().read_text())


def with_value(key, value):
    data = copy.deepcopy(raw())
    node = data
    *path, last = key.split(".")
    for p in path:
        node = node[p]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return data


def test_shipped_config_is_valid_and_readable_by_attribute():
    cfg = config.current()
    assert cfg.gemm.tile_m == raw()["gemm"]["tile_m"]
    assert cfg.gemm.opencl.block_n == raw()["gemm"]["opencl"]["block_n"]
    assert set(cfg.values) == set(config.SCHEMA)


@pytest.mark.parametrize("key, value, message", [
    ("gemm.tile_m", 0, "expected 1 <= value"),
    ("gemm.tile_m", 63, "must be a multiple of gemm.pe"),
    ("gemm.tile_k", 60, "must be a multiple of gemm.simd"),
    ("gemm.simd", 32, "must divide the float32 lanes"),
    ("gemm.pack_int8", 2, "expected 0 <= value <= 1"),
    ("gemm.tile_k", "64", "expected an integer"),
    ("gemm.tile_k", True, "expected an integer"),
    ("axi.word_bits", 500, "power of two"),
    ("conv2d.store_lanes", 12, "power of two"),
    ("gemm.max_dim", 1 << 20, "expected 1 <= value"),
    ("gemm.tile_n", None, "missing"),
    ("gemm.tile_q", 4, "unknown key"),
])
def test_invalid_config_names_the_key(key, value, message):
    with pytest.raises(ConfigError, match=message) as e:
        config.KernelConfig(with_value(key, value))
    assert e.value.key == key
    assert f"'{key}'" in str(e.value)


def test_int8_only_builds_take_simd_up_to_the_int8_lanes():
    # gemm.float32 = 0 (no float32 MAC-array top) lets SIMD exceed the 16 float32 lanes of a
    # 512-bit word, up to its 64 int8 lanes; with the float32 tops the error says how
    def cfg(**kv):
        d = raw()
        for k, v in kv.items():
            d["gemm"][k] = v
        return config.KernelConfig(d)

    with pytest.raises(ConfigError, match="float32 lanes.*gemm.float32 = 0") as e:
        cfg(pe=64, simd=32, tile_k=64)
    assert e.value.key == "gemm.simd"
    c = cfg(pe=64, simd=32, tile_k=64, float32=0)
    assert "#define FPGAOPS_GEMM_FLOAT32 0" in c.header() and c.gemm.simd == 32
    with pytest.raises(ConfigError, match="int8 lanes") as e:
        cfg(simd=48, tile_k=96, float32=0)
    assert e.value.key == "gemm.simd"
    # the channel block (gemm.pe) of the float32 conv2d / pool tops likewise
    with pytest.raises(ConfigError, match="float32 lanes.*gemm.float32 = 0") as e:
        cfg(pe=64)
    assert e.value.key == "gemm.pe"
    assert cfg(pe=64, float32=0).gemm.pe == 64


def test_digest_depends_on_values_not_layout():
    a = config.KernelConfig(raw())
    b = config.KernelConfig(dict(reversed(list(raw().items()))))
    c = config.KernelConfig(with_value("gemm.tile_k", 32))
    assert a.digest == b.digest != c.digest


def test_every_layer_gets_every_key():
    cfg = config.current()
    header = cfg.header()
    defines = cfg.cl_defines()
    for key, value in cfg.values.items():
        macro = cfg.macro(key)
        assert f"#define FPGAOPS_{macro} {value}" in header
        assert f"constexpr int {macro} = {value};" in header
        assert f"-D{macro}={value}" in defines
    assert f'FPGAOPS_CONFIG_DIGEST "{cfg.digest}"' in header


def test_env_var_selects_another_config(tmp_path, monkeypatch):
    text = config.default_path().read_text().replace("tile_k = 64", "tile_k = 32")
    (tmp_path / "alt.toml").write_text(text)
    monkeypatch.setenv(config.ENV_VAR, str(tmp_path / "alt.toml"))
    assert config.load().gemm.tile_k == 32


def test_unreadable_config_is_a_config_error(tmp_path):
    (tmp_path / "bad.toml").write_text("[gemm\n")
    with pytest.raises(ConfigError, match="cannot read"):
        config.load(tmp_path / "bad.toml")


def test_build_script_rejects_bad_config_with_key(tmp_path):
    text = config.default_path().read_text().replace("pe = 16", "pe = 5")
    (tmp_path / "bad.toml").write_text(text)
    r = subprocess.run([sys.executable, str(ROOT / "python" / "fpgaops" / "config.py"), "--config",
                        str(tmp_path / "bad.toml"), "--header", str(tmp_path / "h.hpp")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "gemm.tile_m" in r.stderr and not (tmp_path / "h.hpp").exists()


def test_packing_needs_an_even_pe():
    with pytest.raises(ConfigError, match="must be even") as e:
        config.KernelConfig(_with(("gemm.pe", 1), ("gemm.tile_m", 63), ("gemm.pack_int8", 1)))
    assert e.value.key == "gemm.pe"
    config.KernelConfig(_with(("gemm.pe", 1), ("gemm.tile_m", 63), ("gemm.pack_int8", 0)))  # unpacked: odd is fine


def _with(*pairs):
    data = raw()
    for key, value in pairs:
        *path, last = key.split(".")
        node = data
        for p in path:
            node = node[p]
        node[last] = value
    return data


def _hls_include():
    import importlib.util

    spec = importlib.util.find_spec("hls4ml")
    if os.environ.get("XILINX_HLS"):
        return Path(os.environ["XILINX_HLS"]) / "include"
    if spec is None:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "templates" / "vivado" / "ap_types"


def test_cpp_static_assert_names_the_key(tmp_path):
    """A header that skipped Python validation still cannot compile: gemm.hpp re-checks."""
    inc = _hls_include()
    if inc is None or not (inc / "ap_int.h").exists():
        pytest.skip("ap_int.h not found (pip install hls4ml, or set XILINX_HLS)")
    if not (ROOT / "kernels" / "hls" / "include" / "fpgaops" / "gemm.hpp").exists():
        pytest.fail("kernels/hls/include/fpgaops/gemm.hpp is missing")
    cfg = config.current()
    header = cfg.header().replace(f"GEMM_TILE_M = {cfg.gemm.tile_m};", f"GEMM_TILE_M = {cfg.gemm.pe * 3 + 1};")
    header = header.replace(f"GEMM_TILE_M {cfg.gemm.tile_m}", f"GEMM_TILE_M {cfg.gemm.pe * 3 + 1}")
    (tmp_path / "fpgaops").mkdir()
    (tmp_path / "fpgaops" / "config.hpp").write_text(header)
    src = tmp_path / "tu.cpp"
    src.write_text('#include "fpgaops/tops.hpp"\n#include "fpgaops/gemm.hpp"\n'
                   "void f(const fpgaops::hw::word_t* a, const fpgaops::hw::word_t* b, const fpgaops::hw::word_t* c,"
                   " float* y) { fpgaops_gemm_f32(a, b, c, y, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1.f, 0.f); }\n")
    top = ROOT / "kernels" / "hls" / "top" / "fpgaops_gemm.cpp"
    r = subprocess.run(["g++", "-std=c++14", "-fsyntax-only", f"-I{tmp_path}", f"-I{ROOT / 'kernels/hls/sim'}",
                        f"-I{ROOT / 'kernels/hls/include'}", "-isystem", str(inc), str(top)],
                       capture_output=True, text=True)
    assert r.returncode != 0, "a tile_m that is not a multiple of pe must not compile"
    assert "gemm.tile_m" in r.stderr
