// FPGAOPS_SIM_ASSERT(cond, msg): a check that exists only in C-simulation.
//
//   FPGAOPS_SIM_ASSERT(m >= 1 && m <= cfg::GEMM_MAX_DIM, "m = " << m);
//
// In simulation (g++ C-simulation, the csim backend, the CTest testbenches) a false `cond` throws
// std::runtime_error("<file>:<line>: <kernel> check failed: <cond>: <msg>"); `msg` is anything that
// can be streamed to a std::ostream. Under synthesis the macro expands to nothing: the hardware
// trusts the host, which validates every argument before a launch.
//
// This is the ONLY file in the repository that spells the __SYNTHESIS__ macro: kernel code never
// branches on it, so what C-simulation tests is exactly what v++ synthesizes.
#ifndef FPGAOPS_SIM_ASSERT_HPP
#define FPGAOPS_SIM_ASSERT_HPP

#ifndef __SYNTHESIS__

#include <sstream>
#include <stdexcept>
#include <string>

namespace fpgaops {
namespace hw {
namespace detail {

[[noreturn]] inline void sim_assert_fail(const char* file, int line, const char* cond, const std::string& msg) {
  std::ostringstream os;
  os << file << ":" << line << ": kernel check failed: " << cond;
  if (!msg.empty()) os << ": " << msg;
  throw std::runtime_error(os.str());
}

}  // namespace detail
}  // namespace hw
}  // namespace fpgaops

#define FPGAOPS_SIM_ASSERT(cond, msg)                                                       \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::ostringstream fpgaops_sim_assert_os_;                                            \
      fpgaops_sim_assert_os_ << msg;                                                        \
      ::fpgaops::hw::detail::sim_assert_fail(__FILE__, __LINE__, #cond,                     \
                                             fpgaops_sim_assert_os_.str());                 \
    }                                                                                       \
  } while (0)

#else  // synthesis: no checks, no code

#define FPGAOPS_SIM_ASSERT(cond, msg) \
  do {                                \
  } while (0)

#endif  // __SYNTHESIS__

#endif  // FPGAOPS_SIM_ASSERT_HPP
