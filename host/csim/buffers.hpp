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

}  // namespace host
}  // namespace fpgaops
