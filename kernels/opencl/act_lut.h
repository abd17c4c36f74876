// Activation helpers shared by act_lut.cl and eltwise.cl (fused activation): opcodes and float
// table layout of python/fpgaops/reference/act_lut.py. Included with -I<kernels/opencl>; the
// launchers pass a digest of this file as -D so a changed header rebuilds (PoCL caches programs
// by source text and options).
#ifndef FPGAOPS_ACT_LUT_H
#define FPGAOPS_ACT_LUT_H
#pragma OPENCL FP_CONTRACT OFF
#include "act_closed.h"


#define ONE_ITEM __attribute__((reqd_work_group_size(1, 1, 1)))
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
// The including kernel defines VEC (its vector width) before including this file.
#define floatV CAT(float, VEC)
#define intV CAT(int, VEC)
#define charV CAT(char, VEC)
#define convert_intV CAT(convert_int, VEC)
#define convert_floatV CAT(convert_float, VEC)
#define vloadV CAT(vload, VEC)
#define vstoreV CAT(vstore, VEC)

// opcodes (fpgaops.reference.act_lut)
#define ACT_NONE 0
#define ACT_CLAMP 1
#define ACT_LEAKY 2
#define ACT_HARDSIGMOID 3
#define ACT_HARDSWISH 4
#define ACT_TABLE 5
#define ACT_TABLE_HEADER 8

inline float act_table(float x, __global const float *restrict tab) {
  if (isnan(x)) return x;
  const float lo = tab[0], inv = tab[1];
  const int seg = (int)tab[2];
  const float t = (x - lo) * inv;
  if (t < 0.0f) return tab[3] != 0.0f ? tab[4] + tab[3] * x : tab[4];
  if (t >= (float)seg) return tab[5] != 0.0f ? tab[6] + tab[5] * x : tab[6];
  const int i = (int)t;
  const float u = t - (float)i;
  const float t0 = tab[ACT_TABLE_HEADER + i], t1 = tab[ACT_TABLE_HEADER + i + 1];
  return t0 + u * (t1 - t0);
}

inline float act_scalar(float x, int kind, float alpha, float beta, __global const float *restrict tab) {
  switch (kind) {
    case ACT_CLAMP: return x < alpha ? alpha : (x > beta ? beta : x);
    case ACT_LEAKY: return x < 0.0f ? alpha * x : x;
    case ACT_HARDSIGMOID: return act_hardsigmoid(x);  // act_closed.h
    case ACT_HARDSWISH: return act_hardswish(x);
    case ACT_TABLE: return act_table(x, tab);
    default: return x;
  }
}

// Vector forms of the closed-form kinds; select() keeps NaN (comparisons with NaN are false).
inline floatV act_clampV(floatV x, float lo, float hi) {
  x = select(x, (floatV)(lo), x < (floatV)(lo));
  return select(x, (floatV)(hi), x > (floatV)(hi));
}

// The table on VEC lanes: vector index arithmetic, per-lane knot loads (gathers), vector
// interpolation; the same operations as act_table, lane by lane.
inline floatV act_tableV(floatV x, __global const float *restrict tab) {
  const float lo = tab[0], inv = tab[1], seg = tab[2];
  const floatV t = (x - lo) * inv;
  const intV below = t < (floatV)(0.0f), above = t >= (floatV)(seg), nan = isnan(x);
  const floatV tc = select(t, (floatV)(0.0f), below | above | nan);
  const intV i = convert_intV(tc);
  const floatV u = tc - convert_floatV(i);
  float k0[VEC], k1[VEC];
  int idx[VEC];
  CAT(vstore, VEC)(i, 0, idx);
#pragma unroll
  for (int l = 0; l < VEC; ++l) {  // both knots of a segment in one 8-byte load
    const float2 k = vload2(0, tab + ACT_TABLE_HEADER + idx[l]);
    k0[l] = k.x;
    k1[l] = k.y;
  }
  const floatV t0 = vloadV(0, k0), t1 = vloadV(0, k1);
  floatV y = t0 + u * (t1 - t0);
  const floatV yb = tab[3] != 0.0f ? tab[4] + tab[3] * x : (floatV)(tab[4]);
  const floatV ya = tab[5] != 0.0f ? tab[6] + tab[5] * x : (floatV)(tab[6]);
  y = select(y, yb, below);
  y = select(y, ya, above);
  return select(y, x, nan);
}

inline floatV act_vector(floatV x, int kind, float alpha, float beta, __global const float *restrict tab) {
  switch (kind) {
    case ACT_CLAMP: return act_clampV(x, alpha, beta);
    case ACT_LEAKY: return select(x, x * alpha, x < (floatV)(0.0f));
    case ACT_HARDSIGMOID: return act_hardsigmoid(x);
    case ACT_HARDSWISH: return act_hardswish(x);
    case ACT_TABLE: return act_tableV(x, tab);
    default: return x;
  }
}

#endif  // FPGAOPS_ACT_LUT_H
