// The tiled GEMM engine:  y[p] = alpha * op(A_p) @ op(B_p) + beta * C_p,  p < batch.
//
// Argument semantics are those of fpgaops.ops.gemm.GemmCall (strides in elements, stride 0 shares
// one matrix across the batch, ldc 0 broadcasts one bias row). Header-only and interface-free: the
// tops in kernels/hls/top/fpgaops_gemm.cpp add the m_axi / s_axilite pragmas. The engine's structure,
// the int8 packing arithmetic and the AMD documentation behind each rule: docs/conv_hls.md.
//
// One template, dtype policies (GemmF32: float in, float acc; GemmI8: int8 in, exact int32 acc,
// optionally two MACs per DSP48E2) and one config struct (GemmConfig: every tunable from
// kernels/config, gemm.*).
//
// ---- structure ------------------------------------------------------------------------------------
// C is cut in TILE_M x TILE_N output tiles; K in slices of TILE_K. One DATAFLOW region runs once per
// output tile (dataflow in a loop, so consecutive tiles overlap), in canonical form: every channel
// has one producer and one consumer, and data only flows forward:
//
//   load_tile --a_s, b_s (slices)--> compute_tile --c_tile (PIPO)--> store_tile
//             --desc_s (tile)------->              --done_s (tile)-->
//             --side_s (end)-------->
//
//   load_tile     decides the tile (the only run-time divisions), sends its descriptor, then per K
//                 slice the A slice as TILE_M rows of TILE_K and the B slice as TILE_N rows of
//                 TILE_K: both operands always reach the MAC array k-contiguous ("canonical form").
//                 A stored M x K and B stored N x K (trans_b) are bursts of such rows already;
//                 A^T (trans_a) and B stored K x N are turned around on the way, by a skewed
//                 transposer (transpose.hpp: constant banks, two log-depth lane rotators), so the
//                 transposes are decided at load time and never select banks in the MAC array.
//   compute_tile  the PE x SIMD MAC array. Ping-pong slice buffers indexed by one bit: step s fills
//                 slice s into buffer s&1 while the array consumes slice s-1 from the other, in ONE
//                 pipelined loop with ONE call site (one RTL instance of the array). A and B come on
//                 streams of their own; with SPLIT_FILL (conv2d: weights and window generator are
//                 two processes) the fill takes a word of each per cycle, else A's words then B's.
//   store_tile    epilogue alpha*acc + beta*C (float) / acc + C (int8) and the write of y.
//
// The DATAFLOW region is one output tile: consecutive tiles overlap through the loop's dataflow,
// and the accumulators live inside compute_tile (no static state: the tops are re-entrant). In
// C-simulation the processes run concurrently on FIFOs of their declared depth (hls_stream.h), so
// a FIFO too shallow for this schedule deadlocks the test instead of passing.
//
// ---- the MAC array ------------------------------------------------------------------------------------
// Per K slice the MAC loop visits (ks, bm, n): ks < TILE_K/SIMD outermost, then the TILE_M/PE row
// blocks, then the TILE_N columns. One iteration computes PE output channels (rows bm*PE..+PE) of
// column n, each a SIMD-long dot product over k = ks*SIMD..+SIMD: PE x SIMD MACs, weights read as
// PE bus words from constant row banks pe of A, the activation vector from one word of B (shared by
// the PE rows: the broadcast the DSP packing exploits); the slice buffers hold bus words, so their
// fill moves a whole word per cycle (slice_step). Output-stationary: acc[bm, n][pe] accumulates over
// the whole K; consecutive iterations hit different accumulators and one accumulator is
// read-modified-written every (TILE_M/PE) * cols iterations, which covers a float adder's
// latency at II=1 (the DEPENDENCE pragma states the shortest such distance, a true dependence).
// cols is the tile's valid columns (an edge tile's pixels or N), at least MIN_COLS: the columns
// past the tile are never multiplied, their c_tile entries never written nor read by the store.
// Likewise only the row blocks holding valid rows (d.rows) are visited, as long as they hold
// enough accumulators to keep that distance (then cols is raised to ceil(MIN_DIST / row blocks)).
#ifndef FPGAOPS_GEMM_HPP
#define FPGAOPS_GEMM_HPP

#include <stdint.h>

#include "fpgaops/common.hpp"
#include "fpgaops/dsp48e2.hpp"
#include "fpgaops/transpose.hpp"

