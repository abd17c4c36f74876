// Helpers of the int8 convolution kernels (conv2d.cl, dwconv.cl; only under CONV_INT8, after
// conv_epilogue.h):
//   PAIR_DOT(a, b)   short16 x short16 -> int8: lane l = a[2l]*b[2l] + a[2l+1]*b[2l+1], exact
//                    (pair_dot.h; the int8 operands are widened to int16 first, |x - zp| <= 255,
//                    |w| <= 128).
//   pair_words       two int8 (vector) values -> the 32-bit words of their int16 pairs.
//   epilogue_i8x8    the int8 epilogue of conv_epilogue.h on 8 lanes at once.
#ifndef FPGAOPS_CONV_INT8_H
#define FPGAOPS_CONV_INT8_H
#ifdef CONV_INT8

#include "pair_dot.h"
#define PAIR_DOT(a, b) PAIR_DOT8(a, b)

// The 32-bit words of the int16 pairs (lo, hi), lane by lane (lo, hi in [-32768, 32767]): shifts
// and a blend. (Not shuffle/shuffle2: PoCL calls those out of line for char and short vectors.)
inline uint8 pair_words(int8 lo, int8 hi) { return (as_uint8(lo) & (uint8)(0xFFFFu)) | (as_uint8(hi) << 16); }

// The epilogue on 8 lanes (conv2d.cl: 8 output channels of one pixel; dwconv.cl: 8 output pixels
// of one channel). Lane l computes exactly what epilogue() of conv_epilogue.h computes for
// acc.s[l], b.s[l], m.s[l], s.s[l], res.s[l] -- the one rule of fpgaops.quant, 64-bit with an
// arithmetic shift -- as vector code: the scalar epilogue costs ~25 instructions per output, more
// than the whole convolution of a 1x1 or depthwise layer. In halves of 4 lanes: long4 is one
// AVX2 register pair (long8 arguments would change the x86 ABI of the builtins).
inline int4 epilogue_i8x4(int4 acc, int4 b, int4 m, int4 s, int4 res, int has_res, int y_zp, int r_zp, int r_mult,
                          int r_shift, int lo, int hi) {
    const int4 a = as_int4(as_uint4(acc) + as_uint4(b));          // int32 wrap, as the reference
    const long4 sl = convert_long4(s);
    // (a * m + (s > 0 ? 2^(s-1) : 0)) >> s; the shift count of the unused lanes is masked (OpenCL)
    const long4 rnd = select((long4)(0), (long4)(1) << (sl - 1), sl > (long4)(0));
    long4 v = ((convert_long4(a) * convert_long4(m) + rnd) >> sl) + (long4)(y_zp);
    if (has_res) {
        const long rr = r_shift > 0 ? 1L << (r_shift - 1) : 0L;
        v += (convert_long4(res - (int4)(r_zp)) * (long4)((long)r_mult) + (long4)(rr)) >> (long4)((long)r_shift);
    }
    return convert_int4(clamp(v, (long4)((long)lo), (long4)((long)hi)));
}

inline char8 epilogue_i8x8(int8 acc, int8 b, int8 m, int8 s, int8 res, int has_res, int y_zp, int r_zp,
                           int r_mult, int r_shift, int lo, int hi) {
    const int4 l = epilogue_i8x4(acc.lo, b.lo, m.lo, s.lo, res.lo, has_res, y_zp, r_zp, r_mult, r_shift, lo, hi);
    const int4 h = epilogue_i8x4(acc.hi, b.hi, m.hi, s.hi, res.hi, has_res, y_zp, r_zp, r_mult, r_shift, lo, hi);
    return convert_char8((int8)(l, h));  // in [lo, hi], within [-128, 127]: exact
}

#endif  // CONV_INT8
#endif  // FPGAOPS_CONV_INT8_H
