"""fpgaops.xclbin: the axlf container, its sections, manifests and `fpgaops xclbin-info`.

Pure Python except one cross-check that compiles a reader against XRT's own xclbin.h."""
import json
import os
import shutil
import struct
import subprocess
import types
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpgaops
from fpgaops import cli, config, kernels, xclbin
from fpgaops.errors import ArgumentError, DeviceError

from fpgaops.platforms import BOARDS


def test_round_trip_is_byte_exact(project_xclbin):
    data = project_xclbin("u50").read_bytes()
    x = xclbin.Xclbin.parse(data)
    assert x.to_bytes() == data
    assert data[:8] == b"xclbin2\0"
    assert struct.unpack_from("<Q", data, xclbin.HEADER_OFFSET)[0] == len(data)  # m_length


@pytest.mark.parametrize("board", BOARDS)
def test_project_xclbin_sections_follow_platform_and_tops(board, project_xclbin):
    from fpgaops import platforms

    x = xclbin.Xclbin.read(project_xclbin(board))
    p = platforms.load(board)
    table = kernels.load()
    assert x.platform_vbnv == p.platform
    assert [m.tag for m in x.mem_topology] == [b.tag for b in p.banks]
    # one IP_KERNEL per compute unit of nk=, named kernel:cu, 64 KiB apart, sorted by address
    ips = x.ip_layout
    assert [(ip.kernel, ip.cu) for ip in ips] == [(k, cu) for k in table for cu in p.compute_units(k)]
    assert [ip.base_address for ip in ips] == sorted(ip.base_address for ip in ips)
    # every pointer argument is connected exactly to the banks of its sp= line
    banks = x.arg_banks()
    for ip in ips:
        for a in table[ip.kernel].pointer_args:
            got = [x.mem_topology[i].tag for i in banks[(ip.cu, a.index)]]
            assert got == p.port_banks(ip.cu, a.name)
    used = {i for idx in banks.values() for i in idx}
    assert [m.used for m in x.mem_topology] == [i in used for i in range(len(x.mem_topology))]
    # EMBEDDED_METADATA carries tops.hpp's arguments with v++'s register layout
    for k in x.kernels:
        spec = table[k.name]
        assert [(a.name, a.is_pointer, a.offset, a.size, a.port) for a in k.args] == \
               [(a.name, a.is_pointer, a.offset, a.size, a.port) for a in spec.args]
        assert set(k.instances) == set(p.compute_units(k.name))
    assert x.clocks == [(p.kernel_clock_mhz, 2, "KERNEL_CLK")]
    meta = x.build_metadata["build_metadata"]
    assert meta["dsa"]["name"] == p.platform


def test_project_xclbin_is_deterministic(project_xclbin, tmp_path):
    first = project_xclbin("u280").read_bytes()
    again = xclbin.write_project_xclbin("u280", tmp_path / "again.xclbin").read_bytes()
    assert first == again