namespace fpgaops {
namespace hw {

// ---- configuration ----------------------------------------------------------------------------------
// The build's GEMM tunables (kernels/config/fpgaops.toml, [gemm]). A different struct with the same
// members instantiates the engine with other sizes (tests, a second xclbin kernel).
struct GemmConfig {
  static const int TILE_M = cfg::GEMM_TILE_M;
  static const int TILE_N = cfg::GEMM_TILE_N;
  static const int TILE_K = cfg::GEMM_TILE_K;
  static const int PE = cfg::GEMM_PE;      // output channels (rows of C) per cycle
  static const int SIMD = cfg::GEMM_SIMD;  // reduction lanes (k) per cycle
  static const bool PACK_INT8 = cfg::GEMM_PACK_INT8 != 0;  // int8: two MACs per DSP48E2 (WP486)
  static const int MAX_DIM = cfg::GEMM_MAX_DIM;
};

// ---- dtype policies -----------------------------------------------------------------------------------
template <bool B>
struct BoolTag {};  // compile-time choice between two implementations (only the chosen one is instantiated)

// dot(w, x, out): one MAC-array iteration, out[pe] = sum_s w[pe][s] * x[s] (PE x SIMD MACs).
// float32: products and sums in float; y = alpha * acc (+ beta * C).
struct GemmF32 {
  typedef float in_t;
  typedef float acc_t;
  typedef float scalar_t;
  static const int MAC_DEPTH = 14;  // float multiply (~4) + adder tree + float add (~7) + accumulator RAM
  template <int PE, int SIMD, bool PACK>
  static void dot(const in_t w[PE][SIMD], const in_t x[SIMD], acc_t out[PE]) {
#pragma HLS INLINE
  DOT_F32_PE:
    for (int pe = 0; pe < PE; pe++) {
#pragma HLS UNROLL
      acc_t s = 0.0f;
    DOT_F32_SIMD:
      for (int si = 0; si < SIMD; si++) {
#pragma HLS UNROLL
        s += w[pe][si] * x[si];
      }
      out[pe] = s;
    }
  }
  // beta == 0 means C is not read at all (BLAS semantics: C may hold anything, even NaN).
  static bool uses_c(scalar_t beta) { return beta != 0.0f; }
  static acc_t epilogue(acc_t acc, acc_t c, scalar_t alpha, scalar_t beta, bool use_c) {
    return use_c ? alpha * acc + beta * c : alpha * acc;
  }
};

// int8 x int8 -> int32, exact: |a*b| <= 2^14 and K <= gemm.max_dim <= 2^31 / 2^14 - 1 keep every
// partial sum inside int32 (so the accumulation never overflows). alpha is always 1; beta in {0, 1} adds C (int32)
// with two's-complement wrap-around like torch's int32 add, computed in uint32 so it has no UB.
struct GemmI8 {
  typedef int8_t in_t;
  typedef int32_t acc_t;
  typedef int scalar_t;
  static const int MAC_DEPTH = 6;  // DSP multiply (3 registers) + cascade + add + accumulator RAM
  template <int PE, int SIMD, bool PACK>
  static void dot(const in_t w[PE][SIMD], const in_t x[SIMD], acc_t out[PE]) {
#pragma HLS INLINE
    dot_impl<PE, SIMD>(w, x, out, BoolTag<PACK>());
  }
  template <int PE, int SIMD>
  static void dot_impl(const in_t w[PE][SIMD], const in_t x[SIMD], acc_t out[PE], BoolTag<false>) {
#pragma HLS INLINE
  DOT_I8_PE:
    for (int pe = 0; pe < PE; pe++) {
#pragma HLS UNROLL
      acc_t s = 0;
    DOT_I8_SIMD:
      for (int si = 0; si < SIMD; si++) {
#pragma HLS UNROLL
        s += acc_t(w[pe][si]) * acc_t(x[si]);
      }
      out[pe] = s;
    }
  }
  template <int PE, int SIMD>
  static void dot_impl(const in_t w[PE][SIMD], const in_t x[SIMD], acc_t out[PE], BoolTag<true>) {
#pragma HLS INLINE
    dot_packed<PE, SIMD>(w, x, out);
  }
  // PE/2 DSP columns, each a cascade over the SIMD lanes drained every CHAIN products: rows 2q
  // (low field) and 2q+1 (high field) share the activation of each lane.
  template <int PE, int SIMD>
  static void dot_packed(const in_t w[PE][SIMD], const in_t x[SIMD], acc_t out[PE]) {
#pragma HLS INLINE
    static_assert(PE % 2 == 0, "gemm.pe must be even when gemm.pack_int8 = 1 (two output channels per DSP)");
    const int CHAIN = cmin(SIMD, Dsp48e2::MAX_CHAIN);
  DOT_PACK_PAIRS:
    for (int q = 0; q < PE / 2; q++) {
#pragma HLS UNROLL
      acc_t lo_sum = 0, hi_sum = 0;
      Dsp48e2::p_t p = 0;
    DOT_PACK_CASCADE:
      for (int si = 0; si < SIMD; si++) {
#pragma HLS UNROLL
        const Dsp48e2::m_t m = Dsp48e2::mul(Dsp48e2::preadd(w[2 * q + 1][si], w[2 * q][si]), x[si]);
        p = si % CHAIN == 0 ? Dsp48e2::p_t(m) : Dsp48e2::add(p, m);  // PCIN + M down the column
        if (si % CHAIN == CHAIN - 1 || si == SIMD - 1) {                 // drain before the low field fills
          int32_t lo, hi;
          Dsp48e2::split(p, lo, hi);
          lo_sum += lo;
          hi_sum += hi;
        }
      }
      out[2 * q] = lo_sum;
      out[2 * q + 1] = hi_sum;
    }
  }
  static bool uses_c(scalar_t beta) { return beta != 0; }
  static acc_t epilogue(acc_t acc, acc_t c, scalar_t, scalar_t, bool use_c) {
    if (!use_c) return acc;
    const uint32_t sum = uint32_t(acc) + uint32_t(c);
    return lane_traits<int32_t>::from_bits(sum);
  }
};

// The scalar arguments of one launch (see fpgaops.ops.gemm.GemmCall).
template <typename Scalar>
struct GemmArgs {
  int batch, m, n, k;
  int stride_a, stride_b, stride_c, ldc;  // in elements; 0 = shared matrix / broadcast bias row
  bool trans_a, trans_b;
  Scalar alpha, beta;
};

// ---- the engine -----------------------------------------------------------------------------------------
template <class Cfg, class P>
struct GemmEngine {
  typedef typename P::in_t in_t;
  typedef typename P::acc_t acc_t;
  typedef typename P::scalar_t scalar_t;
  typedef GemmArgs<scalar_t> args_t;
  typedef lanes_t<in_t> in_word_t;    // one unpacked word of A or B
  typedef lanes_t<acc_t> acc_word_t;  // one unpacked word of C

