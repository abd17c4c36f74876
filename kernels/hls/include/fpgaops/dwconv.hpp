// Depthwise convolution (groups == C == K): the dedicated engine of MobileNet's 3x3 stride-1 and
// stride-2 depthwise layers, SIMD channels x one output pixel per cycle.
//
// Argument semantics are those of fpgaops.ops.conv2d.ConvCall with groups == c == k, but the
// tensors are channel-innermost (NHWC) and the channel count is a multiple of dwconv.simd:
//   x       [n][h][w][c]          the activations, packed in the bus word like every buffer
//   weight  [r * s][c]            tap-major: the c channels of tap (i, j) at row i * s + j
//   y       [n][oh][ow][c]        whole words (the host allocates the last word in full)
//   bias / mult / shift [c]
// The host launchers (fpgaops/backends/csim/dwconv.py, xrt/dwconv.py) convert NCHW / KCRS, pad the
// channels to a multiple of SIMD and expand a channel multiplier K / C > 1 by repeating input
// channels, so every ConvCall the host routes here stays bit-exact against the NumPy reference.
// Header-only and interface-free: the tops in kernels/hls/top/fpgaops_dwconv.cpp add the pragmas.
// The epilogue is conv2d.hpp's (ConvF32 / ConvI8, the dtype policies), so depthwise and im2col agree
// bit-exactly in int8 by construction. No residual (the host routes such calls to im2col).
//
// One canonical DATAFLOW region per launch, four processes, each stream single-producer /
// single-consumer:
//
//   fetch --(words)--> split --(tap vectors, padded row vectors)--> compute --(SIMD accs)--> store
//
//   fetch    the r*s tap rows (one burst each), then per image every input row the output rows need,
//            once, in order: one realigned burst of the row's w*c contiguous elements (NHWC makes
//            a row one burst). One word per cycle (II=1).
//   split    the words into SIMD-channel vectors, the pad value around each row's image columns
//            (padded column e is image column e - pad_left). One vector per cycle (II=1).
//   compute  a line buffer lb[LB_ROWS][NB][DEPTH] of SIMD-channel vectors: input row h in row slot
//            h mod LB_ROWS, padded column e in column bank e mod NB (NB = max_kernel) at address
//            (e / NB) * CG + g for channel group g (CG = c / SIMD); the slots and banks of the
//            window and of the fill advance as counters, no division per cycle. Per step
//            one pipelined loop (II=1) computes one output vector (pixel (p, q), group g: SIMD
//            channels x the unrolled R x S window) AND writes one incoming vector of the rows of
//            the next output row, in slots the window does not read (extent_h + stride_h <=
//            LB_ROWS), so the line buffer fills while it is read (true dual-port banks: one read,
//            at most one write per cycle).
//            No bank is selected at run time: every cycle reads every (slot, bank) once at its own
//            address (the window of NB consecutive columns starting at q * stride_w covers each
//            bank exactly once), then the taps are picked from those registers by multiplexers
//            (a slot mux per filter row, a rotation per tap column). The weights sit in
//            wk[MAX_K * MAX_K][MAX_CG]: one bank per tap, read at address g.
//   store    the per-channel epilogue constants (once per launch), then per vector the epilogue on
//            each lane (bias, activation; int8 requantization) packed into bus words: L / SIMD
//            vectors per word, one word written every L / SIMD cycles, contiguous (NHWC).
//
// int8: taps are (x - x_zp) * w in int32 and padding holds the code x_zp, so a padded tap is an
// exact 0 (no weight-sum correction needed, unlike the int8 x int8 MAC array of conv2d.hpp).
#ifndef FPGAOPS_DWCONV_HPP
#define FPGAOPS_DWCONV_HPP

#include <stdint.h>

#include "fpgaops/common.hpp"
#include "fpgaops/conv2d.hpp"

// dwconv.line_buffer_uram: the line buffer's banks in UltraRAM or block RAM (a pragma argument, so a macro).
#if FPGAOPS_DWCONV_LINE_BUFFER_URAM
#define FPGAOPS_DWCONV_LB_IMPL uram
#else
#define FPGAOPS_DWCONV_LB_IMPL bram
#endif

