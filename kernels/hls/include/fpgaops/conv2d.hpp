// Implicit-GEMM ("im2col") convolution on the GEMM engine's MAC array.
//
// Argument semantics are those of fpgaops.ops.conv2d.ConvCall. Header-only and interface-free: the
// tops in kernels/hls/top/fpgaops_conv2d.cpp add the m_axi / s_axilite pragmas.
//
// ---- the GEMM view --------------------------------------------------------------------------------
// Per batch entry nn and group g, a convolution is the GEMM
//     Y_g[kk][pix] = sum_t W_g[kk][t] * P[t][pix]     kk < Kg, t < Cgp*R*S, pix < OH*OW
// with the reduction index t ordered (cb, i, j, cv): channel block cb of B = gemm.pe channels,
// filter row i, filter column j, channel cv inside the block (the block innermost), and P the
// im2col matrix, P[(cb, i, j, cv)][(p, q)] = X(cb*B + cv, p*sh - pt + i*dh, q*sw - pl + j*dw).
// Cgp = Cg rounded up to B: the host zero-pads the channels of each group (a zero weight times any
// activation adds nothing, also to the int8 zero-point correction below).
//
// ---- layouts (docs/conv_hls.md "Layouts") -------------------------------------------------------
//   x, residual, y   channel-blocked, c innermost: act[nn][g][cb][h][wp][B], B = gemm.pe channels
//            per vector (channels >= Cg / Kg of a group are zero), G = L/B vectors per bus word,
//            rows padded to wp = ceil(w / G) * G vectors so every row starts on a word. A row
//            segment of one channel block is ONE contiguous burst; y of one conv is x of the next.
//   weight   slice-major: w[g][s][kk][TILE_K], K slice s of row kk of group g, t in the same order
//            (zero-padded channels and last slice), so a tile's weight slice is one burst.
// The host launchers convert (fpgaops.backends.csim.conv2d: blocked_act, blocked_weight).
// P is never materialized anywhere: the window generator below produces its TILE_K x TILE_N
// slices on the fly from a line buffer and streams them straight into GemmEngine::compute_tile,
// the same ping-pong MAC array the GEMM kernel uses, in vector-major order (compute_tile<..., B_VEC =
// B>): per slice TILE_K / B vector rows (cb, i, j) of TILE_N channel vectors (B channels of one
// pixel, one per cycle, G = L/B per word; the array's fill stores the words as they arrive, a word
// per cycle, and its MAC half takes SIMD of a vector's B lanes per step), so no transposer is
// needed and the generator emits B = PE channels per cycle, PE/SIMD times what the array consumes
// per step from one pixel. The epilogue writes PE output channels (one vector of y) per cycle.
//
// ---- output tiles ---------------------------------------------------------------------------------
// A tile is TILE_M output channels x a block of output pixels: `tile_rows` consecutive output rows
// of `tile_w` consecutive columns each (tile_rows * tile_w <= TILE_N). Wide images use one row per
// tile (tile_w = min(TILE_N, OW)); narrow ones (OW < TILE_N, the late layers of a CNN) stack
// several whole rows in one tile so the MAC array's TILE_N columns stay busy. Column j of the tile
// is pixel (p0 + j / tile_w, q0 + j % tile_w); columns past the tile's pixels are computed on
// zeros and dropped by the store.
//
// ---- the window generator (line buffer of channel vectors) ------------------------------------------
// For vector row (cb, i) every pixel of output row p reads input row p*sh - pt + i*dh, columns
// [q0*sw - pl, q0*sw - pl + seg_len) with seg_len = (tile_w - 1)*sw + (S - 1)*dw + 1. The line
// buffer holds exactly those tile_rows row segments of channel block cb as whole bus words (G
// vectors each), filled a word per cycle straight from x (one burst per row, padding vectors
// filled in on chip); a row is stored rotated by rot[rr] vectors so that every word of the burst
// lands on one line-buffer word (no realigner, no bank selection). It serves all S taps j:
// P vector (cb, i, j), column (rr, qq) is vector lb[rr][qq*sw + j*dw + rot[rr]]. So x is read
// once per (tile, cb, i). Sizes: conv2d.line_buffer_w >= seg_len, conv2d.line_buffer_rows >=
// tile_rows (conv2d_geometry picks tile_w / tile_rows to fit).
//
// ---- int8 zero point --------------------------------------------------------------------------------
// The MAC array multiplies int8 x int8. Instead of widening the activations to x - zp (9 bits),
// the generator pads with the raw code zp (so a padded tap contributes zp*w) and the epilogue
// subtracts zp * sum_t W[kk][t]:  sum (x - zp) w = sum x w - zp sum w, exactly, in int32 (the sum
// over real and padded taps alike). The row sums come for free: the weights process adds up the
// weight words it already forwards to the MAC array.
//
// ---- processes (one DATAFLOW region per output tile) ------------------------------------------------
//   fetch_x --xw_s--> load_tile (window generator) --b_s--> compute_tile --c_tile--> store_tile --> write_tile
//      |    --job_s-->    ^                        --desc_s->   (MAC)     --done-->            --out_s-->
//      |    --wjob_s--> load_weights ---------------a_s, side_s--^   (weights through two ports: weight, weight_hi)
//      +--xjob_s--> fetch_x_hi --xwh_s--+                             (x through two ports: x, x_hi)
// The weights and the window generator are processes of their own, so the MAC array's fill takes a
// word of each per cycle (compute_tile<..., SPLIT_FILL>) instead of the weight slice and then the P
// slice in series: per K slice TM * TK / L weight words and TK / B * TN vectors run side by side.
#ifndef FPGAOPS_CONV2D_HPP
#define FPGAOPS_CONV2D_HPP

#include <stdint.h>

#include "fpgaops/common.hpp"
#include "fpgaops/gemm.hpp"

