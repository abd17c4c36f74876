// xclbin kernels fpgaops_gemm_f32 / fpgaops_gemm_i8: y = alpha * op(A) @ op(B) + beta * C, batched.
//
// Thin tops over the one GEMM engine (fpgaops/gemm.hpp), instantiated with the build's GemmConfig
// and a dtype policy. Declarations (and the argument contract): fpgaops/tops.hpp; semantics of every
// argument: fpgaops.ops.gemm.GemmCall.
//
// Interfaces: one m_axi bundle per pointer so A, B, C and y stream concurrently on their own AXI
// masters (and can be placed in different memory banks by the link config); offset=slave puts the
// buffer addresses in the s_axilite control block with every scalar.
#include <stdint.h>

#include "fpgaops/gemm.hpp"
#include "fpgaops/tops.hpp"

// m_axi `depth` only sizes the memory model of RTL co-simulation (it is not a limit of the kernel,
// which indexes up to 2^31 elements): it must cover the largest case the co-simulation testbench
// runs. Words for a/b/c, elements for y.
#define FPGAOPS_GEMM_COSIM_DEPTH_WORDS 32768
#define FPGAOPS_GEMM_COSIM_DEPTH_ELEMS 524288

namespace {

using fpgaops::hw::word_t;

// Elements a strided batch of `batch` matrices of `count` elements each spans (as the host does).
long long span(int batch, int stride, long long count) { return (long long)(batch - 1) * stride + count; }

// C-simulation checks of the scalar contract. The host validates all of this before a launch;
// the testbenches call the tops directly, so a bad call fails loudly here instead of reading or
// writing out of bounds. Expands to nothing in synthesis.
void check_gemm_args(const void* a, const void* b, const void* c, const void* y, int batch, int m, int n, int k,
                     int stride_a, int stride_b, int stride_c, int ldc, int trans_a, int trans_b, bool use_c) {
  const int max_dim = fpgaops::cfg::GEMM_MAX_DIM;
  const long long lim = 0x7fffffffLL;
  FPGAOPS_SIM_ASSERT(a != 0 && b != 0 && y != 0, "gemm: null buffer");
  FPGAOPS_SIM_ASSERT(!use_c || c != 0, "gemm: beta != 0 needs c");
  FPGAOPS_SIM_ASSERT(batch >= 1, "gemm: batch = " << batch);
  FPGAOPS_SIM_ASSERT(m >= 1 && m <= max_dim, "gemm: m = " << m << " (gemm.max_dim = " << max_dim << ")");
  FPGAOPS_SIM_ASSERT(n >= 1 && n <= max_dim, "gemm: n = " << n << " (gemm.max_dim = " << max_dim << ")");
  FPGAOPS_SIM_ASSERT(k >= 1 && k <= max_dim, "gemm: k = " << k << " (gemm.max_dim = " << max_dim << ")");
  FPGAOPS_SIM_ASSERT(stride_a >= 0 && stride_b >= 0 && stride_c >= 0,
                     "gemm: negative batch stride (" << stride_a << ", " << stride_b << ", " << stride_c << ")");
  FPGAOPS_SIM_ASSERT(ldc == 0 || ldc == n, "gemm: ldc = " << ldc << ", expected 0 (broadcast row) or n = " << n);
  FPGAOPS_SIM_ASSERT((trans_a == 0 || trans_a == 1) && (trans_b == 0 || trans_b == 1),
                     "gemm: trans_a = " << trans_a << ", trans_b = " << trans_b << " (expected 0 or 1)");
  FPGAOPS_SIM_ASSERT(span(batch, stride_a, (long long)m * k) <= lim, "gemm: a spans more than 2^31 - 1 elements");
  FPGAOPS_SIM_ASSERT(span(batch, stride_b, (long long)k * n) <= lim, "gemm: b spans more than 2^31 - 1 elements");
  FPGAOPS_SIM_ASSERT(!use_c || span(batch, stride_c, ldc ? (long long)m * n : n) <= lim,
                     "gemm: c spans more than 2^31 - 1 elements");
  FPGAOPS_SIM_ASSERT((long long)batch * m * n <= lim, "gemm: y has more than 2^31 - 1 elements");
  (void)a, (void)b, (void)c, (void)y, (void)batch, (void)m, (void)n, (void)k, (void)stride_a, (void)stride_b,
      (void)stride_c, (void)ldc, (void)trans_a, (void)trans_b, (void)use_c, (void)max_dim, (void)lim;
}

}  // namespace

