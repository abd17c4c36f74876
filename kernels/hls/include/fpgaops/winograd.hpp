// Winograd F(m x m, 3x3) convolution (stride 1, dilation 1, groups 1): float32 with m = 2 or 4,
// int8 with m = 2, bit-exact with the im2col kernel.
//
//   Y = AT [ (G g GT) (.) (BT d B) ] A      per input channel, summed over channels
//
// The transform matrices come from the generated fpgaops/winograd_matrices.hpp (built from their
// one definition in python/fpgaops/reference/winograd.py); nothing here spells a coefficient.
// Semantics of the arguments: fpgaops.ops.conv2d.ConvCall; the epilogue is conv2d.hpp's policies.
//
// ---- structure ------------------------------------------------------------------------------------
// Output-stationary blocks: BK output channels x BT horizontally adjacent m x m tiles of one tile
// row (winograd.tile_k, winograd.tile_w). Per block, one DATAFLOW region:
//
//   load_block --(per channel: a input rows, BK filters)--> compute_block --(outputs)--> store_block
//
//   load_block     for every input channel: the a = m + 2 input rows the tile row needs, each a
//                  realigned burst of BT*m + 2 columns (padding filled on chip), and the BK 3x3
//                  filters of that channel.
//   compute_block  per channel: filter transforms U = G g GT (BK of them), input transforms
//                  V = BT d B (BT of them), and the a*a*BK*BT element-wise MACs into the block's
//                  accumulators; after the last channel the output transforms AT M A.
//   store_block    the conv2d epilogue (bias, residual, activation / int8 requantization).
//
// The filter transform is recomputed per block (cheap next to the a*a*BT MACs it feeds per filter)
// instead of being precomputed into device memory: the kernel needs no scratch buffer and works on
// the caller's KCRS weights as they are.
//
// ---- int8: exact integer scaling ---------------------------------------------------------------------
// G has entries 1/2, so the filter transform uses G2 = 2G (integer): U2 = G2 g G2T = 4U, and every
// later step is integer, so AT [U2 (.) V] A = 4Y exactly, in int32 (|4Y| < 2^31 for C <= the
// INT8_MAX_CHANNELS of winograd.py, which the host enforces). Y = (4Y) >> 2 is an exact division
// (4Y is a multiple of 4). Taps are x - x_zp (padding is 0 after the subtraction), so Y equals
// im2col's accumulator bit for bit, and the shared epilogue does the rest.
#ifndef FPGAOPS_WINOGRAD_HPP
#define FPGAOPS_WINOGRAD_HPP

#include <stdint.h>

#include "fpgaops/common.hpp"
#include "fpgaops/conv2d.hpp"
#include "fpgaops/winograd_matrices.hpp"

namespace fpgaops {
namespace hw {

// kernels/config/fpgaops.toml, [winograd].
struct WinogradConfig {
  static const int BK = cfg::WINOGRAD_TILE_K;  // output channels per block
  static const int BT = cfg::WINOGRAD_TILE_W;  // tiles per block (along a tile row)
};

// Arithmetic of one dtype: the transform domain type and the matrices it uses.
template <class P, int M>
struct WinoMath;

template <int M>
struct WinoMath<ConvF32, M> {
  typedef float t;
  typedef wino::Matrices<M> W;
  static t bt(int i, int j) { return W::BT(i, j); }
  static t g(int i, int j) { return W::G(i, j); }
  static t at(int i, int j) { return W::AT(i, j); }
  static t tap(float x, int) { return x; }
  static float result(t v) { return v; }
};

// int8: every transform and MAC in uint32, i.e. modulo 2^32 (well-defined wrap-around in C++, the
// natural behaviour of 32-bit adders in hardware). Only + and * happen before the final shift, so
// the result is the exact 4Y modulo 2^32 even where a partial sum leaves int32; 4Y itself fits
// int32, so reading the bits back as int32 gives 4Y exactly, and >> 2 divides it exactly.
template <>
struct WinoMath<ConvI8, 2> {
  typedef uint32_t t;
  typedef wino::Matrices<2> W;
  static t bt(int i, int j) { return t(W::BT_INT(i, j)); }
  static t g(int i, int j) { return t(W::G2_INT(i, j)); }
  static t at(int i, int j) { return t(W::AT_INT(i, j)); }
  static t tap(int8_t x, int zp) { return t(int32_t(x) - zp); }
  static int32_t result(t v) { return lane_traits<int32_t>::from_bits(v) >> W::INT_SHIFT; }
};

template <class Cfg, class P, int M>
struct WinogradEngine {
  typedef typename P::in_t in_t;
  typedef typename P::acc_t acc_t;
  typedef typename P::out_t out_t;
  typedef typename P::bias_t bias_t;
  typedef WinoMath<P, M> WM;
  typedef typename WM::t wt_t;  // transform-domain type
  typedef lanes_t<in_t> in_word_t;
  typedef lanes_t<out_t> out_word_t;

