// dwconv.cl's int8 fixed-geometry strip kernels (CONV_INT8, DW_FIXED): dwconv_strip (raw-byte pairs,
// any device) and dwconv_strip_q (VNNI, 3x3). Included by dwconv.cl after its common definitions;
// the geometry macros (DW_R, DW_S, DW_SH, DW_SW, DW_RB) come from the launcher, backends/opencl/dwconv.py.
#if defined(DW_FIXED) && defined(CONV_INT8)
// ---- dwconv_strip, int8: the float32 strip above on int16 tap pairs ---------------------------
// One work-item: one channel x DW_RB output rows x 8 columns, walking down the input rows once.
// Per input row, the S tap vectors (x - zp, 0 outside the image: exact in int16) become
// ceil(S/2) vectors of int16 pairs (taps j, j+1; the odd last tap paired with 0), and every
// output row using the row adds one pair dot product (vpmaddwd) per pair. Integer sums are
// exact, so the result is the bits of dwconv (any order); the epilogue is dw_store_i8.
#ifndef DW_RB
#define DW_RB 4
#endif
#define DW_NT ((DW_RB - 1) * DW_SH + DW_R)
#define DW_SP ((DW_S + 1) / 2)  // tap pairs per filter row

inline int8 dw_tap_i8(__global const char* xc, size_t coff, int hi_, int W, int w0, bool interior, int zp) {
    __global const char* row = xc + (size_t)hi_ * W;
    if (interior) return (DW_SW == 1 ? LOAD8(row + w0) : LOAD16E(row + w0)) - (int8)(zp);
    if (w0 <= W && (long)coff + hi_ * W + w0 >= 0) {  // (as dw_tap: stride 2 reads 16 bytes from w0)
        const int8 pos = (int8)(0, 1, 2, 3, 4, 5, 6, 7) * DW_SW + (int8)(w0);
        const int8 raw = DW_SW == 1 ? LOAD8(row + w0) : LOAD16E(row + w0);
        return select((int8)(0), raw - (int8)(zp), (pos >= (int8)0) & (pos < (int8)W));
    }
    int tmp[8];
    for (int l = 0; l < 8; ++l) {
        const int wi = w0 + l * DW_SW;
        tmp[l] = (wi >= 0 && wi < W) ? (int)row[wi] - zp : 0;
    }
    return vload8(0, tmp);
}

// 8 output columns ow0.. of the strip, any position (border columns zeroed): the accumulators
// of rows v, from (x - zp) tap pairs
inline void strip8_i8(__global const char* xc, size_t coff, int H, int W, int h0, int ow0, int PL, int x_zp,
                      const short16* wp, int8* acc) {
    const bool interior = ow0 * DW_SW - PL >= 0 && (ow0 + 7) * DW_SW - PL + (DW_S - 1) < W;
#pragma unroll
    for (int t = 0; t < DW_NT; ++t) {
        const int hi_ = h0 + t;
        if (hi_ < 0 || hi_ >= H) continue;
        int8 xv[2 * DW_SP];
#pragma unroll
        for (int j = 0; j < 2 * DW_SP; ++j)
            xv[j] = j < DW_S ? dw_tap_i8(xc, coff, hi_, W, ow0 * DW_SW - PL + j, interior, x_zp) : (int8)(0);
        short16 xp[DW_SP];
#pragma unroll
        for (int p = 0; p < DW_SP; ++p) xp[p] = as_short16(pair_words(xv[2 * p], xv[2 * p + 1]));
#pragma unroll
        for (int v = 0; v < DW_RB; ++v) {
            const int i = t - v * DW_SH;
            if (i >= 0 && i < DW_R) {
#pragma unroll
                for (int p = 0; p < DW_SP; ++p) acc[v] += PAIR_DOT(xp[p], wp[i * DW_SP + p]);
            }
        }
    }
}

