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
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "conv_tb.hpp"

namespace {

// The tops take x, weight, residual and y channel-blocked (fpgaops/conv2d.hpp "layouts"):
// act[n][g][cb][h][wp][B] and weight[k][cb][r][s][B], B = gemm.pe channels per vector, each group's
// channels zero-padded to a multiple of B, rows padded to whole words (wp = w rounded up to L/B).
// The vectors are NCHW / KCRS, so the testbench converts, as the host launchers do.
template <typename T>
struct Blocked {
  int n, groups, cg, cgp, h, w, wp;
  static const int B = fpgaops::cfg::GEMM_PE;
  static const int G = fpgaops::cfg::AXI_WORD_BITS / 8 / int(sizeof(T)) / B;
  Blocked(int n_, int c, int groups_, int h_, int w_)
      : n(n_), groups(groups_), cg(c / groups_), cgp((c / groups_ + B - 1) / B * B), h(h_), w(w_),
        wp((w_ + G - 1) / G * G) {}
  std::size_t size() const { return std::size_t(n) * groups * cgp * h * wp; }
  std::size_t at(int nn, int gi, int ci, int hh, int ww) const {
    return ((((std::size_t(nn) * groups + gi) * (cgp / B) + ci / B) * h + hh) * wp + ww) * B + ci % B;
  }
  std::size_t nchw(int nn, int gi, int ci, int hh, int ww) const {
    return ((std::size_t(nn) * groups * cg + gi * cg + ci) * h + hh) * w + ww;
  }
  // NCHW -> blocked (into a fresh device buffer) and back
  std::unique_ptr<opstb::DeviceBuffer> to(const void* src) const {
    const T* x = static_cast<const T*>(src);
    std::vector<T> out(size(), T(0));
    for (int nn = 0; nn < n; nn++)
      for (int gi = 0; gi < groups; gi++)
        for (int ci = 0; ci < cg; ci++)
          for (int hh = 0; hh < h; hh++)
            for (int ww = 0; ww < w; ww++) out[at(nn, gi, ci, hh, ww)] = x[nchw(nn, gi, ci, hh, ww)];
    return std::unique_ptr<opstb::DeviceBuffer>(new opstb::DeviceBuffer(out.data(), out.size() * sizeof(T)));
  }
  void from(const opstb::DeviceBuffer& src, void* dst) const {
    const T* a = reinterpret_cast<const T*>(src.words());
    T* y = static_cast<T*>(dst);
    for (int nn = 0; nn < n; nn++)
      for (int gi = 0; gi < groups; gi++)
        for (int ci = 0; ci < cg; ci++)
          for (int hh = 0; hh < h; hh++)
            for (int ww = 0; ww < w; ww++) y[nchw(nn, gi, ci, hh, ww)] = a[at(nn, gi, ci, hh, ww)];
  }
};

// Weights slice-major: w[g][s][kk][TILE_K] with t = ((cb*R + i)*S + j)*B + c, zero-padded.
template <typename T>
std::unique_ptr<opstb::DeviceBuffer> blocked_weight(const void* src, const convtb::ConvShape& g) {
  const int B = fpgaops::cfg::GEMM_PE, TK = fpgaops::cfg::GEMM_TILE_K;
  const int cg = g.c / g.groups, cgp = (cg + B - 1) / B * B, kg = g.k / g.groups;
  const int crs = cgp * g.r * g.s, nk = (crs + TK - 1) / TK;
  const T* w = static_cast<const T*>(src);
  std::vector<T> out(std::size_t(g.k) * nk * TK, T(0));
  for (int k = 0; k < g.k; k++)
    for (int ci = 0; ci < cg; ci++)
      for (int i = 0; i < g.r; i++)
        for (int j = 0; j < g.s; j++) {
          const int t = (((ci / B) * g.r + i) * g.s + j) * B + ci % B;
          const int gi = k / kg, kk = k % kg;
          out[((std::size_t(gi) * nk + t / TK) * kg + kk) * TK + t % TK] = w[((std::size_t(k) * cg + ci) * g.r + i) * g.s + j];
        }
  return std::unique_ptr<opstb::DeviceBuffer>(new opstb::DeviceBuffer(out.data(), out.size() * sizeof(T)));
}

// Cases whose output changes when weight_hi (x_hi) holds zeros instead of the weights (x): the top
// reads the second half of each weight slice (of each row burst of x) through its second port
// (conv2d.hpp load_weights, fetch_x_hi).
int hi_port_cases = 0, x_hi_port_cases = 0;

// Converts the case's buffers, runs `top(x, x_hi, w, w_hi, residual, y)` on the blocked ones (x_hi,
// w_hi separate copies of x and the weights: a second port addresses its own buffer), converts y
// back; then once more with zeros behind w_hi, and once with zeros behind x_hi, to see that each
// second port is read.
template <typename T, class Top>
void run_blocked(const convtb::ConvBuffers& b, const convtb::ConvShape& g, Top top) {
  const Blocked<T> xl(g.n, g.c, g.groups, g.h, g.w), yl(g.n, g.k, g.groups, g.oh, g.ow);
  std::unique_ptr<opstb::DeviceBuffer> x = xl.to(b.x), x_hi = xl.to(b.x), w = blocked_weight<T>(b.w, g),
                                       w_hi = blocked_weight<T>(b.w, g), res;
  if (b.res != nullptr) res = yl.to(b.res);
  opstb::DeviceBuffer y(yl.size() * sizeof(T)), y0(yl.size() * sizeof(T)), y1(yl.size() * sizeof(T));
  top(x->words(), x_hi->words(), w->words(), w_hi->words(), res ? res->words() : nullptr, y.words());
  yl.from(y, b.y);
  std::unique_ptr<opstb::DeviceBuffer> w_zero = blocked_weight<T>(b.w, g), x_zero = xl.to(b.x);
  std::memset(static_cast<void*>(w_zero->words()), 0, w_zero->size());
  std::memset(static_cast<void*>(x_zero->words()), 0, x_zero->size());
  top(x->words(), x_hi->words(), w->words(), w_zero->words(), res ? res->words() : nullptr, y0.words());
  hi_port_cases += std::memcmp(y.words(), y0.words(), y.size()) != 0;
  top(x->words(), x_zero->words(), w->words(), w_hi->words(), res ? res->words() : nullptr, y1.words());
  x_hi_port_cases += std::memcmp(y.words(), y1.words(), y.size()) != 0;
}

struct Launch {
  void f32(const convtb::ConvBuffers& b, const convtb::ConvShape& g, const opstb::Row& c) const {
#if FPGAOPS_GEMM_FLOAT32
    run_blocked<float>(b, g, [&](const opstb::word_t* x, const opstb::word_t* x_hi, const opstb::word_t* w,
                                 const opstb::word_t* w_hi, const opstb::word_t* res, opstb::word_t* y) {
      fpgaops_conv2d_f32(x, x_hi, w, w_hi, static_cast<const float*>(b.bias), res, y, g.n, g.c, g.h, g.w, g.k, g.r, g.s, g.oh,
                         g.ow, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, g.groups, b.bias != nullptr, res != nullptr,
                         int(c.i("act")));
    });
#else
    (void)b, (void)g, (void)c;
    throw std::runtime_error("a float32 case in vectors for an int8-only build (gemm.float32 = 0)");
#endif
  }
  void i8(const convtb::ConvBuffers& b, const convtb::ConvShape& g, const opstb::Row& c) const {
    run_blocked<int8_t>(b, g, [&](const opstb::word_t* x, const opstb::word_t* x_hi, const opstb::word_t* w,
                                  const opstb::word_t* w_hi, const opstb::word_t* res, opstb::word_t* y) {
      fpgaops_conv2d_i8(x, x_hi, w, w_hi, static_cast<const int32_t*>(b.bias), res, y, g.n, g.c, g.h, g.w, g.k, g.r, g.s, g.oh,
                        g.ow, g.sh, g.sw, g.pt, g.pl, g.dh, g.dw, g.groups, b.bias != nullptr, res != nullptr,
                        int(c.i("xzp")), int(c.i("yzp")), b.mult, b.shift, int(c.i("rzp")), int(c.i("rmult")),
                        int(c.i("rshift")), int(c.i("amin")), int(c.i("amax")));
    });
  }
};

// A call the C-simulation checks must refuse (check_conv_args, shared by both tops): on the float32
// top, or on the int8 one in an int8-only build (gemm.float32 = 0).
void bad_call(const opstb::word_t* x, const opstb::word_t* w, opstb::word_t* y, const int (&a)[16], int has_bias) {
#if FPGAOPS_GEMM_FLOAT32
  fpgaops_conv2d_f32(x, x, w, w, nullptr, nullptr, y, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11],
                     a[12], a[13], a[14], a[15], has_bias, 0, 0);
#else
  static const int32_t zeros[1] = {0};  // mult / shift (never read: the call is refused first)
  fpgaops_conv2d_i8(x, x, w, w, nullptr, nullptr, y, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11],
                    a[12], a[13], a[14], a[15], has_bias, 0, 0, 0, zeros, zeros, 0, 0, 0, -128, 127);
