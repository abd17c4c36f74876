// conv2d "im2col" algorithm for NDRange devices: an implicit GEMM (no im2col matrix is ever
// materialised). Semantics: ConvCall in python/fpgaops/ops/conv2d.py.
//
// float32 (default):
//   conv_pad     x (N,C,H,W) -> xp (N,C,HP,WP) with zeros in the padding, so the main loop has no
//                bounds checks.
//   conv_pack    weight (K,Cg,R,S) -> wp (G, KBG, Cg*R*S, KB): output channels innermost in
//                blocks of KB = 8*CONV2D_OPENCL_KV, zero-filled past Kg.
//   conv_im2col  each work-item computes KB output channels x CONV2D_OPENCL_PB output pixels:
//                per filter tap, KV vector loads of weights, PB scalar (broadcast) input loads,
//                PB*KV vector FMAs into registers (the GEMM micro-kernel, M = pixels,
//                N = output channels, K = Cg*R*S taps whose input offsets come from a table).
//
// CONV_INT8 (int8 data, exact int32 accumulation): the same micro-kernel on int16 pairs of taps,
// as gemm_i8 in gemm.cl (x86 vpmaddwd: 16 MACs per AVX2 instruction, where an int32 multiply,
// vpmulld, does 8 at a fraction of the rate):
//   conv_pad     x -> xp (N, G, CQ, HP, WP) of 32-bit words, each the int16 pair
//                (x[c] - zp, x[c+1] - zp) of input channels c = g*Cg + 2*cq and c+1 (0 past Cg,
//                0 in the padding); CQ = ceil(Cg/2). |x - zp| <= 255 fits int16.
//   conv_pack    weight -> wp (G, KBG, CQ*R*S, KB, 2) of int16: per pair-tap (cq, r, s) the
//                weights of channels 2cq and 2cq+1 of every output channel, interleaved.
//   conv_im2col  per pair-tap: KV loads of 2*8 int16 weights, PB broadcast 32-bit input pairs,
//                PB*KV pair dot products (each lane: x0*w0 + x1*w1, exact, |.| <= 2*255*128)
//                added into int32 accumulators. The epilogue requantizes 8 output channels at a
//                time (conv_int8.h, the rule of conv_epilogue.h lane by lane).
//   With -DFPGAOPS_VNNI (x86 with VNNI, backends/opencl/isa.py) the same kernels take words of
//   TAPW = 4 taps instead of 2: u8 bytes x + 128 of the input (padding: the code zp) and s8 weights,
//   multiplied by vpdpbusd; conv_wsum stores sum(w) per output channel after the packed weights and
//   the epilogue subtracts (128 + zp) * sum(w) (exact: the proof is in conv_int8.h).
// -DCONV_PB / -DCONV_KV: conv_im2col's blocking (pixels, vectors of 8 output channels per work-item),
// chosen by the launcher (backends/opencl/conv2d.py im2col_blocking, from conv2d.opencl.pb / kv /
// kv_avx512 and the device's ISA: the one place that decides it, and the grid is sized from the same
// values). Programs that never launch conv_im2col (conv_pw, conv_rows, ...) compile it with the
// config's pb / kv.
#ifdef CONV_PB
#define PB CONV_PB
#define KV CONV_KV
#else
#define PB CONV2D_OPENCL_PB
#define KV CONV2D_OPENCL_KV
#endif
#define KB (8 * KV)

#ifdef CONV_INT8
typedef char TIN;
typedef int T;
typedef char TOUT;
typedef int TBIAS;
#else
typedef float TIN;
typedef float T;
typedef float8 T8;
typedef float TOUT;
typedef float TBIAS;
#endif

#include "conv_epilogue.h"
#include "conv_int8.h"

// base[p]: the offset in a padded input plane of the top-left tap of output pixel pb*PB + p
// (pixels past the end repeat the last one: they are computed and not stored).
inline void pixel_bases(int pb, int P, int OW, int SH, int SW, int WP, int* base) {
#pragma unroll
    for (int p = 0; p < PB; ++p) {
        const int pix = min(pb * PB + p, P - 1);
        const int oh = pix / OW, ow = pix - oh * OW;
        base[p] = oh * SH * WP + ow * SW;
    }
}

#ifdef CONV_INT8
// ================================================================================================
// int8
// ================================================================================================
// global (ceil(WP/PAD_W), HP, N*G*CQ): PAD_W consecutive pairs of one padded row per work-item,
// 8 at a time; 8 columns inside the image are two 8-byte loads and one 32-byte store. (The
// launcher passes a convolution without padding, e.g. 1x1, as one row of H*W per plane.)
// PAD_W comes from the launcher (PAD_PAIRS in backends/opencl/conv2d.py), which sizes the grid.
#ifndef CONV_PAD_W
#error "CONV_PAD_W (pairs per conv_pad work-item) must be defined by the launcher"
#endif
#define PAD_W CONV_PAD_W
// Words of TAPW channels (conv_int8.h: int16 pairs x - zp, or VNNI's u8 quads x + 128); padding and
// channels past CG hold the input code zp (a zero word in the pair form).
__kernel void conv_pad(__global const TIN* restrict x, __global uint* restrict xp, int C, int H, int W, int HP,
                       int WP, int pad_top, int pad_left, int x_zero_point, int G, int CG, int CQ) {
    const int w00 = get_global_id(0) * PAD_W, hq = get_global_id(1), ngq = get_global_id(2);
    if (w00 >= WP || hq >= HP) return;
    const int cq = ngq % CQ, ng = ngq / CQ, g = ng % G, n = ng / G;
    const int hi = hq - pad_top;
    const char zc = (char)x_zero_point;
    const uint padw = tap_word(zc, zc, zc, zc, x_zero_point);
    const int wend = min(WP, w00 + PAD_W);
    __global uint* drow = xp + ((size_t)ngq * HP + hq) * WP;
    if (hi < 0 || hi >= H) {
        for (int wq = w00; wq < wend; ++wq) drow[wq] = padw;
        return;
    }
    const size_t plane = (size_t)H * W;
    __global const TIN* r0 = x + (((size_t)n * C + g * CG + TAPW * cq) * H + hi) * W;
    const int nch = min(TAPW, CG - TAPW * cq);  // channels of this word inside the group
    for (int wq0 = w00; wq0 < wend; wq0 += 8) {
        const int wi0 = wq0 - pad_left;
        if (wi0 >= 0 && wi0 + 8 <= W && wq0 + 8 <= WP) {
            char8 v[4];
#pragma unroll
            for (int j = 0; j < 4; ++j) v[j] = j < nch ? vload8(0, r0 + j * plane + wi0) : (char8)(zc);
            vstore8(tap_words(v[0], v[1], v[2], v[3], x_zero_point), 0, drow + wq0);
        } else {
            for (int l = 0; l < min(8, WP - wq0); ++l) {
                const int wi = wi0 + l;
                uint u = padw;
                if (wi >= 0 && wi < W) {
                    char v[4];
#pragma unroll
                    for (int j = 0; j < 4; ++j) v[j] = j < nch ? r0[j * plane + wi] : zc;
                    u = tap_word(v[0], v[1], v[2], v[3], x_zero_point);
                }
                drow[wq0 + l] = u;
            }
        }
    }
}

