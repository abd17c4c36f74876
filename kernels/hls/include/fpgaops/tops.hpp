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

// ---- conv2d (fpgaops_conv2d.cpp): implicit-GEMM convolution with a fused epilogue ---------------
// Semantics of every argument: fpgaops.ops.conv2d.ConvCall (same names). x, weight and residual are
// channel-blocked packed AXI words (x, residual, y: blocks of gemm.pe channels, rows padded to
// whole words; weight the same blocks; fpgaops/conv2d.hpp "layouts"); bias (and int8 mult / shift)
// per output channel. has_bias / has_residual: 0 or 1 (the pointer is not read when 0). x_hi,
// weight_hi: the x / weight buffer again, read through a second port (conv2d.hpp fetch_x_hi,
// load_weights).
// act (float): 0 none, 1 relu, 2 relu6; int8 folds the activation into [act_min, act_max].
void fpgaops_conv2d_f32(const fpgaops::hw::word_t* x, const fpgaops::hw::word_t* x_hi, const fpgaops::hw::word_t* weight,
                        const fpgaops::hw::word_t* weight_hi, const float* bias,
                        const fpgaops::hw::word_t* residual, fpgaops::hw::word_t* y, int n, int c, int h, int w,
                        int k, int r, int s, int oh, int ow, int stride_h, int stride_w, int pad_top, int pad_left,
                        int dil_h, int dil_w, int groups, int has_bias, int has_residual, int act);
void fpgaops_conv2d_i8(const fpgaops::hw::word_t* x, const fpgaops::hw::word_t* x_hi, const fpgaops::hw::word_t* weight,
                       const fpgaops::hw::word_t* weight_hi, const int32_t* bias,
                       const fpgaops::hw::word_t* residual, fpgaops::hw::word_t* y, int n, int c, int h, int w, int k, int r,
                       int s, int oh, int ow, int stride_h, int stride_w, int pad_top, int pad_left, int dil_h,
                       int dil_w, int groups, int has_bias, int has_residual, int x_zero_point, int y_zero_point,
                       const int32_t* mult, const int32_t* shift, int res_zero_point, int res_mult, int res_shift,
                       int act_min, int act_max);

// ---- dwconv (fpgaops_dwconv.cpp): depthwise convolution (groups == c == k), no residual -----------
// Semantics: fpgaops.ops.conv2d.ConvCall with groups == c == k (same names), but channel-innermost:
// x [n][h][w][c], weight [r*s][c], y [n][oh][ow][c] in whole words, c a multiple of dwconv.simd
// (the host launchers convert, pad the channels and expand a channel multiplier). Limits in
// fpgaops/dwconv.hpp. bias / mult / shift per channel.
void fpgaops_dwconv_f32(const fpgaops::hw::word_t* x, const fpgaops::hw::word_t* weight, const float* bias,
                        fpgaops::hw::word_t* y, int n, int c, int h, int w, int k, int r, int s, int oh, int ow,
                        int stride_h, int stride_w, int pad_top, int pad_left, int dil_h, int dil_w, int has_bias,
                        int act);
void fpgaops_dwconv_i8(const fpgaops::hw::word_t* x, const fpgaops::hw::word_t* weight, const int32_t* bias,
                       fpgaops::hw::word_t* y, int n, int c, int h, int w, int k, int r, int s, int oh, int ow,
                       int stride_h, int stride_w, int pad_top, int pad_left, int dil_h, int dil_w, int has_bias,
                       int x_zero_point, int y_zero_point, const int32_t* mult, const int32_t* shift, int act_min,
                       int act_max);

// ---- winograd (fpgaops_winograd.cpp): Winograd F(m x m, 3x3), stride 1, dilation 1, groups 1 -----
// Semantics: fpgaops.ops.conv2d.ConvCall (same names; r = s = 3). float32: winograd_m in {2, 4};
// int8: F(2x2, 3x3), bit-exact with fpgaops_conv2d_i8 (c <= INT8_MAX_CHANNELS).
void fpgaops_winograd_f32(const fpgaops::hw::word_t* x, const fpgaops::hw::word_t* weight, const float* bias,
                          const fpgaops::hw::word_t* residual, float* y, int n, int c, int h, int w, int k, int oh,
                          int ow, int pad_top, int pad_left, int has_bias, int has_residual, int act, int winograd_m);
