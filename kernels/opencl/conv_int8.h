// Helpers of the int8 convolution kernels (conv2d.cl, dwconv.cl; only under CONV_INT8, after
// conv_epilogue.h):
//   PAIR_DOT(a, b)   short16 x short16 -> int8: lane l = a[2l]*b[2l] + a[2l+1]*b[2l+1], exact
//                    (pair_dot.h; the int8 operands are widened to int16 first, |x - zp| <= 255,
//                    |w| <= 128).
//   pair_words       two int8 (vector) values -> the 32-bit words of their int16 pairs.
//   epilogue_i8x8    the int8 epilogue of conv_epilogue.h on 8 lanes at once (in 32-bit lanes under
//                    CONV_REQ32 when there is no residual: the proof is above it).
// and the "tap word" abstraction of conv2d.cl's int8 GEMM kernels (conv_im2col, conv_pw), which
// have two forms with one kernel body:
//   portable (default)     a 32-bit word holds TAPW = 2 taps as int16 (x - zp) or int16 weights;
//                          TAP_DOT = PAIR_DOT (vpmaddwd on AVX2).
//   FPGAOPS_VNNI (x86)     a word holds TAPW = 4 taps as bytes: u8 (x + 128) of the input, s8
//                          weights; TAP_DOT = QUAD_DOT8 (vpdpbusd). The zero point is not
//                          subtracted per tap: the epilogue subtracts (128 + zp) * sum(w) per
//                          output channel (vnni_bias), from weight sums made at pack time.
//   Exactness of the VNNI form, T = Cg*R*S taps of one output (words past Cg hold weight 0, and
//   padding holds the input code zp, i.e. byte zp + 128, so both contribute (x - zp) * w = 0):
//     sum_t (x_t + 128) w_t - (128 + zp) sum_t w_t = sum_t (x_t - zp) w_t          (exactly)
//   with |x + 128| <= 255, |128 + zp| <= 255, |w| <= 128, each of the three sums is at most
//   255 * 128 * T in magnitude, < 2^31 for T <= 65793 = (2^31 - 1) // (255 * 128), the bound
//   ops/conv2d.py already enforces for int8 (INT8_MAX_TAPS; the launcher checks it again,
//   backends/opencl/conv_common.py VNNI_MAX_TAPS). vpdpbusd and the subtraction (done in uint)
//   wrap modulo 2^32 in any case, so even an intermediate overflow would not change the result.
#ifndef FPGAOPS_CONV_INT8_H
#define FPGAOPS_CONV_INT8_H
#ifdef CONV_INT8

#include "pair_dot.h"
#include "vstore_u.h"
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

