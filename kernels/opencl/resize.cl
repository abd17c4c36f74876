// ONNX Resize on the last two axes of an (N, C, H, W) tensor: nearest (float32 and int8 as raw
// 4- and 1-byte elements) and linear (float32). Semantics: ResizeCall in python/fpgaops/ops/resize.py;
// golden model: python/fpgaops/reference/resize.py; launcher: python/fpgaops/backends/opencl/resize.py.
// The source coordinates, nearest indices, weights and the interpolation are computed in double in
// the golden model's order (H pass, then W pass; products not contracted), so the results are the
// golden model's bits; the launcher runs this file only on devices with cl_khr_fp64.
// One work-item per output row of one (n, c) plane: global (OH, N*C); work-groups are single items.
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF
#define ONE_ITEM __attribute__((reqd_work_group_size(1, 1, 1)))

// coordinate_transformation_mode: reference/resize.py COORDS, in that order
#define C_HALF_PIXEL 0
#define C_HALF_PIXEL_SYMMETRIC 1
#define C_PYTORCH_HALF_PIXEL 2
#define C_ALIGN_CORNERS 3
#define C_ASYMMETRIC 4
#define C_TF_HALF_PIXEL_FOR_NN 5
// nearest_mode: reference/resize.py NEAREST, in that order
#define N_PREFER_FLOOR 0
#define N_PREFER_CEIL 1
#define N_FLOOR 2
#define N_CEIL 3

// One axis: n_in -> n_out at `scale`. `off` is half_pixel_symmetric's n_in / 2 * (1 - adj) and
// `den` align_corners' scale * n_in - 1 (> 0 exactly when scale * n_in > 1), both computed by the
// launcher in double as the golden model computes them (Python floats).
typedef struct {
    int n_in, n_out;
    double scale, off, den;
} axis_t;

inline double src_coord(int i, int coord, axis_t a) {
    const double x = (double)i;
    switch (coord) {
        case C_HALF_PIXEL: return (x + 0.5) / a.scale - 0.5;
        case C_HALF_PIXEL_SYMMETRIC: return a.off + (x + 0.5) / a.scale - 0.5;
        case C_PYTORCH_HALF_PIXEL: return a.n_out > 1 ? (x + 0.5) / a.scale - 0.5 : 0.0;
        case C_ALIGN_CORNERS: return a.den > 0.0 ? x * (double)(a.n_in - 1) / a.den : 0.0;
        case C_ASYMMETRIC: return x / a.scale;
        default: return (x + 0.5) / a.scale;  // tf_half_pixel_for_nn
    }
}

// reference/resize.py nearest() and the clip to [0, n_in - 1]; `tol` is np.isclose's bound for
// frac == 0.5 (1e-8 + 1e-5 * 0.5, from the launcher)
inline int nearest_index(double c, int nmode, double tol, int n_in) {
    double r;
    if (nmode == N_FLOOR) {
        r = floor(c);
    } else if (nmode == N_CEIL) {
        r = ceil(c);
    } else {
        const double fl = floor(c);
        const int tie = fabs((c - fl) - 0.5) <= tol;
        r = tie ? (nmode == N_PREFER_FLOOR ? fl : ceil(c)) : floor(c + 0.5);
    }
    return (int)fmin(fmax(r, 0.0), (double)(n_in - 1));
}

// linear: the clipped coordinate's two neighbours and the weight of the second
inline int linear_at(double c, int n_in, double* wt) {
    c = fmin(fmax(c, 0.0), (double)(n_in - 1));
    const int i0 = (int)floor(c);
    *wt = c - (double)i0;
    return i0;
}

// The kernels' axis arguments (scalars: no struct in the kernel ABI): H's then W's n_in, n_out,
// scale, off, den.
#define AXIS_ARGS                                                                                     \
    int h, int oh, double sh, double offh, double denh, int w, int ow, double sw, double offw, double denw
#define AXES const axis_t ah = {h, oh, sh, offh, denh}, aw = {w, ow, sw, offw, denw}

#define NEAREST_KERNEL(NAME, T)                                                                        \
    __kernel ONE_ITEM void NAME(__global const T* restrict x, __global T* restrict y, int rh, int rw,     \
                                AXIS_ARGS, int coord, int nmode, double tol) {                           \
        const int oy = get_global_id(0), nc = get_global_id(1);                                         \
        AXES;                                                                                           \
        const int iy = rh ? nearest_index(src_coord(oy, coord, ah), nmode, tol, ah.n_in) : oy;          \
        __global const T* row = x + ((size_t)nc * ah.n_in + iy) * aw.n_in;                              \
        __global T* out = y + ((size_t)nc * ah.n_out + oy) * aw.n_out;                                  \
        if (!rw) {                                                                                      \
            for (int ox = 0; ox < aw.n_out; ++ox) out[ox] = row[ox];                                    \
            return;                                                                                     \
        }                                                                                               \
        for (int ox = 0; ox < aw.n_out; ++ox)                                                           \
            out[ox] = row[nearest_index(src_coord(ox, coord, aw), nmode, tol, aw.n_in)];                \
    }

NEAREST_KERNEL(resize_nearest_b4, uint)
NEAREST_KERNEL(resize_nearest_b1, uchar)

// The golden model's two passes per output: along H (rows y0, y1 at weight wy) at the two source
// columns, then along W (x0, x1 at weight wx); an axis that is not resized is not interpolated.
__kernel ONE_ITEM void resize_linear_f32(__global const float* restrict x, __global float* restrict y, int rh,
                                         int rw, AXIS_ARGS, int coord) {
    const int oy = get_global_id(0), nc = get_global_id(1);
    AXES;
    double wy = 0.0;
    const int y0 = rh ? linear_at(src_coord(oy, coord, ah), ah.n_in, &wy) : oy;
    const int y1 = rh ? min(y0 + 1, ah.n_in - 1) : oy;
    __global const float* r0 = x + ((size_t)nc * ah.n_in + y0) * aw.n_in;
    __global const float* r1 = x + ((size_t)nc * ah.n_in + y1) * aw.n_in;
    __global float* out = y + ((size_t)nc * ah.n_out + oy) * aw.n_out;
    for (int ox = 0; ox < aw.n_out; ++ox) {
        double wx = 0.0;
        const int x0 = rw ? linear_at(src_coord(ox, coord, aw), aw.n_in, &wx) : ox;
        const int x1 = rw ? min(x0 + 1, aw.n_in - 1) : ox;
        double a0 = (double)r0[x0], a1 = (double)r0[x1];
        if (rh) {
            a0 = a0 * (1.0 - wy) + (double)r1[x0] * wy;
            a1 = a1 * (1.0 - wy) + (double)r1[x1] * wy;
        }
        out[ox] = (float)(rw ? a0 * (1.0 - wx) + a1 * wx : a0);
    }
}
