// Activation policy: the element functions every fpgaops kernel applies after its arithmetic --
// the standalone activation kernels (fpgaops_act_*), the fused activation of add/mul
// (fpgaops_eltwise_*) and, later, the GEMM/conv epilogues.
//
// Opcodes, float table layout and int8 LUT semantics are those of python/fpgaops/reference/act_lut.py:
//
//   NONE, CLAMP(alpha, beta), LEAKY(alpha), HARDSIGMOID, HARDSWISH   closed forms, float32
//   TABLE                                                          piecewise-linear float table
//   LUT8                                                           int8: y = lut[x + 128]
//
// Two ways to use it:
//   * compile-time kind (an epilogue that always applies one function):
//         y = act::Op<act::CLAMP>::apply(x, params, table);
//   * run-time kind (one xclbin kernel for every activation; the kind is an s_axilite scalar):
//         y = act::apply(kind, x, params, table);
//     which is a switch over the same Op<> policies (HLS builds every unit, the mux picks one).
//
// Tables live on chip: FloatTable<Cfg, COPIES> holds act_lut.max_segments + 1 knots per copy;
// a kernel that evaluates P lanes per cycle keeps ceil(P / 2) copies (each copy is a dual-port
// BRAM serving two lanes). Int8Lut<COPIES> is 256 bytes per copy (LUTRAM). Both are loaded once
// per launch from a packed-word buffer (the host builds them: fpgaops.reference.act_lut).
#ifndef FPGAOPS_ACT_LUT_HPP
#define FPGAOPS_ACT_LUT_HPP

#include <stdint.h>

#include "fpgaops/common.hpp"

namespace fpgaops {
namespace hw {
namespace act {

enum Kind { NONE = 0, CLAMP = 1, LEAKY = 2, HARDSIGMOID = 3, HARDSWISH = 4, TABLE = 5, LUT8 = 6 };

// Floats of the table header: lo, 1/step, segments, below_slope, below_offset, above_slope,
// above_offset, reserved.
static const int TABLE_HEADER = 8;

struct ActLutConfig {
  static const int MAX_SEGMENTS = cfg::ACT_LUT_MAX_SEGMENTS;
};

// Every declared table must fit the on-chip table (kernels/config [act_lut.*]; validated in Python too).
static_assert(cfg::ACT_LUT_SIGMOID_SEGMENTS <= cfg::ACT_LUT_MAX_SEGMENTS,
              "act_lut.sigmoid.segments must be <= act_lut.max_segments");
static_assert(cfg::ACT_LUT_TANH_SEGMENTS <= cfg::ACT_LUT_MAX_SEGMENTS,
              "act_lut.tanh.segments must be <= act_lut.max_segments");
static_assert(cfg::ACT_LUT_SILU_SEGMENTS <= cfg::ACT_LUT_MAX_SEGMENTS,
              "act_lut.silu.segments must be <= act_lut.max_segments");
static_assert(cfg::ACT_LUT_GELU_SEGMENTS <= cfg::ACT_LUT_MAX_SEGMENTS,
              "act_lut.gelu.segments must be <= act_lut.max_segments");
static_assert(cfg::ACT_LUT_GELU_TANH_SEGMENTS <= cfg::ACT_LUT_MAX_SEGMENTS,
              "act_lut.gelu_tanh.segments must be <= act_lut.max_segments");

// Scalar parameters of the closed forms: CLAMP [alpha, beta], LEAKY slope alpha.
struct Params {
  float alpha, beta;
};

// The on-chip float table. COPIES replicas (one dual-port BRAM each) serve 2 * COPIES lookups/cycle.
template <class Cfg, int COPIES>
struct FloatTable {
  static const int MAX_SEG = Cfg::MAX_SEGMENTS;
  static const int KNOTS = MAX_SEG + 1;
  static const int MAX_WORDS = ceil_div(TABLE_HEADER + KNOTS, lanes_per_word<float>::value);
  static_assert(MAX_SEG >= 1 && (MAX_SEG & (MAX_SEG - 1)) == 0, "act_lut.max_segments must be a power of two");
  static_assert(COPIES >= 1, "a table needs at least one copy");

  float knots[COPIES][KNOTS];
  float lo, inv_step, below_slope, below_offset, above_slope, above_offset;
  int segments;

