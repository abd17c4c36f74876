// The tiled GEMM engine:  y[p] = alpha * op(A_p) @ op(B_p) + beta * C_p,  p < batch.
//
// Argument semantics are those of fpgaops.ops.gemm.GemmCall (strides in elements, stride 0 shares
// one matrix across the batch, ldc 0 broadcasts one bias row). Header-only and interface-free: the
// tops in kernels/hls/top/fpgaops_gemm.cpp add the m_axi / s_axilite pragmas.
//
// One template, two dtype policies (GemmF32: float in, float acc; GemmI8: int8 in, exact int32
// acc) and one config struct (GemmConfig: every tunable from kernels/config, gemm.*).
//
// ---- structure ------------------------------------------------------------------------------------
// C is cut in TILE_M x TILE_N output tiles; K in slices of TILE_K. One DATAFLOW region runs once per
// output tile (dataflow in a loop, so consecutive tiles overlap):
//
//     tile_coords -> load_tile --(stream of unpacked words)--> compute_tile --(c_tile PIPO)--> store_tile
//
//   load_tile     bursts the A and B row segments of every K slice of the tile through the
//                 realigning reader (common.hpp). Either layout of either operand is a set of row
//                 segments of the stored matrix (A rows / A^T rows, B rows / B^T rows), so a
//                 transpose is still a burst per row; the transposition itself happens when those
//                 rows are written into the on-chip tile (column-wise for one layout, row-wise for
//                 the other). Rows and columns outside the matrix (edge tiles, the last K slice)
//                 are sent as zeros, so the MAC array always runs full tiles.
//   compute_tile  holds two copies of the A and B slice buffers (ping-pong). Step s fills slice s
//                 into one copy while the PE_M x PE_N MAC array consumes slice s-1 from the other,
//                 in ONE pipelined loop (II=1): loading slice k+1 overlaps computing slice k.
//   store_tile    epilogue alpha*acc + beta*C (float) / acc + C (int8) and the write of y.
//
// Why the DATAFLOW region is one output tile (and not the whole call, with processes looping over
// every tile): C-simulation runs the processes of a region one after the other, so a region spanning
// the whole call would queue every word of every tile in the load -> compute FIFO first (gigabytes
// for large GEMMs); per tile it holds one A and one B panel at most. The accumulators live inside
// compute_tile (no static state: the tops are re-entrant, which the csim backend relies on when
// several Python threads call them), and the slice ping-pong is explicit inside that process. Cost:
// the first slice of each tile is filled before its MACs start (~1/3 of one slice step per tile).
//
// On-chip memory (default config, float): 2 x (A 64x64 + B 64x64) slice buffers, the 64x64
// accumulators (PE_M*PE_N = 64 banks of NB words) and the 2 x 64x64 c_tile PIPO: ~112 KB.
//
// ---- the MAC array and II=1 -------------------------------------------------------------------------
// Per K slice the MAC loop visits (kk, bm, bn): kk < TILE_K outermost, then the NB = (TILE_M/PE_M)
// * (TILE_N/PE_N) blocks of PE_M x PE_N accumulators. Each iteration does PE_M * PE_N MACs, all on
// different accumulators (acc is completely partitioned on its PE dimensions), and consecutive
// iterations hit different blocks: one accumulator is read-modified-written only every NB
// iterations. NB (64 with the default config) exceeds the latency of a pipelined float adder plus
// the accumulator RAM read (~5-10 cycles), so the float accumulation sustains II=1; the DEPENDENCE
// pragma tells HLS that exact distance (a true dependence, distance NB), which keeps the hardware
// correct even for a config with a small NB (HLS then raises the II instead of miscompiling).
#ifndef FPGAOPS_GEMM_HPP
#define FPGAOPS_GEMM_HPP

#include <stdint.h>

#include "fpgaops/common.hpp"

