// Bindings of the Winograd tops (kernels/hls/top/fpgaops_winograd.cpp). Argument order and meaning
// are those of fpgaops.ops.conv2d.ConvCall (r = s = 3, stride 1, dilation 1, groups 1). Every size
// is checked again here, and every buffer against the bytes the kernel will touch.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "buffers.hpp"
#include "fpgaops/tops.hpp"

namespace py = pybind11;
using fpgaops::host::check_range;
using fpgaops::host::device_ptr;
using fpgaops::hw::word_t;

namespace {

void check_wino(int n, int c, int h, int w, int k, int oh, int ow, int pad_top, int pad_left, std::int64_t* ex,
                std::int64_t* ew, std::int64_t* ey) {
  const std::int64_t big = INT32_MAX;
  check_range("n", n, 1, big);
  check_range("c", c, 1, big);
  check_range("h", h, 1, big);
  check_range("w", w, 1, big);
  check_range("k", k, 1, big);
  check_range("oh", oh, 1, big);
  check_range("ow", ow, 1, big);
  check_range("pad_top", pad_top, 0, big);
  check_range("pad_left", pad_left, 0, big);
  *ex = std::int64_t(n) * c * h * w;
  *ew = std::int64_t(k) * c * 9;
  *ey = std::int64_t(n) * k * oh * ow;
  if (*ex > big || *ew > big || *ey > big)
    throw py::value_error("winograd: a tensor has more elements than 32-bit indexing allows");
}

}  // namespace

void bind_winograd(py::module_& m) {
  m.def(
      "winograd_f32",
      [](py::array x, py::array weight, py::object bias, py::object residual, py::array y, int n, int c, int h, int w,
         int k, int oh, int ow, int pad_top, int pad_left, int act, int winograd_m) {
        std::int64_t ex, ew, ey;
        check_wino(n, c, h, w, k, oh, ow, pad_top, pad_left, &ex, &ew, &ey);
        check_range("act", act, 0, 2);
        if (winograd_m != 2 && winograd_m != 4) throw py::value_error("winograd_m: expected 2 or 4");
        const word_t* px = device_ptr<const word_t>(x, ex * 4, "x");
        const word_t* pw = device_ptr<const word_t>(weight, ew * 4, "weight");
        float* py_ = device_ptr<float>(y, ey * 4, "y");
        const float* pb =
            bias.is_none() ? nullptr : device_ptr<const float>(bias.cast<py::array>(), std::int64_t(k) * 4, "bias");
        const word_t* pr =
            residual.is_none() ? nullptr : device_ptr<const word_t>(residual.cast<py::array>(), ey * 4, "residual");
        py::gil_scoped_release release;
        fpgaops_winograd_f32(px, pw, pb, pr, py_, n, c, h, w, k, oh, ow, pad_top, pad_left, pb != nullptr,
                             pr != nullptr, act, winograd_m);
      },
      "Winograd F(m x m, 3x3) conv2d, float32 (see fpgaops.ops.conv2d.ConvCall)");
  m.def(
      "winograd_i8",
      [](py::array x, py::array weight, py::object bias, py::object residual, py::array y, int n, int c, int h, int w,
         int k, int oh, int ow, int pad_top, int pad_left, int x_zero_point, int y_zero_point, py::array mult,
         py::array shift, int res_zero_point, int res_mult, int res_shift, int act_min, int act_max) {
        std::int64_t ex, ew, ey;
        check_wino(n, c, h, w, k, oh, ow, pad_top, pad_left, &ex, &ew, &ey);
        check_range("c", c, 1, (INT32_MAX) / (4LL * 9 * 255 * 128));  // 4Y exact in int32
        const std::int32_t *pm, *ps;
        fpgaops::host::check_requant(x_zero_point, y_zero_point, act_min, act_max, mult, shift, k, &pm, &ps);
        fpgaops::host::check_residual_requant(res_zero_point, res_mult, res_shift);
        const word_t* px = device_ptr<const word_t>(x, ex, "x");
        const word_t* pw = device_ptr<const word_t>(weight, ew, "weight");
        std::int8_t* py_ = device_ptr<std::int8_t>(y, ey, "y");
        const std::int32_t* pb =
            bias.is_none() ? nullptr : device_ptr<const std::int32_t>(bias.cast<py::array>(), std::int64_t(k) * 4, "bias");
        const word_t* pr = residual.is_none() ? nullptr : device_ptr<const word_t>(residual.cast<py::array>(), ey, "residual");
        py::gil_scoped_release release;
        fpgaops_winograd_i8(px, pw, pb, pr, py_, n, c, h, w, k, oh, ow, pad_top, pad_left, pb != nullptr, pr != nullptr,
                            x_zero_point, y_zero_point, pm, ps, res_zero_point, res_mult, res_shift, act_min, act_max);
      },
      "Winograd F(2x2, 3x3) conv2d, int8 -> int8, bit-exact with im2col (see fpgaops.ops.conv2d.ConvCall)");
}
