// xclbin kernels fpgaops_dwconv_f32 / fpgaops_dwconv_i8: depthwise convolution (groups == C == K),
// channel-innermost (NHWC, channels a multiple of dwconv.simd), with the conv2d epilogue (bias,
// activation; int8 requantization), no residual.
//
// Thin tops over fpgaops/dwconv.hpp. Declarations: fpgaops/tops.hpp; semantics of every argument:
// fpgaops.ops.conv2d.ConvCall with groups == c (the argument names are its fields).
//
// Interfaces: x and y stream whole bus words (own bundles); the filter taps (R*S rows of C) and the
// per-channel vectors are read once per launch and share one bundle.
#include <stdint.h>

#include "fpgaops/dwconv.hpp"
#include "fpgaops/tops.hpp"

#define FPGAOPS_DWCONV_COSIM_DEPTH_WORDS 32768
#define FPGAOPS_DWCONV_COSIM_DEPTH_CHANNELS 4096

namespace {

using fpgaops::hw::ConvArgs;
using fpgaops::hw::word_t;

ConvArgs dw_args(int n, int c, int h, int w, int k, int r, int s, int oh, int ow, int stride_h, int stride_w,
                 int pad_top, int pad_left, int dil_h, int dil_w, int has_bias) {
  ConvArgs a;
  a.n = n, a.c = c, a.h = h, a.w = w, a.k = k, a.r = r, a.s = s, a.oh = oh, a.ow = ow;
  a.stride_h = stride_h, a.stride_w = stride_w, a.pad_top = pad_top, a.pad_left = pad_left;
  a.dil_h = dil_h, a.dil_w = dil_w, a.groups = c;
  a.has_bias = has_bias != 0;
  a.has_residual = false;
  a.act = 0;
  a.x_zero_point = a.y_zero_point = a.res_zero_point = a.res_mult = a.res_shift = 0;
  a.act_min = a.act_max = 0;
  return a;
}

// C-simulation checks of the contract (the host checks it too and routes everything else to the
// im2col kernel). Expands to nothing in synthesis.
void check_dw_args(const void* x, const void* weight, const void* y, const void* bias, const ConvArgs& a) {
  typedef fpgaops::hw::DwconvConfig Cfg;
  const long long lim = 0x7fffffffLL;
  FPGAOPS_SIM_ASSERT(x != 0 && weight != 0 && y != 0, "dwconv: null buffer");
  FPGAOPS_SIM_ASSERT(a.n >= 1 && a.c >= 1 && a.h >= 1 && a.w >= 1 && a.k >= 1 && a.oh >= 1 && a.ow >= 1,
                     "dwconv: every size must be >= 1");
  typedef fpgaops::hw::DwconvEngine<Cfg, fpgaops::hw::ConvI8> E;
  FPGAOPS_SIM_ASSERT(a.k == a.c, "dwconv: k = " << a.k << " must equal c = " << a.c << " (the host expands a multiplier)");
  FPGAOPS_SIM_ASSERT(a.c % Cfg::SIMD == 0 && a.c <= Cfg::MAX_C,
                     "dwconv: c = " << a.c << " must be a multiple of dwconv.simd (" << Cfg::SIMD
                                    << ") and <= dwconv.max_channels (" << Cfg::MAX_C << ")");
  FPGAOPS_SIM_ASSERT(a.r >= 1 && a.r <= Cfg::MAX_K && a.s >= 1 && a.s <= Cfg::MAX_K,
                     "dwconv: filter " << a.r << "x" << a.s << " exceeds dwconv.max_kernel (" << Cfg::MAX_K << ")");
  FPGAOPS_SIM_ASSERT(a.stride_h >= 1 && a.stride_w >= 1 && a.dil_h >= 1 && a.dil_w >= 1,
                     "dwconv: stride and dilation must be >= 1");
  FPGAOPS_SIM_ASSERT(a.pad_top >= 0 && a.pad_left >= 0, "dwconv: negative padding");
  FPGAOPS_SIM_ASSERT((long long)(a.r - 1) * a.dil_h + 1 + a.stride_h <= Cfg::LB_ROWS,
                     "dwconv: dilated filter height + stride exceeds dwconv.line_buffer_rows (" << Cfg::LB_ROWS << ")");
  FPGAOPS_SIM_ASSERT((long long)(a.s - 1) * a.dil_w + 1 <= E::NB,
                     "dwconv: dilated filter width exceeds the " << E::NB << " column banks");
  FPGAOPS_SIM_ASSERT((long long)(a.ow - 1) * a.stride_w + (long long)(a.s - 1) * a.dil_w + 1 <= Cfg::MAX_W,
                     "dwconv: padded row exceeds dwconv.max_w (" << Cfg::MAX_W << ")");
  FPGAOPS_SIM_ASSERT(fpgaops::hw::dwconv_row_fits<Cfg>(fpgaops::hw::dwconv_padded_width(a), a.c),
                     "dwconv: a padded row of " << a.c << " channels exceeds dwconv.max_row (" << Cfg::MAX_ROW << ")");
  FPGAOPS_SIM_ASSERT((long long)a.n * a.c * a.h * a.w <= lim && (long long)a.n * a.k * a.oh * a.ow <= lim,
                     "dwconv: a tensor has more than 2^31 - 1 elements");
  FPGAOPS_SIM_ASSERT(!a.has_bias || bias != 0, "dwconv: has_bias needs bias");
  (void)x, (void)weight, (void)y, (void)bias, (void)a, (void)lim;
  (void)sizeof(E);
}

}  // namespace

