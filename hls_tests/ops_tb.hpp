// Helpers shared by the pool / act_lut / eltwise C-simulation testbenches (vectors from
// gen_vectors_ops.py): device-like buffers, the column-named manifest, and result checks.
//
// Buffers are aligned to the AXI word, rounded up to whole words plus one guard word, and every byte
// past the payload is poisoned (0xff: NaN / -1). Kernels that write whole packed words (act, eltwise)
// may write the rest of the payload's last word (the host allocated it whole) but never the guard.
#ifndef FPGAOPS_HLS_TESTS_OPS_TB_HPP
#define FPGAOPS_HLS_TESTS_OPS_TB_HPP

#include <stdint.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fpgaops/tops.hpp"
#include "npy.hpp"

namespace opstb {

using fpgaops::hw::word_t;

const std::size_t kWordBytes = fpgaops::hw::WORD_BITS / 8;
const std::size_t kAlign = kWordBytes > 64 ? kWordBytes : 64;
const unsigned char kPoison = 0xff;

class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t nbytes) : nbytes_(nbytes) {
    whole_ = (nbytes + kWordBytes - 1) / kWordBytes * kWordBytes;
    padded_ = whole_ + kWordBytes;
    raw_.assign(padded_ + kAlign, kPoison);
    const std::uintptr_t addr = reinterpret_cast<std::uintptr_t>(raw_.data());
    base_ = raw_.data() + (kAlign - addr % kAlign) % kAlign;
  }
  DeviceBuffer(const void* src, std::size_t nbytes) : DeviceBuffer(nbytes) {
    if (nbytes) std::memcpy(base_, src, nbytes);
  }
  const word_t* words() const { return reinterpret_cast<const word_t*>(base_); }
  word_t* words() { return reinterpret_cast<word_t*>(base_); }
  std::size_t size() const { return nbytes_; }  // payload bytes
  template <typename T>
  T* as() {
    return reinterpret_cast<T*>(base_);
  }
  // No byte after the payload was written (element-wide outputs).
  bool tail_intact() const { return intact(nbytes_); }
  // The guard word is untouched (word-wide outputs may write the payload's last word whole).
  bool guard_intact() const { return intact(whole_); }

 private:
  bool intact(std::size_t from) const {
    for (std::size_t i = from; i < padded_; i++)
      if (base_[i] != kPoison) return false;
    return true;
  }
  std::vector<unsigned char> raw_;
  unsigned char* base_;
  std::size_t nbytes_, whole_, padded_;
};

// One manifest line: column name -> text.
class Row {
 public:
  Row(const std::vector<std::string>& cols, const std::string& line) {
    std::istringstream ss(line);
    for (const std::string& c : cols) {
      std::string v;
      if (!(ss >> v)) throw std::runtime_error("manifest: missing column '" + c + "' in: " + line);
      v_[c] = v;
    }
  }
  const std::string& str(const std::string& c) const {
    auto it = v_.find(c);
    if (it == v_.end()) throw std::runtime_error("manifest: no column '" + c + "'");
    return it->second;
  }
  long long i(const std::string& c) const { return std::stoll(str(c)); }
  // float32 written as the hex of its bits
  float f(const std::string& c) const {
    const uint32_t bits = static_cast<uint32_t>(std::stoul(str(c), nullptr, 16));
    float x;
    std::memcpy(&x, &bits, 4);
    return x;
  }

 private:
  std::map<std::string, std::string> v_;
};

inline std::vector<Row> read_manifest(const std::string& dir) {
  const std::string path = dir + "/cases.txt";
  std::ifstream f(path.c_str());
  if (!f) throw std::runtime_error(path + ": cannot open (run gen_vectors_ops.py first)");
  std::string line;
  std::vector<std::string> cols;
  std::vector<Row> rows;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream ss(line.substr(1));
      std::string c;
      cols.clear();
      while (ss >> c) cols.push_back(c);
      continue;
    }
    rows.emplace_back(cols, line);
  }
  if (rows.empty()) throw std::runtime_error(path + ": no cases");
  return rows;
}

// Compare n results: bit-exact (integers, or floats without tolerance; NaN matches NaN), or within a
// per-element tolerance. Returns the number of mismatches and reports the first.
template <typename T>
std::size_t compare(const T* got, const T* want, std::size_t n, const double* tol, std::string* first) {
  std::size_t bad = 0;
  for (std::size_t i = 0; i < n; i++) {
    const double g = double(got[i]), w = double(want[i]);
    bool ok;
    if (std::isnan(w)) {
      ok = std::isnan(g);
    } else if (tol && !std::isinf(w)) {
      ok = std::fabs(g - w) <= tol[i];
    } else {
      ok = g == w;
    }
    if (!ok && bad++ == 0) {
      std::ostringstream os;
      os << "element " << i << ": got " << g << ", want " << w;
      *first = os.str();
    }
  }
  return bad;
}

// A call that must be refused by the tops' C-simulation checks (std::runtime_error).
template <typename F>
bool refused(const char* what, F f) {
  try {
    f();
  } catch (const std::runtime_error&) {
    std::printf("  ok    refused: %s\n", what);
    return true;
  }
  std::printf("  FAIL  not refused: %s\n", what);
  return false;
}

inline int finish(const char* tb, int cases, int failed) {
  std::printf("%s: %d passed, %d failed\n", tb, cases - failed, failed);
  return failed ? 1 : 0;
}

// Runs case(dir, row) for every row of <dir>/manifest, printing a FAIL line for a case that throws;
// adds the rows to `cases`. Returns the number of failed cases, or -1 (after a message) when the
// vectors cannot be read.
template <typename Case>
int run_manifest(const char* dir, const char* tb, int& cases, Case run_case) {
  int failed = 0;
  try {
    for (const Row& c : read_manifest(dir)) {
      cases++;
      bool ok = false;
      try {
        ok = run_case(dir, c);
      } catch (const std::exception& e) {
        std::printf("  FAIL  %s: %s\n", c.str("name").c_str(), e.what());
      }
      failed += !ok;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", tb, e.what());
    return -1;
  }
  return failed;
}

}  // namespace opstb

#endif  // FPGAOPS_HLS_TESTS_OPS_TB_HPP