def test_reader_matches_xrt_header(project_xclbin, tmp_path):
    """Compile a tiny reader against XRT's xclbin.h and compare what it sees with our parse."""
    header = next((h for h in ("/usr/include/xrt/xclbin.h", "/opt/xilinx/xrt/include/xclbin.h")
                   if os.path.isfile(h)), None)
    if header is None or shutil.which("g++") is None:
        pytest.skip("XRT's xclbin.h (libxrt-dev) or g++ not found")
    src = tmp_path / "read.cpp"
    src.write_text(r"""
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>
#include "xclbin.h"
int main(int, char** argv) {
  std::ifstream f(argv[1], std::ios::binary);
  std::vector<char> d((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto top = reinterpret_cast<const axlf*>(d.data());
  std::printf("len %llu sections %u\n", (unsigned long long)top->m_header.m_length, top->m_header.m_numSections);
  auto ipsec = xclbin::get_axlf_section(top, IP_LAYOUT);
  auto ips = reinterpret_cast<const ip_layout*>(d.data() + ipsec->m_sectionOffset);
  for (int i = 0; i < ips->m_count; ++i)
    std::printf("ip %s 0x%llx\n", ips->m_ip_data[i].m_name, (unsigned long long)ips->m_ip_data[i].m_base_address);
  auto msec = xclbin::get_axlf_section(top, MEM_TOPOLOGY);
  auto mems = reinterpret_cast<const mem_topology*>(d.data() + msec->m_sectionOffset);
  for (int i = 0; i < mems->m_count; ++i)
    std::printf("mem %s %d %llu\n", mems->m_mem_data[i].m_tag, mems->m_mem_data[i].m_used,
                (unsigned long long)mems->m_mem_data[i].m_size);
  auto csec = xclbin::get_axlf_section(top, CONNECTIVITY);
  auto cs = reinterpret_cast<const connectivity*>(d.data() + csec->m_sectionOffset);
  for (int i = 0; i < cs->m_count; ++i)
    std::printf("conn %d %d %d\n", cs->m_connection[i].arg_index, cs->m_connection[i].m_ip_layout_index,
                cs->m_connection[i].mem_data_index);
}
""")
    exe = tmp_path / "read"
    inc = str(Path(header).parent)
    subprocess.run(["g++", "-std=c++17", "-I", inc, str(src), "-o", str(exe)], check=True, capture_output=True)
    path = project_xclbin("u250")
    out = subprocess.run([str(exe), str(path)], check=True, capture_output=True, text=True).stdout.splitlines()
    x = xclbin.Xclbin.read(path)
    want = [f"len {len(path.read_bytes())} sections {len(x.sections)}"]
    want += [f"ip {ip.name} {hex(ip.base_address)}" for ip in x.ip_layout]
    want += [f"mem {m.tag} {int(m.used)} {m.size_kib}" for m in x.mem_topology]
    want += [f"conn {c.arg_index} {c.ip_index} {c.mem_index}" for c in x.connectivity]
    assert out == want


# --- malformed input: always ArgumentError, naming the problem --------------------------------

def _patched(data, offset, fmt, value):
    b = bytearray(data)
    struct.pack_into(fmt, b, offset, value)
    return bytes(b)


def test_truncated_and_wrong_magic(project_xclbin):
    data = project_xclbin("u50").read_bytes()
    with pytest.raises(ArgumentError, match="truncated"):
        xclbin.Xclbin.parse(data[:100])
    with pytest.raises(ArgumentError, match="truncated"):
        xclbin.Xclbin.parse(data[:-8])
    with pytest.raises(ArgumentError, match="wrong magic"):
        xclbin.Xclbin.parse(b"xclbin1\0" + data[8:])
    with pytest.raises(ArgumentError, match="wrong magic"):
        xclbin.Xclbin.parse(b"\0" * 1000)


def test_section_table_out_of_range(project_xclbin):
    data = project_xclbin("u50").read_bytes()
    nsec_at = xclbin.HEADER_OFFSET + 144  # axlf_header.m_numSections
    with pytest.raises(ArgumentError, match="sections declared"):
        xclbin.Xclbin.parse(_patched(data, nsec_at, "<I", 0x10001))
    with pytest.raises(ArgumentError, match="smaller than its own section table"):
        xclbin.Xclbin.parse(_patched(data, nsec_at, "<I", 5000))
    first = xclbin.SECTIONS_OFFSET
    with pytest.raises(ArgumentError, match="outside the payload area"):
        xclbin.Xclbin.parse(_patched(data, first + 24, "<Q", len(data)))          # offset past the end
    with pytest.raises(ArgumentError, match="outside the payload area"):
        xclbin.Xclbin.parse(_patched(data, first + 32, "<Q", 2**63))              # absurd size
    with pytest.raises(ArgumentError, match="outside the payload area"):
        xclbin.Xclbin.parse(_patched(data, first + 24, "<Q", 8))                  # inside the header


def _replace_section(data, kind, payload):
    x = xclbin.Xclbin.parse(data)
    for s in x.sections:
        if s.kind == xclbin.SECTION_KINDS[kind]:
            s.data = payload
    return xclbin.Xclbin.parse(x.to_bytes())


