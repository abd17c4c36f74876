// xclbin kernels fpgaops_act_f32 / fpgaops_act_i8: one activation over `count` elements.
//
// Thin tops over the activation policy (fpgaops/act_lut.hpp). float32: the kind is a scalar (closed
// forms, or the piecewise-linear table loaded from `table`); int8: the 256-entry LUT loaded from
// `lut`. Declarations: fpgaops/tops.hpp; argument semantics: fpgaops.ops.act_lut.ActCall.
// x, y and the tables are fresh device buffers, so they start word-aligned: whole packed words in
// and out, one per cycle.
#include <stdint.h>

#include "fpgaops/act_lut.hpp"
#include "fpgaops/tops.hpp"

#define FPGAOPS_ACT_COSIM_DEPTH_WORDS 65536
#define FPGAOPS_ACT_COSIM_TABLE_WORDS 1024

using fpgaops::hw::word_t;

extern "C" {

void fpgaops_act_f32(const word_t* x, word_t* y, int count, int kind, float alpha, float beta, const word_t* table) {
#pragma HLS INTERFACE mode=m_axi port=x bundle=gmem0 offset=slave depth=FPGAOPS_ACT_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem1 offset=slave depth=FPGAOPS_ACT_COSIM_DEPTH_WORDS max_write_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=table bundle=gmem2 offset=slave depth=FPGAOPS_ACT_COSIM_TABLE_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=s_axilite port=count
#pragma HLS INTERFACE mode=s_axilite port=kind
#pragma HLS INTERFACE mode=s_axilite port=alpha
#pragma HLS INTERFACE mode=s_axilite port=beta
#pragma HLS INTERFACE mode=s_axilite port=return
  FPGAOPS_CYCLES_KERNEL("fpgaops_act_f32");
  FPGAOPS_SIM_ASSERT(x != 0 && y != 0 && (kind != fpgaops::hw::act::TABLE || table != 0), "act: null buffer");
  FPGAOPS_SIM_ASSERT(count >= 1, "act: count = " << count);
  FPGAOPS_SIM_ASSERT(kind >= fpgaops::hw::act::NONE && kind <= fpgaops::hw::act::TABLE, "act_f32: kind = " << kind);
  const fpgaops::hw::act::Params p = {alpha, beta};
  fpgaops::hw::act::ActEngine<fpgaops::hw::act::ActLutConfig>::run_f32(x, y, count, kind, p, table);
}

void fpgaops_act_i8(const word_t* x, word_t* y, int count, const word_t* lut) {
#pragma HLS INTERFACE mode=m_axi port=x bundle=gmem0 offset=slave depth=FPGAOPS_ACT_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem1 offset=slave depth=FPGAOPS_ACT_COSIM_DEPTH_WORDS max_write_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=lut bundle=gmem2 offset=slave depth=8 max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=s_axilite port=count
#pragma HLS INTERFACE mode=s_axilite port=return
  FPGAOPS_CYCLES_KERNEL("fpgaops_act_i8");
  FPGAOPS_SIM_ASSERT(x != 0 && y != 0 && lut != 0, "act: null buffer");
  FPGAOPS_SIM_ASSERT(count >= 1, "act: count = " << count);
  fpgaops::hw::act::ActEngine<fpgaops::hw::act::ActLutConfig>::run_i8(x, y, count, lut);
}

}  // extern "C"
