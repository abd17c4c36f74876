// Bindings of the depthwise tops (kernels/hls/top/fpgaops_dwconv.cpp). Argument order and meaning
// are those of fpgaops.ops.conv2d.ConvCall (groups == c == k, no residual), the tensors channel-
// innermost as the top takes them (fpgaops/backends/csim/dwconv.py converts). Every size is checked again
// here, including the kernel's limits (fpgaops/dwconv.hpp), and every buffer against the bytes the
// kernel will touch, before a top runs.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "buffers.hpp"
#include "fpgaops/config.hpp"
#include "fpgaops/dwconv.hpp"
#include "fpgaops/tops.hpp"

namespace py = pybind11;
using fpgaops::host::check_range;
using fpgaops::host::device_ptr;
using fpgaops::hw::word_t;

namespace {

void check_dw(int n, int c, int h, int w, int k, int r, int s, int oh, int ow, int stride_h, int stride_w,
              int pad_top, int pad_left, int dil_h, int dil_w, std::int64_t* ex, std::int64_t* ey) {
  const std::int64_t big = INT32_MAX;
  check_range("n", n, 1, big);
  check_range("c", c, 1, big);
  check_range("h", h, 1, big);
  check_range("w", w, 1, big);
  check_range("k", k, 1, big);
  typedef fpgaops::hw::DwconvConfig Cfg;
  typedef fpgaops::hw::DwconvEngine<Cfg, fpgaops::hw::ConvI8> E;
  if (k != c) throw py::value_error("k: must equal c (channel-innermost depthwise; the host expands a multiplier)");
  if (c % Cfg::SIMD) throw py::value_error("c: must be a multiple of dwconv.simd = " + std::to_string(Cfg::SIMD));
  check_range("c", c, 1, Cfg::MAX_C);
  check_range("r", r, 1, fpgaops::cfg::DWCONV_MAX_KERNEL);
  check_range("s", s, 1, fpgaops::cfg::DWCONV_MAX_KERNEL);
  check_range("oh", oh, 1, big);
  check_range("ow", ow, 1, big);
  check_range("stride_h", stride_h, 1, big);
  check_range("stride_w", stride_w, 1, big);
  check_range("pad_top", pad_top, 0, big);
  check_range("pad_left", pad_left, 0, big);
  check_range("dil_h", dil_h, 1, big);
  check_range("dil_w", dil_w, 1, big);
  check_range("(r-1)*dil_h+1+stride_h", std::int64_t(r - 1) * dil_h + 1 + stride_h, 1,
              fpgaops::cfg::DWCONV_LINE_BUFFER_ROWS);
  check_range("(s-1)*dil_w+1", std::int64_t(s - 1) * dil_w + 1, 1, E::NB);
  check_range("(ow-1)*stride_w+(s-1)*dil_w+1", std::int64_t(ow - 1) * stride_w + std::int64_t(s - 1) * dil_w + 1, 1,
              fpgaops::cfg::DWCONV_MAX_W);
  if (!fpgaops::hw::dwconv_row_fits<Cfg>(int((ow - 1) * stride_w + (s - 1) * dil_w + 1), c))
    throw py::value_error("dwconv: a padded row of c channels exceeds dwconv.max_row");
  *ex = std::int64_t(n) * c * h * w;
  *ey = std::int64_t(n) * k * oh * ow;
  if (*ex > big || *ey > big) throw py::value_error("dwconv: a tensor has more elements than 32-bit indexing allows");
}

}  // namespace

void bind_dwconv(py::module_& m) {
  m.def(
      "dwconv_f32",
      [](py::array x, py::array weight, py::object bias, py::array y, int n, int c, int h, int w, int k, int r, int s,
         int oh, int ow, int stride_h, int stride_w, int pad_top, int pad_left, int dil_h, int dil_w, int act) {
        std::int64_t ex, ey;
        check_dw(n, c, h, w, k, r, s, oh, ow, stride_h, stride_w, pad_top, pad_left, dil_h, dil_w, &ex, &ey);
        check_range("act", act, 0, 2);
        const word_t* px = device_ptr<const word_t>(x, ex * 4, "x");
        const word_t* pw = device_ptr<const word_t>(weight, std::int64_t(k) * r * s * 4, "weight");
        word_t* py_ = device_ptr<word_t>(y, ey * 4, "y");
        const float* pb =
            bias.is_none() ? nullptr : device_ptr<const float>(bias.cast<py::array>(), std::int64_t(k) * 4, "bias");
        py::gil_scoped_release release;
        fpgaops_dwconv_f32(px, pw, pb, py_, n, c, h, w, k, r, s, oh, ow, stride_h, stride_w, pad_top, pad_left, dil_h,
                           dil_w, pb != nullptr, act);
      },
      "depthwise conv2d float32 (see fpgaops.ops.conv2d.ConvCall); act: 0 none, 1 relu, 2 relu6");
  m.def(
      "dwconv_i8",
      [](py::array x, py::array weight, py::object bias, py::array y, int n, int c, int h, int w, int k, int r, int s,
         int oh, int ow, int stride_h, int stride_w, int pad_top, int pad_left, int dil_h, int dil_w, int x_zero_point,
         int y_zero_point, py::array mult, py::array shift, int act_min, int act_max) {
        std::int64_t ex, ey;
        check_dw(n, c, h, w, k, r, s, oh, ow, stride_h, stride_w, pad_top, pad_left, dil_h, dil_w, &ex, &ey);
        const std::int32_t *pm, *ps;
        fpgaops::host::check_requant(x_zero_point, y_zero_point, act_min, act_max, mult, shift, k, &pm, &ps);
        const word_t* px = device_ptr<const word_t>(x, ex, "x");
        const word_t* pw = device_ptr<const word_t>(weight, std::int64_t(k) * r * s, "weight");
        word_t* py_ = device_ptr<word_t>(y, ey, "y");
        const std::int32_t* pb =
            bias.is_none() ? nullptr : device_ptr<const std::int32_t>(bias.cast<py::array>(), std::int64_t(k) * 4, "bias");
        py::gil_scoped_release release;
        fpgaops_dwconv_i8(px, pw, pb, py_, n, c, h, w, k, r, s, oh, ow, stride_h, stride_w, pad_top, pad_left, dil_h,
                          dil_w, pb != nullptr, x_zero_point, y_zero_point, pm, ps, act_min, act_max);
      },
      "depthwise conv2d int8 -> int8, bit-exact (see fpgaops.ops.conv2d.ConvCall)");
}
