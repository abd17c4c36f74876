// Shared building blocks of every fpgaops HLS kernel: the packed AXI word, lane pack/unpack for
// float / int8 / int32, and the realigning burst reader that lets kernels read a run of elements
// starting at ANY element offset (any M, N, K, any batch stride, no host padding).
//
// Header-only, synthesizable (Vitis HLS, C++14), no AXI interface pragmas here: the tops in
// kernels/hls/top/ own the interfaces.
#ifndef FPGAOPS_COMMON_HPP
#define FPGAOPS_COMMON_HPP

#include <stdint.h>

// The ap_types' default constructor normalizes its own not-yet-written storage (clearUnusedBits), which
// GCC reports as -W(maybe-)uninitialized wherever an ap_uint operation is inlined into kernel code.
// That is a false positive of the header, not of the kernels: silence exactly those two warnings for
// the header's own lines (GCC C-simulation only; clang-based Vitis HLS never sees this).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <ap_int.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <hls_stream.h>

#include "fpgaops/config.hpp"
#include "fpgaops/sim_assert.hpp"

namespace fpgaops {
namespace hw {

// ---- the packed AXI word ----------------------------------------------------------------------
// One m_axi beat (axi.word_bits). Buffers handed to a top are arrays of these: element e of a
// tensor of T lives in lane e % LANES of word e / LANES (little-endian lanes, like host memory).
typedef ap_uint<cfg::AXI_WORD_BITS> word_t;
static const int WORD_BITS = cfg::AXI_WORD_BITS;

static_assert(WORD_BITS >= 32 && WORD_BITS <= 1024 && (WORD_BITS & (WORD_BITS - 1)) == 0,
              "axi.word_bits must be a power of two in [32, 1024]");

// Compile-time helpers (C++14 constexpr; evaluated by the compiler, never hardware).
constexpr int ilog2(int n) {
  int r = 0;
  while (n > 1) {
    n >>= 1;
    ++r;
  }
  return r;
}
constexpr int gcd(int a, int b) {
  while (b != 0) {
    const int t = a % b;
    a = b;
    b = t;
  }
  return a;
}
constexpr int cmin(int a, int b) { return a < b ? a : b; }
constexpr int cmax(int a, int b) { return a > b ? a : b; }
constexpr int ceil_div(int a, int b) { return (a + b - 1) / b; }
// a * b clamped to INT_MAX (trip-count bounds of small-tile configs must not overflow)
constexpr int mul_sat(int a, int b) { return (long long)a * b > 2147483647LL ? 2147483647 : a * b; }

// ---- lanes --------------------------------------------------------------------------------------
// lane_traits<T>: bit width of T in a packed word and the bit-exact conversions. The conversions
// take/return the lane bits right-aligned in a uint64_t so callers can slice a word in 64-bit
// chunks (see unpack()).
template <typename T>
struct lane_traits;

template <>
struct lane_traits<float> {
  static const int BITS = 32;
  // Bit-cast through a union: synthesizes to wires (Vitis HLS supports float/int unions), and
  // unlike a pointer cast it has no aliasing problem in C-simulation.
  static float from_bits(uint64_t b) {
    union {
      uint32_t u;
      float f;
    } c;
    c.u = static_cast<uint32_t>(b);
    return c.f;
  }
  static uint64_t to_bits(float x) {
    union {
      uint32_t u;
      float f;
    } c;
    c.f = x;
    return c.u;
  }
};

template <>
struct lane_traits<int8_t> {
  static const int BITS = 8;
  // Sign-extend arithmetically (no implementation-defined narrowing conversion).
  static int8_t from_bits(uint64_t b) {
    const int v = static_cast<int>(b & 0xffu);
    return static_cast<int8_t>(v >= 128 ? v - 256 : v);
  }
  static uint64_t to_bits(int8_t x) { return static_cast<uint64_t>(static_cast<uint8_t>(x)); }
};

template <>
struct lane_traits<int32_t> {
  static const int BITS = 32;
  static int32_t from_bits(uint64_t b) {
    union {
      uint32_t u;
      int32_t i;
    } c;
    c.u = static_cast<uint32_t>(b);
    return c.i;
  }
  static uint64_t to_bits(int32_t x) { return static_cast<uint32_t>(x); }
};

// Lanes of T in one word.
template <typename T>
struct lanes_per_word {
  static const int value = WORD_BITS / lane_traits<T>::BITS;
  static_assert(value >= 1, "axi.word_bits is narrower than one element");
};

// N elements side by side: an unpacked word on a stream or in a register. Plain C array inside a
// struct, so hls::stream<Lanes> is one wide FIFO and C-simulation copies it with memcpy speed.
template <typename T, int N>
struct Lanes {
  T v[N];
};

// The unpacked form of one packed word of T.
template <typename T>
using lanes_t = Lanes<T, lanes_per_word<T>::value>;

template <typename T>
inline lanes_t<T> zero_lanes() {
#pragma HLS INLINE
  const int L = lanes_per_word<T>::value;
  lanes_t<T> z;
ZERO_LANES:
  for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
    z.v[l] = T(0);
  }
  return z;
}

// Unpack a packed word into its lanes. Hardware: pure wiring. The word is sliced in 64-bit chunks
// (one truncation + one shift per chunk) and the chunks split with native integer shifts because
// per-lane arbitrary-precision range() is ~10x slower in C-simulation, and this runs once per word
// the kernels read.
template <typename T>
inline lanes_t<T> unpack(const word_t& w) {
#pragma HLS INLINE
  typedef lane_traits<T> LT;
  const int CHUNK = cmin(64, WORD_BITS);
  const int PER_CHUNK = CHUNK / LT::BITS;
  const int CHUNKS = WORD_BITS / CHUNK;
  const ap_uint<8> chunk_bits = CHUNK;  // an unsigned shift amount takes ap_int's fast path
  lanes_t<T> x;
  word_t rest = w;
UNPACK_CHUNKS:
  for (int c = 0; c < CHUNKS; c++) {
#pragma HLS UNROLL
    const uint64_t bits = rest.to_uint64();  // the low 64 bits (CHUNK == 64, or the whole word)
    if (c + 1 < CHUNKS) rest >>= chunk_bits;
  UNPACK_LANES:
    for (int l = 0; l < PER_CHUNK; l++) {
#pragma HLS UNROLL
      x.v[c * PER_CHUNK + l] = LT::from_bits(bits >> (LT::BITS * l));
    }
  }
  return x;
}

// Pack lanes into a word (lane l -> bits [l*BITS, (l+1)*BITS)).
template <typename T>
inline word_t pack(const lanes_t<T>& x) {
#pragma HLS INLINE
  typedef lane_traits<T> LT;
  const int L = lanes_per_word<T>::value;
  word_t w = 0;
PACK_LANES:
  for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
    w.range(LT::BITS * l + LT::BITS - 1, LT::BITS * l) = LT::to_bits(x.v[l]);
  }
  return w;
}

