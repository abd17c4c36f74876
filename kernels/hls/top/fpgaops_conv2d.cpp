// xclbin kernels fpgaops_conv2d_f32 / fpgaops_conv2d_i8: implicit-GEMM convolution with a fused
// epilogue (bias, residual, activation; int8 requantization).
//
// Thin tops over the conv engine (fpgaops/conv2d.hpp, which runs on the GEMM engine's MAC array),
// instantiated with the build's Conv2dConfig and a dtype policy. Declarations: fpgaops/tops.hpp;
// semantics of every argument: fpgaops.ops.conv2d.ConvCall (the argument names are its fields).
//
// Layouts (docs/conv_hls.md "Layouts", conv2d.hpp): x, residual and y are channel-blocked,
// act[n][g][cb][h][wp][B] with B = gemm.pe channels per vector (each group's channels zero-padded
// to a multiple of B) and rows padded to whole bus words (wp = w rounded up to L/B vectors);
// weight slice-major w[g][s][kk][TILE_K] (t ordered (cb, r, s, c), channels zero-padded the same
// way); bias / mult / shift per output channel. The host
// launchers convert (fpgaops.backends.csim.conv2d).
//
// Interfaces: x (and x_hi, the same buffer through a second port) by the fetch processes, weight
// (and weight_hi likewise) by the weights process, bias / mult / shift / residual by the
// store process and y written by it; each process uses its own bundles (a DATAFLOW process must
// own the ports it uses). Every streaming operand (x, weight, residual, y) has a bundle of its own,
// so the window generator's, the weight's and the epilogue's bursts run concurrently; the
// per-channel vectors bias / mult / shift (read once per output channel and tile) share one.
#include <stdint.h>

#include "fpgaops/conv2d.hpp"
#include "fpgaops/tops.hpp"

// m_axi `depth` only sizes the memory model of RTL co-simulation (see fpgaops_gemm.cpp).
#define FPGAOPS_CONV2D_COSIM_DEPTH_WORDS 32768
#define FPGAOPS_CONV2D_COSIM_DEPTH_CHANNELS 4096

