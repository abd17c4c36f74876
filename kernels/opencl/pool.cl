// Pooling for NDRange devices: max / average over regular or adaptive windows, float32 and int8.
// Semantics: PoolCall in python/fpgaops/ops/pool.py and the window rules of
// python/fpgaops/reference/pool.py; launcher: python/fpgaops/backends/opencl/pool.py.
//
//   pool_f32 / pool_i8     NDRange (ceil(OH / rows_per_item), planes): a work-item computes
//                          rows_per_item whole output rows (the launcher picks it so an item has
//                          a few thousand outputs: PoCL's CPU device pays a function call per
//                          single-item work-group). Each output's valid tap range is computed
//                          once per axis (no bounds test in the tap loops). float32, stride 1 or
//                          2, regular windows: blocks of 8 interior outputs use one vector load
//                          per tap (stride 2: two 8-wide loads, even lanes); edges stay scalar.
//   pool_max_f32 / _i8     max over regular windows without dilation, rows of at most
//                          pool.opencl.max_row padded columns: separable. Per output row, the
//                          column-wise max of its valid input rows, 16 columns per vector, into
//                          a private row with -inf in the padding; then the kw taps along that
//                          row, 16 outputs per vector for stride 1 and 2 (stride 2: even lanes of
//                          two loads per tap). kh + kw comparisons per output instead of kh * kw,
//                          and only 16-wide loads: 2-3x pool_f32 on ResNet's 3x3/2 stem pool,
//                          ~10x the scalar pool_i8.
//   pool_global_f32/_i8    adaptive 1 x 1 (global average): a work-item streams planes_per_item
//                          contiguous planes, float32 with 8-wide vector loads (8 partial sums).
//
// NaN: max uses (v > m || isnan(v)), so one NaN makes the window NaN (PyTorch). Work-groups are
// single items (PoCL's CPU device, see act_lut.cl).
#include "vstore_u.h"

#pragma OPENCL FP_CONTRACT OFF
#define ONE_ITEM __attribute__((reqd_work_group_size(1, 1, 1)))
#define KIND_MAX 0
#define KIND_AVG 1

// Valid taps of output i along one axis: positions start + t * step for t in [t0, t1), and the
// average's divisor factor for that axis.
typedef struct {
  int start, step, t0, t1, count;
} Taps;

inline Taps taps(int i, int n, int o, int k, int s, int p, int d, int adaptive, int include_pad) {
  Taps r;
  if (adaptive) {
    r.start = (int)(((long)i * n) / o);
    r.step = 1;
    r.t0 = 0;
    r.t1 = (int)((((long)i + 1) * n + o - 1) / o) - r.start;
    r.count = r.t1;
    return r;
  }
  r.start = i * s - p;
  r.step = d;
  r.t0 = r.start >= 0 ? 0 : (-r.start + d - 1) / d;
  const int last = n - 1 - r.start;  // t * d <= last
  r.t1 = last < 0 ? 0 : min(k, last / d + 1);
  if (r.t1 < r.t0) r.t1 = r.t0;
  r.count = include_pad ? min(r.start + k, n + p) - r.start : r.t1 - r.t0;
  return r;
}

// Max / sum of the VEC outputs j0 .. j0 + VEC - 1 of one input row when every tap of every one of
// them is inside the row (interior blocks of a regular window with stride 1 or 2): one vector load
// per tap (stride 2: two 8-wide loads, even lanes; the last lane may read one element past the row,
// never used, inside the buffer or its guard word).
inline float8 row_taps8(__global const float *row, int j0, int sw, int pw, int kw, int dw, int kind, float8 acc) {
  for (int b = 0; b < kw; ++b) {
    const int c0 = j0 * sw - pw + b * dw;
    const float8 v = sw == 1 ? vload8(0, row + c0)
                             : shuffle2(vload8(0, row + c0), vload8(1, row + c0), (uint8)(0, 2, 4, 6, 8, 10, 12, 14));
    acc = kind == KIND_MAX ? select(acc, v, (v > acc) | isnan(v)) : acc + v;
  }
  return acc;
}

