// pwdw_q: an int8 inverted-residual block's expansion 1x1 conv and the 3x3 depthwise conv reading it,
// in one launch, on a VNNI device, for the depthwise geometries of dwconv_map_q (whole small maps,
// -DDWM_H) and dwconv_strip_q (wide rows) (launcher backends/opencl/pwdw_q.py, caller
// ops.conv2d.conv2d_pwdw_words, graph/quantize.py).
//
// A work-item owns dwconv.opencl.q_map_channels (G) expanded channels of one sample: it computes
// their whole maps of the 1x1 conv into the expanded tensor (the same bytes conv_pw writes there),
// then the depthwise outputs of those channels from it -- dwconv_map_q's maps (dwm_channels,
// dwconv_map_q.h) or dwconv_strip_q's blocks of 32 columns x q_rows rows (dwq_channel, dwconv_q.h),
// a word's 4 channels at a time -- while the bytes are still in its core's L1/L2. Both results are
// written as the two launches write them -- the expanded tensor, the depthwise output and its words
// for the next 1x1 conv -- so every reader and every recorded value is unchanged; what goes is a
// launch (about 8 us of idle device each on PoCL, plus the depthwise launch's own start-up) per
// block. The launcher takes maps of fewer than conv2d.opencl.pw_nv4_min_pixels pixels: on larger
// ones conv_pw's 4-vector windows beat the 2 vectors of the 1x1 part here (docs/int8.md).
//
// Bit-identical to conv_pw + dwconv_map_q / dwconv_strip_q: integer sums (exact in any order) and the same epilogue
// functions (epilogue_i8x8q with the per-channel constants, vnni_bias for the weight-sum
// correction). The pointwise part reads the packed weights of conv_pw_pack (PW_M = 6 channels per
// block, the weight sums after them) and the input words (N, CQ, P) a producer made (takes_words).
//
// Memory: the depthwise loads of a channel's first and last blocks reach into the neighbouring
// channels' planes (bytes outside the map or past a row's end), which other work-items may be writing
// at that moment; those bytes are always replaced by the code zp (the padding masks), so their
// values never reach a result. The expanded tensor has no restrict pointer (written, then read).
#include "dwconv.cl"

#if !(defined(DW_FIXED) && defined(FPGAOPS_VNNI) && defined(CONV_INT8) && DW_R == 3 && DW_S == 3)
#error "pwdw_q: the launcher passes a fixed 3x3 geometry on a VNNI device"
#endif

#ifdef DW_WORDS  // the depthwise output also as the next 1x1 conv's input words
#define PQ_WORDS_ARG , __global uint* restrict yw
#define PQ_WORDS_NAME , yw
#else
#define PQ_WORDS_ARG
#define PQ_WORDS_NAME
#endif

#define PQ_G DWCONV_OPENCL_Q_MAP_CHANNELS  // expanded channels per work-item (a multiple of 4)
#ifndef PQ_M  // channels per packed weight block: conv2d.cl PW_M, from the launcher (conv2d.py PW_M)
#error "pwdw_q: the launcher passes -DPQ_M"
#endif

