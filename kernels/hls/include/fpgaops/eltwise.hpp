// The element-wise engine: y = act(a + b) / act(a * b) with three-level broadcasting, float32 and
// int8 (integer rescaling of both inputs to the output scale, fpgaops.quant's rounding rule).
//
// Argument semantics: fpgaops.ops.eltwise.EltwiseCall. Header-only and interface-free:
// kernels/hls/top/fpgaops_eltwise.cpp adds the m_axi / s_axilite pragmas.
//
// ---- structure (one DATAFLOW region) -------------------------------------------------------------
//
//   read_operand(a) --words--+
//                            +--> compute --lanes + count--> pack_out --words--> y
//   read_operand(b) --words--+
//
//   read_operand   every (p, q) row of an operand in segments of eltwise.segment elements through the
//                  realigning burst reader (any offset, one word per cycle); an operand repeated along
//                  r (inner stride 0, e.g. the (N, C, 1, 1) squeeze-excitation gate) is one element
//                  read once per row and broadcast to every lane of every word of the row.
//   compute        one word of L lanes per cycle: the add or multiply, then the activation policy
//                  (act_lut.hpp: closed forms, or the float table / int8 LUT replicated per lane
//                  pair / lane so every lane looks up in the same cycle).
//   pack_out       rows are not word-aligned in y (row length R is arbitrary), so each word of
//                  `count` valid lanes is shifted into the output word being filled: a lane-granular
//                  two-word window, the inverse of the reader's realignment. y is written as whole
//                  packed words from its (word-aligned) start; the lanes past the end of the last word
//                  are zero.
//
// Policies: EltF32 / EltI8 (dtype: the combine of two lanes and the activation).
#ifndef FPGAOPS_ELTWISE_HPP
#define FPGAOPS_ELTWISE_HPP

#include <stdint.h>

#include "fpgaops/act_lut.hpp"
#include "fpgaops/common.hpp"

namespace fpgaops {
namespace hw {

struct EltwiseConfig {
  static const int SEGMENT = cfg::ELTWISE_SEGMENT;
  static const int MAX_SEGMENTS = cfg::ACT_LUT_MAX_SEGMENTS;  // float table capacity (act_lut)
};

enum EltOp { ELT_ADD = 0, ELT_MUL = 1 };

// The scalar arguments of one launch (fpgaops.ops.eltwise.EltwiseCall).
struct EltArgs {
  int op, p, q, r;
  int a_sp, a_sq, a_sr, b_sp, b_sq, b_sr;
  int kind;
  float alpha, beta;
  int za, zb, zo;
  int64_t ma, mb;
  int shift;
};

// ---- dtype policies ---------------------------------------------------------------------------------
struct EltF32 {
  typedef float T;
  template <class Cfg>
  struct Tables {
    act::FloatTable<Cfg, ceil_div(lanes_per_word<float>::value, 2)> f;
    void load(const EltArgs& g, const word_t* table) {
      if (g.kind == act::TABLE) f.load(table);
    }
  };
  template <class Tab>
  static float apply(float a, float b, const EltArgs& g, const Tab& t, int lane) {
#pragma HLS INLINE
    const float v = g.op == ELT_ADD ? a + b : a * b;
    const act::Params p = {g.alpha, g.beta};
    return act::apply(g.kind, v, p, t.f, lane / 2);
  }
};

struct EltI8 {
  typedef int8_t T;
  template <class Cfg>
  struct Tables {
    act::Int8Lut<lanes_per_word<int8_t>::value> lut;
    void load(const EltArgs& g, const word_t* table) {
      if (g.kind == act::LUT8) lut.load(table);
    }
  };
  // add: requantize(da*ma + db*mb, 1, shift); mul: requantize(da*db, ma, shift); + zo, clamp, LUT.
  // requantize(v, m, s) = (v * m + 2^(s-1)) >> s (arithmetic shift): fpgaops.quant's one rule.
  template <class Tab>
  static int8_t apply(int8_t a, int8_t b, const EltArgs& g, const Tab& t, int lane) {
#pragma HLS INLINE
    // The zero points are int8 (the top asserts them), so the differences are 9 bits: one
    // 18 x 32-bit multiply by ma serves both ops (add: da, mul: da * db), plus add's 9 x 32-bit
    // db * mb (ma, mb < 2^31) -- 5 DSP48E2 per lane instead of the int64 products' 18
    const ap_int<9> da = ap_int<9>(int(a) - g.za), db = ap_int<9>(int(b) - g.zb);
    const ap_int<18> lhs = g.op == ELT_ADD ? ap_int<18>(da) : ap_int<18>(da * db);
    const ap_int<50> p1 = lhs * ap_int<32>(g.ma);
    const ap_int<41> p2 = g.op == ELT_ADD ? ap_int<41>(db * ap_int<32>(g.mb)) : ap_int<41>(0);
    const int64_t acc = int64_t(p1) + int64_t(p2);
    const int64_t rnd = g.shift > 0 ? (int64_t(1) << (g.shift - 1)) : 0;
    int64_t v = ((acc + rnd) >> g.shift) + g.zo;
    v = v < -128 ? -128 : (v > 127 ? 127 : v);
    const int8_t q = int8_t(v);
    return g.kind == act::LUT8 ? t.lut.apply(q, lane) : q;
  }
};

template <class Cfg, class D>
struct EltwiseEngine {
  typedef typename D::T T;
  typedef lanes_t<T> word_lanes_t;
  static const int L = lanes_per_word<T>::value;
  static const int SEG = Cfg::SEGMENT;
  static const int SEG_WORDS = SEG / L;
  static const int MAX_ROWS = 2147483647;

