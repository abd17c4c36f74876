// fpgaops' own hls::stream for C-simulation without Vitis HLS (written from scratch for this
// project; with Vitis installed, $XILINX_HLS/include/hls_stream.h is used instead and this folder
// is not on the include path).
//
// Semantics: a FIFO of the declared depth, as in hardware.
//   * hls::stream<T, DEPTH> holds at most DEPTH elements (hls::stream<T>: Vitis HLS's default
//     FIFO depth, 2). Like Vitis's, stream<T, DEPTH> derives from stream<T>, so processes take
//     `hls::stream<T>&` whatever the depth of the channel they are given.
//   * Inside a DATAFLOW region run by the kernels' simulation runtime (FPGAOPS_DATAFLOW_PROCESS in
//     fpgaops/sim_assert.hpp: each process a thread), reads block while the FIFO is empty and
//     writes block while it is full, as the hardware handshake does. When every live process of
//     the region is blocked, the region is deadlocked -- in hardware it would hang -- and every
//     process gets std::runtime_error naming the stream, whether it was full or empty, and its
//     depth. So a FIFO declared too shallow for the order in which its processes produce and
//     consume fails the C-simulation instead of passing silently.
//   * Outside such a region (a stream written and read by one process, or the sequential
//     fallback) nothing can drain a full FIFO or fill an empty one: a write to a full stream and a
//     read from an empty stream throw std::runtime_error naming the stream at once.
//   * A stream destroyed with data still in it means a consumer read fewer elements than were
//     written (RTL co-simulation would stall): a warning naming the stream is printed to stderr.
//
// C++11 and later; header-only; no state outside the stream and region objects (re-entrant: each
// thread's current region is thread_local).
#ifndef FPGAOPS_SIM_HLS_STREAM_H
#define FPGAOPS_SIM_HLS_STREAM_H

#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

namespace hls {
namespace sim {

// The shared state of one DATAFLOW region whose processes run as threads: the lock every stream
// of the region takes, how many processes are alive and how many of them are blocked on a stream.
struct Dataflow {
  std::mutex mu;
  std::condition_variable cv;
  int live = 0;
  int blocked = 0;          // processes that found their stream full / empty since the last change
  unsigned long long epoch = 0;  // bumped by every read and write: a change that may unblock someone
  bool failed = false;
  std::string why;
  std::string name;
  std::map<const void*, std::string> waits;  // what each blocked process waits for

  // Under mu: every stream a process is blocked on, for the deadlock report.
  std::string waiting() const {
    std::string out;
    for (const auto& w : waits) out += (out.empty() ? "" : "; ") + w.second;
    return out;
  }

  bool pending = false;      // a change nobody was woken for yet

  // Under mu: a stream changed, so every blocked process must re-check (and re-count itself).
  // Waking them is deferred until the change matters (a FIFO became empty or full) or the
  // changing process is about to wait itself: the FIFO semantics are the same, and producer and
  // consumer hand over a FIFO's worth at a time instead of one context switch per element.
  void changed(bool urgent) {
    epoch++;
    blocked = 0;
    if (urgent) {
      pending = false;
      cv.notify_all();
    } else {
      pending = true;
    }
  }
  void flush() {
    if (pending) {
      pending = false;
      cv.notify_all();
    }
  }
  // Under mu. The first failure wins; every waiting process wakes up and throws it.
  void fail(const std::string& msg) {
    if (!failed) {
      failed = true;
      why = msg;
    }
    cv.notify_all();
  }
};

// The region the calling thread's processes belong to (nullptr: none).
inline Dataflow*& current_dataflow() {
  static thread_local Dataflow* d = nullptr;
  return d;
}

// The processes of a region run as threads but one at a time: a process holds its region's lock
// while it runs and gives it up only while it waits on a full or empty stream (or when it ends).
// That is all the concurrency a FIFO handshake needs, it is deterministic for a given schedule, and
// it costs no lock traffic per element. held_lock() is the running process's lock (nullptr
// outside a process).
inline std::unique_lock<std::mutex>*& held_lock() {
  static thread_local std::unique_lock<std::mutex>* l = nullptr;
  return l;
}

// The region's lock for one stream access: the one this process already holds, else its own.
class Guard {
 public:
  explicit Guard(Dataflow* d) : l_(held_lock()) {
    if (!l_) {
      own_ = std::unique_lock<std::mutex>(d->mu);
      l_ = &own_;
    }
  }
  std::unique_lock<std::mutex>& lock() { return *l_; }

 private:
  std::unique_lock<std::mutex> own_;
  std::unique_lock<std::mutex>* l_;
};

}  // namespace sim

template <typename T, int DEPTH = 0>
class stream;

template <typename T>
class stream<T, 0> {
 public:
  typedef T value_type;
  static const int DEFAULT_DEPTH = 2;  // Vitis HLS's default FIFO depth

  stream() : name_(default_name()), depth_(DEFAULT_DEPTH), df_(sim::current_dataflow()) {}
  explicit stream(const char* name)
      : name_(name && *name ? name : default_name()), depth_(DEFAULT_DEPTH), df_(sim::current_dataflow()) {}
  explicit stream(const std::string& name)
      : name_(name.empty() ? default_name() : name), depth_(DEFAULT_DEPTH), df_(sim::current_dataflow()) {}