  static const int TM = Cfg::TILE_M;
  static const int TN = Cfg::TILE_N;
  static const int TK = Cfg::TILE_K;
  static const int PE = Cfg::PE;
  static const int SIMD = Cfg::SIMD;
  static const bool PACK = Cfg::PACK_INT8;
  static const int MAX_DIM = Cfg::MAX_DIM;
  static const int L_IN = lanes_per_word<in_t>::value;    // A/B elements per word
  static const int L_ACC = lanes_per_word<acc_t>::value;  // C elements per word

  // The config rules of python/fpgaops/config.py, checked again where they matter.
  static_assert(TM >= 1 && TN >= 1 && TK >= 1, "gemm.tile_m, gemm.tile_n and gemm.tile_k must be >= 1");
  static_assert(PE >= 1 && SIMD >= 1, "gemm.pe and gemm.simd must be >= 1");
  static_assert(TM <= 1024 && TN <= 1024 && TK <= 1024, "gemm.tile_m, gemm.tile_n and gemm.tile_k must be <= 1024");
  static_assert(TM % PE == 0, "gemm.tile_m must be a multiple of gemm.pe");
  static_assert(TK % SIMD == 0, "gemm.tile_k must be a multiple of gemm.simd");
  static_assert(L_IN % SIMD == 0, "gemm.simd must divide the lanes of an AXI word of the dtype (every fill "
                                  "step takes SIMD lanes from one word; float32 16, int8 64 at 512 bits: "
                                  "gemm.float32 = 0 builds no float32 engine)");
  static_assert(MAX_DIM >= 1 && MAX_DIM <= 2147483647 / (1 << 14),
                "gemm.max_dim must be in [1, 131071]: an int8 dot product of length K <= gemm.max_dim must stay "
                "exact in the int32 accumulator (|a*b| <= 2^14)");

  static const int G = L_IN / SIMD;           // SIMD-lane groups per word (the MAC read's lane select)
  static const int WPR_K = ceil_div(TK, L_IN);  // words per canonical row (TILE_K elements)
  static const int WPR_M = ceil_div(TM, L_IN);  // words per stored A^T row (TILE_M elements)
  static const int WPR_N = ceil_div(TN, L_IN);  // words per stored B row (TILE_N elements)
  static const int WPR_C = ceil_div(TN, L_ACC);
  static const int KS = TK / SIMD;           // SIMD steps per slice
  static const int NB_M = TM / PE;           // row blocks
  static const int NB = NB_M * TN;           // accumulators per PE
  static const int MAC_STEPS = KS * NB;      // pipelined MAC iterations per K slice of a full tile
  // The MAC loop visits the tile's valid columns only, but at least MIN_COLS of them, so that one
  // accumulator is read-modified-written at most every MIN_DIST iterations: no less than the
  // float32 accumulator's add + RAM latency (ACC_RMW cycles), the longer of the two dtypes.
  static const int ACC_RMW = 8;
  static const int MIN_COLS = cmin(TN, ceil_div(ACC_RMW, NB_M));
  static const int MIN_DIST = NB_M * MIN_COLS;
  static const int LOG2_G = ilog2(G);
  // Fill: TILE_M rows of A and TILE_N rows of B (WPR_K words each; B in vector-major order (conv2d,
  // B_VEC > 0) is the same number of words when L divides TILE_K): one bus word per step, A's then
  // B's (FILL_STEPS); or, when A and B come from two processes (SPLIT_FILL), a word of each per step
  // (SPLIT_FILL_STEPS: a_w and b_w are separate memories, so the two writes never share a port).
  static const int A_WORDS = TM * WPR_K;
  static const int B_WORDS = TN * WPR_K;
  static const int FILL_STEPS = A_WORDS + B_WORDS;
  static const int SPLIT_FILL_STEPS = cmax(A_WORDS, B_WORDS);
  static const int STEP_ITERS = cmax(MAC_STEPS, FILL_STEPS);
  static const int MAX_SLICES = ceil_div(MAX_DIM, TK);
  static const int MAX_SLICE_STEPS = MAX_SLICES + 1;  // slice_step calls per tile
  static const int MAX_SEG = cmax(TM, cmax(TN, TK));  // longest row segment of a slice (elements)
  static const int MAX_TILES = mul_sat(ceil_div(MAX_DIM, TM), ceil_div(MAX_DIM, TN));  // per batch entry
  // The load -> compute FIFOs (one per operand) only decouple the processes at row granularity (the
  // m_axi adapter already buffers whole bursts), so two of the longest rows suffice.
  static const int IN_FIFO_DEPTH = 2 * (cmax(WPR_K, cmax(WPR_M, WPR_N)) + 1);
  // Pipeline depths of the processes' loops, as the cycle counters (sim_assert.hpp) charge them
  // per loop entry: the MAC loop's is the dtype's, the burst loops' an AXI beat through the
  // realigner, the store's an epilogue and a write.
  static const int MAC_DEPTH = P::MAC_DEPTH;
  static const int LOAD_DEPTH = 3;
  static const int STORE_DEPTH = 4;