namespace fpgaops {
namespace hw {

// ---- configuration ----------------------------------------------------------------------------------
// kernels/config/fpgaops.toml, [conv2d] (and [gemm] for the MAC array).
struct Conv2dConfig {
  typedef GemmConfig Gemm;
  static const int LB_W = cfg::CONV2D_LINE_BUFFER_W;        // longest row segment of the line buffer
  static const int LB_ROWS = cfg::CONV2D_LINE_BUFFER_ROWS;  // output rows stacked in one tile
  static const int WB_WORDS = cfg::CONV2D_WEIGHT_BUFFER_WORDS;  // resident weight tile (bus words)
  static const int STORE_LANES = cfg::CONV2D_STORE_LANES;     // epilogue channels per cycle
};

// Float activation codes (int8 folds the activation into act_min / act_max).
enum ConvAct { CONV_ACT_NONE = 0, CONV_ACT_RELU = 1, CONV_ACT_RELU6 = 2 };

// The scalar arguments of one launch (fpgaops.ops.conv2d.ConvCall).
struct ConvArgs {
  int n, c, h, w, k, r, s, oh, ow;
  int stride_h, stride_w, pad_top, pad_left, dil_h, dil_w, groups;
  bool has_bias, has_residual;
  int act;  // float: ConvAct
  int x_zero_point, y_zero_point, res_zero_point, res_mult, res_shift, act_min, act_max;  // int8
};

// Launch geometry derived once per launch from ConvArgs (conv2d_geometry).
struct ConvGeom {
  int cg, kg, taps, cblocks, crs;     // Cg, Kg, R*S, channel blocks ceil(Cg/B), B*cblocks*R*S (the GEMM's K)
  int kblocks, wp, owp;               // y's channel blocks ceil(Kg/B); x's / y's row pitch (vectors)
  int tile_w, tile_rows, seg_len;     // pixels of a tile, line-buffer segment length
  int tiles_m, tiles_q, tiles_p;      // tiles along Kg, OW, OH
  int pixel_tiles;                    // tiles sharing one weight tile: n * tiles_p * tiles_q
  bool resident;                      // the weight tile (TILE_M rows of crs) fits conv2d.weight_buffer_words
  int n_tiles;
};

// One output tile.
struct ConvTile {
  int nn, g, m0, p0, q0;
};

// The tiling of a launch, or tile_w == 0 when the filter's dilated width exceeds the line buffer.
// Run-time divisions, once per launch.
template <class Cfg, class P>
ConvGeom conv2d_geometry(const ConvArgs& a) {
#pragma HLS INLINE
  const int TN = Cfg::Gemm::TILE_N, TM = Cfg::Gemm::TILE_M, B = Cfg::Gemm::PE;
  const int G = lanes_per_word<typename P::in_t>::value / B;  // channel blocks (vectors) per bus word
  ConvGeom gm;
  gm.cg = a.c / a.groups;
  gm.kg = a.k / a.groups;
  gm.taps = a.r * a.s;
  gm.cblocks = (gm.cg + B - 1) / B;
  gm.crs = gm.cblocks * B * gm.taps;
  gm.kblocks = (gm.kg + B - 1) / B;
  gm.wp = (a.w + G - 1) / G * G;
  gm.owp = (a.ow + G - 1) / G * G;
  const int extent_w = (a.s - 1) * a.dil_w + 1;
  const int cap_w = extent_w <= Cfg::LB_W ? (Cfg::LB_W - extent_w) / a.stride_w + 1 : 0;
  // A tile's columns start on a bus word of y (q0 a multiple of G) unless it spans the whole row.
  const int wide = cmin(TN, cap_w);
  gm.tile_w = a.ow <= wide ? a.ow : wide / G * G;
  // Whole output rows fit a tile: stack as many as the MAC array's columns and the buffer allow.
  gm.tile_rows = gm.tile_w == a.ow ? cmin(cmin(TN / a.ow, Cfg::LB_ROWS), a.oh) : 1;
  gm.seg_len = gm.tile_w > 0 ? (gm.tile_w - 1) * a.stride_w + extent_w : 0;
  gm.tiles_m = (gm.kg + TM - 1) / TM;
  gm.tiles_q = gm.tile_w > 0 ? (a.ow + gm.tile_w - 1) / gm.tile_w : 0;
  gm.tiles_p = (a.oh + gm.tile_rows - 1) / gm.tile_rows;
  gm.pixel_tiles = a.n * gm.tiles_p * gm.tiles_q;
  gm.n_tiles = a.groups * gm.tiles_m * gm.pixel_tiles;
  const int lanes = lanes_per_word<typename P::in_t>::value;
  gm.resident = TM * ((gm.crs + Cfg::Gemm::TILE_K - 1) / Cfg::Gemm::TILE_K) *
                    ((Cfg::Gemm::TILE_K + lanes - 1) / lanes) <= Cfg::WB_WORDS;
  return gm;
}

// ---- dtype / epilogue policies ----------------------------------------------------------------------
// Per output channel constants of the epilogue.
template <typename Acc>
struct ConvChannel {
  Acc add;        // float: bias; int8: bias - x_zp * sum(weights of the channel)
  int32_t mult;   // int8 requantization
  int32_t shift;
};

// float32: y = act(acc + bias + residual).
struct ConvF32 {
  typedef GemmF32 gemm_t;
  typedef float in_t;
  typedef float acc_t;
  typedef float out_t;
  typedef float bias_t;
  static const bool ZERO_POINT = false;  // no weight row sums needed
  static in_t pad_value(const ConvArgs&) { return 0.0f; }
  // mult / shift are not used (the float top has no such ports).
  static ConvChannel<acc_t> channel(const bias_t* bias, const int32_t*, const int32_t*, int kk, acc_t,
                                    const ConvArgs& a) {
    ConvChannel<acc_t> ch;
    ch.add = a.has_bias ? bias[kk] : 0.0f;
    ch.mult = 0;
    ch.shift = 0;
    return ch;
  }
  static out_t epilogue(acc_t acc, const ConvChannel<acc_t>& ch, out_t res, const ConvArgs& a) {
    float v = acc + ch.add;
    if (a.has_residual) v += res;
    // Written so that NaN passes through, as in the reference (np.maximum / np.clip) and torch.
    if (a.act != CONV_ACT_NONE) v = v < 0.0f ? 0.0f : v;
    if (a.act == CONV_ACT_RELU6) v = v > 6.0f ? 6.0f : v;
    return v;
  }
};

// The one requantization rule (fpgaops.quant): (a * m + (s > 0 ? 1 << (s - 1) : 0)) >> s, arithmetic
// shift; a an A_BITS-bit value, so the multiply is A_BITS x 32 bits (the DSPs it takes follow the
// width: estimator params.mul_dsps); m in [0, 2^31), s in [0, 62], so the sum stays below 2^63.
template <int A_BITS>
inline int64_t requantize(ap_int<A_BITS> a, int32_t m, int32_t s) {
#pragma HLS INLINE
  const int64_t round = s > 0 ? (int64_t(1) << (s - 1)) : int64_t(0);
  return (int64_t(ap_int<A_BITS + 32>(a) * ap_int<32>(m)) + round) >> s;
}

// int8: v = requantize(acc + bias, mult, shift) + y_zp [+ requantize(res - res_zp, res_mult,
// res_shift)], clamped to [act_min, act_max]. acc + bias wraps like int32 (computed in uint32).
struct ConvI8 {
  typedef GemmI8 gemm_t;
  typedef int8_t in_t;
  typedef int32_t acc_t;
  typedef int8_t out_t;
  typedef int32_t bias_t;
  static const bool ZERO_POINT = true;
  static in_t pad_value(const ConvArgs& a) { return in_t(a.x_zero_point); }
  static ConvChannel<acc_t> channel(const bias_t* bias, const int32_t* mult, const int32_t* shift, int kk,
                                    acc_t wsum, const ConvArgs& a) {
    ConvChannel<acc_t> ch;
    const uint32_t b = a.has_bias ? uint32_t(bias[kk]) : 0u;
    ch.add = lane_traits<int32_t>::from_bits(uint32_t(b - uint32_t(a.x_zero_point) * uint32_t(wsum)));
    ch.mult = mult[kk];
    ch.shift = shift[kk];
    return ch;
  }
  static out_t epilogue(acc_t acc, const ConvChannel<acc_t>& ch, out_t res, const ConvArgs& a) {
    const int32_t acc32 = lane_traits<int32_t>::from_bits(uint32_t(acc) + uint32_t(ch.add));
    int64_t v = requantize<32>(acc32, ch.mult, ch.shift) + a.y_zero_point;
    // res_zero_point is int8 (the top asserts it), so the difference is 9 bits and its multiply a
    // 9 x 32-bit one (2 DSP48E2, not the 4 of an int32 x int32)
    if (a.has_residual) v += requantize<9>(ap_int<9>(int(res) - a.res_zero_point), a.res_mult, a.res_shift);
    v = v < a.act_min ? int64_t(a.act_min) : v;
    v = v > a.act_max ? int64_t(a.act_max) : v;
    return out_t(v);
  }
};

// ---- the engine -----------------------------------------------------------------------------------------
template <class Cfg, class P>
struct ConvEngine {
  typedef typename P::in_t in_t;
  typedef typename P::acc_t acc_t;
  typedef typename P::out_t out_t;
  typedef typename P::bias_t bias_t;
  typedef GemmEngine<typename Cfg::Gemm, typename P::gemm_t> Mac;  // the shared MAC array
  typedef typename Mac::in_word_t in_word_t;
  typedef lanes_t<out_t> out_word_t;

