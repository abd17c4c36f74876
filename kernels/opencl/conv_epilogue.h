// The convolution epilogue shared by conv2d.cl, winograd.cl and dwconv.cl: bias, residual,
// activation, and for int8 the one requantization rule of fpgaops.quant. Included by those files
// after they define T (accumulator), TBIAS, TIN, TOUT and, for int8, CONV_INT8.
// (fpgaops' OpenCL backend inlines #include "..." of this folder before building.)
#ifndef FPGAOPS_CONV_EPILOGUE_H
#define FPGAOPS_CONV_EPILOGUE_H

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
    if (act == 1) v = fmax(v, 0.0f);
    else if (act == 2) v = fmin(fmax(v, 0.0f), 6.0f);
    return v;
#endif
}

#endif  // FPGAOPS_CONV_EPILOGUE_H