  // The transposer of stored K x M (A^T) and K x N (B) slices: TILE_K rows of up to max(TM, TN).
  typedef Transposer<in_t, TK, cmax(TM, TN)> Tr;

  // What store_tile needs of a tile, passed down the pipeline with it (canonical dataflow: the
  // launch's scalars are read by load_tile alone).
  struct Desc {
    int nk;                // K slices
    int cols;              // columns the MAC array computes: tn (compute_tile)
    int rows;              // rows the MAC array computes: TM here (conv2d skips the row blocks past Kg)
    int k_len, sv;         // K (the last slice's length follows) and, unused here, conv2d's sub-vectors
    int m0, n0, tm, tn;    // first row / column, valid rows / columns
    int y_row;             // element of y holding (m0, n0)
    int c_base, ldc, n;    // C: element of (0, n0) of this batch entry's C, row pitch (0: one row), y pitch
    bool use_c;
    scalar_t alpha, beta;
  };
  struct NoSide {  // the GEMM has no per-tile side results (conv2d sends its weight sums)
    int unused;
  };

  // ---- process 1: load ------------------------------------------------------------------------------
  // `rows` canonical rows straight from the stored matrix (valid_rows of them real, the rest zero
  // words), each exactly `words` unpacked words.
  static void load_rows(const word_t* src, int off, int pitch, int rows, int valid_rows, int len, int words,
                        hls::stream<in_word_t>& in_s) {
#pragma HLS INLINE
  LOAD_ROWS:
    for (int r = 0; r < rows; r++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_SEG
      read_elems<in_t, MAX_SEG>(src, off, r < valid_rows ? len : 0, words, in_s);
      // Only step to rows that exist: the offset of a row past the matrix could overflow 32 bits.
      if (r + 1 < valid_rows) off += pitch;
    }
  }

  // A stored slice of TILE_K rows (valid_rows real) of `len` elements, turned into `out_rows`
  // canonical rows of TILE_K through the transposer.
  static void load_transposed(const word_t* src, int off, int pitch, int valid_rows, int len, int out_rows,
                              in_t tr[Tr::L][Tr::DEPTH], hls::stream<in_word_t>& in_s) {
#pragma HLS INLINE
    const int words = ceil_div(len, L_IN);
  LOAD_T_ROWS:
    for (int r = 0; r < TK; r++) {
#pragma HLS LOOP_TRIPCOUNT min=TK max=TK
      hls::stream<in_word_t, Tr::IN_WORDS> row_s("gemm.trow");
      read_elems<in_t, MAX_SEG>(src, off, r < valid_rows ? len : 0, words, row_s);
      if (r + 1 < valid_rows) off += pitch;
      FPGAOPS_CYCLES_LOOP(words);
    LOAD_T_WRITE:
      for (int w = 0; w < words; w++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=Tr::IN_WORDS
        FPGAOPS_CYCLES_ITER();
        Tr::write(tr, r, w, row_s.read());
      }
    }
    FPGAOPS_CYCLES_LOOP(out_rows * WPR_K);
  LOAD_T_EMIT:
    for (int e = 0; e < out_rows * WPR_K; e++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_SEG*WPR_K
      FPGAOPS_CYCLES_ITER();
      const int c = e / WPR_K;  // WPR_K is a compile-time constant (a shift for powers of two)
      in_word_t word = Tr::read(tr, c, e - c * WPR_K);
      // Columns past `len` were never written for this slice: send zeros (rows outside the matrix).
      if (c >= len) word = zero_lanes<in_t>();
      in_s.write(word);
    }
  }

