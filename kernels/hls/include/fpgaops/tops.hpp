// Declarations of every extern "C" kernel top in kernels/hls/top/ -- the functions v++ compiles
// into xclbin kernels and the C-simulation module / testbenches call. One block per op family.
#ifndef FPGAOPS_TOPS_HPP
#define FPGAOPS_TOPS_HPP

#include <stdint.h>

#include "fpgaops/common.hpp"

extern "C" {

// ---- gemm (fpgaops_gemm.cpp): y = alpha * op(A) @ op(B) + beta * C, batched ------------------
// Semantics of every argument: fpgaops.ops.gemm.GemmCall. a, b, c are read as packed AXI words
// at any element offset; y is written element-wise (see gemm.hpp for why).
void fpgaops_gemm_f32(const fpgaops::hw::word_t* a, const fpgaops::hw::word_t* b, const fpgaops::hw::word_t* c,
                      float* y, int batch, int m, int n, int k, int stride_a, int stride_b, int stride_c, int ldc,
                      int trans_a, int trans_b, float alpha, float beta);
// int8 x int8 -> int32, exact; C (int32) is added when beta == 1 (alpha is always 1).
void fpgaops_gemm_i8(const fpgaops::hw::word_t* a, const fpgaops::hw::word_t* b, const fpgaops::hw::word_t* c,
                     int32_t* y, int batch, int m, int n, int k, int stride_a, int stride_b, int stride_c, int ldc,
                     int trans_a, int trans_b, int beta);
}

#endif  // FPGAOPS_TOPS_HPP
