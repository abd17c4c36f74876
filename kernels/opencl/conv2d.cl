// conv2d "im2col" algorithm for NDRange devices: an implicit GEMM (no im2col matrix is ever
// materialised). Semantics: ConvCall in python/fpgaops/ops/conv2d.py.
//
//   conv_pad     x (N,C,H,W) -> xp (N,C,HP,WP) with the zero point subtracted (int8) and zeros in
//                the padding, so the main loop has no bounds checks.
//   conv_pack    weight (K,Cg,R,S) -> wp (G, KBG, Cg*R*S, KB): output channels innermost in
//                blocks of KB = 8*CONV2D_OPENCL_KV, zero-filled past Kg.
//   conv_im2col  each work-item computes KB output channels x CONV2D_OPENCL_PB output pixels:
//                per filter tap, KV vector loads of weights, PB scalar (broadcast) input loads,
//                PB*KV vector FMAs into registers (the GEMM micro-kernel, M = pixels,
//                N = output channels, K = Cg*R*S taps whose input offsets come from a table).
//
// CONV_INT8 selects int8 data with int32 accumulation (T = int); default float.
#ifndef CONV2D_OPENCL_PB
#define CONV2D_OPENCL_PB 6
#endif
#ifndef CONV2D_OPENCL_KV
#define CONV2D_OPENCL_KV 2
#endif
#define PB CONV2D_OPENCL_PB
#define KV CONV2D_OPENCL_KV
#define KB (8 * KV)

#ifdef CONV_INT8
typedef char TIN;
typedef int T;
typedef int8 T8;
typedef char TOUT;
typedef int TBIAS;
#define MAD(a, b, c) ((a) * (b) + (c))
#else
typedef float TIN;
typedef float T;
typedef float8 T8;
typedef float TOUT;
typedef float TBIAS;
#define MAD(a, b, c) mad(a, b, c)
#endif

__kernel void conv_pad(__global const TIN* restrict x, __global T* restrict xp, int C, int H, int W, int HP,
                       int WP, int pad_top, int pad_left, int x_zero_point) {
    int wq = get_global_id(0), hq = get_global_id(1), nc = get_global_id(2);
    if (wq >= WP || hq >= HP) return;
    int hi = hq - pad_top, wi = wq - pad_left;
    T v = 0;
    if (hi >= 0 && hi < H && wi >= 0 && wi < W) v = (T)x[((size_t)nc * H + hi) * W + wi] - (T)x_zero_point;
    xp[((size_t)nc * HP + hq) * WP + wq] = v;
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

#include "conv_epilogue.h"

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
#pragma unroll
    for (int p = 0; p < PB; ++p) {
        int pix = min(pb * PB + p, P - 1);
        int oh = pix / OW, ow = pix - oh * OW;
        base[p] = oh * SH * WP + ow * SW;
    }
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
#pragma unroll
    for (int v = 0; v < KV; ++v) {
        T tmp[PB][8];
#pragma unroll
        for (int p = 0; p < PB; ++p) vstore8(acc[p][v], 0, tmp[p]);
        for (int l = 0; l < 8; ++l) {
            int kk = kb * KB + v * 8 + l;
            if (kk >= KG) break;
            int ko = g * KG + kk;
            TBIAS b = has_bias ? bias[ko] : (TBIAS)0;
            int m = 0, s = 1;
#ifdef CONV_INT8
            m = mult[ko];
            s = shift[ko];
#endif
            for (int p = 0; p < PB; ++p) {
                int pix = pb * PB + p;
                if (pix >= P) break;
                size_t idx = ((size_t)n * K + ko) * P + pix;
                y[idx] = epilogue(tmp[p][l], b, res, idx, has_res, act, m, s, y_zp, r_zp, r_mult, r_shift, lo, hi);
            }
        }
    }
}