#endif
}

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
  // The second weight port is read: some case's output changed with zeros behind it.
  cases++;
  if (hi_port_cases == 0) {
    std::fprintf(stderr, "conv2d_tb: no case read its weights through weight_hi\n");
    failed++;
  }
  cases++;
  if (x_hi_port_cases == 0) {
    std::fprintf(stderr, "conv2d_tb: no case read x through x_hi\n");
    failed++;
  }
  // Malformed calls: refused by the C-simulation checks, never an out-of-bounds access.
  opstb::DeviceBuffer dx(4096), dw(4096), dy(4096);
  const opstb::word_t* x = dx.words();
  const opstb::word_t* w = dw.words();
  opstb::word_t* y = dy.words();
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
    failed += !opstb::refused("malformed conv2d call", [&] { bad_call(x, w, y, a, 0); });
  }
  cases++;
  static const int good[16] = {1, 4, 4, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1};
  failed += !opstb::refused("has_bias without bias", [&] { bad_call(x, w, y, good, 1); });
  cases++;
  failed += !opstb::refused("int8 act range reversed", [&] {
    fpgaops_conv2d_i8(x, x, w, w, nullptr, nullptr, dy.words(), 1, 4, 4, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0,
                      0, dx.as<int32_t>(), dx.as<int32_t>(), 0, 0, 0, 5, -5);
  });
  return opstb::finish("conv2d_tb", cases, failed);
}
