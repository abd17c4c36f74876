// fpgaops._csim: the HLS kernel tops compiled natively (C-simulation), one bind_<family>()
// per op family, each in host/csim/<family>.cpp.
#include <pybind11/pybind11.h>

#include "fpgaops/config.hpp"

namespace py = pybind11;

void bind_gemm(py::module_& m);
void bind_pool(py::module_& m);
void bind_act_lut(py::module_& m);
void bind_eltwise(py::module_& m);
void bind_softmax(py::module_& m);
void bind_conv2d(py::module_& m);
void bind_dwconv(py::module_& m);
void bind_winograd(py::module_& m);
void bind_cycles(py::module_& m);

PYBIND11_MODULE(_csim, m) {
  m.doc() = "fpgaops HLS kernel tops, C-simulated";
  m.def("config_digest", [] { return std::string(FPGAOPS_CONFIG_DIGEST); },
        "Digest of the kernel config this module was compiled with");
  m.def("compiler", [] { return std::string("g++ ") + __VERSION__; });
  m.def("hls_headers", [] { return std::string(FPGAOPS_HLS_HEADERS); });
  bind_gemm(m);
  bind_pool(m);
  bind_act_lut(m);
  bind_eltwise(m);
  bind_softmax(m);
  bind_conv2d(m);
  bind_dwconv(m);
  bind_winograd(m);
  bind_cycles(m);
}
