// fpgaops._xrt: a thin pybind11 layer over XRT's native C++ API (xrt::device, xrt::xclbin,
// xrt::kernel, xrt::bo, xrt::run). Python (fpgaops.backends.xrt) decides what to run; this file
// makes every call safe to make from Python:
//   * buffer reads/writes are bounds-checked against the buffer's own size, never a size passed in;
//   * a buffer is bound only to a global-memory argument, and only if it lives in a bank that
//     argument is connected to; a scalar only to a scalar argument, range-checked for its width.
//     (XRT 2.13 crashes when a buffer is bound to a scalar argument, so kinds are checked before
//     any XRT call.)
//   * a run gets exactly the kernel's argument count.
// XRT's own exceptions come back to Python as RuntimeError with XRT's message; our checks raise
// ValueError / TypeError naming the argument.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <experimental/xrt_xclbin.h>
#include <xrt/xrt_bo.h>
#include <xrt/xrt_device.h>
#include <xrt/xrt_kernel.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "version.h"  // XRT's: xrt_build_version

namespace py = pybind11;

namespace {

struct ArgInfo {
  std::string name;
  std::string host_type;
  std::string port;
  std::size_t index = 0;
  std::uint64_t size = 0;
  std::uint64_t offset = 0;
  bool global = false;        // a pointer into device memory (connected to banks)
  std::set<int> banks;        // MEM_TOPOLOGY indices the argument is connected to
};

struct MemInfo {
  int index;
  std::string tag;
  std::uint64_t size_kib;
  bool used;
};

bool is_pointer_type(const std::string& t) { return !t.empty() && t.find('*') != std::string::npos; }
bool is_float_type(const std::string& t) {
  return t.find("float") != std::string::npos || t.find("double") != std::string::npos;
}
bool is_unsigned_type(const std::string& t) {
  return t.rfind("unsigned", 0) == 0 || t.rfind("uint", 0) == 0 || t == "bool";
}

class Buffer {
 public:
  Buffer(const xrt::device& dev, std::size_t nbytes, int bank) : bo_(dev, nbytes, bank), size_(nbytes), bank_(bank) {}

  std::size_t size() const { return size_; }
  int bank() const { return bank_; }
  const xrt::bo& bo() const { return bo_; }

  // Host -> device: the first len(data) bytes at `offset`.
  void write(const py::buffer& data, std::size_t offset) {
    py::buffer_info info = data.request();
    const std::size_t n = contiguous_bytes(info, "data");
    check_span(n, offset);
    {
      py::gil_scoped_release release;
      if (n == 0) return;
      bo_.write(info.ptr, n, offset);
      bo_.sync(XCL_BO_SYNC_BO_TO_DEVICE, n, offset);
    }
  }

  // Device -> host: fills the writable, contiguous `out` from `offset`.
  void read(py::buffer out, std::size_t offset) {
    py::buffer_info info = out.request(true);
    if (info.readonly) throw py::value_error("out: buffer is read-only");
    const std::size_t n = contiguous_bytes(info, "out");
    check_span(n, offset);
    py::gil_scoped_release release;
    if (n == 0) return;
    bo_.sync(XCL_BO_SYNC_BO_FROM_DEVICE, n, offset);
    bo_.read(info.ptr, n, offset);
  }

  // Device-side copy of the first `nbytes` of `src` (XRT picks DMA or a host bounce itself).
  void copy_from(const Buffer& src, std::size_t nbytes) {
    if (nbytes > src.size_ || nbytes > size_)
      throw py::value_error("copy: " + std::to_string(nbytes) + " bytes do not fit the source (" +
                            std::to_string(src.size_) + ") or destination (" + std::to_string(size_) + ")");
    py::gil_scoped_release release;
    if (nbytes) bo_.copy(src.bo_, nbytes);
  }

