// Numerically stable softmax for NDRange devices. Semantics: SoftmaxCall in
// python/fpgaops/ops/softmax.py; launcher: python/fpgaops/backends/opencl/softmax.py.
//
// NDRange (inner, outer): one work-item per row x[o, :, r] (stride `inner`), three passes:
// max (NaN-propagating: fmax ignores NaN, so NaN is tracked separately), e = exp(x - max) stored
// into y with the running sum, then y = e / sum (a division, not a multiply by 1/sum: one
// rounding, like the reference). Rows along the last dimension (inner == 1) are contiguous and
// use 8-wide vector loads in the first two passes. Work-groups are single items (PoCL's CPU
// device, see act_lut.cl).
#pragma OPENCL FP_CONTRACT OFF
#define ONE_ITEM __attribute__((reqd_work_group_size(1, 1, 1)))

__kernel ONE_ITEM void softmax_f32(__global const float *restrict x, __global float *restrict y, int n, int inner) {
  const long r = get_global_id(0), o = get_global_id(1);
  const long base = o * n * inner + r;
  __global const float *xr = x + base;
  __global float *yr = y + base;
  float m = -INFINITY;
  int i = 0;
  if (inner == 1) {
    float8 mv = (float8)(-INFINITY);
    int8 nan8 = (int8)(0);
    for (; i + 8 <= n; i += 8) {
      const float8 v = vload8(0, xr + i);
      mv = fmax(mv, v);
      nan8 |= isnan(v);
    }
    m = fmax(fmax(fmax(mv.s0, mv.s1), fmax(mv.s2, mv.s3)), fmax(fmax(mv.s4, mv.s5), fmax(mv.s6, mv.s7)));
    if (any(nan8)) m = NAN;
  }
  for (; i < n; ++i) {
    const float v = xr[(long)i * inner];
    m = (v > m || isnan(v)) ? v : m;
  }
  float s = 0.0f;
  i = 0;
  if (inner == 1) {
    float8 sv = (float8)(0.0f);
    for (; i + 8 <= n; i += 8) {
      const float8 e = exp(vload8(0, xr + i) - m);
      vstore8(e, 0, yr + i);
      sv += e;
    }
    s = ((sv.s0 + sv.s1) + (sv.s2 + sv.s3)) + ((sv.s4 + sv.s5) + (sv.s6 + sv.s7));
  }
  for (; i < n; ++i) {
    const float e = exp(xr[(long)i * inner] - m);
    yr[(long)i * inner] = e;
    s += e;
  }
  for (i = 0; i < n; ++i) yr[(long)i * inner] = yr[(long)i * inner] / s;
}