void fpgaops_winograd_i8(const fpgaops::hw::word_t* x, const fpgaops::hw::word_t* weight, const int32_t* bias,
                         const fpgaops::hw::word_t* residual, int8_t* y, int n, int c, int h, int w, int k, int oh,
                         int ow, int pad_top, int pad_left, int has_bias, int has_residual, int x_zero_point,
                         int y_zero_point, const int32_t* mult, const int32_t* shift, int res_zero_point,
                         int res_mult, int res_shift, int act_min, int act_max);

// ---- pool (fpgaops_pool.cpp): max / average pooling, regular or adaptive windows -------------
// Semantics of every argument: fpgaops.ops.pool.PoolCall (kind 0 max, 1 average). x is read as
// packed AXI words at any element offset; y is written element-wise. kind | 2 (POOL_BLOCKED, regular
// windows only): x and y channel-blocked, `planes` blocks of gemm.pe planes, a word per cycle
// (fpgaops/pool.hpp run_blocked; the host converts, backends/csim/pool.py blocked_launch).
void fpgaops_pool_f32(const fpgaops::hw::word_t* x, float* y, int planes, int kind, int adaptive,
                      int count_include_pad, int h, int oh, int kh, int sh, int ph, int dh, int w, int ow, int kw,
                      int sw, int pw, int dw, int open_rows);
// int8: max of the codes; average zero_point + round_half_even(sum(x - zero_point) / divisor).
void fpgaops_pool_i8(const fpgaops::hw::word_t* x, int8_t* y, int planes, int kind, int adaptive,
                     int count_include_pad, int h, int oh, int kh, int sh, int ph, int dh, int w, int ow, int kw,
                     int sw, int pw, int dw, int open_rows, int zero_point);

// ---- act_lut (fpgaops_act_lut.cpp): activations ---------------------------------------------------
// Semantics: fpgaops.ops.act_lut.ActCall; opcodes and table layout: fpgaops/act_lut.hpp. x, y and
// the tables are word-aligned packed words.
void fpgaops_act_f32(const fpgaops::hw::word_t* x, fpgaops::hw::word_t* y, int count, int kind, float alpha,
                     float beta, const fpgaops::hw::word_t* table);
// int8: y[i] = lut[x[i] + 128] (256 int8 codes).
void fpgaops_act_i8(const fpgaops::hw::word_t* x, fpgaops::hw::word_t* y, int count,
                    const fpgaops::hw::word_t* lut);

// ---- eltwise (fpgaops_eltwise.cpp): add / mul with broadcasting and a fused activation -----------
// Semantics: fpgaops.ops.eltwise.EltwiseCall (op 0 add, 1 mul). a and b at any element offset;
// y word-aligned, written as packed words.
void fpgaops_eltwise_f32(const fpgaops::hw::word_t* a, const fpgaops::hw::word_t* b, fpgaops::hw::word_t* y,
                         int op, int p, int q, int r, int a_sp, int a_sq, int a_sr, int b_sp, int b_sq, int b_sr,
                         int kind, float alpha, float beta, const fpgaops::hw::word_t* table);
// int8: both inputs rescaled to the output scale (multipliers ma, mb, one shift), optional LUT.
void fpgaops_eltwise_i8(const fpgaops::hw::word_t* a, const fpgaops::hw::word_t* b, fpgaops::hw::word_t* y,
                        int op, int p, int q, int r, int a_sp, int a_sq, int a_sr, int b_sp, int b_sq, int b_sr,
                        int use_lut, const fpgaops::hw::word_t* lut, int za, int zb, int zo, int ma, int mb,
                        int shift);

// ---- softmax (fpgaops_softmax.cpp): numerically stable softmax over one axis ---------------------
// Semantics: fpgaops.ops.softmax.SoftmaxCall. x at any element offset; y written element-wise.
void fpgaops_softmax_f32(const fpgaops::hw::word_t* x, float* y, int outer, int n, int inner);
}

#endif  // FPGAOPS_TOPS_HPP
