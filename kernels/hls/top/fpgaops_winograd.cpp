// xclbin kernels fpgaops_winograd_f32 / fpgaops_winograd_i8: Winograd F(m x m, 3x3) convolution
// (stride 1, dilation 1, groups 1) with the conv2d epilogue. float32: m = winograd_m in {2, 4};
// int8: F(2x2, 3x3), bit-exact with fpgaops_conv2d_i8.
//
// Thin tops over fpgaops/winograd.hpp. Declarations: fpgaops/tops.hpp; semantics: ConvCall (same
// argument names; r = s = 3 are implied). Bundles as in fpgaops_conv2d.cpp: each streaming operand
// on its own, the per-channel vectors sharing one.
#include <stdint.h>

#include "fpgaops/tops.hpp"
#include "fpgaops/winograd.hpp"

#define FPGAOPS_WINOGRAD_COSIM_DEPTH_WORDS 32768
#define FPGAOPS_WINOGRAD_COSIM_DEPTH_ELEMS 524288
#define FPGAOPS_WINOGRAD_COSIM_DEPTH_CHANNELS 4096

namespace {

using fpgaops::hw::ConvArgs;
using fpgaops::hw::word_t;

ConvArgs wino_args(int n, int c, int h, int w, int k, int oh, int ow, int pad_top, int pad_left, int has_bias,
                   int has_residual) {
  ConvArgs a;
  a.n = n, a.c = c, a.h = h, a.w = w, a.k = k, a.r = 3, a.s = 3, a.oh = oh, a.ow = ow;
  a.stride_h = a.stride_w = a.dil_h = a.dil_w = a.groups = 1;
  a.pad_top = pad_top, a.pad_left = pad_left;
  a.has_bias = has_bias != 0;
  a.has_residual = has_residual != 0;
  a.act = 0;
  a.x_zero_point = a.y_zero_point = a.res_zero_point = a.res_mult = a.res_shift = 0;
  a.act_min = a.act_max = 0;
  return a;
}

void check_wino_args(const void* x, const void* weight, const void* y, const void* bias, const void* residual,
                     const ConvArgs& a) {
  const long long lim = 0x7fffffffLL;
  FPGAOPS_SIM_ASSERT(x != 0 && weight != 0 && y != 0, "winograd: null buffer");
  FPGAOPS_SIM_ASSERT(a.n >= 1 && a.c >= 1 && a.h >= 1 && a.w >= 1 && a.k >= 1 && a.oh >= 1 && a.ow >= 1,
                     "winograd: every size must be >= 1");
  FPGAOPS_SIM_ASSERT(a.pad_top >= 0 && a.pad_left >= 0, "winograd: negative padding");
  FPGAOPS_SIM_ASSERT((long long)a.n * a.c * a.h * a.w <= lim && (long long)a.k * a.c * 9 <= lim &&
                         (long long)a.n * a.k * a.oh * a.ow <= lim,
                     "winograd: a tensor has more than 2^31 - 1 elements");
  FPGAOPS_SIM_ASSERT(!a.has_bias || bias != 0, "winograd: has_bias needs bias");
  FPGAOPS_SIM_ASSERT(!a.has_residual || residual != 0, "winograd: has_residual needs residual");
  (void)x, (void)weight, (void)y, (void)bias, (void)residual, (void)a, (void)lim;
}

}  // namespace