  static void load_tile(const word_t* a, const word_t* b, args_t g, int t, int tiles_m, int tiles_n,
                        hls::stream<in_word_t>& a_s, hls::stream<in_word_t>& b_s, hls::stream<Desc>& desc_s,
                        hls::stream<NoSide>& side_s) {
    FPGAOPS_CYCLES_PROCESS("load", 1, LOAD_DEPTH);
    // Tile t -> (batch entry p, first row m0, first column n0); the column tile varies fastest so
    // consecutive tiles share the A row panel. The only run-time divisions of the kernel.
    const int q = t / tiles_n;
    const int n0 = (t - q * tiles_n) * TN;
    const int p = q / tiles_m;
    const int m0 = (q - p * tiles_m) * TM;
    const int tm = cmin(TM, g.m - m0);
    const int tn = cmin(TN, g.n - n0);
    Desc d;
    d.nk = (g.k + TK - 1) / TK;
    d.m0 = m0, d.n0 = n0, d.tm = tm, d.tn = tn, d.cols = tn, d.rows = TM, d.k_len = g.k, d.sv = 1;
    d.y_row = (p * g.m + m0) * g.n + n0;  // y is dense: batch x M x N
    d.use_c = P::uses_c(g.beta);
    d.c_base = p * g.stride_c + n0;
    d.ldc = g.ldc, d.n = g.n, d.alpha = g.alpha, d.beta = g.beta;
    desc_s.write(d);

    in_t tr[Tr::L][Tr::DEPTH];
#pragma HLS ARRAY_PARTITION variable=tr type=complete dim=1
    const int a_base = p * g.stride_a;
    const int b_base = p * g.stride_b;
  LOAD_SLICES:
    for (int k0 = 0; k0 < g.k; k0 += TK) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_SLICES
      const int tk = cmin(TK, g.k - k0);
      if (g.trans_a) {  // A stored K x M: tk rows (k) of tm elements (i) -> TM rows of TK
        load_transposed(a, a_base + k0 * g.m + m0, g.m, tk, tm, TM, tr, a_s);
      } else {          // A stored M x K: tm rows (i) of tk elements (k), canonical already
        load_rows(a, a_base + m0 * g.k + k0, g.k, TM, tm, tk, WPR_K, a_s);
      }
      if (g.trans_b) {  // B stored N x K: tn rows (j) of tk elements (k), canonical already
        load_rows(b, b_base + n0 * g.k + k0, g.k, TN, tn, tk, WPR_K, b_s);
      } else {          // B stored K x N: tk rows (k) of tn elements (j) -> TN rows of TK
        load_transposed(b, b_base + k0 * g.n + n0, g.n, tk, tn, TN, tr, b_s);
      }
    }
    NoSide none;
    none.unused = 0;
    side_s.write(none);
  }