// global (N*E / PQ_G): E % PQ_G == 0 (the launcher), so a work-item's channels are one sample's
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void pwdw_q(__global const uint* restrict xw, __global const uint* restrict wp1, __global const int* restrict bias1,
            __global const int* restrict mult1, __global const int* restrict shift1, __global char* ye, int CQ,
            int P, int x_zp1, int has_bias1, int y_zp1, int lo1, int hi1,
            // the depthwise conv on ye: dwconv_map_q's arguments but its input
            __global const char* restrict w, __global const int* restrict bias, __global const char* restrict res,
            __global char* restrict y, __global const int* restrict mult, __global const int* restrict shift, int C,
            int H, int W, int K, int OH, int OW, int PT, int PL, int CMULT, int NK, int x_zp, int has_bias,
            int has_res, int y_zp, int r_zp, int r_mult, int r_shift, int lo, int hi PQ_WORDS_ARG) {
    const int nk0 = get_global_id(0) * PQ_G;
    if (nk0 >= NK) return;
    const int n = nk0 / K, k0 = nk0 - n * K;  // (the 1x1 conv's K is the depthwise's C = K)
    __global const uint* X = xw + (size_t)n * CQ * P;
    const int kblk = (K + PQ_M - 1) / PQ_M;
    __global const uint* wsum = wp1 + (size_t)kblk * CQ * PQ_M;
    // ---- the 1x1 conv: G channels x 16 pixels (two vectors) at a time; P >= 16 (the launcher), the
    // last window shifted back to end at P, storing only the pixels the earlier windows did not
    for (int p0 = 0; p0 < P; p0 += 16) {
        const int pb = min(p0, P - 16);
        int8 acc[PQ_G][2];
#pragma unroll
        for (int g = 0; g < PQ_G; ++g) acc[g][0] = acc[g][1] = (int8)(0);
        for (int cq = 0; cq < CQ; ++cq) {
            const int8 x0 = as_int8(vload8(0, X + (size_t)cq * P + pb));
            const int8 x1 = as_int8(vload8(1, X + (size_t)cq * P + pb));
#pragma unroll
            for (int g = 0; g < PQ_G; ++g) {
                const int k = k0 + g;
                const int8 wv = (int8)((int)wp1[((size_t)(k / PQ_M) * CQ + cq) * PQ_M + k % PQ_M]);
                acc[g][0] = TAP_DOT(acc[g][0], x0, wv);
                acc[g][1] = TAP_DOT(acc[g][1], x1, wv);
            }
        }
#pragma unroll
        for (int g = 0; g < PQ_G; ++g) {
            const int k = k0 + g;
            const int8 b8 = (int8)(vnni_bias(has_bias1 ? bias1[k] : 0, (int)wsum[k], x_zp1));
            const int8 m8 = (int8)(mult1[k]), s8 = (int8)(shift1[k]);
            const Req32 q8 = req32_consts(m8, s8);
            const char8 o0 = epilogue_i8x8q(acc[g][0], b8, q8, s8, (int8)(0), 0, y_zp1, 0, 0, 0, lo1, hi1);
            const char8 o1 = epilogue_i8x8q(acc[g][1], b8, q8, s8, (int8)(0), 0, y_zp1, 0, 0, 0, lo1, hi1);
            __global char* yk = ye + (size_t)(nk0 + g) * P;
            if (pb == p0) {
                VSTORE8_U(char, o0, yk + p0);
                VSTORE8_U(char, o1, yk + p0 + 8);
            } else {  // (once per channel: the map's last window)
                char t[16];
                vstore8(o0, 0, t);
                vstore8(o1, 1, t);
                for (int l = p0 - pb; l < 16; ++l) yk[pb + l] = t[l];
            }
        }
    }
    // ---- the depthwise conv of these channels, from the bytes just stored
#ifdef DWM_H
    dwm_channels(ye, w, bias, res, y, mult, shift, C, H, W, K, OH, OW, PT, PL, CMULT, NK, x_zp, has_bias, has_res,
                 y_zp, r_zp, r_mult, r_shift, lo, hi PQ_WORDS_NAME, nk0, nk0 + PQ_G);
#elif defined(DW_WORDS)
    // dwconv_strip_q's blocks, a word's 4 channels one after the other, then their words
    for (int q = nk0 / 4; q < (nk0 + PQ_G) / 4; ++q)
        for (int ohb = 0; ohb * DWQ_RB < OH; ++ohb)
            for (int owb = 0; owb * 32 < OW; ++owb)
                dwq_word(ye, w, bias, res, y, mult, shift, C, H, W, K, OH, OW, PT, PL, CMULT, NK, x_zp, has_bias,
                         has_res, y_zp, r_zp, r_mult, r_shift, lo, hi, yw, owb, ohb, q);
#else
    for (int nk = nk0; nk < nk0 + PQ_G; ++nk)  // dwconv_strip_q's blocks, channel by channel
        for (int ohb = 0; ohb * DWQ_RB < OH; ++ohb)
            for (int owb = 0; owb * 32 < OW; ++owb)
                dwq_channel(ye, w, bias, res, y, mult, shift, C, H, W, K, OH, OW, PT, PL, CMULT, NK, x_zp, has_bias,
                            has_res, y_zp, r_zp, r_mult, r_shift, lo, hi, owb, ohb, nk);
#endif
}