namespace fpgaops {
namespace hw {

// ---- configuration ----------------------------------------------------------------------------------
// The build's GEMM tunables (kernels/config/fpgaops.toml, [gemm]). A different struct with the same
// members instantiates the engine with other sizes (tests, a second xclbin kernel).
struct GemmConfig {
  static const int TILE_M = cfg::GEMM_TILE_M;
  static const int TILE_N = cfg::GEMM_TILE_N;
  static const int TILE_K = cfg::GEMM_TILE_K;
  static const int PE_M = cfg::GEMM_PE_M;
  static const int PE_N = cfg::GEMM_PE_N;
  static const int MAX_DIM = cfg::GEMM_MAX_DIM;
};

// ---- dtype policies -----------------------------------------------------------------------------------
// float32: products and sums in float; y = alpha * acc (+ beta * C).
struct GemmF32 {
  typedef float in_t;
  typedef float acc_t;
  typedef float scalar_t;
  static const int MAC_DEPTH = 14;  // float multiply (~4) + float add (~7) + accumulator RAM read/write
  static acc_t mul(in_t a, in_t b) { return a * b; }
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
  static const int MAC_DEPTH = 6;  // DSP multiply (3 registers) + add + accumulator RAM read/write
  static acc_t mul(in_t a, in_t b) { return acc_t(a) * acc_t(b); }
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
  static const int PE_M = Cfg::PE_M;
  static const int PE_N = Cfg::PE_N;
  static const int MAX_DIM = Cfg::MAX_DIM;

  // The config rules of python/fpgaops/config.py, checked again where they matter.
  static_assert(TM >= 1 && TN >= 1 && TK >= 1, "gemm.tile_m, gemm.tile_n and gemm.tile_k must be >= 1");
  static_assert(PE_M >= 1 && PE_N >= 1, "gemm.pe_m and gemm.pe_n must be >= 1");
  static_assert(TM <= 1024 && TN <= 1024 && TK <= 1024, "gemm.tile_m, gemm.tile_n and gemm.tile_k must be <= 1024");
  static_assert(TM % PE_M == 0, "gemm.tile_m must be a multiple of gemm.pe_m");
  static_assert(TN % PE_N == 0, "gemm.tile_n must be a multiple of gemm.pe_n");
  static_assert((WORD_BITS / 8) % PE_N == 0, "gemm.pe_n must divide the lanes of an int8 AXI word (axi.word_bits / 8)");
  static_assert(MAX_DIM >= 1 && MAX_DIM <= 2147483647 / (1 << 14),
                "gemm.max_dim must be in [1, 131071]: an int8 dot product of length K <= gemm.max_dim must stay "
                "exact in the int32 accumulator (|a*b| <= 2^14)");

  static const int L_IN = lanes_per_word<in_t>::value;    // A/B elements per word
  static const int L_ACC = lanes_per_word<acc_t>::value;  // C elements per word
  // Elements written into a slice buffer per fill step: the largest width that divides both the
  // word (so a word is consumed in whole steps) and the PE dimension the buffer is read along.
  static const int W_A = gcd(PE_M, L_IN);
  static const int W_B = gcd(PE_N, L_IN);
  static const int G_A = L_IN / W_A;  // fill steps per word of A
  static const int G_B = L_IN / W_B;
  // Words per stored row segment, for each tile extent a row can span.
  static const int WPR_M = ceil_div(TM, L_IN);
  static const int WPR_N = ceil_div(TN, L_IN);
  static const int WPR_K = ceil_div(TK, L_IN);
  static const int WPR_C = ceil_div(TN, L_ACC);
  // MAC blocks per tile: also the dependence distance of each accumulator in the MAC loop.
  static const int NB_M = TM / PE_M;
  static const int NB_N = TN / PE_N;
  static const int NB = NB_M * NB_N;
  static const int MAC_STEPS = TK * NB;  // pipelined MAC iterations per K slice
  static const int FILL_STEPS_MAX =
      cmax(TM * WPR_K, TK * WPR_M) * G_A + cmax(TK * WPR_N, TN * WPR_K) * G_B;
  static const int STEP_ITERS_MAX = cmax(MAC_STEPS, FILL_STEPS_MAX);  // per slice_step call
  static const int MAX_SLICES = ceil_div(MAX_DIM, TK);
  static const int MAX_SLICE_STEPS = MAX_SLICES + 1;  // slice_step calls per tile
  static const int MAX_SEG = cmax(TM, cmax(TN, TK));  // longest row segment of a slice (elements)
  static const int MAX_TILES = mul_sat(ceil_div(MAX_DIM, TM), ceil_div(MAX_DIM, TN));  // per batch entry
  // The load -> compute FIFO only decouples the two processes at row-segment granularity (the
  // m_axi adapter already buffers whole bursts), so two of the longest row segments suffice.
  static const int IN_FIFO_DEPTH = 2 * (cmax(WPR_K, cmax(WPR_M, WPR_N)) + 1);
  // Pipeline depths of the processes' loops, as the cycle counters (sim_assert.hpp) charge them
  // per loop entry: the MAC loop's is the dtype's (multiplier + adder + accumulator RAM), the
  // burst loops' an AXI beat through the realigner, the store's an epilogue and a write.
  static const int MAC_DEPTH = P::MAC_DEPTH;
  static const int LOAD_DEPTH = 3;
  static const int STORE_DEPTH = 4;