__kernel ONE_ITEM void pool_f32(__global const float *restrict x, __global float *restrict y, int kind, int adaptive,
                                int include_pad, int h, int oh, int kh, int sh, int ph, int dh, int w, int ow, int kw,
                                int sw, int pw, int dw, int rows_per_item) {
  const int i0 = get_global_id(0) * rows_per_item;
  const long plane = get_global_id(1);
  __global const float *xp = x + plane * h * w;
  // Output columns [jv0, jv1) are interior: every tap of every one is inside [0, w).
  int jv0 = ow, jv1 = ow;
  if (!adaptive && (sw == 1 || sw == 2)) {
    jv0 = pw > 0 ? (pw + sw - 1) / sw : 0;
    const int last = w - 1 - (kw - 1) * dw + pw;  // j * sw <= last
    jv1 = last < 0 ? 0 : min(ow, last / sw + 1);
    if (jv1 < jv0) jv0 = jv1 = ow;
  }
  for (int i = i0; i < min(i0 + rows_per_item, oh); ++i) {
    const Taps tr = taps(i, h, oh, kh, sh, ph, dh, adaptive, include_pad);
    __global float *yp = y + (plane * oh + i) * ow;
    int j = 0;
    for (; j < ow; ++j) {
      if (j >= jv0 && j + 8 <= jv1) {  // a vector block of 8 interior outputs
        float8 acc = (float8)(kind == KIND_MAX ? -INFINITY : 0.0f);
        for (int a = tr.t0; a < tr.t1; ++a)
          acc = row_taps8(xp + (long)(tr.start + a * tr.step) * w, j, sw, pw, kw, dw, kind, acc);
        if (kind == KIND_AVG) acc = acc / (float)(tr.count * kw);
        vstore8(acc, 0, yp + j);
        j += 7;
        continue;
      }
      const Taps tc = taps(j, w, ow, kw, sw, pw, dw, adaptive, include_pad);
      if (kind == KIND_MAX) {
        float m = -INFINITY;
        for (int a = tr.t0; a < tr.t1; ++a) {
          __global const float *row = xp + (long)(tr.start + a * tr.step) * w + tc.start;
          for (int b = tc.t0; b < tc.t1; ++b) {
            const float v = row[b * tc.step];
            m = (v > m || isnan(v)) ? v : m;
          }
        }
        yp[j] = m;
      } else {
        float s = 0.0f;
        for (int a = tr.t0; a < tr.t1; ++a) {
          __global const float *row = xp + (long)(tr.start + a * tr.step) * w + tc.start;
          for (int b = tc.t0; b < tc.t1; ++b) s += row[b * tc.step];
        }
        yp[j] = s / (float)(tr.count * tc.count);
      }
    }
  }
}

#define MAX_ROW POOL_OPENCL_MAX_ROW
// Lanes 0, 2, ..., 30 (even) and 1, 3, ..., 31 (odd) of the 32 elements at p (p 2-element aligned).
// float: shuffle2. int8: PoCL 3.1 scalarizes shuffle2 of char vectors (measured ~13x slower than
// the float one), so the 32 bytes are read as 16 shorts and split by shifts (vpmovwb).
inline float16 even16_f32(const float *p) {
  return shuffle2(vload16(0, p), vload16(1, p), (uint16)(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30));
}
inline float16 odd16_f32(const float *p) {
  return shuffle2(vload16(0, p), vload16(1, p), (uint16)(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31));
}
inline char16 even16_i8(const char *p) {
  const short16 v = vload16(0, (const short *)p);
  return convert_char16((v << (short16)8) >> (short16)8);  // the low byte, sign-extended: in range
}
inline char16 odd16_i8(const char *p) { return convert_char16(vload16(0, (const short *)p) >> (short16)8); }
// float: NaN wins (as pool_f32); int8: the codes' max (monotone in the value for any zero point)
inline float16 max16_f32(float16 a, float16 v) { return select(a, v, (v > a) | isnan(v)); }
inline float max1_f32(float a, float v) { return (v > a || isnan(v)) ? v : a; }
inline char16 max16_i8(char16 a, char16 v) { return max(a, v); }
inline char max1_i8(char a, char v) { return max(a, v); }