 private:
  static std::size_t contiguous_bytes(const py::buffer_info& info, const char* name) {
    // C-contiguous: strides must describe a dense row-major layout.
    std::int64_t expect = info.itemsize;
    for (py::ssize_t d = info.ndim - 1; d >= 0; --d) {
      if (info.shape[d] > 1 && info.strides[d] != expect)
        throw py::value_error(std::string(name) + ": expected a C-contiguous buffer");
      expect *= info.shape[d];
    }
    return static_cast<std::size_t>(info.size) * static_cast<std::size_t>(info.itemsize);
  }

  void check_span(std::size_t n, std::size_t offset) const {
    if (offset > size_ || n > size_ - offset)
      throw py::value_error("buffer: " + std::to_string(n) + " bytes at offset " + std::to_string(offset) +
                            " exceed its " + std::to_string(size_) + " bytes");
  }

  xrt::bo bo_;
  std::size_t size_;
  int bank_;
};

class Run {
 public:
  explicit Run(xrt::run run) : run_(std::move(run)) {}

  // Wait for completion; raise unless the run completed. timeout_ms == 0 waits forever.
  int wait(unsigned int timeout_ms) {
    ert_cmd_state state;
    {
      py::gil_scoped_release release;
      state = run_.wait(std::chrono::milliseconds(timeout_ms));
    }
    if (state != ERT_CMD_STATE_COMPLETED)
      throw std::runtime_error("kernel run did not complete: state " + state_name(state) +
                               (timeout_ms ? " after waiting " + std::to_string(timeout_ms) + " ms" : ""));
    return state;
  }

  int state() const { return run_.state(); }

  static std::string state_name(int s) {
    static const char* names[] = {"?", "NEW", "QUEUED", "RUNNING", "COMPLETED", "ERROR", "ABORT", "SUBMITTED",
                                  "TIMEOUT", "NORESPONSE", "SKERROR", "SKCRASHED"};
    return (s > 0 && s < int(sizeof(names) / sizeof(names[0]))) ? names[s] : std::to_string(s);
  }

 private:
  xrt::run run_;
};

class Kernel {
 public:
  // cu empty: every CU of the kernel (XRT schedules a run on any idle one; argument banks are the
  // union over the CUs). cu named: that compute unit only ("kernel:{cu}"), with its own banks.
  Kernel(const xrt::device& dev, const xrt::uuid& uuid, const xrt::xclbin::kernel& meta, const std::string& cu)
      : name_(meta.get_name()), cu_(cu),
        kernel_(dev, uuid, open_name(meta, cu)) {
    const auto args = cu.empty() ? meta.get_args() : cu_meta(meta, cu).get_args();
    for (const auto& a : args) {
      ArgInfo info;
      info.name = a.get_name();
      info.host_type = a.get_host_type();
      info.port = a.get_port();
      info.index = a.get_index();
      info.size = a.get_size();
      info.offset = a.get_offset();
      for (const auto& m : a.get_mems()) info.banks.insert(m.get_index());
      info.global = !info.banks.empty() || is_pointer_type(info.host_type);
      args_.push_back(info);
    }
    for (std::size_t i = 0; i < args_.size(); ++i)
      if (args_[i].index != i)
        throw std::runtime_error("kernel " + name_ + ": xclbin argument indices are not 0.." +
                                 std::to_string(args_.size() - 1));
  }

  const std::string& name() const { return name_; }
  const std::string& cu() const { return cu_; }

  // The name xrt::kernel opens: "kernel", or "kernel:{cu}" once cu is checked (a KeyError naming it).
  static std::string open_name(const xrt::xclbin::kernel& meta, const std::string& cu) {
    if (cu.empty()) return meta.get_name();
    cu_meta(meta, cu);
    return meta.get_name() + ":{" + cu + "}";
  }

