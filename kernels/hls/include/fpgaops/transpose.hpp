// Lane rotators and the skewed transposer: turning stored row slices around at load time, at one
// word per cycle, with every partitioned bank at a constant index.
//
// Header-only, synthesizable (Vitis HLS, C++14); used by the GEMM engine (fpgaops/gemm.hpp). The
// arithmetic and the AMD documentation behind it: docs/conv_hls.md.
#ifndef FPGAOPS_TRANSPOSE_HPP
#define FPGAOPS_TRANSPOSE_HPP

#include <stdint.h>

#include "fpgaops/common.hpp"

namespace fpgaops {
namespace hw {

// ---- lane rotation and the skewed transposer --------------------------------------------------------------
// rotate_up: out[b] = in[(b - amt) mod N]; rotate_down: out[l] = in[(l + amt) mod N]. log2(N) stages
// of N 2:1 multiplexers (a barrel rotator at lane granularity).
template <typename T, int N>
inline Lanes<T, N> rotate_up(const Lanes<T, N>& in, int amt) {
#pragma HLS INLINE
  Lanes<T, N> x = in;
ROTATE_STAGES:
  for (int st = 0; (1 << st) < N; st++) {
#pragma HLS UNROLL
    const int step = 1 << st;
    if ((amt >> st) & 1) {
      Lanes<T, N> y;
    ROTATE_LANES:
      for (int b = 0; b < N; b++) {
#pragma HLS UNROLL
        y.v[b] = x.v[(b - step) & (N - 1)];
      }
      x = y;
    }
  }
  return x;
}
template <typename T, int N>
inline Lanes<T, N> rotate_down(const Lanes<T, N>& in, int amt) {
#pragma HLS INLINE
  return rotate_up<T, N>(in, (N - (amt & (N - 1))) & (N - 1));
}

// Transposer<T, R, C>: takes R rows of C elements (row r as words w < ceil(C/L) of L lanes) and
// gives back C rows of R elements (ceil(R/L) words each, lanes past R zero), at one word per cycle
// each way. Element (r, c) is kept in bank (r + c) mod L at address (r / L) * C + c: the L lanes of
// an input word (one r, L consecutive c) and of an output word (L consecutive r, one c) each land
// in L distinct banks, so every bank is read or written once per word; the lanes are rotated to
// their banks by rotate_up / rotate_down. buf must be partitioned completely on dim 1.
template <typename T, int R, int C>
struct Transposer {
  static const int L = lanes_per_word<T>::value;
  static const int IN_WORDS = ceil_div(C, L);   // words per input row
  static const int OUT_WORDS = ceil_div(R, L);  // words per output row
  static const int DEPTH = OUT_WORDS * C;
  static_assert((L & (L - 1)) == 0, "lanes per word must be a power of two");

  static void write(T buf[L][DEPTH], int r, int w, const lanes_t<T>& word) {
#pragma HLS INLINE
    const lanes_t<T> rot = rotate_up<T, L>(word, r & (L - 1));  // lane l -> bank (r + l) mod L
    const int base = (r / L) * C + w * L;
  TRANSPOSE_WRITE:
    for (int b = 0; b < L; b++) {
#pragma HLS UNROLL
      const int l = (b - r) & (L - 1);
      if (w * L + l < C) buf[b][base + l] = rot.v[b];
    }
  }
  static lanes_t<T> read(const T buf[L][DEPTH], int c, int v) {
#pragma HLS INLINE
    lanes_t<T> g;
  TRANSPOSE_GATHER:
    for (int b = 0; b < L; b++) {
#pragma HLS UNROLL
      g.v[b] = buf[b][v * C + c];
    }
    lanes_t<T> out = rotate_down<T, L>(g, c & (L - 1));  // bank (l + c) mod L -> lane l
  TRANSPOSE_MASK:
    for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
      if (v * L + l >= R) out.v[l] = T(0);
    }
    return out;
  }
};

}  // namespace hw
}  // namespace fpgaops

#endif  // FPGAOPS_TRANSPOSE_HPP