def test_section_contents_are_checked(project_xclbin):
    data = project_xclbin("u50").read_bytes()
    x = _replace_section(data, "IP_LAYOUT", struct.pack("<i4x", 1000) + b"\0" * 80)
    with pytest.raises(ArgumentError, match="IP_LAYOUT declares 1000 entries"):
        x.ip_layout
    x = _replace_section(data, "MEM_TOPOLOGY", struct.pack("<i", -1))
    with pytest.raises(ArgumentError, match="MEM_TOPOLOGY count is negative"):
        x.mem_topology
    x = _replace_section(data, "CONNECTIVITY", struct.pack("<iiii", 1, 0, 0, 99))
    with pytest.raises(ArgumentError, match="CONNECTIVITY entry 0"):
        x.connectivity
    x = _replace_section(data, "CONNECTIVITY", b"\1")
    with pytest.raises(ArgumentError, match="too short"):
        x.connectivity
    x = _replace_section(data, "EMBEDDED_METADATA", b"<project><kernel")
    with pytest.raises(ArgumentError, match="not valid XML"):
        x.kernels
    x = _replace_section(data, "EMBEDDED_METADATA", b'<project><kernel name="k"><arg name="a" offset="zz"/></kernel></project>')
    with pytest.raises(ArgumentError, match="offset='zz' is not a number"):
        x.kernels
    x = _replace_section(data, "BUILD_METADATA", b"{not json")
    with pytest.raises(ArgumentError, match="not valid JSON"):
        x.build_metadata


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_corrupted_files_raise_argument_error_only(data):
    base = xclbin.project_xclbin("u50").to_bytes()
    b = bytearray(base)
    for _ in range(data.draw(st.integers(1, 8))):
        b[data.draw(st.integers(0, len(b) - 1))] = data.draw(st.integers(0, 255))
    blob = bytes(b[: data.draw(st.integers(0, len(b)))])
    try:
        x = xclbin.Xclbin.parse(blob)
        x.ip_layout, x.mem_topology, x.connectivity, x.kernels, x.build_metadata, x.clocks
        x.info()
    except ArgumentError:
        pass


def test_read_missing_file(tmp_path):
    with pytest.raises(ArgumentError, match="cannot read"):
        xclbin.Xclbin.read(tmp_path / "nope.xclbin")


# --- manifests --------------------------------------------------------------------------------

def test_manifest_contents(project_xclbin):
    path = project_xclbin("u280")
    m = json.loads(xclbin.manifest_path(path).read_text())
    x = xclbin.Xclbin.read(path)
    cfg = config.current()
    assert m["format"] == xclbin.MANIFEST_FORMAT
    assert m["config"]["digest"] == cfg.digest and m["config"]["values"] == cfg.values
    assert m["xclbin_uuid"] == str(x.uuid) and m["board"] == "u280" and m["target"] == "hw"
    assert m["kernels"] == list(kernels.load())
    assert m["compute_units"] == {ip.cu: ip.kernel for ip in x.ip_layout}
    assert m["tool"]["name"] == "fpgaops.xclbin" and m["tool"]["bitstream"] is False
    assert xclbin.check_manifest(x)["board"] == "u280"


def _copy(src, dst_dir):
    dst = dst_dir / src.name
    dst.write_bytes(src.read_bytes())
    xclbin.manifest_path(dst).write_text(xclbin.manifest_path(src).read_text())
    return dst


def test_manifest_refusals(project_xclbin, tmp_path):
    path = _copy(project_xclbin("u50"), tmp_path)
    mpath = xclbin.manifest_path(path)
    m = json.loads(mpath.read_text())
    # another kernel config: refused, both digests named
    other = types.SimpleNamespace(digest="0" * 16, source="other.toml")
    with pytest.raises(DeviceError, match=f"built for kernel config {m['config']['digest']}.*is 0000000000000000"):
        xclbin.check_manifest(xclbin.Xclbin.read(path), other)
    mpath.write_text(json.dumps({**m, "config": {**m["config"], "digest": "ffffffffffffffff"}}))
    with pytest.raises(DeviceError, match="ffffffffffffffff.*installed config"):
        xclbin.check_manifest(xclbin.Xclbin.read(path))
    mpath.write_text(json.dumps({**m, "xclbin_uuid": str(uuid.uuid4())}))
    with pytest.raises(DeviceError, match="belongs to another build"):
        xclbin.check_manifest(xclbin.Xclbin.read(path))
    mpath.write_text("{broken")
    with pytest.raises(ArgumentError, match="not a readable JSON manifest"):
        xclbin.check_manifest(xclbin.Xclbin.read(path))
    mpath.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ArgumentError, match="format"):
        xclbin.check_manifest(xclbin.Xclbin.read(path))
    mpath.unlink()
    with pytest.raises(DeviceError, match="has no manifest"):
        xclbin.check_manifest(xclbin.Xclbin.read(path))


