// pwdw_row: an inverted-residual block's expansion 1x1 conv and the depthwise conv reading it, in
// one launch (float32; graph pass fuse_pwdw, python/fpgaops/graph/pwdw.py, launcher
// backends/opencl/pwdw.py). The expanded tensor never goes to memory: a work-item computes PD_EM
// expanded channels x a strip of PD_RB output rows, DW_RB rows at a time (dwconv_row's register
// blocking): first the expanded rows those DW_RB output rows need that it has not computed yet,
// into a private ring of DW_NT rows (stack: L1; the rows above are still in it), then
// dwconv_row's depthwise of each channel on the ring. Only rows shared by two strips are computed
// twice ((DW_R - DW_SH) rows per strip: tall strips waste little).
//
// Bit-identical to the two unfused launches (conv_pw / conv_pwt / conv_pw1, then dwconv_row /
// dwconv_strip / dwconv):
//   pointwise  acc = fma(w[e][c], x[c], acc) over input channels c ascending from +0, then
//              acc + bias (0.0f without bias) and conv_act -- conv_pw's pw_mac and pw_store.
//   depthwise  dwconv_row's code on those rows: acc from +0, fma over filter rows then columns
//              ascending (zero taps outside the row included, rows outside the image skipped),
//              acc + bias (0.0f without) and conv_act; no residual (the pass requires none).
// Geometry (launcher): DW_R, DW_S, DW_SH, DW_SW (3x3 / 5x5, stride 1 / 2), DW_VW lanes, DW_NV
// output vectors per row (dwconv.py row_shape's rule), PD_RB output rows per work-item computed
// DW_RB at a time, PD_EM expanded channels per work-item, PD_UC pointwise vectors per register
// block, PD_NW = ceil(W / DW_VW) vectors of an input row.
typedef float TIN;
typedef float T;
typedef float TOUT;
typedef float TBIAS;
#include "conv_epilogue.h"
#include "dw_row.h"

#define DW_NT ((DW_RB - 1) * DW_SH + DW_R)  // expanded rows per DW_RB output rows
#define PD_NI (DW_NV * DW_SW)                // vectors per expanded row (dwconv_row's row loads)

// global (ceil(OH/PD_RB), ceil(E/PD_EM), N), one work-item per group (as dwconv_row). x (N, C, H, W),
// w1 (E, C), b1 (E), w2 (E, R*S), b2 (E) -> y (N, E, OH, OW). PT: the depthwise's top padding (its
// left padding is (S - 1) / 2, DW_PL).
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void pwdw_row(__global const float* restrict x, __global const float* restrict w1, __global const float* restrict b1,
              __global const float* restrict w2, __global const float* restrict b2, __global float* restrict y,
              int C, int H, int W, int E, int OH, int OW, int PT, int has_b1, int act1, int has_b2, int act2) {
    const int os0 = get_global_id(0) * PD_RB, e0 = get_global_id(1) * PD_EM, n = get_global_id(2);
    if (os0 >= OH || e0 >= E) return;
    const int hs0 = os0 * DW_SH - PT;  // first input row of the strip
    const size_t HW = (size_t)H * W;
    __global const float* xn = x + (size_t)n * C * HW;
    DWV ex[PD_EM][DW_NT][PD_NI];  // the ring: expanded row hi_ in slot (hi_ - hs0) % DW_NT
    int next = max(hs0, 0);        // the first expanded row not computed yet
    for (int oh0 = os0; oh0 < min(os0 + PD_RB, OH); oh0 += DW_RB) {
        const int h0 = oh0 * DW_SH - PT;  // the first input row of these DW_RB output rows
        // ---- the pointwise conv of the new rows: PD_EM channels x PD_UC vectors per register block
        for (; next < min(h0 + DW_NT, H); ++next) {
            const int slot = (next - hs0) % DW_NT;
            // the row's vectors inside the image only (PD_NW of the PD_NI: the depthwise zeroes the others)
#pragma unroll
            for (int u0 = 0; u0 < PD_NW; u0 += PD_UC) {
                DWV acc[PD_EM][PD_UC];
#pragma unroll
                for (int r = 0; r < PD_EM; ++r)
#pragma unroll
                    for (int q = 0; q < PD_UC; ++q) acc[r][q] = (DWV)(0.0f);
                __global const float* xr = xn + (size_t)next * W;
                for (int c = 0; c < C; ++c) {
                    // a vector starting inside the row reads at most DW_VW - 1 floats past it (the next
                    // row or the buffer's 64-byte guard); one starting past it is never used (zeroed)
                    DWV xv[PD_UC];
#pragma unroll
                    for (int q = 0; q < PD_UC; ++q) xv[q] = u0 + q < PD_NW ? DW_VLOAD(u0 + q, xr) : (DWV)(0.0f);
#pragma unroll
                    for (int r = 0; r < PD_EM; ++r) {
                        // channels past E compute channel E - 1 again (never stored)
                        const DWV wv = (DWV)(w1[(size_t)min(e0 + r, E - 1) * C + c]);
#pragma unroll
                        for (int q = 0; q < PD_UC; ++q)
                            if (u0 + q < PD_NW) acc[r][q] = fma(wv, xv[q], acc[r][q]);
                    }
                    xr += HW;
                }
#pragma unroll
                for (int r = 0; r < PD_EM; ++r) {
                    const float b = has_b1 ? b1[min(e0 + r, E - 1)] : 0.0f;
#pragma unroll
                    for (int q = 0; q < PD_UC; ++q)
                        if (u0 + q < PD_NW) ex[r][slot][u0 + q] = conv_act(acc[r][q] + b, act1);
                }
            }
        }
        // ---- the depthwise conv of each channel on the ring: dwconv_row's loop body, the row loads
        // replaced by the ring's vectors
        for (int r = 0; r < min(PD_EM, E - e0); ++r) {
            const int k = e0 + r;
            __global const float* wk = w2 + (size_t)k * DW_R * DW_S;
            DWV acc[DW_RB][DW_NV];
#pragma unroll
            for (int v = 0; v < DW_RB; ++v)
#pragma unroll
                for (int u = 0; u < DW_NV; ++u) acc[v][u] = (DWV)(0.0f);
#pragma unroll
            for (int t = 0; t < DW_NT; ++t) {
                const int hi_ = h0 + t;
                if (hi_ < 0 || hi_ >= H) continue;  // zero padding (rows past the strip's last output too)
                const DWV* row = ex[r][(h0 + t - hs0) % DW_NT];
#define DW_LOAD_RING(u) row[u]
                DW_ROW_ACCUMULATE(DW_LOAD_RING);
#undef DW_LOAD_RING
            }
            const float b = has_b2 ? b2[k] : 0.0f;
            // dwconv_row's stores: whole vectors where the spill past the row lands on rows of this
            // strip (stored next by this work-item), else the row's valid lanes
            const int spill_rows = (DW_NV * DW_VW - 1) / OW;
#pragma unroll
            for (int v = 0; v < DW_RB; ++v) {
#pragma unroll
                for (int u = 0; u < DW_NV; ++u) {
                    const int o0 = u * DW_VW;
                    if (oh0 + v >= OH || o0 >= OW) continue;
                    const size_t base = (((size_t)n * E + k) * OH + oh0 + v) * OW + o0;
                    const DWV a = conv_act(acc[v][u] + (DWV)(b), act2);
                    if (oh0 + v + spill_rows < min(oh0 + DW_RB, OH))
                        DW_VSTORE(a, 0, y + base);
                    else
                        dw_store_n(a, y + base, min(DW_VW, OW - o0));
                }
            }
        }
    }
}
