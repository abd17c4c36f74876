// int8 quantization of float32 tensors and back, bit-exactly as fpgaops.quant.quantize and
// dequantize: float64 arithmetic (x / scale correctly rounded, then round half to even), zero
// point, saturation to [-128, 127]; dequantize as float64 scale * (q - zp) rounded once to
// float32. The int8 network runner uses them where a float32 layer feeds an int8 one and back,
// so those values stay on the device (and a launch plan can replay the whole network).
// Launcher: python/fpgaops/backends/opencl/quant.py (needs cl_khr_fp64, else the host path).
// global (items): a contiguous chunk of elements per work-item (act_lut.chunking).
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

// Eight elements per step as double8 vectors, with rint done as (v + M) - M, M = 1.5 * 2^52: the
// scalar loop (a float64 division and a rint call per element) took ~0.11 ms of MobileNetV2's int8
// input (150K elements), rint most of it (PoCL calls it per lane); this takes 52 us there (2.2x).
// The same results: the division is vdivpd, correctly rounded as the scalar one; for |v| <= 2^51,
// v + M lies in [2^52, 2^53), where the spacing of doubles is 1, so the addition rounds v to an
// integer half to even (the default rounding mode) and the subtraction is exact (OpenCL C does not
// reassociate without -cl-fast-relaxed-math, which fpgaops never passes). v is first clamped to
// +-2^40: beyond that the result saturates either way (|zero_point| <= 128), inf included. The
// chunk's tail (a partial last chunk) runs the scalar rule. The launcher's chunks are multiples of
// 8 (backends/opencl/quant.py VEC), so only the last work-item has a tail.
#define RINT_MAGIC 0x1.8p52

__kernel void quantize_f32(__global const float* restrict x, __global char* restrict y, int count, int chunk,
                           double scale, int zero_point) {
    const int i0 = get_global_id(0) * chunk, i1 = min(count, i0 + chunk);
    const double8 s = (double8)(scale), zp = (double8)((double)zero_point), m = (double8)(RINT_MAGIC);
    int i = i0;
    for (; i + 8 <= i1; i += 8) {
        const double8 v = clamp(convert_double8(vload8(0, x + i)) / s, -0x1p40, 0x1p40);
        const double8 q = clamp(((v + m) - m) + zp, -128.0, 127.0);
        vstore8(convert_char8(convert_int8(q)), 0, y + i);  // integral, in [-128, 127]: exact
    }
    for (; i < i1; ++i) y[i] = (char)clamp(rint((double)x[i] / scale) + zero_point, -128.0, 127.0);
}

__kernel void dequantize_i8(__global const char* restrict x, __global float* restrict y, int count, int chunk,
                            double scale, int zero_point) {
    const int i0 = get_global_id(0) * chunk, i1 = min(count, i0 + chunk);
    const double8 s = (double8)(scale);
    int i = i0;
    for (; i + 8 <= i1; i += 8)  // |x - zp| <= 255: exact in int; one rounding, float64 -> float32 (rte)
        vstore8(convert_float8(s * convert_double8(convert_int8(vload8(0, x + i)) - (int8)(zero_point))), 0, y + i);
    for (; i < i1; ++i) y[i] = (float)(scale * (double)((int)x[i] - zero_point));
}