  // The xclbin's IP of compute unit ``cu`` (IP names are "kernel:cu").
  static xrt::xclbin::ip cu_meta(const xrt::xclbin::kernel& meta, const std::string& cu) {
    for (const auto& ip : meta.get_cus()) {
      const std::string n = ip.get_name();
      const auto colon = n.find(':');
      if ((colon == std::string::npos ? n : n.substr(colon + 1)) == cu) return ip;
    }
    throw py::key_error("kernel " + meta.get_name() + " has no compute unit '" + cu + "'");
  }

  py::list args() const {
    py::list out;
    for (const auto& a : args_) {
      py::dict d;
      d["name"] = a.name;
      d["index"] = a.index;
      d["host_type"] = a.host_type;
      d["port"] = a.port;
      d["size"] = a.size;
      d["offset"] = a.offset;
      d["pointer"] = a.global;
      d["banks"] = std::vector<int>(a.banks.begin(), a.banks.end());
      out.append(d);
    }
    return out;
  }

  // Validate every value against the argument it is bound to, then start one run.
  std::unique_ptr<Run> start(const py::list& values) {
    if (values.size() != args_.size())
      throw py::value_error("kernel " + name_ + " takes " + std::to_string(args_.size()) + " arguments, got " +
                            std::to_string(values.size()));
    xrt::run run(kernel_);
    for (std::size_t i = 0; i < args_.size(); ++i) set_arg(run, args_[i], values[i]);
    {
      py::gil_scoped_release release;
      run.start();
    }
    return std::make_unique<Run>(std::move(run));
  }

 private:
  void set_arg(xrt::run& run, const ArgInfo& a, const py::handle& v) const {
    const std::string what = "kernel " + name_ + " argument '" + a.name + "'";
    const bool is_buffer = py::isinstance<Buffer>(v);
    if (a.global) {
      if (!is_buffer) throw py::type_error(what + " is a global-memory pointer: expected a device buffer");
      const Buffer& b = v.cast<const Buffer&>();
      if (!a.banks.empty() && !a.banks.count(b.bank()))
        throw py::value_error(what + " is connected to memory bank(s) " + join(a.banks) +
                              ", but the buffer lives in bank " + std::to_string(b.bank()));
      run.set_arg(int(a.index), b.bo());
      return;
    }
    if (is_buffer) throw py::type_error(what + " is a scalar: a device buffer cannot be bound to it");
    if (py::isinstance<py::bool_>(v) || py::isinstance<py::int_>(v)) {
      if (is_float_type(a.host_type)) return set_float(run, a, v.cast<double>(), what);
      set_int(run, a, v, what);
    } else if (py::isinstance<py::float_>(v)) {
      if (!is_float_type(a.host_type)) throw py::type_error(what + " (" + a.host_type + ") expects an integer");
      set_float(run, a, v.cast<double>(), what);
    } else {
      throw py::type_error(what + ": expected an int or float, got " + std::string(py::str(py::type::handle_of(v))));
    }
  }

  static void set_float(xrt::run& run, const ArgInfo& a, double x, const std::string& what) {
    if (a.size == 4) {
      if (std::isfinite(x) && std::fabs(x) > std::numeric_limits<float>::max())
        throw py::value_error(what + ": " + std::to_string(x) + " does not fit a float");
      run.set_arg(int(a.index), static_cast<float>(x));
    } else if (a.size == 8) {
      run.set_arg(int(a.index), x);
    } else {
      throw py::value_error(what + ": unsupported float size " + std::to_string(a.size));
    }
  }

