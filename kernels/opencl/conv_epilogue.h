// The convolution epilogue shared by conv2d.cl, winograd.cl and dwconv.cl: bias, residual,
// activation, and for int8 the one requantization rule of fpgaops.quant. Included by those files
// after they define T (accumulator), TBIAS, TIN, TOUT and, for int8, CONV_INT8.
// (fpgaops' OpenCL backend inlines #include "..." of this folder before building.)
#ifndef FPGAOPS_CONV_EPILOGUE_H
#define FPGAOPS_CONV_EPILOGUE_H

// Activation codes (backends/opencl/conv_common.py ACT): 0 none, 1 relu, 2 relu6, 3 hardsigmoid,
// 4 hardswish (3 and 4: the closed forms of act_closed.h, the same code as the activation kernels),
// 5 sigmoid, 6 silu (act_closed.h's exp forms: the exact functions within a few ulp, where the
// unfused act kernels use the tables -- more accurate, and one launch instead of two or three).
// float32 only: int8 activations are the clamp range [lo, hi] (quant.act_range).
#include "act_closed.h"

#ifndef CONV_INT8
#define FPGAOPS_CONV_ACT(T)                                                               \
    inline T __attribute__((overloadable)) conv_act(T v, int act) {                       \
        if (act == 1) return fmax(v, (T)(0.0f));                                          \
        if (act == 2) return fmin(fmax(v, (T)(0.0f)), (T)(6.0f));                         \
        if (act == 3) return act_hardsigmoid(v);                                          \
        if (act == 4) return act_hardswish(v);                                            \
        if (act == 5) return act_sigmoid(v);                                              \
        if (act == 6) return act_silu(v);                                                 \
        return v;                                                                         \
    }
FPGAOPS_CONV_ACT(float)
FPGAOPS_CONV_ACT(float4)
FPGAOPS_CONV_ACT(float8)
FPGAOPS_CONV_ACT(float16)
#undef FPGAOPS_CONV_ACT
#endif

inline TOUT epilogue(T acc, TBIAS b, __global const TIN* res, size_t idx, int has_res, int act,
                     int mult, int shift, int y_zp, int r_zp, int r_mult, int r_shift, int lo, int hi) {
#ifdef CONV_INT8
    int a = as_int(as_uint(acc) + as_uint(b));     // int32 wrap, as the reference
    // fpgaops.quant.requantize: (a * m + (s > 0 ? 2^(s-1) : 0)) >> s, 64-bit, arithmetic shift
    long v = (((long)a * mult + (shift > 0 ? 1L << (shift - 1) : 0L)) >> shift) + y_zp;
    if (has_res)
        v += ((long)((int)res[idx] - r_zp) * r_mult + (r_shift > 0 ? 1L << (r_shift - 1) : 0L)) >> r_shift;
    return (char)clamp(v, (long)lo, (long)hi);
#else
    float v = acc + b;
    if (has_res) v += res[idx];
    return conv_act(v, act);
#endif
}

#endif  // FPGAOPS_CONV_EPILOGUE_H