// global (ceil(OW/16), ceil(OH/DW_RB), N*K): 16 columns per work-item, from raw-byte pairs
// (stride 1: the 16 bytes at w0 + j are the tap pairs (j, j+1) of the even columns, those at
// w0 + j + 1 of the odd ones; stride 2: the 16 bytes at w0 + j (w0 + j + 16) those of columns 0-7
// (8-15)), on raw x with zp * (the weights applied) taken off per output row. Work-items touching
// the left/right border take the same path: the bytes outside the row are replaced by the code zp
// (a select per load), whose zp * w the correction takes off again, so padding contributes
// (zp - zp) * w = 0 exactly. Only where a load would start before the buffer (the first channel's
// top-left work-item) or run more than DW_GUARD bytes past its end does strip8_i8 run instead,
// on each 8-column half (measured on MobileNetV2: the border work-items were most of the time of
// the 28x28 and smaller layers, docs/int8.md).
#define DW_REACH (2 * (DW_SP - 1) + (DW_SW == 1 ? 1 : 16) + 16)  // bytes read from a row's first tap column
// bytes past a tensor's end a load may touch: the guard word of every allocation (backends/base.py
// alloc_bytes; AXI_WORD_BITS comes with the kernel config's -D flags)
#define DW_GUARD (AXI_WORD_BITS / 8)
// the arguments of the int8 strip kernels, dwconv_strip and dwconv_strip_q (one launcher passes
// both: backends/opencl/dwconv.py run_strip)
#define DW_I8_STRIP_ARGS                                                                                          \
    __global const char* restrict x, __global const char* restrict w, __global const int* restrict bias,        \
        __global const char* restrict res, __global char* restrict y, __global const int* restrict mult,         \
        __global const int* restrict shift, int C, int H, int W, int K, int OH, int OW, int PT, int PL, int CMULT, \
        int NK, int x_zp, int has_bias, int has_res, int y_zp, int r_zp, int r_mult, int r_shift, int lo, int hi
