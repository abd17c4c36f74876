// The streaming pool engine: max / average pooling over regular (kernel, stride, padding,
// dilation, ceil_mode folded into the output size) or adaptive windows, float32 and int8.
//
// Argument semantics: fpgaops.ops.pool.PoolCall; window rules: python/fpgaops/reference/pool.py.
// Header-only and interface-free: kernels/hls/top/fpgaops_pool.cpp adds the m_axi / s_axilite pragmas.
//
// One template: pool<Cfg, D, KIND> with a config struct (PoolConfig: [pool] of kernels/config), a dtype
// policy (PoolF32, PoolI8) and the kind (POOL_MAX, POOL_AVG) selecting the PoolOp policy
// (init / lift / combine / finish). The top instantiates both kinds and picks one with its `kind`
// scalar -- no per-kind copies of the engine.
//
// ---- structure (one DATAFLOW region for the whole call; planes stream back to back) ---------------
//
//   read_rows --words--> hpool --row partials--> vpool --outputs--> write_out
//
//   read_rows  every input row of every plane through the realigning burst reader (common.hpp):
//              any W, any plane offset, one packed word per cycle.
//   hpool      the LINE: one row buffer (MAX_WIDTH, cyclically partitioned by the word's lanes so a
//              whole word lands per cycle) and the horizontal reduction. Regular windows: the row
//              slides through a MAX_KERNEL-column shift register, one column per cycle; an output
//              leaves every stride columns with all its taps (dilation: a tap mask over the register)
//              combined in that cycle. Adaptive bins (up to the whole row): one tap per cycle in a
//              flattened loop over column ranges precomputed once per call. Emits OW partial values
//              per input row.
//   vpool      the vertical reduction into a bank of MAX_OPEN_ROWS accumulator rows (the line
//              buffer of partial results, completely partitioned by row so every open output row
//              updates in the same cycle). Slot s tracks one output row: its next contributing
//              input row, the step (dilation) and the taps left. An output row is finished when
//              it has no taps left; finished rows leave in order, are finalized (divisor,
//              rounding) and their slot is re-armed for output row +open_rows. `open_rows` (from
//              the host: reference.pool.open_rows) is how many slots the geometry needs.
//   write_out  the outputs, element-wide (pool outputs are a fraction of the input traffic).
//
// A global pool (adaptive, 1 x 1 output: GlobalAvgPool) takes a region of its own, run_global:
// each plane one burst, a whole word folded per cycle (see below).
//
// kind | POOL_BLOCKED: the channel-blocked region, run_blocked, for regular windows (blocked_fits):
// x and y in the conv tops' layout (gemm.pe planes x G columns per bus word), the same four processes
// moving a whole word per cycle, every lane its own plane (see below, docs/pool_eltwise.md).
//
// Buffers are sized from kernels/config: pool.max_width (row buffer, accumulator row length),
// pool.max_open_rows (accumulator rows), pool.max_kernel (trip counts).
#ifndef FPGAOPS_POOL_HPP
#define FPGAOPS_POOL_HPP

#include <stdint.h>

#include "fpgaops/common.hpp"