  static const int A = M + 2;
  static const int BK = Cfg::BK;
  static const int BT = Cfg::BT;
  static const int ROW = BT * M + 2;  // input columns of a block's tile row
  static const int L_IN = lanes_per_word<in_t>::value;
  static const int L_OUT = lanes_per_word<out_t>::value;
  static const int ROW_WORDS = ceil_div(ROW, L_IN) + 1;
  static const int OUT_WORDS = ceil_div(M, L_OUT) + 1;

  static_assert(BK >= 1 && BK <= 256, "winograd.tile_k must be in [1, 256]");
  static_assert(BT >= 1 && BT <= 256, "winograd.tile_w must be in [1, 256]");

  struct Block {
    int nn, k0, ty, tx0;
  };

  // run's grid of blocks: tile columns (BT tiles per block) fastest, then tile rows, channel blocks,
  // batch entries.
  struct Grid {
    int tx_blocks, tiles_h, k_blocks;
  };
  static Grid grid_of(const ConvArgs& a) {
#pragma HLS INLINE
    Grid gr;
    gr.tx_blocks = ((a.ow + M - 1) / M + BT - 1) / BT;
    gr.tiles_h = (a.oh + M - 1) / M;
    gr.k_blocks = (a.k + BK - 1) / BK;
    return gr;
  }

  // Block blk of the grid. Each process derives it from the loop index itself, so no channel of the
  // DATAFLOW region has two readers.
  static Block block_of(const ConvArgs& a, int blk) {
#pragma HLS INLINE
    const Grid gr = grid_of(a);
    Block b;
    int q = blk / gr.tx_blocks;
    b.tx0 = (blk - q * gr.tx_blocks) * BT;
    const int q2 = q / gr.tiles_h;
    b.ty = q - q2 * gr.tiles_h;
    q = q2 / gr.k_blocks;
    b.k0 = (q2 - q * gr.k_blocks) * BK;
    b.nn = q;
    return b;
  }