__kernel void dwconv_strip(DW_I8_STRIP_ARGS) {
    const int owb = get_global_id(0), ohb = get_global_id(1), nk = get_global_id(2);
    const int ow0 = owb * 16, oh0 = ohb * DW_RB;
    if (ow0 >= OW || oh0 >= OH || nk >= NK) return;
    const int n = NK == K ? 0 : nk / K, k = nk - n * K, c = CMULT == 1 ? k : k / CMULT;
    const size_t coff = ((size_t)n * C + c) * H * W;
    __global const char* xc = x + coff;
    __global const char* wk = w + (size_t)k * DW_R * DW_S;
    short16 wp[DW_R * DW_SP];  // weight pairs (w[i][j], w[i][j+1]) broadcast
    int wrow[DW_R];            // the sum of filter row i
#pragma unroll
    for (int i = 0; i < DW_R; ++i) {
        wrow[i] = 0;
#pragma unroll
        for (int p = 0; p < DW_SP; ++p) {
            const int j = 2 * p;
            const int wa = wk[i * DW_S + j], wb = j + 1 < DW_S ? wk[i * DW_S + j + 1] : 0;
            wp[i * DW_SP + p] = as_short16((int8)(((uint)wa & 0xFFFFu) | ((uint)wb << 16)));
            wrow[i] += wa + wb;
        }
    }
    const int h0 = oh0 * DW_SH - PT;
    const int b = has_bias ? bias[k] : 0, mu = mult[k], sh = shift[k];
    int8 a0[DW_RB], a1[DW_RB];
#pragma unroll
    for (int v = 0; v < DW_RB; ++v) a0[v] = a1[v] = (int8)(0);
    const int c0 = ow0 * DW_SW - PL;  // the input column of the strip's first tap
    const bool inner = c0 >= 0 && (ow0 + 15) * DW_SW - PL + (DW_S - 1) < W;
    const int hlo = max(h0, 0), hhi = min(h0 + DW_NT, H) - 1;  // the input rows the strip reads
    const long total = (long)(NK / K) * C * H * W;
    if (inner || (W < 32000 && (long)coff + (long)hlo * W + c0 >= 0 &&
                  (long)coff + (long)hhi * W + c0 + DW_REACH <= total + DW_GUARD)) {
        // valid[p] / valid[DW_SP + p]: the lanes of the even / odd loads of pair p inside the row
        short16 valid[2 * DW_SP];
#pragma unroll
        for (int p = 0; p < DW_SP; ++p) {
            const short16 pe = (short16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) + (short16)(c0 + 2 * p);
            const short16 po = pe + (short16)(DW_SW == 1 ? 1 : 16);
            valid[p] = (pe >= (short16)(0)) & (pe < (short16)(W));
            valid[DW_SP + p] = (po >= (short16)(0)) & (po < (short16)(W));
        }
        const short16 zp16 = (short16)(x_zp);
        int wsum[DW_RB];
#pragma unroll
        for (int v = 0; v < DW_RB; ++v) wsum[v] = 0;
#pragma unroll
        for (int t = 0; t < DW_NT; ++t) {
            const int hi_ = h0 + t;
            if (hi_ < 0 || hi_ >= H) continue;
            // (the last load may read 1 byte past what is used: the next row or the guard word)
            __global const char* row = xc + ((long)hi_ * W + c0);
            short16 xe[DW_SP], xo[DW_SP];
#pragma unroll
            for (int p = 0; p < DW_SP; ++p) {
                xe[p] = convert_short16(vload16(0, row + 2 * p));
                xo[p] = convert_short16(vload16(0, row + 2 * p + (DW_SW == 1 ? 1 : 16)));
                if (!inner) {
                    xe[p] = select(zp16, xe[p], valid[p]);
                    xo[p] = select(zp16, xo[p], valid[DW_SP + p]);
                }
            }
#pragma unroll
            for (int v = 0; v < DW_RB; ++v) {
                const int i = t - v * DW_SH;
                if (i >= 0 && i < DW_R) {
                    wsum[v] += wrow[i];
#pragma unroll
                    for (int p = 0; p < DW_SP; ++p) {
                        a0[v] += PAIR_DOT(xe[p], wp[i * DW_SP + p]);
                        a1[v] += PAIR_DOT(xo[p], wp[i * DW_SP + p]);
                    }
                }
            }
        }
#pragma unroll
        for (int v = 0; v < DW_RB; ++v) {
            const int8 zc = (int8)(x_zp * wsum[v]);  // |x_zp * wsum| <= 128 * 128 * R * S: exact
#if DW_SW == 1
            const int8 e = a0[v], o = a1[v];
            a0[v] = (int8)(e.s0, o.s0, e.s1, o.s1, e.s2, o.s2, e.s3, o.s3) - zc;
            a1[v] = (int8)(e.s4, o.s4, e.s5, o.s5, e.s6, o.s6, e.s7, o.s7) - zc;
#else
            a0[v] -= zc;
            a1[v] -= zc;
#endif
        }
    } else {
        strip8_i8(xc, coff, H, W, h0, ow0, PL, x_zp, wp, a0);
        if (ow0 + 8 < OW) strip8_i8(xc, coff, H, W, h0, ow0 + 8, PL, x_zp, wp, a1);
    }
#pragma unroll
    for (int v = 0; v < DW_RB; ++v) {
        if (oh0 + v >= OH) break;
        const size_t base = ((size_t)nk * OH + oh0 + v) * OW + ow0;
        dw_store_i8(a0[v], base, ow0, OW, res, y, b, mu, sh, has_res, y_zp, r_zp, r_mult, r_shift, lo, hi);
        if (ow0 + 8 < OW)
            dw_store_i8(a1[v], base + 8, ow0 + 8, OW, res, y, b, mu, sh, has_res, y_zp, r_zp, r_mult, r_shift, lo, hi);
    }
}
#endif

