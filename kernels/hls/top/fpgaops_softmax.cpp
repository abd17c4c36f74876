// xclbin kernel fpgaops_softmax_f32: numerically stable softmax over rows x[o, :, r] of a dense
// (outer, n, inner) tensor. Thin top over fpgaops/softmax.hpp; declaration: fpgaops/tops.hpp;
// argument semantics: fpgaops.ops.softmax.SoftmaxCall.
#include "fpgaops/softmax.hpp"
#include "fpgaops/tops.hpp"

#define FPGAOPS_SOFTMAX_COSIM_DEPTH_WORDS 16384
#define FPGAOPS_SOFTMAX_COSIM_DEPTH_ELEMS 262144

using fpgaops::hw::word_t;

extern "C" {

void fpgaops_softmax_f32(const word_t* x, float* y, int outer, int n, int inner) {
#pragma HLS INTERFACE mode=m_axi port=x bundle=gmem0 offset=slave depth=FPGAOPS_SOFTMAX_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem1 offset=slave depth=FPGAOPS_SOFTMAX_COSIM_DEPTH_ELEMS max_write_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=s_axilite port=outer
#pragma HLS INTERFACE mode=s_axilite port=n
#pragma HLS INTERFACE mode=s_axilite port=inner
#pragma HLS INTERFACE mode=s_axilite port=return
  FPGAOPS_CYCLES_KERNEL("fpgaops_softmax_f32");
  FPGAOPS_SIM_ASSERT(x != 0 && y != 0, "softmax: null buffer");
  fpgaops::hw::check_softmax_args(outer, n, inner);
  fpgaops::hw::SoftmaxEngine<fpgaops::hw::SoftmaxConfig>::run(x, y, outer, n, inner);
}

}  // extern "C"
