// C-simulation testbench of the pool tops (kernels/hls/top/fpgaops_pool.cpp).
//
//   pool_tb <vector dir>        (vectors from gen_vectors_ops.py pool, the NumPy reference)
//
// Every case runs through the extern "C" top as the host calls it (device-like buffers, padding
// poisoned, y pre-poisoned so a forgotten element fails, nothing written past y). Max pooling and
// int8 are bit-exact (NaN positions included); float averages within the reference's bound. Then
// malformed calls must be refused by the C-simulation checks.
#include <chrono>
#include <cstdio>
#include <string>

#include "fpgaops/pool.hpp"
#include "ops_tb.hpp"

namespace {

using opstb::DeviceBuffer;

template <typename T>
bool run_case(const std::string& dir, const opstb::Row& c) {
  const std::string name = c.str("name"), stem = dir + "/" + name + ".";
  const npy::Array x = npy::load(stem + "x.npy"), y_ref = npy::load(stem + "y.npy");
  npy::Array tol;
  if (c.i("has_tol")) tol = npy::load(stem + "tol.npy");
  const std::size_t n = y_ref.size();
  DeviceBuffer dx(x.data<T>(), x.bytes.size()), dy(n * sizeof(T));
  const int args[] = {int(c.i("planes")), int(c.i("kind")), int(c.i("adaptive")), int(c.i("cip")),
                      int(c.i("h")),      int(c.i("oh")),   int(c.i("kh")),       int(c.i("sh")),
                      int(c.i("ph")),     int(c.i("dh")),   int(c.i("w")),        int(c.i("ow")),
                      int(c.i("kw")),     int(c.i("sw")),   int(c.i("pw")),       int(c.i("dw")),
                      int(c.i("open_rows"))};
  const auto t0 = std::chrono::steady_clock::now();
  if (sizeof(T) == 4)
    fpgaops_pool_f32(dx.words(), dy.as<float>(), args[0], args[1], args[2], args[3], args[4], args[5], args[6],
                     args[7], args[8], args[9], args[10], args[11], args[12], args[13], args[14], args[15], args[16]);
  else
    fpgaops_pool_i8(dx.words(), dy.as<int8_t>(), args[0], args[1], args[2], args[3], args[4], args[5], args[6],
                    args[7], args[8], args[9], args[10], args[11], args[12], args[13], args[14], args[15], args[16],
                    int(c.i("zero_point")));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::string first;
  const std::size_t bad =
      opstb::compare(dy.as<T>(), y_ref.data<T>(), n, c.i("has_tol") ? tol.data<double>() : nullptr, &first);
  const bool tail = dy.tail_intact();
  const bool ok = bad == 0 && tail;
  std::printf("  %-5s %-34s %zu outputs, %.1f ms%s%s%s\n", ok ? "ok" : "FAIL", name.c_str(), n, ms,
              bad ? (" -- " + std::to_string(bad) + " wrong, first " + first).c_str() : "",
              tail ? "" : " -- wrote past y", "");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <vector dir>\n", argv[0]);
    return 2;
  }
  int cases = 0;
  int failed = opstb::run_manifest(argv[1], "pool_tb", cases, [](const char* dir, const opstb::Row& c) {
    return c.str("dtype") == "f32" ? run_case<float>(dir, c) : run_case<int8_t>(dir, c);
  });
  if (failed < 0) return 2;
  // The channel-blocked path's bounded int8 divide (pool.hpp div_round_half_even_bounded) against the
  // 32-bit one: every divisor a blocked window can have (1 .. max_kernel^2) with every numerator
  // an average of at most that many int8 terms allows (|a| <= 255 * b).
  {
    const int max_div = fpgaops::cfg::POOL_MAX_KERNEL * fpgaops::cfg::POOL_MAX_KERNEL;
    long long wrong = 0, checked = 0;
    for (int b = 1; b <= max_div; b++)
      for (int a = -255 * b; a <= 255 * b; a++, checked++)
        if (fpgaops::hw::div_round_half_even_bounded<fpgaops::cfg::POOL_MAX_KERNEL * fpgaops::cfg::POOL_MAX_KERNEL>(a, b) !=
            fpgaops::hw::div_round_half_even(a, b) && wrong++ < 5)
          std::printf("  FAIL  bounded divide %d / %d\n", a, b);
    std::printf("  %-5s bounded divide: %lld numerators, %lld wrong\n", wrong ? "FAIL" : "ok", checked, wrong);
    cases++;
    failed += wrong != 0;
  }
  // Malformed calls: refused by the C-simulation checks, never an out-of-bounds access.
  DeviceBuffer dx(64 * 4), dy(64 * 4);
  const opstb::word_t* x = dx.words();
  float* y = dy.as<float>();
  const int bad_calls[][17] = {
      {1, 4, 0, 0, 4, 2, 2, 2, 0, 1, 4, 2, 2, 2, 0, 1, 1},                          // kind 4
      {1, 2, 1, 0, 4, 2, 2, 2, 0, 1, 4, 2, 2, 2, 0, 1, 1},                          // blocked, adaptive
      {1, 3, 0, 0, 9, 3, 3, 3, 0, 1, 9, 3, 3, 3, 0, 1, 5},                          // blocked, 5 open rows
      {1, 3, 0, 0, fpgaops::cfg::POOL_MAX_KERNEL + 1, 1, fpgaops::cfg::POOL_MAX_KERNEL + 1,
       fpgaops::cfg::POOL_MAX_KERNEL + 1, 0, 1, 4, 2, 2, 2, 0, 1, 1},             // blocked, a window too tall
      {1, 2, 0, 0, 3, 2, 3, 2, 1, 1, 1024, 512, 3, 2, 1, 1, 2},                     // blocked, 512-word rows
      {1, 0, 0, 0, 4, 2, 2, 2, 0, 1, fpgaops::cfg::POOL_MAX_WIDTH + 1, 2, 2, 2, 0, 1, 1},  // w > max_width
      {1, 0, 0, 0, 4, 2, 2, 2, 0, 1, 4, 2, 2, 2, 0, 1, 0},                          // open_rows 0
      {0, 0, 0, 0, 4, 2, 2, 2, 0, 1, 4, 2, 2, 2, 0, 1, 1},                          // no planes
      {1, 0, 0, 0, 4, 2, 2, 0, 0, 1, 4, 2, 2, 2, 0, 1, 1},                          // stride 0
  };
  for (const auto& a : bad_calls) {
    cases++;
    failed += !opstb::refused("malformed pool call", [&] {
      fpgaops_pool_f32(x, y, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13],
                       a[14], a[15], a[16]);
    });
  }
  return opstb::finish("pool_tb", cases, failed);
}