namespace fpgaops {
namespace hw {

struct PoolConfig {
  static const int MAX_WIDTH = cfg::POOL_MAX_WIDTH;
  static const int MAX_OPEN_ROWS = cfg::POOL_MAX_OPEN_ROWS;
  static const int MAX_KERNEL = cfg::POOL_MAX_KERNEL;
  // The channel-blocked path: B = gemm.pe channels per vector (the conv tops' blocks, so a conv's y
  // is this path's x), the output rows it keeps open and the words of an output row
  // (pool.blocked_open_rows / blocked_out_words: why these sizes is in kernels/config/fpgaops.toml).
  static const int BLOCK = cfg::GEMM_PE;
  static const int BLOCKED_OPEN_ROWS =
      MAX_OPEN_ROWS < cfg::POOL_BLOCKED_OPEN_ROWS ? MAX_OPEN_ROWS : cfg::POOL_BLOCKED_OPEN_ROWS;
  static const int BLOCKED_OUT_WORDS = cfg::POOL_BLOCKED_OUT_WORDS;
};

// kind: the reduction (bit 0) and the layout (bit 1: POOL_BLOCKED, the channel-blocked path).
enum PoolKind { POOL_MAX = 0, POOL_AVG = 1, POOL_BLOCKED = 2 };

// The scalar arguments of one launch (fpgaops.ops.pool.PoolCall).
struct PoolArgs {
  int planes, adaptive, count_include_pad;
  int h, oh, kh, sh, ph, dh;
  int w, ow, kw, sw, pw, dw;
  int zero_point, open_rows;
};

// The valid taps of output i along one axis: positions first + t * step for t < taps, and the
// average's divisor factor (count).
struct Window {
  int first, step, taps, count;
};

inline Window axis_window(int i, int n, int o, int k, int s, int p, int d, bool adaptive, bool include_pad) {
#pragma HLS INLINE
  Window win;
  if (adaptive) {  // PyTorch's bins [floor(i*n/o), ceil((i+1)*n/o))
    const int lo = int((int64_t(i) * n) / o);
    const int hi = int(((int64_t(i) + 1) * n + o - 1) / o);
    win.first = lo;
    win.step = 1;
    win.taps = hi - lo;
    win.count = hi - lo;
    return win;
  }
  const int start = i * s - p;
  const int t0 = start >= 0 ? 0 : (d - 1 - start) / d;  // first tap inside [0, n)
  const int last = n - 1 - start;                       // taps t with t * d <= last are < n
  int t1 = last < 0 ? 0 : cmin(k, last / d + 1);
  if (t1 < t0) t1 = t0;
  win.first = start + t0 * d;
  win.step = d;
  win.taps = t1 - t0;
  // count_include_pad: PyTorch's divisor counts the padding but not the ceil_mode overhang
  win.count = include_pad ? cmin(start + k, n + p) - start : t1 - t0;
  return win;
}

// ---- dtype policies -----------------------------------------------------------------------------
// CHAIN_II1: combining into the running accumulator fits one cycle (int32 add / compare), so the
// global path may chain several words of a plane at II=1; a float add cannot (the global path then
// takes only planes of one word).
struct PoolF32 {
  typedef float in_t;
  typedef float acc_t;
  typedef float out_t;
  static const bool CHAIN_II1 = false;
};
struct PoolI8 {
  typedef int8_t in_t;
  typedef int32_t acc_t;  // sums of (q - zero_point): |.| <= 255 * taps, taps <= 2^31 / 255 (host)
  typedef int8_t out_t;
  static const bool CHAIN_II1 = true;
};

// a / b rounded half to even, from its floor division: q = floor(a / b), r = a - q * b in [0, b).
inline int32_t round_floor_half_even(int32_t q, int32_t r, int32_t b) {
#pragma HLS INLINE
  const int32_t r2 = 2 * r;
  return q + ((r2 > b || (r2 == b && (q & 1))) ? 1 : 0);
}

// Exact round-half-to-even of a / b, b > 0: a 32-bit divider, for the planar path's one lane per
// cycle (its adaptive and global windows may span up to pool.max_width squared elements).
inline int32_t div_round_half_even(int32_t a, int32_t b) {
#pragma HLS INLINE
  int32_t q = a / b, r = a % b;
  if (r < 0) {  // C++ division truncates toward zero: make it floor
    q -= 1;
    r += b;
  }
  return round_floor_half_even(q, r, b);
}

// The same for b in [1, MAX_DIV] and |a| <= 255 * b (an int8 average: a sum of at most b terms x - zp,
// |x - zp| <= 255), so |a / b| < 256: the channel-blocked path's divide, in each of a word's lanes
// every cycle. Not a 32-bit divider per lane (32 pipelined stages of 32-bit subtracts, 64 times
// over) but a restoring division of the magnitudes with the eight quotient bits the bound leaves,
// each step one compare-subtract on operands as wide as the window allows, NB = bits(255 * MAX_DIV)
// (UG1399: an operator is as wide as its operands); then floor and round half to even as above.
// (estimator resources.py counts QUOTIENT_BITS x NB LUTs a lane: params.divider_luts.)
static const int QUOTIENT_BITS = 8;  // |a / b| < 2^8
template <int MAX_DIV>
inline int32_t div_round_half_even_bounded(int32_t a, int32_t b) {
#pragma HLS INLINE
  static const int NB = ilog2(255 * MAX_DIV) + 1;
  typedef ap_uint<NB> mag_t;
  FPGAOPS_SIM_ASSERT(b >= 1 && b <= MAX_DIV && a <= 255 * b && a >= -255 * b,
                     "pool: average " << a << " / " << b << " outside the bounded divider's range");
  const bool neg = a < 0;
  mag_t r = mag_t(neg ? -a : a);
  const mag_t d = mag_t(b);
  int q = 0;
DIV_STEPS:
  for (int i = QUOTIENT_BITS - 1; i >= 0; i--) {
#pragma HLS UNROLL
    const mag_t t = d << i;  // <= 2^(QUOTIENT_BITS - 1) * MAX_DIV < 255 * MAX_DIV: fits NB bits
    if (r >= t) {
      r -= t;
      q |= 1 << i;
    }
  }
  // |a| = q * b + r, 0 <= r < b: a's floor quotient and remainder
  const int rem = int(r);
  if (neg && rem != 0) return round_floor_half_even(-q - 1, b - rem, b);  // a = -(q + 1) b + (b - rem)
  return round_floor_half_even(neg ? -q : q, rem, b);
}

// ---- kind policies: PoolOp<D, KIND> ---------------------------------------------------------------
// finish<MAX_DIV>: MAX_DIV bounds the divisor (the channel-blocked path: a window of at most
// pool.max_kernel squared elements), 0 when unbounded (the planar path).
template <class D, int KIND>
struct PoolOp;

template <>
struct PoolOp<PoolF32, POOL_MAX> {
  static float init() { return lane_traits<float>::from_bits(0xff800000u); }  // -inf: the padding
  static float lift(float x, int) { return x; }
  // NaN wins: (v > m) is false for NaN, so test it explicitly; a NaN m is never replaced.
  static float combine(float m, float v) { return (v > m || v != v) ? v : m; }
  template <int MAX_DIV>
  static float finish(float m, int, int) { return m; }
};
template <>
struct PoolOp<PoolF32, POOL_AVG> {
  static float init() { return 0.0f; }
  static float lift(float x, int) { return x; }
  static float combine(float s, float v) { return s + v; }
  template <int MAX_DIV>
  static float finish(float s, int divisor, int) { return s / float(divisor); }
};
template <>
struct PoolOp<PoolI8, POOL_MAX> {
  static int32_t init() { return -128; }
  static int32_t lift(int8_t x, int) { return x; }
  static int32_t combine(int32_t m, int32_t v) { return v > m ? v : m; }
  template <int MAX_DIV>
  static int8_t finish(int32_t m, int, int) { return int8_t(m); }
};
template <>
struct PoolOp<PoolI8, POOL_AVG> {
  static int32_t init() { return 0; }
  static int32_t lift(int8_t x, int zp) { return int32_t(x) - zp; }  // padding is the real 0 = zp
  static int32_t combine(int32_t s, int32_t v) { return s + v; }
  template <int MAX_DIV>
  static int8_t finish(int32_t s, int divisor, int zp) {
    const int32_t v = zp + (MAX_DIV ? div_round_half_even_bounded<MAX_DIV ? MAX_DIV : 1>(s, divisor)
                                    : div_round_half_even(s, divisor));
    return int8_t(v < -128 ? -128 : (v > 127 ? 127 : v));
  }
};

// ---- the engine ------------------------------------------------------------------------------------
template <class Cfg, class D, int KIND>
struct PoolEngine {
  typedef typename D::in_t in_t;
  typedef typename D::acc_t acc_t;
  typedef typename D::out_t out_t;
  typedef PoolOp<D, KIND> Op;
  typedef lanes_t<in_t> word_lanes_t;