#if defined(DW_FIXED) && defined(CONV_INT8) && defined(FPGAOPS_VNNI) && DW_R == 3 && DW_S == 3
// ---- dwconv_strip_q: int8 3x3 depthwise with VNNI (vpdpbusd, conv_int8.h / pair_dot.h) ----------
// One work-item: one channel x DWQ_RB output rows x 32 output columns. A filter row's three taps are
// one u8 x s8 quad (the fourth weight 0), so one QUAD_DOT8 adds a whole filter row into 8 output
// lanes: half the multiply instructions of the int16 pairs of dwconv_strip, with no widening. The
// input words are plain unaligned 32-bit loads: slot j holds the words at byte offset DWQ_OFF(j) +
// 4m of the row (m = 0..7), i.e. the quad of taps of output column DWQ_COL(j, m):
//   stride 1: offsets 0, 1, 2, 3 -> columns j + 4m;   stride 2: offsets 0, 2, 32, 34 -> columns
//   16 (j / 2) + (j % 2) + 2m.
// Bytes are u = x + 128 (x ^ 0x80); bytes outside the row (left/right padding) are the code zp, and
// the epilogue takes (128 + zp) * (the sum of the weights of the rows used) off each output row:
//   sum (x + 128) w - (128 + zp) sum w = sum (x - zp) w,  padding (zp - zp) w = 0     (exactly;
// |each sum| <= 255 * 128 * 9). The 8 lanes of a slot are requantized together (epilogue_i8x8) and
// the four slots' bytes interleaved back into 32 consecutive columns. Work-items whose loads would
// start before the buffer or run more than DW_GUARD bytes past its end compute each output
// with the scalar sum and epilogue() instead (dwq_scalar). The launcher (backends/opencl/dwconv.py)
// picks this kernel for output rows of at least dwconv.opencl.q_min_ow columns on a VNNI device.
#define DWQ_RB DWCONV_OPENCL_Q_ROWS  // dwconv.opencl.q_rows (every config key comes as a -D flag)
#define DWQ_NT ((DWQ_RB - 1) * DW_SH + 3)  // input rows per work-item
#define DWQ_OFF(j) (DW_SW == 1 ? (j) : ((j) & 1) * 2 + ((j) >> 1) * 32)
#define DWQ_REACH (DW_SW == 1 ? 3 + 32 : 34 + 32)  // bytes read from a row's first tap column

// the outputs of the work-item one by one (rare: the buffer's first/last work-items)
inline void dwq_scalar(__global const char* xc, __global const char* wk, int H, int W, int OH, int OW, int h0,
                       int ow0, int oh0, int PL, int x_zp, size_t obase, __global const char* res,
                       __global char* y, int b, int mu, int sh, int has_res, int y_zp, int r_zp, int r_mult,
                       int r_shift, int lo, int hi) {
    for (int v = 0; v < DWQ_RB && oh0 + v < OH; ++v)
        for (int l = 0; l < 32 && ow0 + l < OW; ++l) {
            int acc = 0;
            for (int i = 0; i < 3; ++i) {
                const int hi_ = h0 + v * DW_SH + i;
                if (hi_ < 0 || hi_ >= H) continue;
                for (int j = 0; j < 3; ++j) {
                    const int wi = (ow0 + l) * DW_SW - PL + j;
                    if (wi >= 0 && wi < W) acc += ((int)xc[(size_t)hi_ * W + wi] - x_zp) * (int)wk[i * 3 + j];
                }
            }
            const size_t at = obase + (size_t)v * OW + l;
            y[at] = epilogue(acc, b, res, at, has_res, 0, mu, sh, y_zp, r_zp, r_mult, r_shift, lo, hi);
        }
}

