// Shared driver of the conv2d / dwconv / winograd C-simulation testbenches (vectors from
// gen_conv_vectors.py; buffers, manifest and checks from ops_tb.hpp). A testbench supplies how
// one case is launched on its tops (Launch::f32 / Launch::i8 with the ConvBuffers below); the
// driver loads the case, poisons y, runs, and checks every element (int8 bit-exact, float32 within
// the reference's per-element bound) and that nothing was written past y.
#ifndef FPGAOPS_HLS_TESTS_CONV_TB_HPP
#define FPGAOPS_HLS_TESTS_CONV_TB_HPP

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <type_traits>

#include "ops_tb.hpp"

namespace convtb {

using opstb::DeviceBuffer;

struct ConvBuffers {
  const opstb::word_t* x;
  const opstb::word_t* w;
  const void* bias;  // nullptr without bias
  const opstb::word_t* res;  // nullptr without residual
  void* y;
  const int32_t* mult;  // int8 only
  const int32_t* shift;
};

// The sizes of a case, in ConvCall order.
struct ConvShape {
  int n, c, h, w, k, r, s, oh, ow, sh, sw, pt, pl, dh, dw, groups;
};

inline ConvShape shape_of(const opstb::Row& c) {
  return ConvShape{int(c.i("n")),  int(c.i("c")),  int(c.i("h")),  int(c.i("w")),  int(c.i("k")),  int(c.i("r")),
                   int(c.i("s")),  int(c.i("oh")), int(c.i("ow")), int(c.i("sh")), int(c.i("sw")), int(c.i("pt")),
                   int(c.i("pl")), int(c.i("dh")), int(c.i("dw")), int(c.i("groups"))};
}

template <typename T, class Launch>
bool run_case(const std::string& dir, const opstb::Row& c, Launch launch) {
  const std::string name = c.str("name"), stem = dir + "/" + name + ".";
  const npy::Array x = npy::load(stem + "x.npy"), w = npy::load(stem + "w.npy"), y_ref = npy::load(stem + "y.npy");
  const bool has_bias = c.i("has_bias") != 0, has_res = c.i("has_res") != 0, i8 = c.str("dtype") == "i8";
  npy::Array b, res, tol, mult, shift;
  if (has_bias) b = npy::load(stem + "b.npy");
  if (has_res) res = npy::load(stem + "res.npy");
  if (c.i("has_tol")) tol = npy::load(stem + "tol.npy");
  if (i8) {
    mult = npy::load(stem + "mult.npy");
    shift = npy::load(stem + "shift.npy");
  }
  const std::size_t n = y_ref.size();
  // data<T>() checks each array's dtype against what the top expects.
  typedef typename std::conditional<sizeof(T) == 4, float, int32_t>::type bias_t;
  DeviceBuffer dx(x.data<T>(), x.bytes.size()), dw(w.data<T>(), w.bytes.size()), dy(n * sizeof(T));
  std::unique_ptr<DeviceBuffer> db, dr, dm, ds;
  if (has_bias) db.reset(new DeviceBuffer(b.data<bias_t>(), b.bytes.size()));
  if (has_res) dr.reset(new DeviceBuffer(res.data<T>(), res.bytes.size()));
  if (i8) {
    dm.reset(new DeviceBuffer(mult.data<int32_t>(), mult.bytes.size()));
    ds.reset(new DeviceBuffer(shift.data<int32_t>(), shift.bytes.size()));
  }
  ConvBuffers buf = {dx.words(),
                     dw.words(),
                     db ? static_cast<const void*>(db->words()) : nullptr,
                     dr ? dr->words() : nullptr,
                     dy.as<void>(),
                     dm ? dm->as<int32_t>() : nullptr,
                     ds ? ds->as<int32_t>() : nullptr};
  const auto t0 = std::chrono::steady_clock::now();
  if (i8)
    launch.i8(buf, shape_of(c), c);
  else
    launch.f32(buf, shape_of(c), c);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::string first;
  const std::size_t bad =
      opstb::compare(dy.as<T>(), y_ref.data<T>(), n, c.i("has_tol") ? tol.data<double>() : nullptr, &first);
  const bool tail = dy.tail_intact();
  const bool ok = bad == 0 && tail;
  std::printf("  %-5s %-34s %zu outputs, %.1f ms%s%s\n", ok ? "ok" : "FAIL", name.c_str(), n, ms,
              bad ? (" -- " + std::to_string(bad) + " wrong, first " + first).c_str() : "",
              tail ? "" : " -- wrote past y");
  return ok;
}

// Every case of the manifest; returns (cases, failed) through the references.
template <class Launch>
void run_all(const char* dir, Launch launch, int& cases, int& failed) {
  for (const opstb::Row& c : opstb::read_manifest(dir)) {
    cases++;
    bool ok = false;
    try {
      ok = c.str("dtype") == "f32" ? run_case<float>(dir, c, launch) : run_case<int8_t>(dir, c, launch);
    } catch (const std::exception& e) {
      std::printf("  FAIL  %s: %s\n", c.str("name").c_str(), e.what());
    }
    failed += !ok;
  }
}

}  // namespace convtb

#endif  // FPGAOPS_HLS_TESTS_CONV_TB_HPP
