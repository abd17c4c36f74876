// int8 quantization of float32 tensors and back, bit-exactly as fpgaops.quant.quantize and
// dequantize: float64 arithmetic (x / scale correctly rounded, then round half to even), zero
// point, saturation to [-128, 127]; dequantize as float64 scale * (q - zp) rounded once to
// float32. The int8 network runner uses them where a float32 layer feeds an int8 one and back,
// so those values stay on the device (and a launch plan can replay the whole network).
// Launcher: python/fpgaops/backends/opencl/quant.py (needs cl_khr_fp64, else the host path).
// global (items): a contiguous chunk of elements per work-item (act_lut.chunking).
#pragma OPENCL EXTENSION cl_khr_fp64 : enable

__kernel void quantize_f32(__global const float* restrict x, __global char* restrict y, int count, int chunk,
                           double scale, int zero_point) {
    const int i0 = get_global_id(0) * chunk, i1 = min(count, i0 + chunk);
    for (int i = i0; i < i1; ++i) y[i] = (char)clamp(rint((double)x[i] / scale) + zero_point, -128.0, 127.0);
}

__kernel void dequantize_i8(__global const char* restrict x, __global float* restrict y, int count, int chunk,
                            double scale, int zero_point) {
    const int i0 = get_global_id(0) * chunk, i1 = min(count, i0 + chunk);
    for (int i = i0; i < i1; ++i) y[i] = (float)(scale * (double)((int)x[i] - zero_point));
}
