// xclbin kernels fpgaops_eltwise_f32 / fpgaops_eltwise_i8: y = act(a + b) / act(a * b) with
// three-level broadcasting. Thin tops over fpgaops/eltwise.hpp; declarations: fpgaops/tops.hpp;
// argument semantics: fpgaops.ops.eltwise.EltwiseCall. y is a fresh device buffer (word-aligned),
// written as whole packed words; a and b may start at any element offset.
#include <stdint.h>

#include "fpgaops/eltwise.hpp"
#include "fpgaops/tops.hpp"

#define FPGAOPS_ELTWISE_COSIM_DEPTH_WORDS 65536
#define FPGAOPS_ELTWISE_COSIM_TABLE_WORDS 1024

using fpgaops::hw::word_t;

extern "C" {

void fpgaops_eltwise_f32(const word_t* a, const word_t* b, word_t* y, int op, int p, int q, int r, int a_sp,
                         int a_sq, int a_sr, int b_sp, int b_sq, int b_sr, int kind, float alpha, float beta,
                         const word_t* table) {
#pragma HLS INTERFACE mode=m_axi port=a bundle=gmem0 offset=slave depth=FPGAOPS_ELTWISE_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=b bundle=gmem1 offset=slave depth=FPGAOPS_ELTWISE_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem2 offset=slave depth=FPGAOPS_ELTWISE_COSIM_DEPTH_WORDS max_write_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=table bundle=gmem3 offset=slave depth=FPGAOPS_ELTWISE_COSIM_TABLE_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=s_axilite port=op
#pragma HLS INTERFACE mode=s_axilite port=p
#pragma HLS INTERFACE mode=s_axilite port=q
#pragma HLS INTERFACE mode=s_axilite port=r
#pragma HLS INTERFACE mode=s_axilite port=a_sp
#pragma HLS INTERFACE mode=s_axilite port=a_sq
#pragma HLS INTERFACE mode=s_axilite port=a_sr
#pragma HLS INTERFACE mode=s_axilite port=b_sp
#pragma HLS INTERFACE mode=s_axilite port=b_sq
#pragma HLS INTERFACE mode=s_axilite port=b_sr
#pragma HLS INTERFACE mode=s_axilite port=kind
#pragma HLS INTERFACE mode=s_axilite port=alpha
#pragma HLS INTERFACE mode=s_axilite port=beta
#pragma HLS INTERFACE mode=s_axilite port=return
  FPGAOPS_CYCLES_KERNEL("fpgaops_eltwise_f32");
  FPGAOPS_SIM_ASSERT(a != 0 && b != 0 && y != 0, "eltwise: null buffer");
  FPGAOPS_SIM_ASSERT(kind >= fpgaops::hw::act::NONE && kind <= fpgaops::hw::act::TABLE && (kind != 5 || table != 0),
                     "eltwise_f32: kind = " << kind);
  const fpgaops::hw::EltArgs g = {op, p, q, r, a_sp, a_sq, a_sr, b_sp, b_sq, b_sr, kind, alpha, beta, 0, 0, 0, 0, 0, 0};
  fpgaops::hw::eltwise<fpgaops::hw::EltwiseConfig, fpgaops::hw::EltF32>(a, b, y, table, g);
}

void fpgaops_eltwise_i8(const word_t* a, const word_t* b, word_t* y, int op, int p, int q, int r, int a_sp,
                        int a_sq, int a_sr, int b_sp, int b_sq, int b_sr, int use_lut, const word_t* lut, int za,
                        int zb, int zo, int ma, int mb, int shift) {
#pragma HLS INTERFACE mode=m_axi port=a bundle=gmem0 offset=slave depth=FPGAOPS_ELTWISE_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=b bundle=gmem1 offset=slave depth=FPGAOPS_ELTWISE_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem2 offset=slave depth=FPGAOPS_ELTWISE_COSIM_DEPTH_WORDS max_write_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=lut bundle=gmem3 offset=slave depth=8 max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=s_axilite port=op
#pragma HLS INTERFACE mode=s_axilite port=p
#pragma HLS INTERFACE mode=s_axilite port=q
#pragma HLS INTERFACE mode=s_axilite port=r
#pragma HLS INTERFACE mode=s_axilite port=a_sp
#pragma HLS INTERFACE mode=s_axilite port=a_sq
#pragma HLS INTERFACE mode=s_axilite port=a_sr
#pragma HLS INTERFACE mode=s_axilite port=b_sp
#pragma HLS INTERFACE mode=s_axilite port=b_sq
#pragma HLS INTERFACE mode=s_axilite port=b_sr
#pragma HLS INTERFACE mode=s_axilite port=use_lut
#pragma HLS INTERFACE mode=s_axilite port=za
#pragma HLS INTERFACE mode=s_axilite port=zb
#pragma HLS INTERFACE mode=s_axilite port=zo
#pragma HLS INTERFACE mode=s_axilite port=ma
#pragma HLS INTERFACE mode=s_axilite port=mb
#pragma HLS INTERFACE mode=s_axilite port=shift
#pragma HLS INTERFACE mode=s_axilite port=return
  FPGAOPS_CYCLES_KERNEL("fpgaops_eltwise_i8");
  FPGAOPS_SIM_ASSERT(a != 0 && b != 0 && y != 0 && (!use_lut || lut != 0), "eltwise: null buffer");
  FPGAOPS_SIM_ASSERT(za >= -128 && za <= 127 && zb >= -128 && zb <= 127 && zo >= -128 && zo <= 127,
                     "eltwise_i8: zero points " << za << ", " << zb << ", " << zo);
  FPGAOPS_SIM_ASSERT(ma >= 0 && mb >= 0, "eltwise_i8: negative multiplier");
  const int kind = use_lut ? int(fpgaops::hw::act::LUT8) : int(fpgaops::hw::act::NONE);
  const fpgaops::hw::EltArgs g = {op, p, q, r, a_sp, a_sq, a_sr, b_sp, b_sq, b_sr, kind, 0.0f, 0.0f, za, zb, zo,
                                  ma, mb, shift};
  fpgaops::hw::eltwise<fpgaops::hw::EltwiseConfig, fpgaops::hw::EltI8>(a, b, y, lut, g);
}

}  // extern "C"