  // Fill steps of one slice, for each operand layout. A is stored as TM rows of TK (or, transposed,
  // TK rows of TM); B as TK rows of TN (or TN rows of TK). Each row is WPR words, each word G steps.
  static int fill_a_steps(bool trans_a) { return trans_a ? TK * WPR_M * G_A : TM * WPR_K * G_A; }
  static int fill_b_steps(bool trans_b) { return trans_b ? TN * WPR_K * G_B : TK * WPR_N * G_B; }

  // ---- process 0: which output tile ---------------------------------------------------------------
  // Tile t -> (batch entry p, first row m0, first column n0); the column tile varies fastest so
  // consecutive tiles share the A row panel. The only run-time divisions of the kernel, once per
  // tile, in one place (the other processes receive the results as scalar channels).
  static void tile_coords(int t, int tiles_m, int tiles_n, int& p, int& m0, int& n0) {
    const int q = t / tiles_n;
    n0 = (t - q * tiles_n) * TN;
    p = q / tiles_m;
    m0 = (q - p * tiles_m) * TM;
  }

  // ---- process 1: load ------------------------------------------------------------------------------
  // For every K slice of the tile, send the A slice then the B slice as row segments of the stored
  // matrices, each exactly `words` unpacked words (zero-padded), in the order compute_tile's fill
  // consumes them. Segments outside the matrix (rows >= M/N/K) are zero words: nothing is read.
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

  static void load_tile(const word_t* a, const word_t* b, args_t g, int p, int m0, int n0,
                        hls::stream<in_word_t>& in_s) {
    FPGAOPS_CYCLES_PROCESS("load", 1, LOAD_DEPTH);
    const int tm = cmin(TM, g.m - m0);
    const int tn = cmin(TN, g.n - n0);
    const int a_base = p * g.stride_a;
    const int b_base = p * g.stride_b;
  LOAD_SLICES:
    for (int k0 = 0; k0 < g.k; k0 += TK) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_SLICES
      const int tk = cmin(TK, g.k - k0);
      if (g.trans_a) {  // A stored K x M: slice = tk rows (k) of tm elements (i)
        load_rows(a, a_base + k0 * g.m + m0, g.m, TK, tk, tm, WPR_M, in_s);
      } else {          // A stored M x K: slice = tm rows (i) of tk elements (k)
        load_rows(a, a_base + m0 * g.k + k0, g.k, TM, tm, tk, WPR_K, in_s);
      }
      if (g.trans_b) {  // B stored N x K: slice = tn rows (j) of tk elements (k)
        load_rows(b, b_base + n0 * g.k + k0, g.k, TN, tn, tk, WPR_K, in_s);
      } else {          // B stored K x N: slice = tk rows (k) of tn elements (j)
        load_rows(b, b_base + k0 * g.n + n0, g.n, TK, tk, tn, WPR_N, in_s);
      }
    }
  }

