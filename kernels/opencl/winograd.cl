// conv2d "winograd" algorithm: F(m x m, 3 x 3), stride 1, dilation 1, groups 1.
// Semantics: ConvCall in python/fpgaops/ops/conv2d.py.
//
// The transform matrices are NOT written here: python/fpgaops/reference/winograd.py generates
// WINO_M, WINO_A (= m + 2) and the 1-D transform macros WINO_BT, WINO_G, WINO_AT as -D flags.
// T(o, i) expands to "o(0)=(expr of i(0..));o(1)=...": the kernels apply it along columns and
// rows by defining the accessor macros O and I.
//
// Four launches (A2 = WINO_A^2, T = N * tiles_y * tiles_x, Kp/Tp rounded up to the blocking):
//   wino_filter  U[A2][Kp/KB][Cp][KB] = G g G^T  per (8 output channels, c); zero for k >= K, c >= C
//                (cached per device weight tensor by the launcher)
//   wino_input   V[A2][Tp][Cp] = B^T d B          per (tile, 8 channels); d = x - zp, 0 outside the image
//   wino_gemm    M[A2][Tp][Kp] = sum_c V U        A2 independent GEMMs; each work-item holds
//                KB = 8*KV output channels x TB tiles in registers (vector over k, tiles broadcast)
//                and streams one contiguous U panel
//   wino_output  y = epilogue(A^T M A)            per (8 output channels, tile), vector over k
// CONV_INT8: everything in int32 with two's-complement wrap; G is the integer 2G, so A^T M A is
// 4*acc exactly and the arithmetic shift by WINO_INT_SHIFT (= 2) is an exact division.
// The GEMM blocking arrives from the launcher (winograd.py: winograd.opencl.tb, and kv or
// kv_avx512 by the device's ISA), so launcher and kernel cannot disagree.
#define TB WINO_TB
#define KV WINO_KV
#define KB (8 * KV)
#define M_ WINO_M
#define A_ WINO_A
#define A2 (WINO_A * WINO_A)

#ifdef CONV_INT8
typedef char TIN;
typedef int T;
typedef int8 T8;
typedef uint8 TA8;          // the output transform's partial sums may wrap: unsigned arithmetic
#define TO_TA8(v) as_uint8(v)
#define FROM_TA8(v) as_int8(v)
typedef char TOUT;
typedef int TBIAS;
#define MAD(a, b, c) ((a) * (b) + (c))
#else
typedef float TIN;
typedef float T;
typedef float8 T8;
typedef float8 TA8;
#define TO_TA8(v) (v)
#define FROM_TA8(v) (v)
typedef float TOUT;
typedef float TBIAS;
// fma, not mad: PoCL lowers mad() to vmulps + vaddps (no contraction), half the FMA rate
#define MAD(a, b, c) fma(a, b, c)
#endif

__kernel void wino_filter(__global const TIN* restrict w, __global T* restrict u, int C, int CP, int K, int KP) {
    // one work-item: 8 consecutive output channels x one input channel, as vectors over k, so
    // the transform is vector arithmetic and each of the A2 results is one 8-wide store.
    int k8 = get_global_id(0), c = get_global_id(1);
    if (k8 * 8 >= KP || c >= CP) return;
    T8 g[3][3], t[A_][3], r[A_][A_];
#pragma unroll
    for (int i = 0; i < 9; ++i) {
        T tmp[8];
        for (int l = 0; l < 8; ++l) {
            int k = k8 * 8 + l;
            tmp[l] = (k < K && c < C) ? (T)w[((size_t)k * C + c) * 9 + i] : (T)0;
        }
        g[i / 3][i % 3] = vload8(0, tmp);
    }
#pragma unroll
    for (int j = 0; j < 3; ++j) {
#define I(q) g[q][j]
#define O(p) t[p][j]
        WINO_G(O, I);
#undef I
#undef O
    }
#pragma unroll
    for (int p = 0; p < A_; ++p) {
#define I(q) t[p][q]
#define O(q) r[p][q]
        WINO_G(O, I);
#undef I
#undef O
    }
    // U[xi][k / KB][c][k % KB]: each GEMM work-item streams one contiguous (CP x KB) panel
    const int kb = k8 / KV, lane = (k8 % KV) * 8, KBN = KP / KB;
#pragma unroll
    for (int i = 0; i < A2; ++i) vstore8(r[i / A_][i % A_], 0, u + (((size_t)i * KBN + kb) * CP + c) * KB + lane);
}