// pool_max_<S>: element T, vector T16 = 16 x T, padding value NEG (below every value: a window
// with at least one valid tap gets that tap's max; one wholly in the padding gets NEG, the empty
// window's value). The launcher's contract: max(pw + w, (ow - 1) * sw + kw) <= MAX_ROW (the padded
// row, ceil_mode's overhang included), dilation 1. The row buffer has 32 more entries: the last
// vector of a row may read past the padded row in lanes it never uses.
#define DEFINE_POOL_MAX(S, T, T16, NEG)                                                                           \
  __kernel ONE_ITEM void pool_max_##S(__global const T *restrict x, __global T *restrict y, int h, int oh, int kh, \
                                      int sh, int ph, int w, int ow, int kw, int sw, int pw, int rows_per_item) { \
    const int i0 = get_global_id(0) * rows_per_item;                                                          \
    const long plane = get_global_id(1);                                                                      \
    __global const T *xp = x + plane * h * w;                                                                 \
    const int span = max(pw + w, (ow - 1) * sw + kw);                                                         \
    T row[MAX_ROW + 32] __attribute__((aligned(64))); /* even16_i8 reads shorts */                             \
    for (int c = 0; c < pw; ++c) row[c] = NEG;                                                                \
    for (int c = pw + w; c < span; ++c) row[c] = NEG;                                                         \
    for (int i = i0; i < min(i0 + rows_per_item, oh); ++i) {                                                  \
      const Taps tr = taps(i, h, oh, kh, sh, ph, 1, 0, 0);                                                    \
      const int rows = tr.t1 - tr.t0;                                                                         \
      __global const T *r0 = xp + (long)(tr.start + tr.t0) * w;                                               \
      int c = 0;                                                                                              \
      if (rows == 0) /* a window wholly in the padding: empty */                                              \
        for (; c < w; ++c) row[pw + c] = NEG;                                                                 \
      for (; c + 16 <= w; c += 16) { /* column-wise max of the window's rows */                               \
        T16 m = vload16(0, r0 + c);                                                                           \
        for (int t = 1; t < rows; ++t) m = max16_##S(m, vload16(0, r0 + (long)t * w + c));                    \
        vstore16(m, 0, row + pw + c);                                                                         \
      }                                                                                                       \
      for (; c < w; ++c) {                                                                                    \
        T m = r0[c];                                                                                          \
        for (int t = 1; t < rows; ++t) m = max1_##S(m, r0[(long)t * w + c]);                                  \
        row[pw + c] = m;                                                                                      \
      }                                                                                                       \
      __global T *yp = y + (plane * oh + i) * ow;                                                             \
      int j = 0;                                                                                              \
      if (sw == 1) {                                                                                          \
        for (; j + 16 <= ow; j += 16) {                                                                       \
          T16 m = vload16(0, row + j);                                                                        \
          for (int b = 1; b < kw; ++b) m = max16_##S(m, vload16(0, row + j + b));                            \
          VSTORE16_U(T, m, yp + j);                                                                           \
        }                                                                                                     \
      } else if (sw == 2) { /* tap b of outputs j..j+15: row[2j + b], even (odd) lanes from row + 2j + b (- 1) */ \
        for (; j + 16 <= ow; j += 16) {                                                                       \
          T16 m = even16_##S(row + 2 * j);                                                                    \
          for (int b = 1; b < kw; ++b)                                                                        \
            m = max16_##S(m, (b & 1) ? odd16_##S(row + 2 * j + b - 1) : even16_##S(row + 2 * j + b));         \
          VSTORE16_U(T, m, yp + j);                                                                           \
        }                                                                                                     \
      }                                                                                                       \
      for (; j < ow; ++j) {                                                                                   \
        T m = row[j * sw];                                                                                    \
        for (int b = 1; b < kw; ++b) m = max1_##S(m, row[j * sw + b]);                                        \
        yp[j] = m;                                                                                            \
      }                                                                                                       \
    }                                                                                                         \
  }