  // ---- process 2: compute ---------------------------------------------------------------------------
  // One ping-pong step: MAC the slice held in (a_mac, b_mac) into acc while writing the next slice,
  // read from in_s, into (a_fill, b_fill). Both run in the same pipelined loop, so the fill is
  // hidden behind the MACs (a slice needs TK*(TM/W_A + TN/W_B) fill steps vs TK*NB MAC steps:
  // 1280 vs 4096 with the default config). acc and c_tile are only touched by the MAC half; the
  // fill half only writes the *other* buffers, so the two halves share no memory.
  static void slice_step(const in_t a_mac[TK][TM], const in_t b_mac[TK][TN], in_t a_fill[TK][TM],
                         in_t b_fill[TK][TN], hls::stream<in_word_t>& in_s, acc_t acc[NB][PE_M][PE_N],
                         acc_t c_tile[TM][TN], bool do_mac, bool do_fill, bool first_slice, bool last_slice,
                         bool trans_a, bool trans_b) {
#pragma HLS INLINE off
    const int mac_n = do_mac ? MAC_STEPS : 0;
    const int fill_a_n = do_fill ? fill_a_steps(trans_a) : 0;
    const int fill_n = do_fill ? fill_a_n + fill_b_steps(trans_b) : 0;
    const int steps = mac_n > fill_n ? mac_n : fill_n;
    // Rows / words per row of the stored segments, as load_tile sends them.
    const int a_rows = trans_a ? TK : TM, a_wpr = trans_a ? WPR_M : WPR_K;
    const int b_rows = trans_b ? TN : TK, b_wpr = trans_b ? WPR_K : WPR_N;

    int kk = 0, bm = 0, bn = 0, blk = 0;  // MAC position: k row of the slice, PE block of the tile
    int fr = 0, fw = 0, fg = 0;           // fill position: row, word in row, step in word
    in_word_t word = zero_lanes<in_t>();  // the word being scattered into the fill buffer

    FPGAOPS_CYCLES_LOOP(steps);
  SLICE_STEP:
    for (int t = 0; t < steps; t++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=STEP_ITERS_MAX avg=MAC_STEPS
#pragma HLS DEPENDENCE variable=acc type=inter direction=RAW distance=NB dependent=true
      FPGAOPS_CYCLES_ITER();
      // -- MAC half: PE_M x PE_N multiply-accumulates on block (bm, bn) at k row kk --------------
      if (t < mac_n) {
        const bool first = first_slice && kk == 0;  // acc starts from the first product: no clear pass
        const bool last = last_slice && kk == TK - 1;
        acc_t sum[PE_M][PE_N];
#pragma HLS ARRAY_PARTITION variable=sum type=complete dim=0
      MAC_PE_M:
        for (int pm = 0; pm < PE_M; pm++) {
#pragma HLS UNROLL
          const in_t av = a_mac[kk][bm * PE_M + pm];
        MAC_PE_N:
          for (int pn = 0; pn < PE_N; pn++) {
#pragma HLS UNROLL
            const acc_t prod = P::mul(av, b_mac[kk][bn * PE_N + pn]);
            sum[pm][pn] = first ? prod : acc[blk][pm][pn] + prod;
            acc[blk][pm][pn] = sum[pm][pn];
          }
        }
        if (last) {  // the block is complete: hand it to the store process
        MAC_OUT_M:
          for (int pm = 0; pm < PE_M; pm++) {
#pragma HLS UNROLL
          MAC_OUT_N:
            for (int pn = 0; pn < PE_N; pn++) {
#pragma HLS UNROLL
              c_tile[bm * PE_M + pm][bn * PE_N + pn] = sum[pm][pn];
            }
          }
        }
        // Blocks fastest, k row slowest: consecutive iterations use different accumulators.
        blk = blk + 1 == NB ? 0 : blk + 1;
        if (bn + 1 < NB_N) {
          bn++;
        } else {
          bn = 0;
          if (bm + 1 < NB_M) {
            bm++;
          } else {
            bm = 0;
            kk++;
          }
        }
      }
      // -- fill half: the A rows of the next slice, then its B rows ------------------------------
      if (t < fill_n) {
        const bool is_b = t >= fill_a_n;
        if (fg == 0) word = in_s.read();
        if (!is_b) {
          // W_A elements of one A row segment; A is kept k-major (a[k][i]) for the MAC reads.
          const int ga = fg & (G_A - 1);  // == fg (G_A is a power of two): the mask bounds the lane mux
          const int pos0 = (fw * G_A + ga) * W_A;
        FILL_A:
          for (int w = 0; w < W_A; w++) {
#pragma HLS UNROLL
            const in_t x = word.v[ga * W_A + w];
            const int pos = pos0 + w;
            if (trans_a) {
              if (pos < TM) a_fill[fr][pos] = x;  // row fr = k, pos = i
            } else {
              if (pos < TK) a_fill[pos][fr] = x;  // row fr = i, pos = k: the on-chip transpose
            }
          }
        } else {
          // W_B elements of one B row segment; B is kept k-major (b[k][j]).
          const int gb = fg & (G_B - 1);
          const int pos0 = (fw * G_B + gb) * W_B;
        FILL_B:
          for (int w = 0; w < W_B; w++) {
#pragma HLS UNROLL
            const in_t x = word.v[gb * W_B + w];
            const int pos = pos0 + w;
            if (trans_b) {
              if (pos < TK) b_fill[pos][fr] = x;  // row fr = j, pos = k: the on-chip transpose
            } else {
              if (pos < TN) b_fill[fr][pos] = x;  // row fr = k, pos = j
            }
          }
        }
        const int g_n = is_b ? G_B : G_A;
        const int wpr = is_b ? b_wpr : a_wpr;
        const int rows = is_b ? b_rows : a_rows;
        if (fg + 1 < g_n) {
          fg++;
        } else {
          fg = 0;
          if (fw + 1 < wpr) {
            fw++;
          } else {
            fw = 0;
            fr = fr + 1 < rows ? fr + 1 : 0;  // wraps exactly when A is done and B starts
          }
        }
      }
    }
  }