__kernel void wino_input(__global const TIN* restrict x, __global T* restrict v, int C, int CP, int H, int W,
                         int TH, int TW, int T_, int TP, int pad_top, int pad_left, int x_zero_point) {
    // one work-item: one tile x 8 consecutive channels (vectors over channels), so the bounds
    // check of a tap is shared by 8 loads and V[xi][t][c..c+7] is one vector store.
    int t = get_global_id(0), c8 = get_global_id(1);
    if (t >= TP || c8 * 8 >= CP) return;
    T8 d[A_][A_], s[A_][A_], r[A_][A_];
    int n = t / (TH * TW), rem = t - n * TH * TW;
    int ty = rem / TW, tx = rem - ty * TW;
    int h0 = ty * M_ - pad_top, w0 = tx * M_ - pad_left;
    const size_t HW = (size_t)H * W;
    __global const TIN* xc = x + ((size_t)n * C + c8 * 8) * HW;
    int nch = min(8, C - c8 * 8);
    const bool full = nch == 8 && t < T_;
#pragma unroll
    for (int i = 0; i < A_; ++i)
#pragma unroll
        for (int j = 0; j < A_; ++j) {
            int hi = h0 + i, wi = w0 + j;
            T8 val = (T8)0;
            if (t < T_ && hi >= 0 && hi < H && wi >= 0 && wi < W) {
                __global const TIN* px = xc + hi * W + wi;
                if (full) {
                    val = (T8)((T)px[0], (T)px[HW], (T)px[2 * HW], (T)px[3 * HW], (T)px[4 * HW], (T)px[5 * HW],
                               (T)px[6 * HW], (T)px[7 * HW]) - (T8)((T)x_zero_point);
                } else {
                    T tmp[8];
                    for (int l = 0; l < 8; ++l) tmp[l] = l < nch ? (T)px[l * HW] - (T)x_zero_point : (T)0;
                    val = vload8(0, tmp);
                }
            }
            d[i][j] = val;
        }
#pragma unroll
    for (int j = 0; j < A_; ++j) {
#define I(q) d[q][j]
#define O(p) s[p][j]
        WINO_BT(O, I);
#undef I
#undef O
    }
#pragma unroll
    for (int p = 0; p < A_; ++p) {
#define I(q) s[p][q]
#define O(q) r[p][q]
        WINO_BT(O, I);
#undef I
#undef O
    }
#pragma unroll
    for (int i = 0; i < A2; ++i) vstore8(r[i / A_][i % A_], 0, v + ((size_t)i * TP + t) * CP + c8 * 8);
}

// The GEMM's vectors: 16 lanes (one zmm) where the device compiles for AVX-512 and KB allows it,
// else 8 (two per zmm would halve the work per instruction; on AVX2 8 is the register width).
#if defined(FPGAOPS_AVX512) && (KV % 2 == 0)
#define GV 16
#define GVN (KV / 2)
#define GLOAD vload16
#define GSTORE vstore16
#ifdef CONV_INT8
typedef int16 TG;
#else
typedef float16 TG;
#endif
#else
#define GV 8
#define GVN KV
#define GLOAD vload8
#define GSTORE vstore8
typedef T8 TG;
#endif

