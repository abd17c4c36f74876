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
    /* sigmoid = 1 / (1 + exp(-x)) with the device's exp (not native_exp: <= 3 ulp). No overflow */ \
    /* trouble: exp(-x) = inf below x = -88.7 gives 1 / inf = 0 (the float32 value there) and  */ \
    /* NaN stays NaN. The conv epilogue's sigmoid / silu only: the act kernels keep the tables  */ \
    /* (docs/act_lut.md).                                                                        */ \
    inline T __attribute__((overloadable)) act_sigmoid(T x) { return 1.0f / (1.0f + exp(-x)); }     \
    /* silu = x / (1 + exp(-x)) (one division), and 0 at x = -inf (-inf / inf = NaN there; the   */ \
    /* limit, as fpgaops.reference.act_lut.exact)                                                */ \
    inline T __attribute__((overloadable)) act_silu(T x) {                                          \
        return select(x / (1.0f + exp(-x)), (T)(0.0f), x == (T)(-INFINITY));                        \
    }

FPGAOPS_ACT_CLOSED(float)
FPGAOPS_ACT_CLOSED(float2)
FPGAOPS_ACT_CLOSED(float4)
FPGAOPS_ACT_CLOSED(float8)
FPGAOPS_ACT_CLOSED(float16)
#undef FPGAOPS_ACT_CLOSED

#endif  // FPGAOPS_ACT_CLOSED_H
