// Bindings of the conv2d tops (kernels/hls/top/fpgaops_conv2d.cpp). Argument order and meaning are
// those of fpgaops.ops.conv2d.ConvCall. Every size is checked again here, and every buffer against
// the bytes the kernel will touch, before a top runs.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "buffers.hpp"
#include "fpgaops/config.hpp"
#include "fpgaops/tops.hpp"

#if !FPGAOPS_GEMM_FLOAT32
#error "the C-simulation module binds the float32 tops: build it with gemm.float32 = 1"
#endif

namespace py = pybind11;
using fpgaops::host::check_range;
using fpgaops::host::device_ptr;
using fpgaops::hw::word_t;

namespace {

struct Shape {
  int n, c, h, w, k, r, s, oh, ow, stride_h, stride_w, pad_top, pad_left, dil_h, dil_w, groups;
};

// Sizes and the element counts of x, weight and y / residual (all < 2^31), in the tops' channel-blocked
// layouts (kernels/hls/include/fpgaops/conv2d.hpp): blocks of gemm.pe channels, each group's channels
// padded to a multiple, rows padded to whole words. ebytes: bytes per element.
void check_shape(const Shape& g, int ebytes, std::int64_t* ex, std::int64_t* ew, std::int64_t* ey) {
  const std::int64_t big = INT32_MAX;
  for (auto [name, v] : {std::pair<const char*, int>{"n", g.n}, {"c", g.c}, {"h", g.h}, {"w", g.w}, {"k", g.k},
                         {"r", g.r}, {"s", g.s}, {"oh", g.oh}, {"ow", g.ow}, {"stride_h", g.stride_h},
                         {"stride_w", g.stride_w}, {"dil_h", g.dil_h}, {"dil_w", g.dil_w}, {"groups", g.groups}})
    check_range(name, v, 1, big);
  check_range("pad_top", g.pad_top, 0, big);
  check_range("pad_left", g.pad_left, 0, big);
  if (g.c % g.groups || g.k % g.groups) throw py::value_error("groups: must divide c and k");
  const std::int64_t b = fpgaops::cfg::GEMM_PE;
  const std::int64_t lanes = fpgaops::cfg::AXI_WORD_BITS / 8 / ebytes, gw = lanes / b;
  const std::int64_t cgp = (std::int64_t(g.c / g.groups) + b - 1) / b * b;
  const std::int64_t kgp = (std::int64_t(g.k / g.groups) + b - 1) / b * b;
  const std::int64_t crs = cgp * g.r * g.s;
  check_range("ceil(c/groups/pe)*pe*r*s", crs, 1, fpgaops::cfg::GEMM_MAX_DIM);
  check_range("(s-1)*dil_w+1", std::int64_t(g.s - 1) * g.dil_w + 1, 1, fpgaops::cfg::CONV2D_LINE_BUFFER_W);
  *ex = std::int64_t(g.n) * g.groups * cgp * g.h * ((g.w + gw - 1) / gw * gw);
  const std::int64_t tk = fpgaops::cfg::GEMM_TILE_K;
  *ew = std::int64_t(g.k) * ((crs + tk - 1) / tk * tk);  // slice-major: K slices of TILE_K
  *ey = std::int64_t(g.n) * g.groups * kgp * g.oh * ((g.ow + gw - 1) / gw * gw);
  if (*ex > big || *ew > big || *ey > big)
    throw py::value_error("conv2d: a tensor has more elements than 32-bit indexing allows");
}

}  // namespace

void bind_conv2d(py::module_& m) {
  m.def(
      "conv2d_f32",
      [](py::array x, py::array weight, py::object bias, py::object residual, py::array y, int n, int c, int h, int w,
         int k, int r, int s, int oh, int ow, int stride_h, int stride_w, int pad_top, int pad_left, int dil_h,
         int dil_w, int groups, int act) {
        const Shape g{n, c, h, w, k, r, s, oh, ow, stride_h, stride_w, pad_top, pad_left, dil_h, dil_w, groups};
        std::int64_t ex, ew, ey;
        check_shape(g, 4, &ex, &ew, &ey);
        check_range("act", act, 0, 2);
        const word_t* px = device_ptr<const word_t>(x, ex * 4, "x");
        const word_t* pw = device_ptr<const word_t>(weight, ew * 4, "weight");
        word_t* py_ = device_ptr<word_t>(y, ey * 4, "y");
        const float* pb = bias.is_none() ? nullptr : device_ptr<const float>(bias.cast<py::array>(), std::int64_t(k) * 4, "bias");
        const word_t* pr = residual.is_none() ? nullptr : device_ptr<const word_t>(residual.cast<py::array>(), ey * 4, "residual");
        py::gil_scoped_release release;
        // x_hi, weight_hi: the same x / weights, the top's second read ports
        fpgaops_conv2d_f32(px, px, pw, pw, pb, pr, py_, n, c, h, w, k, r, s, oh, ow, stride_h, stride_w, pad_top, pad_left,
                           dil_h, dil_w, groups, pb != nullptr, pr != nullptr, act);
      },
      "conv2d float32, implicit GEMM (see fpgaops.ops.conv2d.ConvCall); act: 0 none, 1 relu, 2 relu6");
  m.def(
      "conv2d_i8",
      [](py::array x, py::array weight, py::object bias, py::object residual, py::array y, int n, int c, int h, int w,
         int k, int r, int s, int oh, int ow, int stride_h, int stride_w, int pad_top, int pad_left, int dil_h,
         int dil_w, int groups, int x_zero_point, int y_zero_point, py::array mult, py::array shift,
         int res_zero_point, int res_mult, int res_shift, int act_min, int act_max) {
        const Shape g{n, c, h, w, k, r, s, oh, ow, stride_h, stride_w, pad_top, pad_left, dil_h, dil_w, groups};
        std::int64_t ex, ew, ey;
        check_shape(g, 1, &ex, &ew, &ey);
        const std::int32_t *pm, *ps;
        fpgaops::host::check_requant(x_zero_point, y_zero_point, act_min, act_max, mult, shift, k, &pm, &ps);
        fpgaops::host::check_residual_requant(res_zero_point, res_mult, res_shift);
        const word_t* px = device_ptr<const word_t>(x, ex, "x");
        const word_t* pw = device_ptr<const word_t>(weight, ew, "weight");
        word_t* py_ = device_ptr<word_t>(y, ey, "y");
        const std::int32_t* pb =
            bias.is_none() ? nullptr : device_ptr<const std::int32_t>(bias.cast<py::array>(), std::int64_t(k) * 4, "bias");
        const word_t* pr = residual.is_none() ? nullptr : device_ptr<const word_t>(residual.cast<py::array>(), ey, "residual");
        py::gil_scoped_release release;
        fpgaops_conv2d_i8(px, px, pw, pw, pb, pr, py_, n, c, h, w, k, r, s, oh, ow, stride_h, stride_w, pad_top, pad_left,
                          dil_h, dil_w, groups, pb != nullptr, pr != nullptr, x_zero_point, y_zero_point, pm, ps,
                          res_zero_point, res_mult, res_shift, act_min, act_max);
      },
      "conv2d int8 -> int8, implicit GEMM, bit-exact (see fpgaops.ops.conv2d.ConvCall)");
}