  // ---- process 2: compute ---------------------------------------------------------------------------
  // One ping-pong step: MAC the slice held in buffer `mb` into acc while writing the next slice,
  // read from a_s and b_s, into buffer `fb` = !mb. Both halves run in the same pipelined loop, so
  // the fill is hidden behind the MACs.
  //
  // The slice buffers hold whole bus words, as they arrive: the fill moves ONE WORD (L_IN elements)
  // per cycle, (TM + TN) * WPR_K steps per slice, so it stays below the MAC half's KS * NB steps
  // for any tile with TM*TN/(TM+TN) >= PE * SIMD / L_IN (a word of SIMD-element fills cost
  // (TM + TN) * TK / SIMD steps, which exceeded the MACs unless TM*TN/(TM+TN) >= PE). With
  // SPLIT_FILL it moves a word of A and a word of B per cycle, max(TM, TN) * WPR_K steps, which
  // stays below the MACs for TM*TN/max(TM,TN) >= PE * SIMD / L_IN: at 64^3 tiles and int8 words
  // (L_IN = 64) a PE 64 x SIMD 16 array has 256 MAC steps per slice against 128 sequential or 64
  // split fill steps, and PE 64 x SIMD 32 128 against 128 or 64. The MAC half
  // reads PE words of A (one per row bank pe: constant banks) and one word of B, and takes its
  // SIMD lanes at a lane offset of the word (a G:1 multiplexer on the read data, no bank choice):
  //   A (canonical, k-contiguous rows): a_w[.][i][k / L_IN], lanes k % L_IN
  //   B canonical:  b_w[.][n * WPR_K + k / L_IN],              lanes k % L_IN
  //   B_VEC > 0 (compile time; conv2d's window generator, B_VEC = its channel block): B arrives as
  //                 TK / B_VEC vector rows of TILE_N vectors of B_VEC lanes, GV = L_IN / B_VEC
  //                 pixels per word: SIMD step ks is sub-vector ks % SV (SV = B_VEC / SIMD) of vector
  //                 row ks / SV: b_w[.][(ks / SV) * (TN / GV) + n / GV], lanes (n % GV) * B_VEC + (ks % SV) * SIMD
  // In both B orders the fill writes b_w in arrival order (index = fill step), so it selects nothing,
  // and the MAC read picks one of L_IN / SIMD lane offsets of a word, as for canonical B.
  template <int B_VEC, bool SPLIT_FILL>
  static void slice_step(in_word_t a_w[2][TM][WPR_K], in_word_t b_w[2][B_WORDS], int fb,
                         hls::stream<in_word_t>& a_s, hls::stream<in_word_t>& b_s, acc_t acc[NB][PE],
                         acc_t c_tile[TM][TN], int cols, int bm_n, int ks_n, int sv_n, bool do_mac, bool do_fill,
                         bool first_slice, bool last_slice) {
#pragma HLS INLINE off
    static_assert(B_VEC == 0 || (B_VEC % SIMD == 0 && L_IN % B_VEC == 0 && TN % (L_IN / B_VEC) == 0 &&
                                 TK % B_VEC == 0),
                  "gemm: a vector-major B needs SIMD | B_VEC | L_IN, whole words per TILE_N and whole vectors per TILE_K");
    static const int SV = B_VEC > 0 ? B_VEC / SIMD : 1;       // SIMD sub-vectors per vector
    static const int GV = B_VEC > 0 ? L_IN / B_VEC : 1;       // vectors (pixels) per word
    static const int LOG2_SV = ilog2(SV), LOG2_GV = ilog2(GV);
    const int mb = fb ^ 1;
    // bm_n row blocks in [1, NB_M], cols in [MIN_COLS, TN] with bm_n * cols >= MIN_DIST; ks_n SIMD
    // steps in [1, KS], sv_n of each vector's SV (compute_tile)
    const int mac_n = do_mac ? ks_n * bm_n * cols : 0;
    const int fill_n = do_fill ? (SPLIT_FILL ? SPLIT_FILL_STEPS : FILL_STEPS) : 0;
    const int steps = mac_n > fill_n ? mac_n : fill_n;

    // MAC position: SIMD step ks of the slice (sub-vector sv of its vector with B_VEC), the step's
    // count kstep among the visited ones, row block bm (row = bm*TN), column n
    int ks = 0, sv = 0, kstep = 0, bm = 0, n = 0, row = 0;
    int fr = 0, fw = 0;                  // fill position of A: row, word in row

    FPGAOPS_CYCLES_LOOP(steps);
  SLICE_STEP:
    for (int t = 0; t < steps; t++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=STEP_ITERS avg=MAC_STEPS
#pragma HLS DEPENDENCE variable=acc type=inter direction=RAW distance=MIN_DIST dependent=true
      FPGAOPS_CYCLES_ITER();
      // -- MAC half: PE x SIMD multiply-accumulates, rows bm*PE.., column n, k = ks*SIMD.. --------
      if (t < mac_n) {
        const bool first = first_slice && kstep == 0;  // acc starts from the first products: no clear pass
        const bool last = last_slice && kstep == ks_n - 1;
        const int kw = ks >> LOG2_G;                 // word of k in a canonical row
        const int ka = (ks & (G - 1)) * SIMD;        // first lane of k in that word
        const int bi = B_VEC > 0 ? (ks >> LOG2_SV) * (TN / GV) + (n >> LOG2_GV) : n * WPR_K + kw;
        const int kb = B_VEC > 0 ? (n & (GV - 1)) * B_VEC + (ks & (SV - 1)) * SIMD : ka;
        const in_word_t bword = b_w[mb][bi];
        in_t wv[PE][SIMD], xv[SIMD];
        acc_t prod[PE];
#pragma HLS ARRAY_PARTITION variable=wv type=complete dim=0
#pragma HLS ARRAY_PARTITION variable=xv type=complete dim=0
#pragma HLS ARRAY_PARTITION variable=prod type=complete dim=0
      MAC_READ_PE:
        for (int pe = 0; pe < PE; pe++) {
#pragma HLS UNROLL
          const in_word_t aword = a_w[mb][bm * PE + pe][kw];
        MAC_READ_SIMD:
          for (int si = 0; si < SIMD; si++) {
#pragma HLS UNROLL
            wv[pe][si] = aword.v[(ka + si) & (L_IN - 1)];
          }
        }
      MAC_READ_X:
        for (int si = 0; si < SIMD; si++) {
#pragma HLS UNROLL
          xv[si] = bword.v[(kb + si) & (L_IN - 1)];
        }
        P::template dot<PE, SIMD, PACK>(wv, xv, prod);
      MAC_ACC:
        for (int pe = 0; pe < PE; pe++) {
#pragma HLS UNROLL
          const acc_t sum = first ? prod[pe] : acc_t(acc[row + n][pe] + prod[pe]);
          acc[row + n][pe] = sum;
          if (last) c_tile[bm * PE + pe][n] = sum;  // the block is complete: hand it to the store
        }
        // Columns fastest, then row blocks, SIMD step slowest: consecutive iterations use
        // different accumulators.
        if (n + 1 < cols) {
          n++;
        } else {
          n = 0;
          if (bm + 1 < bm_n) {
            bm++;
            row += TN;
          } else {
            bm = 0;
            row = 0;
            kstep++;
            // the next SIMD step: with B_VEC, past a vector's last visited sub-vector (sv_n of SV:
            // the others hold zero-padded channels) to the next vector's first
            if (B_VEC > 0 && sv + 1 == sv_n) {
              ks += SV - sv;
              sv = 0;
            } else {
              ks++;
              if (B_VEC > 0) sv++;
            }
          }
        }
      }
      // -- fill half: TM rows of A (WPR_K words each) and B in arrival order: a word of each per
      // step (SPLIT_FILL), else one word per step, A's first
      if (t < fill_n) {
        const bool take_a = t < A_WORDS;
        const bool take_b = SPLIT_FILL ? t < B_WORDS : t >= A_WORDS;
        if (take_a) {
          a_w[fb][fr][fw] = a_s.read();
          if (fw + 1 < WPR_K) {
            fw++;
          } else {
            fw = 0;
            fr++;
          }
        }
        if (take_b) b_w[fb][SPLIT_FILL ? t : t - A_WORDS] = b_s.read();
      }
    }
  }

