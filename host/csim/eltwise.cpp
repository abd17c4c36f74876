// Bindings of the element-wise tops (kernels/hls/top/fpgaops_eltwise.cpp). Argument order and
// meaning are those of fpgaops.ops.eltwise.EltwiseCall; every stride and span is checked here.
#include <pybind11/pybind11.h>

#include <cstdint>

#include "buffers.hpp"
#include "fpgaops/act_lut.hpp"
#include "fpgaops/tops.hpp"

namespace py = pybind11;
using fpgaops::host::check_range;
using fpgaops::host::device_ptr;
using fpgaops::hw::word_t;
namespace act = fpgaops::hw::act;

const word_t* checked_float_table(const py::array& table);  // act_lut.cpp

namespace {

struct Geo {
  int op, p, q, r, a_sp, a_sq, a_sr, b_sp, b_sq, b_sr;
};

// Elements operand x spans: its largest index + 1.
std::int64_t operand_span(const Geo& g, std::int64_t sp, std::int64_t sq, std::int64_t sr) {
  return (g.p - 1) * sp + (g.q - 1) * sq + (g.r - 1) * sr + 1;
}

template <typename T>
void check(const Geo& g, const py::array& a, const py::array& b, const py::array& y, const word_t** pa,
           const word_t** pb, word_t** py_) {
  const std::int64_t lim = INT32_MAX;
  check_range("op", g.op, 0, 1);
  check_range("p", g.p, 1, lim);
  check_range("q", g.q, 1, lim);
  check_range("r", g.r, 1, lim);
  check_range("a_sp", g.a_sp, 0, lim);
  check_range("a_sq", g.a_sq, 0, lim);
  check_range("a_sr", g.a_sr, 0, 1);
  check_range("b_sp", g.b_sp, 0, lim);
  check_range("b_sq", g.b_sq, 0, lim);
  check_range("b_sr", g.b_sr, 0, 1);
  const std::int64_t ey = std::int64_t(g.p) * g.q * g.r;
  const std::int64_t ea = operand_span(g, g.a_sp, g.a_sq, g.a_sr), eb = operand_span(g, g.b_sp, g.b_sq, g.b_sr);
  if (ey > lim || ea > lim || eb > lim)
    throw py::value_error("eltwise: an operand spans more elements than 32-bit indexing allows");
  *pa = device_ptr<const word_t>(a, ea * std::int64_t(sizeof(T)), "a");
  *pb = device_ptr<const word_t>(b, eb * std::int64_t(sizeof(T)), "b");
  *py_ = device_ptr<word_t>(y, ey * std::int64_t(sizeof(T)), "y");
}

}  // namespace

void bind_eltwise(py::module_& m) {
  m.def(
      "eltwise_f32",
      [](py::array a, py::array b, py::array y, int op, int p, int q, int r, int a_sp, int a_sq, int a_sr, int b_sp,
         int b_sq, int b_sr, int kind, float alpha, float beta, py::array table) {
        const Geo g = {op, p, q, r, a_sp, a_sq, a_sr, b_sp, b_sq, b_sr};
        check_range("kind", kind, act::NONE, act::TABLE);
        const word_t *pa, *pb;
        word_t* py_;
        check<float>(g, a, b, y, &pa, &pb, &py_);
        const word_t* pt = kind == act::TABLE ? checked_float_table(table) : pa;
        py::gil_scoped_release release;
        fpgaops_eltwise_f32(pa, pb, py_, op, p, q, r, a_sp, a_sq, a_sr, b_sp, b_sq, b_sr, kind, alpha, beta, pt);
      },
      "y = act(a + b) / act(a * b), float32 (see fpgaops.ops.eltwise.EltwiseCall)");
  m.def(
      "eltwise_i8",
      [](py::array a, py::array b, py::array y, int op, int p, int q, int r, int a_sp, int a_sq, int a_sr, int b_sp,
         int b_sq, int b_sr, int use_lut, py::array lut, int za, int zb, int zo, std::int64_t ma, std::int64_t mb,
         int shift) {
        const Geo g = {op, p, q, r, a_sp, a_sq, a_sr, b_sp, b_sq, b_sr};
        check_range("use_lut", use_lut, 0, 1);
        check_range("za", za, -128, 127);
        check_range("zb", zb, -128, 127);
        check_range("zo", zo, -128, 127);
        check_range("ma", ma, 0, INT32_MAX);
        check_range("mb", mb, 0, INT32_MAX);
        check_range("shift", shift, 0, 62);
        const word_t *pa, *pb;
        word_t* py_;
        check<std::int8_t>(g, a, b, y, &pa, &pb, &py_);
        const word_t* pl = use_lut ? device_ptr<const word_t>(lut, 256, "lut") : pa;
        py::gil_scoped_release release;
        fpgaops_eltwise_i8(pa, pb, py_, op, p, q, r, a_sp, a_sq, a_sr, b_sp, b_sq, b_sr, use_lut, pl, za, zb, zo,
                           int(ma), int(mb), shift);
      },
      "int8 add / mul with rescaling to the output scale (see fpgaops.ops.eltwise.EltwiseCall)");
}