  static const int MAX_W = Cfg::MAX_WIDTH;
  static const int MAX_ROWS = Cfg::MAX_OPEN_ROWS;
  static const int MAX_K = Cfg::MAX_KERNEL;
  static const int L = lanes_per_word<in_t>::value;
  typedef Lanes<acc_t, L> acc_lanes_t;  // the channel-blocked path's partials and outputs, a word's lanes
  typedef Lanes<out_t, L> out_lanes_t;
  static const int MAX_WORDS = ceil_div(MAX_W, L);
  static const int MAX_H = 2147483647;

  static_assert(MAX_W >= 1 && MAX_W <= 65536, "pool.max_width must be in [1, 65536]");
  static_assert(MAX_ROWS >= 1 && MAX_ROWS <= 64, "pool.max_open_rows must be in [1, 64]");
  static_assert(MAX_K >= 1 && MAX_K <= 1024, "pool.max_kernel must be in [1, 1024]");
  static_assert(MAX_ROWS >= MAX_K, "pool.max_open_rows must be >= pool.max_kernel (stride-1 windows)");

  // ---- process 1: every input row through the realigning reader --------------------------------------
  static void read_rows(const word_t* x, PoolArgs g, hls::stream<word_lanes_t>& words_s) {
    FPGAOPS_CYCLES_PROCESS("read", 1, 3);
    const int words = ceil_div(g.w, L);
    const int rows = g.planes * g.h;
  READ_ROWS:
    for (int r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_H
      read_elems<in_t, MAX_W>(x, r * g.w, g.w, words, words_s);
    }
  }

  // ---- process 2: the row buffer and the horizontal reduction -----------------------------------------
  static void hpool(PoolArgs g, hls::stream<word_lanes_t>& words_s, hls::stream<acc_t>& h_s) {
    FPGAOPS_CYCLES_PROCESS("hpool", 1, 4);
    in_t row[MAX_W + L];
#pragma HLS ARRAY_PARTITION variable=row type=cyclic factor=L dim=1
    int col_first[MAX_W], col_step[MAX_W], col_taps[MAX_W];
    const bool adaptive = g.adaptive != 0;
    int iters = 0;  // pipelined iterations per row: one per tap, at least one per output column
    FPGAOPS_CYCLES_LOOP(g.ow);
  COLUMN_WINDOWS:
    for (int j = 0; j < g.ow; j++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_W
      FPGAOPS_CYCLES_ITER();
      const Window c = axis_window(j, g.w, g.ow, g.kw, g.sw, g.pw, g.dw, adaptive, false);
      col_first[j] = c.first;
      col_step[j] = c.step;
      col_taps[j] = c.taps;
      iters += c.taps > 0 ? c.taps : 1;
    }
    // regular windows: the register offsets of the taps (u = t * dw, t < kw)
    const int span = adaptive ? 0 : (g.kw - 1) * g.dw;
    bool tap_mask[MAX_K];
#pragma HLS ARRAY_PARTITION variable=tap_mask type=complete
  TAP_MASK:
    for (int u = 0; u < MAX_K; u++) {
#pragma HLS UNROLL
      tap_mask[u] = !adaptive && u <= span && u % g.dw == 0;
    }
    const int words = ceil_div(g.w, L);
    const int rows = g.planes * g.h;
  HPOOL_ROWS:
    for (int r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_H
      FPGAOPS_CYCLES_LOOP(words);
    FILL_ROW:
      for (int wd = 0; wd < words; wd++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WORDS
        FPGAOPS_CYCLES_ITER();
        const word_lanes_t v = words_s.read();
      FILL_LANES:
        for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
          row[wd * L + l] = v.v[l];
        }
      }
      if (!adaptive) {
        // Regular windows: a shift register of the last MAX_K columns (win[u] = column c - u). Output j
        // is complete when its last tap column e_j = j*sw - pw + (kw-1)*dw has entered; its taps are
        // then win[u] for the u in tap_mask (u = 0, dw, ..., (kw-1)*dw). Columns outside [0, w) enter as
        // the identity (the padding). One column per cycle, one output every sw cycles, all kw taps
        // combined in the same cycle.
        acc_t win[MAX_K];
#pragma HLS ARRAY_PARTITION variable=win type=complete
      WIN_INIT:
        for (int u = 0; u < MAX_K; u++) {
#pragma HLS UNROLL
          win[u] = Op::init();
        }
        const int c_end = (g.ow - 1) * g.sw - g.pw + span;  // last tap column of the last output
        int next_e = span - g.pw;                             // last tap column of output 0
        FPGAOPS_CYCLES_LOOP(c_end + g.pw + 1);
      HPOOL_SLIDE:
        for (int c = -g.pw; c <= c_end; c++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_W+MAX_K
          FPGAOPS_CYCLES_ITER();
        WIN_SHIFT:
          for (int u = MAX_K - 1; u > 0; u--) {
#pragma HLS UNROLL
            win[u] = win[u - 1];
          }
          win[0] = (c >= 0 && c < g.w) ? Op::lift(row[c], g.zero_point) : Op::init();
          if (c == next_e) {
            acc_t a = Op::init();
          WIN_TAPS:
            for (int u = 0; u < MAX_K; u++) {
#pragma HLS UNROLL
              if (tap_mask[u]) a = Op::combine(a, win[u]);
            }
            h_s.write(a);
            next_e += g.sw;
          }
        }
        continue;
      }
      // Adaptive bins (up to the whole row): one tap per cycle over the precomputed column ranges.
      int j = 0, t = 0, pos = col_first[0];
      acc_t acc = Op::init();
      FPGAOPS_CYCLES_LOOP(iters);
    HPOOL_TAPS:
      for (int it = 0; it < iters; it++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_W*MAX_K
        FPGAOPS_CYCLES_ITER();
        const int taps = col_taps[j];
        if (t < taps) acc = Op::combine(acc, Op::lift(row[pos], g.zero_point));
        t++;
        pos += col_step[j];
        if (t >= (taps > 0 ? taps : 1)) {  // column j done
          h_s.write(acc);
          acc = Op::init();
          j++;
          t = 0;
          pos = j < g.ow ? col_first[j] : 0;
        }
      }
    }
  }

