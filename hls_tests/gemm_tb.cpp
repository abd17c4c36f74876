// C-simulation testbench of the GEMM tops (kernels/hls/top/fpgaops_gemm.cpp).
//
//   gemm_tb <vector dir>        (vectors from gen_vectors.py gemm, the NumPy reference)
//
// Every case of <dir>/cases.txt runs through the extern "C" top exactly as the host calls it: operands
// in word-aligned buffers padded to whole AXI words plus a guard word, the padding poisoned (0xff:
// NaN / -1) so a kernel that uses bytes past a tensor gets caught. y is pre-poisoned too, so an
// element the kernel forgets to write fails, and the guard bytes after y must survive (no write out of
// bounds). int8 results must be bit-exact; float32 results within the reference's per-element bound.
// Then a few malformed calls must be refused by the tops' C-simulation checks.
//
// Every case also runs through a second instantiation of the engine template with a deliberately
// awkward config (small, non-power-of-two tiles and PE array), so the template is proven for more
// than the build's config and every case crosses many more tile edges; then through the packed
// SIMD-8 array, and the int8 cases through the U50's int8-only PE 64 x SIMD 32 array.
//
// One line per case; exit status 1 if anything failed.
#include <stdint.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fpgaops/gemm.hpp"
#include "fpgaops/tops.hpp"
#include "npy.hpp"

namespace {

using fpgaops::hw::word_t;

const std::size_t kWordBytes = fpgaops::hw::WORD_BITS / 8;
const std::size_t kAlign = kWordBytes > 64 ? kWordBytes : 64;
const unsigned char kPoison = 0xff;

// A device-like buffer: aligned to the AXI word (and 64 bytes), rounded up to whole words plus one
// guard word, every byte past the payload poisoned.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t nbytes) : nbytes_(nbytes) {
    padded_ = (nbytes + kWordBytes - 1) / kWordBytes * kWordBytes + kWordBytes;
    raw_.assign(padded_ + kAlign, kPoison);
    const std::uintptr_t addr = reinterpret_cast<std::uintptr_t>(raw_.data());
    base_ = raw_.data() + (kAlign - addr % kAlign) % kAlign;
  }
  DeviceBuffer(const void* src, std::size_t nbytes) : DeviceBuffer(nbytes) { std::memcpy(base_, src, nbytes); }

  const word_t* words() const { return reinterpret_cast<const word_t*>(base_); }
  template <typename T>
  T* as() {
    return reinterpret_cast<T*>(base_);
  }
  // True when no byte after the payload was written.
  bool tail_intact() const {
    for (std::size_t i = nbytes_; i < padded_; i++)
      if (base_[i] != kPoison) return false;
    return true;
  }

 private:
  std::vector<unsigned char> raw_;
  unsigned char* base_;
  std::size_t nbytes_, padded_;
};

// How a case is launched: through the build's extern "C" tops, or straight into the engine template
// with another config.
struct TopRunner {
  static const char* name() { return "top"; }
  static void f32(const word_t* a, const word_t* b, const word_t* c, float* y, int batch, int m, int n, int k,
                  int sa, int sb, int sc, int ldc, int ta, int tb, float alpha, float beta) {
    fpgaops_gemm_f32(a, b, c, y, batch, m, n, k, sa, sb, sc, ldc, ta, tb, alpha, beta);
  }
  static void i8(const word_t* a, const word_t* b, const word_t* c, int32_t* y, int batch, int m, int n, int k,
                 int sa, int sb, int sc, int ldc, int ta, int tb, int beta) {
    fpgaops_gemm_i8(a, b, c, y, batch, m, n, k, sa, sb, sc, ldc, ta, tb, beta);
  }
};

// Tiles that are not powers of two and not multiples of the word, an odd PE (so unpacked int8), a
// SIMD of 4, a K slice of 12.
struct OddGemmConfig {
  static const int PE = 3;
  static const int SIMD = 4;
  static const bool PACK_INT8 = false;
  static const int TILE_M = 4 * PE;
  static const int TILE_N = 13;
  static const int TILE_K = 3 * SIMD;
  static const int MAX_DIM = fpgaops::cfg::GEMM_MAX_DIM;
  static const char* name() { return "odd"; }
};

