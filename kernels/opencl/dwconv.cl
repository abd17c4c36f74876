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
// The common MobileNet / EfficientNet geometries (3x3 / 5x5, stride 1 / 2, dilation 1) are
// compiled with constant filter size and stride (DW_FIXED, DW_R, DW_S, DW_SH, DW_SW) and run
// dwconv_strip (below: 8 output rows per work-item, each input row loaded once); every other
// geometry runs dwconv with runtime values.
// CONV_INT8: int8 data, int32 accumulation, the one requantization rule in the epilogue, 8
// outputs at a time (epilogue_i8x8, conv_int8.h).
#ifndef DWCONV_OPENCL_ROWS
#define DWCONV_OPENCL_ROWS 4
#endif
#define ROWS DWCONV_OPENCL_ROWS
#define PX 8  // output columns per dwconv work-item

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
#define MAD(a, b, c) fma(a, b, c)  // not mad(): PoCL lowers it to vmulps + vaddps (no contraction)
#define LOAD8(p) vload8(0, p)
#define LOAD16E(p) ((float8)(vload8(0, p).even, vload8(1, p).even))
#endif

#include "conv_epilogue.h"
#include "conv_int8.h"

#ifdef CONV_INT8
// the vector epilogue (conv_int8.h) of 8 output columns ow0.. of one row at y[base..]; a partial
// vector (ow0 + 8 > OW) stores its valid lanes
inline void dw_store_i8(int8 acc, size_t base, int ow0, int OW, __global const TIN* res, __global TOUT* y, int b,
                        int mu, int sh, int has_res, int y_zp, int r_zp, int r_mult, int r_shift, int lo, int hi) {
    const bool full = ow0 + 8 <= OW;
    int8 r8 = (int8)(0);
    if (has_res) {
        if (full) r8 = convert_int8(vload8(0, res + base));
        else {
            int tr[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (int l = 0; l < 8 && ow0 + l < OW; ++l) tr[l] = res[base + l];
            r8 = vload8(0, tr);
        }
    }
    const char8 o = epilogue_i8x8(acc, (int8)(b), (int8)(mu), (int8)(sh), r8, has_res, y_zp, r_zp, r_mult, r_shift,
                                  lo, hi);
    if (full) vstore8(o, 0, y + base);
    else {
        char to[8];
        vstore8(o, 0, to);
        for (int l = 0; l < 8 && ow0 + l < OW; ++l) y[base + l] = to[l];
    }
}
#else
// the operations of epilogue() on 8 output columns ow0.. of one row at y[base..]: (acc + bias) +
// residual, the activation; a partial vector (ow0 + 8 > OW) computes every lane, stores the valid ones
inline void dw_store_f32(float8 acc, size_t base, int ow0, int OW, __global const float* res, __global float* y,
                         float b, int has_res, int act) {
    const bool full = ow0 + 8 <= OW;
    float8 a = acc + (float8)b;
    if (has_res) {
        if (full) a += vload8(0, res + base);
        else {
            float r8[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
            for (int l = 0; l < 8 && ow0 + l < OW; ++l) r8[l] = res[base + l];
            a += vload8(0, r8);
        }
    }
    a = conv_act(a, act);
    if (full) vstore8(a, 0, y + base);
    else {
        float o[8];
        vstore8(a, 0, o);
        for (int l = 0; l < 8 && ow0 + l < OW; ++l) y[base + l] = o[l];
    }
}
#endif

#ifndef DW_FIXED  // (the fixed geometries run dwconv_strip)
#define KR R
#define KS S
#define KSH SH
#define KSW SW
#define KDH DH
#define KDW DW
__kernel void dwconv(__global const TIN* restrict x, __global const TIN* restrict w,
                     __global const TBIAS* restrict bias, __global const TIN* restrict res, __global TOUT* restrict y,
                     __global const int* restrict mult, __global const int* restrict shift,
                     int C, int H, int W, int K, int OH, int OW, int R, int S, int SH, int SW, int PT, int PL,
                     int DH, int DW, int CMULT, int NK, int x_zp,
                     int has_bias, int has_res, int act, int y_zp, int r_zp, int r_mult, int r_shift, int lo, int hi) {
    const int owb = get_global_id(0), ohb = get_global_id(1), nk = get_global_id(2);
    const int ow00 = owb * PX, oh0 = ohb * ROWS;
    if (ow00 >= OW || oh0 >= OH || nk >= NK) return;
    // integer division costs ~25 cycles per work-item on x86: skip it in the common cases
    const int n = NK == K ? 0 : nk / K, k = nk - n * K, c = CMULT == 1 ? k : k / CMULT;
    const size_t coff = ((size_t)n * C + c) * H * W;       // channel offset in x
    __global const TIN* xc = x + coff;
    __global const TIN* wk = w + (size_t)k * KR * KS;
    const int rows = min(ROWS, OH - oh0);
    const TBIAS b = has_bias ? bias[k] : (TBIAS)0;
    int mu = 0, sh = 1;
#ifdef CONV_INT8
    mu = mult[k];
    sh = shift[k];
#endif
    for (int hf = 0; hf < PX / 8; ++hf) {
        const int ow0 = ow00 + 8 * hf;
        if (ow0 >= OW) break;
        const bool interior = ow0 * KSW - PL >= 0 && (ow0 + 7) * KSW - PL + (KS - 1) * KDW < W;
        const int8 lane = (int8)(0, 1, 2, 3, 4, 5, 6, 7);
        const T8 zp8 = (T8)((T)x_zp);
        T8 acc[ROWS];
#pragma unroll
        for (int v = 0; v < ROWS; ++v) acc[v] = (T8)0;
#pragma unroll
        for (int v = 0; v < ROWS; ++v) {
            if (v < rows) {
                for (int i = 0; i < KR; ++i) {
                    const int hi_ = (oh0 + v) * KSH - PT + i * KDH;
                    if (hi_ >= 0 && hi_ < H) {
                        __global const TIN* row = xc + (size_t)hi_ * W;
                        for (int j = 0; j < KS; ++j) {
                            const T8 wv = (T8)((T)wk[i * KS + j]);
                            const int w0 = ow0 * KSW - PL + j * KDW;
                            T8 xv;
                            if (interior) {
                                if (KSW == 1) xv = LOAD8(row + w0) - zp8;
                                // stride 2 may read 1 past the row: the next row or the guard word
                                else if (KSW == 2) xv = LOAD16E(row + w0) - zp8;
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
#pragma unroll
        for (int v = 0; v < ROWS; ++v) {
            if (v >= rows) break;
            const size_t base = ((size_t)nk * OH + oh0 + v) * OW + ow0;
#ifdef CONV_INT8
            dw_store_i8(acc[v], base, ow0, OW, res, y, b, mu, sh, has_res, y_zp, r_zp, r_mult, r_shift, lo, hi);
#else
            dw_store_f32(acc[v], base, ow0, OW, res, y, b, has_res, act);
#endif
        }
    }  // hf
}
#endif

#if defined(DW_FIXED) && !defined(CONV_INT8)
// ---- dwconv_strip: float32, fixed geometry (3x3 / 5x5, stride 1 / 2, dilation 1) -------------
// One work-item computes one channel x DW_RB output rows x 8 columns, walking down the input
// rows its output rows need ((DW_RB - 1) * stride + R of them): each input row is loaded once as
// its S tap vectors and multiplied into every output row that uses it. dwconv above loads the
// R x S tap vectors once per output row (R x S loads per output vector against (R + (RB-1) *
// stride) * S / RB here). The taps of an output row are added in the same order as in dwconv
// (rows i, then columns j, ascending), so both kernels compute the same bits.
#ifndef DW_RB
#define DW_RB 4
#endif
#define DW_NT ((DW_RB - 1) * DW_SH + DW_R)  // input rows per work-item

// tap vector j of input row hi_ (inside the image) for output columns ow0..ow0+7; the border
// cases as in dwconv (stride 1: one unaligned load at w0 with the outside lanes zeroed, never
// outside the buffer; otherwise a per-lane gather)
inline float8 dw_tap(__global const float* xc, size_t coff, int hi_, int W, int w0, bool interior) {
    __global const float* row = xc + (size_t)hi_ * W;
    if (interior) return DW_SW == 1 ? vload8(0, row + w0) : LOAD16E(row + w0);
    if (w0 <= W && (long)coff + hi_ * W + w0 >= 0) {
        // (stride 2 reads up to 16 floats from w0 <= W: at most the 64-byte allocation guard past the buffer)
        const int8 pos = (int8)(0, 1, 2, 3, 4, 5, 6, 7) * DW_SW + (int8)(w0);
        const float8 raw = DW_SW == 1 ? vload8(0, row + w0) : LOAD16E(row + w0);
        return select((float8)0.0f, raw, (pos >= (int8)0) & (pos < (int8)W));
    }
    // the first vector of the buffer: 8 clamped loads, outside lanes zeroed (no private array --
    // PoCL keeps one in work-group context memory; measured 1.07x on MobileNetV2, docs/conv.md)
    const int8 pos = (int8)(0, 1, 2, 3, 4, 5, 6, 7) * DW_SW + (int8)(w0);
    const int8 cp = clamp(pos, (int8)(0), (int8)(W - 1));
    const float8 g = (float8)(row[cp.s0], row[cp.s1], row[cp.s2], row[cp.s3], row[cp.s4], row[cp.s5], row[cp.s6],
                              row[cp.s7]);
    return select((float8)0.0f, g, (pos >= (int8)0) & (pos < (int8)W));
}

__kernel void dwconv_strip(__global const float* restrict x, __global const float* restrict w,
                           __global const float* restrict bias, __global const float* restrict res,
                           __global float* restrict y, int C, int H, int W, int K, int OH, int OW, int PT, int PL,
                           int CMULT, int NK, int has_bias, int has_res, int act) {
    const int owb = get_global_id(0), ohb = get_global_id(1), nk = get_global_id(2);
    const int ow0 = owb * 8, oh0 = ohb * DW_RB;
    if (ow0 >= OW || oh0 >= OH || nk >= NK) return;
    const int n = NK == K ? 0 : nk / K, k = nk - n * K, c = CMULT == 1 ? k : k / CMULT;
    const size_t coff = ((size_t)n * C + c) * H * W;
    __global const float* xc = x + coff;
    float8 wt[DW_R * DW_S];
#pragma unroll
    for (int t = 0; t < DW_R * DW_S; ++t) wt[t] = (float8)(w[(size_t)k * DW_R * DW_S + t]);
    const bool interior = ow0 * DW_SW - PL >= 0 && (ow0 + 7) * DW_SW - PL + (DW_S - 1) < W;
    float8 acc[DW_RB];
#pragma unroll
    for (int v = 0; v < DW_RB; ++v) acc[v] = (float8)0.0f;
    const int h0 = oh0 * DW_SH - PT;  // first input row of the strip
#pragma unroll
    for (int t = 0; t < DW_NT; ++t) {
        const int hi_ = h0 + t;
        if (hi_ < 0 || hi_ >= H) continue;  // zero padding (rows past the strip's last output too)
        float8 xv[DW_S];
#pragma unroll
        for (int j = 0; j < DW_S; ++j) xv[j] = dw_tap(xc, coff, hi_, W, ow0 * DW_SW - PL + j, interior);
#pragma unroll
        for (int v = 0; v < DW_RB; ++v) {
            const int i = t - v * DW_SH;  // the filter row of input row t in output row v
            if (i >= 0 && i < DW_R) {
#pragma unroll
                for (int j = 0; j < DW_S; ++j) acc[v] = MAD(xv[j], wt[i * DW_S + j], acc[v]);
            }
        }
    }
    const float b = has_bias ? bias[k] : 0.0f;
#pragma unroll
    for (int v = 0; v < DW_RB; ++v) {
        if (oh0 + v >= OH) break;
        const size_t base = ((size_t)nk * OH + oh0 + v) * OW + ow0;
        dw_store_f32(acc[v], base, ow0, OW, res, y, b, has_res, act);
    }
}
#endif

#if defined(DW_FIXED) && defined(CONV_INT8)
// ---- dwconv_strip, int8: the float32 strip above on int16 tap pairs ---------------------------
// One work-item: one channel x DW_RB output rows x 8 columns, walking down the input rows once.
// Per input row, the S tap vectors (x - zp, 0 outside the image: exact in int16) become
// ceil(S/2) vectors of int16 pairs (taps j, j+1; the odd last tap paired with 0), and every
// output row using the row adds one pair dot product (vpmaddwd) per pair. Integer sums are
// exact, so the result is the bits of dwconv (any order); the epilogue is dw_store_i8.
#ifndef DW_RB
#define DW_RB 4
#endif
#define DW_NT ((DW_RB - 1) * DW_SH + DW_R)
#define DW_SP ((DW_S + 1) / 2)  // tap pairs per filter row

inline int8 dw_tap_i8(__global const char* xc, size_t coff, int hi_, int W, int w0, bool interior, int zp) {
    __global const char* row = xc + (size_t)hi_ * W;
    if (interior) return (DW_SW == 1 ? LOAD8(row + w0) : LOAD16E(row + w0)) - (int8)(zp);
    if (w0 <= W && (long)coff + hi_ * W + w0 >= 0) {  // (as dw_tap: stride 2 reads 16 bytes from w0)
        const int8 pos = (int8)(0, 1, 2, 3, 4, 5, 6, 7) * DW_SW + (int8)(w0);
        const int8 raw = DW_SW == 1 ? LOAD8(row + w0) : LOAD16E(row + w0);
        return select((int8)(0), raw - (int8)(zp), (pos >= (int8)0) & (pos < (int8)W));
    }
    int tmp[8];
    for (int l = 0; l < 8; ++l) {
        const int wi = w0 + l * DW_SW;
        tmp[l] = (wi >= 0 && wi < W) ? (int)row[wi] - zp : 0;
    }
    return vload8(0, tmp);
}

// 8 output columns ow0.. of the strip, any position (border columns zeroed): the accumulators
// of rows v, from (x - zp) tap pairs
inline void strip8_i8(__global const char* xc, size_t coff, int H, int W, int h0, int ow0, int PL, int x_zp,
                      const short16* wp, int8* acc) {
    const bool interior = ow0 * DW_SW - PL >= 0 && (ow0 + 7) * DW_SW - PL + (DW_S - 1) < W;
#pragma unroll
    for (int t = 0; t < DW_NT; ++t) {
        const int hi_ = h0 + t;
        if (hi_ < 0 || hi_ >= H) continue;
        int8 xv[2 * DW_SP];
#pragma unroll
        for (int j = 0; j < 2 * DW_SP; ++j)
            xv[j] = j < DW_S ? dw_tap_i8(xc, coff, hi_, W, ow0 * DW_SW - PL + j, interior, x_zp) : (int8)(0);
        short16 xp[DW_SP];
#pragma unroll
        for (int p = 0; p < DW_SP; ++p) xp[p] = as_short16(pair_words(xv[2 * p], xv[2 * p + 1]));
#pragma unroll
        for (int v = 0; v < DW_RB; ++v) {
            const int i = t - v * DW_SH;
            if (i >= 0 && i < DW_R) {
#pragma unroll
                for (int p = 0; p < DW_SP; ++p) acc[v] += PAIR_DOT(xp[p], wp[i * DW_SP + p]);
            }
        }
    }
}

// global (ceil(OW/16), ceil(OH/DW_RB), N*K): 16 columns per work-item, from raw-byte pairs
// (stride 1: the 16 bytes at w0 + j are the tap pairs (j, j+1) of the even columns, those at
// w0 + j + 1 of the odd ones; stride 2: the 16 bytes at w0 + j (w0 + j + 16) those of columns 0-7
// (8-15)), on raw x with zp * (the weights applied) taken off per output row. Work-items touching
// the left/right border take the same path: the bytes outside the row are replaced by the code zp
// (a select per load), whose zp * w the correction takes off again, so padding contributes
// (zp - zp) * w = 0 exactly. Only where a load would start before the buffer (the first channel's
// top-left work-item) or run more than DW_GUARD bytes past its end does strip8_i8 run instead,
// on each 8-column half (measured on MobileNetV2: the border work-items were most of the time of
// the 28x28 and smaller layers, docs/int8.md).
#define DW_REACH (2 * (DW_SP - 1) + (DW_SW == 1 ? 1 : 16) + 16)  // bytes read from a row's first tap column
#define DW_GUARD 32  // bytes past a tensor's end a load may touch (backends/base.py alloc_bytes: >= one 32-byte word)
__kernel void dwconv_strip(__global const char* restrict x, __global const char* restrict w,
                           __global const int* restrict bias, __global const char* restrict res,
                           __global char* restrict y, __global const int* restrict mult,
                           __global const int* restrict shift, int C, int H, int W, int K, int OH, int OW, int PT,
                           int PL, int CMULT, int NK, int x_zp, int has_bias, int has_res, int y_zp, int r_zp,
                           int r_mult, int r_shift, int lo, int hi) {
    const int owb = get_global_id(0), ohb = get_global_id(1), nk = get_global_id(2);
    const int ow0 = owb * 16, oh0 = ohb * DW_RB;
    if (ow0 >= OW || oh0 >= OH || nk >= NK) return;
    const int n = NK == K ? 0 : nk / K, k = nk - n * K, c = CMULT == 1 ? k : k / CMULT;
    const size_t coff = ((size_t)n * C + c) * H * W;
    __global const char* xc = x + coff;
    __global const char* wk = w + (size_t)k * DW_R * DW_S;
    short16 wp[DW_R * DW_SP];  // weight pairs (w[i][j], w[i][j+1]) broadcast
    int wrow[DW_R];            // the sum of filter row i
#pragma unroll
    for (int i = 0; i < DW_R; ++i) {
        wrow[i] = 0;
#pragma unroll
        for (int p = 0; p < DW_SP; ++p) {
            const int j = 2 * p;
            const int wa = wk[i * DW_S + j], wb = j + 1 < DW_S ? wk[i * DW_S + j + 1] : 0;
            wp[i * DW_SP + p] = as_short16((int8)(((uint)wa & 0xFFFFu) | ((uint)wb << 16)));
            wrow[i] += wa + wb;
        }
    }
    const int h0 = oh0 * DW_SH - PT;
    const int b = has_bias ? bias[k] : 0, mu = mult[k], sh = shift[k];
    int8 a0[DW_RB], a1[DW_RB];
#pragma unroll
    for (int v = 0; v < DW_RB; ++v) a0[v] = a1[v] = (int8)(0);
    const int c0 = ow0 * DW_SW - PL;  // the input column of the strip's first tap
    const bool inner = c0 >= 0 && (ow0 + 15) * DW_SW - PL + (DW_S - 1) < W;
    const int hlo = max(h0, 0), hhi = min(h0 + DW_NT, H) - 1;  // the input rows the strip reads
    const long total = (long)(NK / K) * C * H * W;
    if (inner || (W < 32000 && (long)coff + (long)hlo * W + c0 >= 0 &&
                  (long)coff + (long)hhi * W + c0 + DW_REACH <= total + DW_GUARD)) {
        // valid[p] / valid[DW_SP + p]: the lanes of the even / odd loads of pair p inside the row
        short16 valid[2 * DW_SP];
#pragma unroll
        for (int p = 0; p < DW_SP; ++p) {
            const short16 pe = (short16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) + (short16)(c0 + 2 * p);
            const short16 po = pe + (short16)(DW_SW == 1 ? 1 : 16);
            valid[p] = (pe >= (short16)(0)) & (pe < (short16)(W));
            valid[DW_SP + p] = (po >= (short16)(0)) & (po < (short16)(W));
        }
        const short16 zp16 = (short16)(x_zp);
        int wsum[DW_RB];
#pragma unroll
        for (int v = 0; v < DW_RB; ++v) wsum[v] = 0;
#pragma unroll
        for (int t = 0; t < DW_NT; ++t) {
            const int hi_ = h0 + t;
            if (hi_ < 0 || hi_ >= H) continue;
            // (the last load may read 1 byte past what is used: the next row or the guard word)
            __global const char* row = xc + ((long)hi_ * W + c0);
            short16 xe[DW_SP], xo[DW_SP];
#pragma unroll
            for (int p = 0; p < DW_SP; ++p) {
                xe[p] = convert_short16(vload16(0, row + 2 * p));
                xo[p] = convert_short16(vload16(0, row + 2 * p + (DW_SW == 1 ? 1 : 16)));
                if (!inner) {
                    xe[p] = select(zp16, xe[p], valid[p]);
                    xo[p] = select(zp16, xo[p], valid[DW_SP + p]);
                }
            }
#pragma unroll
            for (int v = 0; v < DW_RB; ++v) {
                const int i = t - v * DW_SH;
                if (i >= 0 && i < DW_R) {
                    wsum[v] += wrow[i];
#pragma unroll
                    for (int p = 0; p < DW_SP; ++p) {
                        a0[v] += PAIR_DOT(xe[p], wp[i * DW_SP + p]);
                        a1[v] += PAIR_DOT(xo[p], wp[i * DW_SP + p]);
                    }
                }
            }
        }
#pragma unroll
        for (int v = 0; v < DW_RB; ++v) {
            const int8 zc = (int8)(x_zp * wsum[v]);  // |x_zp * wsum| <= 128 * 128 * R * S: exact
#if DW_SW == 1
            const int8 e = a0[v], o = a1[v];
            a0[v] = (int8)(e.s0, o.s0, e.s1, o.s1, e.s2, o.s2, e.s3, o.s3) - zc;
            a1[v] = (int8)(e.s4, o.s4, e.s5, o.s5, e.s6, o.s6, e.s7, o.s7) - zc;
#else
            a0[v] -= zc;
            a1[v] -= zc;
#endif
        }
    } else {
        strip8_i8(xc, coff, H, W, h0, ow0, PL, x_zp, wp, a0);
        if (ow0 + 8 < OW) strip8_i8(xc, coff, H, W, h0, ow0 + 8, PL, x_zp, wp, a1);
    }
#pragma unroll
    for (int v = 0; v < DW_RB; ++v) {
        if (oh0 + v >= OH) break;
        const size_t base = ((size_t)nk * OH + oh0 + v) * OW + ow0;
        dw_store_i8(a0[v], base, ow0, OW, res, y, b, mu, sh, has_res, y_zp, r_zp, r_mult, r_shift, lo, hi);
        if (ow0 + 8 < OW)
            dw_store_i8(a1[v], base + 8, ow0 + 8, OW, res, y, b, mu, sh, has_res, y_zp, r_zp, r_mult, r_shift, lo, hi);
    }
}
#endif