  static_assert(SEG >= L && SEG % L == 0, "eltwise.segment must be a multiple of the lanes of a word");

  struct Out {
    word_lanes_t v;
    int count;  // valid lanes (from lane 0)
  };

  // ---- process 1/2: one operand --------------------------------------------------------------------------
  template <int WHICH>  // 0: a, 1: b (names the process in the cycle counts)
  static void read_operand(const word_t* src, int sp, int sq, int sr, EltArgs g, hls::stream<word_lanes_t>& s) {
    FPGAOPS_CYCLES_PROCESS(WHICH == 0 ? "read_a" : "read_b", 1, 3);
    const int rows = g.p * g.q;
  READ_OPERAND_ROWS:
    for (int row = 0; row < rows; row++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_ROWS
      const int pi = row / g.q, qi = row - (row / g.q) * g.q;
      const int base = pi * sp + qi * sq;
      if (sr) {
      READ_SEGMENTS:
        for (int s0 = 0; s0 < g.r; s0 += SEG) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_ROWS
          const int len = cmin(SEG, g.r - s0);
          read_elems<T, SEG>(src, base + s0, len, ceil_div(len, L), s);
        }
      } else {  // repeated along r: one element per row, broadcast
        const T v = get_lane<T>(src[base / L], base % L);
        word_lanes_t w;
      BROADCAST_LANES:
        for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
          w.v[l] = v;
        }
      BROADCAST_SEGMENTS:
        for (int s0 = 0; s0 < g.r; s0 += SEG) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_ROWS
          const int n = ceil_div(cmin(SEG, g.r - s0), L);
          FPGAOPS_CYCLES_LOOP(n);
        BROADCAST_WORDS:
          for (int k = 0; k < n; k++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=SEG_WORDS
            FPGAOPS_CYCLES_ITER();
            s.write(w);
          }
        }
      }
    }
  }

  // ---- process 3: the arithmetic and the activation ----------------------------------------------------------
  static void compute(EltArgs g, const word_t* table, hls::stream<word_lanes_t>& a_s, hls::stream<word_lanes_t>& b_s,
                      hls::stream<Out>& o_s) {
    FPGAOPS_CYCLES_PROCESS("compute", 1, 8);
    typename D::template Tables<Cfg> tab;
    tab.load(g, table);
    const int rows = g.p * g.q;
  COMPUTE_ROWS:
    for (int row = 0; row < rows; row++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_ROWS
    COMPUTE_SEGMENTS:
      for (int s0 = 0; s0 < g.r; s0 += SEG) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_ROWS
        const int len = cmin(SEG, g.r - s0);
        const int words = ceil_div(len, L);
        FPGAOPS_CYCLES_LOOP(words);
      COMPUTE_WORDS:
        for (int k = 0; k < words; k++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=SEG_WORDS
          FPGAOPS_CYCLES_ITER();
          const word_lanes_t va = a_s.read(), vb = b_s.read();
          Out o;
        COMPUTE_LANES:
          for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
            o.v.v[l] = D::apply(va.v[l], vb.v[l], g, tab, l);
          }
          o.count = cmin(L, len - k * L);
          o_s.write(o);
        }
      }
    }
  }

  // ---- process 4: pack the rows back to back into whole words of y -------------------------------------------
  static void pack_out(word_t* y, EltArgs g, hls::stream<Out>& o_s) {
    FPGAOPS_CYCLES_PROCESS("write", 1, 2);
    const int rows = g.p * g.q;
    word_lanes_t cur;
  PACK_INIT:
    for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
      cur.v[l] = T(0);
    }
    int fill = 0, out_w = 0;
  PACK_ROWS:
    for (int row = 0; row < rows; row++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_ROWS
      const int words = (g.r / SEG) * SEG_WORDS + ceil_div(g.r % SEG, L);
      FPGAOPS_CYCLES_LOOP(words);
    PACK_WORDS:
      for (int k = 0; k < words; k++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_ROWS
        FPGAOPS_CYCLES_ITER();
        const Out o = o_s.read();
        // window = cur[0, fill) ++ o.v[0, o.count): emit lanes [0, L) when full, keep the rest
        word_lanes_t full, rest;
      PACK_LANES:
        for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
          const int src = l - fill;  // lane of o feeding output lane l
          full.v[l] = l < fill ? cur.v[l] : (src < o.count ? o.v.v[src] : T(0));
          const int src2 = l + L - fill;  // lanes of o that spill into the next word
          rest.v[l] = src2 < o.count ? o.v.v[src2] : T(0);
        }
        if (fill + o.count >= L) {
          y[out_w++] = pack<T>(full);
          cur = rest;
          fill = fill + o.count - L;
        } else {
          cur = full;
          fill += o.count;
        }
      }
    }
    if (fill > 0) y[out_w] = pack<T>(cur);
  }

  static void run(const word_t* a, const word_t* b, word_t* y, const word_t* table, EltArgs g) {
#pragma HLS DATAFLOW
    FPGAOPS_CYCLES_REGION("stream");
    hls::stream<word_lanes_t, 2*SEG_WORDS> a_s("eltwise.a");
    hls::stream<word_lanes_t, 2*SEG_WORDS> b_s("eltwise.b");
    hls::stream<Out, SEG_WORDS> o_s("eltwise.out");
    FPGAOPS_DATAFLOW_PROCESS(read_operand<0>(a, g.a_sp, g.a_sq, g.a_sr, g, a_s));
    FPGAOPS_DATAFLOW_PROCESS(read_operand<1>(b, g.b_sp, g.b_sq, g.b_sr, g, b_s));
    FPGAOPS_DATAFLOW_PROCESS(compute(g, table, a_s, b_s, o_s));
    FPGAOPS_DATAFLOW_PROCESS(pack_out(y, g, o_s));
    FPGAOPS_DATAFLOW_END();
  }
};

