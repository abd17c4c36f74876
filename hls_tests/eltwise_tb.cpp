// C-simulation testbench of the element-wise tops (kernels/hls/top/fpgaops_eltwise.cpp).
//
//   eltwise_tb <vector dir>     (vectors from gen_vectors_ops.py eltwise, the NumPy reference)
//
// Operands are flat buffers read at the case's strides (broadcast levels), poisoned wherever no
// element lives, so a read outside the operand shows. float32 without a table activation and int8
// are bit-exact; table activations within fpgaops.reference.act_lut.tolerance. y is whole packed
// words: the guard word must stay intact. Then malformed calls must be refused.
#include <chrono>
#include <cstdio>
#include <string>

#include "ops_tb.hpp"

namespace {

using opstb::DeviceBuffer;

template <typename T>
bool run_case(const std::string& dir, const opstb::Row& c) {
  const std::string name = c.str("name"), stem = dir + "/" + name + ".";
  const npy::Array a = npy::load(stem + "a.npy"), b = npy::load(stem + "b.npy"), y_ref = npy::load(stem + "y.npy");
  npy::Array table, tol;
  const bool has_table = c.i("has_table") != 0, is_float = sizeof(T) == 4;
  if (has_table) table = npy::load(stem + "table.npy");
  if (is_float) tol = npy::load(stem + "tol.npy");
  const std::size_t n = y_ref.size();
  DeviceBuffer da(a.data<T>(), a.bytes.size()), db(b.data<T>(), b.bytes.size()), dy(n * sizeof(T));
  DeviceBuffer dt(has_table ? table.bytes.data() : "", has_table ? table.bytes.size() : 0);
  const int g[] = {int(c.i("op")),   int(c.i("p")),    int(c.i("q")),    int(c.i("r")),    int(c.i("a_sp")),
                   int(c.i("a_sq")), int(c.i("a_sr")), int(c.i("b_sp")), int(c.i("b_sq")), int(c.i("b_sr"))};
  const opstb::word_t* pt = has_table ? dt.words() : da.words();
  const auto t0 = std::chrono::steady_clock::now();
  if (is_float)
    fpgaops_eltwise_f32(da.words(), db.words(), dy.words(), g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8],
                        g[9], int(c.i("kind")), c.f("alpha"), c.f("beta"), pt);
  else
    fpgaops_eltwise_i8(da.words(), db.words(), dy.words(), g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9],
                       has_table ? 1 : 0, pt, int(c.i("za")), int(c.i("zb")), int(c.i("zo")), int(c.i("ma")),
                       int(c.i("mb")), int(c.i("shift")));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::string first;
  const std::size_t bad =
      opstb::compare(dy.as<T>(), y_ref.data<T>(), n, (is_float && has_table) ? tol.data<double>() : nullptr, &first);
  const bool ok = bad == 0 && dy.guard_intact();
  std::printf("  %-5s %-36s %zu outputs, %.2f ms%s%s\n", ok ? "ok" : "FAIL", name.c_str(), n, ms,
              bad ? (" -- " + std::to_string(bad) + " wrong, first " + first).c_str() : "",
              dy.guard_intact() ? "" : " -- wrote the guard word");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <vector dir>\n", argv[0]);
    return 2;
  }
  int cases = 0;
  int failed = opstb::run_manifest(argv[1], "eltwise_tb", cases, [](const char* dir, const opstb::Row& c) {
    return c.str("dtype") == "f32" ? run_case<float>(dir, c) : run_case<int8_t>(dir, c);
  });
  if (failed < 0) return 2;
  DeviceBuffer da(64 * 4), db(64 * 4), dy(64 * 4);
  const opstb::word_t *a = da.words(), *b = db.words();
  opstb::word_t* y = dy.words();
  cases += 4;
  failed += !opstb::refused("op 2", [&] { fpgaops_eltwise_f32(a, b, y, 2, 1, 1, 8, 8, 8, 1, 8, 8, 1, 0, 0, 0, a); });
  failed += !opstb::refused("inner stride 2",
                            [&] { fpgaops_eltwise_f32(a, b, y, 0, 1, 1, 8, 16, 16, 2, 8, 8, 1, 0, 0, 0, a); });
  failed += !opstb::refused("r = 0", [&] { fpgaops_eltwise_f32(a, b, y, 0, 1, 1, 0, 8, 8, 1, 8, 8, 1, 0, 0, 0, a); });
  failed += !opstb::refused("zero point 300", [&] {
    fpgaops_eltwise_i8(a, b, y, 0, 1, 1, 8, 8, 8, 1, 8, 8, 1, 0, a, 300, 0, 0, 1, 1, 1);
  });
  return opstb::finish("eltwise_tb", cases, failed);
}
