"""backends/xrt/pyxrt_binding.py without XRT: the adapter's own logic (which binding is chosen,
argument metadata from the xclbin, scalar packing into pyxrt's 32-bit set_arg, bank checks, the
host-bounce copy) against a recording stand-in for AMD's pyxrt that implements only the calls
the adapter makes. The adapter on the real pyxrt runs in the shared host-path tests
(tests/xrt/test_xrt_host.py, the "pyxrt" variant of the ``xrt`` fixture) where pyxrt is installed."""
import struct
import sys
import types

import numpy as np
import pytest

from fpgaops import xclbin
from fpgaops.backends.xrt import pyxrt_binding as pb


def _stand_in():
    """A module with pyxrt's names (device, xclbin, kernel, run, bo, enums) that records set_arg."""
    px = types.ModuleType("pyxrt")
    px.calls = []

    class State(int):
        name = "ERT_CMD_STATE_COMPLETED"

    px.ert_cmd_state = types.SimpleNamespace(ERT_CMD_STATE_COMPLETED=State(4))
    px.xclBOSyncDirection = types.SimpleNamespace(XCL_BO_SYNC_BO_TO_DEVICE=0, XCL_BO_SYNC_BO_FROM_DEVICE=1)

    class Uuid:
        def to_string(self):
            return "uuid"

    class Xclbin:
        def __init__(self, path):
            self.x = xclbin.Xclbin.read(path)

        def get_kernels(self):
            return [types.SimpleNamespace(get_name=lambda n=k.name: n) for k in self.x.kernels]

        def get_mems(self):
            return [types.SimpleNamespace(get_index=lambda i=i: i, get_tag=lambda m=m: m.tag,
                                          get_size_kb=lambda m=m: m.size_kib, get_used=lambda m=m: m.used)
                    for i, m in enumerate(self.x.mem_topology)]

    class Device:
        def __init__(self, index):
            self.index = index

        def load_xclbin(self, x):
            return Uuid()

    class Bo:
        flags = types.SimpleNamespace(normal=0)

        def __init__(self, device, size, flags, group):
            self.data, self.group = bytearray(size), group

        def write(self, arr, offset):
            b = bytes(np.asarray(arr).view(np.uint8))
            self.data[offset:offset + len(b)] = b

        def read(self, size, offset):
            return np.frombuffer(bytes(self.data[offset:offset + size]), np.int8)

        def sync(self, direction, size, offset):
            px.calls.append(("sync", direction, size, offset))

    class Run:
        def __init__(self, kernel):
            self.kernel = kernel

        def set_arg(self, i, v):
            px.calls.append(("set_arg", self.kernel.name, i, v))

        def start(self):
            px.calls.append(("start", self.kernel.name))

        def wait(self, timeout_ms):
            return px.ert_cmd_state.ERT_CMD_STATE_COMPLETED

    px.device, px.xclbin, px.bo, px.run = Device, Xclbin, Bo, Run
    px.kernel = lambda device, uuid, name: types.SimpleNamespace(name=name)
    return px


@pytest.fixture
def dev(project_xclbin):
    px = _stand_in()
    d = pb.PyxrtModule(px).Device(0)
    d.load_xclbin(str(project_xclbin("u50")))
    return px, d


@pytest.fixture
def project_xclbin(tmp_path):
    return lambda board="u50": xclbin.write_project_xclbin(board, tmp_path / f"fpgaops_{board}_hw.xclbin")