__kernel void wino_gemm(__global const T* restrict u, __global const T* restrict v, __global T* restrict mo,
                        int C, int KP, int TP) {
    // C here is CP (channels rounded up to 8; the padding channels are zero in U and V)
    const int tb = get_global_id(0), kb = get_global_id(1), xi = get_global_id(2);
    if (tb * TB >= TP) return;
    __global const T* uk = u + ((size_t)xi * (KP / KB) + kb) * C * KB;
    __global const T* vt = v + ((size_t)xi * TP + tb * TB) * C;
    TG acc[TB][GVN];
#pragma unroll
    for (int p = 0; p < TB; ++p)
#pragma unroll
        for (int q = 0; q < GVN; ++q) acc[p][q] = (TG)0;
    for (int c = 0; c < C; ++c) {
        TG wv[GVN];
#pragma unroll
        for (int q = 0; q < GVN; ++q) wv[q] = GLOAD(q, uk);
#pragma unroll
        for (int p = 0; p < TB; ++p) {
            TG xv = (TG)(vt[p * C]);
#pragma unroll
            for (int q = 0; q < GVN; ++q) acc[p][q] = MAD(xv, wv[q], acc[p][q]);
        }
        uk += KB;
        vt += 1;
    }
    __global T* out = mo + ((size_t)xi * TP + tb * TB) * KP + kb * KB;
#pragma unroll
    for (int p = 0; p < TB; ++p)
#pragma unroll
        for (int q = 0; q < GVN; ++q) GSTORE(acc[p][q], q, out + (size_t)p * KP);
}

#include "conv_epilogue.h"

__kernel void wino_output(__global const T* restrict mo, __global const TBIAS* restrict bias,
                          __global const TIN* restrict res, __global TOUT* restrict y,
                          __global const int* restrict mult, __global const int* restrict shift,
                          int K, int KP, int TP, int T_, int TH, int TW, int OH, int OW,
                          int has_bias, int has_res, int act, int y_zp, int r_zp, int r_mult, int r_shift,
                          int lo, int hi) {
    const int t = get_global_id(0), k8 = get_global_id(1);
    if (t >= T_ || k8 * 8 >= K) return;
    TA8 mm[A_][A_], s[M_][A_], r[M_][M_];
#pragma unroll
    for (int i = 0; i < A2; ++i) mm[i / A_][i % A_] = TO_TA8(vload8(0, mo + ((size_t)i * TP + t) * KP + k8 * 8));
#pragma unroll
    for (int j = 0; j < A_; ++j) {
#define I(q) mm[q][j]
#define O(p) s[p][j]
        WINO_AT(O, I);
#undef I
#undef O
    }
#pragma unroll
    for (int p = 0; p < M_; ++p) {
#define I(q) s[p][q]
#define O(q) r[p][q]
        WINO_AT(O, I);
#undef I
#undef O
    }
    int n = t / (TH * TW), rem = t - n * TH * TW;
    int ty = rem / TW, tx = rem - ty * TW;
    const size_t P = (size_t)OH * OW;
    const int k0 = k8 * 8, nk = min(8, K - k0);
    const size_t base = ((size_t)n * K + k0) * P;
    TBIAS bl[8];
    int mu[8], sh[8];
    for (int l = 0; l < 8; ++l) {
        bl[l] = (has_bias && l < nk) ? bias[k0 + l] : (TBIAS)0;
        mu[l] = 0;
        sh[l] = 1;
#ifdef CONV_INT8
        if (l < nk) {
            mu[l] = mult[k0 + l];
            sh[l] = shift[k0 + l];
        }
#endif
    }
#pragma unroll
    for (int p = 0; p < M_; ++p) {
        int oh = ty * M_ + p;
#pragma unroll
        for (int q = 0; q < M_; ++q) {
            int ow = tx * M_ + q;
            if (oh < OH && ow < OW) {
                const size_t o = base + (size_t)oh * OW + ow;
                T vals[8];
#ifdef CONV_INT8
                vstore8(FROM_TA8(r[p][q]) >> WINO_INT_SHIFT, 0, vals);      // exact: A^T M A is 4 * acc
                for (int l = 0; l < nk; ++l)
                    y[o + l * P] = epilogue(vals[l], bl[l], res, o + l * P, has_res, act, mu[l], sh[l], y_zp, r_zp,
                                            r_mult, r_shift, lo, hi);
#else
                float8 a = r[p][q] + vload8(0, bl);
                if (has_res) {
                    float rv[8];
                    for (int l = 0; l < 8; ++l) rv[l] = l < nk ? res[o + l * P] : 0.0f;
                    a += vload8(0, rv);
                }
                vstore8(conv_act(a, act), 0, vals);
                for (int l = 0; l < nk; ++l) y[o + l * P] = vals[l];
#endif
            }
        }
    }
}