namespace fpgaops {
namespace hw {

// kernels/config/fpgaops.toml, [dwconv].
struct DwconvConfig {
  static const int SIMD = cfg::DWCONV_SIMD;                 // channels per cycle
  static const int MAX_W = cfg::DWCONV_MAX_W;               // longest padded input row (columns)
  static const int MAX_K = cfg::DWCONV_MAX_KERNEL;          // largest R and S
  static const int LB_ROWS = cfg::DWCONV_LINE_BUFFER_ROWS;  // row slots of the line buffer
  static const int MAX_C = cfg::DWCONV_MAX_CHANNELS;        // channels (a multiple of SIMD)
  static const int MAX_ROW = cfg::DWCONV_MAX_ROW;           // elements of one padded input row (columns x c)
};

// One filter tap: float for float32; for int8 exact in the product's own width, ap_int<9> x
// ap_int<8> -> ap_int<17> (|x - zp| <= 255: the tops assert zp in [-128, 127]; |(x - zp) * w| <=
// 255 * 128 < 2^16). dwconv.taps_in_fabric = 1 binds that 9 x 8-bit multiply to LUTs (UG1399
// BIND_OP op=mul impl=fabric) instead of a DSP48E2: SIMD * MAX_K^2 small multipliers a board short
// of DSPs (the ZCU104, whose DSPs go to the conv2d MAC array) pays for in LUTs. Same arithmetic
// either way, so C-simulation is bit-exact for both.
inline float dw_tap(float x, float w, int) { return x * w; }
inline int32_t dw_tap(int8_t x, int8_t w, int zp) {
#pragma HLS INLINE
  const dsp_int<9> d = dsp_int<9>(int(x) - zp);  // dsp_int: ap_int under synthesis (sim_assert.hpp)
  const dsp_int<17> prod = d * dsp_int<8>(int(w));
#if FPGAOPS_DWCONV_TAPS_IN_FABRIC
#pragma HLS BIND_OP variable=prod op=mul impl=fabric
#endif
  return prod.to_int();
}

// Pipeline depth of the compute loop (the unrolled window's adder tree): the cycle counters' D.
template <typename T>
struct DwDepth;
template <>
struct DwDepth<float> {
  static const int value = 14;
};
template <>
struct DwDepth<int8_t> {
  static const int value = 6;
};

// Launch geometry, derived from ConvArgs by each process itself (a value computed once in the region
// body and read by several processes would not be a canonical DATAFLOW channel).
struct DwGeom {
  int cg;        // channel groups: c / SIMD
  int wp;        // padded row: (ow - 1) * stride_w + (s - 1) * dil_w + 1 columns
  int len;       // image columns inside the padded row
  int extent_h;  // (r - 1) * dil_h + 1
  int row_vecs;  // vectors of one padded row: wp * cg
};

template <int SIMD>
inline DwGeom dw_geometry(const ConvArgs& a) {
#pragma HLS INLINE
  DwGeom g;
  g.cg = a.c / SIMD;
  g.wp = (a.ow - 1) * a.stride_w + (a.s - 1) * a.dil_w + 1;
  const int len = cmin(a.w, g.wp - a.pad_left);
  g.len = len > 0 ? len : 0;
  g.extent_h = (a.r - 1) * a.dil_h + 1;
  g.row_vecs = g.wp * g.cg;
  return g;
}

// Input rows [lo, hi] of output row p's window (every row of the dilated extent: with dil_h > 1 the
// rows between taps are loaded too, which keeps the row order a simple ascending scan).
inline int dw_window_lo(int p, const ConvArgs& a) { return p * a.stride_h - a.pad_top; }

// Input rows step `p` of an image fills: output row p's rows not already filled for row p - 1.
inline int dw_first_new_row(int p, const ConvArgs& a, int extent_h) {
  const int lo = dw_window_lo(p, a);
  const int prev_hi = dw_window_lo(p - 1, a) + extent_h - 1;
  return p == 0 || prev_hi < lo ? lo : prev_hi + 1;
}

template <class Cfg, class P>
struct DwconvEngine {
  typedef typename P::in_t in_t;
  typedef typename P::acc_t acc_t;
  typedef typename P::out_t out_t;
  typedef typename P::bias_t bias_t;
  typedef lanes_t<in_t> in_word_t;

