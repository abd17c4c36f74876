// C-simulation testbench of the depthwise tops (kernels/hls/top/fpgaops_dwconv.cpp).
//
//   dwconv_tb <vector dir>        (vectors from gen_conv_vectors.py dwconv, the NumPy reference)
//
// Every case runs through the extern "C" top as the host calls it (conv_tb.hpp: device-like
// buffers, y poisoned, nothing written past y): int8 bit-exact, float32 within the reference's
// bound. Cases: MobileNet's 3x3 stride 1 / 2 layers, a channel multiplier, the largest filter,
// a dilation filling the line buffer, the widest padded row, a 1x1 image. Then malformed calls
// (beyond the kernel's limits) must be refused by the C-simulation checks.
#include <cstdio>

#include "conv_tb.hpp"

namespace {

struct Launch {
  void f32(const convtb::ConvBuffers& b, const convtb::ConvShape& g, const opstb::Row& c) const {
    if (b.res) throw std::runtime_error("dwconv has no residual");
    fpgaops_dwconv_f32(b.x, b.w, static_cast<const float*>(b.bias), static_cast<float*>(b.y), g.n, g.c, g.h, g.w, g.k,
                       g.r, g.s, g.oh, g.ow, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, b.bias != nullptr, int(c.i("act")));
  }
  void i8(const convtb::ConvBuffers& b, const convtb::ConvShape& g, const opstb::Row& c) const {
    if (b.res) throw std::runtime_error("dwconv has no residual");
    fpgaops_dwconv_i8(b.x, b.w, static_cast<const int32_t*>(b.bias), static_cast<int8_t*>(b.y), g.n, g.c, g.h, g.w,
                      g.k, g.r, g.s, g.oh, g.ow, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, b.bias != nullptr,
                      int(c.i("xzp")), int(c.i("yzp")), b.mult, b.shift, int(c.i("amin")), int(c.i("amax")));
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
    std::fprintf(stderr, "dwconv_tb: %s\n", e.what());
    return 2;
  }
  opstb::DeviceBuffer dx(4096), dw(4096), dy(4096);
  const opstb::word_t* x = dx.words();
  const opstb::word_t* w = dw.words();
  float* y = dy.as<float>();
  const int mk = fpgaops::cfg::DWCONV_MAX_KERNEL, mw = fpgaops::cfg::DWCONV_MAX_W;
  const int lbr = fpgaops::cfg::DWCONV_LINE_BUFFER_ROWS;
  //                      n  c  h  w  k  r       s  oh ow sh sw pt pl dh   dw
  const int bad_calls[][15] = {
      {1, 4, 4, 4, 6, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1},              // k not a multiple of c
      {1, 4, 9, 9, 4, mk + 1, 3, 1, 7, 1, 1, 0, 0, 1, 1},         // filter taller than max_kernel
      {1, 1, 40, 4, 1, 3, 3, 2, 2, 1, 1, 0, 0, lbr, 1},           // dilated height beyond the line buffer
      {1, 1, 2, mw + 8, 1, 1, 1, 2, mw + 1, 1, 1, 0, 0, 1, 1},    // padded row wider than max_w
      {1, 4, 4, 4, 4, 3, 3, 2, 2, 0, 1, 0, 0, 1, 1},              // stride 0
  };
  for (const auto& a : bad_calls) {
    cases++;
    failed += !opstb::refused("malformed dwconv call", [&] {
      fpgaops_dwconv_f32(x, w, nullptr, y, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11],
                         a[12], a[13], a[14], 0, 0);
    });
  }
  return opstb::finish("dwconv_tb", cases, failed);
}
