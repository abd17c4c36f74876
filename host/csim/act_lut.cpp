// Bindings of the activation tops (kernels/hls/top/fpgaops_act_lut.cpp). Argument order and
// meaning are those of fpgaops.ops.act_lut.ActCall; sizes and table headers are checked here.
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "buffers.hpp"
#include "fpgaops/act_lut.hpp"
#include "fpgaops/tops.hpp"

namespace py = pybind11;
using fpgaops::host::check_range;
using fpgaops::host::device_ptr;
using fpgaops::hw::word_t;
namespace act = fpgaops::hw::act;

// Shared with eltwise.cpp: the float table buffer is a header of 8 floats and segments + 1 knots.
const word_t* checked_float_table(const py::array& table) {
  const float* head = device_ptr<const float>(table, act::TABLE_HEADER * 4, "table");
  const float seg = head[2];
  if (!(seg >= 1 && seg <= fpgaops::cfg::ACT_LUT_MAX_SEGMENTS && seg == std::floor(seg)))
    throw py::value_error("table: header holds " + std::to_string(seg) + " segments; expected an integer in [1, " +
                          std::to_string(fpgaops::cfg::ACT_LUT_MAX_SEGMENTS) + "] (act_lut.max_segments)");
  return device_ptr<const word_t>(table, (act::TABLE_HEADER + std::int64_t(seg) + 1) * 4, "table");
}

void bind_act_lut(py::module_& m) {
  m.def(
      "act_f32",
      [](py::array x, py::array y, int count, int kind, float alpha, float beta, py::array table) {
        check_range("count", count, 1, INT32_MAX);
        check_range("kind", kind, act::NONE, act::TABLE);
        const word_t* px = device_ptr<const word_t>(x, std::int64_t(count) * 4, "x");
        word_t* py_ = device_ptr<word_t>(y, std::int64_t(count) * 4, "y");
        const word_t* pt = kind == act::TABLE ? checked_float_table(table) : px;
        py::gil_scoped_release release;
        fpgaops_act_f32(px, py_, count, kind, alpha, beta, pt);
      },
      "float32 activation (see fpgaops.ops.act_lut.ActCall)");
  m.def(
      "act_i8",
      [](py::array x, py::array y, int count, py::array lut) {
        check_range("count", count, 1, INT32_MAX);
        const word_t* px = device_ptr<const word_t>(x, count, "x");
        word_t* py_ = device_ptr<word_t>(y, count, "y");
        const word_t* pl = device_ptr<const word_t>(lut, 256, "lut");
        py::gil_scoped_release release;
        fpgaops_act_i8(px, py_, count, pl);
      },
      "int8 activation: y = lut[x + 128] (see fpgaops.ops.act_lut.ActCall)");
}
