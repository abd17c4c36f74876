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
// branches on it, so what C-simulation tests is exactly what v++ synthesizes. It also holds the other
// simulation-only instrument, the cycle counters (FPGAOPS_CYCLES_*, below), and the one type whose
// C-simulation form differs from its synthesized form: dsp_int<W> (ap_int<W> in synthesis, a
// bit-identical fast model in simulation, see below).
#ifndef FPGAOPS_SIM_ASSERT_HPP
#define FPGAOPS_SIM_ASSERT_HPP

#ifndef __SYNTHESIS__

#include <memory>
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

// ---- cycle counters (C-simulation only) --------------------------------------------------------------
// The hardware model of docs/conv_hls.md ("Cycle counters"): every pipelined loop counts its
// iterations; every DATAFLOW process declares its initiation interval II and pipeline depth D; a
// process invocation then takes  iterations * II + loops * D  cycles (loops = how many times one of
// its pipelined loops was entered: each entry fills the pipeline once), and a region invocation
// takes as long as its slowest process. Placement in kernel code:
//
//   FPGAOPS_CYCLES_KERNEL("fpgaops_gemm_i8");        first statement of a top
//   FPGAOPS_CYCLES_REGION("tiles");                  first statement of a DATAFLOW body
//   FPGAOPS_DATAFLOW_PROCESS(load(a, s1));           each process call of the body (in simulation a
//                                                    thread; under synthesis the plain call)
//   FPGAOPS_DATAFLOW_END();                          last statement of the body: joins the processes
//   FPGAOPS_CYCLES_PROCESS("compute", II, DEPTH);    first statement of a DATAFLOW process
//   FPGAOPS_CYCLES_LOOP(trips);                      just before a pipelined loop of `trips`
//                                                    iterations (an entry fills the pipeline once;
//                                                    a loop of 0 trips costs nothing)
//   FPGAOPS_CYCLES_ITER();                           in the pipelined loop, after its pragmas
//   FPGAOPS_CYCLES_ITERS(n);                         the same for a loop whose II is n times the
//                                                    process's (it occupies n issue slots)
//
// Every macro expands to nothing under synthesis. The counts are aggregated in one
// registry (kernel, region, process); fpgaops._csim.cycles() reads them (host/csim/cycles.cpp).
// Only the simulating thread's own scopes are visible to it (thread_local context), so concurrent
// calls from several Python threads never mix, and all of them land in the one registry.
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace fpgaops {
namespace hw {
namespace cycles {

// One (kernel, region, process) row, summed over invocations.
struct ProcessRecord {
  std::string kernel, region, process;
  int ii = 0, depth = 0;
  long long calls = 0, iterations = 0, loops = 0, cycles = 0;
};
// One (kernel, region) row: invocations and the sum over them of the slowest process.
struct RegionRecord {
  std::string kernel, region;
  long long calls = 0, cycles = 0;
};

class Registry {
 public:
  void reset() {
    std::lock_guard<std::mutex> lock(mu_);
    processes_.clear();
    regions_.clear();
  }
  void add_process(const ProcessRecord& r) {
    std::lock_guard<std::mutex> lock(mu_);
    ProcessRecord& a = processes_[key3(r.kernel, r.region, r.process)];
    if (a.calls == 0) a.kernel = r.kernel, a.region = r.region, a.process = r.process, a.ii = r.ii, a.depth = r.depth;
    a.calls += r.calls, a.iterations += r.iterations, a.loops += r.loops, a.cycles += r.cycles;
  }
  void add_region(const std::string& kernel, const std::string& region, long long cycles) {
    std::lock_guard<std::mutex> lock(mu_);
    RegionRecord& a = regions_[kernel + "\x1f" + region];
    a.kernel = kernel, a.region = region;
    a.calls += 1, a.cycles += cycles;
  }
  std::vector<ProcessRecord> processes() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<ProcessRecord> out;
    for (const auto& kv : processes_) out.push_back(kv.second);
    return out;
  }
  std::vector<RegionRecord> regions() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<RegionRecord> out;
    for (const auto& kv : regions_) out.push_back(kv.second);
    return out;
  }

 private:
  static std::string key3(const std::string& a, const std::string& b, const std::string& c) {
    return a + "\x1f" + b + "\x1f" + c;
  }
  mutable std::mutex mu_;
  std::map<std::string, ProcessRecord> processes_;
  std::map<std::string, RegionRecord> regions_;
};

inline Registry& registry() {
  static Registry r;
  return r;
}

// One process invocation being counted.
struct Counter {
  const char* name;
  int ii, depth;
  long long iterations, loops;
};

// Threads that run DATAFLOW processes, kept across regions (a region per output tile would
// otherwise create and destroy three threads per tile). run() starts every task at once, adding
// workers until each task has one: the processes of a region must all run concurrently. Never
// destroyed: idle workers are simply abandoned at process exit.
class WorkerPool {
 public:
  static WorkerPool& get() {
    static WorkerPool* pool = new WorkerPool;
    return *pool;
  }
  void run(std::vector<std::function<void()> >& tasks) {
    std::lock_guard<std::mutex> lock(mu_);
    for (std::function<void()>& t : tasks) queue_.push_back(std::move(t));
    const int need = int(queue_.size()) - idle_;
    for (int i = 0; i < need; i++) std::thread([this] { loop(); }).detach();
    idle_ += need > 0 ? need : 0;  // the new workers count as idle until they take a task
    cv_.notify_all();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return !queue_.empty(); });
      std::function<void()> task = std::move(queue_.front());
      queue_.pop_front();
      idle_--;
      lock.unlock();
      task();
      lock.lock();
      idle_++;
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()> > queue_;
  int idle_ = 0;
};