  // ---- process 3: the accumulator rows and the vertical reduction --------------------------------------
  static void arm(int s, int i, PoolArgs g, int* next_row, int* step, int* left, int* cnt) {
#pragma HLS INLINE
    if (i < g.oh) {
      const Window wv = axis_window(i, g.h, g.oh, g.kh, g.sh, g.ph, g.dh, g.adaptive != 0, g.count_include_pad != 0);
      next_row[s] = wv.first;
      step[s] = wv.step;
      left[s] = wv.taps;
      cnt[s] = wv.count;
    } else {  // past the last output row: never hit, never emitted
      next_row[s] = -1;
      step[s] = 1;
      left[s] = 0;
      cnt[s] = 1;
    }
  }

  // The vertical reduction of both paths, one template: a ring of SLOTS open output rows (g.open_rows
  // of them in use) of nc cells of NL lanes -- planar: a cell is one column (NL = NG = 1); blocked: a
  // bus word of G columns of B planes (NL = L, NG = G). Lane l of cell c belongs to output column
  // c * NG + l / (NL / NG); cells past g.ow are written as 0. Per plane, each input row's partials
  // (one cell per cycle) update every open row it falls into; the rows finished by it leave in order.
  static acc_t lane(const acc_t& v, int) { return v; }
  static acc_t lane(const acc_lanes_t& v, int l) { return v.v[l]; }
  static void set_lane(out_t& o, int, out_t v) { o = v; }
  static void set_lane(out_lanes_t& o, int l, out_t v) { o.v[l] = v; }