  static void compute_tile(hls::stream<in_word_t>& in_s, acc_t c_tile[TM][TN], args_t g) {
    FPGAOPS_CYCLES_PROCESS("compute", 1, MAC_DEPTH);
    // Ping-pong slice buffers. A is stored k-major (a[k][i]) so the MAC array reads PE_M
    // consecutive i of one k row; B is b[k][j] so it reads PE_N consecutive j. Cyclic partitioning
    // on the PE dimension gives those reads one bank each; cyclic partitioning by the fill width on
    // the k dimension lets the fill write W consecutive k of one row (the transposing layouts) in
    // one cycle too. (W <= PE on the PE dimension: W consecutive elements also hit distinct banks.)
    in_t a_ping[TK][TM], a_pong[TK][TM];
    in_t b_ping[TK][TN], b_pong[TK][TN];
#pragma HLS ARRAY_PARTITION variable=a_ping type=cyclic factor=W_A dim=1
#pragma HLS ARRAY_PARTITION variable=a_ping type=cyclic factor=PE_M dim=2
#pragma HLS ARRAY_PARTITION variable=a_pong type=cyclic factor=W_A dim=1
#pragma HLS ARRAY_PARTITION variable=a_pong type=cyclic factor=PE_M dim=2
#pragma HLS ARRAY_PARTITION variable=b_ping type=cyclic factor=W_B dim=1
#pragma HLS ARRAY_PARTITION variable=b_ping type=cyclic factor=PE_N dim=2
#pragma HLS ARRAY_PARTITION variable=b_pong type=cyclic factor=W_B dim=1
#pragma HLS ARRAY_PARTITION variable=b_pong type=cyclic factor=PE_N dim=2
    // Accumulators: NB blocks of PE_M x PE_N, one bank per PE (PE_M*PE_N banks of NB entries).
    acc_t acc[NB][PE_M][PE_N];
#pragma HLS ARRAY_PARTITION variable=acc type=complete dim=2
#pragma HLS ARRAY_PARTITION variable=acc type=complete dim=3

    const int nk = (g.k + TK - 1) / TK;
    // Step s fills slice s (s < nk) and multiplies slice s-1 (s >= 1): nk + 1 steps per tile.
    // Even slices live in the ping buffers, odd slices in the pong buffers.
  COMPUTE_SLICES:
    for (int s = 0; s <= nk; s++) {
#pragma HLS LOOP_TRIPCOUNT min=2 max=MAX_SLICE_STEPS
      const bool do_mac = s > 0, do_fill = s < nk, first = s == 1, last = s == nk;
      if (s & 1) {
        slice_step(a_ping, b_ping, a_pong, b_pong, in_s, acc, c_tile, do_mac, do_fill, first, last, g.trans_a,
                   g.trans_b);
      } else {
        slice_step(a_pong, b_pong, a_ping, b_ping, in_s, acc, c_tile, do_mac, do_fill, first, last, g.trans_a,
                   g.trans_b);
      }
    }
  }

