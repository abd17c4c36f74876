// dwconv.cl's int8 whole-map kernel dwconv_map_q (VNNI, 3x3, pad 1, maps of at most
// dwconv.opencl.q_map_max_hw pixels). Included by dwconv.cl after dwconv_q.h, whose DW_GUARD it uses.
#if defined(DW_FIXED) && defined(CONV_INT8) && defined(FPGAOPS_VNNI) && defined(DWM_H) && DW_R == 3 && DW_S == 3
// ---- dwconv_map_q: int8 3x3 pad 1 depthwise on small maps, VNNI (stride 1 here, stride 2 below) --
// On 14x14 and 7x7 maps dwconv_strip's rows of 16 columns leave lanes empty (9 of 16 at 7 wide)
// and cost a work-item per strip. Here a work-item computes whole channel maps (DWM_H x DWM_W,
// compile-time constants, pad 1 on every side, so the output map has the input's shape), one after
// the other, as one flat row of H*W outputs in blocks of 32: with stride 1 and OW == W, the taps of
// filter row i of the outputs p .. p+31 (flat index oh * W + ow) are the input bytes at the flat
// offsets p + (i - 1) * W - 1 + 0..2, one constant shift per filter row. So, as in dwconv_strip_q,
// filter row i is one u8 x s8 quad (w0, w1, w2, 0) and slot j (0..3) of a block holds the 8 words
// at flat offsets p + (i - 1) * W - 1 + j + 4m (m = 0..7), the quads of outputs p + j + 4m; one
// vpdpbusd adds a filter row into 8 outputs. The bytes that are padding (the tap left of column 0
// and right of column W - 1 -- in the flat map they are the neighbouring row's --, rows above the
// first and below the last) are replaced by the code zp, so (128 + zp) * (the sum of all 9
// weights) is the one correction of every output (as dwconv_strip_q, exact). The masks depend on
// the block, the slot and the filter row only, all constants here: the unrolled code does a
// bitselect only where a word has padding bytes. Lanes used: 196 of 224 (14x14), 49 of 64 (7x7).
// A load that would start before the buffer or end more than DW_GUARD bytes past it (the first
// channel's first block, the last channel's last) is assembled byte by byte instead (dwm_gather).
// -DDW_WORDS (the launcher's choice where 1x1 convs read this output: backends/opencl/conv2d.py
// words_out): the kernel also writes its output as their input words, so their conv_pad relayout
// does not run (DWM_WORDS_AFTER).
#define DWM_HW (DWM_H * DWM_W)
#if DW_SW == 1
#define DWM_NB ((DWM_HW + 31) / 32)  // 32-output blocks per map
#define DWM_LAST (DWM_HW - (DWM_NB - 1) * 32)  // outputs of the last block (1..32)

// 0xFF in the bytes of slot j's words of filter row i in block blk that are inside the map (byte 3
// of a word, weight 0, counts as inside); constant-folded after unrolling
inline uint8 dwm_valid(int blk, int i, int j) {
    const int8 p = (int8)(0, 4, 8, 12, 16, 20, 24, 28) + (int8)(blk * 32 + j);  // the outputs
    const int8 oh = p / (int8)(DWM_W), ow = p - oh * (int8)(DWM_W), ih = oh + (int8)(i - 1);
    const int8 row_ok = (ih >= (int8)(0)) & (ih < (int8)(DWM_H));
    const int8 left_ok = ow > (int8)(0), right_ok = ow < (int8)(DWM_W - 1);  // byte 0 / byte 2
    return as_uint8(row_ok) & ((as_uint8(left_ok) & (uint8)(0xFFu)) | (uint8)(0xFF00u) |
                               (as_uint8(right_ok) & (uint8)(0xFF0000u)) | (uint8)(0xFF000000u));
}
#endif

// the 32 bytes at xc + off as 8 words, bytes outside [0, total) of the tensor read as the code zp
inline uint8 dwm_gather(__global const char* xc, long coff, int off, long total, int x_zp) {
    uchar b[32];
    for (int l = 0; l < 32; ++l) {
        const long at = coff + off + l;
        b[l] = (uchar)(at >= 0 && at < total ? xc[off + l] : (char)x_zp);
    }
    return (uint8)(as_uint4(vload16(0, b)), as_uint4(vload16(1, b)));
}

#if DW_SW == 1
#define DWM_OHW DWM_HW  // output pixels per map
#else
#define DWM_OHW (((DWM_H - 1) / 2 + 1) * ((DWM_W - 1) / 2 + 1))  // stride 2
#endif

