// Implicit-GEMM ("im2col") convolution on the GEMM engine's MAC array.
//
// Argument semantics are those of fpgaops.ops.conv2d.ConvCall. Header-only and interface-free: the
// tops in kernels/hls/top/fpgaops_conv2d.cpp add the m_axi / s_axilite pragmas.
//
// ---- the GEMM view --------------------------------------------------------------------------------
// Per batch entry nn and group g, a convolution is the GEMM
//     Y_g[kk][pix] = sum_t W_g[kk][t] * P[t][pix]     kk < Kg, t < Cg*R*S, pix < OH*OW
// with W_g the group's KCRS weights read as a Kg x (Cg*R*S) row-major matrix (exactly how they are
// stored: no repacking) and P the im2col matrix, P[(ci, i, j)][(p, q)] = X(ci, p*sh - pt + i*dh,
// q*sw - pl + j*dw). P is never materialized anywhere, not in device memory and not as a whole on
// chip: the window generator below produces its TILE_K x TILE_N slices on the fly from a line
// buffer and streams them straight into GemmEngine::compute_tile, the same ping-pong MAC array the
// GEMM kernel uses (one engine, two front ends; gemm.hpp is unchanged).
//
// ---- output tiles ---------------------------------------------------------------------------------
// A tile is TILE_M output channels x a block of output pixels: `tile_rows` consecutive output rows
// of `tile_w` consecutive columns each (tile_rows * tile_w <= TILE_N). Wide images use one row per
// tile (tile_w = min(TILE_N, OW)); narrow ones (OW < TILE_N, the late layers of a CNN) stack
// several whole rows in one tile so the MAC array's TILE_N columns stay busy. Column j of the tile
// is pixel (p0 + j / tile_w, q0 + j % tile_w); columns past the tile's pixels are computed on
// zeros and dropped by the store.
//
// ---- the window generator (line buffer) ------------------------------------------------------------
// For tap row (ci, i) every pixel of output row p reads input row p*sh - pt + i*dh, columns
// [q0*sw - pl, q0*sw - pl + seg_len) with seg_len = (tile_w - 1)*sw + (S - 1)*dw + 1. The line
// buffer holds exactly those tile_rows row segments (each ONE realigned burst from x, padding
// filled in on chip), and serves all S taps j of the row: P row (ci, i, j), column (rr, qq) is
// lb[rr][qq*sw + j*dw]. So x is read once per (tile, ci, i), not R*S times per pixel as an
// explicit im2col would. Sizes: conv2d.line_buffer_w >= seg_len, conv2d.line_buffer_rows >=
// tile_rows (conv2d_geometry picks tile_w / tile_rows to fit).
//
// ---- int8 zero point --------------------------------------------------------------------------------
// The MAC array multiplies int8 x int8. Instead of widening the activations to x - zp (9 bits),
// the generator pads with the raw code zp (so a padded tap contributes zp*w) and the epilogue
// subtracts zp * sum_t W[kk][t]:  sum (x - zp) w = sum x w - zp sum w, exactly, in int32 (the sum
// over real and padded taps alike). The row sums come for free: the load process adds up the
// weight words it already forwards to the MAC array.
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
  int cg, kg, taps, crs;              // Cg, Kg, R*S, Cg*R*S (the GEMM's K)
  int tile_w, tile_rows, seg_len;     // pixels of a tile, line-buffer segment length
  int tiles_m, tiles_q, tiles_p;      // tiles along Kg, OW, OH
  int n_tiles;
};

// One output tile.
struct ConvTile {
  int nn, g, m0, p0, q0;
};

