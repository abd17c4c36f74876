// fpgaops._csim.cycles*: the C-simulation cycle counters of the kernel tops (the model and the
// macros: kernels/hls/include/fpgaops/sim_assert.hpp; the interface: docs/conv_hls.md).
//
//   cycles_reset()    forget every count
//   cycles()          one dict per (kernel, region, process) since the last reset, aggregated over
//                     the region's invocations: kernel, region, process, calls, iterations, loops,
//                     ii, depth, cycles (= iterations * ii + loops * depth, summed over the calls)
//   cycles_regions()  one dict per (kernel, region): calls and cycles = the sum over invocations of
//                     the slowest process (the region's modeled latency)
#include <pybind11/pybind11.h>

#include "fpgaops/sim_assert.hpp"

namespace py = pybind11;

void bind_cycles(py::module_& m) {
  namespace cy = fpgaops::hw::cycles;
  m.def("cycles_reset", [] { cy::registry().reset(); }, "Forget every cycle count");
  m.def(
      "cycles",
      [] {
        py::list out;
        for (const cy::ProcessRecord& r : cy::registry().processes()) {
          py::dict d;
          d["kernel"] = r.kernel;
          d["region"] = r.region;
          d["process"] = r.process;
          d["calls"] = r.calls;
          d["iterations"] = r.iterations;
          d["loops"] = r.loops;
          d["ii"] = r.ii;
          d["depth"] = r.depth;
          d["cycles"] = r.cycles;
          out.append(d);
        }
        return out;
      },
      "Per (kernel, region, process): calls, iterations, loops, ii, depth, cycles since the last reset");
  m.def(
      "cycles_regions",
      [] {
        py::list out;
        for (const cy::RegionRecord& r : cy::registry().regions()) {
          py::dict d;
          d["kernel"] = r.kernel;
          d["region"] = r.region;
          d["calls"] = r.calls;
          d["cycles"] = r.cycles;
          out.append(d);
        }
        return out;
      },
      "Per (kernel, region): calls and the summed latency of the slowest process per invocation");
}