// int8 packed two MACs per DSP with SIMD = 8: every cascade drains after 7 products and again after
// the 8th (the split of a full chain and of a one-product chain in every iteration).
struct PackedGemmConfig {
  static const int PE = 6;
  static const int SIMD = 8;
  static const bool PACK_INT8 = true;
  static const int TILE_M = 2 * PE;
  static const int TILE_N = 5;
  static const int TILE_K = 3 * SIMD;
  static const int MAX_DIM = fpgaops::cfg::GEMM_MAX_DIM;
  static const char* name() { return "packed"; }
};

// The U50 board's int8-only MAC array (platforms/u50/kernel.toml: gemm.float32 = 0): PE 64 x SIMD
// 32, packed, 64^3 tiles. SIMD 32 exceeds the float32 lanes of a 512-bit word, so only the int8
// cases run on it (the float32 engine does not compile with it).
struct WideInt8GemmConfig {
  static const int PE = 64;
  static const int SIMD = 32;
  static const bool PACK_INT8 = true;
  static const int TILE_M = 64;
  static const int TILE_N = 64;
  static const int TILE_K = 64;
  static const int MAX_DIM = fpgaops::cfg::GEMM_MAX_DIM;
  static const char* name() { return "wide_i8"; }
};

template <class Cfg>
struct EngineRunner {
  static const char* name() { return Cfg::name(); }
  static void f32(const word_t* a, const word_t* b, const word_t* c, float* y, int batch, int m, int n, int k,
                  int sa, int sb, int sc, int ldc, int ta, int tb, float alpha, float beta) {
    const fpgaops::hw::GemmArgs<float> g = {batch, m, n, k, sa, sb, sc, ldc, ta != 0, tb != 0, alpha, beta};
    fpgaops::hw::gemm<Cfg, fpgaops::hw::GemmF32>(a, b, c, y, g);
  }
  static void i8(const word_t* a, const word_t* b, const word_t* c, int32_t* y, int batch, int m, int n, int k,
                 int sa, int sb, int sc, int ldc, int ta, int tb, int beta) {
    const fpgaops::hw::GemmArgs<int> g = {batch, m, n, k, sa, sb, sc, ldc, ta != 0, tb != 0, 1, beta};
    fpgaops::hw::gemm<Cfg, fpgaops::hw::GemmI8>(a, b, c, y, g);
  }
};

// The wide array runs the int8 cases only: its f32 hides the engine's, which would not compile.
struct WideInt8Runner : EngineRunner<WideInt8GemmConfig> {
  static void f32(const word_t*, const word_t*, const word_t*, float*, int, int, int, int, int, int, int, int, int,
                  int, float, float) {
    throw std::runtime_error("a float32 case on the int8-only array");
  }
};

struct Case {
  std::string name, dtype;
  int batch, m, n, k, stride_a, stride_b, stride_c, ldc, trans_a, trans_b;
  double alpha, beta;
  int has_c;
};

std::vector<Case> read_manifest(const std::string& dir) {
  const std::string path = dir + "/cases.txt";
  std::ifstream f(path.c_str());
  if (!f) throw std::runtime_error(path + ": cannot open (run gen_vectors.py first)");
  std::vector<Case> cases;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    Case c;
    if (!(ss >> c.name >> c.dtype >> c.batch >> c.m >> c.n >> c.k >> c.stride_a >> c.stride_b >> c.stride_c >> c.ldc >>
          c.trans_a >> c.trans_b >> c.alpha >> c.beta >> c.has_c))
      throw std::runtime_error(path + ": malformed line: " + line);
    cases.push_back(c);
  }
  if (cases.empty()) throw std::runtime_error(path + ": no cases");
  return cases;
}

std::string describe(const Case& c) {
  std::ostringstream os;
  os << "batch=" << c.batch << " m=" << c.m << " n=" << c.n << " k=" << c.k << " ta=" << c.trans_a
     << " tb=" << c.trans_b;
  if (c.batch > 1) os << " strides=" << c.stride_a << "," << c.stride_b << "," << c.stride_c;
  if (c.has_c) os << " c(" << (c.ldc ? "full" : "row") << ") alpha=" << c.alpha << " beta=" << c.beta;
  return os.str();
}