  template <class D, class Side, int B_VEC = 0, bool SPLIT_FILL = false>
  static void compute_tile(hls::stream<in_word_t>& a_s, hls::stream<in_word_t>& b_s, hls::stream<D>& desc_s,
                           hls::stream<Side>& side_s, acc_t c_tile[TM][TN], hls::stream<D>& done_desc_s,
                           hls::stream<Side>& done_side_s) {
    FPGAOPS_CYCLES_PROCESS("compute", 1, MAC_DEPTH);
    const D d = desc_s.read();
    // Ping-pong slice buffers of bus words (see slice_step). The first dimension (the ping-pong
    // bit) is two banks; A is also split into PE row banks (cyclic: row i in bank i % PE), so one
    // cycle reads PE words of A and one of B, each bank one word wide.
    in_word_t a_w[2][TM][WPR_K];
    in_word_t b_w[2][B_WORDS];
#pragma HLS ARRAY_PARTITION variable=a_w type=complete dim=1
#pragma HLS ARRAY_PARTITION variable=a_w type=cyclic factor=PE dim=2
#pragma HLS ARRAY_PARTITION variable=b_w type=complete dim=1
    // Accumulators: NB per PE, one bank per PE.
    acc_t acc[NB][PE];
#pragma HLS ARRAY_PARTITION variable=acc type=complete dim=2

    // The tile's row blocks holding valid rows (d.rows), all of them if those hold fewer than
    // MIN_DIST accumulators per column pass; its valid columns (d.cols: N or pixels left), at least
    // ceil(MIN_DIST / bm_n), so one accumulator's read-modify-writes stay MIN_DIST apart.
    const int bm_v = (d.rows + PE - 1) / PE;
    const int bm_c = bm_v < 1 ? 1 : bm_v > NB_M ? NB_M : bm_v;
    const int bm_n = bm_c * TN < MIN_DIST ? NB_M : bm_c;
    int min_cols = MIN_COLS;  // ceil(MIN_DIST / bm_n): constants selected by bm_n, no divider
  MIN_COLS_OF_BLOCKS:
    for (int b = 1; b < NB_M; b++) {
#pragma HLS UNROLL
      if (b == bm_n) min_cols = (MIN_DIST + b - 1) / b;
    }
    const int cols = d.cols < min_cols ? min_cols : d.cols > TN ? TN : d.cols;
    // The SIMD steps the MAC half visits per slice: only those over real K. The last slice holds
    // k_len - (nk-1)*TK of its TK (the rest zero-padded); with B_VEC, of each vector of B_VEC
    // channels only the first d.sv sub-vectors (a single channel block of Cg < B_VEC channels: the
    // rest zero-padded channels). Zeros on both operands: skipping their MACs changes no sum.
    static const int SVN = B_VEC > 0 ? B_VEC / SIMD : 1;
    const int sv_n = B_VEC > 0 ? (d.sv < 1 ? 1 : d.sv > SVN ? SVN : d.sv) : 1;
    const int tk_last = d.k_len - (d.nk - 1) * TK;
    const int ks_full = B_VEC > 0 ? (TK / B_VEC) * sv_n : KS;
    const int ks_last = B_VEC > 0 ? ((tk_last + B_VEC - 1) / B_VEC) * sv_n : (tk_last + SIMD - 1) / SIMD;
    // Step s fills slice s (s < nk) into buffer s & 1 and multiplies slice s-1 (s >= 1) from the
    // other one: nk + 1 steps, one call site.
  COMPUTE_SLICES:
    for (int s = 0; s <= d.nk; s++) {
#pragma HLS LOOP_TRIPCOUNT min=2 max=MAX_SLICE_STEPS
      slice_step<B_VEC, SPLIT_FILL>(a_w, b_w, s & 1, a_s, b_s, acc, c_tile, cols, bm_n, s == d.nk ? ks_last : ks_full,
                                    sv_n, s > 0, s < d.nk, s == 1, s == d.nk);
    }
    done_desc_s.write(d);
    done_side_s.write(side_s.read());
  }

