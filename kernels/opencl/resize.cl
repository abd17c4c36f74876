// ONNX Resize on the last two axes of an (N, C, H, W) tensor: nearest (float32 and int8 as raw
// 4- and 1-byte elements) and linear (float32). Semantics: ResizeCall in python/fpgaops/ops/resize.py;
// golden model: python/fpgaops/reference/resize.py; launcher: python/fpgaops/backends/opencl/resize.py.
// The source indices and weights of each axis come from the launcher as tables, made by the golden
// model's own axis_table (so the kernel cannot round a coordinate differently); the interpolation
// runs in double in the golden model's order (H pass, then W pass; products not contracted), so
// the results are its bits. The launcher runs this file only on devices with cl_khr_fp64.
// One work-item per output row of one (n, c) plane: global (OH, N*C); work-groups are single items.
// rh / rw: whether H / W is resized (an axis left alone is not interpolated at all: an infinity
// times a weight of 0 would be NaN); the tables of an axis left alone are not read.
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF
#define ONE_ITEM __attribute__((reqd_work_group_size(1, 1, 1)))

// nearest: hi / wi the source row / column of every output row / column
#define NEAREST_KERNEL(NAME, T)                                                                        \
    __kernel ONE_ITEM void NAME(__global const T* restrict x, __global T* restrict y, int h, int w, int oh, \
                                int ow, int rh, int rw, __global const int* restrict hi,                 \
                                __global const int* restrict wi) {                                      \
        const int oy = get_global_id(0), nc = get_global_id(1);                                         \
        __global const T* row = x + ((size_t)nc * h + (rh ? hi[oy] : oy)) * w;                          \
        __global T* out = y + ((size_t)nc * oh + oy) * ow;                                              \
        if (rw)                                                                                         \
            for (int ox = 0; ox < ow; ++ox) out[ox] = row[wi[ox]];                                      \
        else                                                                                            \
            for (int ox = 0; ox < ow; ++ox) out[ox] = row[ox];                                          \
    }

NEAREST_KERNEL(resize_nearest_b4, uint)
NEAREST_KERNEL(resize_nearest_b1, uchar)

// linear: (h0, h1, hw) the two source rows and the second's weight of every output row, (w0, w1,
// ww) the same for the columns. Per output: the H pass at the two source columns, then the W pass.
__kernel ONE_ITEM void resize_linear_f32(__global const float* restrict x, __global float* restrict y, int h, int w,
                                         int oh, int ow, int rh, int rw, __global const int* restrict h0,
                                         __global const int* restrict h1, __global const double* restrict hw,
                                         __global const int* restrict w0, __global const int* restrict w1,
                                         __global const double* restrict ww) {
    const int oy = get_global_id(0), nc = get_global_id(1);
    const double wy = rh ? hw[oy] : 0.0;
    __global const float* r0 = x + ((size_t)nc * h + (rh ? h0[oy] : oy)) * w;
    __global const float* r1 = x + ((size_t)nc * h + (rh ? h1[oy] : oy)) * w;
    __global float* out = y + ((size_t)nc * oh + oy) * ow;
    for (int ox = 0; ox < ow; ++ox) {
        const int x0 = rw ? w0[ox] : ox, x1 = rw ? w1[ox] : ox;
        double a0 = (double)r0[x0], a1 = (double)r0[x1];
        if (rh) {
            a0 = a0 * (1.0 - wy) + (double)r1[x0] * wy;
            a1 = a1 * (1.0 - wy) + (double)r1[x1] * wy;
        }
        out[ox] = (float)(rw ? a0 * (1.0 - ww[ox]) + a1 * ww[ox] : a0);
    }
}