  static const int SIMD = Cfg::SIMD;
  static const int MAX_W = Cfg::MAX_W;
  static const int MAX_K = Cfg::MAX_K;
  static const int LB_ROWS = Cfg::LB_ROWS;
  static const int MAX_C = Cfg::MAX_C;
  static const int MAX_ROW = Cfg::MAX_ROW;
  static const int L = lanes_per_word<in_t>::value;
  static const int V = L / SIMD;                        // vectors per bus word
  static const int NB = MAX_K;                          // column banks
  static const int MAX_CG = MAX_C / SIMD;
  static const int LB_DEPTH = ceil_div(MAX_ROW, SIMD * NB);   // vectors per (slot, bank)
  static const int ROW_CAP = LB_DEPTH * NB * SIMD;             // elements one row slot holds
  static const int MAX_ROW_VECS = ROW_CAP / SIMD;
  static const int MAX_TAPS = MAX_K * MAX_K;
  static const int DEPTH = DwDepth<in_t>::value;
  static const int MAX_OUT = MAX_ROW_VECS;              // output vectors of one output row (trip counts)

  typedef Lanes<in_t, SIMD> vec_t;
  typedef Lanes<acc_t, SIMD> acc_vec_t;

  static_assert(SIMD >= 1 && (SIMD & (SIMD - 1)) == 0 && L % SIMD == 0,
                "dwconv.simd must be a power of two dividing the lanes of a bus word");
  static_assert(MAX_C % SIMD == 0, "dwconv.max_channels must be a multiple of dwconv.simd");
  static_assert(MAX_W >= 1 && MAX_ROW >= SIMD, "dwconv.max_w / max_row too small");
  static_assert(MAX_K >= 1 && MAX_K <= 16, "dwconv.max_kernel must be in [1, 16]");
  static_assert(LB_ROWS > MAX_K, "dwconv.line_buffer_rows must be > dwconv.max_kernel");

  // ---- process 1: fetch ------------------------------------------------------------------------------
  // The tap rows, then every input row the output rows need, once, in order, as bus words.
  static void fetch(const word_t* x, const word_t* wt, ConvArgs a, hls::stream<in_word_t>& word_s) {
    FPGAOPS_CYCLES_PROCESS("fetch", 1, 3);
    const DwGeom g = dw_geometry<SIMD>(a);
  FETCH_TAPS:
    for (int t = 0; t < a.r * a.s; t++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_TAPS
      read_elems<in_t, MAX_C>(wt, t * a.c, a.c, ceil_div(a.c, L), word_s);
    }
  FETCH_IMAGES:
    for (int nn = 0; nn < a.n; nn++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=16
    FETCH_OUT_ROWS:
      for (int p = 0; p < a.oh; p++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_W
        const int h_hi = dw_window_lo(p, a) + g.extent_h - 1;
      FETCH_IN_ROWS:
        for (int h = dw_first_new_row(p, a, g.extent_h); h <= h_hi; h++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_K
          // a pad row (outside the image) reads nothing: split makes it of pad vectors
          const bool in = h >= 0 && h < a.h && g.len > 0;
          const int vecs = in ? g.len * g.cg : 0;
          read_elems<in_t, ROW_CAP>(x, in ? (nn * a.h + h) * a.w * a.c : 0, vecs * SIMD, ceil_div(vecs, V), word_s);
        }
      }
    }
  }

  // ---- process 2: split ------------------------------------------------------------------------------
  // Words -> SIMD-channel vectors: the tap rows to w_s, each padded input row (the pad value around
  // its image columns) to x_s. One vector per cycle.
  static void split(ConvArgs a, hls::stream<in_word_t>& word_s, hls::stream<vec_t>& w_s, hls::stream<vec_t>& x_s) {
    FPGAOPS_CYCLES_PROCESS("split", 1, 3);
    const DwGeom g = dw_geometry<SIMD>(a);
    const in_t pad = P::pad_value(a);
  SPLIT_TAPS:
    for (int t = 0; t < a.r * a.s; t++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_TAPS
      split_row(word_s, g.cg, g.cg, 0, w_s, pad);
    }
  SPLIT_IMAGES:
    for (int nn = 0; nn < a.n; nn++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=16
    SPLIT_OUT_ROWS:
      for (int p = 0; p < a.oh; p++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_W
        const int h_hi = dw_window_lo(p, a) + g.extent_h - 1;
      SPLIT_IN_ROWS:
        for (int h = dw_first_new_row(p, a, g.extent_h); h <= h_hi; h++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_K
          const bool in = h >= 0 && h < a.h && g.len > 0;
          split_row(word_s, g.row_vecs, in ? g.len * g.cg : 0, a.pad_left * g.cg, x_s, pad);
        }
      }
    }
  }

