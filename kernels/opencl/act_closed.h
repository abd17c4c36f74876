// The closed-form float activations of fpgaops.reference.act_lut (docs/act_lut.md), in PyTorch's
// order of operations, for float and floatN: the one definition used by the activation and
// element-wise kernels (act_lut.h) and by the conv epilogues (conv_epilogue.h), so a fused
// conv + hardswish computes bit for bit what conv then hardswish computes. Comparisons with
// select() keep NaN (a comparison with NaN is false). No multiply-add here can be contracted.
#ifndef FPGAOPS_ACT_CLOSED_H
#define FPGAOPS_ACT_CLOSED_H

#define FPGAOPS_ACT_CLOSED(T)                                                                       \
    inline T __attribute__((overloadable)) act_clamp06(T t) {                                       \
        t = select(t, (T)(0.0f), t < (T)(0.0f));                                                    \
        return select(t, (T)(6.0f), t > (T)(6.0f));                                                 \
    }                                                                                               \
    /* hardsigmoid: clamp(x + 3, 0, 6) / 6 */                                                       \
    inline T __attribute__((overloadable)) act_hardsigmoid(T x) { return act_clamp06(x + 3.0f) / 6.0f; } \
    /* hardswish: (x * clamp(x + 3, 0, 6)) / 6, and 0 where the clamp is 0 (also at x = -inf) */    \
    inline T __attribute__((overloadable)) act_hardswish(T x) {                                     \
        const T t = act_clamp06(x + 3.0f);                                                          \
        return select((x * t) / 6.0f, (T)(0.0f), t == (T)(0.0f));                                   \
    }                                                                                               \
    /* sigmoid with the device's exp (not native_exp: <= 3 ulp), overflow-free: e = exp(-|x|) in */ \
    /* (0, 1], 1/(1+e) for x >= 0, e/(1+e) below; NaN stays NaN (x >= 0 is false). The conv     */ \
    /* epilogue's sigmoid/silu only -- the act kernels keep the tables (docs/act_lut.md).        */ \
    inline T __attribute__((overloadable)) act_sigmoid(T x) {                                       \
        const T e = exp(-fabs(x));                                                                  \
        const T s = 1.0f / (1.0f + e);                                                              \
        return select(e * s, s, x >= (T)(0.0f));                                                    \
    }                                                                                               \
    /* silu: x * sigmoid(x), and 0 where sigmoid(x) underflows to 0 (x < -103: also -inf, the   */ \
    /* limit, as fpgaops.reference.act_lut.exact; the true value is below float32's range)      */ \
    inline T __attribute__((overloadable)) act_silu(T x) {                                          \
        const T sg = act_sigmoid(x);                                                                \
        return select(x * sg, (T)(0.0f), sg == (T)(0.0f));                                          \
    }
FPGAOPS_ACT_CLOSED(float)
FPGAOPS_ACT_CLOSED(float2)
FPGAOPS_ACT_CLOSED(float4)
FPGAOPS_ACT_CLOSED(float8)
FPGAOPS_ACT_CLOSED(float16)
#undef FPGAOPS_ACT_CLOSED

#endif  // FPGAOPS_ACT_CLOSED_H
