// Minimal .npy reader / writer for the C-simulation testbenches (written for this project).
//
// Supports what the testbench vectors use: format versions 1.0 (and 2.0/3.0 headers on read),
// C order, little-endian dtypes '<f4', '<f8', '|i1', '<i4' (and '|u1'). Anything else is rejected
// with a message naming the file. Throws std::runtime_error on every error.
//
//   npy::Array a = npy::load("a.npy");           // a.descr == "<f4", a.shape == {3, 4}
//   const float* p = a.data<float>();            // checks the dtype
//   npy::save("y.npy", y_ptr, {batch, m, n});    // dtype from the pointer type
#ifndef FPGAOPS_HLS_TESTS_NPY_HPP
#define FPGAOPS_HLS_TESTS_NPY_HPP

#include <stdint.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace npy {

template <typename T>
struct dtype;
template <>
struct dtype<float> {
  static const char* descr() { return "<f4"; }
};
template <>
struct dtype<double> {
  static const char* descr() { return "<f8"; }
};
template <>
struct dtype<int8_t> {
  static const char* descr() { return "|i1"; }
};
template <>
struct dtype<uint8_t> {
  static const char* descr() { return "|u1"; }
};
template <>
struct dtype<int32_t> {
  static const char* descr() { return "<i4"; }
};

inline std::size_t itemsize(const std::string& descr) {
  if (descr == "<f4" || descr == "<i4") return 4;
  if (descr == "<f8") return 8;
  if (descr == "|i1" || descr == "|u1") return 1;
  return 0;
}

struct Array {
  std::string path;
  std::string descr;
  std::vector<std::size_t> shape;
  std::vector<char> bytes;

  std::size_t size() const {
    std::size_t n = 1;
    for (std::size_t d : shape) n *= d;
    return n;
  }
  template <typename T>
  const T* data() const {
    if (descr != dtype<T>::descr())
      throw std::runtime_error(path + ": dtype is '" + descr + "', the testbench expects '" + dtype<T>::descr() + "'");
    return reinterpret_cast<const T*>(bytes.data());
  }
};

namespace detail {

inline std::runtime_error error(const std::string& path, const std::string& what) {
  return std::runtime_error(path + ": not a supported .npy file: " + what);
}

// The value text after 'key': in the header dict (up to the next top-level ',' or '}').
inline std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
  const std::string quoted = "'" + key + "'";
  std::size_t pos = header.find(quoted);
  if (pos == std::string::npos) throw error(path, "header has no " + quoted);
  pos = header.find(':', pos + quoted.size());
  if (pos == std::string::npos) throw error(path, "malformed header");
  ++pos;
  while (pos < header.size() && header[pos] == ' ') ++pos;
  std::size_t end = pos;
  int depth = 0;
  while (end < header.size()) {
    const char ch = header[end];
    if (ch == '(') depth++;
    if (ch == ')') depth--;
    if (depth == 0 && (ch == ',' || ch == '}')) break;
    ++end;
  }
  if (depth != 0 || end == header.size()) throw error(path, "malformed header");
  std::size_t last = end;
  while (last > pos && header[last - 1] == ' ') --last;
  return header.substr(pos, last - pos);
}

inline std::vector<std::size_t> parse_shape(const std::string& text, const std::string& path) {
  if (text.size() < 2 || text[0] != '(' || text[text.size() - 1] != ')') throw error(path, "bad shape " + text);
  std::vector<std::size_t> shape;
  std::string inner = text.substr(1, text.size() - 2);
  std::stringstream ss(inner);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::size_t b = item.find_first_not_of(' ');
    if (b == std::string::npos) continue;  // trailing comma of a 1-tuple
    std::size_t e = item.find_last_not_of(' ');
    const std::string num = item.substr(b, e - b + 1);
    if (num.find_first_not_of("0123456789") != std::string::npos || num.empty())
      throw error(path, "bad shape " + text);
    shape.push_back(static_cast<std::size_t>(std::stoull(num)));
  }
  return shape;
}

}  // namespace detail

inline Array load(const std::string& path) {
  std::ifstream f(path.c_str(), std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open");
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw detail::error(path, "bad magic");
  const int major = static_cast<unsigned char>(magic[6]);
  std::size_t header_len = 0;
  if (major == 1) {
    unsigned char l[2];
    if (!f.read(reinterpret_cast<char*>(l), 2)) throw detail::error(path, "truncated header");
    header_len = l[0] | (std::size_t(l[1]) << 8);
  } else if (major == 2 || major == 3) {
    unsigned char l[4];
    if (!f.read(reinterpret_cast<char*>(l), 4)) throw detail::error(path, "truncated header");
    header_len = l[0] | (std::size_t(l[1]) << 8) | (std::size_t(l[2]) << 16) | (std::size_t(l[3]) << 24);
  } else {
    throw detail::error(path, "format version " + std::to_string(major));
  }
  std::string header(header_len, '\0');
  if (!f.read(&header[0], header_len)) throw detail::error(path, "truncated header");

  Array a;
  a.path = path;
  std::string descr = detail::dict_value(header, "descr", path);
  if (descr.size() < 2 || descr[0] != '\'' || descr[descr.size() - 1] != '\'') throw detail::error(path, "bad descr");
  a.descr = descr.substr(1, descr.size() - 2);
  if (a.descr == "<i1") a.descr = "|i1";
  if (a.descr == "<u1") a.descr = "|u1";
  if (itemsize(a.descr) == 0) throw detail::error(path, "dtype '" + a.descr + "'");
  if (detail::dict_value(header, "fortran_order", path) != "False") throw detail::error(path, "Fortran order");
  a.shape = detail::parse_shape(detail::dict_value(header, "shape", path), path);

  const std::size_t nbytes = a.size() * itemsize(a.descr);
  a.bytes.resize(nbytes);
  if (nbytes && !f.read(a.bytes.data(), nbytes)) throw detail::error(path, "truncated data");
  return a;
}

inline void save_raw(const std::string& path, const std::string& descr, const std::vector<std::size_t>& shape,
                     const void* data) {
  std::ostringstream dict;
  dict << "{'descr': '" << descr << "', 'fortran_order': False, 'shape': (";
  std::size_t count = 1;
  for (std::size_t i = 0; i < shape.size(); i++) {
    dict << shape[i] << (shape.size() == 1 ? "," : (i + 1 < shape.size() ? ", " : ""));
    count *= shape[i];
  }
  dict << "), }";
  std::string header = dict.str();
  // magic (6) + version (2) + length (2) + header, padded with spaces and a newline to 64 bytes.
  const std::size_t unpadded = 10 + header.size() + 1;
  header += std::string((64 - unpadded % 64) % 64, ' ') + "\n";
  std::ofstream f(path.c_str(), std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot create");
  const unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(header.size() & 0xff),
                                 static_cast<unsigned char>(header.size() >> 8)};
  f.write(reinterpret_cast<const char*>(pre), 10);
  f.write(header.data(), header.size());
  f.write(static_cast<const char*>(data), count * itemsize(descr));
  if (!f) throw std::runtime_error(path + ": write failed");
}

template <typename T>
void save(const std::string& path, const T* data, const std::vector<std::size_t>& shape) {
  save_raw(path, dtype<T>::descr(), shape, data);
}

}  // namespace npy

#endif  // FPGAOPS_HLS_TESTS_NPY_HPP
