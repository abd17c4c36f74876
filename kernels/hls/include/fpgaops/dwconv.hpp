// Depthwise convolution (groups == C, any channel multiplier K / C): the dedicated kernel of
// MobileNet's 3x3 stride-1 and stride-2 depthwise layers.
//
// Argument semantics are those of fpgaops.ops.conv2d.ConvCall with groups == c. Header-only and
// interface-free: the tops in kernels/hls/top/fpgaops_dwconv.cpp add the interface pragmas. The
// epilogue is conv2d.hpp's (the same ConvF32 / ConvI8 policies), so depthwise and im2col agree
// bit-exactly in int8 by construction. A residual is not supported by this kernel (depthwise
// layers never carry one; the host routes such calls to the im2col kernel).
//
// Why not the GEMM engine: a depthwise output channel is a GEMM with M = 1 and K = R*S (<= 49),
// which would keep 1 / TILE_M of the MAC array busy. Here every output plane (nn, kk) streams
// through a three-process DATAFLOW region instead:
//
//   load_plane --(weights, padded input rows)--> compute_plane --(acc per pixel)--> store_plane
//
//   load_plane     the R*S filter taps, then each input row the plane needs exactly once, in
//                  order, as a padded row (one realigned burst for the in-image part, the pad
//                  value around it): padded column e is image column e - pad_left.
//   compute_plane  keeps the rows in a line buffer of LB_ROWS row slots (row h in slot h mod
//                  LB_ROWS, LB_ROWS >= the dilated filter height, so the rows of one window never
//                  collide) and produces one output pixel per cycle (II=1): the R x S window is
//                  fully unrolled (MAX_K^2 guarded MACs), the slots are completely partitioned and
//                  the columns cyclically by MAX_K, so for stride 1 / dilation 1 the S taps of a
//                  row are S different banks. (A larger stride or dilation maps taps of one row to
//                  the same bank: HLS then schedules II = ceil(taps per bank / 2).)
//   store_plane    the epilogue (bias, activation; int8 requantization) and the write of y.
//
// int8: taps are (x - x_zp) * w in int32 and padding holds the code x_zp, so a padded tap is an
// exact 0 (no weight-sum correction needed, unlike the int8 x int8 MAC array of conv2d.hpp).
#ifndef FPGAOPS_DWCONV_HPP
#define FPGAOPS_DWCONV_HPP

#include <stdint.h>

#include "fpgaops/common.hpp"
#include "fpgaops/conv2d.hpp"

namespace fpgaops {
namespace hw {

// kernels/config/fpgaops.toml, [dwconv].
struct DwconvConfig {
  static const int MAX_W = cfg::DWCONV_MAX_W;         // longest padded input row
  static const int MAX_K = cfg::DWCONV_MAX_KERNEL;    // largest R and S
  static const int LB_ROWS = cfg::DWCONV_LINE_BUFFER_ROWS;
};

// One filter tap: exact int32 for int8 (|x - zp| <= 255, |w| <= 128), float for float32.
inline float dw_tap(float x, float w, int) { return x * w; }
inline int32_t dw_tap(int8_t x, int8_t w, int zp) { return (int32_t(x) - zp) * int32_t(w); }

template <class Cfg, class P>
struct DwconvEngine {
  typedef typename P::in_t in_t;
  typedef typename P::acc_t acc_t;
  typedef typename P::out_t out_t;
  typedef typename P::bias_t bias_t;
  typedef lanes_t<in_t> in_word_t;

  static const int MAX_W = Cfg::MAX_W;
  static const int MAX_K = Cfg::MAX_K;
  static const int LB_ROWS = Cfg::LB_ROWS;
  static const int L_IN = lanes_per_word<in_t>::value;
  static const int MAX_WORDS = ceil_div(MAX_W, L_IN) + 1;
  static const int MAX_TAPS = MAX_K * MAX_K;

  static_assert(MAX_W >= 1, "dwconv.max_w must be >= 1");
  static_assert(MAX_K >= 1 && MAX_K <= 16, "dwconv.max_kernel must be in [1, 16]");
  static_assert(LB_ROWS >= MAX_K && (LB_ROWS & (LB_ROWS - 1)) == 0,
                "dwconv.line_buffer_rows must be a power of two >= dwconv.max_kernel");

  // Input rows [lo, hi] of output row p's window (every row of the dilated extent: with dh > 1
  // the rows between taps are loaded too, which keeps the load order a simple ascending scan).
  static int window_lo(int p, const ConvArgs& a) { return p * a.stride_h - a.pad_top; }