  // ---- process 3: store -----------------------------------------------------------------------------
  // y is written through an element-wide port, one element per beat, in bursts of one tile row.
  // Output traffic is 1/K of the compute (one element per K MACs), so a narrow port costs nothing,
  // and element writes never need a read-modify-write of a partially covered word when N or the
  // batch stride is not a multiple of the word: every tile row starts at an arbitrary element.
  static void store_tile(const word_t* c, acc_t* y, const acc_t c_tile[TM][TN], args_t g, int p, int m0, int n0) {
    FPGAOPS_CYCLES_PROCESS("store", 1, STORE_DEPTH);
    const int tm = cmin(TM, g.m - m0);
    const int tn = cmin(TN, g.n - n0);
    const bool use_c = P::uses_c(g.beta);
    const int c_base = p * g.stride_c + n0;
    int y_row = (p * g.m + m0) * g.n + n0;  // y is dense: batch x M x N
    acc_word_t c_row[WPR_C];                // C row segment of this tile row (or the bias row)
    hls::stream<acc_word_t> c_s("gemm.c_row");
#pragma HLS STREAM variable=c_s depth=WPR_C
  STORE_ROWS:
    for (int i = 0; i < tm; i++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=TM
      // ldc == 0: one bias row for the whole tile, read once.
      if (use_c && (g.ldc != 0 || i == 0)) {
        read_elems<acc_t, TN>(c, c_base + (m0 + i) * g.ldc, tn, WPR_C, c_s);
        FPGAOPS_CYCLES_LOOP(WPR_C);
      STORE_C_ROW:
        for (int w = 0; w < WPR_C; w++) {
#pragma HLS PIPELINE II=1
          FPGAOPS_CYCLES_ITER();
          c_row[w] = c_s.read();
        }
      }
      FPGAOPS_CYCLES_LOOP(tn);
    STORE_COLS:
      for (int j = 0; j < tn; j++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=TN
        FPGAOPS_CYCLES_ITER();
        const acc_t cv = use_c ? c_row[j / L_ACC].v[j % L_ACC] : acc_t(0);
        y[y_row + j] = P::epilogue(c_tile[i][j], cv, g.alpha, g.beta, use_c);
      }
      if (i + 1 < tm) y_row += g.n;
    }
  }

  // ---- the tile loop: one DATAFLOW region per output tile ---------------------------------------------
  // Canonical dataflow-in-a-loop: the bound is a function argument, the body only declares channels
  // and calls the processes, each channel has one producer and one consumer. c_tile becomes a PIPO
  // (ping-pong) so store_tile of tile t overlaps compute_tile of tile t+1.
  static void run(const word_t* a, const word_t* b, const word_t* c, acc_t* y, args_t g, int tiles_m, int tiles_n,
                  int n_tiles) {
  GEMM_TILES:
    for (int t = 0; t < n_tiles; t++) {
#pragma HLS DATAFLOW
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_TILES
      FPGAOPS_CYCLES_REGION("tiles");
      int p, m0, n0;
      hls::stream<in_word_t> in_s("gemm.in");
#pragma HLS STREAM variable=in_s depth=IN_FIFO_DEPTH
      // The finished tile; written PE_M x PE_N per cycle by the MAC array, read one element per
      // cycle by the store.
      acc_t c_tile[TM][TN];
#pragma HLS ARRAY_PARTITION variable=c_tile type=cyclic factor=PE_M dim=1
#pragma HLS ARRAY_PARTITION variable=c_tile type=cyclic factor=PE_N dim=2
      tile_coords(t, tiles_m, tiles_n, p, m0, n0);
      load_tile(a, b, g, p, m0, n0, in_s);
      compute_tile(in_s, c_tile, g);
      store_tile(c, y, c_tile, g, p, m0, n0);
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