namespace {

using fpgaops::hw::ConvArgs;
using fpgaops::hw::word_t;

// C-simulation checks of the scalar contract (the host validates all of it before a launch; the
// testbenches call the tops directly). Expands to nothing in synthesis.
template <typename T>
void check_conv_args(const void* x, const void* weight, const void* y, const ConvArgs& a, bool has_bias_ptr,
                     bool has_residual_ptr) {
  typedef fpgaops::hw::Conv2dConfig Cfg;
  const int B = Cfg::Gemm::PE, G = fpgaops::hw::lanes_per_word<T>::value / B;
  const long long lim = 0x7fffffffLL;
  FPGAOPS_SIM_ASSERT(x != 0 && weight != 0 && y != 0, "conv2d: null buffer");
  FPGAOPS_SIM_ASSERT(a.n >= 1 && a.c >= 1 && a.h >= 1 && a.w >= 1 && a.k >= 1 && a.r >= 1 && a.s >= 1 &&
                         a.oh >= 1 && a.ow >= 1,
                     "conv2d: every size must be >= 1");
  FPGAOPS_SIM_ASSERT(a.stride_h >= 1 && a.stride_w >= 1 && a.dil_h >= 1 && a.dil_w >= 1,
                     "conv2d: stride and dilation must be >= 1");
  FPGAOPS_SIM_ASSERT(a.pad_top >= 0 && a.pad_left >= 0, "conv2d: negative padding");
  FPGAOPS_SIM_ASSERT(a.groups >= 1 && a.c % a.groups == 0 && a.k % a.groups == 0,
                     "conv2d: groups = " << a.groups << " must divide c = " << a.c << " and k = " << a.k);
  // oh / ow need no check for memory safety: the window generator reads only taps inside x
  // (everything else is padding) and y spans exactly n*k*oh*ow elements.
  // x, weight, residual and y are channel-blocked (conv2d.hpp "layouts"): Cg and Kg padded to
  // multiples of B = gemm.pe, rows to whole words (G = L/B vectors).
  const long long cgp = (long long)(a.c / a.groups + B - 1) / B * B, kgp = (long long)(a.k / a.groups + B - 1) / B * B;
  const long long wp = (long long)(a.w + G - 1) / G * G, owp = (long long)(a.ow + G - 1) / G * G;
  FPGAOPS_SIM_ASSERT(cgp * a.r * a.s <= fpgaops::cfg::GEMM_MAX_DIM,
                     "conv2d: ceil(C/groups / gemm.pe)*gemm.pe*R*S exceeds gemm.max_dim ("
                         << fpgaops::cfg::GEMM_MAX_DIM << ")");
  FPGAOPS_SIM_ASSERT((long long)(a.s - 1) * a.dil_w + 1 <= Cfg::LB_W,
                     "conv2d: dilated filter width " << (a.s - 1) * a.dil_w + 1 << " exceeds conv2d.line_buffer_w ("
                                                     << Cfg::LB_W << ")");
  FPGAOPS_SIM_ASSERT((long long)a.n * a.groups * cgp * a.h * wp <= lim,
                     "conv2d: x (channel-blocked) has more than 2^31 - 1 elements");
  const long long tk = Cfg::Gemm::TILE_K;
  FPGAOPS_SIM_ASSERT((long long)a.k * ((cgp * a.r * a.s + tk - 1) / tk * tk) <= lim,
                     "conv2d: weight (slice-major) has more than 2^31 - 1 elements");
  FPGAOPS_SIM_ASSERT((long long)a.n * a.groups * kgp * a.oh * owp <= lim,
                     "conv2d: y (channel-blocked) has more than 2^31 - 1 elements");
  FPGAOPS_SIM_ASSERT(!a.has_bias || has_bias_ptr, "conv2d: has_bias needs bias");
  FPGAOPS_SIM_ASSERT(!a.has_residual || has_residual_ptr, "conv2d: has_residual needs residual");
  (void)x, (void)weight, (void)y, (void)a, (void)has_bias_ptr, (void)has_residual_ptr, (void)lim, (void)cgp,
      (void)kgp, (void)wp, (void)owp;
}

ConvArgs conv_args(int n, int c, int h, int w, int k, int r, int s, int oh, int ow, int stride_h, int stride_w,
                   int pad_top, int pad_left, int dil_h, int dil_w, int groups, int has_bias, int has_residual) {
  ConvArgs a;
  a.n = n, a.c = c, a.h = h, a.w = w, a.k = k, a.r = r, a.s = s, a.oh = oh, a.ow = ow;
  a.stride_h = stride_h, a.stride_w = stride_w, a.pad_top = pad_top, a.pad_left = pad_left;
  a.dil_h = dil_h, a.dil_w = dil_w, a.groups = groups;
  a.has_bias = has_bias != 0;
  a.has_residual = has_residual != 0;
  a.act = 0;
  a.x_zero_point = a.y_zero_point = a.res_zero_point = a.res_mult = a.res_shift = 0;
  a.act_min = a.act_max = 0;
  return a;
}

}  // namespace