  template <int SLOTS, int MAXC, int NL, int NG, int MAX_DIV, class V, class O>
  static void vpool_bank(PoolArgs g, int nc, hls::stream<V>& h_s, hls::stream<O>& out_s) {
    FPGAOPS_CYCLES_PROCESS("vpool", 1, 4);
    acc_t bank[SLOTS][MAXC][NL];
#pragma HLS ARRAY_PARTITION variable=bank type=complete dim=1
#pragma HLS ARRAY_PARTITION variable=bank type=complete dim=3
    int next_row[SLOTS], step[SLOTS], left[SLOTS], cnt[SLOTS];
#pragma HLS ARRAY_PARTITION variable=next_row type=complete
#pragma HLS ARRAY_PARTITION variable=step type=complete
#pragma HLS ARRAY_PARTITION variable=left type=complete
#pragma HLS ARRAY_PARTITION variable=cnt type=complete
    int cnt_w[MAXC][NG];  // divisor factor of output column c * NG + u (-1: past g.ow, written as 0)
#pragma HLS ARRAY_PARTITION variable=cnt_w type=complete dim=2
    const int a = g.open_rows;
    FPGAOPS_CYCLES_LOOP(nc);
  COLUMN_COUNTS:
    for (int c = 0; c < nc; c++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAXC
      FPGAOPS_CYCLES_ITER();
    COLUMN_COUNTS_CELL:
      for (int u = 0; u < NG; u++) {
#pragma HLS UNROLL
        const int j = c * NG + u;
        cnt_w[c][u] = j < g.ow ? axis_window(j, g.w, g.ow, g.kw, g.sw, g.pw, g.dw, g.adaptive != 0,
                                             g.count_include_pad != 0).count : -1;
      }
    }
    // Every slot starts (and, after each emission, is left) in the init state.
    FPGAOPS_CYCLES_LOOP(nc);
  BANK_INIT:
    for (int c = 0; c < nc; c++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAXC
      FPGAOPS_CYCLES_ITER();
    BANK_INIT_ROWS:
      for (int s = 0; s < SLOTS; s++) {
#pragma HLS UNROLL
      BANK_INIT_LANES:
        for (int l = 0; l < NL; l++) {
#pragma HLS UNROLL
          bank[s][c][l] = Op::init();
        }
      }
    }
  VPOOL_PLANES:
    for (int p = 0; p < g.planes; p++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_H
    ARM_SLOTS:
      for (int s = 0; s < SLOTS; s++) {
#pragma HLS UNROLL
        arm(s, s < a ? s : g.oh, g, next_row, step, left, cnt);
      }
      int next_emit = 0, slot0 = 0;
    VPOOL_ROWS:
      for (int r = 0; r < g.h; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_H
        bool hit[SLOTS];
#pragma HLS ARRAY_PARTITION variable=hit type=complete
      HIT_SLOTS:
        for (int s = 0; s < SLOTS; s++) {
#pragma HLS UNROLL
          hit[s] = left[s] > 0 && next_row[s] == r;
        }
        FPGAOPS_CYCLES_LOOP(nc);
      VPOOL_CELLS:
        for (int c = 0; c < nc; c++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAXC
#pragma HLS DEPENDENCE variable=bank type=inter false
          FPGAOPS_CYCLES_ITER();
          const V v = h_s.read();
        UPDATE_SLOTS:
          for (int s = 0; s < SLOTS; s++) {
#pragma HLS UNROLL
          UPDATE_LANES:
            for (int l = 0; l < NL; l++) {
#pragma HLS UNROLL
              if (hit[s]) bank[s][c][l] = Op::combine(bank[s][c][l], lane(v, l));
            }
          }
        }
      ADVANCE_SLOTS:
        for (int s = 0; s < SLOTS; s++) {
#pragma HLS UNROLL
          if (hit[s]) {
            next_row[s] += step[s];
            left[s]--;
          }
        }
        // Finished output rows leave in order (after the last row, every remaining one is finished).
      EMIT_ROWS:
        while (next_emit < g.oh && left[slot0] == 0) {
#pragma HLS LOOP_TRIPCOUNT min=0 max=SLOTS
          const int ch = cnt[slot0];
          FPGAOPS_CYCLES_LOOP(nc);
        EMIT_CELLS:
          for (int c = 0; c < nc; c++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAXC
            FPGAOPS_CYCLES_ITER();
            O o;
          EMIT_LANES:
            for (int l = 0; l < NL; l++) {
#pragma HLS UNROLL
              const int cw = cnt_w[c][l / (NL / NG)];
              set_lane(o, l, cw >= 0 ? Op::template finish<MAX_DIV>(bank[slot0][c][l], ch * cw, g.zero_point) : out_t(0));
              bank[slot0][c][l] = Op::init();
            }
            out_s.write(o);
          }
          arm(slot0, next_emit + a, g, next_row, step, left, cnt);
          next_emit++;
          slot0 = slot0 + 1 == a ? 0 : slot0 + 1;
        }
      }
      FPGAOPS_SIM_ASSERT(next_emit == g.oh, "pool: " << g.oh - next_emit << " output rows never finished");
    }
  }

  // ---- process 4: the outputs ----------------------------------------------------------------------------
  static void write_out(out_t* y, PoolArgs g, hls::stream<out_t>& out_s) {
    FPGAOPS_CYCLES_PROCESS("write", 1, 2);
    const int total = g.planes * g.oh * g.ow;
    FPGAOPS_CYCLES_LOOP(total);
  WRITE_OUT:
    for (int i = 0; i < total; i++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_H
      FPGAOPS_CYCLES_ITER();
      y[i] = out_s.read();
    }
  }

  // ---- the global path: adaptive 1 x 1 output (GlobalAvgPool), one word of L lanes per cycle -----------
  //   read_planes --words--> reduce_planes --outputs--> write_out
  // Each plane is one realigned burst of its h*w elements; reduce_planes folds a whole word per cycle
  // (the lanes combined by a tree) into the plane's accumulator, so a plane takes ceil(h*w / L)
  // cycles instead of the row-by-row passes of the general engine.
  static bool global_path(const PoolArgs& g) {
#pragma HLS INLINE
    return g.adaptive != 0 && g.oh == 1 && g.ow == 1 && (D::CHAIN_II1 || (long long)g.h * g.w <= L);
  }

  static const int MAX_PLANE = mul_sat(MAX_W, MAX_W);

  static void read_planes(const word_t* x, PoolArgs g, hls::stream<word_lanes_t>& words_s) {
    FPGAOPS_CYCLES_PROCESS("read", 1, 3);
    const int hw = g.h * g.w;
  READ_PLANES:
    for (int p = 0; p < g.planes; p++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_H
      read_elems<in_t, MAX_PLANE>(x, p * hw, hw, ceil_div(hw, L), words_s);
    }
  }

