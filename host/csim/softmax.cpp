// Binding of the softmax top (kernels/hls/top/fpgaops_softmax.cpp); argument meaning:
// fpgaops.ops.softmax.SoftmaxCall.
#include <pybind11/pybind11.h>

#include <cstdint>

#include "buffers.hpp"
#include "fpgaops/tops.hpp"

namespace py = pybind11;
using fpgaops::host::check_range;
using fpgaops::host::device_ptr;
using fpgaops::hw::word_t;

void bind_softmax(py::module_& m) {
  m.def(
      "softmax_f32",
      [](py::array x, py::array y, int outer, int n, int inner) {
        check_range("outer", outer, 1, INT32_MAX);
        check_range("n", n, 1, fpgaops::cfg::SOFTMAX_MAX_DIM);
        check_range("inner", inner, 1, INT32_MAX);
        const std::int64_t e = std::int64_t(outer) * n * inner;
        if (e > INT32_MAX) throw py::value_error("softmax: more elements than 32-bit indexing allows");
        const word_t* px = device_ptr<const word_t>(x, e * 4, "x");
        float* py_ = device_ptr<float>(y, e * 4, "y");
        py::gil_scoped_release release;
        fpgaops_softmax_f32(px, py_, outer, n, inner);
      },
      "softmax over rows x[o, :, r] (see fpgaops.ops.softmax.SoftmaxCall)");
}
