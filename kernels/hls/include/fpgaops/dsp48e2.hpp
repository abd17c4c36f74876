// The DSP48E2 model of the packed int8 MAC array: two int8 MACs per DSP (AMD WP486).
//
// Header-only, synthesizable (Vitis HLS, C++14); used by the GEMM engine (fpgaops/gemm.hpp). The
// arithmetic and the AMD documentation behind it: docs/conv_hls.md.
#ifndef FPGAOPS_DSP48E2_HPP
#define FPGAOPS_DSP48E2_HPP

#include <stdint.h>

#include "fpgaops/common.hpp"

namespace fpgaops {
namespace hw {

// ---- two int8 MACs per DSP48E2 (AMD WP486) ----------------------------------------------------------------
// The DSP48E2 (UG579) computes P = P' + (D + A) * B with a 27-bit pre-adder result, an 18-bit B, a
// 45-bit product and a 48-bit P. Two int8 weights that multiply the same activation x go into the
// pre-adder as D = w_hi << 18 and A = w_lo; one multiply then yields w_hi*x << 18 plus w_lo*x. A
// cascade of CHAIN such products (PCIN -> P) sums both fields at once:
//     P = 2^18 * sum(w_hi * x) + sum(w_lo * x).
// The low field is exact while |sum(w_lo * x)| <= 2^17 - 1, i.e. for at most MAX_CHAIN products of
// magnitude <= 2^14 (-128 * -128): the cascade is drained (split) after MAX_CHAIN products. Split:
// lo = the low 18 bits read as signed; hi = (P >> 18) + P[17] -- a negative low field borrowed one
// from the upper field, and its sign bit P[17] gives it back (the sign correction). Every quantity
// is an ap_int of the DSP port's width, so a packing that did not fit would lose bits in
// C-simulation and fail the bit-exact tests.
template <template <int> class Int>
struct Dsp48e2T {
  static const int A_BITS = 27;  // pre-adder output / multiplier A input
  static const int B_BITS = 18;  // multiplier B input
  static const int M_BITS = 45;  // product
  static const int P_BITS = 48;  // accumulator
  static const int SHIFT = 18;   // offset of the upper weight (and of the upper field of P)
  static const int MAX_PRODUCT = 128 * 128;  // |int8 x int8| <= 2^14, reached by -128 x -128
  static const int MAX_CHAIN = ((1 << (SHIFT - 1)) - 1) / MAX_PRODUCT;  // = 7 products per drain
  typedef Int<A_BITS> a_t;
  typedef Int<B_BITS> b_t;
  typedef Int<M_BITS> m_t;
  typedef Int<P_BITS> p_t;
  typedef Int<SHIFT> lo_t;

  static_assert(MAX_CHAIN >= 1, "the low field cannot hold one int8 product");
  static_assert((long long)MAX_CHAIN * MAX_PRODUCT <= (1LL << (SHIFT - 1)) - 1, "low field overflows");
  // D + A fits the 27-bit pre-adder: -128 * 2^18 - 128 >= -2^26 and 127 * 2^18 + 127 < 2^26.
  static_assert(-128LL * (1LL << SHIFT) - 128 >= -(1LL << (A_BITS - 1)) &&
                    127LL * (1LL << SHIFT) + 127 < (1LL << (A_BITS - 1)),
                "two int8 weights do not fit the DSP48E2 pre-adder");
  // A chain of MAX_CHAIN products stays inside P (48 bits) and each product inside M (45 bits).
  static_assert((long long)MAX_CHAIN * MAX_PRODUCT * ((1LL << SHIFT) + 1) < (1LL << (P_BITS - 1)),
                "the packed chain overflows the 48-bit accumulator");
  static_assert(((1LL << (A_BITS - 1)) * (1LL << (B_BITS - 1))) <= (1LL << (M_BITS - 1)),
                "27 x 18 product wider than 45 bits");

  // The pre-adder: D + A = w_hi * 2^18 + w_lo (both operands and the sum 27 bits wide).
  static a_t preadd(int8_t w_hi, int8_t w_lo) {
#pragma HLS INLINE
    const a_t d = a_t(int(w_hi)) << SHIFT;
    const a_t a = a_t(int(w_lo));
    return a_t(d + a);
  }
  // The 27 x 18 multiplier: Int<27> * Int<18> is an Int<45>, the product port's width. No BIND_OP
  // here on purpose: UG1399 (BIND_OP pragma, tip) says binding the mul to a DSP stops Vitis HLS
  // from matching the whole (D + A) * B + PCIN expression ("DSP Multi-Operation Matching"), which
  // is what puts the pre-adder and the cascade inside the DSP48E2.
  static m_t mul(const a_t& a, int8_t x) {
#pragma HLS INLINE
    return m_t(a * b_t(int(x)));
  }
  // The post-adder: P = P' + M (PCIN cascade or P feedback), 48 bits.
  static p_t add(const p_t& p, const m_t& m) {
#pragma HLS INLINE
    return p_t(p + m);
  }
  // Drain: the two fields of P, exact while the chain was at most MAX_CHAIN long.
  static void split(const p_t& p, int32_t& lo, int32_t& hi) {
#pragma HLS INLINE
    const lo_t low = lo_t(p);     // the low 18 bits, read as signed
    const p_t up = p >> SHIFT;    // arithmetic: floor(P / 2^18)
    lo = low.to_int();
    hi = up.to_int() + (p.get_bit(SHIFT - 1) ? 1 : 0);  // sign correction
  }
};
// The kernels' DSP model: ap_int under synthesis, its bit-identical fast form in C-simulation
// (dsp_int, sim_assert.hpp).
typedef Dsp48e2T<dsp_int> Dsp48e2;

}  // namespace hw
}  // namespace fpgaops

#endif  // FPGAOPS_DSP48E2_HPP