  // A stream is a hardware channel: it cannot be copied or assigned.
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  ~stream() {
    if (!q_.empty() && !unwinding() && !(df_ && df_->failed))
      std::fprintf(stderr,
                   "fpgaops hls::stream warning: stream '%s' destroyed with %zu unread element(s); "
                   "its consumer reads fewer elements than its producer writes\n",
                   name_.c_str(), q_.size());
  }

  // ---- reads ----------------------------------------------------------------------------------
  T read() {
    if (!df_) {
      if (q_.empty()) fail_sequential("read from an empty stream");
      return pop();
    }
    sim::Guard g(df_);
    unsigned long long seen = ~0ull;
    while (q_.empty()) wait(g.lock(), "empty", seen);
    T v = pop();
    df_->changed(q_.empty());
    return v;
  }
  void read(T& v) { v = read(); }
  // Non-blocking read: false (and v untouched) when the stream is empty.
  bool read_nb(T& v) {
    if (!df_) {
      if (q_.empty()) return false;
      v = pop();
      return true;
    }
    sim::Guard g(df_);
    if (q_.empty()) return false;
    v = pop();
    df_->changed(true);
    return true;
  }
  void operator>>(T& v) { read(v); }

  // ---- writes ---------------------------------------------------------------------------------
  void write(const T& v) {
    if (!df_) {
      if (q_.size() >= std::size_t(depth_)) fail_sequential("write to a full stream");
      q_.push_back(v);
      return;
    }
    sim::Guard g(df_);
    unsigned long long seen = ~0ull;
    while (q_.size() >= std::size_t(depth_)) wait(g.lock(), "full", seen);
    q_.push_back(v);
    df_->changed(q_.size() >= std::size_t(depth_));
  }
  // Non-blocking write: false (and nothing written) when the stream is full.
  bool write_nb(const T& v) {
    if (!df_) {
      if (q_.size() >= std::size_t(depth_)) return false;
      q_.push_back(v);
      return true;
    }
    sim::Guard g(df_);
    if (q_.size() >= std::size_t(depth_)) return false;
    q_.push_back(v);
    df_->changed(true);
    return true;
  }
  void operator<<(const T& v) { write(v); }

  // ---- status ---------------------------------------------------------------------------------
  bool empty() const { return size() == 0; }
  bool full() const { return size() >= std::size_t(depth_); }
  std::size_t size() const {
    if (!df_) return q_.size();
    sim::Guard g(df_);
    return q_.size();
  }
  const std::string& name() const { return name_; }
  int depth() const { return depth_; }

 protected:
  stream(const char* name, int depth)
      : name_(name && *name ? name : default_name()), depth_(depth), df_(sim::current_dataflow()) {}

 private:
  static const char* default_name() { return "<unnamed hls::stream>"; }

  T pop() {
    T v = q_.front();
    q_.pop_front();
    return v;
  }

  // Blocked on this stream (under df_->mu). A process counts itself blocked once per epoch (since
  // the last read or write anywhere in the region): when all live processes have, nothing can
  // change any more -- a deadlock.
  void wait(std::unique_lock<std::mutex>& lock, const char* state, unsigned long long& seen) {
    if (df_->failed) throw std::runtime_error(df_->why);
    if (seen != df_->epoch) {
      seen = df_->epoch;
      df_->blocked++;
    }
    const std::string mine = "'" + name_ + "' " + state + " (depth " + std::to_string(depth_) + ")";
    if (df_->blocked >= df_->live) {
      const std::string others = df_->waiting();
      df_->fail("DATAFLOW deadlock in region '" + df_->name + "': every process is blocked, on stream " + mine +
                (others.empty() ? "" : "; " + others) +
                ". A FIFO declared too shallow for the order its processes write and read it, or a producer that "
                "writes fewer elements than its consumer reads (in hardware the region would hang)");
      throw std::runtime_error(df_->why);
    }
    df_->flush();  // whoever this process's own changes unblock must run now
    df_->waits[&seen] = mine;
    df_->cv.wait(lock);
    df_->waits.erase(&seen);
    if (df_->failed) throw std::runtime_error(df_->why);
  }

  [[noreturn]] void fail_sequential(const char* what) const {
    throw std::runtime_error("hls::stream '" + name_ + "' (depth " + std::to_string(depth_) + "): " + what +
                             " outside a concurrently simulated DATAFLOW region: nothing else can drain or fill "
                             "it, so in hardware this access would block forever");
  }

  static bool unwinding() {
#if __cplusplus >= 201703L
    return std::uncaught_exceptions() > 0;
#else
    return std::uncaught_exception();
#endif
  }

  std::deque<T> q_;
  std::string name_;
  int depth_;
  sim::Dataflow* df_;
};

// A FIFO of DEPTH elements (the form Vitis HLS also accepts instead of a STREAM depth pragma).
template <typename T, int DEPTH>
class stream : public stream<T, 0> {
  static_assert(DEPTH >= 1, "hls::stream depth must be >= 1");

 public:
  stream() : stream<T, 0>("", DEPTH) {}
  explicit stream(const char* name) : stream<T, 0>(name, DEPTH) {}
};

}  // namespace hls

#endif  // FPGAOPS_SIM_HLS_STREAM_H