  static void reduce_planes(PoolArgs g, hls::stream<word_lanes_t>& words_s, hls::stream<out_t>& out_s) {
    FPGAOPS_CYCLES_PROCESS("reduce", 1, 4);
    const int hw = g.h * g.w;
    const int wpp = ceil_div(hw, L);
    const int total = g.planes * wpp;
    acc_t acc = Op::init();
    int k = 0;  // word of the plane
    FPGAOPS_CYCLES_LOOP(total);
  REDUCE_WORDS:
    for (int t = 0; t < total; t++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_H
      FPGAOPS_CYCLES_ITER();
      const word_lanes_t v = words_s.read();
      acc_t part[L];
#pragma HLS ARRAY_PARTITION variable=part type=complete
    REDUCE_LIFT:
      for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
        part[l] = k * L + l < hw ? Op::lift(v.v[l], g.zero_point) : Op::init();  // lanes past the plane: identity
      }
    REDUCE_TREE:
      for (int span = L / 2; span >= 1; span /= 2) {
#pragma HLS UNROLL
      REDUCE_PAIRS:
        for (int l = 0; l < L / 2; l++) {
#pragma HLS UNROLL
          if (l < span) part[l] = Op::combine(part[l], part[l + span]);
        }
      }
      acc = Op::combine(acc, part[0]);
      if (k + 1 == wpp) {
        out_s.write(Op::template finish<0>(acc, hw, g.zero_point));
        acc = Op::init();
        k = 0;
      } else {
        k++;
      }
    }
  }

  static void run_global(const word_t* x, out_t* y, PoolArgs g) {
#pragma HLS DATAFLOW
    FPGAOPS_CYCLES_REGION("global");
    hls::stream<word_lanes_t, 2*MAX_WORDS+2> words_s("pool.plane_words");
    hls::stream<out_t, MAX_W> out_s("pool.plane_outputs");
    FPGAOPS_DATAFLOW_PROCESS(read_planes(x, g, words_s));
    FPGAOPS_DATAFLOW_PROCESS(reduce_planes(g, words_s, out_s));
    FPGAOPS_DATAFLOW_PROCESS(write_out(y, g, out_s));
    FPGAOPS_DATAFLOW_END();
  }

  // ---- the channel-blocked path: regular windows, a whole bus word per cycle ---------------------------
  //   read_words --words--> hpool_words --row partial words--> vpool_words --output words--> write_words
  // x and y in the conv tops' layout (docs/conv_hls.md "Layouts", blocking the planes instead of
  // each image's channels): act[p][h][wp][B], B = gemm.pe planes per vector, G = L / B vectors
  // (consecutive columns) per word, rows padded to wp = ceil(w / G) * G columns (ow likewise). Every
  // lane is its own plane, so both reductions are lane-wise: the horizontal pass slides a register of
  // vectors G columns per cycle; the vertical pass is the planar path's bank of open output rows with
  // a whole word per cell. One word in and at most one word out per cycle.
  static const int B = Cfg::BLOCK;
  static const int G = L / B;
  static const int MAX_BROWS = Cfg::BLOCKED_OPEN_ROWS;
  static const int MAX_IW = ceil_div(MAX_W, G);   // words of an input row
  static const int MAX_QW = Cfg::BLOCKED_OUT_WORDS;  // words of an output row
  // The register spans every column of the oldest output of a word until its newest has entered:
  // (G - 1) * sw + (kw - 1) * dw + G <= G * (MAX_K + 1) vectors (sw <= max_kernel, host-checked).
  static const int REG = G * (MAX_K + 1);
  static const int TAPS = G * MAX_K;  // register offsets a tap can take relative to the word's last column
  static_assert(B >= 1 && L % B == 0, "pool: gemm.pe must divide the lanes of a word (the conv blocks)");

  static bool blocked_fits(const PoolArgs& g) {
#pragma HLS INLINE
    return g.adaptive == 0 && g.sw <= MAX_K && (g.kw - 1) * int64_t(g.dw) + 1 <= MAX_K &&
           (g.kh - 1) * int64_t(g.dh) + 1 <= MAX_K && g.open_rows <= MAX_BROWS &&
           ceil_div(g.ow, G) <= MAX_QW;
  }

  static void read_words(const word_t* x, PoolArgs g, hls::stream<word_lanes_t>& words_s) {
    FPGAOPS_CYCLES_PROCESS("read", 1, 3);
    const int total = g.planes * g.h * ceil_div(g.w, G);
    FPGAOPS_CYCLES_LOOP(total);
  READ_WORDS:
    for (int i = 0; i < total; i++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_H
      FPGAOPS_CYCLES_ITER();
      words_s.write(unpack<in_t>(x[i]));
    }
  }