  // ---- process 1: load -------------------------------------------------------------------------------
  static void load_block(const word_t* x, const word_t* wt, ConvArgs a, int blk, hls::stream<in_t>& d_s,
                         hls::stream<in_t>& g_s) {
    FPGAOPS_CYCLES_PROCESS("load", 1, 3);
    const Block b = block_of(a, blk);
    const in_t pad = P::pad_value(a);  // int8: the code x_zp, a 0 tap after the subtraction
    const int c_lo = b.tx0 * M - a.pad_left;  // image column of row position 0
    const int lo = c_lo > 0 ? c_lo : 0;
    const int hi = cmin(a.w, c_lo + ROW);
  LOAD_CHANNELS:
    for (int ci = 0; ci < a.c; ci++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=1827
    LOAD_ROWS:
      for (int i = 0; i < A; i++) {
        const int h = b.ty * M - a.pad_top + i;
        const bool in = h >= 0 && h < a.h && hi > lo;
        const int len = in ? hi - lo : 0;
        hls::stream<in_word_t, ROW_WORDS> seg_s("winograd.row");
        read_elems<in_t, ROW>(x, in ? ((b.nn * a.c + ci) * a.h + h) * a.w + lo : 0, len, (len + L_IN - 1) / L_IN,
                              seg_s);
        in_word_t word = zero_lanes<in_t>();
        int lane = 0;
        FPGAOPS_CYCLES_LOOP(ROW);
      LOAD_COLS:
        for (int e = 0; e < ROW; e++) {
#pragma HLS PIPELINE II=1
          FPGAOPS_CYCLES_ITER();
          const bool inside = e >= lo - c_lo && e - (lo - c_lo) < len;
          if (inside && lane == 0) word = seg_s.read();
          d_s.write(inside ? word.v[lane] : pad);
          if (inside) lane = lane + 1 == L_IN ? 0 : lane + 1;
        }
      }
    LOAD_FILTERS:
      for (int kq = 0; kq < BK; kq++) {
        const int kk = b.k0 + kq;
        const bool ok = kk < a.k;
        hls::stream<in_word_t, 2> f_s("winograd.filter");
        read_elems<in_t, 9>(wt, ok ? (kk * a.c + ci) * 9 : 0, ok ? 9 : 0, 1, f_s);
        const in_word_t fw = f_s.read();
        FPGAOPS_CYCLES_LOOP(9);
      LOAD_TAPS:
        for (int t = 0; t < 9; t++) {
#pragma HLS PIPELINE II=1
          FPGAOPS_CYCLES_ITER();
          g_s.write(fw.v[t]);
        }
      }
    }
  }

  // ---- process 2: compute ----------------------------------------------------------------------------