  static const int TM = Mac::TM;
  static const int TN = Mac::TN;
  static const int TK = Mac::TK;
  static const int LB_W = Cfg::LB_W;
  static const int LB_ROWS = Cfg::LB_ROWS;
  static const int L_IN = Mac::L_IN;
  static const int L_OUT = lanes_per_word<out_t>::value;
  static const int WPR_K = Mac::WPR_K;  // words of one weight row segment (TILE_K elements)
  static const int WPR_N = Mac::WPR_N;  // words of one P row (TILE_N elements)
  static const int PE = Mac::PE;
  static const int SIMD = Mac::SIMD;
  static const int B = PE;                     // channels per vector: the activations' channel block
  static const int G = L_IN / B;               // vectors (pixels of one block) per bus word
  static const int LOG2_G = ilog2(G);
  static const int VR = TK / B;                // vector rows (cb, i, j) per K slice
  static const int LB_WW = ceil_div(LB_W, G) + 1;  // words of a line-buffer row (+1: the rotation)
  static const int RUN_WORDS = ceil_div(TN, G) + 1;  // y / residual words of one store run
  // The epilogue (a 32 x 32-bit requantization, with a residual also a 9 x 32-bit one, per channel:
  // the widest multipliers of the CU) runs SL = min(conv2d.store_lanes, B) channels per cycle, a
  // vector of B channels in R = B / SL cycles: SL need not exceed what the y port takes per cycle
  static const int SL = cmin(Cfg::STORE_LANES, B);
  static const int R = B / SL;
  // fetch_x -> load_tile: x words of the line-buffer fills. Deep enough for one fill of a stride-1
  // or stride-2 tile (a tile's TN pixels are <= 2 * TN / G words at stride 2, plus the filter's
  // overhang and the rotation, two words per row), so the fetch reads the next fill through the
  // narrow port while the generator emits the current one; capped by the line buffer itself.
  static const int XW_DEPTH = cmin(LB_ROWS * LB_WW, 2 * ceil_div(TN, G) + 2 * LB_ROWS);
  // fetch_x / fetch_x_hi: the first ceil(n / 2) words of a row's burst through x, the rest through
  // x_hi, each into a FIFO of its own (XW_DEPTH / 2 + 1 deep: half of every row)
  static const int XWH_DEPTH = XW_DEPTH / 2 + 1;
  static const int HALF_WW = LB_WW / 2 + 1;  // the longer half of a row's burst, at most
  static const int MAX_SLICES = Mac::MAX_SLICES;
  static const int MAX_TILES = Mac::MAX_TILES;

  static_assert(LB_W >= 1 && LB_W <= 65536, "conv2d.line_buffer_w must be in [1, 65536]");
  static_assert(LB_ROWS >= 1 && LB_ROWS <= TN, "conv2d.line_buffer_rows must be in [1, gemm.tile_n]");
  static_assert(SL >= 1 && B % SL == 0, "conv2d.store_lanes must divide gemm.pe (or exceed it)");
  static const int WB_WORDS = Cfg::WB_WORDS;
  static const int HI_WORDS = TM * WPR_K / 2;  // load_weights' second-port half of a slice (floor)
  static_assert(WB_WORDS >= 1 && (WB_WORDS & (WB_WORDS - 1)) == 0,
                "conv2d.weight_buffer_words must be a power of two >= 1");
  static_assert(WPR_N * L_IN == TN, "gemm.tile_n must be a multiple of the lanes of an AXI word (the window "
                "generator emits whole words of P)");

  static_assert(L_IN % B == 0, "conv2d: gemm.pe must divide the lanes of an AXI word of the dtype (the "
                "activations' channel block is gemm.pe channels, a whole number per word)");
  static_assert(B % SIMD == 0, "conv2d: gemm.simd must divide gemm.pe (SIMD sub-vectors of a channel block)");
  static_assert(L_OUT == L_IN, "conv2d: x and y share one element type");
  static_assert(TK % L_IN == 0, "conv2d: gemm.tile_k must be a multiple of the lanes of an AXI word of the dtype "
                "(the weights' K slices are whole words)");

  // What store_tile needs of a tile, passed down the pipeline with it (canonical dataflow: the
  // launch's scalars are read by fetch_x alone), and the tile's weight row sums (int8 zero point),
  // known only once the weights went by.
  struct Desc {
    int nk;
    int cols;  // the tile's pixels: columns the MAC array computes (a prefix of its TILE_N)
    int rows;  // the tile's output channels below Kg: rows the MAC array computes (a prefix of TILE_M)
    int k_len;  // the GEMM's K, crs (the last slice's length follows)
    int sv;     // SIMD sub-vectors of a channel vector that hold channels: ceil(Cg / SIMD) when one
                // channel block holds them all (Cg < B), else every one, B / SIMD
    bool new_weights;  // the first pixel tile of its weight tile (store_tile reloads the channel constants)
    ConvArgs a;
    ConvGeom gm;
    ConvTile tl;
  };
  struct Side {
    acc_t wsum[TM];
  };
  // fetch_x -> load_tile, load_weights: the launch's scalars and the tile (fetch_x is the one process
  // that reads them).
  struct Job {
    ConvArgs a;
    ConvGeom gm;
    int t;
  };
  // Where row rr of the line-buffer fill for (channel block plane, filter row i) comes from and goes
  // (fill_row): x's first word and the count read (in_words, 0 for a row in the padding), the
  // line-buffer word u0 of the first, the row's words n_words, its rotation rt, and the vector slots
  // [lane_lo, lane_hi) counted from word u0 that hold image vectors.
  struct RowFill {
    int first, in_words, u0, n_words, rt, lane_lo, lane_hi;
    int lo_words;  // the burst's first ceil(in_words / 2) words, read through x; the rest through x_hi
  };