// global (CQ*R*S, G*KBG): one word-tap (TAPW channels of one (r, s)) of one block of KB output
// channels per work-item -> wp (G, KBG, CQ*R*S, KB) words, weight 0 past CG and KG
__kernel void conv_pack(__global const TIN* restrict w, __global uint* restrict wp, int KG, int KBG, int CG, int RS,
                        int Q) {
    const int q = get_global_id(0), gkb = get_global_id(1);
    if (q >= Q) return;
    const int g = gkb / KBG, kb = gkb % KBG;
    const int cq = q / RS, rs = q - cq * RS, c0 = TAPW * cq;
    __global uint* dst = wp + ((size_t)gkb * Q + q) * KB;
    for (int l = 0; l < KB; ++l) {
        const int kk = kb * KB + l;
        uint v = 0u;
        if (kk < KG) {
            __global const TIN* src = w + ((size_t)(g * KG + kk) * CG + c0) * RS + rs;
            for (int j = 0; j < TAPW; ++j)
                if (c0 + j < CG) v |= W_BITS(src[j * RS], j);
        }
        dst[l] = v;
    }
}

// VNNI only: wsum[k] = the sum of output channel k's CRS weights (its correction term), stored
// after the packed weights (at word `off` of the same buffer). global (K).
__kernel void conv_wsum(__global const TIN* restrict w, __global int* restrict wp, int K, int CRS, int off) {
    const int k = get_global_id(0);
    if (k >= K) return;
    __global const TIN* src = w + (size_t)k * CRS;
    int s = 0;
    for (int t = 0; t < CRS; ++t) s += src[t];  // |s| <= 128 * CRS: exact
    wp[off + k] = s;
}

inline void store_strided8(__global TOUT* p, size_t stride, char8 v) {
    p[0] = v.s0;
    p[stride] = v.s1;
    p[2 * stride] = v.s2;
    p[3 * stride] = v.s3;
    p[4 * stride] = v.s4;
    p[5 * stride] = v.s5;
    p[6 * stride] = v.s6;
    p[7 * stride] = v.s7;
}

inline int8 load_strided8(__global const TIN* p, size_t stride) {
    return (int8)(p[0], p[stride], p[2 * stride], p[3 * stride], p[4 * stride], p[5 * stride], p[6 * stride],
                  p[7 * stride]);
}

// global (ceil(P/PB), G*KBG, N). taps[q]: the word offset of pair-tap q in a group's xp planes.
// wp: the packed words (and, for VNNI, the weight sums after them: word G*KBG*Q*KB on).
__kernel void conv_im2col(__global const int* restrict xp, __global const int* restrict wp,
                          __global const int* restrict taps, __global const TBIAS* restrict bias,
                          __global const TIN* restrict res, __global TOUT* restrict y,
                          __global const int* restrict mult, __global const int* restrict shift,
                          int G, int CQ, int HP, int WP, int K, int OH, int OW, int SH, int SW, int KG, int KBG,
                          int Q, int x_zp, int has_bias, int has_res, int act, int y_zp, int r_zp, int r_mult,
                          int r_shift, int lo, int hi) {
    const int pb = get_global_id(0), gkb = get_global_id(1), n = get_global_id(2);
    const int P = OH * OW;
    if (pb * PB >= P) return;
    const int g = gkb / KBG, kb = gkb % KBG;
    int base[PB];
    pixel_bases(pb, P, OW, SH, SW, WP, base);
    __global const int* xin = xp + ((size_t)n * G + g) * CQ * HP * WP;
    __global const int* wk = wp + (size_t)gkb * Q * KB;
    int8 acc[PB][KV];
#pragma unroll
    for (int p = 0; p < PB; ++p)
#pragma unroll
        for (int v = 0; v < KV; ++v) acc[p][v] = (int8)(0);
    for (int q = 0; q < Q; ++q) {
        const int off = taps[q];
        int8 wv[KV];
#pragma unroll
        for (int v = 0; v < KV; ++v) wv[v] = vload8(v, wk);
        wk += KB;
#pragma unroll
        for (int p = 0; p < PB; ++p) {
            const int8 xv = (int8)(xin[base[p] + off]);  // the input word, broadcast
#pragma unroll
            for (int v = 0; v < KV; ++v) acc[p][v] = TAP_DOT(acc[p][v], xv, wv[v]);
        }
    }
#ifdef FPGAOPS_VNNI
    __global const int* wsum = wp + (size_t)G * KBG * Q * KB;
#endif
#pragma unroll
    for (int v = 0; v < KV; ++v) {
        const int kk0 = kb * KB + v * 8;
        if (kk0 >= KG) break;
        const int ko0 = g * KG + kk0;
        if (kk0 + 8 <= KG) {  // 8 output channels: vector epilogue
            int8 b8 = has_bias ? vload8(0, bias + ko0) : (int8)(0);
#ifdef FPGAOPS_VNNI
            b8 = vnni_bias8(b8, vload8(0, wsum + ko0), x_zp);
#endif
            const int8 m8 = vload8(0, mult + ko0), s8 = vload8(0, shift + ko0);
#pragma unroll
            for (int p = 0; p < PB; ++p) {
                const int pix = pb * PB + p;
                if (pix < P) {
                    const size_t idx = ((size_t)n * K + ko0) * P + pix;
                    const int8 r8 = has_res ? load_strided8(res + idx, P) : (int8)(0);
                    const char8 o = epilogue_i8x8(acc[p][v], b8, m8, s8, r8, has_res, y_zp, r_zp, r_mult, r_shift,
                                                  lo, hi);
                    store_strided8(y + idx, P, o);
                }
            }
        } else {
            int tmp[PB][8];
#pragma unroll
            for (int p = 0; p < PB; ++p) vstore8(acc[p][v], 0, tmp[p]);
            for (int l = 0; l < KG - kk0; ++l) {
                const int ko = ko0 + l;
                int b = has_bias ? bias[ko] : 0;
#ifdef FPGAOPS_VNNI
                b = vnni_bias(b, wsum[ko], x_zp);
#endif
                const int m = mult[ko], s = shift[ko];
                for (int p = 0; p < PB; ++p) {
                    const int pix = pb * PB + p;
                    if (pix >= P) break;
                    const size_t idx = ((size_t)n * K + ko) * P + pix;
                    y[idx] = epilogue(tmp[p][l], b, res, idx, has_res, act, m, s, y_zp, r_zp, r_mult, r_shift, lo, hi);
                }
            }
        }
    }
}