def test_check_kernels_refuses_other_sources(project_xclbin):
    x = xclbin.Xclbin.read(project_xclbin("u50"))
    table = kernels.load()
    xclbin.check_kernels(x, table)
    spec = table["fpgaops_gemm_f32"]
    changed = dict(table)
    changed[spec.name] = kernels.KernelSpec(spec.name, spec.family, spec.source, spec.args[:-1], spec.control)
    with pytest.raises(DeviceError, match="built from different kernel sources"):
        xclbin.check_kernels(x, changed)


# --- the command line -------------------------------------------------------------------------

def test_cli_xclbin_info(project_xclbin, capsys):
    path = project_xclbin("u50")
    assert cli.main(["xclbin-info", str(path)]) == 0
    out = capsys.readouterr().out
    x = xclbin.Xclbin.read(path)
    assert str(x.uuid) in out and "xilinx_u50_gen3x16_xdma_5_202210_1" in out
    assert "cu fpgaops_gemm_f32_1  base 0x1800000" in out
    assert "0  a          pointer 0x0010     8  m_axi_gmem0 -> HBM[0]" in out
    assert "1  b          pointer 0x001c" in out
    assert "4  batch      scalar  0x0040     4  s_axi_control" in out
    assert "[ 4] HBM[4]" in out and "(unused)" in out
    assert f"digest {config.current().digest}" in out


def test_cli_xclbin_info_without_manifest_and_on_garbage(project_xclbin, tmp_path, capsys):
    path = _copy(project_xclbin("zcu104"), tmp_path)
    xclbin.manifest_path(path).unlink()
    assert cli.main(["xclbin-info", str(path)]) == 0
    assert "digest unknown: no manifest" in capsys.readouterr().out
    bad = tmp_path / "bad.xclbin"
    bad.write_bytes(b"not an xclbin at all" * 40)
    assert cli.main(["xclbin-info", str(bad)]) == 2
    assert "wrong magic" in capsys.readouterr().err


def test_cli_module_entry_point(project_xclbin):
    import sys

    out = subprocess.run([sys.executable, "-m", "fpgaops", "xclbin-info", str(project_xclbin("u250"))],
                         capture_output=True, text=True, check=True).stdout
    assert "DDR[0]" in out and "fpgaops_gemm_i8_1" in out


def test_script_mode_used_by_cmake(project_xclbin, tmp_path):
    """CMake runs xclbin.py as a plain script (no package import): manifest + info must work so."""
    import sys

    path = _copy(project_xclbin("u50"), tmp_path)
    xclbin.manifest_path(path).unlink()
    version = tmp_path / "v.txt"
    version.write_text("v++ v2099.1 (64-bit)\n")
    script = fpgaops.__path__[0] + "/xclbin.py"
    subprocess.run([sys.executable, script, "manifest", "--xclbin", str(path), "--board", "u50", "--target", "hw",
                    "--tool", "v++", "--tool-version-file", str(version)], check=True)
    m = json.loads(xclbin.manifest_path(path).read_text())
    assert m["tool"] == {"name": "v++", "version": "v++ v2099.1 (64-bit)"}
    assert m["config"]["digest"] == config.current().digest
    r = subprocess.run([sys.executable, script, "info", str(tmp_path / "missing.xclbin")], capture_output=True, text=True)
    assert r.returncode == 1 and "cannot read" in r.stderr