// The tiling of a launch, or tile_w == 0 when the filter's dilated width exceeds the line buffer.
// Run-time divisions, once per launch.
template <class Cfg>
ConvGeom conv2d_geometry(const ConvArgs& a) {
#pragma HLS INLINE
  const int TN = Cfg::Gemm::TILE_N, TM = Cfg::Gemm::TILE_M;
  ConvGeom gm;
  gm.cg = a.c / a.groups;
  gm.kg = a.k / a.groups;
  gm.taps = a.r * a.s;
  gm.crs = gm.cg * gm.taps;
  const int extent_w = (a.s - 1) * a.dil_w + 1;
  const int cap_w = extent_w <= Cfg::LB_W ? (Cfg::LB_W - extent_w) / a.stride_w + 1 : 0;
  gm.tile_w = cmin(cmin(TN, a.ow), cap_w);
  // Whole output rows fit a tile: stack as many as the MAC array's columns and the buffer allow.
  gm.tile_rows = gm.tile_w == a.ow ? cmin(cmin(TN / a.ow, Cfg::LB_ROWS), a.oh) : 1;
  gm.seg_len = gm.tile_w > 0 ? (gm.tile_w - 1) * a.stride_w + extent_w : 0;
  gm.tiles_m = (gm.kg + TM - 1) / TM;
  gm.tiles_q = gm.tile_w > 0 ? (a.ow + gm.tile_w - 1) / gm.tile_w : 0;
  gm.tiles_p = (a.oh + gm.tile_rows - 1) / gm.tile_rows;
  gm.n_tiles = a.n * a.groups * gm.tiles_p * gm.tiles_q * gm.tiles_m;
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

// The one requantization rule (fpgaops.quant): (int64(a) * m + (s > 0 ? 1 << (s - 1) : 0)) >> s,
// arithmetic shift; m in [0, 2^31), s in [0, 62], so the sum stays below 2^63.
inline int64_t requantize(int32_t a, int32_t m, int32_t s) {
#pragma HLS INLINE
  const int64_t round = s > 0 ? (int64_t(1) << (s - 1)) : int64_t(0);
  return (int64_t(a) * int64_t(m) + round) >> s;
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
    int64_t v = requantize(acc32, ch.mult, ch.shift) + a.y_zero_point;
    if (a.has_residual) v += requantize(int32_t(res) - a.res_zero_point, a.res_mult, a.res_shift);
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
  static const int LB_WORDS = ceil_div(LB_W, L_IN) + 1;
  static const int WPR_OUT = ceil_div(TN, L_OUT);
  static const int MAX_SLICES = Mac::MAX_SLICES;
  static const int MAX_TILES = Mac::MAX_TILES;

  static_assert(LB_W >= 1 && LB_W <= 65536, "conv2d.line_buffer_w must be in [1, 65536]");
  static_assert(LB_ROWS >= 1 && LB_ROWS <= TN, "conv2d.line_buffer_rows must be in [1, gemm.tile_n]");
  static_assert(WPR_N * L_IN == TN, "gemm.tile_n must be a multiple of the lanes of an AXI word (the window "
                "generator emits whole words of P)");

  typedef typename Mac::Tr Tr;  // the skewed transposer: P rows (k) -> canonical pixel rows

  // What store_tile needs of a tile, passed down the pipeline with it (canonical dataflow: the
  // launch's scalars are read by load_tile alone), and the tile's weight row sums (int8 zero point),
  // known only once the weights went by.
  struct Desc {
    int nk;
    ConvArgs a;
    ConvGeom gm;
    ConvTile tl;
  };
  struct Side {
    acc_t wsum[TM];
  };

  // Which output tile: channel tile fastest (consecutive tiles reuse the same input pixels), then
  // columns, rows, groups, batch. The only run-time divisions of the tile loop, once per tile.
  static void tile_coords(int t, ConvGeom gm, int groups, ConvTile& tl) {
#pragma HLS INLINE
    int q = t / gm.tiles_m;
    tl.m0 = (t - q * gm.tiles_m) * TM;
    int q2 = q / gm.tiles_q;
    tl.q0 = (q - q2 * gm.tiles_q) * gm.tile_w;
    q = q2 / gm.tiles_p;
    tl.p0 = (q2 - q * gm.tiles_p) * gm.tile_rows;
    tl.nn = q / groups;
    tl.g = q - tl.nn * groups;
  }

  // ---- process 1: load (weights + window generator) ------------------------------------------------
  // Fill the line buffer for tap row (ci, i): tile_rows row segments of seg_len elements, one
  // realigned burst each for the part inside the image, the pad value elsewhere.
  static void fill_lines(const word_t* x, in_t lb[LB_ROWS][LB_W], int plane, int i, ConvArgs a, ConvGeom gm,
                         ConvTile tl) {
    const in_t pad = P::pad_value(a);
    const int w_lo = tl.q0 * a.stride_w - a.pad_left;  // image column of lb[.][0]
    const int lo = w_lo > 0 ? w_lo : 0;
    const int hi = cmin(a.w, w_lo + gm.seg_len);
  FILL_ROWS:
    for (int rr = 0; rr < gm.tile_rows; rr++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=LB_ROWS
      const int p = tl.p0 + rr;
      const int h_in = p * a.stride_h - a.pad_top + i * a.dil_h;
      const bool row_in = p < a.oh && h_in >= 0 && h_in < a.h;
      const int len = row_in && hi > lo ? hi - lo : 0;
      const int off = len > 0 ? (plane * a.h + h_in) * a.w + lo : 0;
      const int skip = lo - w_lo;  // leading padding columns of the segment
      hls::stream<in_word_t, LB_WORDS> seg_s("conv2d.segment");
      read_elems<in_t, LB_W>(x, off, len, (len + L_IN - 1) / L_IN, seg_s);
      in_word_t word = zero_lanes<in_t>();
      int lane = 0;
      FPGAOPS_CYCLES_LOOP(gm.seg_len);
    FILL_COLS:
      for (int e = 0; e < gm.seg_len; e++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=LB_W
        FPGAOPS_CYCLES_ITER();
        const bool inside = e >= skip && e - skip < len;
        if (inside && lane == 0) word = seg_s.read();
        lb[rr][e] = inside ? word.v[lane] : pad;
        if (inside) lane = lane + 1 == L_IN ? 0 : lane + 1;
      }
    }
  }

  // One row kr = (ci, i, j) of the P slice: TILE_N elements, lb[rr][qq*sw + j*dw] for column
  // (rr, qq), as WPR_N words into row kr of the transposer. valid == false: a row past Cg*R*S (the
  // last slice), all zeros.
  static void emit_row(const in_t lb[LB_ROWS][LB_W], int kr, int j, bool valid, ConvArgs a, ConvGeom gm,
                       in_t tr[Tr::L][Tr::DEPTH]) {
    const int cols = valid ? gm.tile_rows * gm.tile_w : 0;
    int rr = 0, qq = 0, lane = 0;
    int base = j * a.dil_w;  // lb column of (qq, j)
    in_word_t word = zero_lanes<in_t>();
    FPGAOPS_CYCLES_LOOP(TN);
  EMIT_COLS:
    for (int e = 0; e < TN; e++) {
#pragma HLS PIPELINE II=1
      FPGAOPS_CYCLES_ITER();
      word.v[lane] = e < cols ? lb[rr][base] : in_t(0);
      if (lane + 1 == L_IN) Tr::write(tr, kr, e / L_IN, word);
      lane = lane + 1 == L_IN ? 0 : lane + 1;
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

  // Per K slice: the weight slice (TILE_M rows of TILE_K, row sums on the way for int8), then the
  // P slice from the line buffer: TILE_K rows of TILE_N into the transposer, TILE_N canonical
  // pixel rows of TILE_K out of it, in compute_tile's fill order. After the last slice, the TILE_M
  // weight row sums.
  static void load_tile(const word_t* x, const word_t* wt, ConvArgs a, ConvGeom gm, int t,
                        hls::stream<in_word_t>& in_s, hls::stream<Desc>& desc_s, hls::stream<Side>& side_s) {
    FPGAOPS_CYCLES_PROCESS("load", 1, Mac::LOAD_DEPTH);
    ConvTile tl;
    tile_coords(t, gm, a.groups, tl);
    Desc d;
    d.nk = (gm.crs + TK - 1) / TK;
    d.a = a, d.gm = gm, d.tl = tl;
    desc_s.write(d);
    in_t tr[Tr::L][Tr::DEPTH];
#pragma HLS ARRAY_PARTITION variable=tr type=complete dim=1
    const int tm = cmin(TM, gm.kg - tl.m0);
    const int w_base = (tl.g * gm.kg + tl.m0) * gm.crs;
    const int plane0 = tl.nn * a.c + tl.g * gm.cg;
    acc_t wsum[TM];
    in_t lb[LB_ROWS][LB_W];
    // The emitter reads one element per cycle; fill and emit never overlap (the refill, once per
    // S rows of P, stalls the emitter), so a plain dual-port RAM suffices.
    FPGAOPS_CYCLES_LOOP(TM);
  WSUM_CLEAR:
    for (int i = 0; i < TM; i++) {
#pragma HLS PIPELINE II=1
      FPGAOPS_CYCLES_ITER();
      wsum[i] = 0;
    }
    int lb_tag = -1;  // ci * R + i held in lb
  LOAD_SLICES:
    for (int k0 = 0; k0 < gm.crs; k0 += TK) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_SLICES
      const int tk = cmin(TK, gm.crs - k0);
    LOAD_W_ROWS:
      for (int rw = 0; rw < TM; rw++) {
#pragma HLS LOOP_TRIPCOUNT min=TM max=TM
        const bool row_ok = rw < tm;
        hls::stream<in_word_t, WPR_K> row_s("conv2d.wrow");
        read_elems<in_t, TK>(wt, row_ok ? w_base + rw * gm.crs + k0 : 0, row_ok ? tk : 0, WPR_K, row_s);
        acc_t part = 0;
        FPGAOPS_CYCLES_LOOP(WPR_K);
      LOAD_W_WORDS:
        for (int wd = 0; wd < WPR_K; wd++) {
#pragma HLS PIPELINE II=1
          FPGAOPS_CYCLES_ITER();
          const in_word_t word = row_s.read();
          in_s.write(word);
          if (P::ZERO_POINT) {
          LOAD_W_SUM:
            for (int l = 0; l < L_IN; l++) {
#pragma HLS UNROLL
              part += acc_t(word.v[l]);
            }
          }
        }
        wsum[rw] += part;
      }
      // Position (ci, i, j) of row k0 of P: divisions once per slice, counters inside.
      int ci = k0 / gm.taps;
      const int rem = k0 - ci * gm.taps;
      int i = rem / a.s;
      int j = rem - i * a.s;
    LOAD_P_ROWS:
      for (int kr = 0; kr < TK; kr++) {
#pragma HLS LOOP_TRIPCOUNT min=TK max=TK
        const bool valid = kr < tk;
        if (valid && ci * a.r + i != lb_tag) {
          fill_lines(x, lb, plane0 + ci, i, a, gm, tl);
          lb_tag = ci * a.r + i;
        }
        emit_row(lb, kr, j, valid, a, gm, tr);
        if (j + 1 < a.s) {
          j++;
        } else {
          j = 0;
          if (i + 1 < a.r) {
            i++;
          } else {
            i = 0;
            ci++;
          }
        }
      }
      // The P slice leaves the transposer as TILE_N canonical pixel rows of TILE_K.
      FPGAOPS_CYCLES_LOOP(TN * WPR_K);
    LOAD_P_EMIT:
      for (int e = 0; e < TN * WPR_K; e++) {
#pragma HLS PIPELINE II=1
        FPGAOPS_CYCLES_ITER();
        const int col = e / WPR_K;
        in_s.write(Tr::read(tr, col, e - col * WPR_K));
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

  // ---- process 3: store ---------------------------------------------------------------------------------
  // Epilogue and write of the tile: per channel, per output row of the tile, one run of tile_w
  // elements of y (element-wide port, as the GEMM store) with the residual run read in one burst.
  static void store_tile(const bias_t* bias, const int32_t* mult, const int32_t* shift, const word_t* residual,
                         out_t* y, const acc_t c_tile[TM][TN], hls::stream<Desc>& desc_s, hls::stream<Side>& side_s) {
    FPGAOPS_CYCLES_PROCESS("store", 1, Mac::STORE_DEPTH);
    const Desc d = desc_s.read();
    const Side side = side_s.read();
    const ConvArgs& a = d.a;
    const ConvGeom& gm = d.gm;
    const ConvTile& tl = d.tl;
    const int tm = cmin(TM, gm.kg - tl.m0);
    const int q_n = cmin(gm.tile_w, a.ow - tl.q0);
  STORE_CHANNELS:
    for (int i = 0; i < TM; i++) {
#pragma HLS LOOP_TRIPCOUNT min=TM max=TM
      const acc_t wsum = side.wsum[i];
      if (i < tm) {
        const int kk = tl.g * gm.kg + tl.m0 + i;
        const ConvChannel<acc_t> ch = P::channel(bias, mult, shift, kk, wsum, a);
      STORE_ROWS:
        for (int rr = 0; rr < gm.tile_rows; rr++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=LB_ROWS
          const int p = tl.p0 + rr;
          if (p < a.oh) {
            const int y_off = ((tl.nn * a.k + kk) * a.oh + p) * a.ow + tl.q0;
            out_word_t res_row[WPR_OUT];
            hls::stream<out_word_t, WPR_OUT> res_s("conv2d.residual");
            if (a.has_residual) read_elems<out_t, TN>(residual, y_off, q_n, WPR_OUT, res_s);
            FPGAOPS_CYCLES_LOOP(WPR_OUT);
          STORE_RES_ROW:
            for (int wd = 0; wd < WPR_OUT; wd++) {
#pragma HLS PIPELINE II=1
              FPGAOPS_CYCLES_ITER();
              res_row[wd] = a.has_residual ? res_s.read() : zero_lanes<out_t>();
            }
            FPGAOPS_CYCLES_LOOP(q_n);
          STORE_COLS:
            for (int qq = 0; qq < q_n; qq++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=TN
              FPGAOPS_CYCLES_ITER();
              const out_t rv = a.has_residual ? res_row[qq / L_OUT].v[qq % L_OUT] : out_t(0);
              y[y_off + qq] = P::epilogue(c_tile[i][rr * gm.tile_w + qq], ch, rv, a);
            }
          }
        }
      }
    }
  }

  // ---- the tile loop: one DATAFLOW region per output tile (canonical, as GemmEngine::run) ---------------
  static void run(const word_t* x, const word_t* wt, const bias_t* bias, const int32_t* mult, const int32_t* shift,
                  const word_t* residual, out_t* y, ConvArgs a, ConvGeom gm) {
  CONV_TILES:
    for (int t = 0; t < gm.n_tiles; t++) {
#pragma HLS DATAFLOW
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_TILES
      FPGAOPS_CYCLES_REGION("tiles");
      hls::stream<in_word_t, Mac::IN_FIFO_DEPTH> in_s("conv2d.in");
      hls::stream<Desc, 2> desc_s("conv2d.desc");
      hls::stream<Desc, 2> done_desc_s("conv2d.done_desc");
      hls::stream<Side, 2> side_s("conv2d.side");
      hls::stream<Side, 2> done_side_s("conv2d.done_side");
      acc_t c_tile[TM][TN];
#pragma HLS ARRAY_PARTITION variable=c_tile type=cyclic factor=Mac::PE dim=1
      FPGAOPS_DATAFLOW_PROCESS(load_tile(x, wt, a, gm, t, in_s, desc_s, side_s));
      FPGAOPS_DATAFLOW_PROCESS(Mac::template compute_tile<Desc, Side>(in_s, desc_s, side_s, c_tile, done_desc_s,
                                                                      done_side_s));
      FPGAOPS_DATAFLOW_PROCESS(store_tile(bias, mult, shift, residual, y, c_tile, done_desc_s, done_side_s));
      FPGAOPS_DATAFLOW_END();
    }
  }
};

// ---- entry point ----------------------------------------------------------------------------------------
// The caller's contract (checked by the tops in C-simulation and by the host before every launch):
// ConvCall's ranges, Cg*R*S <= gemm.max_dim, (S - 1)*dil_w + 1 <= conv2d.line_buffer_w.
template <class Cfg, class P>
void conv2d(const word_t* x, const word_t* wt, const typename P::bias_t* bias, const int32_t* mult,
            const int32_t* shift, const word_t* residual, typename P::out_t* y, const ConvArgs& a) {
#pragma HLS INLINE
  const ConvGeom gm = conv2d_geometry<Cfg>(a);
  ConvEngine<Cfg, P>::run(x, wt, bias, mult, shift, residual, y, a, gm);
}

}  // namespace hw
}  // namespace fpgaops

#endif  // FPGAOPS_CONV2D_HPP
