// Activations for NDRange devices: float32 closed forms and piecewise-linear tables, and exact
// int8 256-entry LUTs. Semantics: ActCall in python/fpgaops/ops/act_lut.py, opcodes and table
// layout in python/fpgaops/reference/act_lut.py; launcher: python/fpgaops/backends/opencl/act_lut.py.
// The helpers (act_lut.h) are shared with eltwise.cl's fused activation.
//
// Memory-bound: one work-item streams a contiguous chunk of `chunk` elements with ACT_LUT_OPENCL_VEC
// wide vloadn/vstoren (PoCL's CPU device serialises a work-group's items, so the vector width
// inside the item is what reaches the SIMD units; work-groups are single items). The kind is
// uniform per launch: the switch sits outside the element loop. Tables are read from __global
// (16 KiB at most: L1/L2 resident after the first touches).
//
// Floating point (act_lut.h): FP_CONTRACT OFF keeps the table interpolation t0 + u * (t1 - t0) as two
// rounded operations, like the reference. NaN falls through every comparison unchanged.

#ifndef ACT_LUT_OPENCL_VEC
#define ACT_LUT_OPENCL_VEC 16
#endif
#define VEC ACT_LUT_OPENCL_VEC
#include "act_lut.h"

// y[i] = act(x[i]) for i in [gid * chunk, min((gid + 1) * chunk, count))
__kernel ONE_ITEM void act_f32(__global const float *restrict x, __global float *restrict y, int count, int chunk,
                               int kind, float alpha, float beta, __global const float *restrict tab) {
  const long start = (long)get_global_id(0) * chunk;
  const long end = min(start + chunk, (long)count);
  long i = start;
  for (; i + VEC <= end; i += VEC) vstoreV(act_vector(vloadV(0, x + i), kind, alpha, beta, tab), 0, y + i);
  for (; i < end; ++i) y[i] = act_scalar(x[i], kind, alpha, beta, tab);
}

// int8: y[i] = lut[x[i] + 128]
__kernel ONE_ITEM void act_i8(__global const char *restrict x, __global char *restrict y, int count, int chunk,
                              __global const char *restrict lut) {
  const long start = (long)get_global_id(0) * chunk;
  const long end = min(start + chunk, (long)count);
  for (long i = start; i < end; ++i) y[i] = lut[(int)x[i] + 128];
}