  // ---- process 1: load -------------------------------------------------------------------------------
  static void load_plane(const word_t* x, const word_t* wt, ConvArgs a, int kk, int ci, int wp,
                         hls::stream<in_t>& w_s, hls::stream<in_t>& row_s) {
    FPGAOPS_CYCLES_PROCESS("load", 1, 3);
    const int taps = a.r * a.s;
    hls::stream<in_word_t, MAX_WORDS> tap_s("dwconv.taps");
    read_elems<in_t, MAX_TAPS>(wt, kk * taps, taps, (taps + L_IN - 1) / L_IN, tap_s);
    in_word_t word = zero_lanes<in_t>();
    FPGAOPS_CYCLES_LOOP(taps);
  LOAD_TAPS:
    for (int t = 0; t < taps; t++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_TAPS
      FPGAOPS_CYCLES_ITER();
      if ((t & (L_IN - 1)) == 0) word = tap_s.read();
      w_s.write(word.v[t & (L_IN - 1)]);
    }
    const in_t pad = P::pad_value(a);
    const int extent_h = (a.r - 1) * a.dil_h + 1;
    const int first_col = a.pad_left;                   // padded column of image column 0
    const int len = cmin(a.w, wp - first_col);          // image columns inside the padded row
    int next_h = window_lo(0, a);                       // the lowest row not sent yet
  LOAD_ROWS:
    for (int p = 0; p < a.oh; p++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_W
      const int h_lo = window_lo(p, a);
      const int h_hi = h_lo + extent_h - 1;
      const int h_from = next_h > h_lo ? next_h : h_lo;
    LOAD_ROW:
      for (int h = h_from; h <= h_hi; h++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_K
        const bool in = h >= 0 && h < a.h && len > 0;
        hls::stream<in_word_t, MAX_WORDS> seg_s("dwconv.row");
        read_elems<in_t, MAX_W>(x, in ? (ci * a.h + h) * a.w : 0, in ? len : 0, in ? (len + L_IN - 1) / L_IN : 0,
                                seg_s);
        int lane = 0;
        FPGAOPS_CYCLES_LOOP(wp);
      LOAD_COLS:
        for (int e = 0; e < wp; e++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_W
          FPGAOPS_CYCLES_ITER();
          const bool inside = in && e >= first_col && e - first_col < len;
          if (inside && lane == 0) word = seg_s.read();
          row_s.write(inside ? word.v[lane] : pad);
          if (inside) lane = lane + 1 == L_IN ? 0 : lane + 1;
        }
      }
      next_h = h_hi + 1;
    }
  }

  // ---- process 2: compute ----------------------------------------------------------------------------
  static void compute_plane(ConvArgs a, int wp, hls::stream<in_t>& w_s, hls::stream<in_t>& row_s,
                            hls::stream<acc_t>& acc_s) {
    FPGAOPS_CYCLES_PROCESS("compute", 1, P::gemm_t::MAC_DEPTH);
    in_t wk[MAX_K][MAX_K];
#pragma HLS ARRAY_PARTITION variable=wk type=complete dim=0
    in_t lb[LB_ROWS][MAX_W];
#pragma HLS ARRAY_PARTITION variable=lb type=complete dim=1
#pragma HLS ARRAY_PARTITION variable=lb type=cyclic factor=MAX_K dim=2
  COMPUTE_TAPS_R:
    for (int i = 0; i < a.r; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_K
      FPGAOPS_CYCLES_LOOP(a.s);
    COMPUTE_TAPS_S:
      for (int j = 0; j < a.s; j++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_K
        FPGAOPS_CYCLES_ITER();
        wk[i][j] = w_s.read();
      }
    }
    const int extent_h = (a.r - 1) * a.dil_h + 1;
    int next_h = window_lo(0, a);
  COMPUTE_ROWS:
    for (int p = 0; p < a.oh; p++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_W
      const int h_lo = window_lo(p, a);
      const int h_hi = h_lo + extent_h - 1;
      const int h_from = next_h > h_lo ? next_h : h_lo;
    COMPUTE_FILL:
      for (int h = h_from; h <= h_hi; h++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_K
        const int slot = h & (LB_ROWS - 1);  // two's complement: negative rows map to slots too
        FPGAOPS_CYCLES_LOOP(wp);
      COMPUTE_FILL_COLS:
        for (int e = 0; e < wp; e++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_W
          FPGAOPS_CYCLES_ITER();
          lb[slot][e] = row_s.read();
        }
      }
      next_h = h_hi + 1;
      FPGAOPS_CYCLES_LOOP(a.ow);
    COMPUTE_COLS:
      for (int q = 0; q < a.ow; q++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_W
        FPGAOPS_CYCLES_ITER();
        acc_t acc = 0;
      COMPUTE_WIN_R:
        for (int i = 0; i < MAX_K; i++) {
#pragma HLS UNROLL
        COMPUTE_WIN_S:
          for (int j = 0; j < MAX_K; j++) {
#pragma HLS UNROLL
            if (i < a.r && j < a.s)
              acc += dw_tap(lb[(h_lo + i * a.dil_h) & (LB_ROWS - 1)][q * a.stride_w + j * a.dil_w], wk[i][j],
                            a.x_zero_point);
          }
        }
        acc_s.write(acc);
      }
    }
  }