  // Load header + knots from the packed table buffer (word-aligned: the host allocates it).
  void load(const word_t* src) {
#pragma HLS INLINE off
    const int L = lanes_per_word<float>::value;
    const lanes_t<float> h0 = unpack<float>(src[0]);  // the header spans the first word(s)
    float head[TABLE_HEADER];
  HEADER:
    for (int i = 0; i < TABLE_HEADER; i++) {
#pragma HLS UNROLL
      head[i] = i < L ? h0.v[i % L] : get_lane<float>(src[i / L], i % L);
    }
    lo = head[0];
    inv_step = head[1];
    segments = int(head[2]);
    below_slope = head[3];
    below_offset = head[4];
    above_slope = head[5];
    above_offset = head[6];
    FPGAOPS_SIM_ASSERT(segments >= 1 && segments <= MAX_SEG,
                       "act table: " << segments << " segments (act_lut.max_segments = " << MAX_SEG << ")");
    const int total = TABLE_HEADER + segments + 1;
    const int words = ceil_div(total, L);
    FPGAOPS_CYCLES_LOOP(words);
  KNOT_WORDS:
    for (int w = 0; w < words; w++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WORDS
      FPGAOPS_CYCLES_ITER();
      const lanes_t<float> v = unpack<float>(src[w]);
    KNOT_LANES:
      for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
        const int k = w * L + l - TABLE_HEADER;
        if (k >= 0 && k <= segments) {
        KNOT_COPIES:
          for (int c = 0; c < COPIES; c++) {
#pragma HLS UNROLL
            knots[c][k] = v.v[l];
          }
        }
      }
    }
  }

  // The table evaluation of reference/act_lut.py, lookups from copy `c`.
  float eval(float x, int c) const {
#pragma HLS INLINE
    if (x != x) return x;  // NaN
    const float t = (x - lo) * inv_step;
    if (t < 0.0f) return below_slope != 0.0f ? below_offset + below_slope * x : below_offset;
    if (t >= float(segments)) return above_slope != 0.0f ? above_offset + above_slope * x : above_offset;
    const int i = int(t);
    const float u = t - float(i);
    const float t0 = knots[c][i];
    const float t1 = knots[c][i + 1];
    return t0 + u * (t1 - t0);
  }
};

// The on-chip int8 LUT (256 codes), COPIES replicas for parallel lanes.
template <int COPIES>
struct Int8Lut {
  int8_t v[COPIES][256];

  void load(const word_t* src) {
#pragma HLS INLINE off
    const int L = lanes_per_word<int8_t>::value;
    const int words = ceil_div(256, L);
    FPGAOPS_CYCLES_LOOP(words);
  LUT_WORDS:
    for (int w = 0; w < words; w++) {
#pragma HLS PIPELINE II=1
      FPGAOPS_CYCLES_ITER();
      const lanes_t<int8_t> x = unpack<int8_t>(src[w]);
    LUT_LANES:
      for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
      LUT_COPIES:
        for (int c = 0; c < COPIES; c++) {
#pragma HLS UNROLL
          if (w * L + l < 256) v[c][w * L + l] = x.v[l];
        }
      }
    }
  }