// ---- int8 pointwise: 1x1, stride 1, no padding, groups 1 (the float32 conv_pw below, on pairs) --
// The input comes from conv_pad as one row of P words per TAPW channels, so 8 consecutive pixels
// of a channel word are one int8 load; the weight word of an output channel is broadcast, and
// TAP_DOT adds its TAPW products into 8 pixel lanes (conv_int8.h: int16 pairs, or VNNI quads).
// PW_M output channels x PW_NV*8 pixels per work-item; the epilogue requantizes 8 pixels of one
// channel at a time (epilogue_i8x8) and stores them with one 8-byte store. PW_NV is 2, or 4 where the
// launcher passes -DCONV_PW_NV=4 (images of many pixels: each weight broadcast and each channel's
// epilogue constants then serve 4 vectors; measured 1.1-1.2x on MobileNetV2's 56x56 and 112x112
// layers, slower on small images, docs/int8.md).
#define PW_M 6
#ifdef CONV_PW_NV
#define PW_NV CONV_PW_NV
#else
#define PW_NV 2
#endif
#define PW_N (PW_NV * 8)

// global (CQ, ceil(K/PW_M)): weight (K, C) int8 -> wp (KBLK, CQ, PW_M) words of the TAPW weights
// w[k][TAPW*cq + j], zero past C and K (VNNI: the weight sums follow, from word KBLK*CQ*PW_M)
__kernel void conv_pw_pack(__global const TIN* restrict w, __global uint* restrict wp, int C, int K, int CQ) {
    const int cq = get_global_id(0), kb = get_global_id(1);
    if (cq >= CQ) return;
    __global uint* dst = wp + ((size_t)kb * CQ + cq) * PW_M;
    for (int r = 0; r < PW_M; ++r) {
        const int k = kb * PW_M + r, c0 = TAPW * cq;
        uint v = 0u;
        if (k < K)
            for (int j = 0; j < TAPW; ++j)
                if (c0 + j < C) v |= W_BITS(w[(size_t)k * C + c0 + j], j);
        dst[r] = v;
    }
}

// -DPW_WORDS (VNNI; the launcher's choice where 1x1 convs read this output, backends/opencl/conv2d.py
// words_out): the work-item also writes its outputs as their input words, conv_pad's layout without
// padding ((N, K/4, P) words, word (q, p) = the u8 bytes x + 128 of channels 4q .. 4q + 3 at pixel
// p), read back from the bytes it has just stored (in L1), so their conv_pad does not run. K % 4 == 0
// and KBN * PW_M % 4 == 0 (the launcher), so a work-item's channels are whole words.
#ifdef PW_WORDS
#define PW_WORDS_ARG , __global uint* restrict yw
#else
#define PW_WORDS_ARG
#endif