class RegionScope;
// What the simulating thread is inside of.
struct Context {
  const char* kernel = "<no kernel>";
  RegionScope* region = nullptr;
  Counter* process = nullptr;
};
inline Context& context() {
  static thread_local Context c;
  return c;
}

class KernelScope {
 public:
  explicit KernelScope(const char* name) : saved_(context().kernel) { context().kernel = name; }
  ~KernelScope() { context().kernel = saved_; }
  KernelScope(const KernelScope&) = delete;
  KernelScope& operator=(const KernelScope&) = delete;

 private:
  const char* saved_;
};

// A region invocation: runs its processes, collects their counters, commits them when it ends.
//
// With the project's simulation hls::stream (kernels/hls/sim/hls_stream.h: bounded FIFOs) every
// FPGAOPS_DATAFLOW_PROCESS of the region runs in a thread of its own, as the processes of a
// DATAFLOW region run concurrently in hardware; FPGAOPS_DATAFLOW_END() joins them and rethrows the
// first failure (a sim assert, or the deadlock the streams detect). With Vitis's own hls_stream.h
// (unbounded in C-simulation) the processes run one after the other, as Vitis C-simulation does.
class RegionScope {
 public:
  // concurrent == false: a process counted on its own (no DATAFLOW region around it).
  explicit RegionScope(const char* name, bool concurrent = true)
      : name_(name), saved_(context().region), concurrent_(concurrent) {
    context().region = this;
#ifdef FPGAOPS_SIM_HLS_STREAM_H
    df_.name = name;
    saved_df_ = hls::sim::current_dataflow();
    if (concurrent_) hls::sim::current_dataflow() = &df_;  // the region's streams, declared next, belong to df_
#endif
  }
  ~RegionScope() {
    join_quietly();
#ifdef FPGAOPS_SIM_HLS_STREAM_H
    hls::sim::current_dataflow() = saved_df_;
#endif
    context().region = saved_;
    if (error_) return;  // a failed region has no meaningful count
    const std::string kernel = context().kernel;
    long long slowest = 0;
    for (const Counter& c : done_) {
      ProcessRecord r;
      r.kernel = kernel, r.region = name_, r.process = c.name, r.ii = c.ii, r.depth = c.depth;
      r.calls = 1, r.iterations = c.iterations, r.loops = c.loops;
      r.cycles = c.iterations * c.ii + c.loops * c.depth;
      slowest = r.cycles > slowest ? r.cycles : slowest;
      registry().add_process(r);
    }
    registry().add_region(kernel, name_, slowest);
  }
  RegionScope(const RegionScope&) = delete;
  RegionScope& operator=(const RegionScope&) = delete;

  void finish(const Counter& c) {
    std::lock_guard<std::mutex> lock(mu_);
    done_.push_back(c);
  }