  // ---- process 3: store ------------------------------------------------------------------------------
  static void store_plane(const bias_t* bias, const int32_t* mult, const int32_t* shift, out_t* y, ConvArgs a,
                          int plane, int kk, hls::stream<acc_t>& acc_s) {
    FPGAOPS_CYCLES_PROCESS("store", 1, 8);
    const ConvChannel<acc_t> ch = P::channel(bias, mult, shift, kk, acc_t(0), a);
    const int count = a.oh * a.ow;
    const int base = plane * count;
    FPGAOPS_CYCLES_LOOP(count);
  STORE_PIXELS:
    for (int e = 0; e < count; e++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_W
      FPGAOPS_CYCLES_ITER();
      y[base + e] = P::epilogue(acc_s.read(), ch, out_t(0), a);
    }
  }

  // ---- the plane loop: one DATAFLOW region per output plane (nn, kk) -------------------------------------
  static void run(const word_t* x, const word_t* wt, const bias_t* bias, const int32_t* mult, const int32_t* shift,
                  out_t* y, ConvArgs a, int mult_k, int wp, int planes) {
  DW_PLANES:
    for (int plane = 0; plane < planes; plane++) {
#pragma HLS DATAFLOW
#pragma HLS LOOP_TRIPCOUNT min=1 max=4096
      FPGAOPS_CYCLES_REGION("tiles");
      hls::stream<in_t, MAX_TAPS> w_s("dwconv.w");
      hls::stream<in_t, MAX_W> row_s("dwconv.rows");
      hls::stream<acc_t, MAX_W> acc_s("dwconv.acc");
      // plane = nn * K + kk reads input plane nn * C + kk / mult_k (the group of kk).
      const int nn = plane / a.k;
      const int kk = plane - nn * a.k;
      const int ci = nn * a.c + kk / mult_k;
      FPGAOPS_DATAFLOW_PROCESS(load_plane(x, wt, a, kk, ci, wp, w_s, row_s));
      FPGAOPS_DATAFLOW_PROCESS(compute_plane(a, wp, w_s, row_s, acc_s));
      FPGAOPS_DATAFLOW_PROCESS(store_plane(bias, mult, shift, y, a, plane, kk, acc_s));
      FPGAOPS_DATAFLOW_END();
    }
  }
};

// The padded row length the kernel needs: (OW - 1) * sw + (S - 1) * dw + 1 (<= dwconv.max_w).
inline int dwconv_padded_width(const ConvArgs& a) { return (a.ow - 1) * a.stride_w + (a.s - 1) * a.dil_w + 1; }

// Entry point. Contract (checked by the tops in C-simulation, and by the host, which routes every
// other depthwise call to the im2col kernel): groups == c, k a multiple of c, r, s <= max_kernel,
// (r - 1) * dil_h + 1 <= line_buffer_rows, dwconv_padded_width <= max_w, no residual.
template <class Cfg, class P>
void dwconv(const word_t* x, const word_t* wt, const typename P::bias_t* bias, const int32_t* mult,
            const int32_t* shift, typename P::out_t* y, const ConvArgs& a) {
#pragma HLS INLINE
  DwconvEngine<Cfg, P>::run(x, wt, bias, mult, shift, y, a, a.k / a.c, dwconv_padded_width(a), a.n * a.k);
}

}  // namespace hw
}  // namespace fpgaops

#endif  // FPGAOPS_DWCONV_HPP