// the first n (1..32) bytes of the words o at p, from the registers (dwconv_map_q: n a constant after
// inlining; dwconv_strip_q: the last column block of a row, n = OW - ow0 < 32 at run time). Not through
// a private array: its vstore16 of chars is 16 byte moves (vstore_u.h), and the wide reload of those
// narrow stores misses store-to-load forwarding (measured: a third of dwconv_strip_q's samples at
// 56x56, where every second block is partial)
inline void dwq_store_n(uint8 o, __global char* p, int n) {
    if (n == 32) {
        VSTORE16_U(char, as_char16(o.lo), p);
        VSTORE16_U(char, as_char16(o.hi), p + 16);
        return;
    }
    char16 r16 = as_char16(o.lo);
    if (n >= 16) {
        VSTORE16_U(char, r16, p);
        r16 = as_char16(o.hi);
        p += 16;
        n -= 16;
    }
    char8 r8 = r16.lo;
    if (n >= 8) {
        VSTORE8_U(char, r8, p);
        r8 = r16.hi;
        p += 8;
        n -= 8;
    }
    char4 r4 = r8.lo;
    if (n >= 4) {
        VSTORE4_U(char, r4, p);
        r4 = r8.hi;
        p += 4;
        n -= 4;
    }
    char2 r2 = r4.lo;
    if (n >= 2) {
        vstore2(r2, 0, p);
        r2 = r4.hi;
        p += 2;
        n -= 2;
    }
    if (n) p[0] = r2.s0;
}

// 32 bytes of a row as 8 words, one unaligned load (a vload16 of chars is split into dword loads
// by PoCL's compiler; this type has alignment 1, so the load is a plain vmovdqu)
typedef uint8 __attribute__((aligned(1))) dwq_words;

// the outputs of channel nk (of N*K), columns owb * 32 .. + 31, rows ohb * DWQ_RB .. + DWQ_RB - 1
inline void dwq_channel(DW_I8_STRIP_ARGS, const int owb, const int ohb, const int nk) {
    const int ow0 = owb * 32, oh0 = ohb * DWQ_RB;
    if (ow0 >= OW || oh0 >= OH || nk >= NK) return;
    const int n = NK == K ? 0 : nk / K, k = nk - n * K, c = CMULT == 1 ? k : k / CMULT;
    const size_t coff = ((size_t)n * C + c) * H * W;
    __global const char* xc = x + coff;
    __global const char* wk = w + (size_t)k * 9;
    const int b = has_bias ? bias[k] : 0, mu = mult[k], sh = shift[k];
    const int h0 = oh0 * DW_SH - PT, c0 = ow0 * DW_SW - PL;
    const size_t obase = ((size_t)nk * OH + oh0) * OW + ow0;
    const int hlo = max(h0, 0), hhi = min(h0 + DWQ_NT, H) - 1;
    const long total = (long)(NK / K) * C * H * W;
    if (W >= 32000 || (long)coff + (long)hlo * W + c0 < 0 ||
        (long)coff + (long)hhi * W + c0 + DWQ_REACH > total + DW_GUARD) {
        dwq_scalar(xc, wk, H, W, OH, OW, h0, ow0, oh0, PL, x_zp, obase, res, y, b, mu, sh, has_res, y_zp, r_zp,
                   r_mult, r_shift, lo, hi);
        return;
    }
    const bool inner = c0 >= 0 && c0 + DWQ_REACH <= W;
    int8 wq[3];    // filter row i as one s8 quad (w0, w1, w2, 0), broadcast
    int wrow[3];   // its sum
#pragma unroll
    for (int i = 0; i < 3; ++i) {
        const int w0 = wk[3 * i], w1 = wk[3 * i + 1], w2 = wk[3 * i + 2];
        wq[i] = (int8)((int)(((uint)w0 & 0xFFu) | (((uint)w1 & 0xFFu) << 8) | (((uint)w2 & 0xFFu) << 16)));
        wrow[i] = w0 + w1 + w2;
    }
    const uint8 zpw = (uint8)(((uint)x_zp & 0xFFu) * 0x01010101u);  // the code zp in every byte
    int8 acc[DWQ_RB][4];
#pragma unroll
    for (int v = 0; v < DWQ_RB; ++v)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[v][j] = (int8)(0);
    // Rows outside the image (top/bottom padding) are read as the code zp too (from a clamped row),
    // so every output row takes all three filter rows and one correction serves them all; the
    // loop is written twice (MASKED: border work-items, with the column masks) to keep the masks
    // out of the interior work-items' registers.
#define DWQ_ROWS(MASKED)                                                                               \
    for (int t = 0; t < DWQ_NT; ++t) {                                                                \
        const int hi_ = h0 + t;                                                                       \
        const bool rv = hi_ >= 0 && hi_ < H;                                                          \
        __global const char* row = xc + ((long)clamp(hi_, 0, H - 1) * W + c0);                       \
        int8 u[4];                                                                                    \
        _Pragma("unroll") for (int j = 0; j < 4; ++j) {                                              \
            uint8 raw = *(__global const dwq_words*)(row + DWQ_OFF(j));                               \
            if (MASKED) raw = bitselect(zpw, raw, valid[j]);                                          \
            raw = rv ? raw : zpw;                                                                     \
            u[j] = as_int8(raw ^ (uint8)(0x80808080u)); /* u8 bytes x + 128 */                        \
        }                                                                                             \
        _Pragma("unroll") for (int v = 0; v < DWQ_RB; ++v) {                                         \
            const int i = t - v * DW_SH; /* the filter row of input row t in output row v */          \
            if (i >= 0 && i < 3)                                                                      \
                _Pragma("unroll") for (int j = 0; j < 4; ++j) acc[v][j] = QUAD_DOT8(acc[v][j], u[j], wq[i]); \
        }                                                                                             \
    }
    if (inner) {
        const uint8 valid[4] = {(uint8)(0u), (uint8)(0u), (uint8)(0u), (uint8)(0u)};  // (unused)
#pragma unroll
        DWQ_ROWS(0)
    } else {
        uint8 valid[4];  // slot j: 0xFF in the bytes at c0 + DWQ_OFF(j) + 0..31 inside the row
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            uint8 m = (uint8)(0u);
#pragma unroll
            for (int bt = 0; bt < 4; ++bt) {
                const int8 pos = (int8)(0, 4, 8, 12, 16, 20, 24, 28) + (int8)(c0 + DWQ_OFF(j) + bt);
                m |= as_uint8((pos >= (int8)(0)) & (pos < (int8)(W))) & (uint8)(0xFFu << (8 * bt));
            }
            valid[j] = m;
        }
#pragma unroll
        DWQ_ROWS(1)
    }
