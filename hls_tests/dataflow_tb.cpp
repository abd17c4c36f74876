// C-simulation testbench of the simulation runtime itself (kernels/hls/sim/hls_stream.h and the
// FPGAOPS_DATAFLOW_* / FPGAOPS_CYCLES_* macros of fpgaops/sim_assert.hpp): DATAFLOW processes run
// concurrently on FIFOs of their declared depth, so a FIFO too shallow for the order in which its
// processes write and read it deadlocks -- and the test fails with the stream's name -- instead of
// passing because C-simulation ran the producer to completion first.
//
//   dataflow_tb            exit status 1 if any check failed
#include <cstdio>
#include <stdexcept>
#include <string>

#include "fpgaops/common.hpp"

namespace {

// Producer: n values on `data`, then one token on `ctl`. Consumer: the token first, then the data.
// In hardware the producer stalls once `data` is full and the consumer waits for the token that
// comes after the data: the region needs depth(data) >= n.
void producer(int n, hls::stream<int>& data, hls::stream<int>& ctl) {
  FPGAOPS_CYCLES_PROCESS("producer", 1, 2);
  FPGAOPS_CYCLES_LOOP(n);
PRODUCE:
  for (int i = 0; i < n; i++) {
#pragma HLS PIPELINE II=1
    FPGAOPS_CYCLES_ITER();
    data.write(i * i);
  }
  ctl.write(n);
}

void consumer(int reads, hls::stream<int>& data, hls::stream<int>& ctl, int* out) {
  FPGAOPS_CYCLES_PROCESS("consumer", 1, 3);
  const int n = ctl.read();
  int sum = 0;
  FPGAOPS_CYCLES_LOOP(reads);
CONSUME:
  for (int i = 0; i < reads; i++) {
#pragma HLS PIPELINE II=1
    FPGAOPS_CYCLES_ITER();
    sum += data.read();
  }
  *out = sum + n;
}

template <int DEPTH>
int region(int n, int reads) {
  int out = -1;
  FPGAOPS_CYCLES_REGION("handshake");
  hls::stream<int, DEPTH> data("tb.data");
  hls::stream<int, 2> ctl("tb.ctl");
  FPGAOPS_DATAFLOW_PROCESS(producer(n, data, ctl));
  FPGAOPS_DATAFLOW_PROCESS(consumer(reads, data, ctl, &out));
  FPGAOPS_DATAFLOW_END();
  return out;
}

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "PASS" : "FAIL", what.c_str());
  failures += !ok;
}

template <class F>
void expect_error(F f, const std::string& must_contain, const std::string& what) {
  try {
    f();
    check(false, what + ": no error");
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    check(msg.find(must_contain) != std::string::npos, what + ": " + msg);
  }
}

}  // namespace

int main() {
  namespace cy = fpgaops::hw::cycles;
  const int n = 6, want = 0 + 1 + 4 + 9 + 16 + 25 + n;
  cy::registry().reset();
  check(region<8>(n, n) == want, "depth 8 >= 6 elements: the region completes with the right sum");
  check(region<6>(n, n) == want, "depth 6 == 6 elements: just enough");
  expect_error([&] { region<5>(n, n); }, "tb.data", "depth 5 < 6 elements: deadlock reported, naming the stream");
  expect_error([&] { region<4>(n, n); }, "deadlock", "depth 4: deadlock reported");
  expect_error([&] { region<8>(n, n + 1); }, "deadlock", "a consumer reading more than the producer writes");
  // The counters saw both processes of the two completed regions (failed ones are not counted).
  bool counted = false;
  for (const cy::ProcessRecord& r : cy::registry().processes())
    if (r.process == "producer") counted = r.calls == 2 && r.iterations == 2 * n && r.cycles == 2 * (n + 2);
  check(counted, "cycle counters of processes run as threads: producer 2 calls x (6 iterations + depth 2)");
  long long region_cycles = -1;
  for (const cy::RegionRecord& r : cy::registry().regions())
    if (r.region == "handshake") region_cycles = r.cycles;
  check(region_cycles == 2 * (n + 3), "region latency = its slowest process (the consumer: 6 + depth 3) per call");
  // Outside a DATAFLOW region a stream has its depth too: nothing can drain it.
  expect_error(
      [] {
        hls::stream<int, 2> s("tb.single");
        s.write(1), s.write(2), s.write(3);
      },
      "tb.single", "a third write to a depth-2 stream in one process");
  std::printf("dataflow_tb: %d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