  static void compute_block(ConvArgs a, hls::stream<in_t>& d_s, hls::stream<in_t>& g_s, hls::stream<acc_t>& y_s) {
    FPGAOPS_CYCLES_PROCESS("compute", 1, 12);
    wt_t acc[A][A][BK][BT];
#pragma HLS ARRAY_PARTITION variable=acc type=complete dim=1
#pragma HLS ARRAY_PARTITION variable=acc type=complete dim=2
    in_t d[A][ROW];
#pragma HLS ARRAY_PARTITION variable=d type=complete dim=1
    wt_t u[BK][A][A];
#pragma HLS ARRAY_PARTITION variable=u type=complete dim=2
#pragma HLS ARRAY_PARTITION variable=u type=complete dim=3
  COMPUTE_CHANNELS:
    for (int ci = 0; ci < a.c; ci++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=1827
    COMPUTE_READ_ROWS:
      for (int i = 0; i < A; i++) {
        FPGAOPS_CYCLES_LOOP(ROW);
      COMPUTE_READ_COLS:
        for (int e = 0; e < ROW; e++) {
#pragma HLS PIPELINE II=1
          FPGAOPS_CYCLES_ITER();
          d[i][e] = d_s.read();
        }
      }
      // U = G g GT for each of the block's filters.
      FPGAOPS_CYCLES_LOOP(BK);
    COMPUTE_FILTERS:
      for (int kq = 0; kq < BK; kq++) {
#pragma HLS PIPELINE II=9
        FPGAOPS_CYCLES_ITERS(9);
        wt_t g[3][3];
        wt_t gg[A][3];
      COMPUTE_G_READ:
        for (int t = 0; t < 9; t++) g[t / 3][t % 3] = WM::tap(g_s.read(), 0);
      COMPUTE_G_ROWS:
        for (int i = 0; i < A; i++) {
        COMPUTE_G_COLS:
          for (int j = 0; j < 3; j++) {
            wt_t s = 0;
          COMPUTE_G_SUM:
            for (int r = 0; r < 3; r++) s += WM::g(i, r) * g[r][j];
            gg[i][j] = s;
          }
        }
      COMPUTE_U_ROWS:
        for (int i = 0; i < A; i++) {
        COMPUTE_U_COLS:
          for (int j = 0; j < A; j++) {
            wt_t s = 0;
          COMPUTE_U_SUM:
            for (int r = 0; r < 3; r++) s += gg[i][r] * WM::g(j, r);
            u[kq][i][j] = s;
          }
        }
      }
      // V = BT d B per tile, then the element-wise products into every filter's accumulators.
    COMPUTE_TILES:
      for (int t = 0; t < BT; t++) {
        wt_t bd[A][A], v[A][A];
#pragma HLS ARRAY_PARTITION variable=bd type=complete dim=0
#pragma HLS ARRAY_PARTITION variable=v type=complete dim=0
      COMPUTE_BD_ROWS:
        for (int i = 0; i < A; i++) {
#pragma HLS UNROLL
        COMPUTE_BD_COLS:
          for (int j = 0; j < A; j++) {
#pragma HLS UNROLL
            wt_t s = 0;
          COMPUTE_BD_SUM:
            for (int r = 0; r < A; r++) s += WM::bt(i, r) * WM::tap(d[r][t * M + j], a.x_zero_point);
            bd[i][j] = s;
          }
        }
      COMPUTE_V_ROWS:
        for (int i = 0; i < A; i++) {
#pragma HLS UNROLL
        COMPUTE_V_COLS:
          for (int j = 0; j < A; j++) {
#pragma HLS UNROLL
            wt_t s = 0;
          COMPUTE_V_SUM:
            for (int r = 0; r < A; r++) s += bd[i][r] * WM::bt(j, r);
            v[i][j] = s;
          }
        }
        FPGAOPS_CYCLES_LOOP(BK);
      COMPUTE_MAC:
        for (int kq = 0; kq < BK; kq++) {
#pragma HLS PIPELINE II=1
        FPGAOPS_CYCLES_ITER();
        COMPUTE_MAC_I:
          for (int i = 0; i < A; i++) {
#pragma HLS UNROLL
          COMPUTE_MAC_J:
            for (int j = 0; j < A; j++) {
#pragma HLS UNROLL
              const wt_t prod = u[kq][i][j] * v[i][j];
              acc[i][j][kq][t] = ci == 0 ? prod : wt_t(acc[i][j][kq][t] + prod);
            }
          }
        }
      }
    }
    // Y = AT acc A per (filter, tile), streamed out row by row.
  COMPUTE_OUT_K:
    for (int kq = 0; kq < BK; kq++) {
      FPGAOPS_CYCLES_LOOP(BT);
    COMPUTE_OUT_T:
      for (int t = 0; t < BT; t++) {
#pragma HLS PIPELINE II=M*M
        FPGAOPS_CYCLES_ITERS(M*M);
        wt_t am[M][A];
      COMPUTE_AM_ROWS:
        for (int i = 0; i < M; i++) {
        COMPUTE_AM_COLS:
          for (int j = 0; j < A; j++) {
            wt_t s = 0;
          COMPUTE_AM_SUM:
            for (int r = 0; r < A; r++) s += WM::at(i, r) * acc[r][j][kq][t];
            am[i][j] = s;
          }
        }
      COMPUTE_Y_ROWS:
        for (int i = 0; i < M; i++) {
        COMPUTE_Y_COLS:
          for (int j = 0; j < M; j++) {
            wt_t s = 0;
          COMPUTE_Y_SUM:
            for (int r = 0; r < A; r++) s += am[i][r] * WM::at(j, r);
            y_s.write(WM::result(s));
          }
        }
      }
    }
  }