#ifdef DW_WORDS
#define DWM_WORDS_ARG , __global uint* restrict yw
#define DWM_WORDS_NAME , yw
// after channel nk's map, once the last channel of its quad is done: the output maps of the quad's 4
// channels (K % 4 == 0: one word's and one sample's) as the 1x1 convs' input words, conv_pad's VNNI
// layout for a conv without padding (conv_int8.h store_quad_words), from the bytes this work-item
// has just stored (still in L1)
#define DWM_WORDS_AFTER(nk)                                                                               \
    if (((nk) & 3) == 3)                                                                                  \
    store_quad_words(y + (size_t)((nk) - 3) * DWM_OHW, DWM_OHW, DWM_OHW, yw + (size_t)((nk) - 3) / 4 * DWM_OHW)
#else
#define DWM_WORDS_ARG
#define DWM_WORDS_NAME
#define DWM_WORDS_AFTER(nk)
#endif

#if DW_SW == 1
// the maps of channels nk0 .. nk1 - 1 (of N*K), one after the other (the kernel below: q_map_channels
// of them per work-item; pwdw_q.cl: the ones its work-item has just expanded)
inline void dwm_channels(DW_I8_STRIP_ARGS DWM_WORDS_ARG, const int nk0, const int nk1) {
    const long total = (long)(NK / K) * C * DWM_HW;
    const uint8 zpw = (uint8)(((uint)x_zp & 0xFFu) * 0x01010101u);  // the code zp in every byte
    for (int nk = nk0; nk < min(nk1, NK); ++nk) {
        const int n = NK == K ? 0 : nk / K, k = nk - n * K, c = CMULT == 1 ? k : k / CMULT;
        const long coff = ((long)n * C + c) * DWM_HW;
        __global const char* xc = x + coff;
        __global const char* wk = w + (size_t)k * 9;
        int8 wq[3];  // filter row i as one s8 quad (w0, w1, w2, 0), broadcast
        int wsum = 0;
#pragma unroll
        for (int i = 0; i < 3; ++i) {
            const int w0 = wk[3 * i], w1 = wk[3 * i + 1], w2 = wk[3 * i + 2];
            wq[i] = (int8)((int)(((uint)w0 & 0xFFu) | (((uint)w1 & 0xFFu) << 8) | (((uint)w2 & 0xFFu) << 16)));
            wsum += w0 + w1 + w2;
        }
        // the bias minus the correction (128 + zp) * wsum, modulo 2^32 (the epilogue adds the bias to
        // the sum first, in uint: acc + (b - corr) = (acc - corr) + b = sum (x - zp) w + b, exactly)
        const int8 b8 = (int8)(vnni_bias(has_bias ? bias[k] : 0, wsum, x_zp));
        const int8 m8 = (int8)(mult[k]), s8 = (int8)(shift[k]);
        const Req32 q8 = req32_consts(m8, s8);
        // the loads read flat offsets -W - 1 .. DWM_NB * 32 + W + 2 of the map
        const bool lo_ok = coff >= DWM_W + 1, hi_ok = coff + DWM_NB * 32 + DWM_W + 2 <= total + DW_GUARD;
        __global char* yc = y + (size_t)nk * DWM_HW;
        __global const char* rc = res + (size_t)nk * DWM_HW;
#pragma unroll
        for (int blk = 0; blk < DWM_NB; ++blk) {
            int8 acc[4] = {(int8)(0), (int8)(0), (int8)(0), (int8)(0)};
#pragma unroll
            for (int i = 0; i < 3; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    const int off = blk * 32 + (i - 1) * DWM_W - 1 + j;  // a constant
                    uint8 raw;
                    if ((off < 0 && !lo_ok) || (off + 32 > DWM_HW && !hi_ok))
                        raw = dwm_gather(xc, coff, off, total, x_zp);
                    else
                        raw = *(__global const dwq_words*)(xc + off);
                    raw = bitselect(zpw, raw, dwm_valid(blk, i, j));
                    acc[j] = QUAD_DOT8(acc[j], as_int8(raw ^ (uint8)(0x80808080u)), wq[i]);  // u8 x + 128
                }
            const int cnt = blk == DWM_NB - 1 ? DWM_LAST : 32;
            uint8 rw = (uint8)(0u);  // the residual's bytes, word m: outputs 4m..4m+3 of the block
            if (has_res) {
                uchar tr[32];
                for (int l = 0; l < 32; ++l) tr[l] = l < cnt ? (uchar)rc[blk * 32 + l] : (uchar)0;
                rw = (uint8)(as_uint4(vload16(0, tr)), as_uint4(vload16(1, tr)));
            }
            uint8 o[4];
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                const int8 r8 = has_res ? convert_int8(as_char8(convert_uchar8(rw >> (uint8)(8 * j)))) : (int8)(0);
                o[j] = convert_uint8(as_uchar8(epilogue_i8x8q(acc[j], b8, q8, s8, r8, has_res, y_zp, r_zp, r_mult,
                                                              r_shift, lo, hi)));
            }
            const uint8 words = o[0] | (o[1] << 8) | (o[2] << 16) | (o[3] << 24);  // word m: outputs 4m..4m+3
            dwq_store_n(words, yc + blk * 32, cnt);
        }
        DWM_WORDS_AFTER(nk);
    }
}
#else  // DW_SW == 2
// Stride 2 (pad 1 above and left): the flat map gives no constant shift, so a block is output
// rows: slot pair (2q, 2q + 1) holds the even / odd output columns 2m' + (0 | 1) of DWM_RPS rows
// (as dwconv_strip_q's stride 2: words at byte offsets 0 and 2 of the row, then every 4 bytes),
// lanes m = 0 .. 7 -> row m / DWM_LPR, m' = m % DWM_LPR; output rows of at most 8 columns put 2 rows
// in a slot (its lanes 4-7 from a second load, 16 bytes before the next row's taps, blended in).
// A block: 2 DWM_RPS output rows (28 of 32 lanes used at 14 and 7 columns). The launcher takes
// output rows of at most 16 columns.
#define DWM_OH ((DWM_H - 1) / 2 + 1)
#define DWM_OW ((DWM_W - 1) / 2 + 1)
#if DWM_OW > 16  // a slot pair's 2 x 8 lanes hold one output row (backends/opencl/dwconv.py MAP_S2_MAX_OW)
#error "dwconv_map_q stride 2 takes output rows of at most 16 columns"
#endif
#define DWM_RPS (DWM_OW <= 8 ? 2 : 1)  // output rows per slot
#define DWM_LPR (8 / DWM_RPS)           // lanes per output row in a slot
#define DWM_NB ((DWM_OH + 2 * DWM_RPS - 1) / (2 * DWM_RPS))  // blocks per map
// one past the last byte a load of the map reads (rows past OH in the last block included)
#define DWM_END ((4 * DWM_NB * DWM_RPS - 1) * DWM_W + 33)