def test_binding_prefers_pyxrt_and_obeys_the_override(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyxrt", _stand_in())
    monkeypatch.delenv(pb.ENV_BINDING, raising=False)
    name, mod = pb.binding()
    assert name == "pyxrt" and isinstance(mod, pb.PyxrtModule)
    monkeypatch.setenv(pb.ENV_BINDING, "bogus")
    with pytest.raises(ValueError, match="FPGAOPS_XRT_BINDING"):
        pb.binding()
    monkeypatch.setitem(sys.modules, "pyxrt", None)  # import pyxrt -> ImportError
    monkeypatch.setenv(pb.ENV_BINDING, "pyxrt")
    with pytest.raises(ImportError, match="ships with AMD's XRT"):
        pb.binding()


def test_argument_metadata_comes_from_the_xclbin(dev, project_xclbin):
    _, d = dev
    x = xclbin.Xclbin.read(project_xclbin("u50"))
    assert d.kernel_names() == [k.name for k in x.kernels]
    args = d.kernel("fpgaops_gemm_f32").args
    assert [a["name"] for a in args[:4]] == ["a", "b", "c", "y"]
    assert [a["banks"] for a in args[:4]] == [[0], [1], [2], [3]]   # the U50's sp= lines
    assert [b["used"] for b in d.banks()][:4] == [True] * 4
    with pytest.raises(KeyError, match="no kernel 'fpgaops_nope'"):
        d.kernel("fpgaops_nope")


def test_scalars_pack_into_pyxrt_int_set_arg(dev):
    px, d = dev
    k = d.kernel("fpgaops_gemm_f32")
    values = [d.alloc(4096, a["banks"][0]) if a["pointer"] else (0.5 if "float" in a["host_type"] else -3)
              for a in k.args]
    assert k.start(values).wait(1000) == 4
    sets = {i: v for (what, name, i, v) in [c for c in px.calls if c[0] == "set_arg"]}
    alpha = next(a["index"] for a in k.args if a["name"] == "alpha")
    batch = next(a["index"] for a in k.args if a["name"] == "batch")
    assert sets[alpha] == struct.unpack("<i", struct.pack("<f", 0.5))[0]   # the float's bits
    assert sets[batch] == -3
    assert ("start", "fpgaops_gemm_f32") in px.calls


def test_argument_errors_match_the_native_module(dev):
    _, d = dev
    k = d.kernel("fpgaops_gemm_f32")
    good = [d.alloc(4096, a["banks"][0]) if a["pointer"] else (1.0 if "float" in a["host_type"] else 1)
            for a in k.args]
    with pytest.raises(ValueError, match="takes 16 arguments, got 15"):
        k.start(good[:-1])
    for i, v, exc, msg in [(4, good[0], TypeError, "is a scalar"), (0, 7, TypeError, "global-memory pointer"),
                           (0, good[1], ValueError, "lives in bank 1"), (5, 2 ** 31, ValueError, "outside"),
                           (5, 1.5, TypeError, "expects an integer"), (14, 1e39, ValueError, "does not fit a float"),
                           (14, "1", TypeError, "expected an int or float")]:
        bad = list(good)
        bad[i] = v
        with pytest.raises(exc, match=msg):
            k.start(bad)


def test_buffers_round_trip_and_copy_through_the_host(dev):
    px, d = dev
    a, b = d.alloc(256, 0), d.alloc(256, 0)
    a.write(np.arange(64, dtype=np.float32))
    b.copy_from(a, 256)
    out = np.zeros(64, np.float32)
    b.read(out)
    np.testing.assert_array_equal(out, np.arange(64, dtype=np.float32))
    assert ("sync", 0, 256, 0) in px.calls and ("sync", 1, 256, 0) in px.calls
    with pytest.raises(ValueError, match="exceed its 256 bytes"):
        a.write(np.zeros(65, np.float32))
    with pytest.raises(ValueError, match="no memory bank 99"):
        d.alloc(64, 99)
    with pytest.raises(TypeError):
        d.alloc(-1, 0)


def test_compute_units_open_one_cu_with_its_own_banks(tmp_path):
    """An xclbin with two CUs of conv2d_i8: each opens as "kernel:{cu}" with that CU's banks only."""
    from fpgaops import kernels, platforms
    from fpgaops.estimator import connectivity
    from fpgaops.estimator.memory import board_config

    p = platforms.load("u50")
    q = connectivity.with_sets(p, kernels.load(), board_config(p).kernels, 2)
    path = tmp_path / "two.xclbin"
    xclbin.project_xclbin("u50", platform=q).write(path)
    px = _stand_in()
    d = pb.PyxrtModule(px).Device(0)
    d.load_xclbin(str(path))
    name = "fpgaops_conv2d_i8"
    assert d.compute_units(name) == [f"{name}_1", f"{name}_2"]
    one, two, both = d.kernel(name, f"{name}_1"), d.kernel(name, f"{name}_2"), d.kernel(name)
    assert (one._kernel.name, two._kernel.name, both._kernel.name) == (f"{name}:{{{name}_1}}", f"{name}:{{{name}_2}}",
                                                                      name)
    x = {k: next(a["banks"] for a in k.args if a["name"] == "x") for k in (one, two, both)}
    assert len(x[one]) == len(x[two]) == 1 and x[one] != x[two] and sorted(x[one] + x[two]) == x[both]
    with pytest.raises(KeyError, match="no compute unit"):
        d.kernel(name, "nope")