// global (ceil(P/PW_N), ceil(ceil(K/PW_M)/KBN), N), one work-item per group; windows as the float32
// conv_pw. KBN blocks of PW_M output channels per work-item, one after the other (the input block
// stays in L1): fewer work-groups where a block is little work (few input channels; PoCL pays a
// fixed cost per work-group).
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void conv_pw(__global const uint* restrict xp, __global const uint* restrict wp, __global const TBIAS* restrict bias,
             __global const TIN* restrict res, __global TOUT* restrict y, __global const int* restrict mult,
             __global const int* restrict shift, int CQ, int K, int P, int x_zp, int has_bias, int has_res, int y_zp,
             int r_zp, int r_mult, int r_shift, int lo, int hi, int KBN PW_WORDS_ARG) {
    const int jb = get_global_id(0), n = get_global_id(2);
    const int kb1 = min((K + PW_M - 1) / PW_M, (int)get_global_id(1) * KBN + KBN);
    for (int kb = get_global_id(1) * KBN; kb < kb1; ++kb) {
        const int own0 = jb * PW_N;
        const int p0 = P >= PW_N ? min(own0, P - PW_N) : 0;
        __global const uint* X = xp + (size_t)n * CQ * P + p0;
        __global const uint* W = wp + (size_t)kb * CQ * PW_M;
        int8 acc[PW_M][PW_NV];
#pragma unroll
        for (int r = 0; r < PW_M; ++r)
#pragma unroll
            for (int v = 0; v < PW_NV; ++v) acc[r][v] = (int8)(0);
        for (int cq = 0; cq < CQ; ++cq) {
            int8 xv[PW_NV];
            if (P >= PW_N) {
#pragma unroll
                for (int v = 0; v < PW_NV; ++v) xv[v] = as_int8(vload8(v, X));
            } else {
                uint xs[PW_N];
                for (int l = 0; l < PW_N; ++l) xs[l] = l < P ? X[l] : 0u;
#pragma unroll
                for (int v = 0; v < PW_NV; ++v) xv[v] = as_int8(vload8(v, xs));
            }
#pragma unroll
            for (int r = 0; r < PW_M; ++r) {
                const int8 wv = (int8)((int)W[r]);
#pragma unroll
                for (int v = 0; v < PW_NV; ++v) acc[r][v] = TAP_DOT(acc[r][v], xv[v], wv);
            }
            X += P;
            W += PW_M;
        }
        const int full = p0 == own0 && p0 + PW_N <= P;
#pragma unroll
        for (int r = 0; r < PW_M; ++r) {
            const int k = kb * PW_M + r;
            if (k >= K) break;
            int bk = has_bias ? bias[k] : 0;
    #ifdef FPGAOPS_VNNI
            bk = vnni_bias(bk, (int)wp[(size_t)((K + PW_M - 1) / PW_M) * CQ * PW_M + k], x_zp);
    #endif
            const int8 b8 = (int8)(bk), m8 = (int8)(mult[k]), s8 = (int8)(shift[k]);
            const size_t row = ((size_t)n * K + k) * P + p0;
#ifdef CONV_REQ32
            if (full && !has_res) {  // the common case, without branches: constants once per channel
                const Req32 q = req32_consts(m8, s8);
#pragma unroll
                for (int v = 0; v < PW_NV; ++v)
                    VSTORE8_U(char, requant32_i8x8(acc[r][v], b8, q, y_zp, lo, hi), y + row + v * 8);
                continue;
            }
#endif
#pragma unroll
            for (int v = 0; v < PW_NV; ++v) {
                const size_t at = row + v * 8;
                if (full) {
                    const int8 r8 = has_res ? convert_int8(vload8(0, res + at)) : (int8)(0);
                    const char8 o = epilogue_i8x8(acc[r][v], b8, m8, s8, r8, has_res, y_zp, r_zp, r_mult, r_shift,
                                                  lo, hi);
                    VSTORE8_U(char, o, y + at);
                } else {
                    int t[8];
                    vstore8(acc[r][v], 0, t);
                    for (int l = 0; l < 8; ++l) {
                        const int p = p0 + v * 8 + l;
                        if (p < own0 || p >= P) continue;
                        y[at + l] = epilogue(t[l], b8.s0, res, at + l, has_res, 0, m8.s0, s8.s0, y_zp, r_zp, r_mult,
                                             r_shift, lo, hi);
                    }
                }
            }
        }
    }
#ifdef PW_WORDS
    // the pixels this work-item stored (own0 .. : a shifted last window stores only those)
    const int k0 = (int)get_global_id(1) * KBN * PW_M, k1 = min(K, k0 + KBN * PW_M);
    const int own0 = jb * PW_N, pend = min(P, own0 + PW_N);
    for (int k = k0; k < k1; k += 4)
        store_quad_words(y + ((size_t)n * K + k) * P + own0, P, pend - own0,
                         yw + ((size_t)n * (K / 4) + k / 4) * P + own0);
#endif
}

// ---- int8 pointwise on one pixel (a classifier's Gemm, SE blocks): conv_pw1 -------------------
// conv_pw puts pixels in its lanes, so on one pixel 15 of its 16 lanes are wasted and every input
// word is gathered; here the lanes run along the input words instead: output channel k's TAP_DOT
// of 8 input words with its 8 weight words, then the sum of the lanes (integer: exact in any
// order) and the scalar epilogue.
// global (CQ, K): weight (K, C) int8 -> wp (K, CQ) words of the TAPW weights w[k][TAPW*cq + j], zero
// past C (VNNI: conv_wsum stores the weight sums after them, from word K*CQ)
__kernel void conv_pw1_pack(__global const TIN* restrict w, __global uint* restrict wp, int C, int K, int CQ) {
    const int cq = get_global_id(0), k = get_global_id(1);
    if (cq >= CQ || k >= K) return;
    uint v = 0u;
    for (int j = 0; j < TAPW; ++j)
        if (TAPW * cq + j < C) v |= W_BITS(w[(size_t)k * C + TAPW * cq + j], j);
    wp[(size_t)k * CQ + cq] = v;
}

// global (K, N); xp: (N, CQ) words from conv_pad
__kernel void conv_pw1(__global const uint* restrict xp, __global const uint* restrict wp,
                       __global const TBIAS* restrict bias, __global const TIN* restrict res, __global TOUT* restrict y,
                       __global const int* restrict mult, __global const int* restrict shift, int CQ, int K, int x_zp,
                       int has_bias, int has_res, int y_zp, int r_zp, int r_mult, int r_shift, int lo, int hi) {
    const int k = get_global_id(0), n = get_global_id(1);
    if (k >= K) return;
    __global const uint* X = xp + (size_t)n * CQ;
    __global const uint* W = wp + (size_t)k * CQ;
    int8 acc = (int8)(0);
    int cq = 0;
    for (; cq + 8 <= CQ; cq += 8) acc = TAP_DOT(acc, as_int8(vload8(0, X + cq)), as_int8(vload8(0, W + cq)));
    if (cq < CQ) {  // the last words; a weight word 0 adds 0 in both forms
        uint xs[8], ws[8];
        for (int l = 0; l < 8; ++l) {
            xs[l] = cq + l < CQ ? X[cq + l] : 0u;
            ws[l] = cq + l < CQ ? W[cq + l] : 0u;
        }
        acc = TAP_DOT(acc, as_int8(vload8(0, xs)), as_int8(vload8(0, ws)));
    }
    const int4 h4 = acc.lo + acc.hi;
    const int2 h2 = h4.lo + h4.hi;
    int bk = has_bias ? bias[k] : 0;
#ifdef FPGAOPS_VNNI
    bk = vnni_bias(bk, (int)wp[(size_t)K * CQ + k], x_zp);
#endif
    const size_t at = (size_t)n * K + k;
    y[at] = epilogue(h2.s0 + h2.s1, bk, res, at, has_res, 0, mult[k], shift[k], y_zp, r_zp, r_mult, r_shift, lo, hi);
}

#else
// ================================================================================================
// float32
// ================================================================================================
#define MAD(a, b, c) fma(a, b, c)  // not mad(): PoCL lowers it to vmulps + vaddps (no contraction)