// Single-lane access (lane index known only at run time). Convenience for control paths and tests,
// not for per-element hot loops: unpack() a word once instead.
template <typename T>
inline T get_lane(const word_t& w, int lane) {
#pragma HLS INLINE
  typedef lane_traits<T> LT;
  const ap_uint<LT::BITS> bits = w.range(LT::BITS * lane + LT::BITS - 1, LT::BITS * lane);
  return LT::from_bits(bits.to_uint64());
}

template <typename T>
inline void set_lane(word_t& w, int lane, T x) {
#pragma HLS INLINE
  typedef lane_traits<T> LT;
  w.range(LT::BITS * lane + LT::BITS - 1, LT::BITS * lane) = LT::to_bits(x);
}

// ---- realignment --------------------------------------------------------------------------------
// Lanes [sh, sh + L) of the 2-word window (prev, cur), with lanes whose element index
// (base + lane) is >= len forced to zero. The window is shifted by a logarithmic shifter: log2(L)
// stages of 2:1 lane multiplexers (the same structure as a barrel shifter on the 2*WORD_BITS bit
// vector, but at lane granularity, so it costs L*log2(L) lane muxes instead of L full L:1 muxes).
template <typename T>
inline lanes_t<T> realign(const lanes_t<T>& prev, const lanes_t<T>& cur, int sh, int base, int len) {
#pragma HLS INLINE
  const int L = lanes_per_word<T>::value;
  const int STAGES = ilog2(L);
  T win[2 * L];
#pragma HLS ARRAY_PARTITION variable=win type=complete dim=1
WINDOW_FILL:
  for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
    win[l] = prev.v[l];
    win[L + l] = cur.v[l];
  }