  // Which output tile: the weight tile (group, channel tile) outermost, its pixel tiles inside
  // (columns fastest, then rows, then batch), so a weight tile held on chip serves all its pixel
  // tiles in a row (load_tile). The only run-time divisions of the tile loop, once per tile.
  // first_of_weights: the tile is the first of its weight tile (the weights come from DDR).
  static void tile_coords(int t, ConvGeom gm, ConvTile& tl, bool& first_of_weights) {
#pragma HLS INLINE
    const int wt = t / gm.pixel_tiles;
    const int pix = t - wt * gm.pixel_tiles;
    first_of_weights = pix == 0;
    tl.g = wt / gm.tiles_m;
    tl.m0 = (wt - tl.g * gm.tiles_m) * TM;
    int q = pix / gm.tiles_q;
    tl.q0 = (pix - q * gm.tiles_q) * gm.tile_w;
    tl.nn = q / gm.tiles_p;
    tl.p0 = (q - tl.nn * gm.tiles_p) * gm.tile_rows;
  }

  // The word assembled by the window generator and by the epilogue: a shift register of B-lane
  // vectors, each new vector entering at the top lanes (the oldest leaves at lane 0), so after G
  // vectors the word holds them in order and no lane is selected at run time on the write side.
  template <typename T>
  static void shift_in(lanes_t<T>& word, const T vec[B]) {
#pragma HLS INLINE
  SHIFT_DOWN:
    for (int l = 0; l < L_IN - B; l++) {
#pragma HLS UNROLL
      word.v[l] = word.v[l + B];
    }
  SHIFT_TOP:
    for (int l = 0; l < B; l++) {
#pragma HLS UNROLL
      word.v[L_IN - B + l] = vec[l];
    }
  }

  // ---- the line-buffer fill's geometry (fetch_x and fill_lines agree on it) -------------------------
  // Row rr of the fill for vector row (cb, i): tile_rows row segments of seg_len vectors of channel
  // block cb (x's plane `plane`), the part inside the image ONE burst of whole words per row
  // (x[first .. first + in_words)); row rr is stored rotated by rt vectors, chosen so that burst
  // word r lands on line-buffer word u0 + r whole; line-buffer words before / after the burst
  // (padding columns only) are pad words.
  static RowFill fill_row(int plane, int i, int rr, const ConvArgs& a, const ConvGeom& gm, const ConvTile& tl) {
#pragma HLS INLINE
    const int w_lo = tl.q0 * a.stride_w - a.pad_left;  // image column of segment column 0
    const int lo = w_lo > 0 ? w_lo : 0;
    const int hi = cmin(a.w, w_lo + gm.seg_len);
    const int skip = lo - w_lo;  // leading padding columns of the segment
    const int p = tl.p0 + rr;
    const int h_in = p * a.stride_h - a.pad_top + i * a.dil_h;
    const bool row_in = p < a.oh && h_in >= 0 && h_in < a.h;
    const int len = row_in && hi > lo ? hi - lo : 0;       // vectors inside the image
    const int vec0 = len > 0 ? (plane * a.h + h_in) * gm.wp + lo : 0;  // x's vector index of the first
    const int sh = vec0 & (G - 1);                         // its place in its bus word
    RowFill f;
    f.first = vec0 >> LOG2_G;
    f.rt = (sh - skip) & (G - 1);                          // segment column c -> line-buffer vector c + rt
    f.u0 = len > 0 ? (skip + f.rt - sh) >> LOG2_G : 0;     // line-buffer word of burst word 0
    f.in_words = len > 0 ? (sh + len + G - 1) >> LOG2_G : 0;
    f.lo_words = f.in_words - (f.in_words >> 1);
    f.n_words = (f.rt + gm.seg_len + G - 1) >> LOG2_G;
    f.lane_lo = sh;                                        // first image vector's slot counted from word u0
    f.lane_hi = sh + len;                                  // one past the last
    return f;
  }

  // ---- processes 1a, 1b: fetch_x, fetch_x_hi (the x reads of the line-buffer fills) -----------------
  // Every fill of the tile in load_tile's order -- each (channel block cb, filter row i) once, cb
  // outermost, as the reduction order t = ((cb*R + i)*S + j)*B + c visits them -- row by row, each
  // row's burst of in_words words cut in two: the first ceil(in_words / 2) through `x` (fetch_x,
  // into xw_s), the rest through `x_hi` (fetch_x_hi, into xwh_s), the same buffer through a second
  // m_axi port (on the Zynq a second PS port: each one is 128 bits, a quarter of the bus word), so
  // the two halves of a row arrive at once. Processes of their own so that x's bursts run ahead of
  // the window generator by up to a FIFO's depth instead of in series with it. fetch_x is the one
  // reader of the launch's scalars; load_tile, load_weights and fetch_x_hi get them (and the tile)
  // through job_s, wjob_s and xjob_s.
  template <bool HI>
  static void fetch_half(const word_t* x, const Job& job, hls::stream<in_word_t>& out_s) {
#pragma HLS INLINE
    const ConvArgs& a = job.a;
    const ConvGeom& gm = job.gm;
    ConvTile tl;
    bool first_of_weights;
    tile_coords(job.t, gm, tl, first_of_weights);
    const int plane0 = (tl.nn * a.groups + tl.g) * gm.cblocks;
  FETCH_BLOCKS:
    for (int cb = 0; cb < gm.cblocks; cb++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_SLICES
    FETCH_FILTER_ROWS:
      for (int i = 0; i < a.r; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_SLICES
      FETCH_ROWS:
        for (int rr = 0; rr < gm.tile_rows; rr++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=LB_ROWS
          const RowFill f = fill_row(plane0 + cb, i, rr, a, gm, tl);
          const int first = HI ? f.first + f.lo_words : f.first;
          const int n = HI ? f.in_words - f.lo_words : f.lo_words;
          FPGAOPS_CYCLES_LOOP(n);
        FETCH_WORDS:
          for (int r = 0; r < n; r++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=0 max=HALF_WW
            FPGAOPS_CYCLES_ITER();
            out_s.write(unpack<in_t>(x[first + r]));
          }
        }
      }
    }
  }

