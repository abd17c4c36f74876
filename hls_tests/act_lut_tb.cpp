// C-simulation testbench of the activation tops (kernels/hls/top/fpgaops_act_lut.cpp).
//
//   act_lut_tb <vector dir>     (vectors from gen_vectors_ops.py act_lut, the NumPy reference)
//
// float32: closed forms bit-exact, tables within fpgaops.reference.act_lut.tolerance (the C++
// compiler may contract the interpolation into an FMA); NaN / Inf where the reference has them.
// int8: bit-exact (the LUT). Outputs are whole packed words: the guard word must stay intact and the
// lanes of the last word past `count` must be zero. Then malformed calls must be refused.
#include <chrono>
#include <cstdio>
#include <string>

#include "ops_tb.hpp"

namespace {

using opstb::DeviceBuffer;

template <typename T>
bool run_case(const std::string& dir, const opstb::Row& c) {
  const std::string name = c.str("name"), stem = dir + "/" + name + ".";
  const npy::Array x = npy::load(stem + "x.npy"), y_ref = npy::load(stem + "y.npy");
  const int count = int(c.i("count"));
  npy::Array table, tol;
  if (c.i("has_table")) table = npy::load(stem + "table.npy");
  const bool is_float = sizeof(T) == 4;
  if (is_float) tol = npy::load(stem + "tol.npy");
  DeviceBuffer dx(x.data<T>(), x.bytes.size()), dy(std::size_t(count) * sizeof(T));
  DeviceBuffer dt(c.i("has_table") ? table.bytes.data() : "", c.i("has_table") ? table.bytes.size() : 0);
  const auto t0 = std::chrono::steady_clock::now();
  if (is_float)
    fpgaops_act_f32(dx.words(), dy.words(), count, int(c.i("kind")), c.f("alpha"), c.f("beta"),
                    c.i("has_table") ? dt.words() : dx.words());
  else
    fpgaops_act_i8(dx.words(), dy.words(), count, dt.words());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::string first;
  // closed forms (no table) must be bit-exact
  const double* t = (is_float && c.i("has_table")) ? tol.data<double>() : nullptr;
  const std::size_t bad = opstb::compare(dy.as<T>(), y_ref.data<T>(), count, t, &first);
  bool zero_tail = true;
  const std::size_t lanes = opstb::kWordBytes / sizeof(T);
  for (std::size_t i = count; i % lanes; i++) zero_tail &= dy.as<T>()[i] == T(0);
  const bool ok = bad == 0 && dy.guard_intact() && zero_tail;
  std::printf("  %-5s %-26s count %d, %.2f ms%s%s\n", ok ? "ok" : "FAIL", name.c_str(), count, ms,
              bad ? (" -- " + std::to_string(bad) + " wrong, first " + first).c_str() : "",
              dy.guard_intact() && zero_tail ? "" : " -- bytes past the last word / nonzero tail lanes");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <vector dir>\n", argv[0]);
    return 2;
  }
  int cases = 0;
  int failed = opstb::run_manifest(argv[1], "act_lut_tb", cases, [](const char* dir, const opstb::Row& c) {
    return c.str("dtype") == "f32" ? run_case<float>(dir, c) : run_case<int8_t>(dir, c);
  });
  if (failed < 0) return 2;
  DeviceBuffer dx(64 * 4), dy(64 * 4), dt(64 * 4);
  float* head = dt.as<float>();
  head[2] = float(fpgaops::cfg::ACT_LUT_MAX_SEGMENTS * 2);  // a table header with too many segments
  cases += 3;
  failed += !opstb::refused("kind 9", [&] { fpgaops_act_f32(dx.words(), dy.words(), 4, 9, 0, 0, dt.words()); });
  failed += !opstb::refused("count 0", [&] { fpgaops_act_f32(dx.words(), dy.words(), 0, 1, 0, 0, dt.words()); });
  failed += !opstb::refused("oversized table", [&] { fpgaops_act_f32(dx.words(), dy.words(), 4, 5, 0, 0, dt.words()); });
  return opstb::finish("act_lut_tb", cases, failed);
}
