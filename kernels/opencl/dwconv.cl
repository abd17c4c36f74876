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
// dwconv_strip (below: 8 output rows per work-item, each input row loaded once) or, float32 on
// AVX-512 devices with output rows of at most dwconv.opencl.row_max_ow columns, dwconv_row (whole
// rows as vectors, the padding in registers, several channels per work-item); int8 3x3 on a VNNI
// device runs dwconv_strip_q (rows of dwconv.opencl.q_min_ow+ columns) or dwconv_map_q (pad 1,
// output maps of at most dwconv.opencl.q_map_max_hw pixels, whole maps per work-item); every other
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

#if defined(DW_FIXED) && !defined(CONV_INT8) && !defined(DW_VW)  // (DW_VW: dwconv_row's programs)
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

#if defined(DW_FIXED) && !defined(CONV_INT8) && defined(DW_VW)
// ---- dwconv_row: float32, fixed geometry, output rows of at most DW_NV vectors ----------------
// On 7- to 28-wide images dwconv_strip's 8-column vectors leave lanes idle and each work-item does
// little work against PoCL's per-work-item cost. Here one work-item computes DWCONV_OPENCL_ROW_CHANNELS
// channels one after the other, each as DW_RB output rows x the whole output row (DW_NV vectors of
// DW_VW = 8 or 16 lanes). An input row is loaded once as DW_NV vectors (stride 2: 2 DW_NV, split
// into its even and odd columns) with the lanes past the row zeroed, and its S tap vectors are
// those vectors shifted by constant lane counts, with the neighbouring vector's lanes or zeros
// shifted in: the left/right padding is done in registers (the filter's left padding is DW_PL =
// (S - 1) / 2, a constant). A load starts inside the row and reads at most DW_VW - 1 floats past
// it: the next row or the buffer's 64-byte guard. Taps are added in dwconv_strip's order (rows,
// then columns), so both compute the same bits. The launcher runs one work-item per work-group (as
// dwconv_strip_q: in a larger group PoCL keeps the accumulator arrays in memory) and picks this
// kernel by the rule in backends/opencl/dwconv.py.
#define DW_NT ((DW_RB - 1) * DW_SH + DW_R)
#include "dw_row.h"