  // Word k of a row brings columns kG .. kG+G-1: after the shift, win[G-1-v] holds column kG + v
  // (win[i] = column newest - i; columns < 0 and >= w are the identity: the padding and the row's
  // pad columns). Output word q (outputs qG .. qG+G-1) leaves in the iteration its last column
  // e_q = (qG + G - 1) * sw - pw + (kw - 1) * dw enters; e_{q+1} - e_q = G * sw >= G, so at most one
  // word leaves per iteration. Output o = qG + v, tap t reads win[newest - (o * sw - pw + t * dw)]
  // = win[delta + j], delta = newest - e_q (in [0, G)) and j = (G-1-v) * sw + span - t * dw fixed for
  // the call: so the taps are a mask over the register computed once per call (tap_mask[v][j], as
  // the planar path's), and the only per-word selection is the G-way shift by delta.
  static void hpool_words(PoolArgs g, hls::stream<word_lanes_t>& words_s, hls::stream<acc_lanes_t>& h_s) {
    FPGAOPS_CYCLES_PROCESS("hpool", 1, 4);
    const int nw = ceil_div(g.w, G), nq = ceil_div(g.ow, G);
    const int span = (g.kw - 1) * g.dw;
    const int e_last = (nq * G - 1) * g.sw - g.pw + span;
    const int iters = cmax(nw, e_last / G + 1);
    const int rows = g.planes * g.h;
    bool tap_mask[G][TAPS];
#pragma HLS ARRAY_PARTITION variable=tap_mask type=complete dim=0
  WORD_TAP_MASK:
    for (int v = 0; v < G; v++) {
#pragma HLS UNROLL
    WORD_TAP_MASK_OFFSETS:
      for (int j = 0; j < TAPS; j++) {
#pragma HLS UNROLL
        const int d = (G - 1 - v) * g.sw + span - j;  // t * dw of the tap at offset j
        tap_mask[v][j] = d >= 0 && d % g.dw == 0 && d / g.dw < g.kw;
      }
    }
  HPOOL_WORD_ROWS:
    for (int r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_H
      acc_t win[REG][B];
#pragma HLS ARRAY_PARTITION variable=win type=complete dim=0
    REG_INIT:
      for (int i = 0; i < REG; i++) {
#pragma HLS UNROLL
      REG_INIT_LANES:
        for (int b = 0; b < B; b++) {
#pragma HLS UNROLL
          win[i][b] = Op::init();
        }
      }
      int q = 0, e_q = (G - 1) * g.sw - g.pw + span;
      FPGAOPS_CYCLES_LOOP(iters);
    HPOOL_WORDS:
      for (int k = 0; k < iters; k++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_IW+MAX_K
        FPGAOPS_CYCLES_ITER();
        word_lanes_t v = zero_lanes<in_t>();
        if (k < nw) v = words_s.read();
      REG_SHIFT:
        for (int i = REG - 1; i >= G; i--) {
#pragma HLS UNROLL
        REG_SHIFT_LANES:
          for (int b = 0; b < B; b++) {
#pragma HLS UNROLL
            win[i][b] = win[i - G][b];
          }
        }
      REG_IN:
        for (int u = 0; u < G; u++) {
#pragma HLS UNROLL
        REG_IN_LANES:
          for (int b = 0; b < B; b++) {
#pragma HLS UNROLL
            win[G - 1 - u][b] = k < nw && k * G + u < g.w ? Op::lift(v.v[u * B + b], g.zero_point) : Op::init();
          }
        }
        if (q < nq && e_q < (k + 1) * G) {
          const int delta = k * G + G - 1 - e_q;
          FPGAOPS_SIM_ASSERT(delta >= 0 && delta < G, "pool: blocked output word " << q << " late by " << delta);
          acc_t view[TAPS][B];  // the register from the word's last column on: view[j] = win[delta + j]
#pragma HLS ARRAY_PARTITION variable=view type=complete dim=0
        VIEW_SHIFT:
          for (int j = 0; j < TAPS; j++) {
#pragma HLS UNROLL
          VIEW_SHIFT_LANES:
            for (int b = 0; b < B; b++) {
#pragma HLS UNROLL
              view[j][b] = win[j + delta][b];
            }
          }
          acc_lanes_t o;
        OUT_VECTORS:
          for (int u = 0; u < G; u++) {
#pragma HLS UNROLL
          OUT_LANES:
            for (int b = 0; b < B; b++) {
#pragma HLS UNROLL
              acc_t a = Op::init();
            OUT_TAPS:
              for (int j = 0; j < TAPS; j++) {
#pragma HLS UNROLL
                if (tap_mask[u][j]) a = Op::combine(a, view[j][b]);
              }
              o.v[u * B + b] = a;
            }
          }
          h_s.write(o);
          q++;
          e_q += G * g.sw;
        }
      }
    }
  }

