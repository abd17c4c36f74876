// Numerically stable softmax over rows x[o, :, r] of a dense (outer, n, inner) float32 tensor.
// Argument semantics: fpgaops.ops.softmax.SoftmaxCall. Interface-free; the top is
// kernels/hls/top/fpgaops_softmax.cpp.
//
// Per row, three passes over an on-chip row buffer of softmax.max_dim floats:
//   load   the row (inner == 1: one realigned burst, a word per cycle; inner > 1: a strided gather,
//          one word read per element -- the network runner's softmax is over the last dimension)
//   max    NaN-propagating maximum, then e_i = exp(x_i - max) into the buffer and their sum
//   store  y_i = e_i / sum (a divider per element: the reference rounds the quotient once)
// The row buffer is one BRAM array; the max and sum reductions carry a loop dependence (II = the
// adder latency), acceptable for a classifier head (n ~ 1000 once per image).
#ifndef FPGAOPS_SOFTMAX_HPP
#define FPGAOPS_SOFTMAX_HPP

#include <math.h>
#include <stdint.h>

#include "fpgaops/common.hpp"

namespace fpgaops {
namespace hw {

struct SoftmaxConfig {
  static const int MAX_DIM = cfg::SOFTMAX_MAX_DIM;
};

template <class Cfg>
struct SoftmaxEngine {
  static const int MAX_N = Cfg::MAX_DIM;
  static const int L = lanes_per_word<float>::value;
  static const int MAX_WORDS = ceil_div(MAX_N, L);
  static_assert(MAX_N >= 1 && MAX_N <= (1 << 20), "softmax.max_dim must be in [1, 2^20]");

  static void run(const word_t* x, float* y, int outer, int n, int inner) {
    FPGAOPS_CYCLES_PROCESS("softmax", 1, 20);
    float buf[MAX_N + L];
    const int rows = outer * inner;
  SOFTMAX_ROWS:
    for (int row = 0; row < rows; row++) {
#pragma HLS LOOP_TRIPCOUNT min=1 max=65536
      const int o = row / inner, r = row - (row / inner) * inner;
      const int base = o * n * inner + r;
      if (inner == 1) {
        hls::stream<lanes_t<float>, MAX_WORDS + 1> s("softmax.row");
        const int words = ceil_div(n, L);
        read_elems<float, MAX_N>(x, base, n, words, s);
        FPGAOPS_CYCLES_LOOP(words);
      LOAD_WORDS:
        for (int w = 0; w < words; w++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WORDS
          FPGAOPS_CYCLES_ITER();
          const lanes_t<float> v = s.read();
        LOAD_LANES:
          for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
            buf[w * L + l] = v.v[l];
          }
        }
      } else {
        FPGAOPS_CYCLES_LOOP(n);
      GATHER:
        for (int i = 0; i < n; i++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_N
          FPGAOPS_CYCLES_ITER();
          const int e = base + i * inner;
          buf[i] = get_lane<float>(x[e / L], e % L);
        }
      }
      float m = lane_traits<float>::from_bits(0xff800000u);  // -inf
      FPGAOPS_CYCLES_LOOP(n);
    ROW_MAX:
      for (int i = 0; i < n; i++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_N
        FPGAOPS_CYCLES_ITER();
        const float v = buf[i];
        m = (v > m || v != v) ? v : m;
      }
      float sum = 0.0f;
      FPGAOPS_CYCLES_LOOP(n);
    ROW_EXP:
      for (int i = 0; i < n; i++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_N
        FPGAOPS_CYCLES_ITER();
        const float e = expf(buf[i] - m);
        buf[i] = e;
        sum += e;
      }
      FPGAOPS_CYCLES_LOOP(n);
    ROW_STORE:
      for (int i = 0; i < n; i++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_N
        FPGAOPS_CYCLES_ITER();
        y[base + i * inner] = buf[i] / sum;
      }
    }
  }
};

inline void check_softmax_args(int outer, int n, int inner) {
  FPGAOPS_SIM_ASSERT(outer >= 1 && inner >= 1 && n >= 1 && n <= cfg::SOFTMAX_MAX_DIM,
                     "softmax: outer " << outer << ", n " << n << " (softmax.max_dim = " << cfg::SOFTMAX_MAX_DIM
                                       << "), inner " << inner);
  FPGAOPS_SIM_ASSERT(int64_t(outer) * n * inner <= 2147483647LL, "softmax: more than 2^31 - 1 elements");
  (void)outer, (void)n, (void)inner;
}

}  // namespace hw
}  // namespace fpgaops

#endif  // FPGAOPS_SOFTMAX_HPP
