// Bindings of the pool tops (kernels/hls/top/fpgaops_pool.cpp). Argument order and meaning are
// those of fpgaops.ops.pool.PoolCall; every size is checked again here before a top runs.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "buffers.hpp"
#include "fpgaops/pool.hpp"
#include "fpgaops/tops.hpp"

#if !FPGAOPS_GEMM_FLOAT32
#error "the C-simulation module binds the float32 tops: build it with gemm.float32 = 1"
#endif

namespace py = pybind11;
using fpgaops::host::check_range;
using fpgaops::host::device_ptr;
using fpgaops::hw::word_t;

namespace {

// Output rows the streaming engine keeps open at once (fpgaops.reference.pool.open_rows).
int needed_open_rows(const fpgaops::hw::PoolArgs& g) {
  auto first_row = [&](int i) -> std::int64_t {
    return g.adaptive ? (std::int64_t(i) * g.h) / g.oh : std::int64_t(i) * g.sh - g.ph;
  };
  auto done_row = [&](int i) -> std::int64_t {
    const std::int64_t last = g.adaptive ? ((std::int64_t(i) + 1) * g.h + g.oh - 1) / g.oh - 1
                                         : std::int64_t(i) * g.sh - g.ph + std::int64_t(g.kh - 1) * g.dh;
    return last < g.h - 1 ? last : g.h - 1;
  };
  int best = 1, lo = 0, hi = 0;
  for (int r = 0; r < g.h; r++) {
    while (lo < g.oh && done_row(lo) < r) lo++;
    while (hi < g.oh && first_row(hi) <= r) hi++;
    if (hi - lo > best) best = hi - lo;
  }
  return best;
}

template <typename Out>
void check(const fpgaops::hw::PoolArgs& g, int kind, const py::array& x, const py::array& y, const word_t** px,
           Out** py_) {
  const std::int64_t max_w = fpgaops::cfg::POOL_MAX_WIDTH, lim = INT32_MAX;
  check_range("kind", kind, 0, 3);
  check_range("adaptive", g.adaptive, 0, 1);
  check_range("count_include_pad", g.count_include_pad, 0, 1);
  check_range("planes", g.planes, 1, lim);
  check_range("h", g.h, 1, lim);
  check_range("w", g.w, 1, max_w);
  check_range("oh", g.oh, 1, lim);
  check_range("ow", g.ow, 1, max_w);
  check_range("kh", g.kh, 1, lim);
  check_range("kw", g.kw, 1, lim);
  if (!g.adaptive) {
    check_range("sh", g.sh, 1, lim);
    check_range("sw", g.sw, 1, lim);
    check_range("dh", g.dh, 1, lim);
    check_range("dw", g.dw, 1, lim);
    check_range("ph", g.ph, 0, g.kh / 2);
    check_range("pw", g.pw, 0, g.kw / 2);
  }
  check_range("zero_point", g.zero_point, -128, 127);
  check_range("open_rows", g.open_rows, needed_open_rows(g), fpgaops::cfg::POOL_MAX_OPEN_ROWS);
  std::int64_t ex = std::int64_t(g.planes) * g.h * g.w, ey = std::int64_t(g.planes) * g.oh * g.ow;
  if (kind & fpgaops::hw::POOL_BLOCKED) {  // planes of B lanes, rows padded to whole words of G columns
    typedef fpgaops::hw::PoolConfig C;
    const std::int64_t lanes = fpgaops::hw::lanes_per_word<Out>::value;
    const std::int64_t gv = lanes / C::BLOCK;
    if (g.adaptive || g.sw > fpgaops::cfg::POOL_MAX_KERNEL ||
        std::int64_t(g.kw - 1) * g.dw + 1 > fpgaops::cfg::POOL_MAX_KERNEL ||
        std::int64_t(g.kh - 1) * g.dh + 1 > fpgaops::cfg::POOL_MAX_KERNEL || g.open_rows > C::BLOCKED_OPEN_ROWS ||
        (g.ow + gv - 1) / gv > C::BLOCKED_OUT_WORDS)
      throw py::value_error("pool: the channel-blocked path takes regular windows with stride and extents <= "
                            "pool.max_kernel, open_rows <= " + std::to_string(C::BLOCKED_OPEN_ROWS) +
                            " and output rows of <= " + std::to_string(C::BLOCKED_OUT_WORDS) + " words");
    ex = std::int64_t(g.planes) * g.h * ((g.w + gv - 1) / gv) * lanes;
    ey = std::int64_t(g.planes) * g.oh * ((g.ow + gv - 1) / gv) * lanes;
  }
  if (ex > lim || ey > lim) throw py::value_error("pool: a tensor spans more elements than 32-bit indexing allows");
  *px = device_ptr<const word_t>(x, ex * std::int64_t(sizeof(Out)), "x");
  *py_ = device_ptr<Out>(y, ey * std::int64_t(sizeof(Out)), "y");
}

}  // namespace

void bind_pool(py::module_& m) {
  m.def(
      "pool_f32",
      [](py::array x, py::array y, int planes, int kind, int adaptive, int cip, int h, int oh, int kh, int sh, int ph,
         int dh, int w, int ow, int kw, int sw, int pw, int dw, int open_rows) {
        const fpgaops::hw::PoolArgs g = {planes, adaptive, cip, h, oh, kh, sh, ph, dh, w, ow, kw, sw, pw, dw, 0,
                                         open_rows};
        const word_t* px;
        float* py_;
        check<float>(g, kind, x, y, &px, &py_);
        py::gil_scoped_release release;
        fpgaops_pool_f32(px, py_, planes, kind, adaptive, cip, h, oh, kh, sh, ph, dh, w, ow, kw, sw, pw, dw, open_rows);
      },
      "max / average pooling, float32 (see fpgaops.ops.pool.PoolCall)");
  m.def(
      "pool_i8",
      [](py::array x, py::array y, int planes, int kind, int adaptive, int cip, int h, int oh, int kh, int sh, int ph,
         int dh, int w, int ow, int kw, int sw, int pw, int dw, int open_rows, int zero_point) {
        const fpgaops::hw::PoolArgs g = {planes, adaptive, cip, h, oh, kh, sh, ph, dh, w, ow, kw, sw, pw, dw,
                                         zero_point, open_rows};
        const word_t* px;
        std::int8_t* py_;
        check<std::int8_t>(g, kind, x, y, &px, &py_);
        if (kind == 1 && std::int64_t(g.kh) * g.kw > INT32_MAX / 255)
          throw py::value_error("pool_i8: window too large for the int32 accumulator");
        py::gil_scoped_release release;
        fpgaops_pool_i8(px, py_, planes, kind, adaptive, cip, h, oh, kh, sh, ph, dh, w, ow, kw, sw, pw, dw, open_rows,
                        zero_point);
      },
      "max / average pooling, int8 (see fpgaops.ops.pool.PoolCall)");
}
