// C-simulation testbench of the Winograd tops (kernels/hls/top/fpgaops_winograd.cpp).
//
//   winograd_tb <vector dir>      (vectors from gen_conv_vectors.py winograd, the NumPy reference)
//
// Every case runs through the extern "C" top as the host calls it (conv_tb.hpp): float32 F(2x2)
// and F(4x4) within the reference's Winograd bound (reference.conv2d.tolerance with winograd_m),
// int8 F(2x2) bit-exact with the direct convolution (hence with im2col). Cases straddle the
// kernel's channel / tile blocks, odd sizes, asymmetric and no padding, residual, activations and
// extreme zero points. Then malformed calls must be refused by the C-simulation checks.
#include <cstdio>

#include "conv_tb.hpp"

namespace {

struct Launch {
  void f32(const convtb::ConvBuffers& b, const convtb::ConvShape& g, const opstb::Row& c) const {
    fpgaops_winograd_f32(b.x, b.w, static_cast<const float*>(b.bias), b.res, static_cast<float*>(b.y), g.n, g.c, g.h,
                         g.w, g.k, g.oh, g.ow, g.pt, g.pl, b.bias != nullptr, b.res != nullptr, int(c.i("act")),
                         int(c.i("wm")));
  }
  void i8(const convtb::ConvBuffers& b, const convtb::ConvShape& g, const opstb::Row& c) const {
    fpgaops_winograd_i8(b.x, b.w, static_cast<const int32_t*>(b.bias), b.res, static_cast<int8_t*>(b.y), g.n, g.c,
                        g.h, g.w, g.k, g.oh, g.ow, g.pt, g.pl, b.bias != nullptr, b.res != nullptr, int(c.i("xzp")),
                        int(c.i("yzp")), b.mult, b.shift, int(c.i("rzp")), int(c.i("rmult")), int(c.i("rshift")),
                        int(c.i("amin")), int(c.i("amax")));
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <vector dir>\n", argv[0]);
    return 2;
  }
  int cases = 0, failed = 0;
  try {
    convtb::run_all(argv[1], Launch(), cases, failed);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "winograd_tb: %s\n", e.what());
    return 2;
  }
  opstb::DeviceBuffer dx(4096), dw(4096), dy(4096);
  const opstb::word_t* x = dx.words();
  const opstb::word_t* w = dw.words();
  cases++;
  failed += !opstb::refused("F(3x3,3x3) requested", [&] {
    fpgaops_winograd_f32(x, w, nullptr, nullptr, dy.as<float>(), 1, 1, 4, 4, 1, 2, 2, 0, 0, 0, 0, 0, 3);
  });
  cases++;
  failed += !opstb::refused("no output channels", [&] {
    fpgaops_winograd_f32(x, w, nullptr, nullptr, dy.as<float>(), 1, 1, 4, 4, 0, 2, 2, 0, 0, 0, 0, 0, 2);
  });
  cases++;
  failed += !opstb::refused("int8 channels beyond the exact-int32 limit", [&] {
    fpgaops_winograd_i8(x, w, nullptr, nullptr, dy.as<int8_t>(), 1, 2000, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0,
                        dx.as<int32_t>(), dx.as<int32_t>(), 0, 0, 0, -128, 127);
  });
  return opstb::finish("winograd_tb", cases, failed);
}