  // Add one process to the region. The processes start together in join(): a process started
  // before the others exist could fill a FIFO and see nobody alive to drain it.
  template <class F>
  void spawn(F f) {
#ifdef FPGAOPS_SIM_HLS_STREAM_H
    pending_.push_back(std::function<void()>(f));
#else
    f();
#endif
  }
  // Run every process (one thread each), wait for all; rethrow the first failure.
  void join() {
    start();
    join_quietly();
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void start() {
#ifdef FPGAOPS_SIM_HLS_STREAM_H
    if (pending_.empty()) return;
    {
      std::lock_guard<std::mutex> lock(df_.mu);
      df_.live += int(pending_.size());
    }
    running_ = int(pending_.size());
    const char* kernel = context().kernel;
    std::vector<std::function<void()> > tasks;
    for (std::function<void()>& f : pending_) tasks.push_back([this, f, kernel]() {
      context().kernel = kernel;
      context().region = this;
      context().process = nullptr;
      hls::sim::current_dataflow() = &df_;
      std::unique_lock<std::mutex> running(df_.mu);  // one process of the region runs at a time
      hls::sim::held_lock() = &running;
      try {
        f();
      } catch (...) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (!error_) error_ = std::current_exception();
        }
        df_.fail("another process of region '" + std::string(name_) + "' failed");
      }
      hls::sim::held_lock() = nullptr;
      context().region = nullptr;
      context().process = nullptr;
      hls::sim::current_dataflow() = nullptr;
      {
        std::unique_lock<std::mutex> lock(std::move(running));
        df_.live--;
        df_.cv.notify_all();  // its last writes may unblock the others
        df_.pending = false;
        if (df_.live > 0 && df_.blocked >= df_.live)
          df_.fail("DATAFLOW deadlock in region '" + std::string(name_) +
                   "': a process finished while every other one waits, on stream " + df_.waiting() +
                   " (a producer writes fewer elements than its consumer reads, or a FIFO is too shallow)");
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (--running_ == 0) done_cv_.notify_all();
    });
    pending_.clear();
    WorkerPool::get().run(tasks);
#endif
  }
  void join_quietly() {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [this] { return running_ == 0; });
  }
  const char* name_;
  RegionScope* saved_;
  bool concurrent_;
  std::vector<Counter> done_;
  std::mutex mu_;
  std::vector<std::function<void()> > pending_;
  std::condition_variable done_cv_;
  int running_ = 0;
  std::exception_ptr error_;
#ifdef FPGAOPS_SIM_HLS_STREAM_H
  hls::sim::Dataflow df_;
  hls::sim::Dataflow* saved_df_ = nullptr;
#endif
};

// A process invocation: counts its pipelined loops' iterations until it returns. Outside any region
// (a process called on its own) it is a region of its own, named after the process.
class ProcessScope {
 public:
  ProcessScope(const char* name, int ii, int depth) : saved_(context().process) {
    c_.name = name, c_.ii = ii, c_.depth = depth, c_.iterations = 0, c_.loops = 0;
    if (context().region == nullptr) own_.reset(new RegionScope(name, false));
    context().process = &c_;
  }
  ~ProcessScope() {
    context().process = saved_;
    if (context().region != nullptr) context().region->finish(c_);
  }
  ProcessScope(const ProcessScope&) = delete;
  ProcessScope& operator=(const ProcessScope&) = delete;

 private:
  Counter c_;
  Counter* saved_;
  std::unique_ptr<RegionScope> own_;  // destroyed after the destructor body: commits this process
};

inline void loop(long long trips) {
  Counter* c = context().process;
  if (c != nullptr && trips > 0) c->loops++;
}
inline void iter(long long n) {
  Counter* c = context().process;
  if (c != nullptr) c->iterations += n;
}

}  // namespace cycles
}  // namespace hw
}  // namespace fpgaops

// ---- dsp_int<W>: the integer type of the DSP48E2 model (gemm.hpp, Dsp48e2T) ----------------------------
// Under synthesis dsp_int<W> is ap_int<W>. In C-simulation it is SimInt<W>: W-bit two's-complement
// integers held in an int64_t and wrapped to W bits on every construction, with exactly ap_int's
// result widths for the operations the DSP model uses (a + b: max(Wa, Wb) + 1 bits, a * b: Wa + Wb
// bits, << and >> keep W bits, narrowing keeps the low bits). Same bits as ap_int<W>, about 100x
// faster than the hls4ml ap_types in C-simulation (the packed MAC array runs billions of these per
// network). hls_tests/gemm_tb.cpp proves the two agree: Dsp48e2T<ap_int> against Dsp48e2T<SimInt>
// on every int8 pair and on chains at the limits.
#include <stdint.h>