// CONV_REQ32 (the launcher's choice, backends/opencl/conv_common.py requant_defines: every shift of
// the layer in [33, 62] and every multiplier >= 0, as fpgaops.quant.quantize_multiplier gives for
// a scale ratio below 1/4, i.e. nearly every conv layer): the same rule in 32-bit lanes when there is
// no residual. With P = a * m (|a| <= 2^31, 0 <= m < 2^31: |P| < 2^62) and
// H = mul_hi8(a, m) = floor(P / 2^32) (the high word of the 64-bit two's complement product):
//   floor((P + 2^(s-1)) / 2^s) = floor((H + 2^(s-33)) / 2^(s-32))          for s >= 33
// because 2^(s-1) is the whole multiple 2^(s-33) * 2^32 and floor(floor(x / c) / d) = floor(x / cd).
// |H| <= 2^30 and 2^(s-33) <= 2^29, so the sum fits int32; the shift s - 32 is in [1, 30].
// Checked against fpgaops.quant.requantize in tests/quant/test_requant32.py (a NumPy model of these
// lines) and by the OpenCL int8 conv tests (both forms). One 8-lane pass in 32 bits instead of two
// 4-lane passes in 64 bits: the epilogue is most of the time of 1x1 layers with few input channels.
// A per-vector check of the shifts in the kernel (all()) cost more than it saved, hence the define.
#ifdef CONV_REQ32
// mul_hi of int8 vectors as two vpmuldq (even and odd lanes, sign-extended in their 64-bit lanes)
// and a blend of the high words.
inline int8 mul_hi8(int8 a, int8 b) {
    const long4 al = as_long4(a), bl = as_long4(b);
    const long4 pe = ((al << 32) >> 32) * ((bl << 32) >> 32), po = (al >> 32) * (bl >> 32);
    return as_int8((as_ulong4(pe) >> 32) | (as_ulong4(po) & (ulong4)(0xFFFFFFFF00000000UL)));
}
#endif
// The rule's per-channel constants (multiplier, 2^(s-33), s - 32; the last two used under CONV_REQ32
// only). Kernels whose 8-lane vectors of one output channel share b, m and s compute them once per
// channel and pass them to epilogue_i8x8q: the compiler does not hoist them out of loops over
// vectors that branch on residual / partial vectors, and they were 10 of ~21 instructions per vector.
typedef struct { int8 m, rnd, sh; } Req32;
inline Req32 req32_consts(int8 m, int8 s) {
    Req32 q;
    q.m = m;
    q.rnd = (int8)(1) << (s - (int8)(33));
    q.sh = s - (int8)(32);
    return q;
}
#ifdef CONV_REQ32
// the 32-bit rule on 8 lanes given the constants
inline char8 requant32_i8x8(int8 acc, int8 b, Req32 q, int y_zp, int lo, int hi) {
    const int8 a = as_int8(as_uint8(acc) + as_uint8(b));  // int32 wrap, as the reference
    const int8 v = ((mul_hi8(a, q.m) + q.rnd) >> q.sh) + (int8)(y_zp);
    return convert_char8(clamp(v, (int8)(lo), (int8)(hi)));  // in [lo, hi] within [-128, 127]: exact
}
#endif
// q = req32_consts(m, s), s: the layer's shifts
inline char8 epilogue_i8x8q(int8 acc, int8 b, Req32 q, int8 s, int8 res, int has_res, int y_zp, int r_zp,
                            int r_mult, int r_shift, int lo, int hi) {
#ifdef CONV_REQ32
    if (!has_res) return requant32_i8x8(acc, b, q, y_zp, lo, hi);
#endif
    const int4 l = epilogue_i8x4(acc.lo, b.lo, q.m.lo, s.lo, res.lo, has_res, y_zp, r_zp, r_mult, r_shift, lo, hi);
    const int4 h = epilogue_i8x4(acc.hi, b.hi, q.m.hi, s.hi, res.hi, has_res, y_zp, r_zp, r_mult, r_shift, lo, hi);
    return convert_char8((int8)(l, h));  // in [lo, hi], within [-128, 127]: exact
}
inline char8 epilogue_i8x8(int8 acc, int8 b, int8 m, int8 s, int8 res, int has_res, int y_zp, int r_zp,
                           int r_mult, int r_shift, int lo, int hi) {
    return epilogue_i8x8q(acc, b, req32_consts(m, s), s, res, has_res, y_zp, r_zp, r_mult, r_shift, lo, hi);
}

