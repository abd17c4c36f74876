// Data movement for NDRange devices: one strided copy that serves concat (each input into its
// slice of the output), split / slice (each output from a strided window of the input),
// transpose (a permutation of the input's strides) and pad (a fill, then the interior).
// Semantics: MoveCall / FillCall in python/fpgaops/ops/movement.py; launcher:
// python/fpgaops/backends/opencl/movement.py.
//
// The launcher merges dimensions that are contiguous in both operands, so the copy is
//   y[yoff + sum_d i_d * ys_d] = x[xoff + sum_d i_d * xs_d]   over (d0, d1, d2, d3, d4, n),
// up to five outer dimensions and the inner one (n elements, strides xs5 / ys5). The NDRange is
// (inner chunks, row groups) as in eltwise.cl: a work-item copies `rows_per_item` consecutive
// outer rows, and within each row the range [c * chunk, (c + 1) * chunk) of the inner dimension,
// so one huge contiguous row (a channel concat at batch 1) and many short rows (a channel
// shuffle: rows of H*W) both give every work-item a few thousand elements. The element is moved
// as bits (uint for 4-byte, uchar for 1-byte elements): float32 and int8 tensors share the code,
// and no float operation touches the data (NaN payloads survive). Work-groups are single items
// (PoCL's CPU device, see act_lut.cl).
#include "vstore_u.h"

#define ONE_ITEM __attribute__((reqd_work_group_size(1, 1, 1)))

#define COPY_KERNEL(NAME, T, T8)                                                                     \
  __kernel ONE_ITEM void NAME(__global const T *restrict x, __global T *restrict y, long xoff, long yoff, \
                              int rows, int rows_per_item, int n, int chunk, int d1, int d2, int d3, int d4, \
                              long xs0, long xs1, long xs2, long xs3, long xs4, long xs5, long ys0, long ys1, \
                              long ys2, long ys3, long ys4, long ys5) {                             \
    const int i0 = get_global_id(0) * chunk;                                                       \
    const int i1 = min(i0 + chunk, n);                                                             \
    const int row0 = get_global_id(1) * rows_per_item;                                             \
    const int row1 = min(row0 + rows_per_item, rows);                                              \
    for (int row = row0; row < row1; ++row) {                                                      \
      int r = row;                                                                                 \
      const long a4 = r % d4; r /= d4;                                                             \
      const long a3 = r % d3; r /= d3;                                                             \
      const long a2 = r % d2; r /= d2;                                                             \
      const long a1 = r % d1;                                                                      \
      const long a0 = r / d1;                                                                      \
      __global const T *xr = x + xoff + a0 * xs0 + a1 * xs1 + a2 * xs2 + a3 * xs3 + a4 * xs4;        \
      __global T *yr = y + yoff + a0 * ys0 + a1 * ys1 + a2 * ys2 + a3 * ys3 + a4 * ys4;              \
      int i = i0;                                                                                  \
      if (xs5 == 1 && ys5 == 1) {                                                                  \
        for (; i + 8 <= i1; i += 8) VSTORE8_U(T, vload8(0, xr + i), yr + i);                       \
        for (; i < i1; ++i) yr[i] = xr[i];                                                         \
      } else if (ys5 == 1) { /* a gather: the transposes */                                        \
        for (; i < i1; ++i) yr[i] = xr[(long)i * xs5];                                             \
      } else {                                                                                     \
        for (; i < i1; ++i) yr[(long)i * ys5] = xr[(long)i * xs5];                                 \
      }                                                                                            \
    }                                                                                              \
  }

COPY_KERNEL(copy_b4, uint, uint8)
COPY_KERNEL(copy_b1, uchar, uchar8)

// ShuffleNetV2's channel shuffle of two halves (graph/shuffle.py, ChannelShuffle): a and b are
// (N, c/2, n) (n = H*W), the shuffled tensor y = channel_shuffle(cat(a, b), groups=2) has channel
// k = 2j from a's j and k = 2j + 1 from b's j. Output channels k < cout go to y0's channel k, the
// rest to y1's channel k - cout: cout = c/2 writes the two halves the next block splits y into
// (the Concat, Transpose and two Slice copies in one launch), cout = c writes y whole (y1 unused,
// the launcher passes y0 again: hence no restrict on the outputs). A row is one output channel of
// one image, n contiguous elements in both operands; the NDRange splits it as copy_* does.
#define SHUFFLE_KERNEL(NAME, T)                                                                      \
  __kernel ONE_ITEM void NAME(__global const T *restrict a, __global const T *restrict b, __global T *y0, \
                              __global T *y1, int rows, int rows_per_item, int n, int chunk, int c, int cout) { \
    const int i0 = get_global_id(0) * chunk;                                                       \
    const int i1 = min(i0 + chunk, n);                                                             \
    const int row0 = get_global_id(1) * rows_per_item;                                             \
    const int row1 = min(row0 + rows_per_item, rows);                                              \
    for (int row = row0; row < row1; ++row) {                                                      \
      const int img = row / c, k = row % c;                                                        \
      __global const T *xr = ((k & 1) ? b : a) + ((long)img * (c / 2) + (k >> 1)) * n;             \
      __global T *yr = k < cout ? y0 + ((long)img * cout + k) * n : y1 + ((long)img * cout + k - cout) * n; \
      int i = i0;                                                                                  \
      for (; i + 8 <= i1; i += 8) VSTORE8_U(T, vload8(0, xr + i), yr + i);                         \
      for (; i < i1; ++i) yr[i] = xr[i];                                                           \
    }                                                                                              \
  }

SHUFFLE_KERNEL(shuffle2_b4, uint)
SHUFFLE_KERNEL(shuffle2_b1, uchar)

// y[i] = value for i < count (dense), chunk elements per work-item.
#define FILL_KERNEL(NAME, T)                                                                         \
  __kernel ONE_ITEM void NAME(__global T *restrict y, int count, int chunk, T value) {             \
    const int i0 = get_global_id(0) * chunk;                                                       \
    const int i1 = min(i0 + chunk, count);                                                         \
    for (int i = i0; i < i1; ++i) y[i] = value;                                                    \
  }

FILL_KERNEL(fill_b4, uint)
FILL_KERNEL(fill_b1, uchar)