#undef DWQ_ROWS
    const int8 corr = (int8)((128 + x_zp) * (wrow[0] + wrow[1] + wrow[2]));
    const int8 b8 = (int8)(b), m8 = (int8)(mu), s8 = (int8)(sh);
    const Req32 q8 = req32_consts(m8, s8);
    const bool full = ow0 + 32 <= OW;
#pragma unroll
    for (int v = 0; v < DWQ_RB; ++v) {
        if (oh0 + v >= OH) break;
        const size_t at = obase + (size_t)v * OW;
        // the residual's 32 bytes, split into the slots' lanes as the outputs are
        uint8 rw = (uint8)(0u);
        if (has_res) {
            if (full) {
                rw = (uint8)(as_uint4(vload16(0, res + at)), as_uint4(vload16(0, res + at + 16)));
            } else {
                char tr[32];
                for (int l = 0; l < 32; ++l) tr[l] = ow0 + l < OW ? res[at + l] : (char)0;
                rw = (uint8)(as_uint4(vload16(0, tr)), as_uint4(vload16(1, tr)));
            }
        }
        uint8 o[4];
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            int8 r8 = (int8)(0);
            if (has_res) {
#if DW_SW == 1
                r8 = convert_int8(as_char8(convert_uchar8(rw >> (uint8)(8 * j))));
#else
                // columns 16 (j / 2) + (j % 2) + 2m: bytes 2m + j % 2 of the half j / 2
                const uint4 hw = (j >> 1) ? rw.hi : rw.lo;
                const uint8 hw2 =
                    (uint8)(hw.s0, hw.s0 >> 16, hw.s1, hw.s1 >> 16, hw.s2, hw.s2 >> 16, hw.s3, hw.s3 >> 16);
                r8 = convert_int8(as_char8(convert_uchar8(hw2 >> (uint8)(8 * (j & 1)))));
#endif
            }
            const int8 a = as_int8(as_uint8(acc[v][j]) - as_uint8(corr));  // sum (x - zp) w, exact
            o[j] = convert_uint8(as_uchar8(epilogue_i8x8q(a, b8, q8, s8, r8, has_res, y_zp, r_zp, r_mult, r_shift,
                                                          lo, hi)));
        }