inline void check_eltwise_args(const EltArgs& g) {
  FPGAOPS_SIM_ASSERT(g.op == ELT_ADD || g.op == ELT_MUL, "eltwise: op = " << g.op);
  FPGAOPS_SIM_ASSERT(g.p >= 1 && g.q >= 1 && g.r >= 1 && int64_t(g.p) * g.q * g.r <= 2147483647LL,
                     "eltwise: shape " << g.p << " x " << g.q << " x " << g.r);
  FPGAOPS_SIM_ASSERT((g.a_sr == 0 || g.a_sr == 1) && (g.b_sr == 0 || g.b_sr == 1),
                     "eltwise: inner strides must be 0 or 1, got " << g.a_sr << ", " << g.b_sr);
  FPGAOPS_SIM_ASSERT(g.a_sp >= 0 && g.a_sq >= 0 && g.b_sp >= 0 && g.b_sq >= 0, "eltwise: negative stride");
  FPGAOPS_SIM_ASSERT(g.shift >= 0 && g.shift <= 62, "eltwise: shift = " << g.shift);
  (void)g;
}

template <class Cfg, class D>
void eltwise(const word_t* a, const word_t* b, word_t* y, const word_t* table, EltArgs g) {
  check_eltwise_args(g);
  EltwiseEngine<Cfg, D>::run(a, b, y, table, g);
}

}  // namespace hw
}  // namespace fpgaops

#endif  // FPGAOPS_ELTWISE_HPP