extern "C" {

void fpgaops_dwconv_f32(const word_t* x, const word_t* weight, const float* bias, word_t* y, int n, int c, int h,
                        int w, int k, int r, int s, int oh, int ow, int stride_h, int stride_w, int pad_top,
                        int pad_left, int dil_h, int dil_w, int has_bias, int act) {
#pragma HLS INTERFACE mode=m_axi port=x bundle=gmem0 offset=slave depth=FPGAOPS_DWCONV_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=weight bundle=gmem1 offset=slave depth=FPGAOPS_DWCONV_COSIM_DEPTH_WORDS
#pragma HLS INTERFACE mode=m_axi port=bias bundle=gmem1 offset=slave depth=FPGAOPS_DWCONV_COSIM_DEPTH_CHANNELS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem2 offset=slave depth=FPGAOPS_DWCONV_COSIM_DEPTH_WORDS max_write_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=s_axilite port=n
#pragma HLS INTERFACE mode=s_axilite port=c
#pragma HLS INTERFACE mode=s_axilite port=h
#pragma HLS INTERFACE mode=s_axilite port=w
#pragma HLS INTERFACE mode=s_axilite port=k
#pragma HLS INTERFACE mode=s_axilite port=r
#pragma HLS INTERFACE mode=s_axilite port=s
#pragma HLS INTERFACE mode=s_axilite port=oh
#pragma HLS INTERFACE mode=s_axilite port=ow
#pragma HLS INTERFACE mode=s_axilite port=stride_h
#pragma HLS INTERFACE mode=s_axilite port=stride_w
#pragma HLS INTERFACE mode=s_axilite port=pad_top
#pragma HLS INTERFACE mode=s_axilite port=pad_left
#pragma HLS INTERFACE mode=s_axilite port=dil_h
#pragma HLS INTERFACE mode=s_axilite port=dil_w
#pragma HLS INTERFACE mode=s_axilite port=has_bias
#pragma HLS INTERFACE mode=s_axilite port=act
#pragma HLS INTERFACE mode=s_axilite port=return
  FPGAOPS_CYCLES_KERNEL("fpgaops_dwconv_f32");
  ConvArgs a = dw_args(n, c, h, w, k, r, s, oh, ow, stride_h, stride_w, pad_top, pad_left, dil_h, dil_w, has_bias);
  a.act = act;
  check_dw_args(x, weight, y, bias, a);
  FPGAOPS_SIM_ASSERT(act >= 0 && act <= 2, "dwconv_f32: act = " << act << " (0 none, 1 relu, 2 relu6)");
  fpgaops::hw::dwconv<fpgaops::hw::DwconvConfig, fpgaops::hw::ConvF32>(x, weight, bias, 0, 0, y, a);
}

void fpgaops_dwconv_i8(const word_t* x, const word_t* weight, const int32_t* bias, word_t* y, int n, int c, int h,
                       int w, int k, int r, int s, int oh, int ow, int stride_h, int stride_w, int pad_top,
                       int pad_left, int dil_h, int dil_w, int has_bias, int x_zero_point, int y_zero_point,
                       const int32_t* mult, const int32_t* shift, int act_min, int act_max) {
#pragma HLS INTERFACE mode=m_axi port=x bundle=gmem0 offset=slave depth=FPGAOPS_DWCONV_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=weight bundle=gmem1 offset=slave depth=FPGAOPS_DWCONV_COSIM_DEPTH_WORDS
#pragma HLS INTERFACE mode=m_axi port=bias bundle=gmem1 offset=slave depth=FPGAOPS_DWCONV_COSIM_DEPTH_CHANNELS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=m_axi port=mult bundle=gmem1 offset=slave depth=FPGAOPS_DWCONV_COSIM_DEPTH_CHANNELS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=m_axi port=shift bundle=gmem1 offset=slave depth=FPGAOPS_DWCONV_COSIM_DEPTH_CHANNELS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem2 offset=slave depth=FPGAOPS_DWCONV_COSIM_DEPTH_WORDS max_write_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=s_axilite port=n
#pragma HLS INTERFACE mode=s_axilite port=c
#pragma HLS INTERFACE mode=s_axilite port=h
#pragma HLS INTERFACE mode=s_axilite port=w
#pragma HLS INTERFACE mode=s_axilite port=k
#pragma HLS INTERFACE mode=s_axilite port=r
#pragma HLS INTERFACE mode=s_axilite port=s
#pragma HLS INTERFACE mode=s_axilite port=oh
#pragma HLS INTERFACE mode=s_axilite port=ow
#pragma HLS INTERFACE mode=s_axilite port=stride_h
#pragma HLS INTERFACE mode=s_axilite port=stride_w
#pragma HLS INTERFACE mode=s_axilite port=pad_top
#pragma HLS INTERFACE mode=s_axilite port=pad_left
#pragma HLS INTERFACE mode=s_axilite port=dil_h
#pragma HLS INTERFACE mode=s_axilite port=dil_w
#pragma HLS INTERFACE mode=s_axilite port=has_bias
#pragma HLS INTERFACE mode=s_axilite port=x_zero_point
#pragma HLS INTERFACE mode=s_axilite port=y_zero_point
#pragma HLS INTERFACE mode=s_axilite port=act_min
#pragma HLS INTERFACE mode=s_axilite port=act_max
#pragma HLS INTERFACE mode=s_axilite port=return
  FPGAOPS_CYCLES_KERNEL("fpgaops_dwconv_i8");
  ConvArgs a = dw_args(n, c, h, w, k, r, s, oh, ow, stride_h, stride_w, pad_top, pad_left, dil_h, dil_w, has_bias);
  a.x_zero_point = x_zero_point, a.y_zero_point = y_zero_point, a.act_min = act_min, a.act_max = act_max;
  check_dw_args(x, weight, y, bias, a);
  FPGAOPS_SIM_ASSERT(mult != 0 && shift != 0, "dwconv_i8: null mult / shift");
  FPGAOPS_SIM_ASSERT(x_zero_point >= -128 && x_zero_point <= 127 && y_zero_point >= -128 && y_zero_point <= 127,
                     "dwconv_i8: zero points must be int8");
  FPGAOPS_SIM_ASSERT(act_min >= -128 && act_min <= act_max && act_max <= 127,
                     "dwconv_i8: act range [" << act_min << ", " << act_max << "]");
  fpgaops::hw::dwconv<fpgaops::hw::DwconvConfig, fpgaops::hw::ConvI8>(x, weight, bias, mult, shift, y, a);
}

}  // extern "C"