  int8_t apply(int8_t x, int c) const {
#pragma HLS INLINE
    return v[c][int(x) + 128];
  }
};

// ---- the closed forms and the table as policy types ---------------------------------------------------
// Every comparison is false for NaN, so NaN falls through (PyTorch propagates it).
inline float clamp(float x, float lo, float hi) {
#pragma HLS INLINE
  return x < lo ? lo : (x > hi ? hi : x);
}

template <int KIND>
struct Op;

template <>
struct Op<NONE> {
  template <class Table>
  static float apply(float x, const Params&, const Table&, int) {
    return x;
  }
};
template <>
struct Op<CLAMP> {  // relu [0, inf), relu6 [0, 6], hardtanh [min_val, max_val]
  template <class Table>
  static float apply(float x, const Params& p, const Table&, int) {
    return clamp(x, p.alpha, p.beta);
  }
};
template <>
struct Op<LEAKY> {
  template <class Table>
  static float apply(float x, const Params& p, const Table&, int) {
    return x < 0.0f ? p.alpha * x : x;
  }
};
template <>
struct Op<HARDSIGMOID> {  // relu6(x + 3) / 6, PyTorch's order of operations
  template <class Table>
  static float apply(float x, const Params&, const Table&, int) {
    return clamp(x + 3.0f, 0.0f, 6.0f) / 6.0f;
  }
};
template <>
struct Op<HARDSWISH> {  // x * relu6(x + 3) / 6
  template <class Table>
  static float apply(float x, const Params&, const Table&, int) {
    return (x * clamp(x + 3.0f, 0.0f, 6.0f)) / 6.0f;
  }
};
template <>
struct Op<TABLE> {  // sigmoid, tanh, silu, gelu: the piecewise-linear table
  template <class Table>
  static float apply(float x, const Params&, const Table& t, int copy) {
    return t.eval(x, copy);
  }
};

// Run-time kind: every unit exists in hardware, the kind (a kernel scalar) selects the result.
template <class Table>
inline float apply(int kind, float x, const Params& p, const Table& t, int copy) {
#pragma HLS INLINE
  switch (kind) {
    case CLAMP: return Op<CLAMP>::apply(x, p, t, copy);
    case LEAKY: return Op<LEAKY>::apply(x, p, t, copy);
    case HARDSIGMOID: return Op<HARDSIGMOID>::apply(x, p, t, copy);
    case HARDSWISH: return Op<HARDSWISH>::apply(x, p, t, copy);
    case TABLE: return Op<TABLE>::apply(x, p, t, copy);
    default: return x;
  }
}

// ---- the activation kernel engine ---------------------------------------------------------------------
// y[i] = act(x[i]) for i < count; x and y word-aligned (fresh device buffers), one packed word of
// L lanes per cycle (II=1). Lanes of the last word past `count` are written as zero (they lie
// inside the buffer's last word, which the host allocated whole).
template <class Cfg>
struct ActEngine {
  static const int LF = lanes_per_word<float>::value;
  static const int L8 = lanes_per_word<int8_t>::value;
  static const int MAX_WORDS = 2147483647 / 16 + 1;  // trip-count bound (2^31 - 1 elements)

  static void run_f32(const word_t* x, word_t* y, int count, int kind, Params p, const word_t* table) {
    FPGAOPS_CYCLES_PROCESS("act", 1, 10);
    FloatTable<Cfg, ceil_div(LF, 2)> tab;
#pragma HLS ARRAY_PARTITION variable=tab.knots type=complete dim=1
    if (kind == TABLE) tab.load(table);
    const int words = ceil_div(count, LF);
    FPGAOPS_CYCLES_LOOP(words);
  ACT_F32_WORDS:
    for (int w = 0; w < words; w++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WORDS
      FPGAOPS_CYCLES_ITER();
      const lanes_t<float> v = unpack<float>(x[w]);
      lanes_t<float> r;
    ACT_F32_LANES:
      for (int l = 0; l < LF; l++) {
#pragma HLS UNROLL
        r.v[l] = w * LF + l < count ? apply(kind, v.v[l], p, tab, l / 2) : 0.0f;
      }
      y[w] = pack<float>(r);
    }
  }

  static void run_i8(const word_t* x, word_t* y, int count, const word_t* lut) {
    FPGAOPS_CYCLES_PROCESS("act", 1, 4);
    Int8Lut<L8> tab;
#pragma HLS ARRAY_PARTITION variable=tab.v type=complete dim=1
    tab.load(lut);
    const int words = ceil_div(count, L8);
    FPGAOPS_CYCLES_LOOP(words);
  ACT_I8_WORDS:
    for (int w = 0; w < words; w++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WORDS
      FPGAOPS_CYCLES_ITER();
      const lanes_t<int8_t> v = unpack<int8_t>(x[w]);
      lanes_t<int8_t> r;
    ACT_I8_LANES:
      for (int l = 0; l < L8; l++) {
#pragma HLS UNROLL
        r.v[l] = w * L8 + l < count ? tab.apply(v.v[l], l) : int8_t(0);
      }
      y[w] = pack<int8_t>(r);
    }
  }
};

}  // namespace act
}  // namespace hw
}  // namespace fpgaops

#endif  // FPGAOPS_ACT_LUT_HPP
