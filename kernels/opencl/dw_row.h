// dwconv_row's row helpers (float32, fixed geometry: DW_S, DW_SW, DW_VW, DW_NV defined by the
// includer): the row vector types, the lane shifts that make a filter tap's vector from a row held
// in registers (DW_TAP) and the partial store dw_store_n. Shared by dwconv.cl's dwconv_row and
// pwdw.cl's fused pointwise + depthwise (the same taps in the same order: the same bits).
#ifndef FPGAOPS_DW_ROW_H
#define FPGAOPS_DW_ROW_H
#define DW_CAT_(a, b) a##b
#define DW_CAT(a, b) DW_CAT_(a, b)
#define DWV DW_CAT(float, DW_VW)
#define DWI DW_CAT(int, DW_VW)
#define DW_VLOAD DW_CAT(vload, DW_VW)
#define DW_VSTORE DW_CAT(vstore, DW_VW)
#define DW_PL ((DW_S - 1) / 2)
#if DW_VW == 8
#define DW_LANES(F, d) F(d, 0), F(d, 1), F(d, 2), F(d, 3), F(d, 4), F(d, 5), F(d, 6), F(d, 7)
#define DW_EVEN 0, 2, 4, 6, 8, 10, 12, 14
#define DW_ODD 1, 3, 5, 7, 9, 11, 13, 15
#define DW_LANE (int8)(0, 1, 2, 3, 4, 5, 6, 7)
#else
#define DW_LANES(F, d)                                                                                        \
    F(d, 0), F(d, 1), F(d, 2), F(d, 3), F(d, 4), F(d, 5), F(d, 6), F(d, 7), F(d, 8), F(d, 9), F(d, 10),      \
        F(d, 11), F(d, 12), F(d, 13), F(d, 14), F(d, 15)
#define DW_EVEN 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30
#define DW_ODD 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31
#define DW_LANE (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#endif
// lane i of the pair (a, b) shifted by o (0 <= o <= DW_VW): (a, b)[i + o] (the index clamped so
// that the branch not taken in DW_SHIFT is valid too)
#define DW_IX(o, i) ((i) + (o) < 2 * DW_VW ? ((i) + (o) >= 0 ? (i) + (o) : 0) : 2 * DW_VW - 1)
// vector u of a row held as v[1..DW_NV] (v[0] and v[DW_NV + 1] zero), shifted by d (|d| < DW_VW,
// a constant): lane i is the row's element u * DW_VW + i + d
#define DW_SHIFT(v, u, d)                                                                   \
    ((d) >= 0 ? __builtin_shufflevector(v[(u) + 1], v[(u) + 2], DW_LANES(DW_IX, (d)))      \
              : __builtin_shufflevector(v[(u)], v[(u) + 1], DW_LANES(DW_IX, DW_VW + (d))))
// tap j of vector u = input column (output column) * stride + j - DW_PL: stride 1 the row shifted
// by d = j - DW_PL; stride 2 (d = 2e or 2e + 1) its even / odd columns shifted by e
#if DW_SW == 1
#define DW_TAP(u, j) DW_SHIFT(r0, u, (j) - DW_PL)
#else
#define DW_TAP(u, j) \
    ((((j) - DW_PL) & 1) ? DW_SHIFT(r1, u, ((j) - DW_PL + 2) / 2 - 1) : DW_SHIFT(r0, u, ((j) - DW_PL + 2) / 2 - 1))
#endif

// One input row of a strip into the accumulators: the row's DW_NV vectors with zeros on either side
// (stride 2: its even columns in r0, its odd ones in r1), its taps, and the fmas of every output row
// v of the strip that reads it, in dwconv_row's order. LOAD(u) is the row's u-th vector (columns
// u * DW_VW ..; lanes past the row's W columns are zeroed here). Uses the includer's W, t (the row's
// index in the strip), acc[DW_RB][DW_NV] and wk (the channel's taps).
#if DW_SW == 1
#define DW_SPLIT_(u, ld) r0[(u) + 1] = (ld)
#else
#define DW_SPLIT_(u, ld)                                                                 \
    do {                                                                                  \
        if ((u) & 1) {                                                                    \
            r1[(u) / 2 + 1] = __builtin_shufflevector(r0[(u) / 2 + 1], (ld), DW_ODD);    \
            r0[(u) / 2 + 1] = __builtin_shufflevector(r0[(u) / 2 + 1], (ld), DW_EVEN);   \
        } else {                                                                          \
            r0[(u) / 2 + 1] = (ld);                                                       \
        }                                                                                 \
    } while (0)
#endif
#if DW_S == 5
#define DW_TAPS_(xv, u)                                                                          \
    (xv)[0] = DW_TAP(u, 0), (xv)[1] = DW_TAP(u, 1), (xv)[2] = DW_TAP(u, 2), (xv)[3] = DW_TAP(u, 3), \
    (xv)[4] = DW_TAP(u, 4)
#else
#define DW_TAPS_(xv, u) (xv)[0] = DW_TAP(u, 0), (xv)[1] = DW_TAP(u, 1), (xv)[2] = DW_TAP(u, 2)
#endif
#define DW_ROW_ACCUMULATE(LOAD)                                                                        \
    do {                                                                                                \
        DWV r0[DW_NV + 2], r1[DW_NV + 2];                                                               \
        r0[0] = r0[DW_NV + 1] = r1[0] = r1[DW_NV + 1] = (DWV)(0.0f);                                    \
        _Pragma("unroll") for (int u = 0; u < DW_NV * DW_SW; ++u) {                                     \
            const DWV ld = W > u * DW_VW ? select((DWV)(0.0f), LOAD(u), DW_LANE + (DWI)(u * DW_VW) < (DWI)(W)) \
                                         : (DWV)(0.0f);                                                 \
            DW_SPLIT_(u, ld);                                                                           \
        }                                                                                               \
        DWV xv[DW_NV][DW_S];                                                                            \
        _Pragma("unroll") for (int u = 0; u < DW_NV; ++u) DW_TAPS_(xv[u], u);                          \
        _Pragma("unroll") for (int v = 0; v < DW_RB; ++v) {                                             \
            const int i = t - v * DW_SH; /* the filter row of input row t in output row v */            \
            if (i >= 0 && i < DW_R) {                                                                   \
                _Pragma("unroll") for (int u = 0; u < DW_NV; ++u)                                       \
                    _Pragma("unroll") for (int j = 0; j < DW_S; ++j)                                    \
                        acc[v][u] = fma(xv[u][j], (DWV)(wk[i * DW_S + j]), acc[v][u]);                  \
            }                                                                                           \
        }                                                                                               \
    } while (0)

// the first n (1..DW_VW) lanes of a at p
inline void dw_store_n(DWV a, __global float* p, int n) {
    if (n == DW_VW) {
        DW_VSTORE(a, 0, p);
        return;
    }
#if DW_VW == 16
    float8 r8 = a.lo;
    if (n >= 8) {
        vstore8(a.lo, 0, p);
        r8 = a.hi;
        p += 8;
        n -= 8;
    }
#else
    float8 r8 = a;
#endif
    float4 r4 = r8.lo;
    if (n >= 4) {
        vstore4(r8.lo, 0, p);
        r4 = r8.hi;
        p += 4;
        n -= 4;
    }
    float2 r2 = r4.lo;
    if (n >= 2) {
        vstore2(r4.lo, 0, p);
        r2 = r4.hi;
        p += 2;
        n -= 2;
    }
    if (n) p[0] = r2.s0;
}

#endif  // FPGAOPS_DW_ROW_H
