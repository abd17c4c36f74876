// Element-wise add / mul with three-level broadcasting and a fused activation, for NDRange
// devices. Semantics: EltwiseCall in python/fpgaops/ops/eltwise.py; launcher:
// python/fpgaops/backends/opencl/eltwise.py. Activation opcodes and tables: act_lut.h.
//
// y is dense (P x Q x R); operand x reads x[p*x_sp + q*x_sq + r*x_sr] with x_sr in {0, 1}. The
// NDRange is (r-chunks, row-groups): a work-item handles `rows_per_item` consecutive (p, q) rows
// and, within each, the inner range [r0, r0 + chunk) -- so both "one huge row" (dense add of two
// feature maps: P = Q = 1) and "many short rows" (squeeze-excitation: P = N*C rows of H*W) give
// every work-item a few thousand contiguous elements. The inner loop is VEC-wide vloadn/vstoren
// when an operand is dense along r and a broadcast scalar when its inner stride is 0; the four
// layouts x two ops are separate straight-line loops (ELT_VLOOP), chosen outside the element loop.
// Work-groups are single items (see act_lut.cl).
//
// int8: scalar, 64-bit intermediate (d_a * m_a + d_b * m_b needs 41 bits), the rounding rule of
// fpgaops.quant: (v + 2^(shift-1)) >> shift, arithmetic shift.
#ifndef ELTWISE_OPENCL_VEC
#define ELTWISE_OPENCL_VEC 8
#endif
#define VEC ELTWISE_OPENCL_VEC
#include "act_lut.h"

#define OP_ADD 0
#define OP_MUL 1

// The vector loop over [i, r1) for one (operand layout, op) combination; the launch-uniform
// branches that pick the combination sit outside it, so each loop body is straight-line code.
#define ELT_VLOOP(LA, LB, OPER)                                                        \
  for (; i + VEC <= r1; i += VEC) {                                                   \
    const floatV va = LA, vb = LB;                                                    \
    vstoreV(act_vector(OPER, kind, alpha, beta, tab), 0, y + yb + i);                 \
  }
#define ELT_VLOOP_OP(LA, LB)                  \
  if (op == OP_ADD) {                         \
    ELT_VLOOP(LA, LB, va + vb)                \
  } else {                                    \
    ELT_VLOOP(LA, LB, va * vb)                \
  }

__kernel ONE_ITEM void eltwise_f32(__global const float *restrict a, __global const float *restrict b,
                                   __global float *restrict y, int op, int rows, int rows_per_item, int q, int r,
                                   int chunk, long a_sp, long a_sq, int a_sr, long b_sp, long b_sq, int b_sr,
                                   int kind, float alpha, float beta, __global const float *restrict tab) {
  const long r0 = (long)get_global_id(0) * chunk;
  const long r1 = min(r0 + chunk, (long)r);
  const int row0 = get_global_id(1) * rows_per_item;
  const int row1 = min(row0 + rows_per_item, rows);
  for (int row = row0; row < row1; ++row) {
    const long pi = row / q, qi = row % q;
    const long ab = pi * a_sp + qi * a_sq, bb = pi * b_sp + qi * b_sq, yb = (long)row * r;
    long i = r0;
    if (a_sr && b_sr) {
      ELT_VLOOP_OP(vloadV(0, a + ab + i), vloadV(0, b + bb + i))
    } else if (a_sr) {
      const floatV sb = (floatV)(b[bb]);
      ELT_VLOOP_OP(vloadV(0, a + ab + i), sb)
    } else if (b_sr) {
      const floatV sa = (floatV)(a[ab]);
      ELT_VLOOP_OP(sa, vloadV(0, b + bb + i))
    } else {
      const floatV sa = (floatV)(a[ab]), sb = (floatV)(b[bb]);
      ELT_VLOOP_OP(sa, sb)
    }
    for (; i < r1; ++i) {
      const float va = a[ab + i * a_sr], vb = b[bb + i * b_sr];
      y[yb + i] = act_scalar(op == OP_ADD ? va + vb : va * vb, kind, alpha, beta, tab);
    }
  }
}

__kernel ONE_ITEM void eltwise_i8(__global const char *restrict a, __global const char *restrict b,
                                  __global char *restrict y, int op, int rows, int rows_per_item, int q, int r,
                                  int chunk, long a_sp, long a_sq, int a_sr, long b_sp, long b_sq, int b_sr,
                                  int use_lut, __global const char *restrict lut, int za, int zb, int zo, long ma,
                                  long mb, int shift) {
  const long r0 = (long)get_global_id(0) * chunk;
  const long r1 = min(r0 + chunk, (long)r);
  const int row0 = get_global_id(1) * rows_per_item;
  const int row1 = min(row0 + rows_per_item, rows);
  const long rnd = shift > 0 ? (1L << (shift - 1)) : 0L;
  for (int row = row0; row < row1; ++row) {
    const long pi = row / q, qi = row % q;
    const long ab = pi * a_sp + qi * a_sq, bb = pi * b_sp + qi * b_sq, yb = (long)row * r;
    for (long i = r0; i < r1; ++i) {
      const long da = (long)a[ab + i * a_sr] - za, db = (long)b[bb + i * b_sr] - zb;
      const long acc = op == OP_ADD ? da * ma + db * mb : da * db * ma;
      long v = ((acc + rnd) >> shift) + zo;
      v = v < -128 ? -128 : (v > 127 ? 127 : v);
      y[yb + i] = use_lut ? lut[v + 128] : (char)v;
    }
  }
}