// Returns true on success; prints one line either way.
template <typename In, typename Out, class Run>
bool run_case(const std::string& dir, const Case& c) {
  const std::string stem = dir + "/" + c.name + ".";
  const npy::Array a = npy::load(stem + "a.npy");
  const npy::Array b = npy::load(stem + "b.npy");
  const npy::Array y_ref = npy::load(stem + "y.npy");
  npy::Array c_arr, tol;
  if (c.has_c) c_arr = npy::load(stem + "c.npy");
  const bool is_float = sizeof(In) == 4;
  if (is_float) tol = npy::load(stem + "tol.npy");

  const std::size_t count = std::size_t(c.batch) * c.m * c.n;
  if (y_ref.size() != count) throw std::runtime_error(stem + "y.npy: size does not match the case");

  DeviceBuffer da(a.data<In>(), a.bytes.size());
  DeviceBuffer db(b.data<In>(), b.bytes.size());
  DeviceBuffer dc(c.has_c ? static_cast<const void*>(c_arr.data<Out>()) : "", c.has_c ? c_arr.bytes.size() : 0);
  DeviceBuffer dy(count * sizeof(Out));
  // Without C the host passes A's buffer (never read when beta == 0); do the same.
  const word_t* pc = c.has_c ? dc.words() : da.words();

  const auto t0 = std::chrono::steady_clock::now();
  if (is_float) {
    Run::f32(da.words(), db.words(), pc, dy.as<float>(), c.batch, c.m, c.n, c.k, c.stride_a, c.stride_b,
                     c.stride_c, c.ldc, c.trans_a, c.trans_b, float(c.alpha), float(c.beta));
  } else {
    Run::i8(da.words(), db.words(), pc, dy.as<int32_t>(), c.batch, c.m, c.n, c.k, c.stride_a, c.stride_b,
                    c.stride_c, c.ldc, c.trans_a, c.trans_b, int(c.beta));
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  const Out* y = dy.as<Out>();
  const Out* ref = y_ref.data<Out>();
  std::size_t bad = 0, first_bad = 0;
  double worst = 0.0;  // float: max |err| / tol
  for (std::size_t i = 0; i < count; i++) {
    bool ok;
    if (is_float) {
      const double t = tol.data<double>()[i];
      const double d = std::fabs(double(y[i]) - double(ref[i]));
      ok = (d <= t) || (std::isnan(double(y[i])) && std::isnan(double(ref[i])));
      if (ok && t > 0 && d / t > worst) worst = d / t;
    } else {
      ok = y[i] == ref[i];
    }
    if (!ok && bad++ == 0) first_bad = i;
  }
  const bool tail_ok = dy.tail_intact();
  const bool pass = bad == 0 && tail_ok;
  std::printf("%s [%s] %-34s %s  (%.1f ms", pass ? "PASS" : "FAIL", Run::name(), c.name.c_str(), describe(c).c_str(),
              ms);
  if (is_float) std::printf(", max |err|/tol = %.3g", worst);
  std::printf(")\n");
  if (bad) {
    const std::size_t i = first_bad, p = i / (std::size_t(c.m) * c.n), r = i % (std::size_t(c.m) * c.n);
    std::ostringstream os;
    os << "     " << bad << " of " << count << " elements wrong; first at [" << p << ", " << r / c.n << ", " << r % c.n
       << "]: got " << y[i] << ", expected " << ref[i];
    if (is_float) os << " (tolerance " << tol.data<double>()[i] << ")";
    std::printf("%s\n", os.str().c_str());
    const std::string dump = stem + "y_csim_" + Run::name() + ".npy";
    npy::save(dump, y, {std::size_t(c.batch), std::size_t(c.m), std::size_t(c.n)});
    std::printf("     kernel output written to %s\n", dump.c_str());
  }
  if (!tail_ok) std::printf("     the kernel wrote past the end of y\n");
  return pass;
}

// Malformed calls the tops must refuse (FPGAOPS_SIM_ASSERT) instead of touching memory.
int check_refusals() {
  DeviceBuffer buf(1 << 16);
  const word_t* w = buf.words();
  float* yf = buf.as<float>();
  int32_t* yi = buf.as<int32_t>();
  struct Bad {
    const char* what;
    int batch, m, n, k, sa, sb, sc, ldc, ta, tb, beta;
  };
  const Bad bad[] = {
      {"m = 0", 1, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0},
      {"n < 0", 1, 4, -1, 4, 0, 0, 0, 0, 0, 0, 0},
      {"k > gemm.max_dim", 1, 1, 1, fpgaops::cfg::GEMM_MAX_DIM + 1, 0, 0, 0, 0, 0, 0, 0},
      {"batch = 0", 0, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0},
      {"negative stride", 2, 4, 4, 4, -16, 0, 0, 0, 0, 0, 0},
      {"ldc not in {0, n}", 1, 4, 4, 4, 0, 0, 0, 3, 0, 0, 1},
      {"trans_a = 2", 1, 4, 4, 4, 0, 0, 0, 0, 2, 0, 0},
      {"span > 2^31", 3, 4, 4, 4, 0x40000000, 0, 0, 0, 0, 0, 0},
  };
  int failures = 0;
  for (const Bad& t : bad) {
    for (int dt = 0; dt < 2; dt++) {
      bool refused = false;
      std::string msg;
      try {
        if (dt == 0)
          fpgaops_gemm_f32(w, w, w, yf, t.batch, t.m, t.n, t.k, t.sa, t.sb, t.sc, t.ldc, t.ta, t.tb, 1.0f, float(t.beta));
        else
          fpgaops_gemm_i8(w, w, w, yi, t.batch, t.m, t.n, t.k, t.sa, t.sb, t.sc, t.ldc, t.ta, t.tb, t.beta);
      } catch (const std::runtime_error& e) {
        refused = true;
        msg = e.what();
      }
      std::printf("%s refuse_%s_%s%s%s\n", refused ? "PASS" : "FAIL", dt ? "i8" : "f32", t.what,
                  refused ? "  -> " : "  (the top accepted it)", refused ? msg.substr(msg.rfind("check failed")).c_str() : "");
      failures += !refused;
    }
  }
  // int8: beta must be 0 or 1
  bool refused = false;
  try {
    fpgaops_gemm_i8(w, w, w, yi, 1, 4, 4, 4, 0, 0, 0, 4, 0, 0, 2);
  } catch (const std::runtime_error&) {
    refused = true;
  }
  std::printf("%s refuse_i8_beta = 2\n", refused ? "PASS" : "FAIL");
  failures += !refused;
  return failures;
}

}  // namespace

