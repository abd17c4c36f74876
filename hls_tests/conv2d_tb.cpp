// C-simulation testbench of the conv2d tops (kernels/hls/top/fpgaops_conv2d.cpp): implicit GEMM.
//
//   conv2d_tb <vector dir>        (vectors from gen_conv_vectors.py conv2d, the NumPy reference)
//
// Every case runs through the extern "C" top as the host calls it (device-like buffers, padding
// poisoned, y pre-poisoned so a forgotten element fails, nothing written past y): int8 bit-exact,
// float32 within the reference's per-element bound. The cases cover the tiling edges (K slices,
// wide rows, stacked narrow rows, the line buffer's widest filter and its tile_w limit), groups,
// stride, dilation, padding, bias / residual / activations and zero points. Then malformed calls
// must be refused by the C-simulation checks.
#include <cstdio>
#include <memory>
#include <vector>

#include "conv_tb.hpp"

namespace {

// The tops take x and weight channel-blocked (fpgaops/conv2d.hpp "layouts"): x[n][g][cb][h][w][cv]
// and weight[k][cb][r][s][cv], V = gemm.simd channels per block, each group's channels zero-padded
// to a multiple of V. The vectors are NCHW / KCRS, so the testbench converts, as the host does.
struct Blocked {
  std::unique_ptr<opstb::DeviceBuffer> x, w;  // (DeviceBuffer points into its own storage: never copied)
};

template <typename T>
Blocked blocked(const convtb::ConvBuffers& b, const convtb::ConvShape& g) {
  const int V = fpgaops::cfg::GEMM_SIMD;
  const int cg = g.c / g.groups, cgp = (cg + V - 1) / V * V, cbn = cgp / V;
  const T* x = reinterpret_cast<const T*>(b.x);
  const T* w = reinterpret_cast<const T*>(b.w);
  std::vector<T> xb(std::size_t(g.n) * g.groups * cgp * g.h * g.w, T(0)), wb(std::size_t(g.k) * cgp * g.r * g.s, T(0));
  for (int nn = 0; nn < g.n; nn++)
    for (int gi = 0; gi < g.groups; gi++)
      for (int ci = 0; ci < cg; ci++)
        for (int h = 0; h < g.h; h++)
          for (int ww = 0; ww < g.w; ww++)
            xb[((((std::size_t(nn) * g.groups + gi) * cbn + ci / V) * g.h + h) * g.w + ww) * V + ci % V] =
                x[((std::size_t(nn) * g.c + gi * cg + ci) * g.h + h) * g.w + ww];
  for (int k = 0; k < g.k; k++)
    for (int ci = 0; ci < cg; ci++)
      for (int i = 0; i < g.r; i++)
        for (int j = 0; j < g.s; j++)
          wb[(((std::size_t(k) * cbn + ci / V) * g.r + i) * g.s + j) * V + ci % V] =
              w[((std::size_t(k) * cg + ci) * g.r + i) * g.s + j];
  Blocked out;
  out.x.reset(new opstb::DeviceBuffer(xb.data(), xb.size() * sizeof(T)));
  out.w.reset(new opstb::DeviceBuffer(wb.data(), wb.size() * sizeof(T)));
  return out;
}

struct Launch {
  void f32(const convtb::ConvBuffers& b, const convtb::ConvShape& g, const opstb::Row& c) const {
    const Blocked bl = blocked<float>(b, g);
    fpgaops_conv2d_f32(bl.x->words(), bl.w->words(), static_cast<const float*>(b.bias), b.res, static_cast<float*>(b.y), g.n, g.c, g.h,
                       g.w, g.k, g.r, g.s, g.oh, g.ow, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, g.groups, b.bias != nullptr,
                       b.res != nullptr, int(c.i("act")));
  }
  void i8(const convtb::ConvBuffers& b, const convtb::ConvShape& g, const opstb::Row& c) const {
    const Blocked bl = blocked<int8_t>(b, g);
    fpgaops_conv2d_i8(bl.x->words(), bl.w->words(), static_cast<const int32_t*>(b.bias), b.res, static_cast<int8_t*>(b.y), g.n, g.c,
                      g.h, g.w, g.k, g.r, g.s, g.oh, g.ow, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, g.groups,
                      b.bias != nullptr, b.res != nullptr, int(c.i("xzp")), int(c.i("yzp")), b.mult, b.shift,
                      int(c.i("rzp")), int(c.i("rmult")), int(c.i("rshift")), int(c.i("amin")), int(c.i("amax")));
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
    std::fprintf(stderr, "conv2d_tb: %s\n", e.what());
    return 2;
  }
  // Malformed calls: refused by the C-simulation checks, never an out-of-bounds access.
  opstb::DeviceBuffer dx(4096), dw(4096), dy(4096);
  const opstb::word_t* x = dx.words();
  const opstb::word_t* w = dw.words();
  float* y = dy.as<float>();
  const int lbw = fpgaops::cfg::CONV2D_LINE_BUFFER_W;
  //                      n  c  h  w  k  r  s  oh ow sh sw pt pl dh dw groups
  const int bad_calls[][16] = {
      {1, 4, 4, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 3},          // groups does not divide c
      {1, 4, 4, 4, 4, 3, 3, 2, 2, 0, 1, 0, 0, 1, 1, 1},          // stride 0
      {0, 4, 4, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1},          // no batch
      {1, 4, 4, 4, 4, 3, 3, 2, 2, 1, 1, -1, 0, 1, 1, 1},         // negative padding
      {1, 1, 1, lbw + 1, 1, 1, 2, 1, 1, 1, 1, 0, 0, 1, lbw, 1},  // filter wider than the line buffer
  };
  for (const auto& a : bad_calls) {
    cases++;
    failed += !opstb::refused("malformed conv2d call", [&] {
      fpgaops_conv2d_f32(x, w, nullptr, nullptr, y, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10],
                         a[11], a[12], a[13], a[14], a[15], 0, 0, 0);
    });
  }
  cases++;
  failed += !opstb::refused("has_bias without bias", [&] {
    fpgaops_conv2d_f32(x, w, nullptr, nullptr, y, 1, 4, 4, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0);
  });
  cases++;
  failed += !opstb::refused("int8 act range reversed", [&] {
    fpgaops_conv2d_i8(x, w, nullptr, nullptr, dy.as<int8_t>(), 1, 4, 4, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0,
                      0, dx.as<int32_t>(), dx.as<int32_t>(), 0, 0, 0, 5, -5);
  });
  return opstb::finish("conv2d_tb", cases, failed);
}