DEFINE_POOL_MAX(f32, float, float16, -INFINITY)
DEFINE_POOL_MAX(i8, char, char16, (char)-128)

// round-half-to-even of a / b, b > 0 (exact integer arithmetic)
inline int div_rne(int a, int b) {
  int q = a / b, r = a % b;
  if (r < 0) {  // C division truncates: make it floor
    q -= 1;
    r += b;
  }
  const int r2 = 2 * r;
  return q + ((r2 > b || (r2 == b && (q & 1))) ? 1 : 0);
}

__kernel ONE_ITEM void pool_i8(__global const char *restrict x, __global char *restrict y, int kind, int adaptive,
                               int include_pad, int h, int oh, int kh, int sh, int ph, int dh, int w, int ow, int kw,
                               int sw, int pw, int dw, int rows_per_item, int zero_point) {
  const int i0 = get_global_id(0) * rows_per_item;
  const long plane = get_global_id(1);
  __global const char *xp = x + plane * h * w;
  for (int i = i0; i < min(i0 + rows_per_item, oh); ++i) {
  const Taps tr = taps(i, h, oh, kh, sh, ph, dh, adaptive, include_pad);
  __global char *yp = y + (plane * oh + i) * ow;
  for (int j = 0; j < ow; ++j) {
    const Taps tc = taps(j, w, ow, kw, sw, pw, dw, adaptive, include_pad);
    if (kind == KIND_MAX) {
      int m = -128;
      for (int a = tr.t0; a < tr.t1; ++a) {
        __global const char *row = xp + (long)(tr.start + a * tr.step) * w + tc.start;
        for (int b = tc.t0; b < tc.t1; ++b) m = max(m, (int)row[b * tc.step]);
      }
      yp[j] = (char)m;
    } else {
      int s = 0;
      for (int a = tr.t0; a < tr.t1; ++a) {
        __global const char *row = xp + (long)(tr.start + a * tr.step) * w + tc.start;
        for (int b = tc.t0; b < tc.t1; ++b) s += (int)row[b * tc.step] - zero_point;
      }
      const int v = zero_point + div_rne(s, tr.count * tc.count);
      yp[j] = (char)clamp(v, -128, 127);
    }
  }
  }
}

__kernel ONE_ITEM void pool_global_f32(__global const float *restrict x, __global float *restrict y, int hw,
                                       int planes, int planes_per_item) {
  const long p0 = (long)get_global_id(0) * planes_per_item;
  for (long plane = p0; plane < min(p0 + planes_per_item, (long)planes); ++plane) {
  __global const float *xp = x + plane * hw;
  float8 acc = (float8)(0.0f);
  int i = 0;
  for (; i + 8 <= hw; i += 8) acc += vload8(0, xp + i);
  float s = ((acc.s0 + acc.s1) + (acc.s2 + acc.s3)) + ((acc.s4 + acc.s5) + (acc.s6 + acc.s7));
  for (; i < hw; ++i) s += xp[i];
  y[plane] = s / (float)hw;
  }
}

__kernel ONE_ITEM void pool_global_i8(__global const char *restrict x, __global char *restrict y, int hw,
                                      int planes, int planes_per_item, int zero_point) {
  const long p0 = (long)get_global_id(0) * planes_per_item;
  for (long plane = p0; plane < min(p0 + planes_per_item, (long)planes); ++plane) {
  __global const char *xp = x + plane * hw;
  int s = 0;
  for (int i = 0; i < hw; ++i) s += (int)xp[i];
  s -= zero_point * hw;
  y[plane] = (char)clamp(zero_point + div_rne(s, hw), -128, 127);
  }
}
