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
#include <type_traits>

#include "conv_tb.hpp"

namespace {

const int SIMD = fpgaops::cfg::DWCONV_SIMD;

// The host side of the channel-innermost kernel (as fpgaops/backends/csim/dwconv.py does it): x NCHW ->
// NHWC with output channel kk reading input channel kk / multiplier, weights KCRS -> [r*s][c], the
// channels padded to a multiple of SIMD; the NHWC result back into the case's NCHW y.
template <typename T>
struct Nhwc {
  typedef typename std::conditional<sizeof(T) == 4, float, int32_t>::type bias_t;
  int cp;
  opstb::DeviceBuffer x, w, y, bias, mult, shift;
  Nhwc(const convtb::ConvBuffers& b, const convtb::ConvShape& g)
      : cp((g.k + SIMD - 1) / SIMD * SIMD),
        x(std::size_t(g.n) * g.h * g.w * cp * sizeof(T)),
        w(std::size_t(g.r) * g.s * cp * sizeof(T)),
        y(std::size_t(g.n) * g.oh * g.ow * cp * sizeof(T)),
        bias(cp * 4),
        mult(cp * 4),
        shift(cp * 4) {
    const T* sx = reinterpret_cast<const T*>(b.x);
    const T* sw = reinterpret_cast<const T*>(b.w);
    T* dx = x.as<T>();
    T* dw = w.as<T>();
    const int mk = g.k / g.c;
    for (int nn = 0; nn < g.n; nn++)
      for (int h = 0; h < g.h; h++)
        for (int ww = 0; ww < g.w; ww++)
          for (int kk = 0; kk < cp; kk++)
            dx[((std::size_t(nn) * g.h + h) * g.w + ww) * cp + kk] =
                kk < g.k ? sx[((std::size_t(nn) * g.c + kk / mk) * g.h + h) * g.w + ww] : T(0);
    for (int t = 0; t < g.r * g.s; t++)
      for (int kk = 0; kk < cp; kk++) dw[std::size_t(t) * cp + kk] = kk < g.k ? sw[std::size_t(kk) * g.r * g.s + t] : T(0);
    for (int kk = 0; kk < cp; kk++) {
      bias.as<bias_t>()[kk] = b.bias && kk < g.k ? static_cast<const bias_t*>(b.bias)[kk] : bias_t(0);
      mult.as<int32_t>()[kk] = b.mult && kk < g.k ? b.mult[kk] : 0;
      shift.as<int32_t>()[kk] = b.shift && kk < g.k ? b.shift[kk] : 0;
    }
  }
  void finish(const convtb::ConvBuffers& b, const convtb::ConvShape& g) {
    if (!y.guard_intact()) throw std::runtime_error("dwconv wrote past the last word of y");
    const T* sy = y.as<T>();
    T* dy = static_cast<T*>(b.y);
    for (int nn = 0; nn < g.n; nn++)
      for (int kk = 0; kk < g.k; kk++)
        for (int p = 0; p < g.oh; p++)
          for (int q = 0; q < g.ow; q++)
            dy[((std::size_t(nn) * g.k + kk) * g.oh + p) * g.ow + q] =
                sy[((std::size_t(nn) * g.oh + p) * g.ow + q) * cp + kk];
  }
};

struct Launch {
  void f32(const convtb::ConvBuffers& b, const convtb::ConvShape& g, const opstb::Row& c) const {
    if (b.res) throw std::runtime_error("dwconv has no residual");
    Nhwc<float> d(b, g);
    fpgaops_dwconv_f32(d.x.words(), d.w.words(), b.bias ? d.bias.as<float>() : nullptr, d.y.words(), g.n, d.cp, g.h,
                       g.w, d.cp, g.r, g.s, g.oh, g.ow, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, b.bias != nullptr,
                       int(c.i("act")));
    d.finish(b, g);
  }
  void i8(const convtb::ConvBuffers& b, const convtb::ConvShape& g, const opstb::Row& c) const {
    if (b.res) throw std::runtime_error("dwconv has no residual");
    Nhwc<int8_t> d(b, g);
    fpgaops_dwconv_i8(d.x.words(), d.w.words(), b.bias ? d.bias.as<int32_t>() : nullptr, d.y.words(), g.n, d.cp,
                      g.h, g.w, d.cp, g.r, g.s, g.oh, g.ow, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, b.bias != nullptr,
                      int(c.i("xzp")), int(c.i("yzp")), d.mult.as<int32_t>(), d.shift.as<int32_t>(),
                      int(c.i("amin")), int(c.i("amax")));
    d.finish(b, g);
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
  opstb::word_t* y = dy.words();
  const int mk = fpgaops::cfg::DWCONV_MAX_KERNEL, mw = fpgaops::cfg::DWCONV_MAX_W;
  const int lbr = fpgaops::cfg::DWCONV_LINE_BUFFER_ROWS, S = SIMD;
  //                      n  c  h  w  k  r       s  oh ow sh sw pt pl dh   dw
  const int bad_calls[][15] = {
      {1, S, 4, 4, 2 * S, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1},          // k != c (the host expands a multiplier)
      {1, S + (S > 1), 4, 4, S + (S > 1), 3, 3, 2, 2, 1, 1, 0, 0, 1, 1},   // c not a multiple of simd
      {1, S, 9, 9, S, mk + 1, 3, 1, 7, 1, 1, 0, 0, 1, 1},         // filter taller than max_kernel
      {1, S, 40, 4, S, 3, 3, 2, 2, 1, 1, 0, 0, lbr, 1},           // dilated height beyond the line buffer
      {1, S, 4, 40, S, 3, 3, 2, 2, 1, 1, 0, 0, 1, 2 * mk},        // dilated width beyond the column banks
      {1, S, 2, mw + 8, S, 1, 1, 2, mw + 1, 1, 1, 0, 0, 1, 1},    // padded row wider than max_w
      {1, S, 4, 4, S, 3, 3, 2, 2, 0, 1, 0, 0, 1, 1},              // stride 0
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