  static void fetch_x(const word_t* x, ConvArgs a, ConvGeom gm, int t, hls::stream<in_word_t>& xw_s,
                      hls::stream<Job>& job_s, hls::stream<Job>& wjob_s, hls::stream<Job>& xjob_s) {
    FPGAOPS_CYCLES_PROCESS("fetch", 1, Mac::LOAD_DEPTH);
    Job job;
    job.a = a, job.gm = gm, job.t = t;
    job_s.write(job);
    wjob_s.write(job);
    xjob_s.write(job);
    fetch_half<false>(x, job, xw_s);
  }

  static void fetch_x_hi(const word_t* x_hi, hls::stream<Job>& xjob_s, hls::stream<in_word_t>& xwh_s) {
    FPGAOPS_CYCLES_PROCESS("fetch_hi", 1, Mac::LOAD_DEPTH);
    const Job job = xjob_s.read();
    fetch_half<true>(x_hi, job, xwh_s);
  }

  // ---- process 2: load_weights ------------------------------------------------------------------------
  // Per K slice the weight slice, TILE_M rows of TILE_K (WPR_K words each, a word per cycle; rows
  // past Kg are zero words), row sums on the way for int8; after the last slice, the TILE_M row sums.
  //
  // Resident weights: when the tile's weight tile (TILE_M rows of all nk slices) fits wbuf
  // (gm.resident), the first pixel tile of a weight tile reads it from DDR (one burst per slice)
  // and keeps a copy in wbuf; the following pixel tiles of the same weight tile (tile_coords puts
  // them next) send it from wbuf instead, a word per cycle either way. So weights cross the DDR
  // port once per weight tile, not once per pixel tile. wbuf is only ever touched by this process
  // (one reader and writer in the DATAFLOW region; its iterations run in order).
  //
  // Two ports: on the DDR path the slice's tm * WPR_K words come through two m_axi bundles at once,
  // the first half (ceil) through `wt` and the second through `wt_hi` (the same buffer, a second
  // port: on the Zynq a second PS port, each one 128 bits wide), so a slice takes half the port
  // time. The first half goes on as it arrives (LOAD_W_PAIRS, LOAD_W_ODD); the second waits in
  // hi_buf and follows (LOAD_W_HI), so a_s still gets the words in order.
  // One word of the slice, in order: into wbuf when it is being made resident, to the MAC array,
  // and (int8) into its row's sum.
  static void take_weight(const in_word_t& word, int idx, bool keep, in_word_t wbuf[WB_WORDS],
                          hls::stream<in_word_t>& a_s, acc_t wsum[TM], acc_t& part, int& rw, int& wd) {
#pragma HLS INLINE
    if (keep) wbuf[idx & (WB_WORDS - 1)] = word;
    a_s.write(word);
    acc_t sum = 0;
    if (P::ZERO_POINT) {
    LOAD_W_SUM:
      for (int l = 0; l < L_IN; l++) {
#pragma HLS UNROLL
        sum += acc_t(word.v[l]);
      }
    }
    part += sum;
    if (wd + 1 == WPR_K) {  // the row's last word: its sum joins the row's total
      wsum[rw] += part;
      part = 0;
      wd = 0;
      rw++;
    } else {
      wd++;
    }
  }

  static void load_weights(hls::stream<Job>& wjob_s, const word_t* wt, const word_t* wt_hi,
                           in_word_t wbuf[WB_WORDS], hls::stream<in_word_t>& a_s, hls::stream<Side>& side_s) {
    FPGAOPS_CYCLES_PROCESS("weights", 1, Mac::LOAD_DEPTH);
    const Job job = wjob_s.read();
    const ConvGeom& gm = job.gm;
    ConvTile tl;
    bool first_of_weights;
    tile_coords(job.t, gm, tl, first_of_weights);
    const bool from_ddr = !gm.resident || first_of_weights;
    const bool keep = from_ddr && gm.resident;
    const int nk = (gm.crs + TK - 1) / TK;
    const int tm = cmin(TM, gm.kg - tl.m0);
    acc_t wsum[TM];
    FPGAOPS_CYCLES_LOOP(TM);
  WSUM_CLEAR:
    for (int i = 0; i < TM; i++) {
#pragma HLS PIPELINE II=1
      FPGAOPS_CYCLES_ITER();
      wsum[i] = 0;
    }
    in_word_t hi_buf[HI_WORDS];
  WEIGHT_SLICES:
    for (int ks = 0; ks < nk; ks++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_SLICES
      // The tile's tm rows of TILE_K are one contiguous run of whole words in the slice-major
      // weight layout, read as two bursts, one per port; rows past Kg are zero words.
      const int wfirst = ((tl.g * nk + ks) * gm.kg + tl.m0) * WPR_K;
      const int wres = ks * TM * WPR_K;  // the slice's rows in wbuf
      const int n = tm * WPR_K;
      acc_t part = 0;
      int rw = 0, wd = 0;
      if (from_ddr) {
        // lo = ceil(n / 2) words through wt, hi = floor(n / 2) through wt_hi. Every m_axi read is
        // unconditional in its loop (a conditional access prevents burst inference, UG1448 214-232):
        // the pairs, then the odd word of lo, if any, then the hi words from hi_buf.
        const int hi = n >> 1, lo = n - hi;
        FPGAOPS_CYCLES_LOOP(hi);
      LOAD_W_PAIRS:
        for (int e = 0; e < hi; e++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=0 max=HI_WORDS
#pragma HLS DEPENDENCE variable=wsum type=inter false
          FPGAOPS_CYCLES_ITER();
          hi_buf[e] = unpack<in_t>(wt_hi[wfirst + lo + e]);
          take_weight(unpack<in_t>(wt[wfirst + e]), wres + e, keep, wbuf, a_s, wsum, part, rw, wd);
        }
        FPGAOPS_CYCLES_LOOP(lo - hi);
      LOAD_W_ODD:
        for (int e = hi; e < lo; e++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=0 max=1
#pragma HLS DEPENDENCE variable=wsum type=inter false
          FPGAOPS_CYCLES_ITER();
          take_weight(unpack<in_t>(wt[wfirst + e]), wres + e, keep, wbuf, a_s, wsum, part, rw, wd);
        }
        FPGAOPS_CYCLES_LOOP(hi);
      LOAD_W_HI:
        for (int e = 0; e < hi; e++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=0 max=HI_WORDS
#pragma HLS DEPENDENCE variable=wsum type=inter false
          FPGAOPS_CYCLES_ITER();
          take_weight(hi_buf[e], wres + lo + e, keep, wbuf, a_s, wsum, part, rw, wd);
        }
      } else {
        FPGAOPS_CYCLES_LOOP(n);
      LOAD_W_WORDS:
        for (int e = 0; e < n; e++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=WPR_K max=TM*WPR_K
#pragma HLS DEPENDENCE variable=wsum type=inter false
          FPGAOPS_CYCLES_ITER();
          take_weight(wbuf[(wres + e) & (WB_WORDS - 1)], wres + e, false, wbuf, a_s, wsum, part, rw, wd);
        }
      }
      FPGAOPS_CYCLES_LOOP((TM - tm) * WPR_K);
    LOAD_W_ZERO:
      for (int e = tm * WPR_K; e < TM * WPR_K; e++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=0 max=TM*WPR_K
        FPGAOPS_CYCLES_ITER();
        a_s.write(zero_lanes<in_t>());
      }
    }
    Side side;
  WSUM_OUT:
    for (int i = 0; i < TM; i++) {
#pragma HLS UNROLL
      side.wsum[i] = wsum[i];
    }
    side_s.write(side);
  }