  static void set_int(xrt::run& run, const ArgInfo& a, const py::handle& v, const std::string& what) {
    if (a.size > 8 || a.size == 0) throw py::value_error(what + ": unsupported scalar size " + std::to_string(a.size));
    const bool uns = is_unsigned_type(a.host_type);
    const unsigned bits = unsigned(a.size) * 8;
    // Range check in Python integers (arbitrary precision), then pack little-endian.
    py::int_ value = py::reinterpret_borrow<py::int_>(v);
    const py::int_ lo = uns ? py::int_(0)
                            : py::int_(bits == 64 ? std::numeric_limits<std::int64_t>::min()
                                                  : -(std::int64_t(1) << (bits - 1)));
    const py::int_ hi = uns ? py::int_(bits == 64 ? std::numeric_limits<std::uint64_t>::max()
                                                  : (std::uint64_t(1) << bits) - 1)
                            : py::int_(bits == 64 ? std::numeric_limits<std::int64_t>::max()
                                                  : (std::int64_t(1) << (bits - 1)) - 1);
    if (value < lo || value > hi)
      throw py::value_error(what + " (" + a.host_type + "): " + std::string(py::str(value)) + " is outside [" +
                            std::string(py::str(lo)) + ", " + std::string(py::str(hi)) + "]");
    const std::uint64_t raw = uns ? value.cast<std::uint64_t>() : static_cast<std::uint64_t>(value.cast<std::int64_t>());
    switch (a.size) {
      case 1: run.set_arg(int(a.index), static_cast<std::uint8_t>(raw)); break;
      case 2: run.set_arg(int(a.index), static_cast<std::uint16_t>(raw)); break;
      case 4: run.set_arg(int(a.index), static_cast<std::uint32_t>(raw)); break;
      case 8: run.set_arg(int(a.index), raw); break;
      default: throw py::value_error(what + ": unsupported scalar size " + std::to_string(a.size));
    }
  }

  static std::string join(const std::set<int>& s) {
    std::string out;
    for (int x : s) out += (out.empty() ? "" : ", ") + std::to_string(x);
    return out;
  }

  std::string name_;
  std::string cu_;
  xrt::kernel kernel_;
  std::vector<ArgInfo> args_;
};

class Device {
 public:
  explicit Device(int index) : index_(index) {
    if (index < 0) throw py::value_error("index: expected a device index >= 0, got " + std::to_string(index));
    py::gil_scoped_release release;
    device_ = xrt::device(static_cast<unsigned int>(index));
  }

  int index() const { return index_; }

  std::string load_xclbin(const std::string& path) {
    xrt::xclbin x(path);  // parses the file; throws on a malformed one
    {
      py::gil_scoped_release release;
      uuid_ = device_.load_xclbin(x);
    }
    xclbin_ = x;
    mems_.clear();
    for (const auto& m : x.get_mems())
      mems_.push_back(MemInfo{m.get_index(), m.get_tag(), m.get_size_kb(), m.get_used()});
    return uuid_.to_string();
  }

  void require_xclbin() const {
    if (!xclbin_) throw std::runtime_error("no xclbin loaded on this device");
  }

  std::vector<std::string> kernel_names() const {
    require_xclbin();
    std::vector<std::string> out;
    for (const auto& k : xclbin_.get_kernels()) out.push_back(k.get_name());
    return out;
  }

  std::unique_ptr<Kernel> kernel(const std::string& name, const std::string& cu) const {
    return std::make_unique<Kernel>(device_, uuid_, meta(name), cu);
  }

  // CU names of kernel ``name`` ("kernel:cu" IP names without the kernel part), in IP_LAYOUT order.
  std::vector<std::string> compute_units(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& ip : meta(name).get_cus()) {
      const std::string n = ip.get_name();
      const auto colon = n.find(':');
      out.push_back(colon == std::string::npos ? n : n.substr(colon + 1));
    }
    return out;
  }

  xrt::xclbin::kernel meta(const std::string& name) const {
    require_xclbin();
    for (const auto& k : xclbin_.get_kernels())
      if (k.get_name() == name) return k;
    throw py::key_error("the loaded xclbin has no kernel '" + name + "'");
  }

  py::list banks() const {
    py::list out;
    for (const auto& m : mems_) {
      py::dict d;
      d["index"] = m.index;
      d["tag"] = m.tag;
      d["size_kib"] = m.size_kib;
      d["used"] = m.used;
      out.append(d);
    }
    return out;
  }

