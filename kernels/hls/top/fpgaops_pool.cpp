// xclbin kernels fpgaops_pool_f32 / fpgaops_pool_i8: max / average pooling (regular or adaptive
// windows) over `planes` dense H x W planes; kind bit 1 (POOL_BLOCKED): regular windows over `planes`
// channel blocks of gemm.pe planes in the conv tops' blocked layout, a bus word per cycle (pool.hpp).
//
// Thin tops over the one pool engine (fpgaops/pool.hpp) with the build's PoolConfig, a dtype policy and
// the kind as a parameter. Declarations: fpgaops/tops.hpp; argument semantics:
// fpgaops.ops.pool.PoolCall. One m_axi bundle per pointer; offset=slave puts the addresses in the
// s_axilite block with every scalar.
#include <stdint.h>

#include "fpgaops/pool.hpp"
#include "fpgaops/tops.hpp"

// m_axi depth sizes only the RTL co-simulation memory model (words of x, elements of y).
#define FPGAOPS_POOL_COSIM_DEPTH_WORDS 65536
#define FPGAOPS_POOL_COSIM_DEPTH_ELEMS 262144

using fpgaops::hw::word_t;

extern "C" {

// Built unless gemm.float32 = 0 (an int8-only board build, whose gemm.pe may exceed the float32
// lanes of a word: the float32 channel-blocked path would not compile there).
#if FPGAOPS_GEMM_FLOAT32
void fpgaops_pool_f32(const word_t* x, float* y, int planes, int kind, int adaptive, int count_include_pad, int h,
                      int oh, int kh, int sh, int ph, int dh, int w, int ow, int kw, int sw, int pw, int dw,
                      int open_rows) {
#pragma HLS INTERFACE mode=m_axi port=x bundle=gmem0 offset=slave depth=FPGAOPS_POOL_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem1 offset=slave depth=FPGAOPS_POOL_COSIM_DEPTH_ELEMS max_write_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS max_widen_bitwidth=FPGAOPS_AXI_WORD_BITS
#pragma HLS INTERFACE mode=s_axilite port=planes
#pragma HLS INTERFACE mode=s_axilite port=kind
#pragma HLS INTERFACE mode=s_axilite port=adaptive
#pragma HLS INTERFACE mode=s_axilite port=count_include_pad
#pragma HLS INTERFACE mode=s_axilite port=h
#pragma HLS INTERFACE mode=s_axilite port=oh
#pragma HLS INTERFACE mode=s_axilite port=kh
#pragma HLS INTERFACE mode=s_axilite port=sh
#pragma HLS INTERFACE mode=s_axilite port=ph
#pragma HLS INTERFACE mode=s_axilite port=dh
#pragma HLS INTERFACE mode=s_axilite port=w
#pragma HLS INTERFACE mode=s_axilite port=ow
#pragma HLS INTERFACE mode=s_axilite port=kw
#pragma HLS INTERFACE mode=s_axilite port=sw
#pragma HLS INTERFACE mode=s_axilite port=pw
#pragma HLS INTERFACE mode=s_axilite port=dw
#pragma HLS INTERFACE mode=s_axilite port=open_rows
#pragma HLS INTERFACE mode=s_axilite port=return
  FPGAOPS_CYCLES_KERNEL("fpgaops_pool_f32");
  FPGAOPS_SIM_ASSERT(x != 0 && y != 0, "pool: null buffer");
  FPGAOPS_SIM_ASSERT(kind >= 0 && kind <= 3, "pool: kind = " << kind);
  const fpgaops::hw::PoolArgs g = {planes, adaptive, count_include_pad, h, oh, kh, sh, ph, dh,
                                   w,      ow,       kw,                sw, pw, dw, 0,  open_rows};
  fpgaops::hw::pool<fpgaops::hw::PoolConfig, fpgaops::hw::PoolF32>(x, y, kind, g);
}
#endif  // FPGAOPS_GEMM_FLOAT32

void fpgaops_pool_i8(const word_t* x, int8_t* y, int planes, int kind, int adaptive, int count_include_pad, int h,
                     int oh, int kh, int sh, int ph, int dh, int w, int ow, int kw, int sw, int pw, int dw,
                     int open_rows, int zero_point) {
#pragma HLS INTERFACE mode=m_axi port=x bundle=gmem0 offset=slave depth=FPGAOPS_POOL_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem1 offset=slave depth=FPGAOPS_POOL_COSIM_DEPTH_ELEMS max_write_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS max_widen_bitwidth=FPGAOPS_AXI_WORD_BITS
#pragma HLS INTERFACE mode=s_axilite port=planes
#pragma HLS INTERFACE mode=s_axilite port=kind
#pragma HLS INTERFACE mode=s_axilite port=adaptive
#pragma HLS INTERFACE mode=s_axilite port=count_include_pad
#pragma HLS INTERFACE mode=s_axilite port=h
#pragma HLS INTERFACE mode=s_axilite port=oh
#pragma HLS INTERFACE mode=s_axilite port=kh
#pragma HLS INTERFACE mode=s_axilite port=sh
#pragma HLS INTERFACE mode=s_axilite port=ph
#pragma HLS INTERFACE mode=s_axilite port=dh
#pragma HLS INTERFACE mode=s_axilite port=w
#pragma HLS INTERFACE mode=s_axilite port=ow
#pragma HLS INTERFACE mode=s_axilite port=kw
#pragma HLS INTERFACE mode=s_axilite port=sw
#pragma HLS INTERFACE mode=s_axilite port=pw
#pragma HLS INTERFACE mode=s_axilite port=dw
#pragma HLS INTERFACE mode=s_axilite port=open_rows
#pragma HLS INTERFACE mode=s_axilite port=zero_point
#pragma HLS INTERFACE mode=s_axilite port=return
  FPGAOPS_CYCLES_KERNEL("fpgaops_pool_i8");
  FPGAOPS_SIM_ASSERT(x != 0 && y != 0, "pool: null buffer");
  FPGAOPS_SIM_ASSERT(kind >= 0 && kind <= 3, "pool: kind = " << kind);
  FPGAOPS_SIM_ASSERT(zero_point >= -128 && zero_point <= 127, "pool: zero_point = " << zero_point);
  const fpgaops::hw::PoolArgs g = {planes, adaptive, count_include_pad, h, oh, kh,         sh, ph, dh,
                                   w,      ow,       kw,                sw, pw, dw, zero_point, open_rows};
  fpgaops::hw::pool<fpgaops::hw::PoolConfig, fpgaops::hw::PoolI8>(x, y, kind, g);
}

}  // extern "C"