// ---- the DSP48E2 packing model (dsp48e2.hpp Dsp48e2T, WP486) --------------------------------------------
// One packed cascade: P = sum_s preadd(hi[s], lo[s]) * x[s] over n products, split into the two
// fields. Returns false (and prints) when either field differs from the exact integer sums.
template <class D>
bool packed_chain(const int8_t* hi, const int8_t* lo, const int8_t* x, int n, int32_t& got_lo, int32_t& got_hi) {
  typename D::p_t p = 0;
  for (int s = 0; s < n; s++) p = s == 0 ? typename D::p_t(D::mul(D::preadd(hi[s], lo[s]), x[s])) :
                                           D::add(p, D::mul(D::preadd(hi[s], lo[s]), x[s]));
  D::split(p, got_lo, got_hi);
  int32_t want_lo = 0, want_hi = 0;
  for (int s = 0; s < n; s++) want_lo += lo[s] * x[s], want_hi += hi[s] * x[s];
  return got_lo == want_lo && got_hi == want_hi;
}

template <int W>
using ApInt = ap_int<W>;

// The arithmetic on ap_int of the DSP's port widths (what synthesis sees) and on its C-simulation
// form (SimInt) give the same fields, equal to the exact sums: every (w_hi, w_lo) pair against the
// extreme and small activations, chains of MAX_CHAIN at both extremes of the low field, random
// chains; and one product more than MAX_CHAIN at -128 x -128 does overflow the low field (the limit
// is tight, so the drain is needed).
int check_dsp_model() {
  typedef fpgaops::hw::Dsp48e2T<ApInt> Ap;
  typedef fpgaops::hw::Dsp48e2T<fpgaops::hw::SimInt> Sim;
  const int N = Ap::MAX_CHAIN;
  int bad = 0;
  const int8_t xs[] = {-128, -127, -1, 0, 1, 2, 127};
  for (int h = -128; h < 128; h++)
    for (int l = -128; l < 128; l++)
      for (int8_t x : xs) {
        const int8_t hi = int8_t(h), lo = int8_t(l);
        int32_t a_lo, a_hi, s_lo, s_hi;
        const bool ok_a = packed_chain<Ap>(&hi, &lo, &x, 1, a_lo, a_hi);
        const bool ok_s = packed_chain<Sim>(&hi, &lo, &x, 1, s_lo, s_hi);
        if (!ok_a || !ok_s || a_lo != s_lo || a_hi != s_hi) {
          if (bad++ < 5) std::printf("FAIL dsp: w_hi=%d w_lo=%d x=%d: ap (%d, %d) sim (%d, %d)\n", h, l, x, a_lo, a_hi, s_lo, s_hi);
        }
      }
  // Chains of MAX_CHAIN products at the limits and at random.
  unsigned seed = 12345u;
  for (int t = 0; t < 20000; t++) {
    int8_t hi[16], lo[16], x[16];
    for (int s = 0; s < N; s++) {
      seed = seed * 1103515245u + 12345u;
      const int r = int(seed >> 8);
      switch (t % 4) {
        case 0: hi[s] = -128, lo[s] = -128, x[s] = -128; break;                 // low field at +7 * 2^14
        case 1: hi[s] = 127, lo[s] = -128, x[s] = 127; break;                   // low field at -7 * 127 * 128
        case 2: hi[s] = int8_t(r), lo[s] = -128, x[s] = int8_t(r & 1 ? -128 : 127); break;
        default: hi[s] = int8_t(r), lo[s] = int8_t(r >> 8), x[s] = int8_t(r >> 16); break;
      }
    }
    int32_t a_lo, a_hi, s_lo, s_hi;
    const bool ok_a = packed_chain<Ap>(hi, lo, x, N, a_lo, a_hi);
    const bool ok_s = packed_chain<Sim>(hi, lo, x, N, s_lo, s_hi);
    if (!ok_a || !ok_s || a_lo != s_lo || a_hi != s_hi) {
      if (bad++ < 10) std::printf("FAIL dsp chain %d: ap (%d, %d) sim (%d, %d)\n", t, a_lo, a_hi, s_lo, s_hi);
    }
  }
  {
    int8_t hi[16], lo[16], x[16];
    for (int s = 0; s <= N; s++) hi[s] = lo[s] = x[s] = -128;
    int32_t g_lo, g_hi;
    if (packed_chain<Ap>(hi, lo, x, N + 1, g_lo, g_hi) || packed_chain<Sim>(hi, lo, x, N + 1, g_lo, g_hi)) {
      bad++;
      std::printf("FAIL dsp: a chain of MAX_CHAIN + 1 = %d products of -128 x -128 did not overflow the low field: "
                  "MAX_CHAIN is not the limit\n", N + 1);
    }
  }
  std::printf("%s dsp model: ap_int and SimInt packing exact on every int8 weight pair and %d-product chains\n",
              bad ? "FAIL" : "PASS", N);
  return bad;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <vector dir from gen_vectors.py gemm>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  int failures = 0, total = 0;
  try {
    const std::vector<Case> cases = read_manifest(dir);
    const char* pass_names[4] = {"top", "odd", "packed", "wide_i8"};
    for (int pass = 0; pass < 4; pass++) {
      for (const Case& c : cases) {
        if (pass == 3 && c.dtype != "i8") continue;  // the int8-only array
        total++;
        bool ok = false;
        try {
          if (c.dtype == "f32")
            ok = pass == 0   ? run_case<float, float, TopRunner>(dir, c)
                 : pass == 1 ? run_case<float, float, EngineRunner<OddGemmConfig> >(dir, c)
                             : run_case<float, float, EngineRunner<PackedGemmConfig> >(dir, c);
          else if (c.dtype == "i8")
            ok = pass == 0   ? run_case<int8_t, int32_t, TopRunner>(dir, c)
                 : pass == 1 ? run_case<int8_t, int32_t, EngineRunner<OddGemmConfig> >(dir, c)
                 : pass == 2 ? run_case<int8_t, int32_t, EngineRunner<PackedGemmConfig> >(dir, c)
                             : run_case<int8_t, int32_t, WideInt8Runner>(dir, c);
          else
            throw std::runtime_error("unknown dtype '" + c.dtype + "'");
        } catch (const std::exception& e) {
          std::printf("FAIL [%s] %-34s %s\n     %s\n", pass_names[pass], c.name.c_str(), describe(c).c_str(),
                      e.what());
        }
        failures += !ok;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gemm_tb: %s\n", e.what());
    return 2;
  }
  const int refusals = check_refusals();
  failures += check_dsp_model() != 0;
  std::printf("gemm_tb: %d/%d vector runs passed, %d refusal check(s) failed\n", total - failures, total, refusals);
  return failures || refusals ? 1 : 0;
}