extern "C" {

void fpgaops_winograd_f32(const word_t* x, const word_t* weight, const float* bias, const word_t* residual, float* y,
                          int n, int c, int h, int w, int k, int oh, int ow, int pad_top, int pad_left, int has_bias,
                          int has_residual, int act, int winograd_m) {
#pragma HLS INTERFACE mode=m_axi port=x bundle=gmem0 offset=slave depth=FPGAOPS_WINOGRAD_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=weight bundle=gmem1 offset=slave depth=FPGAOPS_WINOGRAD_COSIM_DEPTH_WORDS
#pragma HLS INTERFACE mode=m_axi port=bias bundle=gmem2 offset=slave depth=FPGAOPS_WINOGRAD_COSIM_DEPTH_CHANNELS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=m_axi port=residual bundle=gmem3 offset=slave depth=FPGAOPS_WINOGRAD_COSIM_DEPTH_WORDS
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem4 offset=slave depth=FPGAOPS_WINOGRAD_COSIM_DEPTH_ELEMS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=s_axilite port=n
#pragma HLS INTERFACE mode=s_axilite port=c
#pragma HLS INTERFACE mode=s_axilite port=h
#pragma HLS INTERFACE mode=s_axilite port=w
#pragma HLS INTERFACE mode=s_axilite port=k
#pragma HLS INTERFACE mode=s_axilite port=oh
#pragma HLS INTERFACE mode=s_axilite port=ow
#pragma HLS INTERFACE mode=s_axilite port=pad_top
#pragma HLS INTERFACE mode=s_axilite port=pad_left
#pragma HLS INTERFACE mode=s_axilite port=has_bias
#pragma HLS INTERFACE mode=s_axilite port=has_residual
#pragma HLS INTERFACE mode=s_axilite port=act
#pragma HLS INTERFACE mode=s_axilite port=winograd_m
#pragma HLS INTERFACE mode=s_axilite port=return
  FPGAOPS_CYCLES_KERNEL("fpgaops_winograd_f32");
  ConvArgs a = wino_args(n, c, h, w, k, oh, ow, pad_top, pad_left, has_bias, has_residual);
  a.act = act;
  check_wino_args(x, weight, y, bias, residual, a);
  FPGAOPS_SIM_ASSERT(act >= 0 && act <= 2, "winograd_f32: act = " << act << " (0 none, 1 relu, 2 relu6)");
  FPGAOPS_SIM_ASSERT(winograd_m == 2 || winograd_m == 4, "winograd_f32: winograd_m = " << winograd_m);
  // Both tile sizes are built into the kernel; the launch picks one (the two engines never run
  // at the same time, HLS shares the ports).
  using namespace fpgaops::hw;
  if (winograd_m == 4)
    winograd<WinogradConfig, ConvF32, 4>(x, weight, bias, 0, 0, residual, y, a);
  else
    winograd<WinogradConfig, ConvF32, 2>(x, weight, bias, 0, 0, residual, y, a);
}

void fpgaops_winograd_i8(const word_t* x, const word_t* weight, const int32_t* bias, const word_t* residual,
                         int8_t* y, int n, int c, int h, int w, int k, int oh, int ow, int pad_top, int pad_left,
                         int has_bias, int has_residual, int x_zero_point, int y_zero_point, const int32_t* mult,
                         const int32_t* shift, int res_zero_point, int res_mult, int res_shift, int act_min,
                         int act_max) {
#pragma HLS INTERFACE mode=m_axi port=x bundle=gmem0 offset=slave depth=FPGAOPS_WINOGRAD_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=weight bundle=gmem1 offset=slave depth=FPGAOPS_WINOGRAD_COSIM_DEPTH_WORDS
#pragma HLS INTERFACE mode=m_axi port=bias bundle=gmem2 offset=slave depth=FPGAOPS_WINOGRAD_COSIM_DEPTH_CHANNELS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=m_axi port=mult bundle=gmem2 offset=slave depth=FPGAOPS_WINOGRAD_COSIM_DEPTH_CHANNELS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=m_axi port=shift bundle=gmem2 offset=slave depth=FPGAOPS_WINOGRAD_COSIM_DEPTH_CHANNELS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=m_axi port=residual bundle=gmem3 offset=slave depth=FPGAOPS_WINOGRAD_COSIM_DEPTH_WORDS
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem4 offset=slave depth=FPGAOPS_WINOGRAD_COSIM_DEPTH_ELEMS max_widen_bitwidth=8
#pragma HLS INTERFACE mode=s_axilite port=n
#pragma HLS INTERFACE mode=s_axilite port=c
#pragma HLS INTERFACE mode=s_axilite port=h
#pragma HLS INTERFACE mode=s_axilite port=w
#pragma HLS INTERFACE mode=s_axilite port=k
#pragma HLS INTERFACE mode=s_axilite port=oh
#pragma HLS INTERFACE mode=s_axilite port=ow
#pragma HLS INTERFACE mode=s_axilite port=pad_top
#pragma HLS INTERFACE mode=s_axilite port=pad_left
#pragma HLS INTERFACE mode=s_axilite port=has_bias
#pragma HLS INTERFACE mode=s_axilite port=has_residual
#pragma HLS INTERFACE mode=s_axilite port=x_zero_point
#pragma HLS INTERFACE mode=s_axilite port=y_zero_point
#pragma HLS INTERFACE mode=s_axilite port=res_zero_point
#pragma HLS INTERFACE mode=s_axilite port=res_mult
#pragma HLS INTERFACE mode=s_axilite port=res_shift
#pragma HLS INTERFACE mode=s_axilite port=act_min
#pragma HLS INTERFACE mode=s_axilite port=act_max
#pragma HLS INTERFACE mode=s_axilite port=return
  FPGAOPS_CYCLES_KERNEL("fpgaops_winograd_i8");
  ConvArgs a = wino_args(n, c, h, w, k, oh, ow, pad_top, pad_left, has_bias, has_residual);
  a.x_zero_point = x_zero_point, a.y_zero_point = y_zero_point, a.res_zero_point = res_zero_point;
  a.res_mult = res_mult, a.res_shift = res_shift, a.act_min = act_min, a.act_max = act_max;
  check_wino_args(x, weight, y, bias, residual, a);
  // 4Y must fit int32: 4 * C * 9 * 255 * 128 < 2^31 (INT8_MAX_CHANNELS in reference/winograd.py).
  FPGAOPS_SIM_ASSERT(4LL * c * 9 * 255 * 128 <= 0x7fffffffLL, "winograd_i8: c = " << c << " too large for exact int32");
  FPGAOPS_SIM_ASSERT(mult != 0 && shift != 0, "winograd_i8: null mult / shift");
  FPGAOPS_SIM_ASSERT(x_zero_point >= -128 && x_zero_point <= 127 && y_zero_point >= -128 && y_zero_point <= 127 &&
                         res_zero_point >= -128 && res_zero_point <= 127,
                     "winograd_i8: zero points must be int8");
  FPGAOPS_SIM_ASSERT(res_mult >= 0 && res_shift >= 0 && res_shift <= 62, "winograd_i8: res_mult / res_shift");
  FPGAOPS_SIM_ASSERT(act_min >= -128 && act_min <= act_max && act_max <= 127, "winograd_i8: act range");
  fpgaops::hw::winograd<fpgaops::hw::WinogradConfig, fpgaops::hw::ConvI8, 2>(x, weight, bias, mult, shift, residual,
                                                                             y, a);
}

}  // extern "C"
