// fpgaops' own hls::stream for C-simulation without Vitis HLS (written from scratch for this
// project; with Vitis installed, $XILINX_HLS/include/hls_stream.h is used instead and this folder
// is not on the include path).
//
// Semantics, as in Vitis C-simulation:
//   * a FIFO of unbounded depth (std::deque): in C-simulation the processes of a DATAFLOW region
//     run one after the other, so a producer must be able to write everything before its consumer
//     starts. The DEPTH template argument (or a STREAM pragma) only sizes the hardware FIFO.
//   * reading an empty stream is a bug in the kernel (the producer wrote fewer elements than the
//     consumer reads, or the processes are in the wrong order). Hardware would hang; here the read
//     throws std::runtime_error naming the stream, so the bug surfaces as an error, never a hang.
//   * a stream destroyed with data still in it means a consumer read fewer elements than were
//     written (RTL co-simulation would stall): a warning naming the stream is printed to stderr.
//
// C++11 and later; header-only; no state outside the stream objects (re-entrant).
#ifndef FPGAOPS_SIM_HLS_STREAM_H
#define FPGAOPS_SIM_HLS_STREAM_H

#include <cstddef>
#include <cstdio>
#include <deque>
#include <exception>
#include <stdexcept>
#include <string>

namespace hls {

template <typename T, int DEPTH = 0>
class stream {
 public:
  typedef T value_type;

  stream() : name_(default_name()) {}
  explicit stream(const char* name) : name_(name && *name ? name : default_name()) {}
  explicit stream(const std::string& name) : name_(name.empty() ? default_name() : name) {}

  // A stream is a hardware channel: it cannot be copied or assigned.
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  ~stream() {
    if (!q_.empty() && !unwinding())
      std::fprintf(stderr,
                   "fpgaops hls::stream warning: stream '%s' destroyed with %zu unread element(s); "
                   "its consumer reads fewer elements than its producer writes\n",
                   name_.c_str(), q_.size());
  }

  // ---- reads ----------------------------------------------------------------------------------
  T read() {
    if (q_.empty()) fail_empty();
    T v = q_.front();
    q_.pop_front();
    return v;
  }
  void read(T& v) { v = read(); }
  // Non-blocking read: false (and v untouched) when the stream is empty.
  bool read_nb(T& v) {
    if (q_.empty()) return false;
    v = read();
    return true;
  }
  void operator>>(T& v) { read(v); }

  // ---- writes ---------------------------------------------------------------------------------
  void write(const T& v) { q_.push_back(v); }
  // Non-blocking write: always succeeds in simulation (the FIFO is unbounded).
  bool write_nb(const T& v) {
    write(v);
    return true;
  }
  void operator<<(const T& v) { write(v); }

  // ---- status ---------------------------------------------------------------------------------
  bool empty() const { return q_.empty(); }
  bool full() const { return false; }  // unbounded in simulation
  std::size_t size() const { return q_.size(); }
  const std::string& name() const { return name_; }
  static int depth() { return DEPTH; }  // the DEPTH template argument (0: set by pragma / default)

 private:
  static const char* default_name() { return "<unnamed hls::stream>"; }

  [[noreturn]] void fail_empty() const {
    throw std::runtime_error(
        "hls::stream '" + name_ +
        "': read from an empty stream. In C-simulation DATAFLOW processes run in program order, so "
        "the producer of this stream wrote fewer elements than its consumer reads (in hardware this "
        "read would block forever)");
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
};

}  // namespace hls

#endif  // FPGAOPS_SIM_HLS_STREAM_H