  // ---- process 3: load (the window generator) --------------------------------------------------------
  // Fill the line buffer for vector row (cb, i) (geometry: fill_row), a bus word (G vectors) per
  // cycle: the image part from xw_s then xwh_s (the row's two halves, fetch_x's and fetch_x_hi's
  // words), written as read with its vectors outside the segment's image part replaced by the pad
  // vector; pad words around it.
  static void fill_lines(hls::stream<in_word_t>& xw_s, hls::stream<in_word_t>& xwh_s, in_word_t lb[LB_ROWS][LB_WW],
                         int rot[LB_ROWS], int plane, int i, ConvArgs a, ConvGeom gm, ConvTile tl) {
    const in_t pad = P::pad_value(a);
    in_word_t pad_word;
  FILL_PAD_LANES:
    for (int l = 0; l < L_IN; l++) {
#pragma HLS UNROLL
      pad_word.v[l] = pad;
    }
  FILL_ROWS:
    for (int rr = 0; rr < gm.tile_rows; rr++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=LB_ROWS
      const RowFill f = fill_row(plane, i, rr, a, gm, tl);
      rot[rr] = f.rt;
      FPGAOPS_CYCLES_LOOP(f.u0);
    FILL_PAD_HEAD:
      for (int u = 0; u < f.u0; u++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=0 max=LB_WW
        FPGAOPS_CYCLES_ITER();
        lb[rr][u] = pad_word;
      }
      FPGAOPS_CYCLES_LOOP(f.in_words);
    FILL_WORDS:
      for (int r = 0; r < f.in_words; r++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=LB_WW
        FPGAOPS_CYCLES_ITER();
        const in_word_t word = r < f.lo_words ? xw_s.read() : xwh_s.read();
        in_word_t out;
      FILL_GROUPS:
        for (int g = 0; g < G; g++) {
#pragma HLS UNROLL
          const int slot = r * G + g;  // vector slot counted from word u0
          const bool inside = slot >= f.lane_lo && slot < f.lane_hi;
        FILL_LANES:
          for (int l = 0; l < B; l++) {
#pragma HLS UNROLL
            out.v[g * B + l] = inside ? word.v[g * B + l] : pad;
          }
        }
        lb[rr][f.u0 + r] = out;
      }
      const int tail0 = f.u0 + f.in_words;
      FPGAOPS_CYCLES_LOOP(f.n_words - tail0);
    FILL_PAD_TAIL:
      for (int u = tail0; u < f.n_words; u++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=0 max=LB_WW
        FPGAOPS_CYCLES_ITER();
        lb[rr][u] = pad_word;
      }
    }
  }

  // Vector row (cb, i, j) of the P slice: the TILE_N channel vectors (B channels) lb qq*sw + j*dw +
  // rot[rr] of the tile's columns (rr, qq), one per cycle, G pixels per word into b_s
  // (compute_tile's vector-major order, B_VEC = B). valid == false: a row past the GEMM's K (the
  // last slice), all zeros. The word is a shift register (shift_in); the read selects one of the G
  // vectors of the line-buffer word (a lane multiplexer on the word read, not a choice of memory
  // bank; none when G = 1).
  static void emit_row(const in_word_t lb[LB_ROWS][LB_WW], const int rot[LB_ROWS], int j, bool valid,
                       ConvArgs a, ConvGeom gm, hls::stream<in_word_t>& b_s) {
    const int cols = valid ? gm.tile_rows * gm.tile_w : 0;
    int rr = 0, qq = 0, eg = 0;
    int base = j * a.dil_w;  // segment column of (qq, j)
    in_word_t word = zero_lanes<in_t>();
    FPGAOPS_CYCLES_LOOP(TN);
  EMIT_VECTORS:
    for (int e = 0; e < TN; e++) {
#pragma HLS PIPELINE II=1
      FPGAOPS_CYCLES_ITER();
      const int pos = base + rot[rr];
      const in_word_t src = lb[rr][pos >> LOG2_G];
      const int lane0 = (pos & (G - 1)) * B;  // first lane of the vector in the word
      in_t vec[B];
#pragma HLS ARRAY_PARTITION variable=vec type=complete dim=1
    EMIT_LANES:
      for (int l = 0; l < B; l++) {
#pragma HLS UNROLL
        vec[l] = e < cols ? src.v[(lane0 + l) & (L_IN - 1)] : in_t(0);
      }
      shift_in<in_t>(word, vec);
      if (eg + 1 == G) b_s.write(word);
      eg = eg + 1 == G ? 0 : eg + 1;
      if (qq + 1 < gm.tile_w) {
        qq++;
        base += a.stride_w;
      } else {
        qq = 0;
        base = j * a.dil_w;
        rr = rr + 1 < LB_ROWS ? rr + 1 : 0;  // only reaches tile_rows while e < cols
      }
    }
  }