// the output row and column of lane m of slot s in block blk (columns of lanes past the row: OW)
inline int8 dwm2_row(int blk, int s) {
    return (int8)(blk * 2 * DWM_RPS + (s >> 1) * DWM_RPS) + (int8)(0, 1, 2, 3, 4, 5, 6, 7) / (int8)(DWM_LPR);
}
inline int8 dwm2_col(int s) {
    return (int8)(0, 1, 2, 3, 4, 5, 6, 7) % (int8)(DWM_LPR) * (int8)(2) + (int8)(s & 1);
}

// as dwm_valid: the bytes of slot s's words of filter row i in block blk inside the image (lanes
// of outputs past the map count as inside: their outputs are not stored)
inline uint8 dwm2_valid(int blk, int i, int s) {
    const int8 oh = dwm2_row(blk, s), ow = dwm2_col(s), ih = oh * (int8)(2) + (int8)(i - 1);
    const int8 out = (oh >= (int8)(DWM_OH)) | (ow >= (int8)(DWM_OW));
    const int8 row_ok = out | ((ih >= (int8)(0)) & (ih < (int8)(DWM_H)));
    const int8 left_ok = out | (ow > (int8)(0));                           // byte 0: column 2 ow - 1
    const int8 right_ok = out | (ow * (int8)(2) + (int8)(1) < (int8)(DWM_W));  // byte 2: column 2 ow + 1
    return as_uint8(row_ok) & ((as_uint8(left_ok) & (uint8)(0xFFu)) | (uint8)(0xFF00u) |
                               (as_uint8(right_ok) & (uint8)(0xFF0000u)) | (uint8)(0xFF000000u));
}

