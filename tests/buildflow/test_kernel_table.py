"""fpgaops.kernels: the kernel table parsed from tops.hpp, with v++'s control-register layout."""
import pytest

from fpgaops import kernels
from fpgaops.errors import ArgumentError


def _parse(decls, top_dir=None):
    return kernels.parse_tops('#include <stdint.h>\nextern "C" {\n// ---- fam (fpgaops_fam.cpp): x\n' + decls + "\n}",
                              top_dir)


def test_gemm_layout_as_vplusplus_assigns_it():
    table = kernels.load()
    f32 = table["fpgaops_gemm_f32"]
    assert [a.name for a in f32.args] == ["a", "b", "c", "y", "batch", "m", "n", "k", "stride_a", "stride_b",
                                          "stride_c", "ldc", "trans_a", "trans_b", "alpha", "beta"]
    # pointers: 8 data bytes + 4 reserved -> 12-byte stride from 0x10; scalars: 4 + 4 reserved
    assert [a.offset for a in f32.args[:5]] == [0x10, 0x1C, 0x28, 0x34, 0x40]
    assert [a.offset for a in f32.args[4:]] == [0x40 + 8 * i for i in range(12)]
    assert f32.family == "gemm" and f32.source == "fpgaops_gemm.cpp"
    assert f32.address_range == 0x100 and f32.register_map_end == 0xA0
    assert [a.scalar_kind for a in f32.args[-2:]] == ["float", "float"]


def test_scalar_widths_and_types():
    (k,) = _parse("void fpgaops_fam_x(const float* p, bool f, char c, short s, double d, uint64_t u, int8_t i, unsigned n);")
    assert [(a.size, a.offset) for a in k.args] == [(8, 0x10), (1, 0x1C), (1, 0x24), (2, 0x2C), (8, 0x34),
                                                    (8, 0x40), (1, 0x4C), (4, 0x54)]
    assert [a.scalar_kind for a in k.args] == ["", "uint", "int", "int", "float", "uint", "int", "uint"]
    assert [a.port for a in k.args[:2]] == ["m_axi_gmem0", "s_axi_control"]


def test_bundles_from_the_top_pragmas(tmp_path):
    (tmp_path / "fpgaops_fam.cpp").write_text("""
// #pragma HLS INTERFACE m_axi port=a bundle=commented_out
extern "C" void fpgaops_fam_x(const int* a, const int* b, int* y, int n) {
#pragma HLS INTERFACE m_axi port=a bundle=gmem_in offset=slave
#pragma HLS INTERFACE mode=m_axi port=b bundle=gmem_in
#pragma HLS INTERFACE ap_ctrl_hs port=return
  y[0] = a[0] + b[0] + n;
}
void fpgaops_fam_other(int* a) {
#pragma HLS INTERFACE m_axi port=a bundle=elsewhere
}
""")
    (k,) = _parse("void fpgaops_fam_x(const int* a, const int* b, int* y, int n);", tmp_path)
    assert [a.bundle for a in k.pointer_args] == ["gmem_in", "gmem_in", "gmem0"]
    assert k.bundles == {"gmem_in": ["a", "b"], "gmem0": ["y"]}
    assert k.control == "ap_ctrl_hs"


@pytest.mark.parametrize("decl, msg", [
    ("void fpgaops_fam_x(int& r);", "must be a pointer or a scalar"),
    ("void fpgaops_fam_x(std::string s);", "unsupported scalar type"),
    ("void fpgaops_fam_x(int a); void fpgaops_fam_x(int b);", "declared twice"),
    ("", "no kernel declarations"),
])
def test_bad_declarations(decl, msg):
    with pytest.raises(ArgumentError, match=msg):
        _parse(decl)


def test_kernel_outside_a_family_block():
    with pytest.raises(ArgumentError, match="not inside a '// ---- <family>"):
        kernels.parse_tops('extern "C" {\nvoid fpgaops_x(int a);\n}')
    with pytest.raises(ArgumentError, match='no extern "C" block'):
        kernels.parse_tops("void fpgaops_x(int a);")


def test_cmake_listing():
    import subprocess
    import sys

    import fpgaops

    out = subprocess.run([sys.executable, fpgaops.__path__[0] + "/kernels.py", "--cmake"], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == [f"{k.name}|{k.source}|{k.family}" for k in kernels.load().values()]