#if DW_SW == 1
        const uint8 words = o[0] | (o[1] << 8) | (o[2] << 16) | (o[3] << 24);  // word m: columns 4m..4m+3
        const char16 out0 = as_char16(words.lo), out1 = as_char16(words.hi);
#else
        const uint8 p01 = o[0] | (o[1] << 8), p23 = o[2] | (o[3] << 8);  // 16-bit pairs: columns 2m, 2m+1
        const char16 out0 = as_char16(convert_ushort8(p01)), out1 = as_char16(convert_ushort8(p23));
#endif
        if (full) {
            VSTORE16_U(char, out0, y + at);
            VSTORE16_U(char, out1, y + at + 16);
        } else {
            dwq_store_n((uint8)(as_uint4(out0), as_uint4(out1)), y + at, OW - ow0);
        }
    }
}

#define DW_I8_STRIP_NAMES                                                                                  \
    x, w, bias, res, y, mult, shift, C, H, W, K, OH, OW, PT, PL, CMULT, NK, x_zp, has_bias, has_res, y_zp, r_zp, \
        r_mult, r_shift, lo, hi

#ifdef DW_WORDS
// -DDW_WORDS (as dwconv_map_q's, dwconv_map_q.h): the outputs of channels 4q .. 4q + 3 (one word's:
// K % 4 == 0), rows oh0 .., columns ow0 .. ow0 + 31, also as the 1x1 conv's input words (conv_pad's
// VNNI layout without padding, conv_int8.h store_quad_words), read back from the bytes this
// work-item has just stored (in L1)
inline void dwq_store_words(__global const char* y, __global uint* yw, int q, int OH, int OW, int ow0, int oh0) {
    const size_t plane = (size_t)OH * OW;
    __global const char* y4 = y + 4 * q * plane;
    __global uint* w4 = yw + q * plane;
    for (int v = 0; v < DWQ_RB && oh0 + v < OH; ++v) {
        const size_t row = (size_t)(oh0 + v) * OW + ow0;
        store_quad_words(y4 + row, plane, min(32, OW - ow0), w4 + row);
    }
}

// block (owb, ohb) of the 4 channels of word q one after the other, then their words (the kernel
// below; pwdw_q.cl)
inline void dwq_word(DW_I8_STRIP_ARGS, __global uint* restrict yw, const int owb, const int ohb, const int q) {
    for (int j = 0; j < 4; ++j) dwq_channel(DW_I8_STRIP_NAMES, owb, ohb, 4 * q + j);
    dwq_store_words(y, yw, q, OH, OW, owb * 32, ohb * DWQ_RB);
}

// global (ceil(OW/32), ceil(OH/DWQ_RB), N*K/4)
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void dwconv_strip_q(DW_I8_STRIP_ARGS, __global uint* restrict yw) {
    const int owb = get_global_id(0), ohb = get_global_id(1), q = get_global_id(2);
    if (owb * 32 >= OW || ohb * DWQ_RB >= OH || 4 * q >= NK) return;
    dwq_word(DW_I8_STRIP_NAMES, yw, owb, ohb, q);
}
#else
// global (ceil(OW/32), ceil(OH/DWQ_RB), N*K), one work-item per group: in a larger group PoCL keeps
// the private arrays (the accumulators) of every work-item in memory, not in registers
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void dwconv_strip_q(DW_I8_STRIP_ARGS) {
    dwq_channel(DW_I8_STRIP_NAMES, get_global_id(0), get_global_id(1), get_global_id(2));
}
#endif
#endif
