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
// geometry runs dwconv with runtime values. The int8 fixed-geometry kernels are in dwconv_q.h
// (dwconv_strip, dwconv_strip_q) and dwconv_map_q.h, included at the end.
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
    if (full) VSTORE8_U(char, o, y + base);
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

#include "dwconv_q.h"
#include "dwconv_map_q.h"