  // ---- process 3: store -----------------------------------------------------------------------------
  // y is written through an element-wide port, one element per beat, in bursts of one tile row.
  // Output traffic is 1/K of the compute (one element per K MACs), so a narrow port costs nothing,
  // and element writes never need a read-modify-write of a partially covered word when N or the
  // batch stride is not a multiple of the word: every tile row starts at an arbitrary element.
  static void store_tile(const word_t* c, acc_t* y, const acc_t c_tile[TM][TN], hls::stream<Desc>& desc_s,
                         hls::stream<NoSide>& side_s) {
    FPGAOPS_CYCLES_PROCESS("store", 1, STORE_DEPTH);
    const Desc d = desc_s.read();
    (void)side_s.read();
    int y_row = d.y_row;
    acc_word_t c_row[WPR_C];  // C row segment of this tile row (or the bias row)
    hls::stream<acc_word_t, WPR_C> c_s("gemm.c_row");
  STORE_ROWS:
    for (int i = 0; i < d.tm; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=TM
      // ldc == 0: one bias row for the whole tile, read once.
      if (d.use_c && (d.ldc != 0 || i == 0)) {
        read_elems<acc_t, TN>(c, d.c_base + (d.m0 + i) * d.ldc, d.tn, WPR_C, c_s);
        FPGAOPS_CYCLES_LOOP(WPR_C);
      STORE_C_ROW:
        for (int w = 0; w < WPR_C; w++) {
#pragma HLS PIPELINE II=1
          FPGAOPS_CYCLES_ITER();
          c_row[w] = c_s.read();
        }
      }
      FPGAOPS_CYCLES_LOOP(d.tn);
    STORE_COLS:
      for (int j = 0; j < d.tn; j++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=TN
        FPGAOPS_CYCLES_ITER();
        const acc_t cv = d.use_c ? c_row[j / L_ACC].v[j % L_ACC] : acc_t(0);
        y[y_row + j] = P::epilogue(c_tile[i][j], cv, d.alpha, d.beta, d.use_c);
      }
      if (i + 1 < d.tm) y_row += d.n;
    }
  }

  // ---- the tile loop: one DATAFLOW region per output tile ---------------------------------------------
  // Canonical dataflow-in-a-loop (UG1399 "Canonical Forms"): the bound is a function argument, the
  // body only declares channels and calls the processes, each channel has one producer and one
  // consumer and only load_tile reads the launch's scalars. c_tile becomes a PIPO (ping-pong) so
  // store_tile of tile t overlaps compute_tile of tile t+1.
  static void run(const word_t* a, const word_t* b, const word_t* c, acc_t* y, args_t g, int tiles_m, int tiles_n,
                  int n_tiles) {
  GEMM_TILES:
    for (int t = 0; t < n_tiles; t++) {
#pragma HLS DATAFLOW
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_TILES
      FPGAOPS_CYCLES_REGION("tiles");
      hls::stream<in_word_t, IN_FIFO_DEPTH> a_s("gemm.a");
      hls::stream<in_word_t, IN_FIFO_DEPTH> b_s("gemm.b");
      hls::stream<Desc, 2> desc_s("gemm.desc");
      hls::stream<Desc, 2> done_desc_s("gemm.done_desc");
      hls::stream<NoSide, 2> side_s("gemm.side");
      hls::stream<NoSide, 2> done_side_s("gemm.done_side");
      // The finished tile; written PE per cycle by the MAC array, read one element per cycle by
      // the store.
      acc_t c_tile[TM][TN];
#pragma HLS ARRAY_PARTITION variable=c_tile type=cyclic factor=PE dim=1
      FPGAOPS_DATAFLOW_PROCESS(load_tile(a, b, g, t, tiles_m, tiles_n, a_s, b_s, desc_s, side_s));
      FPGAOPS_DATAFLOW_PROCESS(compute_tile<Desc, NoSide>(a_s, b_s, desc_s, side_s, c_tile, done_desc_s, done_side_s));
      FPGAOPS_DATAFLOW_PROCESS(store_tile(c, y, c_tile, done_desc_s, done_side_s));
      FPGAOPS_DATAFLOW_END();
    }
  }
};

// ---- entry point --------------------------------------------------------------------------------------
// The scalar ranges are the caller's contract (checked by the tops in C-simulation and by the host
// before every launch): 1 <= m, n, k <= MAX_DIM, batch >= 1, strides >= 0, ldc in {0, n}, every
// element index of every operand < 2^31.
template <class Cfg, class P>
void gemm(const word_t* a, const word_t* b, const word_t* c, typename P::acc_t* y,
          const GemmArgs<typename P::scalar_t>& g) {
#pragma HLS INLINE
  typedef GemmEngine<Cfg, P> E;
  const int tiles_m = (g.m + E::TM - 1) / E::TM;
  const int tiles_n = (g.n + E::TN - 1) / E::TN;
  E::run(a, b, c, y, g, tiles_m, tiles_n, g.batch * tiles_m * tiles_n);
}

}  // namespace hw
}  // namespace fpgaops

#endif  // FPGAOPS_GEMM_HPP