extern "C" {

// Built unless gemm.float32 = 0 (an int8-only board build, whose gemm.pe / gemm.simd may exceed the
// float32 lanes of a word: the float32 engine would not compile there).
#if FPGAOPS_GEMM_FLOAT32
void fpgaops_gemm_f32(const word_t* a, const word_t* b, const word_t* c, float* y, int batch, int m, int n, int k,
                      int stride_a, int stride_b, int stride_c, int ldc, int trans_a, int trans_b, float alpha,
                      float beta) {
#pragma HLS INTERFACE mode=m_axi port=a bundle=gmem0 offset=slave depth=FPGAOPS_GEMM_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=b bundle=gmem1 offset=slave depth=FPGAOPS_GEMM_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=c bundle=gmem2 offset=slave depth=FPGAOPS_GEMM_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
// y stays element-wide (max_widen_bitwidth=32): see store_tile in gemm.hpp for why.
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem3 offset=slave depth=FPGAOPS_GEMM_COSIM_DEPTH_ELEMS max_write_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=s_axilite port=batch
#pragma HLS INTERFACE mode=s_axilite port=m
#pragma HLS INTERFACE mode=s_axilite port=n
#pragma HLS INTERFACE mode=s_axilite port=k
#pragma HLS INTERFACE mode=s_axilite port=stride_a
#pragma HLS INTERFACE mode=s_axilite port=stride_b
#pragma HLS INTERFACE mode=s_axilite port=stride_c
#pragma HLS INTERFACE mode=s_axilite port=ldc
#pragma HLS INTERFACE mode=s_axilite port=trans_a
#pragma HLS INTERFACE mode=s_axilite port=trans_b
#pragma HLS INTERFACE mode=s_axilite port=alpha
#pragma HLS INTERFACE mode=s_axilite port=beta
#pragma HLS INTERFACE mode=s_axilite port=return
  FPGAOPS_CYCLES_KERNEL("fpgaops_gemm_f32");
  check_gemm_args(a, b, c, y, batch, m, n, k, stride_a, stride_b, stride_c, ldc, trans_a, trans_b, beta != 0.0f);
  const fpgaops::hw::GemmArgs<float> g = {batch,    m,   n, k, stride_a, stride_b, stride_c, ldc, trans_a != 0,
                                          trans_b != 0, alpha, beta};
  fpgaops::hw::gemm<fpgaops::hw::GemmConfig, fpgaops::hw::GemmF32>(a, b, c, y, g);
}
#endif  // FPGAOPS_GEMM_FLOAT32

void fpgaops_gemm_i8(const word_t* a, const word_t* b, const word_t* c, int32_t* y, int batch, int m, int n, int k,
                     int stride_a, int stride_b, int stride_c, int ldc, int trans_a, int trans_b, int beta) {
#pragma HLS INTERFACE mode=m_axi port=a bundle=gmem0 offset=slave depth=FPGAOPS_GEMM_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=b bundle=gmem1 offset=slave depth=FPGAOPS_GEMM_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=c bundle=gmem2 offset=slave depth=FPGAOPS_GEMM_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem3 offset=slave depth=FPGAOPS_GEMM_COSIM_DEPTH_ELEMS max_write_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=s_axilite port=batch
#pragma HLS INTERFACE mode=s_axilite port=m
#pragma HLS INTERFACE mode=s_axilite port=n
#pragma HLS INTERFACE mode=s_axilite port=k
#pragma HLS INTERFACE mode=s_axilite port=stride_a
#pragma HLS INTERFACE mode=s_axilite port=stride_b
#pragma HLS INTERFACE mode=s_axilite port=stride_c
#pragma HLS INTERFACE mode=s_axilite port=ldc
#pragma HLS INTERFACE mode=s_axilite port=trans_a
#pragma HLS INTERFACE mode=s_axilite port=trans_b
#pragma HLS INTERFACE mode=s_axilite port=beta
#pragma HLS INTERFACE mode=s_axilite port=return
  FPGAOPS_CYCLES_KERNEL("fpgaops_gemm_i8");
  check_gemm_args(a, b, c, y, batch, m, n, k, stride_a, stride_b, stride_c, ldc, trans_a, trans_b, beta != 0);
  FPGAOPS_SIM_ASSERT(beta == 0 || beta == 1, "gemm_i8: beta = " << beta << " (expected 0 or 1)");
  const fpgaops::hw::GemmArgs<int> g = {batch,        m, n, k, stride_a, stride_b, stride_c, ldc, trans_a != 0,
                                        trans_b != 0, 1, beta};
  fpgaops::hw::gemm<fpgaops::hw::GemmConfig, fpgaops::hw::GemmI8>(a, b, c, y, g);
}

}  // extern "C"
