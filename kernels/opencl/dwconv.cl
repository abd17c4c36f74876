// conv2d "dwconv" algorithm: depthwise (groups == C, K = C * multiplier), any kernel size,
// stride, padding and dilation. Semantics: ConvCall in python/fpgaops/ops/conv2d.py.
//
//   dwconv   one work-item computes one output channel k (input channel k / multiplier) x ROWS
//            output rows x 8 consecutive output columns as ROWS float8 accumulators, reading x
//            directly (no padded copy: a separate padding pass costs more than the convolution on
//            PoCL). Per filter tap: one broadcast weight and one input vector. Interior vectors:
//            vload8 (stride 1), two vload8 and .even (stride 2), a gather (stride >= 3). Vectors
//            touching the left/right border: stride 1 loads at w0 anyway (the lanes outside the
//            row read the neighbouring rows or the buffer's guard word, never outside the buffer;
//            the very first vector of the buffer gathers instead) and zeroes the outside lanes
//            with select -- 10x cheaper on PoCL than shuffling; other strides gather with
//            per-lane checks. Padded rows are skipped (uniform per work-item).
// The common MobileNet / EfficientNet geometries are compiled with constant filter size and
// stride (DW_FIXED, DW_R, DW_S, DW_SH, DW_SW; dilation 1) so the tap loops unroll; every other
// geometry runs the same code with runtime values.
// CONV_INT8: int8 data, int32 accumulation, the one requantization rule in the epilogue.
#ifndef DWCONV_OPENCL_ROWS
#define DWCONV_OPENCL_ROWS 4
#endif
#define ROWS DWCONV_OPENCL_ROWS

#ifdef DW_FIXED
#define UNROLL_TAPS _Pragma("unroll")
#define KR DW_R
#define KS DW_S
#define KSH DW_SH
#define KSW DW_SW
#define KDH 1
#define KDW 1
#else
#define UNROLL_TAPS
#define KR R
#define KS S
#define KSH SH
#define KSW SW
#define KDH DH
#define KDW DW
#endif

#ifdef CONV_INT8
typedef char TIN;
typedef int T;
typedef int8 T8;
typedef char TOUT;
typedef int TBIAS;
#define MAD(a, b, c) ((a) * (b) + (c))
#define LOAD8(p) convert_int8(vload8(0, p))
#define LOAD16E(p) convert_int8((char8)(vload8(0, p).even, vload8(1, p).even))
#else
typedef float TIN;
typedef float T;
typedef float8 T8;
typedef float TOUT;
typedef float TBIAS;
#define MAD(a, b, c) mad(a, b, c)
#define LOAD8(p) vload8(0, p)
#define LOAD16E(p) ((float8)(vload8(0, p).even, vload8(1, p).even))
#endif

#include "conv_epilogue.h"

__kernel void dwconv(__global const TIN* restrict x, __global const TIN* restrict w,
                     __global const TBIAS* restrict bias, __global const TIN* restrict res, __global TOUT* restrict y,
                     __global const int* restrict mult, __global const int* restrict shift,
                     int C, int H, int W, int K, int OH, int OW, int R, int S, int SH, int SW, int PT, int PL,
                     int DH, int DW, int CMULT, int NK, int x_zp,
                     int has_bias, int has_res, int act, int y_zp, int r_zp, int r_mult, int r_shift, int lo, int hi) {
    const int owb = get_global_id(0), ohb = get_global_id(1), nk = get_global_id(2);
    const int ow0 = owb * 8, oh0 = ohb * ROWS;
    if (ow0 >= OW || oh0 >= OH || nk >= NK) return;
    // integer division costs ~25 cycles per work-item on x86: skip it in the common cases
    const int n = NK == K ? 0 : nk / K, k = nk - n * K, c = CMULT == 1 ? k : k / CMULT;
    const size_t coff = ((size_t)n * C + c) * H * W;       // channel offset in x
    __global const TIN* xc = x + coff;
    __global const TIN* wk = w + (size_t)k * KR * KS;
    const int rows = min(ROWS, OH - oh0);
    const bool interior = ow0 * KSW - PL >= 0 && (ow0 + 7) * KSW - PL + (KS - 1) * KDW < W;
    const int8 lane = (int8)(0, 1, 2, 3, 4, 5, 6, 7);
    const T8 zp8 = (T8)((T)x_zp);
    T8 acc[ROWS];
#pragma unroll
    for (int v = 0; v < ROWS; ++v) acc[v] = (T8)0;
#pragma unroll
    for (int v = 0; v < ROWS; ++v) {
        if (v < rows) {
            UNROLL_TAPS
            for (int i = 0; i < KR; ++i) {
                const int hi_ = (oh0 + v) * KSH - PT + i * KDH;
                if (hi_ >= 0 && hi_ < H) {
                    __global const TIN* row = xc + (size_t)hi_ * W;
                    UNROLL_TAPS
                    for (int j = 0; j < KS; ++j) {
                        const T8 wv = (T8)((T)wk[i * KS + j]);
                        const int w0 = ow0 * KSW - PL + j * KDW;
                        T8 xv;
                        if (interior) {
                            if (KSW == 1) xv = LOAD8(row + w0) - zp8;
                            else if (KSW == 2) xv = LOAD16E(row + w0) - zp8;  // may read 1 past the row: next row or guard word
                            else {
                                T tmp[8];
                                for (int l = 0; l < 8; ++l) tmp[l] = (T)row[w0 + l * KSW] - (T)x_zp;
                                xv = vload8(0, tmp);
                            }
                        } else if (KSW == 1 && w0 <= W && (long)coff + hi_ * W + w0 >= 0) {
                            // border vector, stride 1: one unaligned load at w0 (lanes left of the row
                            // read the previous row, lanes right of it the next row or the buffer's
                            // guard word -- never outside the buffer), outside lanes zeroed
                            const T8 raw = LOAD8(row + w0) - zp8;
                            const int8 pos = lane + (int8)(w0);
                            xv = select((T8)0, raw, (pos >= (int8)0) & (pos < (int8)W));
                        } else {
                            T tmp[8];
                            for (int l = 0; l < 8; ++l) {
                                const int wi = w0 + l * KSW;
                                tmp[l] = (wi >= 0 && wi < W) ? (T)row[wi] - (T)x_zp : (T)0;
                            }
                            xv = vload8(0, tmp);
                        }
                        acc[v] = MAD(xv, wv, acc[v]);
                    }
                }
            }
        }
    }
    const TBIAS b = has_bias ? bias[k] : (TBIAS)0;
    int mu = 0, sh = 1;
#ifdef CONV_INT8
    mu = mult[k];
    sh = shift[k];
#endif
    const bool full = ow0 + 8 <= OW;
#pragma unroll
    for (int v = 0; v < ROWS; ++v) {
        if (v >= rows) break;
        const size_t base = ((size_t)nk * OH + oh0 + v) * OW + ow0;
#ifndef CONV_INT8
        if (full && !has_res) {
            float8 a = acc[v] + (float8)b;
            if (act == 1) a = fmax(a, (float8)0.0f);
            else if (act == 2) a = fmin(fmax(a, (float8)0.0f), (float8)6.0f);
            vstore8(a, 0, y + base);
            continue;
        }
#endif
        T vals[8];
        vstore8(acc[v], 0, vals);
        for (int l = 0; l < 8 && ow0 + l < OW; ++l)
            y[base + l] = epilogue(vals[l], b, res, base + l, has_res, act, mu, sh, y_zp, r_zp, r_mult, r_shift, lo, hi);
    }
}