  // Per K slice the P slice from the line buffer: TILE_K / B vector rows of TILE_N channel vectors,
  // in compute_tile's vector-major fill order.
  static void load_tile(hls::stream<in_word_t>& xw_s, hls::stream<in_word_t>& xwh_s, hls::stream<Job>& job_s,
                        hls::stream<in_word_t>& b_s, hls::stream<Desc>& desc_s) {
    FPGAOPS_CYCLES_PROCESS("load", 1, Mac::LOAD_DEPTH);
    const Job job = job_s.read();
    const ConvArgs& a = job.a;
    const ConvGeom& gm = job.gm;
    ConvTile tl;
    bool first_of_weights;
    tile_coords(job.t, gm, tl, first_of_weights);
    Desc d;
    d.nk = (gm.crs + TK - 1) / TK;
    // Column j of the tile is pixel (p0 + j / tile_w, q0 + j % tile_w); stacked rows are whole rows
    // (tile_w == OW), so the valid columns are always a prefix: the full rows, then q_n.
    const int q_n = cmin(gm.tile_w, a.ow - tl.q0);
    const int nr = cmin(gm.tile_rows, a.oh - tl.p0);
    d.cols = (nr - 1) * gm.tile_w + q_n;
    d.rows = cmin(TM, gm.kg - tl.m0);
    d.k_len = gm.crs;
    d.new_weights = first_of_weights;
    d.sv = gm.cblocks == 1 ? (gm.cg + SIMD - 1) / SIMD : B / SIMD;
    d.a = a, d.gm = gm, d.tl = tl;
    desc_s.write(d);
    const int plane0 = (tl.nn * a.groups + tl.g) * gm.cblocks;
    // One bus word (G channel vectors) per entry: written a word per cycle by the fill, read a
    // word per cycle by the emitter; fill and emit never overlap (the refill, once per S vector
    // rows, stalls the emitter), so a plain dual-port RAM suffices.
    in_word_t lb[LB_ROWS][LB_WW];
    int rot[LB_ROWS];
#pragma HLS ARRAY_PARTITION variable=rot type=complete dim=1
  ROT_CLEAR:
    for (int rr = 0; rr < LB_ROWS; rr++) {
#pragma HLS UNROLL
      rot[rr] = 0;  // rows a tile does not fill are read (and dropped) by emit_row's padding columns
    }
    int lb_tag = -1;  // cb * R + i held in lb
  LOAD_SLICES:
    for (int k0 = 0; k0 < gm.crs; k0 += TK) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_SLICES
      const int tk = cmin(TK, gm.crs - k0);  // a multiple of B
      // Position (cb, i, j) of vector row k0 / B (t = ((cb*R + i)*S + j)*B + cv): divisions once
      // per slice, counters inside.
      const int vr0 = k0 / B;  // a power of two: a shift
      int cb = vr0 / gm.taps;
      const int rem = vr0 - cb * gm.taps;
      int i = rem / a.s;
      int j = rem - i * a.s;
    LOAD_P_ROWS:
      for (int kr = 0; kr < VR; kr++) {
#pragma HLS LOOP_TRIPCOUNT min=VR max=VR
        const bool valid = kr * B < tk;
        if (valid && cb * a.r + i != lb_tag) {
          fill_lines(xw_s, xwh_s, lb, rot, plane0 + cb, i, a, gm, tl);
          lb_tag = cb * a.r + i;
        }
        emit_row(lb, rot, j, valid, a, gm, b_s);
        if (j + 1 < a.s) {
          j++;
        } else {
          j = 0;
          if (i + 1 < a.r) {
            i++;
          } else {
            i = 0;
            cb++;
          }
        }
      }
    }
  }

  // ---- process 4: epilogue ----------------------------------------------------------------------------
  // y and residual are channel-blocked like x (B = gemm.pe channels per vector, rows padded to whole
  // words: y[nn][g][kb][p][owp][B]). A tile's output is, per channel block kb and output row, one
  // run of q_n vectors starting on a word (q0 is a multiple of G): ceil(q_n / G) words. Per run:
  // the residual words (one burst), then one vector per R cycles (STORE_VECS): the B channels of one
  // pixel from c_tile's B = PE banks, SL = conv2d.store_lanes epilogues per cycle (chunk c reads
  // banks c * SL + l: an R:1 mux per lane, constant banks when R = 1), shifted into the output word,
  // which goes to the writer every G vectors. Vectors past the row and channels past Kg are zeros.
  // The channel constants (bias, requantization) of the tile's TM channels depend on its weight
  // tile only (the int8 ones on the weight row sums too), so they are read at the first pixel tile
  // of each weight tile (STORE_CHANNELS: three reads of the one bundle per channel, II = 3) into
  // ch, which the tile loop keeps across its DATAFLOW iterations for the following pixel tiles
  // (tile_coords puts them next; ch has this process as its one reader and writer).
  static void store_tile(const bias_t* bias, const int32_t* mult, const int32_t* shift, const word_t* residual,
                         const acc_t c_tile[TM][TN], ConvChannel<acc_t> ch[TM], hls::stream<Desc>& desc_s,
                         hls::stream<Side>& side_s, hls::stream<in_word_t>& out_s, hls::stream<Desc>& wdesc_s) {
    FPGAOPS_CYCLES_PROCESS("store", 1, Mac::STORE_DEPTH);
    const Desc d = desc_s.read();
    const Side side = side_s.read();
    wdesc_s.write(d);
    const ConvArgs& a = d.a;
    const ConvGeom& gm = d.gm;
    const ConvTile& tl = d.tl;
    const int tm = cmin(TM, gm.kg - tl.m0);
    const int q_n = cmin(gm.tile_w, a.ow - tl.q0);
    const int words = (q_n + G - 1) >> LOG2_G;
    ConvChannel<acc_t> none;  // channels past Kg: computed, then masked to zero
    none.add = 0, none.mult = 0, none.shift = 0;
    if (d.new_weights) {
      FPGAOPS_CYCLES_LOOP(TM);
    STORE_CHANNELS:
      for (int i = 0; i < TM; i++) {
#pragma HLS PIPELINE II=3
        FPGAOPS_CYCLES_ITERS(3);
        ch[i] = i < tm ? P::channel(bias, mult, shift, tl.g * gm.kg + tl.m0 + i, side.wsum[i], a) : none;
      }
    }
    const int kb_n = (tm + B - 1) / B;
    const int plane0 = (tl.nn * a.groups + tl.g) * gm.kblocks + tl.m0 / B;
  STORE_BLOCKS:
    for (int kb = 0; kb < kb_n; kb++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=TM/PE
    STORE_ROWS:
      for (int rr = 0; rr < gm.tile_rows; rr++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=LB_ROWS
        const int p = tl.p0 + rr;
        if (p < a.oh) {
          const int first = (((plane0 + kb) * a.oh + p) * gm.owp + tl.q0) >> LOG2_G;  // word of the run
          in_word_t res_row[RUN_WORDS];
          if (a.has_residual) {
            FPGAOPS_CYCLES_LOOP(words);
          STORE_RES_READ:
            for (int w = 0; w < words; w++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=RUN_WORDS
              FPGAOPS_CYCLES_ITER();
              res_row[w] = unpack<out_t>(residual[first + w]);
            }
          }
          in_word_t word = zero_lanes<out_t>();
          out_t vec[B] = {};
#pragma HLS ARRAY_PARTITION variable=vec type=complete dim=1
          int g = 0, w = 0, e = 0, c = 0;
          FPGAOPS_CYCLES_LOOP(words * G * R);
        STORE_VECS:
          for (int it = 0; it < words * G * R; it++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=RUN_WORDS*G*R
            FPGAOPS_CYCLES_ITER();
            const int col = rr * gm.tile_w + (e < q_n ? e : 0);
            const in_word_t res_w = a.has_residual ? res_row[w] : zero_lanes<out_t>();
            // vec is a shift register of the vector's chunks: chunk c enters at the top, so after R
            // chunks lane pe holds channel pe
          STORE_SHIFT:
            for (int pe = 0; pe + SL < B; pe++) {
#pragma HLS UNROLL
              vec[pe] = vec[pe + SL];
            }
          STORE_LANES:
            for (int l = 0; l < SL; l++) {
#pragma HLS UNROLL
              const int pe = c * SL + l;
              const int i = kb * B + pe;
              const out_t rv = res_w.v[(g * B + pe) & (L_OUT - 1)];
              const out_t v = P::epilogue(c_tile[i][col], ch[i], rv, a);
              vec[B - SL + l] = e < q_n && i < tm ? v : out_t(0);
            }
            if (c + 1 == R) {
              c = 0;
              e++;
              shift_in<out_t>(word, vec);
              if (g + 1 == G) {
                out_s.write(word);
                g = 0;
                w++;
              } else {
                g++;
              }
            } else {
              c++;
            }
          }
        }
      }
    }
  }