namespace fpgaops {
namespace hw {

template <int W>
class SimInt {
  static_assert(W >= 1 && W <= 64, "SimInt is at most 64 bits wide");

 public:
  SimInt() : v_(0) {}
  SimInt(long long x) : v_(wrap(x)) {}  // NOLINT: implicit, like ap_int
  SimInt(int x) : v_(wrap(x)) {}        // NOLINT
  template <int W2>
  SimInt(const SimInt<W2>& o) : v_(wrap(o.to_int64())) {}  // NOLINT: narrowing keeps the low W bits
  long long to_int64() const { return v_; }
  int to_int() const { return static_cast<int>(v_); }
  bool get_bit(int i) const { return (static_cast<unsigned long long>(v_) >> i) & 1u; }
  SimInt operator<<(int sh) const { return SimInt(static_cast<long long>(static_cast<unsigned long long>(v_) << sh)); }
  SimInt operator>>(int sh) const { return SimInt(v_ >> sh); }  // arithmetic, as ap_int's signed shift

 private:
  static long long wrap(long long x) {
    return W == 64 ? x : static_cast<long long>(static_cast<unsigned long long>(x) << (64 - W)) >> (64 - W);
  }
  long long v_;
};

template <int A, int B>
inline SimInt<(A > B ? A : B) + 1 <= 64 ? (A > B ? A : B) + 1 : 64> operator+(const SimInt<A>& a, const SimInt<B>& b) {
  return SimInt<(A > B ? A : B) + 1 <= 64 ? (A > B ? A : B) + 1 : 64>(a.to_int64() + b.to_int64());
}
template <int A, int B>
inline SimInt<A + B> operator*(const SimInt<A>& a, const SimInt<B>& b) {
  static_assert(A + B <= 64, "SimInt product wider than 64 bits");
  return SimInt<A + B>(a.to_int64() * b.to_int64());
}

template <int W>
using dsp_int = SimInt<W>;

}  // namespace hw
}  // namespace fpgaops

#define FPGAOPS_CYCLES_CAT2_(a, b) a##b
#define FPGAOPS_CYCLES_CAT_(a, b) FPGAOPS_CYCLES_CAT2_(a, b)
#define FPGAOPS_CYCLES_KERNEL(name) \
  ::fpgaops::hw::cycles::KernelScope FPGAOPS_CYCLES_CAT_(fpgaops_cycles_kernel_, __LINE__)(name)
#define FPGAOPS_CYCLES_REGION(name) ::fpgaops::hw::cycles::RegionScope fpgaops_region_(name)
#define FPGAOPS_DATAFLOW_PROCESS(...) fpgaops_region_.spawn([&]() { __VA_ARGS__; })
#define FPGAOPS_DATAFLOW_END() fpgaops_region_.join()
#define FPGAOPS_CYCLES_PROCESS(name, ii, depth) \
  ::fpgaops::hw::cycles::ProcessScope FPGAOPS_CYCLES_CAT_(fpgaops_cycles_process_, __LINE__)(name, ii, depth)
#define FPGAOPS_CYCLES_LOOP(trips) ::fpgaops::hw::cycles::loop(trips)
#define FPGAOPS_CYCLES_ITER() ::fpgaops::hw::cycles::iter(1)
#define FPGAOPS_CYCLES_ITERS(n) ::fpgaops::hw::cycles::iter(n)


#else  // synthesis: no checks, no counters, no code; the DSP model computes on ap_int

#include <ap_int.h>

namespace fpgaops {
namespace hw {
template <int W>
using dsp_int = ap_int<W>;
}  // namespace hw
}  // namespace fpgaops

#define FPGAOPS_SIM_ASSERT(cond, msg) \
  do {                                \
  } while (0)
#define FPGAOPS_CYCLES_KERNEL(name)
#define FPGAOPS_CYCLES_REGION(name)
#define FPGAOPS_DATAFLOW_PROCESS(...) __VA_ARGS__
#define FPGAOPS_DATAFLOW_END() \
  do {                         \
  } while (0)
#define FPGAOPS_CYCLES_PROCESS(name, ii, depth)
#define FPGAOPS_CYCLES_LOOP(trips) \
  do {                             \
  } while (0)
#define FPGAOPS_CYCLES_ITER() \
  do {                        \
  } while (0)
#define FPGAOPS_CYCLES_ITERS(n) \
  do {                          \
  } while (0)

#endif  // __SYNTHESIS__

#endif  // FPGAOPS_SIM_ASSERT_HPP