  // `total` vectors to out: vectors [first, first + count) from the words of seg_s (V per word, in
  // lane order), the pad value elsewhere. One vector per cycle.
  static void split_row(hls::stream<in_word_t>& seg_s, int total, int count, int first, hls::stream<vec_t>& out,
                        in_t pad) {
#pragma HLS INLINE
    in_word_t word = zero_lanes<in_t>();
    int sub = 0;
    FPGAOPS_CYCLES_LOOP(total);
  SPLIT_VECS:
    for (int e = 0; e < total; e++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_ROW_VECS
      FPGAOPS_CYCLES_ITER();
      const bool inside = e >= first && e - first < count;
      if (inside && sub == 0) word = seg_s.read();
      vec_t v;
    SPLIT_LANES:
      for (int l = 0; l < SIMD; l++) {
#pragma HLS UNROLL
        v.v[l] = inside ? word.v[sub * SIMD + l] : pad;  // a V:1 multiplexer per lane
      }
      out.write(v);
      if (inside) sub = sub + 1 == V ? 0 : sub + 1;
    }
  }

  // ---- process 2: compute ----------------------------------------------------------------------------
  static void compute(ConvArgs a, hls::stream<vec_t>& w_s, hls::stream<vec_t>& x_s, hls::stream<acc_vec_t>& acc_s) {
    FPGAOPS_CYCLES_PROCESS("compute", 1, DEPTH);
    const DwGeom g = dw_geometry<SIMD>(a);
    vec_t wk[MAX_TAPS][MAX_CG];
#pragma HLS ARRAY_PARTITION variable=wk type=complete dim=1
    vec_t lb[LB_ROWS][NB][LB_DEPTH];
#pragma HLS ARRAY_PARTITION variable=lb type=complete dim=1
#pragma HLS ARRAY_PARTITION variable=lb type=complete dim=2
#pragma HLS BIND_STORAGE variable=lb type=ram_t2p impl=FPGAOPS_DWCONV_LB_IMPL
    // Tap (i, j) goes to bank i * MAX_K + j, so the unrolled window reads constant banks.
    int ti = 0, tj = 0, tg = 0;
    FPGAOPS_CYCLES_LOOP(a.r * a.s * g.cg);
  COMPUTE_TAPS:
    for (int e = 0; e < a.r * a.s * g.cg; e++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_TAPS * MAX_CG
      FPGAOPS_CYCLES_ITER();
      wk[ti * MAX_K + tj][tg] = w_s.read();
      if (tg + 1 < g.cg) {
        tg++;
      } else {
        tg = 0;
        if (tj + 1 < a.s) {
          tj++;
        } else {
          tj = 0;
          ti++;
        }
      }
    }
  COMPUTE_IMAGES:
    for (int nn = 0; nn < a.n; nn++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=16
      // Step p computes output row p - 1 and fills the rows output row p adds.
    COMPUTE_STEPS:
      for (int p = 0; p <= a.oh; p++) {
#pragma HLS LOOP_TRIPCOUNT min=2 max=MAX_W
        const int n_out = p > 0 ? a.ow * g.cg : 0;
        const int f_row = p < a.oh ? dw_first_new_row(p, a, g.extent_h) : 0;
        const int n_fill = p < a.oh ? (dw_window_lo(p, a) + g.extent_h - f_row) * g.row_vecs : 0;
        const int h_lo = dw_window_lo(p - 1, a);
        step(a, g, h_lo, n_out, f_row, n_fill, wk, lb, x_s, acc_s);
      }
    }
  }

  // x mod m for any int x (rows above the image are negative), once per step, never per cycle.
  static int mod(int x, int m) {
#pragma HLS INLINE
    const int r = x % m;
    return r < 0 ? r + m : r;
  }

