// Bindings of the GEMM tops (kernels/hls/top/fpgaops_gemm.cpp). Argument order and meaning are
// those of fpgaops.ops.gemm.GemmCall.
#include <pybind11/pybind11.h>

#include <cstdint>

#include "buffers.hpp"
#include "fpgaops/tops.hpp"

#if !FPGAOPS_GEMM_FLOAT32
#error "the C-simulation module binds the float32 tops: build it with gemm.float32 = 1"
#endif

namespace py = pybind11;
using fpgaops::host::check_range;
using fpgaops::host::device_ptr;
using fpgaops::host::span_elems;
using fpgaops::hw::word_t;

namespace {

struct GemmArgs {
  int batch, m, n, k, stride_a, stride_b, stride_c, ldc, trans_a, trans_b;
  bool has_c;
};

// Validate every scalar and compute the bytes each operand spans; pointers come back checked.
template <typename In, typename Out>
void check(const GemmArgs& g, const py::array& a, const py::array& b, const py::array& c, const py::array& y,
           const word_t** pa, const word_t** pb, const word_t** pc, Out** py_) {
  const std::int64_t max = fpgaops::cfg::GEMM_MAX_DIM;
  check_range("batch", g.batch, 1, INT32_MAX);
  check_range("m", g.m, 1, max);
  check_range("n", g.n, 1, max);
  check_range("k", g.k, 1, max);
  check_range("stride_a", g.stride_a, 0, INT32_MAX);
  check_range("stride_b", g.stride_b, 0, INT32_MAX);
  check_range("stride_c", g.stride_c, 0, INT32_MAX);
  if (g.ldc != 0 && g.ldc != g.n) throw py::value_error("ldc: expected 0 (broadcast row) or n");
  const std::int64_t mk = std::int64_t(g.m) * g.k, kn = std::int64_t(g.k) * g.n, mn = std::int64_t(g.m) * g.n;
  const std::int64_t cm = g.ldc ? mn : g.n;
  const std::int64_t lim = INT32_MAX;
  const std::int64_t ea = span_elems(g.batch, g.stride_a, mk), eb = span_elems(g.batch, g.stride_b, kn);
  const std::int64_t ec = span_elems(g.batch, g.stride_c, cm), ey = std::int64_t(g.batch) * mn;
  if (ea > lim || eb > lim || ec > lim || ey > lim)
    throw py::value_error("gemm: an operand spans more elements than 32-bit indexing allows");
  *pa = device_ptr<const word_t>(a, ea * sizeof(In), "a");
  *pb = device_ptr<const word_t>(b, eb * sizeof(In), "b");
  *pc = g.has_c ? device_ptr<const word_t>(c, ec * sizeof(Out), "c") : *pa;
  *py_ = device_ptr<Out>(y, ey * sizeof(Out), "y");
}

}  // namespace

void bind_gemm(py::module_& m) {
  m.def(
      "gemm_f32",
      [](py::array a, py::array b, py::array c, py::array y, int batch, int m_, int n, int k, int stride_a,
         int stride_b, int stride_c, int ldc, bool trans_a, bool trans_b, float alpha, float beta) {
        GemmArgs g{batch, m_, n, k, stride_a, stride_b, stride_c, ldc, trans_a, trans_b, beta != 0.0f};
        const word_t *pa, *pb, *pc;
        float* py_;
        check<float, float>(g, a, b, c, y, &pa, &pb, &pc, &py_);
        py::gil_scoped_release release;
        fpgaops_gemm_f32(pa, pb, pc, py_, batch, m_, n, k, stride_a, stride_b, g.has_c ? stride_c : 0, ldc,
                         trans_a, trans_b, alpha, g.has_c ? beta : 0.0f);
      },
      "y = alpha * op(A) @ op(B) + beta * C, float32 (see fpgaops.ops.gemm.GemmCall)");
  m.def(
      "gemm_i8",
      [](py::array a, py::array b, py::array c, py::array y, int batch, int m_, int n, int k, int stride_a,
         int stride_b, int stride_c, int ldc, bool trans_a, bool trans_b, int beta) {
        if (beta != 0 && beta != 1) throw py::value_error("beta: int8 GEMM takes 0 or 1");
        GemmArgs g{batch, m_, n, k, stride_a, stride_b, stride_c, ldc, trans_a, trans_b, beta != 0};
        const word_t *pa, *pb, *pc;
        std::int32_t* py_;
        check<std::int8_t, std::int32_t>(g, a, b, c, y, &pa, &pb, &pc, &py_);
        py::gil_scoped_release release;
        fpgaops_gemm_i8(pa, pb, pc, py_, batch, m_, n, k, stride_a, stride_b, g.has_c ? stride_c : 0, ldc, trans_a,
                        trans_b, beta);
      },
      "y = op(A) @ op(B) (+ C), int8 x int8 -> int32 exact (see fpgaops.ops.gemm.GemmCall)");
}