extern "C" {

// Built unless gemm.float32 = 0 (an int8-only board build, whose gemm.pe / gemm.simd may exceed the
// float32 lanes of a word: the float32 engine would not compile there).
#if FPGAOPS_GEMM_FLOAT32
void fpgaops_conv2d_f32(const word_t* x, const word_t* x_hi, const word_t* weight, const word_t* weight_hi, const float* bias,
                        const word_t* residual, word_t* y,
                        int n, int c, int h, int w, int k, int r, int s, int oh, int ow, int stride_h, int stride_w,
                        int pad_top, int pad_left, int dil_h, int dil_w, int groups, int has_bias, int has_residual,
                        int act) {
#pragma HLS INTERFACE mode=m_axi port=x bundle=gmem0 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=x_hi bundle=gmem6 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=weight bundle=gmem1 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=weight_hi bundle=gmem5 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=bias bundle=gmem2 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_CHANNELS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=m_axi port=residual bundle=gmem3 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
// y is written a bus word per cycle: every store run starts on a word (conv2d.hpp, store_tile).
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem4 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_WORDS max_write_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
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
#pragma HLS INTERFACE mode=s_axilite port=groups
#pragma HLS INTERFACE mode=s_axilite port=has_bias
#pragma HLS INTERFACE mode=s_axilite port=has_residual
#pragma HLS INTERFACE mode=s_axilite port=act
#pragma HLS INTERFACE mode=s_axilite port=return
  FPGAOPS_CYCLES_KERNEL("fpgaops_conv2d_f32");
  ConvArgs a = conv_args(n, c, h, w, k, r, s, oh, ow, stride_h, stride_w, pad_top, pad_left, dil_h, dil_w, groups,
                         has_bias, has_residual);
  a.act = act;
  check_conv_args<float>(x, weight, y, a, bias != 0, residual != 0);
  FPGAOPS_SIM_ASSERT(x_hi != 0 && weight_hi != 0, "conv2d_f32: null x_hi / weight_hi (the x / weight buffer again)");
  FPGAOPS_SIM_ASSERT(act >= 0 && act <= 2, "conv2d_f32: act = " << act << " (0 none, 1 relu, 2 relu6)");
  // The float epilogue has no requantization: its mult / shift are never read.
  fpgaops::hw::conv2d<fpgaops::hw::Conv2dConfig, fpgaops::hw::ConvF32>(x, x_hi, weight, weight_hi, bias, 0, 0, residual, y, a);
}
#endif  // FPGAOPS_GEMM_FLOAT32

void fpgaops_conv2d_i8(const word_t* x, const word_t* x_hi, const word_t* weight, const word_t* weight_hi, const int32_t* bias,
                       const word_t* residual,
                       word_t* y, int n, int c, int h, int w, int k, int r, int s, int oh, int ow, int stride_h,
                       int stride_w, int pad_top, int pad_left, int dil_h, int dil_w, int groups, int has_bias,
                       int has_residual, int x_zero_point, int y_zero_point, const int32_t* mult,
                       const int32_t* shift, int res_zero_point, int res_mult, int res_shift, int act_min,
                       int act_max) {
#pragma HLS INTERFACE mode=m_axi port=x bundle=gmem0 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=x_hi bundle=gmem6 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=weight bundle=gmem1 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=weight_hi bundle=gmem5 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=bias bundle=gmem2 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_CHANNELS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=m_axi port=mult bundle=gmem2 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_CHANNELS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=m_axi port=shift bundle=gmem2 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_CHANNELS max_widen_bitwidth=32
#pragma HLS INTERFACE mode=m_axi port=residual bundle=gmem3 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_WORDS max_read_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
#pragma HLS INTERFACE mode=m_axi port=y bundle=gmem4 offset=slave depth=FPGAOPS_CONV2D_COSIM_DEPTH_WORDS max_write_burst_length=FPGAOPS_AXI_MAX_BURST_BEATS
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
#pragma HLS INTERFACE mode=s_axilite port=groups
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
  FPGAOPS_CYCLES_KERNEL("fpgaops_conv2d_i8");
  ConvArgs a = conv_args(n, c, h, w, k, r, s, oh, ow, stride_h, stride_w, pad_top, pad_left, dil_h, dil_w, groups,
                         has_bias, has_residual);
  a.x_zero_point = x_zero_point, a.y_zero_point = y_zero_point, a.res_zero_point = res_zero_point;
  a.res_mult = res_mult, a.res_shift = res_shift, a.act_min = act_min, a.act_max = act_max;
  check_conv_args<int8_t>(x, weight, y, a, bias != 0, residual != 0);
  FPGAOPS_SIM_ASSERT(x_hi != 0 && weight_hi != 0, "conv2d_i8: null x_hi / weight_hi (the x / weight buffer again)");
  FPGAOPS_SIM_ASSERT(mult != 0 && shift != 0, "conv2d_i8: null mult / shift");
  FPGAOPS_SIM_ASSERT(x_zero_point >= -128 && x_zero_point <= 127 && y_zero_point >= -128 && y_zero_point <= 127 &&
                         res_zero_point >= -128 && res_zero_point <= 127,
                     "conv2d_i8: zero points must be int8");
  FPGAOPS_SIM_ASSERT(res_mult >= 0 && res_shift >= 0 && res_shift <= 62, "conv2d_i8: res_mult / res_shift out of range");
  FPGAOPS_SIM_ASSERT(act_min >= -128 && act_min <= act_max && act_max <= 127,
                     "conv2d_i8: act range [" << act_min << ", " << act_max << "]");
  fpgaops::hw::conv2d<fpgaops::hw::Conv2dConfig, fpgaops::hw::ConvI8>(x, x_hi, weight, weight_hi, bias, mult, shift,
                                                                      residual, y, a);
}

}  // extern "C"