  // ---- process 3: store ------------------------------------------------------------------------------
  static void store_block(const bias_t* bias, const int32_t* mult, const int32_t* shift, const word_t* residual,
                          out_t* y, ConvArgs a, int blk, hls::stream<acc_t>& y_s) {
    FPGAOPS_CYCLES_PROCESS("store", 1, 8);
    const Block b = block_of(a, blk);
  STORE_K:
    for (int kq = 0; kq < BK; kq++) {
      const int kk = b.k0 + kq;
      const bool k_ok = kk < a.k;
      const ConvChannel<acc_t> ch = P::channel(bias, mult, shift, k_ok ? kk : 0, acc_t(0), a);
    STORE_T:
      for (int t = 0; t < BT; t++) {
        const int q0 = (b.tx0 + t) * M;
      STORE_ROWS:
        for (int i = 0; i < M; i++) {
          const int p = b.ty * M + i;
          const bool row_ok = k_ok && p < a.oh && q0 < a.ow;
          const int n_cols = row_ok ? cmin(M, a.ow - q0) : 0;
          const int off = row_ok ? ((b.nn * a.k + kk) * a.oh + p) * a.ow + q0 : 0;
          out_word_t res[OUT_WORDS];
          hls::stream<out_word_t, OUT_WORDS> res_s("winograd.residual");
          if (a.has_residual) read_elems<out_t, M>(residual, off, n_cols, OUT_WORDS, res_s);
        STORE_RES:
          for (int w = 0; w < OUT_WORDS; w++) res[w] = a.has_residual ? res_s.read() : zero_lanes<out_t>();
          FPGAOPS_CYCLES_LOOP(M);
        STORE_COLS:
          for (int j = 0; j < M; j++) {
#pragma HLS PIPELINE II=1
            FPGAOPS_CYCLES_ITER();
            const acc_t v = y_s.read();  // every value is read: the stream stays balanced
            if (j < n_cols) {
              const out_t rv = a.has_residual ? res[j / L_OUT].v[j % L_OUT] : out_t(0);
              y[off + j] = P::epilogue(v, ch, rv, a);
            }
          }
        }
      }
    }
  }

  static void run(const word_t* x, const word_t* wt, const bias_t* bias, const int32_t* mult, const int32_t* shift,
                  const word_t* residual, out_t* y, ConvArgs a) {
    const Grid gr = grid_of(a);
    const int n_blocks = a.n * gr.k_blocks * gr.tiles_h * gr.tx_blocks;
  WINO_BLOCKS:
    for (int blk = 0; blk < n_blocks; blk++) {
#pragma HLS DATAFLOW
#pragma HLS LOOP_TRIPCOUNT min=1 max=65536
      FPGAOPS_CYCLES_REGION("tiles");
      hls::stream<in_t, 2*A*ROW> d_s("winograd.d");
      hls::stream<in_t, 2*9*BK> g_s("winograd.g");
      hls::stream<acc_t, 2*M*M> y_s("winograd.y");
      FPGAOPS_DATAFLOW_PROCESS(load_block(x, wt, a, blk, d_s, g_s));
      FPGAOPS_DATAFLOW_PROCESS(compute_block(a, d_s, g_s, y_s));
      FPGAOPS_DATAFLOW_PROCESS(store_block(bias, mult, shift, residual, y, a, blk, y_s));
      FPGAOPS_DATAFLOW_END();
    }
  }
};

// Entry point. Contract (checked by the tops in C-simulation and by the host): r == s == 3,
// stride 1, dilation 1, groups 1; int8: m == 2 and c <= INT8_MAX_CHANNELS (python winograd.py).
template <class Cfg, class P, int M>
void winograd(const word_t* x, const word_t* wt, const typename P::bias_t* bias, const int32_t* mult,
              const int32_t* shift, const word_t* residual, typename P::out_t* y, const ConvArgs& a) {
#pragma HLS INLINE
  WinogradEngine<Cfg, P, M>::run(x, wt, bias, mult, shift, residual, y, a);
}

}  // namespace hw
}  // namespace fpgaops

#endif  // FPGAOPS_WINOGRAD_HPP