// One work-item per padded row (global (HP, N*C)): zeros, the row of x, zeros, as loops the
// compiler vectorises. (One work-item per element, branching per element, ran scalar at ~1 ns per
// element on PoCL: 144 us for MobileNetV3's 3x224x224 input.)
__kernel void conv_pad(__global const TIN* restrict x, __global T* restrict xp, int C, int H, int W, int HP,
                       int WP, int pad_top, int pad_left, int x_zero_point) {
    const int hq = get_global_id(0), nc = get_global_id(1);
    if (hq >= HP) return;
    __global T* restrict dst = xp + ((size_t)nc * HP + hq) * WP;
    const int hi = hq - pad_top;
    const int a = min(pad_left, WP);                                   // [0, a): left padding
    const int b = hi >= 0 && hi < H ? min(pad_left + W, WP) : a;       // [a, b): the row of x
    const T zp = (T)x_zero_point;
    for (int q = 0; q < a; ++q) dst[q] = (T)0;
    if (b > a) {
        __global const TIN* restrict src = x + ((size_t)nc * H + hi) * W + (a - pad_left);
        for (int q = a; q < b; ++q) dst[q] = (T)src[q - a] - zp;
    }
    for (int q = b; q < WP; ++q) dst[q] = (T)0;                         // right padding
}

// A 1x1 unpadded conv with stride (ResNet's downsampling shortcuts) is a pointwise conv of the
// input's every SH-th row and SW-th column: this gathers them, (N*C, H, W) -> (N*C, OH, OW), so the
// GEMM kernels conv_pw / conv_pwt run on contiguous pixels (backends/opencl/conv2d.py
// strided_pointwise; measured faster than conv_im2col's per-pixel gathers, docs/conv.md).
__kernel void conv_subsample(__global const T* restrict x, __global T* restrict xs, int H, int W, int OH, int OW,
                             int SH, int SW) {
    int ow = get_global_id(0), oh = get_global_id(1), nc = get_global_id(2);
    if (ow >= OW || oh >= OH) return;
    xs[((size_t)nc * OH + oh) * OW + ow] = x[((size_t)nc * H + (size_t)oh * SH) * W + (size_t)ow * SW];
}

__kernel void conv_pack(__global const TIN* restrict w, __global T* restrict wp, int KG, int KBG, int CRS) {
    // one work-item per (group*KBG + kb, tap)
    int t = get_global_id(0), gkb = get_global_id(1);
    if (t >= CRS) return;
    int g = gkb / KBG, kb = gkb % KBG;
    __global T* dst = wp + ((size_t)gkb * CRS + t) * KB;
    for (int l = 0; l < KB; ++l) {
        int kk = kb * KB + l;
        dst[l] = kk < KG ? (T)w[((size_t)(g * KG + kk)) * CRS + t] : (T)0;
    }
}