  static void step(const ConvArgs& a, const DwGeom& g, int h_lo, int n_out, int f_row, int n_fill,
                   vec_t wk[MAX_TAPS][MAX_CG], vec_t lb[LB_ROWS][NB][LB_DEPTH], hls::stream<vec_t>& x_s,
                   hls::stream<acc_vec_t>& acc_s) {
#pragma HLS INLINE
    const int trips = n_out > n_fill ? n_out : n_fill;
    // The slots of the window's rows (h_lo + i * dil_h) mod LB_ROWS: i * dil_h < LB_ROWS, so one
    // conditional subtraction each.
    int slot_of[MAX_K];
#pragma HLS ARRAY_PARTITION variable=slot_of type=complete dim=1
    const int lo_slot = mod(h_lo, LB_ROWS);
  WIN_SLOTS:
    for (int i = 0; i < MAX_K; i++) {
#pragma HLS UNROLL
      const int sl = lo_slot + (i < a.r ? i * a.dil_h : 0);
      slot_of[i] = sl >= LB_ROWS ? sl - LB_ROWS : sl;
    }
    // The output window's first column c0 = q * stride_w as (block c0 / NB, bank c0 mod NB), advanced
    // by counters; the fill column likewise. No division or modulo per cycle.
    const int sw_blk = a.stride_w / NB, sw_m = a.stride_w - sw_blk * NB;
    int c0_blk = 0, c0_m = 0, og = 0;
    int f_blk = 0, f_m = 0, fg = 0, f_col = 0, fslot = mod(f_row, LB_ROWS);
    FPGAOPS_CYCLES_LOOP(trips);
  COMPUTE_STEP:
    for (int t = 0; t < trips; t++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_OUT
// The fill writes rows the window of this step does not read (extent_h + stride_h <= LB_ROWS).
#pragma HLS DEPENDENCE variable=lb type=inter false
#pragma HLS DEPENDENCE variable=lb type=intra false
      FPGAOPS_CYCLES_ITER();
      if (t < n_out) {
        // Every (slot, bank) once: bank b holds window column c0 + ((b - c0) mod NB), in block c0_blk
        // for b >= c0 mod NB, else in the next block.
        const int base = c0_blk * g.cg + og;
        vec_t raw[LB_ROWS][NB];
#pragma HLS ARRAY_PARTITION variable=raw type=complete dim=0
      READ_SLOTS:
        for (int sl = 0; sl < LB_ROWS; sl++) {
#pragma HLS UNROLL
        READ_BANKS:
          for (int b = 0; b < NB; b++) {
#pragma HLS UNROLL
            // past the padded row the address may leave the bank: read any word, the tap is unused
            const int addr = b < c0_m ? base + g.cg : base;
            raw[sl][b] = lb[sl][b][addr < LB_DEPTH ? addr : base];
          }
        }
        acc_vec_t acc;
      ACC_CLEAR:
        for (int l = 0; l < SIMD; l++) {
#pragma HLS UNROLL
          acc.v[l] = acc_t(0);
        }
      WIN_R:
        for (int i = 0; i < MAX_K; i++) {
#pragma HLS UNROLL
        WIN_S:
          for (int j = 0; j < MAX_K; j++) {
#pragma HLS UNROLL
            const int bk = c0_m + (j < a.s ? j * a.dil_w : 0);   // < 2 NB: (s - 1) * dil_w < NB
            const vec_t& xv = raw[slot_of[i]][bk >= NB ? bk - NB : bk];  // slot mux + bank rotation
            const vec_t& wv = wk[i * MAX_K + j][og];
          WIN_LANES:
            for (int l = 0; l < SIMD; l++) {
#pragma HLS UNROLL
              if (i < a.r && j < a.s) acc.v[l] += dw_tap(xv.v[l], wv.v[l], a.x_zero_point);
            }
          }
        }
        acc_s.write(acc);
        if (og + 1 < g.cg) {
          og++;
        } else {
          og = 0;
          const int m = c0_m + sw_m;
          c0_m = m >= NB ? m - NB : m;
          c0_blk += sw_blk + (m >= NB ? 1 : 0);
        }
      }
      if (t < n_fill) {
        lb[fslot][f_m][f_blk * g.cg + fg] = x_s.read();
        if (fg + 1 < g.cg) {
          fg++;
        } else if (f_col + 1 < g.wp) {
          fg = 0;
          f_col++;
          f_blk += f_m + 1 == NB ? 1 : 0;
          f_m = f_m + 1 == NB ? 0 : f_m + 1;
        } else {
          fg = 0, f_col = 0, f_blk = 0, f_m = 0;
          fslot = fslot + 1 == LB_ROWS ? 0 : fslot + 1;
        }
      }
    }
  }