  std::unique_ptr<Buffer> alloc(std::size_t nbytes, int bank) const {
    require_xclbin();
    const MemInfo* mem = nullptr;
    for (const auto& m : mems_)
      if (m.index == bank) mem = &m;
    if (!mem) throw py::value_error("bank: the xclbin has no memory bank " + std::to_string(bank));
    if (!mem->used)
      throw py::value_error("bank: memory bank " + std::to_string(bank) + " (" + mem->tag +
                            ") is not connected to any kernel in this xclbin");
    if (nbytes == 0) throw py::value_error("nbytes: expected > 0");
    if (nbytes / 1024 >= mem->size_kib)
      throw py::value_error("nbytes: " + std::to_string(nbytes) + " bytes exceed bank " + mem->tag + " (" +
                            std::to_string(mem->size_kib) + " KiB)");
    py::gil_scoped_release release;
    return std::make_unique<Buffer>(device_, nbytes, bank);
  }

 private:
  int index_;
  xrt::device device_;
  xrt::xclbin xclbin_;
  xrt::uuid uuid_;
  std::vector<MemInfo> mems_;
};

}  // namespace

PYBIND11_MODULE(_xrt, m) {
  m.doc() = "fpgaops: checked bindings of XRT's native C++ API (device, xclbin, kernel, bo, run)";
  m.def("xrt_version", [] { return std::string(xrt_build_version); }, "XRT version the module was built against");
  m.def("emulation_mode", [] {
    const char* e = std::getenv("XCL_EMULATION_MODE");
    return std::string(e ? e : "");
  }, "XCL_EMULATION_MODE of this process ('' on hardware)");

  py::class_<Buffer>(m, "Buffer", "A device buffer (xrt::bo) in one memory bank")
      .def_property_readonly("size", &Buffer::size)
      .def_property_readonly("bank", &Buffer::bank)
      .def("write", &Buffer::write, py::arg("data"), py::arg("offset") = 0, "Copy host bytes in and sync to the device")
      .def("read", &Buffer::read, py::arg("out"), py::arg("offset") = 0, "Sync from the device and copy bytes out")
      .def("copy_from", &Buffer::copy_from, py::arg("src"), py::arg("nbytes"), "Device-side copy from another buffer");

  py::class_<Run>(m, "Run", "One kernel execution")
      .def("wait", &Run::wait, py::arg("timeout_ms") = 0, "Wait; raise RuntimeError unless it completed")
      .def_property_readonly("state", &Run::state);

  py::class_<Kernel>(m, "Kernel", "A kernel of the loaded xclbin, with its argument metadata")
      .def_property_readonly("name", &Kernel::name)
      .def_property_readonly("cu", &Kernel::cu, "The compute unit it runs on ('' = any of the kernel's)")
      .def_property_readonly("args", &Kernel::args)
      .def("start", &Kernel::start, py::arg("values"),
           "Bind one value per argument (Buffer for pointers, int/float for scalars) and start a run");

  py::class_<Device>(m, "Device", "An XRT device")
      .def(py::init<int>(), py::arg("index") = 0)
      .def_property_readonly("index", &Device::index)
      .def("load_xclbin", &Device::load_xclbin, py::arg("path"), "Load an xclbin; returns its uuid")
      .def("kernel_names", &Device::kernel_names)
      .def("kernel", &Device::kernel, py::arg("name"), py::arg("cu") = std::string(),
           "Kernel `name`: on compute unit `cu` only, or on any of its CUs (cu empty)")
      .def("compute_units", &Device::compute_units, py::arg("name"), "CU names of kernel `name`")
      .def("banks", &Device::banks, "Memory banks of the loaded xclbin (MEM_TOPOLOGY)")
      .def("alloc", &Device::alloc, py::arg("nbytes"), py::arg("bank"), "A buffer of nbytes in memory bank `bank`");
}
