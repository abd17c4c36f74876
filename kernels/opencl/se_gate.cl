// The squeeze-and-excitation gate in one launch (graph pass fuse_se, graph/passes.py):
//   s = global_avg_pool(x); h = tab1(act1(W1 s + b1)); y = tab2(act2(W2 h + b2))   per batch sample
// (act: the conv epilogue's closed forms; tab: an optional table activation after it, sigmoid or
// silu, act_lut.h's act_table: the evaluation act_f32 applies lane by lane; with mul, times its
// input, as the eltwise Mul of torch's exported SiLU x * sigmoid(x))
// y (N, C) is the per-channel scale the block then multiplies its input by (an eltwise Mul).
// Before this kernel the gate was three launches (pool_global_f32, conv_pw1, conv_pw1) plus the
// Mul; each ran a few microseconds of work behind ~20 us of launch overhead.
//
// Bit-identical to those three kernels: the pool repeats pool_global_f32's float8 partial sums
// and their tree, each FC output is conv_pw1's sequence fma(w, x, acc) over c ascending from 0,
// then (acc + bias) + 0.0f and the conv epilogue's activation (conv_epilogue.h), then the table
// of the separate act_f32 launch. The loop over outputs is vectorised: 16 consecutive outputs per
// float16 fma (the same fma per lane), from weights transposed and padded, w1t (C, RP) and
// w2t (R, CP), RP / CP multiples of 16, spread over the work-group's items.
// One work-group per sample (global (SE_WG, N)); the pooled and hidden vectors stay in local
// memory, SE_MAX floats (the launcher falls back to the unfused ops above that).
#pragma OPENCL FP_CONTRACT OFF
#define T float
#define TBIAS float
#define TIN float
#define TOUT float
#include "conv_epilogue.h"
#define VEC 8
#include "act_lut.h"

#ifndef SE_WG
#define SE_WG 1
#endif
#define SE_LANES 16  // outputs per item and vector (passes.SE_LANES pads the transposed weights' rows)
#ifndef SE_MAX
#define SE_MAX 4096
#endif

// mode 0: v; 1: table(v); 2: v * table(v)
inline float se_table(float v, int mode, __global const float* restrict tab) {
    if (mode == 0) return v;
    const float t = act_table(v, tab);
    return mode == 2 ? v * t : t;
}

__kernel __attribute__((reqd_work_group_size(SE_WG, 1, 1)))
void se_gate_f32(__global const float* restrict x, __global const float* restrict w1t,
                 __global const float* restrict b1, __global const float* restrict w2t,
                 __global const float* restrict b2, __global float* restrict y, int C, int R, int CP, int RP, int hw,
                 int has_b1, int has_b2, int act1, int act2, int tab1_mode, int tab2_mode,
                 __global const float* restrict tab1, __global const float* restrict tab2) {
    __local float s[SE_MAX];
    const int lid = get_local_id(0);
    const size_t n = get_global_id(1);
    for (int c = lid; c < C; c += SE_WG) {  // pool_global_f32, one plane
        __global const float* xp = x + (n * C + c) * (size_t)hw;
        float8 acc = (float8)(0.0f);
        int i = 0;
        for (; i + 8 <= hw; i += 8) acc += vload8(0, xp + i);
        float v = ((acc.s0 + acc.s1) + (acc.s2 + acc.s3)) + ((acc.s4 + acc.s5) + (acc.s6 + acc.s7));
        for (; i < hw; ++i) v += xp[i];
        s[c] = v / (float)hw;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int j0 = lid * SE_LANES; j0 < R; j0 += SE_WG * SE_LANES) {  // conv_pw1 of FC1, SE_LANES outputs
        float16 acc = (float16)(0.0f);
        for (int c = 0; c < C; ++c) acc = fma(vload16(0, w1t + (size_t)c * RP + j0), (float16)(s[c]), acc);
        float o[SE_LANES];
        vstore16(acc, 0, o);
        for (int l = 0; l < SE_LANES && j0 + l < R; ++l) {
            const float v = conv_act((o[l] + (has_b1 ? b1[j0 + l] : 0.0f)) + 0.0f, act1);
            s[C + j0 + l] = se_table(v, tab1_mode, tab1);
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int k0 = lid * SE_LANES; k0 < C; k0 += SE_WG * SE_LANES) {  // conv_pw1 of FC2
        float16 acc = (float16)(0.0f);
        for (int j = 0; j < R; ++j) acc = fma(vload16(0, w2t + (size_t)j * CP + k0), (float16)(s[C + j]), acc);
        float o[SE_LANES];
        vstore16(acc, 0, o);
        for (int l = 0; l < SE_LANES && k0 + l < C; ++l) {
            const float v = conv_act((o[l] + (has_b2 ? b2[k0 + l] : 0.0f)) + 0.0f, act2);
            y[n * C + k0 + l] = se_table(v, tab2_mode, tab2);
        }
    }
}