#ifdef FPGAOPS_VNNI
#define TAPW 4
#define TAP_DOT(acc, xw, ww) QUAD_DOT8((acc), (xw), (ww))
// 8 pixels of TAPW channels (channels past Cg passed as the code zp: weight 0) -> 8 words of u8
// bytes (x + 128): x ^ 0x80 is x + 128 for an int8 code.
inline uint8 tap_words(char8 a, char8 b, char8 c, char8 d, int zp) {
    const uchar8 f = (uchar8)(0x80);
    return convert_uint8(as_uchar8(a) ^ f) | (convert_uint8(as_uchar8(b) ^ f) << 8) |
           (convert_uint8(as_uchar8(c) ^ f) << 16) | (convert_uint8(as_uchar8(d) ^ f) << 24);
}
inline uint tap_word(char a, char b, char c, char d, int zp) {
    return (uint)(uchar)(a ^ 0x80) | ((uint)(uchar)(b ^ 0x80) << 8) | ((uint)(uchar)(c ^ 0x80) << 16) |
           ((uint)(uchar)(d ^ 0x80) << 24);
}
// The words of n consecutive pixels (words[p], p < n) from the int8 rows of 4 channels at r, r + plane,
// r + 2 plane, r + 3 plane (conv_pad's VNNI layout for a conv without padding; the kernels that also
// write their output as the next 1x1 convs' input, -DDW_WORDS / -DPW_WORDS, read their own bytes
// back through this). 16 pixels at a time as two interleaves (bytes of channel pairs, then 16-bit
// pairs: vector literals of swizzles, which clang turns into unpack instructions; the shuffle
// builtins would be calls on PoCL) and one xor for the + 128.
inline void store_quad_words(__global const char* r, size_t plane, int n, __global uint* words) {
    int p = 0;
    for (; p + 16 <= n; p += 16) {
        const uchar16 a = as_uchar16(vload16(0, r + p)), b = as_uchar16(vload16(0, r + plane + p));
        const uchar16 c = as_uchar16(vload16(0, r + 2 * plane + p)), d = as_uchar16(vload16(0, r + 3 * plane + p));
        const ushort8 ab0 = as_ushort8((uchar16)(a.s0, b.s0, a.s1, b.s1, a.s2, b.s2, a.s3, b.s3, a.s4, b.s4, a.s5,
                                                 b.s5, a.s6, b.s6, a.s7, b.s7));
        const ushort8 ab1 = as_ushort8((uchar16)(a.s8, b.s8, a.s9, b.s9, a.sa, b.sa, a.sb, b.sb, a.sc, b.sc, a.sd,
                                                 b.sd, a.se, b.se, a.sf, b.sf));
        const ushort8 cd0 = as_ushort8((uchar16)(c.s0, d.s0, c.s1, d.s1, c.s2, d.s2, c.s3, d.s3, c.s4, d.s4, c.s5,
                                                 d.s5, c.s6, d.s6, c.s7, d.s7));
        const ushort8 cd1 = as_ushort8((uchar16)(c.s8, d.s8, c.s9, d.s9, c.sa, d.sa, c.sb, d.sb, c.sc, d.sc, c.sd,
                                                 d.sd, c.se, d.se, c.sf, d.sf));
        const uint8 w0 = as_uint8((ushort16)(ab0.s0, cd0.s0, ab0.s1, cd0.s1, ab0.s2, cd0.s2, ab0.s3, cd0.s3, ab0.s4,
                                             cd0.s4, ab0.s5, cd0.s5, ab0.s6, cd0.s6, ab0.s7, cd0.s7));
        const uint8 w1 = as_uint8((ushort16)(ab1.s0, cd1.s0, ab1.s1, cd1.s1, ab1.s2, cd1.s2, ab1.s3, cd1.s3, ab1.s4,
                                             cd1.s4, ab1.s5, cd1.s5, ab1.s6, cd1.s6, ab1.s7, cd1.s7));
        vstore8(w0 ^ (uint8)(0x80808080u), 0, words + p);
        vstore8(w1 ^ (uint8)(0x80808080u), 0, words + p + 8);
    }
    if (p + 8 <= n) {  // (rows of 8k + 8 pixels, e.g. dwconv_strip_q's 24-column blocks: 8 lanes, not 8 scalars)
        const uchar8 a = as_uchar8(vload8(0, r + p)), b = as_uchar8(vload8(0, r + plane + p));
        const uchar8 c = as_uchar8(vload8(0, r + 2 * plane + p)), d = as_uchar8(vload8(0, r + 3 * plane + p));
        const ushort8 ab = as_ushort8((uchar16)(a.s0, b.s0, a.s1, b.s1, a.s2, b.s2, a.s3, b.s3, a.s4, b.s4, a.s5, b.s5,
                                                a.s6, b.s6, a.s7, b.s7));
        const ushort8 cd = as_ushort8((uchar16)(c.s0, d.s0, c.s1, d.s1, c.s2, d.s2, c.s3, d.s3, c.s4, d.s4, c.s5, d.s5,
                                                c.s6, d.s6, c.s7, d.s7));
        const uint8 w = as_uint8((ushort16)(ab.s0, cd.s0, ab.s1, cd.s1, ab.s2, cd.s2, ab.s3, cd.s3, ab.s4, cd.s4,
                                            ab.s5, cd.s5, ab.s6, cd.s6, ab.s7, cd.s7));
        vstore8(w ^ (uint8)(0x80808080u), 0, words + p);
        p += 8;
    }
    for (; p < n; ++p) words[p] = tap_word(r[p], r[plane + p], r[2 * plane + p], r[3 * plane + p], 0);
}
// the bias of output channel k, minus the VNNI correction (128 + zp) * sum(w[k]), modulo 2^32
inline int vnni_bias(int b, int wsum, int x_zp) { return as_int(as_uint(b) - as_uint(wsum * (128 + x_zp))); }
inline int8 vnni_bias8(int8 b, int8 wsum, int x_zp) {
    return as_int8(as_uint8(b) - as_uint8(wsum * (int8)(128 + x_zp)));
}
#else
#define TAPW 2
#define TAP_DOT(acc, xw, ww) ((acc) + PAIR_DOT(as_short16(xw), as_short16(ww)))
// 8 pixels of TAPW channels -> 8 words of int16 pairs (x - zp) (c, d unused)
inline uint8 tap_words(char8 a, char8 b, char8 c, char8 d, int zp) {
    return pair_words(convert_int8(a) - (int8)(zp), convert_int8(b) - (int8)(zp));
}
inline uint tap_word(char a, char b, char c, char d, int zp) {
    return ((uint)((int)a - zp) & 0xFFFFu) | ((uint)((int)b - zp) << 16);
}
#endif
#define TAP_BITS (32 / TAPW)
// a weight's bits at tap j of a word (int16 or byte two's complement)
#define W_BITS(w, j) (((uint)(int)(w) & ((1u << TAP_BITS) - 1u)) << ((j) * TAP_BITS))

#endif  // CONV_INT8
#endif  // FPGAOPS_CONV_INT8_H
