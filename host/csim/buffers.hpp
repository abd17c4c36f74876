// Checked access to device buffers handed over from Python. Native code never trusts a size it
// was given: every buffer is checked against the bytes the kernel will touch before a top runs.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "fpgaops/config.hpp"

namespace fpgaops {
namespace host {
namespace py = pybind11;

constexpr std::int64_t kWordBytes = cfg::AXI_WORD_BITS / 8;

// Elements a kernel reads from a strided batch of `batch` matrices of `count` elements each.
inline std::int64_t span_elems(std::int64_t batch, std::int64_t stride, std::int64_t count) {
  return (batch - 1) * stride + count;
}

// The buffer as a T* (a packed AXI word type or an element type), after checking it is a
// C-contiguous uint8 array aligned to the AXI word that holds at least `need_bytes` rounded
// up to whole words (tops read whole words).
template <typename T>
T* device_ptr(const py::array& buf, std::int64_t need_bytes, const char* name) {
  if (!py::isinstance<py::array_t<std::uint8_t>>(buf) || !(buf.flags() & py::array::c_style))
    throw py::value_error(std::string(name) + ": expected a C-contiguous uint8 device buffer");
  const auto addr = reinterpret_cast<std::uintptr_t>(buf.data());
  if (addr % kWordBytes)
    throw py::value_error(std::string(name) + ": buffer is not aligned to the AXI word (" +
                          std::to_string(kWordBytes) + " bytes)");
  const std::int64_t words = (need_bytes + kWordBytes - 1) / kWordBytes;
  if (static_cast<std::int64_t>(buf.nbytes()) < words * kWordBytes)
    throw py::value_error(std::string(name) + ": buffer holds " + std::to_string(buf.nbytes()) +
                          " bytes, the kernel needs " + std::to_string(words * kWordBytes));
  return reinterpret_cast<T*>(const_cast<void*>(buf.data()));
}

inline void check_range(const char* name, std::int64_t v, std::int64_t lo, std::int64_t hi) {
  if (v < lo || v > hi)
    throw py::value_error(std::string(name) + ": expected " + std::to_string(lo) + " <= value <= " +
                          std::to_string(hi) + ", got " + std::to_string(v));
}

// The int8 conv epilogue's arguments, in the domain of fpgaops.quant's one requantization rule:
// zero points and the activation clamp in int8, per-channel mult in [0, 2^31) and shift in [0, 62].
// Returns the checked per-channel arrays through pm / ps.
inline void check_requant(int x_zero_point, int y_zero_point, int act_min, int act_max, const py::array& mult,
                          const py::array& shift, int k, const std::int32_t** pm, const std::int32_t** ps) {
  check_range("x_zero_point", x_zero_point, -128, 127);
  check_range("y_zero_point", y_zero_point, -128, 127);
  check_range("act_min", act_min, -128, 127);
  check_range("act_max", act_max, act_min, 127);
  *pm = device_ptr<const std::int32_t>(mult, std::int64_t(k) * 4, "mult");
  *ps = device_ptr<const std::int32_t>(shift, std::int64_t(k) * 4, "shift");
  for (int i = 0; i < k; i++) {
    if ((*pm)[i] < 0) throw py::value_error("mult: expected values in [0, 2^31), got " + std::to_string((*pm)[i]));
    if ((*ps)[i] < 0 || (*ps)[i] > 62)
      throw py::value_error("shift: expected values in [0, 62], got " + std::to_string((*ps)[i]));
  }
}

// The residual's requantization scalars (same rule, per tensor).
inline void check_residual_requant(int res_zero_point, int res_mult, int res_shift) {
  check_range("res_zero_point", res_zero_point, -128, 127);
  check_range("res_mult", res_mult, 0, INT32_MAX);
  check_range("res_shift", res_shift, 0, 62);
}

}  // namespace host
}  // namespace fpgaops
