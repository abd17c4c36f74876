// erf-based element-wise functions for NDRange devices: erf(x) and the exact GELU
// x / 2 * (1 + erf(x / sqrt 2)) (ONNX Gelu approximate="none", the pattern torch exports for
// nn.GELU at opsets 17/18, fused by graph/lower.py). OpenCL's erf (PoCL: a few ulp) instead of the
// act_lut table, whose interpolation error (~6e-6 for GELU, docs/act_lut.md) compounds over a
// ConvNeXt's 18 blocks beyond 1e-4 relative. Semantics: ErfCall in python/fpgaops/ops/erf.py;
// launcher: python/fpgaops/backends/opencl/erf.py. A contiguous chunk per work-item, 8-wide
// vectors (as act_lut.cl); work-groups are single items.
#pragma OPENCL FP_CONTRACT OFF
#define ONE_ITEM __attribute__((reqd_work_group_size(1, 1, 1)))
#define FN_ERF 0
#define FN_GELU 1

// GELU is 0 where 1 + erf is 0 (x below ~ -5.9, and x = -inf, where x * 0 would be NaN: the
// limit, as act_lut's gelu and the golden model).
inline float8 apply8(float8 v, int fn) {
  if (fn != FN_GELU) return erf(v);
  const float8 t = 1.0f + erf(v * 0.70710678118654752f);
  return select((v * 0.5f) * t, (float8)(0.0f), t == (float8)(0.0f));
}

inline float apply1(float v, int fn) {
  if (fn != FN_GELU) return erf(v);
  const float t = 1.0f + erf(v * 0.70710678118654752f);
  return t == 0.0f ? 0.0f : (v * 0.5f) * t;
}

__kernel ONE_ITEM void erf_f32(__global const float *restrict x, __global float *restrict y, int count, int chunk,
                               int fn) {
  const int i0 = get_global_id(0) * chunk;
  const int i1 = min(i0 + chunk, count);
  int i = i0;
  for (; i + 8 <= i1; i += 8) vstore8(apply8(vload8(0, x + i), fn), 0, y + i);
  for (; i < i1; ++i) y[i] = apply1(x[i], fn);
}
