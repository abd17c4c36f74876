// Layer normalization over the last n elements of each row, for NDRange devices. Semantics:
// NormCall in python/fpgaops/ops/norm.py; launcher: python/fpgaops/backends/opencl/norm.py.
//
// One work-item per row (rows of a ConvNeXt block: N*H*W rows of C = 96..768 channels in NHWC),
// two passes over the row: the mean, then the variance of (x - mean) (the two-pass form: no
// cancellation, unlike E[x^2] - E[x]^2), both summed in 8 lanes of float and the lanes added in a
// tree, then y = (x - mean) * (1 / sqrt(var + eps)) (computed once per row, OpenCL's sqrt and
// division), then the affine weight / bias (flags: absent ones are not
// read). Work-groups are single items (PoCL's CPU device, see act_lut.cl).
#pragma OPENCL FP_CONTRACT OFF
#define ONE_ITEM __attribute__((reqd_work_group_size(1, 1, 1)))

inline float sum8(float8 v) { return ((v.s0 + v.s1) + (v.s2 + v.s3)) + ((v.s4 + v.s5) + (v.s6 + v.s7)); }

__kernel ONE_ITEM void layer_norm_f32(__global const float *restrict x, __global float *restrict y,
                                      __global const float *restrict w, __global const float *restrict b, int rows,
                                      int n, float eps, int has_w, int has_b) {
  const int row = get_global_id(0);
  if (row >= rows) return;
  __global const float *xr = x + (long)row * n;
  __global float *yr = y + (long)row * n;
  float8 acc = (float8)(0.0f);
  int i = 0;
  for (; i + 8 <= n; i += 8) acc += vload8(0, xr + i);
  float s = sum8(acc);
  for (; i < n; ++i) s += xr[i];
  const float mean = s / (float)n;
  acc = (float8)(0.0f);
  i = 0;
  for (; i + 8 <= n; i += 8) {
    const float8 d = vload8(0, xr + i) - mean;
    acc += d * d;
  }
  float q = sum8(acc);
  for (; i < n; ++i) {
    const float d = xr[i] - mean;
    q += d * d;
  }
  const float inv = 1.0f / sqrt(q / (float)n + eps);
  i = 0;
  for (; i + 8 <= n; i += 8) {
    float8 v = (vload8(0, xr + i) - mean) * inv;
    if (has_w) v *= vload8(0, w + i);
    if (has_b) v += vload8(0, b + i);
    vstore8(v, 0, yr + i);
  }
  for (; i < n; ++i) {
    float v = (xr[i] - mean) * inv;
    if (has_w) v *= w[i];
    if (has_b) v += b[i];
    yr[i] = v;
  }
}