  // The output words, L consecutive elements per cycle (y stays element-typed like the planar path's;
  // the consecutive writes widen to one bus word per beat: max_widen_bitwidth on the top's y port).
  static void write_words(out_t* y, PoolArgs g, hls::stream<out_lanes_t>& out_s) {
    FPGAOPS_CYCLES_PROCESS("write", 1, 2);
    const int total = g.planes * g.oh * ceil_div(g.ow, G);
    FPGAOPS_CYCLES_LOOP(total);
  WRITE_WORDS:
    for (int i = 0; i < total; i++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_H
      FPGAOPS_CYCLES_ITER();
      const out_lanes_t o = out_s.read();
    WRITE_LANES:
      for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
        y[i * L + l] = o.v[l];
      }
    }
  }

  static void run_blocked(const word_t* x, out_t* y, PoolArgs g) {
#pragma HLS DATAFLOW
    FPGAOPS_CYCLES_REGION("blocked");
    // words_s: hpool_words takes a word every cycle; h_s: an output row of partials, so hpool_words
    // runs on while vpool_words emits a finished row; out_s: one output row
    hls::stream<word_lanes_t, 4> words_s("pool.blocked_words");
    hls::stream<acc_lanes_t, MAX_QW> h_s("pool.blocked_hpartials");
    hls::stream<out_lanes_t, MAX_QW> out_s("pool.blocked_outputs");
    FPGAOPS_DATAFLOW_PROCESS(read_words(x, g, words_s));
    FPGAOPS_DATAFLOW_PROCESS(hpool_words(g, words_s, h_s));
    // a blocked window is at most MAX_K x MAX_K (blocked_fits): its divides are bounded
    FPGAOPS_DATAFLOW_PROCESS((vpool_bank<MAX_BROWS, MAX_QW, L, G, MAX_K * MAX_K>(g, ceil_div(g.ow, G), h_s, out_s)));
    FPGAOPS_DATAFLOW_PROCESS(write_words(y, g, out_s));
    FPGAOPS_DATAFLOW_END();
  }

  static void run(const word_t* x, out_t* y, PoolArgs g) {
#pragma HLS DATAFLOW
    FPGAOPS_CYCLES_REGION("stream");
    hls::stream<word_lanes_t, 2*MAX_WORDS+2> words_s("pool.words");
    hls::stream<acc_t, MAX_W> h_s("pool.hpartials");
    hls::stream<out_t, MAX_W> out_s("pool.outputs");
    FPGAOPS_DATAFLOW_PROCESS(read_rows(x, g, words_s));
    FPGAOPS_DATAFLOW_PROCESS(hpool(g, words_s, h_s));
    FPGAOPS_DATAFLOW_PROCESS((vpool_bank<MAX_ROWS, MAX_W, 1, 1, 0>(g, g.ow, h_s, out_s)));
    FPGAOPS_DATAFLOW_PROCESS(write_out(y, g, out_s));
    FPGAOPS_DATAFLOW_END();
  }
};

// Sim-only checks of the scalar contract (the host validates all of it before a launch).
inline void check_pool_args(const PoolArgs& g) {
  const int max_w = cfg::POOL_MAX_WIDTH;
  FPGAOPS_SIM_ASSERT(g.planes >= 1 && g.h >= 1 && g.w >= 1 && g.oh >= 1 && g.ow >= 1,
                     "pool: planes " << g.planes << ", h " << g.h << ", w " << g.w << ", oh " << g.oh << ", ow " << g.ow);
  FPGAOPS_SIM_ASSERT(g.w <= max_w && g.ow <= max_w,
                     "pool: w = " << g.w << ", ow = " << g.ow << " (pool.max_width = " << max_w << ")");
  FPGAOPS_SIM_ASSERT(g.open_rows >= 1 && g.open_rows <= cfg::POOL_MAX_OPEN_ROWS,
                     "pool: open_rows = " << g.open_rows << " (pool.max_open_rows = " << cfg::POOL_MAX_OPEN_ROWS << ")");
  FPGAOPS_SIM_ASSERT(g.adaptive || (g.kw - 1) * int64_t(g.dw) + 1 <= cfg::POOL_MAX_KERNEL,
                     "pool: window extent " << (g.kw - 1) * int64_t(g.dw) + 1 << " > pool.max_kernel = "
                                            << cfg::POOL_MAX_KERNEL);
  FPGAOPS_SIM_ASSERT(g.kh >= 1 && g.kw >= 1 && g.sh >= 1 && g.sw >= 1 && g.dh >= 1 && g.dw >= 1 && g.ph >= 0 &&
                         g.pw >= 0,
                     "pool: bad window (" << g.kh << "x" << g.kw << ", stride " << g.sh << "x" << g.sw << ")");
  FPGAOPS_SIM_ASSERT(int64_t(g.planes) * g.h * g.w <= 2147483647LL && int64_t(g.planes) * g.oh * g.ow <= 2147483647LL,
                     "pool: more than 2^31 - 1 elements");
  // the channel-blocked path: planes of B lanes, rows padded to whole words
  FPGAOPS_SIM_ASSERT(int64_t(g.planes) * cfg::GEMM_PE * g.h * (g.w + lanes_per_word<int8_t>::value) <= 2147483647LL &&
                         int64_t(g.planes) * cfg::GEMM_PE * g.oh * (g.ow + lanes_per_word<int8_t>::value) <= 2147483647LL,
                     "pool: more than 2^31 - 1 elements (channel-blocked)");
  (void)g;
  (void)max_w;
}

// Entry point of the tops: the kind picks the PoolOp policy.
template <class Cfg, class D>
void pool(const word_t* x, typename D::out_t* y, int kind, PoolArgs g) {
  check_pool_args(g);
  typedef PoolEngine<Cfg, D, POOL_MAX> Max;
  typedef PoolEngine<Cfg, D, POOL_AVG> Avg;
  if (kind & POOL_BLOCKED) {
    FPGAOPS_SIM_ASSERT(Max::blocked_fits(g), "pool: the channel-blocked path takes regular windows with stride and "
                                             "extent <= pool.max_kernel, open_rows <= " << Cfg::BLOCKED_OPEN_ROWS
                                                 << " and output rows of <= " << Cfg::BLOCKED_OUT_WORDS << " words");
    if ((kind & 1) == POOL_MAX)
      Max::run_blocked(x, y, g);
    else
      Avg::run_blocked(x, y, g);
    return;
  }
  if (kind == POOL_MAX) {
    if (Max::global_path(g))
      Max::run_global(x, y, g);
    else
      Max::run(x, y, g);
  } else {
    if (Avg::global_path(g))
      Avg::run_global(x, y, g);
    else
      Avg::run(x, y, g);
  }
}

}  // namespace hw
}  // namespace fpgaops

#endif  // FPGAOPS_POOL_HPP