  // ---- process 5: write -----------------------------------------------------------------------------------
  // The runs of store_tile, in its order, one word per cycle in one burst per run (the addresses
  // recomputed from the tile descriptor, so the two processes share only the word stream).
  static void write_tile(word_t* y, hls::stream<in_word_t>& out_s, hls::stream<Desc>& wdesc_s) {
    FPGAOPS_CYCLES_PROCESS("write", 1, Mac::STORE_DEPTH);
    const Desc d = wdesc_s.read();
    const ConvArgs& a = d.a;
    const ConvGeom& gm = d.gm;
    const ConvTile& tl = d.tl;
    const int tm = cmin(TM, gm.kg - tl.m0);
    const int q_n = cmin(gm.tile_w, a.ow - tl.q0);
    const int words = (q_n + G - 1) >> LOG2_G;
    const int kb_n = (tm + B - 1) / B;
    const int plane0 = (tl.nn * a.groups + tl.g) * gm.kblocks + tl.m0 / B;
  WRITE_BLOCKS:
    for (int kb = 0; kb < kb_n; kb++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=TM/PE
    WRITE_ROWS:
      for (int rr = 0; rr < gm.tile_rows; rr++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=LB_ROWS
        const int p = tl.p0 + rr;
        if (p < a.oh) {
          const int first = (((plane0 + kb) * a.oh + p) * gm.owp + tl.q0) >> LOG2_G;
          FPGAOPS_CYCLES_LOOP(words);
        WRITE_WORDS:
          for (int w = 0; w < words; w++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=RUN_WORDS
            FPGAOPS_CYCLES_ITER();
            y[first + w] = pack<out_t>(out_s.read());
          }
        }
      }
    }
  }

  // ---- the tile loop: one DATAFLOW region per output tile (canonical, as GemmEngine::run) ---------------
  static void run(const word_t* x, const word_t* x_hi, const word_t* wt, const word_t* wt_hi, const bias_t* bias,
                  const int32_t* mult, const int32_t* shift, const word_t* residual, word_t* y, ConvArgs a,
                  ConvGeom gm) {
    // The resident weight tile (load_weights): one memory of bus words, kept across the tile loop's
    // DATAFLOW iterations.
    in_word_t wbuf[WB_WORDS];
#pragma HLS BIND_STORAGE variable=wbuf type=ram_2p impl=uram
    // The weight tile's channel constants (store_tile), kept across the iterations likewise.
    ConvChannel<acc_t> ch[TM];
#pragma HLS ARRAY_PARTITION variable=ch type=cyclic factor=Mac::PE dim=1
  CONV_TILES:
    for (int t = 0; t < gm.n_tiles; t++) {
#pragma HLS DATAFLOW
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_TILES
      FPGAOPS_CYCLES_REGION("tiles");
      hls::stream<in_word_t, XWH_DEPTH> xw_s("conv2d.xw");
      hls::stream<in_word_t, XWH_DEPTH> xwh_s("conv2d.xwh");
      hls::stream<Job, 2> job_s("conv2d.job");
      hls::stream<Job, 2> wjob_s("conv2d.wjob");
      hls::stream<Job, 2> xjob_s("conv2d.xjob");
      hls::stream<in_word_t, Mac::IN_FIFO_DEPTH> a_s("conv2d.a");
      hls::stream<in_word_t, Mac::IN_FIFO_DEPTH> b_s("conv2d.b");
      hls::stream<Desc, 2> desc_s("conv2d.desc");
      hls::stream<Desc, 2> done_desc_s("conv2d.done_desc");
      hls::stream<Desc, 2> write_desc_s("conv2d.write_desc");
      hls::stream<Side, 2> side_s("conv2d.side");
      hls::stream<Side, 2> done_side_s("conv2d.done_side");
      // the finished words of y: one run's worth decouples the epilogue from the write bursts
      hls::stream<in_word_t, RUN_WORDS> out_s("conv2d.out");
      acc_t c_tile[TM][TN];
#pragma HLS ARRAY_PARTITION variable=c_tile type=cyclic factor=Mac::PE dim=1
      FPGAOPS_DATAFLOW_PROCESS(fetch_x(x, a, gm, t, xw_s, job_s, wjob_s, xjob_s));
      FPGAOPS_DATAFLOW_PROCESS(fetch_x_hi(x_hi, xjob_s, xwh_s));
      FPGAOPS_DATAFLOW_PROCESS(load_weights(wjob_s, wt, wt_hi, wbuf, a_s, side_s));
      FPGAOPS_DATAFLOW_PROCESS(load_tile(xw_s, xwh_s, job_s, b_s, desc_s));
      FPGAOPS_DATAFLOW_PROCESS(Mac::template compute_tile<Desc, Side, B, true>(a_s, b_s, desc_s, side_s, c_tile,
                                                                                  done_desc_s, done_side_s));
      FPGAOPS_DATAFLOW_PROCESS(store_tile(bias, mult, shift, residual, c_tile, ch, done_desc_s, done_side_s,
                                          out_s, write_desc_s));
      FPGAOPS_DATAFLOW_PROCESS(write_tile(y, out_s, write_desc_s));
      FPGAOPS_DATAFLOW_END();
    }
  }
};

// ---- entry point ----------------------------------------------------------------------------------------
// The caller's contract (checked by the tops in C-simulation and by the host before every launch):
// ConvCall's ranges, ceil(Cg/V)*V*R*S <= gemm.max_dim, (S - 1)*dil_w + 1 <= conv2d.line_buffer_w,
// x and weight in the channel-blocked layouts above.
template <class Cfg, class P>
void conv2d(const word_t* x, const word_t* x_hi, const word_t* wt, const word_t* wt_hi, const typename P::bias_t* bias,
            const int32_t* mult, const int32_t* shift, const word_t* residual, word_t* y, const ConvArgs& a) {
#pragma HLS INLINE
  const ConvGeom gm = conv2d_geometry<Cfg, P>(a);
  FPGAOPS_SIM_ASSERT(gm.tile_w > 0, "conv2d: the line buffer (conv2d.line_buffer_w = "
                                        << Cfg::LB_W << ") holds no tile of whole output words for this filter");
  ConvEngine<Cfg, P>::run(x, x_hi, wt, wt_hi, bias, mult, shift, residual, y, a, gm);
}

}  // namespace hw
}  // namespace fpgaops

#endif  // FPGAOPS_CONV2D_HPP