__kernel void conv_im2col(__global const T* restrict xp, __global const T* restrict wp,
                          __global const int* restrict taps, __global const TBIAS* restrict bias,
                          __global const TIN* restrict res, __global TOUT* restrict y,
                          __global const int* restrict mult, __global const int* restrict shift,
                          int C, int HP, int WP, int K, int OH, int OW, int SH, int SW, int CG, int KG, int KBG,
                          int CRS, int has_bias, int has_res, int act, int y_zp, int r_zp, int r_mult, int r_shift,
                          int lo, int hi) {
    const int pb = get_global_id(0), gkb = get_global_id(1), n = get_global_id(2);
    const int P = OH * OW;
    if (pb * PB >= P) return;
    const int g = gkb / KBG, kb = gkb % KBG;
    int base[PB];
    pixel_bases(pb, P, OW, SH, SW, WP, base);
    __global const T* xin = xp + ((size_t)n * C + (size_t)g * CG) * HP * WP;
    __global const T* wk = wp + (size_t)gkb * CRS * KB;
    T8 acc[PB][KV];
#pragma unroll
    for (int p = 0; p < PB; ++p)
#pragma unroll
        for (int v = 0; v < KV; ++v) acc[p][v] = (T8)0;
    for (int t = 0; t < CRS; ++t) {
        const int off = taps[t];
        T8 wv[KV];
#pragma unroll
        for (int v = 0; v < KV; ++v) wv[v] = vload8(v, wk);
        wk += KB;
#pragma unroll
        for (int p = 0; p < PB; ++p) {
            T8 xv = (T8)(xin[base[p] + off]);
#pragma unroll
            for (int v = 0; v < KV; ++v) acc[p][v] = MAD(xv, wv[v], acc[p][v]);
        }
    }
    // the epilogue on the 8 output channels of a vector at once (the operations of epilogue(),
    // lane by lane: (acc + bias) + residual, then the activation); loads and stores run along
    // the pixels of each channel (consecutive addresses in NCHW)
    const int np = min(PB, P - pb * PB);
#pragma unroll
    for (int v = 0; v < KV; ++v) {
        const int kk0 = kb * KB + v * 8;
        if (kk0 >= KG) break;
        const int nl = min(8, KG - kk0), ko0 = g * KG + kk0;
        const size_t base = ((size_t)n * K + ko0) * P + pb * PB;
        float b8[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
        if (has_bias)
            for (int l = 0; l < nl; ++l) b8[l] = bias[ko0 + l];
        const float8 bv = vload8(0, b8);
        float o[PB][8];
        if (has_res) {
            for (int l = 0; l < nl; ++l)
                for (int p = 0; p < np; ++p) o[p][l] = res[base + (size_t)l * P + p];
#pragma unroll
            for (int p = 0; p < PB; ++p) vstore8(conv_act(acc[p][v] + bv + vload8(0, o[p]), act), 0, o[p]);
        } else {
#pragma unroll
            for (int p = 0; p < PB; ++p) vstore8(conv_act(acc[p][v] + bv, act), 0, o[p]);
        }
        for (int l = 0; l < nl; ++l)
            for (int p = 0; p < np; ++p) y[base + (size_t)l * P + p] = o[p][l];
    }
}

// ---- pointwise: 1x1, stride 1, no padding, groups 1 -------------------------------------------
// Y_n[K][P] = W[K][C] X_n[C][P] is a GEMM whose B operand, X, needs no packing in NCHW: each input
// channel is a contiguous run of P pixels. conv_im2col puts output channels in the vector lanes,
// which for a 1x1 conv with few channels leaves a scalar, strided epilogue per pixel and channel
// as the main cost; here the lanes run along pixels (the BLIS micro-kernel with A = the packed
// weights): per input channel, PW_NV vector loads of X, PW_M broadcast weights, PW_M * PW_NV FMAs,
// and the epilogue (bias per channel, residual, activation) stores whole vectors.
// PW_VEC (lanes) comes from the launcher: the device's native float vector width; PW_M (output
// channels per work-item) too: conv2d.opencl.pw_m or pw_m_avx512 (backends/opencl/conv2d.py pw_m).
#ifndef PW_VEC
#define PW_VEC 8
#endif
#ifndef PW_M
#define PW_M 6
#endif
#ifndef PW_NV
#define PW_NV 2
#endif
#define PW_N (PW_NV * PW_VEC)  // (the int8 section above is compiled only under CONV_INT8)
#define PW_CAT_(a, b) a##b
#define PW_CAT(a, b) PW_CAT_(a, b)
#define floatp PW_CAT(float, PW_VEC)
#define vloadp PW_CAT(vload, PW_VEC)
#define vstorep PW_CAT(vstore, PW_VEC)

// global (C, ceil(K/PW_M)): weight (K, C) -> wp (KBLK, C, PW_M), zero rows past K
__kernel void conv_pw_pack(__global const float* restrict w, __global float* restrict wp, int C, int K) {
    const int c = get_global_id(0), kb = get_global_id(1);
    if (c >= C) return;
    __global float* dst = wp + ((size_t)kb * C + c) * PW_M;
#pragma unroll
    for (int r = 0; r < PW_M; ++r) {
        const int k = kb * PW_M + r;
        dst[r] = k < K ? w[(size_t)k * C + c] : 0.0f;
    }
}

// PW_XSCALE (graph pass fuse_se_scale): the input is x times xs (N, C), a per-(sample, channel)
// scale (the squeeze-and-excitation gate), multiplied as each value is loaded: the product the
// separate Mul launch computed (a plain float multiply, not contracted into the fma it feeds),
// so the same bits. XS_ARG appends the buffer to conv_pw's and conv_pwt's arguments.
#ifdef PW_XSCALE
#define XS_ARG , __global const float* restrict xs
#define XS_OF(n, c) xs[(size_t)(n) * C + (c)]
// conv_pw: the PW_NV pixel vectors of channel c times its scale
#define PW_SCALE_X(xv, n, c)                                      \
    do {                                                          \
        const float g_ = XS_OF(n, c);                             \
        for (int v_ = 0; v_ < PW_NV; ++v_) (xv)[v_] *= g_;        \
    } while (0)
#else
#define XS_ARG
#define PW_SCALE_X(xv, n, c) do {} while (0)
#endif

// One input channel of the PW_M x PW_N output block: acc[r][.] += W[r] * xv[.] (shared by the
// full-vector and the short-row paths of conv_pw; inlined, so acc stays in registers).
inline void pw_mac(floatp acc[PW_M][PW_NV], const floatp* xv, __global const float* W) {
#pragma unroll
    for (int r = 0; r < PW_M; ++r) {
        const floatp wv = (floatp)(W[r]);
#pragma unroll
        for (int v = 0; v < PW_NV; ++v) acc[r][v] = fma(wv, xv[v], acc[r][v]);
    }
}

// The epilogue of a PW_M x PW_N block (conv_pw, conv_rows): output channel kb*PW_M + r's PW_N
// computed pixels p0.. of a run of L pixels are y[row0 + r*KS ..] (bias, residual, activation).
// A block computed on a window overlapping the previous block (p0 < own0) or past L stores only
// its pixels [own0, L): vector by vector, whole vectors where they are all its own (the last
// block of a 112-pixel row: the second of its 16-lane vectors), lane by lane in the one vector
// that straddles own0 or L. (A scalar epilogue per pixel of such blocks cost the 224^2 stem's
// conv_rows half of its time.) always_inline: left to itself PoCL's compiler called it, with the
// accumulators through memory: conv_pw on MobileNetV2's 112^2 / 56^2 layers 1.06-1.12x slower.
inline __attribute__((always_inline)) void pw_store(floatp acc[PW_M][PW_NV], __global const float* restrict bias,
                     __global const float* restrict res, __global float* restrict y, size_t row0, size_t KS, int kb, int K, int p0, int own0, int L,
                     int has_bias, int has_res, int act) {
    if (p0 == own0 && p0 + PW_N <= L) {  // the whole block is this one's (most blocks): no checks
#pragma unroll
        for (int r = 0; r < PW_M; ++r) {
            const int k = kb * PW_M + r;
            if (k >= K) break;
            const float b = has_bias ? bias[k] : 0.0f;
            const size_t row = row0 + r * KS;
#pragma unroll
            for (int v = 0; v < PW_NV; ++v) {
                floatp o = acc[r][v] + b;
                if (has_res) o += vloadp(v, res + row);
                vstorep(conv_act(o, act), v, y + row);
            }
        }
        return;
    }
#pragma unroll
    for (int r = 0; r < PW_M; ++r) {
        const int k = kb * PW_M + r;
        if (k >= K) break;
        const float b = has_bias ? bias[k] : 0.0f;
#pragma unroll
        for (int v = 0; v < PW_NV; ++v) {
            const int q0 = p0 + v * PW_VEC;  // this vector's first pixel
            if (q0 + PW_VEC <= own0 || q0 >= L) continue;  // none of its pixels is this block's
            const size_t at = row0 + r * KS + v * PW_VEC;
            floatp o = acc[r][v] + b;
            if (q0 >= own0 && q0 + PW_VEC <= L) {
                if (has_res) o += vloadp(0, res + at);
                vstorep(conv_act(o, act), 0, y + at);
            } else {
                float t[PW_VEC];
                if (has_res) {
                    for (int l = 0; l < PW_VEC; ++l) t[l] = q0 + l >= own0 && q0 + l < L ? res[at + l] : 0.0f;
                    o += vloadp(0, t);
                }
                vstorep(conv_act(o, act), 0, t);
                for (int l = 0; l < PW_VEC; ++l)
                    if (q0 + l >= own0 && q0 + l < L) y[at + l] = t[l];
            }
        }
    }
}

// global (ceil(P/PW_N), ceil(K/PW_M), N), one work-item per work-group (as gemm_f32: PoCL runs a
// group as one function call; the parallelism is in the explicit vectors). The last pixel block
// of a row is computed on the window [P - PW_N, P) (when P >= PW_N) and stores only its own
// pixels, so every load is a full vector; P < PW_N takes the scalar-load path.
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void conv_pw(__global const float* restrict x, __global const float* restrict wp, __global const float* restrict bias,
             __global const float* restrict res, __global float* restrict y, int C, int K, int P, int has_bias,
             int has_res, int act XS_ARG) {
    const int jb = get_global_id(0), kb = get_global_id(1), n = get_global_id(2);
    const int own0 = jb * PW_N;                        // first pixel this item stores
    const int p0 = P >= PW_N ? min(own0, P - PW_N) : 0;  // first pixel of the computed window
    __global const float* X = x + (size_t)n * C * P + p0;
    __global const float* W = wp + (size_t)kb * C * PW_M;
    floatp acc[PW_M][PW_NV];
#pragma unroll
    for (int r = 0; r < PW_M; ++r)
#pragma unroll
        for (int v = 0; v < PW_NV; ++v) acc[r][v] = (floatp)(0.0f);
    if (P >= PW_N) {
        for (int c = 0; c < C; ++c) {
            floatp xv[PW_NV];
#pragma unroll
            for (int v = 0; v < PW_NV; ++v) xv[v] = vloadp(v, X);
            PW_SCALE_X(xv, n, c);
            pw_mac(acc, xv, W);
            X += P;
            W += PW_M;
        }
    } else {
        for (int c = 0; c < C; ++c) {
            float xr[PW_N];
            for (int l = 0; l < PW_N; ++l) xr[l] = l < P ? X[l] : 0.0f;
            floatp xv[PW_NV];
#pragma unroll
            for (int v = 0; v < PW_NV; ++v) xv[v] = vloadp(v, xr);
            PW_SCALE_X(xv, n, c);
            pw_mac(acc, xv, W);
            X += P;
            W += PW_M;
        }
    }
    pw_store(acc, bias, res, y, ((size_t)n * K + kb * PW_M) * P + p0, P, kb, K, p0, own0, P, has_bias, has_res, act);
}

// ---- pointwise, output channels in the lanes (conv_pwt): small images -------------------------
// conv_pw's lanes run along pixels, so a small image wastes lanes (7x7 = 49 pixels: 64 computed)
// and its few pixel blocks give little work per weight load. conv_pwt puts PT_KV vectors of
// PW_VEC output channels in the lanes and PT_P pixels as broadcast scalars (the launcher picks
// PT_P so that it divides P or nearly: 7 for 7x7 and 14x14): per input channel PT_KV weight
// vector loads, PT_P broadcasts and PT_P * PT_KV FMAs into registers. The epilogue adds the bias
// vector, the residual (gathered) and the activation lane-wise, then stores each channel's PT_P
// pixels (consecutive addresses in NCHW).
// PT_P, PT_KV: conv2d.opencl.pwt_p / pwt_kv (kernels/config/fpgaops.toml; the launcher sizes the grid
// with the same keys)
#ifndef CONV2D_OPENCL_PWT_P
#define CONV2D_OPENCL_PWT_P 7
#endif
#ifndef CONV2D_OPENCL_PWT_KV
#define CONV2D_OPENCL_PWT_KV 2
#endif
#define PT_P CONV2D_OPENCL_PWT_P
#define PT_KV CONV2D_OPENCL_PWT_KV
#define PT_KB (PT_KV * PW_VEC)

// global (C, ceil(K/PT_KB)): weight (K, C) -> wp (KBLK, C, PT_KB), zero past K
__kernel void conv_pwt_pack(__global const float* restrict w, __global float* restrict wp, int C, int K) {
    const int c = get_global_id(0), kb = get_global_id(1);
    if (c >= C) return;
    __global float* dst = wp + ((size_t)kb * C + c) * PT_KB;
    for (int l = 0; l < PT_KB; ++l) {
        const int k = kb * PT_KB + l;
        dst[l] = k < K ? w[(size_t)k * C + c] : 0.0f;
    }
}

// global (ceil(P/PT_P), ceil(K/PT_KB), N), one work-item per work-group; P >= PT_P. The last
// pixel block is computed on the window [P - PT_P, P) and stores only its own pixels.
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void conv_pwt(__global const float* restrict x, __global const float* restrict wp, __global const float* restrict bias,
              __global const float* restrict res, __global float* restrict y, int C, int K, int P, int has_bias,
              int has_res, int act XS_ARG) {
    const int pb = get_global_id(0), kb = get_global_id(1), n = get_global_id(2);
    const int own0 = pb * PT_P, p0 = min(own0, P - PT_P);
    __global const float* X = x + (size_t)n * C * P + p0;
    __global const float* W = wp + (size_t)kb * C * PT_KB;
    floatp acc[PT_P][PT_KV];
#pragma unroll
    for (int p = 0; p < PT_P; ++p)
#pragma unroll
        for (int v = 0; v < PT_KV; ++v) acc[p][v] = (floatp)(0.0f);
    for (int c = 0; c < C; ++c) {
        floatp wv[PT_KV];
#pragma unroll
        for (int v = 0; v < PT_KV; ++v) wv[v] = vloadp(v, W);
#ifdef PW_XSCALE
        const float g = XS_OF(n, c);
#endif
#pragma unroll
        for (int p = 0; p < PT_P; ++p) {
#ifdef PW_XSCALE
            const floatp xb = (floatp)(X[p] * g);
#else
            const floatp xb = (floatp)(X[p]);
#endif
#pragma unroll
            for (int v = 0; v < PT_KV; ++v) acc[p][v] = fma(xb, wv[v], acc[p][v]);
        }
        X += P;
        W += PT_KB;
    }
    const int skip = own0 - p0;  // leading pixels of the window owned by the previous block
#pragma unroll
    for (int v = 0; v < PT_KV; ++v) {
        const int k0 = kb * PT_KB + v * PW_VEC;
        if (k0 >= K) break;
        const int nl = min(PW_VEC, K - k0);
        const size_t base = ((size_t)n * K + k0) * P + p0;
        float t[PT_P][PW_VEC];
        floatp bv = (floatp)(0.0f);
        if (has_bias) {
            if (nl == PW_VEC) {
                bv = vloadp(0, bias + k0);
            } else {
                for (int l = 0; l < nl; ++l) t[0][l] = bias[k0 + l];
                for (int l = nl; l < PW_VEC; ++l) t[0][l] = 0.0f;
                bv = vloadp(0, t[0]);
            }
        }
        if (has_res) {  // (the window's pixels all exist; lanes past K read 0)
            for (int l = 0; l < PW_VEC; ++l)
                for (int p = 0; p < PT_P; ++p) t[p][l] = l < nl ? res[base + (size_t)l * P + p] : 0.0f;
#pragma unroll
            for (int p = 0; p < PT_P; ++p) vstorep(conv_act(acc[p][v] + bv + vloadp(0, t[p]), act), 0, t[p]);
        } else {
#pragma unroll
            for (int p = 0; p < PT_P; ++p) vstorep(conv_act(acc[p][v] + bv, act), 0, t[p]);
        }
        for (int l = 0; l < nl; ++l)
            for (int p = skip; p < PT_P; ++p) y[base + (size_t)l * P + p] = t[p][l];
    }
}

// P == 1 (a 1x1 image: the squeeze-and-excitation blocks' FCs at batch 1): conv_pw would compute
// PW_N pixels through its short-row path for one. Here one work-item per block of PW_M output
// channels runs conv_pw's channel loop on the one pixel -- per output channel the same fma
// sequence, so the same bits -- and the epilogue of conv_pw's partial path.
// global (ceil(K/PW_M), N)
__kernel void conv_pw1(__global const float* restrict x, __global const float* restrict wp,
                       __global const float* restrict bias, __global const float* restrict res,
                       __global float* restrict y, int C, int K, int has_bias, int has_res, int act) {
    const int kb = get_global_id(0), n = get_global_id(1);
    if (kb * PW_M >= K) return;
    __global const float* X = x + (size_t)n * C;
    __global const float* W = wp + (size_t)kb * C * PW_M;
    float acc[PW_M];
#pragma unroll
    for (int r = 0; r < PW_M; ++r) acc[r] = 0.0f;
    for (int c = 0; c < C; ++c) {
        const float xc = X[c];
#pragma unroll
        for (int r = 0; r < PW_M; ++r) acc[r] = fma(W[r], xc, acc[r]);
        W += PW_M;
    }
#pragma unroll
    for (int r = 0; r < PW_M; ++r) {
        const int k = kb * PW_M + r;
        if (k >= K) break;
        const size_t at = (size_t)n * K + k;
        y[at] = epilogue(acc[r] + (has_bias ? bias[k] : 0.0f), 0.0f, res, at, has_res, act, 0, 1, 0, 0, 0, 0, 0, 0);
    }
}

// ---- direct conv, pixels of an output row in the lanes (conv_rows): few input channels ----------
// conv_im2col puts output channels in the lanes: a 3-channel stem's 16..32 output channels fill
// one or two vectors per pixel, its input loads are per-pixel gathers and its epilogue stores
// each channel's pixels one by one. conv_rows is conv_pw over the C*R*S taps of the conv, on the
// padded input of conv_pad: per tap (its offset from the tap table) PW_NV vectors of PW_VEC
// consecutive output columns' inputs (stride CONV_ROWS_SW: 1, or 2 as two vector loads and their
// even lanes), PW_M broadcast weights (conv_pw_pack's layout of the (K, C*R*S) weight matrix),
// PW_M * PW_NV FMAs (pw_mac), then conv_pw's epilogue (pw_store) on whole vectors of an output row.
// PW_M and PW_NV come from the launcher's rows_blocking (conv2d.opencl.rows_m*, rows_nv), not
// conv_pw's (a program of its own).
#ifndef CONV_ROWS_SW
#define CONV_ROWS_SW 1
#endif
inline floatp rows_load(__global const float* p) {
#if CONV_ROWS_SW == 1
    return vloadp(0, p);
#elif CONV_ROWS_SW == 2  // (reads one float past the last column: the launcher's xp has room)
    const floatp a = vloadp(0, p), b = vloadp(1, p);
    return (floatp)(a.even, b.even);
#else
#error "conv_rows: CONV_ROWS_SW must be 1 or 2"
#endif
}

// global (ceil(OW/PW_N), OH, ceil(K/PW_M) * N), one work-item per work-group; OW >= PW_N (the last
// block of a row is computed on the window [OW - PW_N, OW)). xp: (N, C, HP, WP) from conv_pad.
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void conv_rows(__global const float* restrict xp, __global const float* restrict wp, __global const int* restrict taps,
               __global const float* restrict bias, __global const float* restrict res, __global float* restrict y,
               int XN, int WP, int SH, int K, int OH, int OW, int CRS, int KBLK, int has_bias, int has_res, int act) {
    const int jb = get_global_id(0), oh = get_global_id(1), kb = get_global_id(2) % KBLK, n = get_global_id(2) / KBLK;
    const int own0 = jb * PW_N, p0 = min(own0, OW - PW_N);
    __global const float* X = xp + (size_t)n * XN + (size_t)oh * SH * WP + p0 * CONV_ROWS_SW;
    __global const float* W = wp + (size_t)kb * CRS * PW_M;
    floatp acc[PW_M][PW_NV];
#pragma unroll
    for (int r = 0; r < PW_M; ++r)
#pragma unroll
        for (int v = 0; v < PW_NV; ++v) acc[r][v] = (floatp)(0.0f);
    for (int t = 0; t < CRS; ++t) {
        __global const float* xt = X + taps[t];
        floatp xv[PW_NV];
#pragma unroll
        for (int v = 0; v < PW_NV; ++v) xv[v] = rows_load(xt + v * PW_VEC * CONV_ROWS_SW);
        pw_mac(acc, xv, W);
        W += PW_M;
    }
    const size_t plane = (size_t)OH * OW;
    pw_store(acc, bias, res, y, ((size_t)n * K + kb * PW_M) * plane + (size_t)oh * OW + p0, plane, kb, K, p0, own0, OW,
             has_bias, has_res, act);
}
#endif  // CONV_INT8