WINDOW_STAGES:
  for (int s = 0; s < STAGES; s++) {
#pragma HLS UNROLL
    // Stage s moves every lane down by 2^s when bit s of sh is set: one 2:1 mux per lane.
    const int step = 1 << s;
    const bool move = (sh >> s) & 1;
    T next[2 * L];
#pragma HLS ARRAY_PARTITION variable=next type=complete dim=1
  WINDOW_MUX:
    for (int l = 0; l < 2 * L; l++) {
#pragma HLS UNROLL
      next[l] = (move && l + step < 2 * L) ? win[l + step] : win[l];
    }
  WINDOW_COPY:
    for (int l = 0; l < 2 * L; l++) {
#pragma HLS UNROLL
      win[l] = next[l];
    }
  }
  lanes_t<T> out;
WINDOW_MASK:
  for (int l = 0; l < L; l++) {
#pragma HLS UNROLL
    out.v[l] = (base + l < len) ? win[l] : T(0);
  }
  return out;
}

// ---- the realigning burst reader ------------------------------------------------------------------
// Read `len` consecutive elements of T starting at element `off` of the packed buffer `src` and
// write them to `out` as exactly `out_words` unpacked words: element off + e lands in lane e % L of
// output word e / L; every lane past `len` (and every word past them) is zero.
//
// Only the words holding [off, off + len) are read, in one burst of consecutive whole words, one
// word per cycle (II=1), so `off` may be any element offset: element `off` sits at lane
// off % L of word off / L and the 2-word window (prev, cur) realigns it to lane 0. len == 0 reads
// nothing and emits out_words zero words (padding rows / the outside of a matrix).
//
// MAX_LEN bounds `len` (trip counts for the HLS reports). Requires out_words * L >= len.
template <typename T, int MAX_LEN>
inline void read_elems(const word_t* src, int off, int len, int out_words, hls::stream<lanes_t<T> >& out) {
  // Inlined into each caller so every call site binds `src` to its own m_axi port.
#pragma HLS INLINE
  const int L = lanes_per_word<T>::value;
  const int LOG2_L = ilog2(L);
  const int MAX_WORDS = ceil_div(MAX_LEN, L) + 1;
  static_assert((L & (L - 1)) == 0, "lanes per word must be a power of two");
  FPGAOPS_SIM_ASSERT(off >= 0 && len >= 0 && len <= MAX_LEN, "read_elems: off = " << off << ", len = " << len
                                                                                   << ", MAX_LEN = " << MAX_LEN);
  FPGAOPS_SIM_ASSERT(out_words >= 0 && out_words * L >= len && out_words <= MAX_WORDS,
                     "read_elems: " << out_words << " output words cannot hold " << len << " elements");

  const int sh = off & (L - 1);      // lane of the first element in its word
  const int first = off >> LOG2_L;   // word holding the first element
  const int in_words = len > 0 ? (sh + len + L - 1) >> LOG2_L : 0;

  lanes_t<T> prev = zero_lanes<T>();
  // Output word r needs input words r and r + 1 (when sh > 0): emit it one iteration late.
  FPGAOPS_CYCLES_LOOP(in_words);
READ_BURST:
  for (int r = 0; r < in_words; r++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WORDS
    FPGAOPS_CYCLES_ITER();
    const lanes_t<T> cur = unpack<T>(src[first + r]);
    if (r > 0) out.write(realign<T>(prev, cur, sh, (r - 1) * L, len));
    prev = cur;
  }
  // The last word still in the window, then zero words up to out_words.
  const lanes_t<T> zero = zero_lanes<T>();
  FPGAOPS_CYCLES_LOOP(out_words - (in_words > 0 ? in_words - 1 : 0));
READ_FLUSH:
  for (int r = in_words > 0 ? in_words - 1 : 0; r < out_words; r++) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=1 max=MAX_WORDS
    FPGAOPS_CYCLES_ITER();
    out.write(realign<T>(prev, zero, sh, r * L, len));
    prev = zero;
  }
}

}  // namespace hw
}  // namespace fpgaops

#endif  // FPGAOPS_COMMON_HPP