  // ---- process 3: store ------------------------------------------------------------------------------
  static void store(const bias_t* bias, const int32_t* mult, const int32_t* shift, word_t* y, ConvArgs a,
                    hls::stream<acc_vec_t>& acc_s) {
    FPGAOPS_CYCLES_PROCESS("store", 1, 8);
    const DwGeom g = dw_geometry<SIMD>(a);
    ConvChannel<acc_t> ch[MAX_CG][SIMD];
#pragma HLS ARRAY_PARTITION variable=ch type=complete dim=2
    // bias, mult and shift share one m_axi bundle: three reads per channel (II=3, once per launch).
    FPGAOPS_CYCLES_LOOP(a.c);
  STORE_CHANNELS:
    for (int kk = 0; kk < a.c; kk++) {
#pragma HLS PIPELINE II=3
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_C
      FPGAOPS_CYCLES_ITERS(3);
      ch[kk / SIMD][kk & (SIMD - 1)] = P::channel(bias, mult, shift, kk, acc_t(0), a);
    }
    const int total = a.n * a.oh * a.ow * g.cg;
    lanes_t<out_t> word = zero_lanes<out_t>();
    int sub = 0, cgi = 0, wi = 0;
    FPGAOPS_CYCLES_LOOP(total);
  STORE_VECS:
    for (int e = 0; e < total; e++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_OUT
      FPGAOPS_CYCLES_ITER();
      const acc_vec_t acc = acc_s.read();
    STORE_LANES:
      for (int l = 0; l < SIMD; l++) {
#pragma HLS UNROLL
        word.v[sub * SIMD + l] = P::epilogue(acc.v[l], ch[cgi][l], out_t(0), a);
      }
      if (sub + 1 == V || e + 1 == total) {
        y[wi] = pack<out_t>(word);
        wi++;
      }
      sub = sub + 1 == V ? 0 : sub + 1;
      cgi = cgi + 1 == g.cg ? 0 : cgi + 1;
    }
  }

  // ---- the region: one per launch ------------------------------------------------------------------------
  static void run(const word_t* x, const word_t* wt, const bias_t* bias, const int32_t* mult, const int32_t* shift,
                  word_t* y, ConvArgs a) {
#pragma HLS DATAFLOW
    FPGAOPS_CYCLES_REGION("image");
    hls::stream<in_word_t, 32> word_s("dwconv.words");
    hls::stream<vec_t, 2> w_s("dwconv.w");
    hls::stream<vec_t, 64> x_s("dwconv.x");
    hls::stream<acc_vec_t, 64> acc_s("dwconv.acc");
    FPGAOPS_DATAFLOW_PROCESS(fetch(x, wt, a, word_s));
    FPGAOPS_DATAFLOW_PROCESS(split(a, word_s, w_s, x_s));
    FPGAOPS_DATAFLOW_PROCESS(compute(a, w_s, x_s, acc_s));
    FPGAOPS_DATAFLOW_PROCESS(store(bias, mult, shift, y, a, acc_s));
    FPGAOPS_DATAFLOW_END();
  }
};

// The padded row length the kernel needs: (OW - 1) * sw + (S - 1) * dw + 1 (<= dwconv.max_w).
inline int dwconv_padded_width(const ConvArgs& a) { return (a.ow - 1) * a.stride_w + (a.s - 1) * a.dil_w + 1; }

// Entry point. Contract (checked by the tops in C-simulation, and by the host, which routes every
// other depthwise call to the im2col kernel): groups == c == k, c a multiple of dwconv.simd and <=
// dwconv.max_channels, r, s <= max_kernel, (s - 1) * dil_w + 1 <= NB, (r - 1) * dil_h + 1 +
// stride_h <= line_buffer_rows, dwconv_padded_width <= max_w, ceil(padded width / NB) * c / SIMD
// <= the line buffer's depth (dwconv_row_fits: dwconv.max_row elements per row slot), no residual.
// The line buffer holds the padded row: ceil(wp / NB) * (c / SIMD) vectors per bank.
template <class Cfg>
inline bool dwconv_row_fits(int wp, int c) {
  typedef DwconvEngine<Cfg, ConvI8> E;
  return (long long)ceil_div(wp, E::NB) * (c / Cfg::SIMD) <= E::LB_DEPTH;
}

template <class Cfg, class P>
void dwconv(const word_t* x, const word_t* wt, const typename P::bias_t* bias, const int32_t* mult,
            const int32_t* shift, word_t* y, const ConvArgs& a) {
#pragma HLS INLINE
  DwconvEngine<Cfg, P>::run(x, wt, bias, mult, shift, y, a);
}

}  // namespace hw
}  // namespace fpgaops

#endif  // FPGAOPS_DWCONV_HPP