// as the stride-1 dwm_channels
inline void dwm_channels(DW_I8_STRIP_ARGS DWM_WORDS_ARG, const int nk0, const int nk1) {
    const long total = (long)(NK / K) * C * DWM_H * DWM_W;
    const uint8 zpw = (uint8)(((uint)x_zp & 0xFFu) * 0x01010101u);
    const uint8 hi4 = (uint8)(0u, 0u, 0u, 0u, ~0u, ~0u, ~0u, ~0u);  // lanes 4-7 (the second row)
    for (int nk = nk0; nk < min(nk1, NK); ++nk) {
        const int n = NK == K ? 0 : nk / K, k = nk - n * K, c = CMULT == 1 ? k : k / CMULT;
        const long coff = ((long)n * C + c) * DWM_H * DWM_W;
        __global const char* xc = x + coff;
        __global const char* wk = w + (size_t)k * 9;
        int8 wq[3];
        int wsum = 0;
#pragma unroll
        for (int i = 0; i < 3; ++i) {
            const int w0 = wk[3 * i], w1 = wk[3 * i + 1], w2 = wk[3 * i + 2];
            wq[i] = (int8)((int)(((uint)w0 & 0xFFu) | (((uint)w1 & 0xFFu) << 8) | (((uint)w2 & 0xFFu) << 16)));
            wsum += w0 + w1 + w2;
        }
        const int8 b8 = (int8)(vnni_bias(has_bias ? bias[k] : 0, wsum, x_zp));  // as the stride-1 kernel
        const int8 m8 = (int8)(mult[k]), s8 = (int8)(shift[k]);
        const Req32 q8 = req32_consts(m8, s8);
        const bool lo_ok = coff >= DWM_W + 1, hi_ok = coff + DWM_END <= total + DW_GUARD;
        __global char* yc = y + (size_t)nk * DWM_OH * DWM_OW;
        __global const char* rc = res + (size_t)nk * DWM_OH * DWM_OW;
#pragma unroll
        for (int blk = 0; blk < DWM_NB; ++blk) {
            int8 acc[4] = {(int8)(0), (int8)(0), (int8)(0), (int8)(0)};
#pragma unroll
            for (int i = 0; i < 3; ++i)
#pragma unroll
                for (int s = 0; s < 4; ++s) {
                    const int oh0 = blk * 2 * DWM_RPS + (s >> 1) * DWM_RPS;
                    // the words of row oh0's lanes (and of row oh0 + 1's, 4 DWM_LPR bytes later)
                    const int off = (2 * oh0 - 1 + i) * DWM_W + 2 * (s & 1) - 1;  // a constant
                    const int off2 = off + 2 * DWM_W - 4 * DWM_LPR;
                    uint8 raw;
                    if ((off < 0 && !lo_ok) || (off + 32 > DWM_H * DWM_W && !hi_ok))
                        raw = dwm_gather(xc, coff, off, total, x_zp);
                    else
                        raw = *(__global const dwq_words*)(xc + off);
                    if (DWM_RPS == 2) {
                        uint8 raw2;
                        if ((off2 < 0 && !lo_ok) || (off2 + 32 > DWM_H * DWM_W && !hi_ok))
                            raw2 = dwm_gather(xc, coff, off2, total, x_zp);
                        else
                            raw2 = *(__global const dwq_words*)(xc + off2);
                        raw = bitselect(raw, raw2, hi4);
                    }
                    raw = bitselect(zpw, raw, dwm2_valid(blk, i, s));
                    acc[s] = QUAD_DOT8(acc[s], as_int8(raw ^ (uint8)(0x80808080u)), wq[i]);
                }
            uint8 o[4];
#pragma unroll
            for (int s = 0; s < 4; ++s) {
                int8 r8 = (int8)(0);
                if (has_res) {
                    const int8 oh = dwm2_row(blk, s), ow = dwm2_col(s);
                    for (int m = 0; m < 8; ++m)
                        if (oh[m] < DWM_OH && ow[m] < DWM_OW) r8[m] = rc[oh[m] * DWM_OW + ow[m]];
                }
                o[s] = convert_uint8(as_uchar8(epilogue_i8x8q(acc[s], b8, q8, s8, r8, has_res, y_zp, r_zp, r_mult,
                                                              r_shift, lo, hi)));
            }
#pragma unroll
            for (int q = 0; q < 2; ++q) {
                // 16-bit pairs (even, odd column): bytes 2 m', 2 m' + 1 of each row's lanes
                const char16 out = as_char16(convert_ushort8(o[2 * q] | (o[2 * q + 1] << 8)));
                const int oh0 = blk * 2 * DWM_RPS + q * DWM_RPS;
                if (oh0 < DWM_OH) dwq_store_n((uint8)(as_uint4(out), (uint4)(0u)), yc + oh0 * DWM_OW, DWM_OW);
                if (DWM_RPS == 2 && oh0 + 1 < DWM_OH)
                    dwq_store_n((uint8)(as_uint2(out.hi), (uint2)(0u), (uint4)(0u)), yc + (oh0 + 1) * DWM_OW, DWM_OW);
            }
        }
        DWM_WORDS_AFTER(nk);
    }
}
#endif

// global (ceil(N*K / dwconv.opencl.q_map_channels)), one work-item per group (as dwconv_strip_q)
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void dwconv_map_q(DW_I8_STRIP_ARGS DWM_WORDS_ARG) {
    const int nk0 = get_global_id(0) * DWCONV_OPENCL_Q_MAP_CHANNELS;
    dwm_channels(DW_I8_STRIP_NAMES DWM_WORDS_NAME, nk0, nk0 + DWCONV_OPENCL_Q_MAP_CHANNELS);
}
#endif