__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void dwconv_row(__global const float* restrict x, __global const float* restrict w,
                __global const float* restrict bias, __global const float* restrict res,
                __global float* restrict y, int C, int H, int W, int K, int OH, int OW, int PT, int PL,
                int CMULT, int NK, int has_bias, int has_res, int act) {
    const int oh0 = get_global_id(0) * DW_RB, nk0 = get_global_id(1) * DWCONV_OPENCL_ROW_CHANNELS;
    if (oh0 >= OH) return;
    const int h0 = oh0 * DW_SH - PT;  // first input row of the strip
    for (int nk = nk0; nk < min(nk0 + DWCONV_OPENCL_ROW_CHANNELS, NK); ++nk) {
        const int n = NK == K ? 0 : nk / K, k = nk - n * K, c = CMULT == 1 ? k : k / CMULT;
        __global const float* xc = x + ((size_t)n * C + c) * H * W;
        __global const float* wk = w + (size_t)k * DW_R * DW_S;
        DWV acc[DW_RB][DW_NV];
#pragma unroll
        for (int v = 0; v < DW_RB; ++v)
#pragma unroll
            for (int u = 0; u < DW_NV; ++u) acc[v][u] = (DWV)(0.0f);
#pragma unroll
        for (int t = 0; t < DW_NT; ++t) {
            const int hi_ = h0 + t;
            if (hi_ < 0 || hi_ >= H) continue;  // zero padding (rows past the strip's last output too)
            __global const float* row = xc + (size_t)hi_ * W;
#define DW_LOAD_GLOBAL(u) DW_VLOAD(u, row)
            DW_ROW_ACCUMULATE(DW_LOAD_GLOBAL);
#undef DW_LOAD_GLOBAL
        }
        const float b = has_bias ? bias[k] : 0.0f;
        // a whole-vector store of a row's last vector runs DW_NV * DW_VW - OW floats past the row:
        // over this many following rows (more than one when OW < DW_VW / 2)
        const int spill_rows = (DW_NV * DW_VW - 1) / OW;
#pragma unroll
        for (int v = 0; v < DW_RB; ++v) {
#pragma unroll
            for (int u = 0; u < DW_NV; ++u) {
                const int o0 = u * DW_VW;  // the vector's first output column
                if (oh0 + v >= OH || o0 >= OW) continue;
                const size_t base = ((size_t)nk * OH + oh0 + v) * OW + o0;
                DWV a = acc[v][u] + (DWV)(b);
                if (has_res) {
                    DWV r = (DWV)(0.0f);
                    for (int l = 0; l < min(DW_VW, OW - o0); ++l) r[l] = res[base + l];
                    a += r;
                }
                // a row whose spill lands on rows of this strip, which this work-item stores next:
                // the whole vector (not with a residual: y may be the residual's buffer, whose next
                // rows are still to be read); a spill past the strip would race with the work-item
                // of the next strip or channel
                if (!has_res && oh0 + v + spill_rows < min(oh0 + DW_RB, OH))
                    DW_VSTORE(conv_act(a, act), 0, y + base);
                else
                    dw_store_n(conv_act(a, act), y + base, min(DW_VW, OW - o0));
            }
        }
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
// bytes past a tensor's end a load may touch: the guard word of every allocation (backends/base.py
// alloc_bytes; AXI_WORD_BITS comes with the kernel config's -D flags)
#define DW_GUARD (AXI_WORD_BITS / 8)
// the arguments of the int8 strip kernels, dwconv_strip and dwconv_strip_q (one launcher passes
// both: backends/opencl/dwconv.py run_strip)
#define DW_I8_STRIP_ARGS                                                                                          \
    __global const char* restrict x, __global const char* restrict w, __global const int* restrict bias,        \
        __global const char* restrict res, __global char* restrict y, __global const int* restrict mult,         \
        __global const int* restrict shift, int C, int H, int W, int K, int OH, int OW, int PT, int PL, int CMULT, \
        int NK, int x_zp, int has_bias, int has_res, int y_zp, int r_zp, int r_mult, int r_shift, int lo, int hi
__kernel void dwconv_strip(DW_I8_STRIP_ARGS) {
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

#if defined(DW_FIXED) && defined(CONV_INT8) && defined(FPGAOPS_VNNI) && DW_R == 3 && DW_S == 3
// ---- dwconv_strip_q: int8 3x3 depthwise with VNNI (vpdpbusd, conv_int8.h / pair_dot.h) ----------
// One work-item: one channel x DWQ_RB output rows x 32 output columns. A filter row's three taps are
// one u8 x s8 quad (the fourth weight 0), so one QUAD_DOT8 adds a whole filter row into 8 output
// lanes: half the multiply instructions of the int16 pairs of dwconv_strip, with no widening. The
// input words are plain unaligned 32-bit loads: slot j holds the words at byte offset DWQ_OFF(j) +
// 4m of the row (m = 0..7), i.e. the quad of taps of output column DWQ_COL(j, m):
//   stride 1: offsets 0, 1, 2, 3 -> columns j + 4m;   stride 2: offsets 0, 2, 32, 34 -> columns
//   16 (j / 2) + (j % 2) + 2m.
// Bytes are u = x + 128 (x ^ 0x80); bytes outside the row (left/right padding) are the code zp, and
// the epilogue takes (128 + zp) * (the sum of the weights of the rows used) off each output row:
//   sum (x + 128) w - (128 + zp) sum w = sum (x - zp) w,  padding (zp - zp) w = 0     (exactly;
// |each sum| <= 255 * 128 * 9). The 8 lanes of a slot are requantized together (epilogue_i8x8) and
// the four slots' bytes interleaved back into 32 consecutive columns. Work-items whose loads would
// start before the buffer or run more than DW_GUARD bytes past its end compute each output
// with the scalar sum and epilogue() instead (dwq_scalar). The launcher (backends/opencl/dwconv.py)
// picks this kernel for output rows of at least dwconv.opencl.q_min_ow columns on a VNNI device.
#define DWQ_RB DWCONV_OPENCL_Q_ROWS  // dwconv.opencl.q_rows (every config key comes as a -D flag)
#define DWQ_NT ((DWQ_RB - 1) * DW_SH + 3)  // input rows per work-item
#define DWQ_OFF(j) (DW_SW == 1 ? (j) : ((j) & 1) * 2 + ((j) >> 1) * 32)
#define DWQ_REACH (DW_SW == 1 ? 3 + 32 : 34 + 32)  // bytes read from a row's first tap column

// the outputs of the work-item one by one (rare: the buffer's first/last work-items)
inline void dwq_scalar(__global const char* xc, __global const char* wk, int H, int W, int OH, int OW, int h0,
                       int ow0, int oh0, int PL, int x_zp, size_t obase, __global const char* res,
                       __global char* y, int b, int mu, int sh, int has_res, int y_zp, int r_zp, int r_mult,
                       int r_shift, int lo, int hi) {
    for (int v = 0; v < DWQ_RB && oh0 + v < OH; ++v)
        for (int l = 0; l < 32 && ow0 + l < OW; ++l) {
            int acc = 0;
            for (int i = 0; i < 3; ++i) {
                const int hi_ = h0 + v * DW_SH + i;
                if (hi_ < 0 || hi_ >= H) continue;
                for (int j = 0; j < 3; ++j) {
                    const int wi = (ow0 + l) * DW_SW - PL + j;
                    if (wi >= 0 && wi < W) acc += ((int)xc[(size_t)hi_ * W + wi] - x_zp) * (int)wk[i * 3 + j];
                }
            }
            const size_t at = obase + (size_t)v * OW + l;
            y[at] = epilogue(acc, b, res, at, has_res, 0, mu, sh, y_zp, r_zp, r_mult, r_shift, lo, hi);
        }
}

// 32 bytes of a row as 8 words, one unaligned load (a vload16 of chars is split into dword loads
// by PoCL's compiler; this type has alignment 1, so the load is a plain vmovdqu)
typedef uint8 __attribute__((aligned(1))) dwq_words;

// global (ceil(OW/32), ceil(OH/DWQ_RB), N*K), one work-item per group: in a larger group PoCL keeps
// the private arrays (the accumulators) of every work-item in memory, not in registers
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void dwconv_strip_q(DW_I8_STRIP_ARGS) {
    const int owb = get_global_id(0), ohb = get_global_id(1), nk = get_global_id(2);
    const int ow0 = owb * 32, oh0 = ohb * DWQ_RB;
    if (ow0 >= OW || oh0 >= OH || nk >= NK) return;
    const int n = NK == K ? 0 : nk / K, k = nk - n * K, c = CMULT == 1 ? k : k / CMULT;
    const size_t coff = ((size_t)n * C + c) * H * W;
    __global const char* xc = x + coff;
    __global const char* wk = w + (size_t)k * 9;
    const int b = has_bias ? bias[k] : 0, mu = mult[k], sh = shift[k];
    const int h0 = oh0 * DW_SH - PT, c0 = ow0 * DW_SW - PL;
    const size_t obase = ((size_t)nk * OH + oh0) * OW + ow0;
    const int hlo = max(h0, 0), hhi = min(h0 + DWQ_NT, H) - 1;
    const long total = (long)(NK / K) * C * H * W;
    if (W >= 32000 || (long)coff + (long)hlo * W + c0 < 0 ||
        (long)coff + (long)hhi * W + c0 + DWQ_REACH > total + DW_GUARD) {
        dwq_scalar(xc, wk, H, W, OH, OW, h0, ow0, oh0, PL, x_zp, obase, res, y, b, mu, sh, has_res, y_zp, r_zp,
                   r_mult, r_shift, lo, hi);
        return;
    }
    const bool inner = c0 >= 0 && c0 + DWQ_REACH <= W;
    int8 wq[3];    // filter row i as one s8 quad (w0, w1, w2, 0), broadcast
    int wrow[3];   // its sum
#pragma unroll
    for (int i = 0; i < 3; ++i) {
        const int w0 = wk[3 * i], w1 = wk[3 * i + 1], w2 = wk[3 * i + 2];
        wq[i] = (int8)((int)(((uint)w0 & 0xFFu) | (((uint)w1 & 0xFFu) << 8) | (((uint)w2 & 0xFFu) << 16)));
        wrow[i] = w0 + w1 + w2;
    }
    const uint8 zpw = (uint8)(((uint)x_zp & 0xFFu) * 0x01010101u);  // the code zp in every byte
    int8 acc[DWQ_RB][4];
#pragma unroll
    for (int v = 0; v < DWQ_RB; ++v)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[v][j] = (int8)(0);
    // Rows outside the image (top/bottom padding) are read as the code zp too (from a clamped row),
    // so every output row takes all three filter rows and one correction serves them all; the
    // loop is written twice (MASKED: border work-items, with the column masks) to keep the masks
    // out of the interior work-items' registers.
#define DWQ_ROWS(MASKED)                                                                               \
    for (int t = 0; t < DWQ_NT; ++t) {                                                                \
        const int hi_ = h0 + t;                                                                       \
        const bool rv = hi_ >= 0 && hi_ < H;                                                          \
        __global const char* row = xc + ((long)clamp(hi_, 0, H - 1) * W + c0);                       \
        int8 u[4];                                                                                    \
        _Pragma("unroll") for (int j = 0; j < 4; ++j) {                                              \
            uint8 raw = *(__global const dwq_words*)(row + DWQ_OFF(j));                               \
            if (MASKED) raw = bitselect(zpw, raw, valid[j]);                                          \
            raw = rv ? raw : zpw;                                                                     \
            u[j] = as_int8(raw ^ (uint8)(0x80808080u)); /* u8 bytes x + 128 */                        \
        }                                                                                             \
        _Pragma("unroll") for (int v = 0; v < DWQ_RB; ++v) {                                         \
            const int i = t - v * DW_SH; /* the filter row of input row t in output row v */          \
            if (i >= 0 && i < 3)                                                                      \
                _Pragma("unroll") for (int j = 0; j < 4; ++j) acc[v][j] = QUAD_DOT8(acc[v][j], u[j], wq[i]); \
        }                                                                                             \
    }
    if (inner) {
        const uint8 valid[4] = {(uint8)(0u), (uint8)(0u), (uint8)(0u), (uint8)(0u)};  // (unused)
#pragma unroll
        DWQ_ROWS(0)
    } else {
        uint8 valid[4];  // slot j: 0xFF in the bytes at c0 + DWQ_OFF(j) + 0..31 inside the row
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            uint8 m = (uint8)(0u);
#pragma unroll
            for (int bt = 0; bt < 4; ++bt) {
                const int8 pos = (int8)(0, 4, 8, 12, 16, 20, 24, 28) + (int8)(c0 + DWQ_OFF(j) + bt);
                m |= as_uint8((pos >= (int8)(0)) & (pos < (int8)(W))) & (uint8)(0xFFu << (8 * bt));
            }
            valid[j] = m;
        }
#pragma unroll
        DWQ_ROWS(1)
    }
#undef DWQ_ROWS
    const int8 corr = (int8)((128 + x_zp) * (wrow[0] + wrow[1] + wrow[2]));
    const int8 b8 = (int8)(b), m8 = (int8)(mu), s8 = (int8)(sh);
    const bool full = ow0 + 32 <= OW;
#pragma unroll
    for (int v = 0; v < DWQ_RB; ++v) {
        if (oh0 + v >= OH) break;
        const size_t at = obase + (size_t)v * OW;
        // the residual's 32 bytes, split into the slots' lanes as the outputs are
        uint8 rw = (uint8)(0u);
        if (has_res) {
            if (full) {
                rw = (uint8)(as_uint4(vload16(0, res + at)), as_uint4(vload16(0, res + at + 16)));
            } else {
                char tr[32];
                for (int l = 0; l < 32; ++l) tr[l] = ow0 + l < OW ? res[at + l] : (char)0;
                rw = (uint8)(as_uint4(vload16(0, tr)), as_uint4(vload16(1, tr)));
            }
        }
        uint8 o[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            int8 r8 = (int8)(0);
            if (has_res) {
#if DW_SW == 1
                r8 = convert_int8(as_char8(convert_uchar8(rw >> (uint8)(8 * j))));
#else
                // columns 16 (j / 2) + (j % 2) + 2m: bytes 2m + j % 2 of the half j / 2
                const uint4 hw = (j >> 1) ? rw.hi : rw.lo;
                const uint8 hw2 =
                    (uint8)(hw.s0, hw.s0 >> 16, hw.s1, hw.s1 >> 16, hw.s2, hw.s2 >> 16, hw.s3, hw.s3 >> 16);
                r8 = convert_int8(as_char8(convert_uchar8(hw2 >> (uint8)(8 * (j & 1)))));
#endif
            }
            const int8 a = as_int8(as_uint8(acc[v][j]) - as_uint8(corr));  // sum (x - zp) w, exact
            o[j] = convert_uint8(as_uchar8(epilogue_i8x8(a, b8, m8, s8, r8, has_res, y_zp, r_zp, r_mult, r_shift,
                                                         lo, hi)));
        }
#if DW_SW == 1
        const uint8 words = o[0] | (o[1] << 8) | (o[2] << 16) | (o[3] << 24);  // word m: columns 4m..4m+3
        const char16 out0 = as_char16(words.lo), out1 = as_char16(words.hi);
#else
        const uint8 p01 = o[0] | (o[1] << 8), p23 = o[2] | (o[3] << 8);  // 16-bit pairs: columns 2m, 2m+1
        const char16 out0 = as_char16(convert_ushort8(p01)), out1 = as_char16(convert_ushort8(p23));
#endif
        if (full) {
            vstore16(out0, 0, y + at);
            vstore16(out1, 0, y + at + 16);
        } else {
            char to[32];
            vstore16(out0, 0, to);
            vstore16(out1, 1, to);
            for (int l = 0; l < 32 && ow0 + l < OW; ++l) y[at + l] = to[l];
        }
    }
}
#endif

#if defined(DW_FIXED) && defined(CONV_INT8) && defined(FPGAOPS_VNNI) && defined(DWM_H) && DW_R == 3 && DW_S == 3
// ---- dwconv_map_q: int8 3x3 pad 1 depthwise on small maps, VNNI (stride 1 here, stride 2 below) --
// On 14x14 and 7x7 maps dwconv_strip's rows of 16 columns leave lanes empty (9 of 16 at 7 wide)
// and cost a work-item per strip. Here a work-item computes whole channel maps (DWM_H x DWM_W,
// compile-time constants, pad 1 on every side, so the output map has the input's shape), one after
// the other, as one flat row of H*W outputs in blocks of 32: with stride 1 and OW == W, the taps of
// filter row i of the outputs p .. p+31 (flat index oh * W + ow) are the input bytes at the flat
// offsets p + (i - 1) * W - 1 + 0..2, one constant shift per filter row. So, as in dwconv_strip_q,
// filter row i is one u8 x s8 quad (w0, w1, w2, 0) and slot j (0..3) of a block holds the 8 words
// at flat offsets p + (i - 1) * W - 1 + j + 4m (m = 0..7), the quads of outputs p + j + 4m; one
// vpdpbusd adds a filter row into 8 outputs. The bytes that are padding (the tap left of column 0
// and right of column W - 1 -- in the flat map they are the neighbouring row's --, rows above the
// first and below the last) are replaced by the code zp, so (128 + zp) * (the sum of all 9
// weights) is the one correction of every output (as dwconv_strip_q, exact). The masks depend on
// the block, the slot and the filter row only, all constants here: the unrolled code does a
// bitselect only where a word has padding bytes. Lanes used: 196 of 224 (14x14), 49 of 64 (7x7).
// A load that would start before the buffer or end more than DW_GUARD bytes past it (the first
// channel's first block, the last channel's last) is assembled byte by byte instead (dwm_gather).
#define DWM_HW (DWM_H * DWM_W)
#if DW_SW == 1
#define DWM_NB ((DWM_HW + 31) / 32)  // 32-output blocks per map
#define DWM_LAST (DWM_HW - (DWM_NB - 1) * 32)  // outputs of the last block (1..32)

// 0xFF in the bytes of slot j's words of filter row i in block blk that are inside the map (byte 3
// of a word, weight 0, counts as inside); constant-folded after unrolling
inline uint8 dwm_valid(int blk, int i, int j) {
    const int8 p = (int8)(0, 4, 8, 12, 16, 20, 24, 28) + (int8)(blk * 32 + j);  // the outputs
    const int8 oh = p / (int8)(DWM_W), ow = p - oh * (int8)(DWM_W), ih = oh + (int8)(i - 1);
    const int8 row_ok = (ih >= (int8)(0)) & (ih < (int8)(DWM_H));
    const int8 left_ok = ow > (int8)(0), right_ok = ow < (int8)(DWM_W - 1);  // byte 0 / byte 2
    return as_uint8(row_ok) & ((as_uint8(left_ok) & (uint8)(0xFFu)) | (uint8)(0xFF00u) |
                               (as_uint8(right_ok) & (uint8)(0xFF0000u)) | (uint8)(0xFF000000u));
}
#endif

// the 32 bytes at xc + off as 8 words, bytes outside [0, total) of the tensor read as the code zp
inline uint8 dwm_gather(__global const char* xc, long coff, int off, long total, int x_zp) {
    uchar b[32];
    for (int l = 0; l < 32; ++l) {
        const long at = coff + off + l;
        b[l] = (uchar)(at >= 0 && at < total ? xc[off + l] : (char)x_zp);
    }
    return (uint8)(as_uint4(vload16(0, b)), as_uint4(vload16(1, b)));
}

// the first n (1..32) bytes of the words o at p (n a constant after inlining)
inline void dwm_store_n(uint8 o, __global char* p, int n) {
    if (n == 32) {
        vstore16(as_char16(o.lo), 0, p);
        vstore16(as_char16(o.hi), 0, p + 16);
        return;
    }
    char16 r16 = as_char16(o.lo);
    if (n >= 16) {
        vstore16(r16, 0, p);
        r16 = as_char16(o.hi);
        p += 16;
        n -= 16;
    }
    char8 r8 = r16.lo;
    if (n >= 8) {
        vstore8(r8, 0, p);
        r8 = r16.hi;
        p += 8;
        n -= 8;
    }
    char4 r4 = r8.lo;
    if (n >= 4) {
        vstore4(r4, 0, p);
        r4 = r8.hi;
        p += 4;
        n -= 4;
    }
    char2 r2 = r4.lo;
    if (n >= 2) {
        vstore2(r2, 0, p);
        r2 = r4.hi;
        p += 2;
        n -= 2;
    }
    if (n) p[0] = r2.s0;
}

#if DW_SW == 1
// global (ceil(N*K / dwconv.opencl.q_map_channels)), one work-item per group (as dwconv_strip_q)
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void dwconv_map_q(DW_I8_STRIP_ARGS) {
    const int nk0 = get_global_id(0) * DWCONV_OPENCL_Q_MAP_CHANNELS;
    const long total = (long)(NK / K) * C * DWM_HW;
    const uint8 zpw = (uint8)(((uint)x_zp & 0xFFu) * 0x01010101u);  // the code zp in every byte
    for (int nk = nk0; nk < min(nk0 + DWCONV_OPENCL_Q_MAP_CHANNELS, NK); ++nk) {
        const int n = NK == K ? 0 : nk / K, k = nk - n * K, c = CMULT == 1 ? k : k / CMULT;
        const long coff = ((long)n * C + c) * DWM_HW;
        __global const char* xc = x + coff;
        __global const char* wk = w + (size_t)k * 9;
        int8 wq[3];  // filter row i as one s8 quad (w0, w1, w2, 0), broadcast
        int wsum = 0;
#pragma unroll
        for (int i = 0; i < 3; ++i) {
            const int w0 = wk[3 * i], w1 = wk[3 * i + 1], w2 = wk[3 * i + 2];
            wq[i] = (int8)((int)(((uint)w0 & 0xFFu) | (((uint)w1 & 0xFFu) << 8) | (((uint)w2 & 0xFFu) << 16)));
            wsum += w0 + w1 + w2;
        }
        // the bias minus the correction (128 + zp) * wsum, modulo 2^32 (the epilogue adds the bias to
        // the sum first, in uint: acc + (b - corr) = (acc - corr) + b = sum (x - zp) w + b, exactly)
        const int8 b8 = (int8)(vnni_bias(has_bias ? bias[k] : 0, wsum, x_zp));
        const int8 m8 = (int8)(mult[k]), s8 = (int8)(shift[k]);
        // the loads read flat offsets -W - 1 .. DWM_NB * 32 + W + 2 of the map
        const bool lo_ok = coff >= DWM_W + 1, hi_ok = coff + DWM_NB * 32 + DWM_W + 2 <= total + DW_GUARD;
        __global char* yc = y + (size_t)nk * DWM_HW;
        __global const char* rc = res + (size_t)nk * DWM_HW;
#pragma unroll
        for (int blk = 0; blk < DWM_NB; ++blk) {
            int8 acc[4] = {(int8)(0), (int8)(0), (int8)(0), (int8)(0)};
#pragma unroll
            for (int i = 0; i < 3; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    const int off = blk * 32 + (i - 1) * DWM_W - 1 + j;  // a constant
                    uint8 raw;
                    if ((off < 0 && !lo_ok) || (off + 32 > DWM_HW && !hi_ok))
                        raw = dwm_gather(xc, coff, off, total, x_zp);
                    else
                        raw = *(__global const dwq_words*)(xc + off);
                    raw = bitselect(zpw, raw, dwm_valid(blk, i, j));
                    acc[j] = QUAD_DOT8(acc[j], as_int8(raw ^ (uint8)(0x80808080u)), wq[i]);  // u8 x + 128
                }
            const int cnt = blk == DWM_NB - 1 ? DWM_LAST : 32;
            uint8 rw = (uint8)(0u);  // the residual's bytes, word m: outputs 4m..4m+3 of the block
            if (has_res) {
                uchar tr[32];
                for (int l = 0; l < 32; ++l) tr[l] = l < cnt ? (uchar)rc[blk * 32 + l] : (uchar)0;
                rw = (uint8)(as_uint4(vload16(0, tr)), as_uint4(vload16(1, tr)));
            }
            uint8 o[4];
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                const int8 r8 = has_res ? convert_int8(as_char8(convert_uchar8(rw >> (uint8)(8 * j)))) : (int8)(0);
                o[j] = convert_uint8(as_uchar8(epilogue_i8x8(acc[j], b8, m8, s8, r8, has_res, y_zp, r_zp, r_mult, r_shift,
                                                             lo, hi)));
            }
            const uint8 words = o[0] | (o[1] << 8) | (o[2] << 16) | (o[3] << 24);  // word m: outputs 4m..4m+3
            dwm_store_n(words, yc + blk * 32, cnt);
        }
    }
}
#else  // DW_SW == 2
// Stride 2 (pad 1 above and left): the flat map gives no constant shift, so a block is output
// rows: slot pair (2q, 2q + 1) holds the even / odd output columns 2m' + (0 | 1) of DWM_RPS rows
// (as dwconv_strip_q's stride 2: words at byte offsets 0 and 2 of the row, then every 4 bytes),
// lanes m = 0 .. 7 -> row m / DWM_LPR, m' = m % DWM_LPR; output rows of at most 8 columns put 2 rows
// in a slot (its lanes 4-7 from a second load, 16 bytes before the next row's taps, blended in).
// A block: 2 DWM_RPS output rows (28 of 32 lanes used at 14 and 7 columns). The launcher takes
// output rows of at most 16 columns.
#define DWM_OH ((DWM_H - 1) / 2 + 1)
#define DWM_OW ((DWM_W - 1) / 2 + 1)
#if DWM_OW > 16  // a slot pair's 2 x 8 lanes hold one output row (backends/opencl/dwconv.py MAP_S2_MAX_OW)
#error "dwconv_map_q stride 2 takes output rows of at most 16 columns"
#endif
#define DWM_RPS (DWM_OW <= 8 ? 2 : 1)  // output rows per slot
#define DWM_LPR (8 / DWM_RPS)           // lanes per output row in a slot
#define DWM_NB ((DWM_OH + 2 * DWM_RPS - 1) / (2 * DWM_RPS))  // blocks per map
// one past the last byte a load of the map reads (rows past OH in the last block included)
#define DWM_END ((4 * DWM_NB * DWM_RPS - 1) * DWM_W + 33)

// the output row and column of lane m of slot s in block blk (columns of lanes past the row: OW)
inline int8 dwm2_row(int blk, int s) {
    return (int8)(blk * 2 * DWM_RPS + (s >> 1) * DWM_RPS) + (int8)(0, 1, 2, 3, 4, 5, 6, 7) / (int8)(DWM_LPR);
}
inline int8 dwm2_col(int s) {
    return (int8)(0, 1, 2, 3, 4, 5, 6, 7) % (int8)(DWM_LPR) * (int8)(2) + (int8)(s & 1);
}

// as dwm_valid: the bytes of slot s's words of filter row i in block blk inside the image (lanes
// of outputs past the map count as inside: their outputs are not stored)
inline uint8 dwm2_valid(int blk, int i, int s) {
    const int8 oh = dwm2_row(blk, s), ow = dwm2_col(s), ih = oh * (int8)(2) + (int8)(i - 1);
    const int8 out = (oh >= (int8)(DWM_OH)) | (ow >= (int8)(DWM_OW));
    const int8 row_ok = out | ((ih >= (int8)(0)) & (ih < (int8)(DWM_H)));
    const int8 left_ok = out | (ow > (int8)(0));                           // byte 0: column 2 ow - 1
    const int8 right_ok = out | (ow * (int8)(2) + (int8)(1) < (int8)(DWM_W));  // byte 2: column 2 ow + 1
    return as_uint8(row_ok) & ((as_uint8(left_ok) & (uint8)(0xFFu)) | (uint8)(0xFF00u) |
                               (as_uint8(right_ok) & (uint8)(0xFF0000u)) | (uint8)(0xFF000000u));
}

__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void dwconv_map_q(DW_I8_STRIP_ARGS) {
    const int nk0 = get_global_id(0) * DWCONV_OPENCL_Q_MAP_CHANNELS;
    const long total = (long)(NK / K) * C * DWM_H * DWM_W;
    const uint8 zpw = (uint8)(((uint)x_zp & 0xFFu) * 0x01010101u);
    const uint8 hi4 = (uint8)(0u, 0u, 0u, 0u, ~0u, ~0u, ~0u, ~0u);  // lanes 4-7 (the second row)
    for (int nk = nk0; nk < min(nk0 + DWCONV_OPENCL_Q_MAP_CHANNELS, NK); ++nk) {
        const int n = NK == K ? 0 : nk / K, k = nk - n * K, c = CMULT == 1 ? k : k / CMULT;
        const long coff = ((long)n * C + c) * DWM_H * DWM_W;
        __global const char* xc = x + coff;
        __global const char* wk = w + (size_t)k * 9;
        int8 wq[3];
        int wsum = 0;
#pragma unroll
        for (int i = 0; i < 3; ++i) {
            const int w0 = wk[3 * i], w1 = wk[3 * i + 1], w2 = wk[3 * i + 2];
            wq[i] = (int8)((int)(((uint)w0 & 0xFFu) | (((uint)w1 & 0xFFu) << 8) | (((uint)w2 & 0xFFu) << 16)));
            wsum += w0 + w1 + w2;
        }
        const int8 b8 = (int8)(vnni_bias(has_bias ? bias[k] : 0, wsum, x_zp));  // as the stride-1 kernel
        const int8 m8 = (int8)(mult[k]), s8 = (int8)(shift[k]);
        const bool lo_ok = coff >= DWM_W + 1, hi_ok = coff + DWM_END <= total + DW_GUARD;
        __global char* yc = y + (size_t)nk * DWM_OH * DWM_OW;
        __global const char* rc = res + (size_t)nk * DWM_OH * DWM_OW;
#pragma unroll
        for (int blk = 0; blk < DWM_NB; ++blk) {
            int8 acc[4] = {(int8)(0), (int8)(0), (int8)(0), (int8)(0)};
#pragma unroll
            for (int i = 0; i < 3; ++i)
#pragma unroll
                for (int s = 0; s < 4; ++s) {
                    const int oh0 = blk * 2 * DWM_RPS + (s >> 1) * DWM_RPS;
                    // the words of row oh0's lanes (and of row oh0 + 1's, 4 DWM_LPR bytes later)
                    const int off = (2 * oh0 - 1 + i) * DWM_W + 2 * (s & 1) - 1;  // a constant
                    const int off2 = off + 2 * DWM_W - 4 * DWM_LPR;
                    uint8 raw;
                    if ((off < 0 && !lo_ok) || (off + 32 > DWM_H * DWM_W && !hi_ok))
                        raw = dwm_gather(xc, coff, off, total, x_zp);
                    else
                        raw = *(__global const dwq_words*)(xc + off);
                    if (DWM_RPS == 2) {
                        uint8 raw2;
                        if ((off2 < 0 && !lo_ok) || (off2 + 32 > DWM_H * DWM_W && !hi_ok))
                            raw2 = dwm_gather(xc, coff, off2, total, x_zp);
                        else
                            raw2 = *(__global const dwq_words*)(xc + off2);
                        raw = bitselect(raw, raw2, hi4);
                    }
                    raw = bitselect(zpw, raw, dwm2_valid(blk, i, s));
                    acc[s] = QUAD_DOT8(acc[s], as_int8(raw ^ (uint8)(0x80808080u)), wq[i]);
                }
            uint8 o[4];
#pragma unroll
            for (int s = 0; s < 4; ++s) {
                int8 r8 = (int8)(0);
                if (has_res) {
                    const int8 oh = dwm2_row(blk, s), ow = dwm2_col(s);
                    for (int m = 0; m < 8; ++m)
                        if (oh[m] < DWM_OH && ow[m] < DWM_OW) r8[m] = rc[oh[m] * DWM_OW + ow[m]];
                }
                o[s] = convert_uint8(as_uchar8(epilogue_i8x8(acc[s], b8, m8, s8, r8, has_res, y_zp, r_zp, r_mult,
                                                             r_shift, lo, hi)));
            }
#pragma unroll
            for (int q = 0; q < 2; ++q) {
                // 16-bit pairs (even, odd column): bytes 2 m', 2 m' + 1 of each row's lanes
                const char16 out = as_char16(convert_ushort8(o[2 * q] | (o[2 * q + 1] << 8)));
                const int oh0 = blk * 2 * DWM_RPS + q * DWM_RPS;
                if (oh0 < DWM_OH) dwm_store_n((uint8)(as_uint4(out), (uint4)(0u)), yc + oh0 * DWM_OW, DWM_OW);
                if (DWM_RPS == 2 && oh0 + 1 < DWM_OH)
                    dwm_store_n((uint8)(as_uint2(out.hi), (uint2)(0u), (uint4)(0u)), yc + (oh0 + 1) * DWM_OW, DWM_OW);
            }
        }
    }
}
#endif
#endif
