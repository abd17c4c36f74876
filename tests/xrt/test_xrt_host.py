"""The XRT host path under XRT's noop driver: device open, xclbin load, kernel lookup, buffers in
the right bank, argument setting, run/wait, and the error paths. No kernel executes in noop mode,
so nothing here asserts a kernel's numbers (the fallback test checks numbers computed by the
reference backend, which does run)."""
import numpy as np
import pytest

import fpgaops
from fpgaops import kernels, platforms, xclbin
from fpgaops.backends import xrt as xrt_mod
from fpgaops.errors import ArgumentError, DeviceError, UnsupportedError


# --- the native module ------------------------------------------------------------------------

@pytest.fixture
def native(xrt, project_xclbin):
    dev = xrt.Device(0)
    dev.load_xclbin(str(project_xclbin("u50")))
    return dev


def test_device_open_and_xclbin_load(xrt, project_xclbin):
    assert xrt.emulation_mode() == "noop"
    assert xrt.xrt_version().startswith("2.")
    dev = xrt.Device(0)
    uuid = dev.load_xclbin(str(project_xclbin("u50")))
    assert uuid == str(xclbin.Xclbin.read(project_xclbin("u50")).uuid)
    assert dev.kernel_names() == list(kernels.load())
    banks = dev.banks()
    assert [b["tag"] for b in banks][:32] == [f"HBM[{i}]" for i in range(32)]
    x = xclbin.Xclbin.read(project_xclbin("u50"))
    connected = {i for idx in x.arg_banks().values() for i in idx}
    assert [b["used"] for b in banks] == [i in connected for i in range(len(banks))]


def test_kernel_metadata_matches_tops(native):
    table = kernels.load()
    for name in native.kernel_names():
        args = native.kernel(name).args
        assert [(a["name"], a["pointer"], a["offset"], a["size"]) for a in args] == \
               [(a.name, a.is_pointer, a.offset, a.size) for a in table[name].args]
    p = platforms.load("u50")
    for k in ("fpgaops_gemm_f32", "fpgaops_gemm_i8"):   # the U50's sp= lines
        want = [[p.bank_index(t) for t in p.port_banks(f"{k}_1", n)] for n in "abcy"]
        assert [a["banks"] for a in native.kernel(k).args[:4]] == want


def test_buffers_round_trip_and_bounds(native):
    buf = native.alloc(256, 0)
    assert (buf.size, buf.bank) == (256, 0)
    data = np.arange(64, dtype=np.float32)
    buf.write(data)
    out = np.zeros(64, np.float32)
    buf.read(out)
    np.testing.assert_array_equal(out, data)  # host backing store: noop keeps what was written
    with pytest.raises(ValueError, match="exceed its 256 bytes"):
        buf.write(np.zeros(65, np.float32))
    with pytest.raises(ValueError, match="exceed its 256 bytes"):
        buf.read(np.zeros(4, np.float32), offset=250)
    with pytest.raises(ValueError, match="C-contiguous"):
        buf.write(np.zeros((8, 8), np.float32)[:, ::2])
    with pytest.raises(ValueError, match="read-only"):
        ro = np.zeros(4, np.float32)
        ro.flags.writeable = False
        buf.read(ro)


def test_alloc_checks_bank_and_size(native):
    with pytest.raises(ValueError, match="no memory bank 99"):
        native.alloc(64, 99)
    with pytest.raises(ValueError, match="not connected to any kernel"):
        native.alloc(64, _unused_bank(native))
    with pytest.raises(ValueError, match="exceed bank HBM"):
        native.alloc(1 << 40, 0)
    with pytest.raises(ValueError, match="expected > 0"):
        native.alloc(0, 0)
    with pytest.raises(TypeError):
        native.alloc(-1, 0)


def _unused_bank(dev):
    return next(b["index"] for b in dev.banks() if not b["used"])


def _kernel_args(dev, kernel):
    """One valid value per argument, in order: a buffer in the port's bank, or a 1 of the right kind."""
    return [dev.alloc(4096, a["banks"][0]) if a["pointer"] else (1.0 if "float" in a["host_type"] else 1)
            for a in kernel.args]


def test_run_and_wait(native):
    for name in native.kernel_names():
        k = native.kernel(name)
        run = k.start(_kernel_args(native, k))
        assert run.wait(10_000) == 4  # ERT_CMD_STATE_COMPLETED


def test_argument_errors_before_xrt(native):
    k = native.kernel("fpgaops_gemm_f32")
    args = _kernel_args(native, k)
    with pytest.raises(ValueError, match="takes 16 arguments, got 15"):
        k.start(args[:-1])
    bad = list(args)
    bad[4] = args[0]  # a buffer bound to the scalar 'batch': XRT 2.13 would crash, we refuse
    with pytest.raises(TypeError, match="'batch' is a scalar: a device buffer cannot be bound"):
        k.start(bad)
    bad = list(args)
    bad[0] = 7
    with pytest.raises(TypeError, match="'a' is a global-memory pointer"):
        k.start(bad)
    bad = list(args)
    bad[0], bad[1] = args[1], args[0]  # right kind, wrong bank
    with pytest.raises(ValueError, match="'a' is connected to memory bank.*lives in bank 1"):
        k.start(bad)
    bad = list(args)
    bad[5] = 2**31
    with pytest.raises(ValueError, match="'m' \\(int\\): 2147483648 is outside"):
        k.start(bad)
    bad = list(args)
    bad[5] = 1.5
    with pytest.raises(TypeError, match="expects an integer"):
        k.start(bad)
    bad = list(args)
    bad[14] = 1e39
    with pytest.raises(ValueError, match="does not fit a float"):
        k.start(bad)
    bad = list(args)
    bad[14] = "1"
    with pytest.raises(TypeError, match="expected an int or float"):
        k.start(bad)


def test_missing_kernel(native):
    with pytest.raises(KeyError, match="no kernel 'fpgaops_nope'"):
        native.kernel("fpgaops_nope")


# --- the backend ------------------------------------------------------------------------------

def test_backend_runs_ops_through_the_host_path(xrt_backend):
    a = np.ones((8, 16), np.float32)
    b = np.ones((16, 4), np.float32)
    with fpgaops.device(xrt_backend):
        y = fpgaops.matmul(a, b)
        assert y.shape == (8, 4) and y.dtype == np.float32  # values: noop runs no kernel
        y = fpgaops.gemm(a, b, np.zeros((8, 4), np.float32), beta=1.0)
        assert y.shape == (8, 4)
        y = fpgaops.matmul(np.ones((3, 5, 7), np.int8), np.ones((7, 2), np.int8))
        assert y.shape == (3, 5, 2) and y.dtype == np.int32


def test_backend_runs_every_family_in_the_xclbin(xrt_backend):
    """Each op family of the xclbin goes through its xrt launcher (argument names and kinds checked)."""
    x = np.linspace(-2, 2, 2 * 3 * 8 * 8, dtype=np.float32).reshape(2, 3, 8, 8)
    xq = (np.arange(x.size) % 200 - 100).astype(np.int8).reshape(x.shape)
    q = fpgaops.QParams(0.05, 3)
    calls = [
        lambda: fpgaops.max_pool2d(x, 2),
        lambda: fpgaops.max_pool2d(xq, 2),
        lambda: fpgaops.relu(x),
        lambda: fpgaops.gelu(x),                        # float table kind: the table buffer is bound
        lambda: fpgaops.relu(xq, x_q=q, out_q=q),       # int8: a 256-entry lut
        lambda: fpgaops.add(x, x[:, :1]),
        lambda: fpgaops.add(xq, xq, a_q=q, b_q=q, out_q=q),
        lambda: fpgaops.softmax(x.reshape(6, 64), dim=-1),
    ]
    launched = []
    real_launch = xrt_backend.launch
    xrt_backend.launch = lambda name, values: (launched.append(name), real_launch(name, values))[1]
    try:
        with fpgaops.device(xrt_backend):
            for fn in calls:
                assert fn() is not None
    finally:
        del xrt_backend.launch
    assert set(launched) == {"fpgaops_pool_f32", "fpgaops_pool_i8", "fpgaops_act_f32", "fpgaops_act_i8",
                             "fpgaops_eltwise_f32", "fpgaops_eltwise_i8", "fpgaops_softmax_f32"}


def test_every_family_of_tops_has_an_xrt_launcher():
    """Every kernel family an xclbin can contain must be runnable by the xrt backend."""
    import importlib

    for family in sorted({k.family for k in kernels.load().values()}):
        try:
            mod = importlib.import_module(f"fpgaops.backends.xrt.{family}")
        except ModuleNotFoundError:
            pytest.fail(f"tops.hpp has a '{family}' family but python/fpgaops/backends/xrt/{family}.py is missing "
                        "(a launcher mapping the family's KernelCall onto its kernels; see xrt/pool.py)")
        assert callable(mod.run)


def test_backend_places_buffers_in_port_banks(xrt_backend):
    k32 = {a["name"]: a["banks"] for a in xrt_backend.kernel("fpgaops_gemm_f32").args}
    with fpgaops.device(xrt_backend):
        ta = fpgaops.to_device(np.ones((4, 4), np.float32))
        tb = fpgaops.to_device(np.ones((4, 4), np.float32))
        assert ta.handle.bank == xrt_backend.home_bank  # written before any kernel: the home bank
        y = fpgaops.matmul(ta, tb)
    # moved for the launch (one CU set), or with several sets given a replica there (the input stays
    # where other sets' ports may read it)
    def where(h):
        return {h.bank, *h.replicas}

    assert where(ta.handle) & set(k32["a"]) and where(tb.handle) & set(k32["b"])
    assert (xrt_backend.num_cu_sets > 1) == (ta.handle.bank == xrt_backend.home_bank)
    assert y.handle.bank in k32["y"]                                 # output allocated in place
    with fpgaops.device(xrt_backend):
        fpgaops.matmul(ta, ta)  # one tensor on two ports in different banks: a copy for b
    assert where(ta.handle) & set(k32["a"])
    host = np.empty((4, 4), np.float32)
    xrt_backend.copy_out(ta.handle, host)  # reading back goes through the bo (no kernel involved)
    assert host.shape == (4, 4)


def test_backend_copy_round_trip_and_bounds(xrt_backend):
    h = xrt_backend.allocate(100)
    assert h.nbytes % (fpgaops.config.current().axi.word_bits // 8) == 0 and h.nbytes > 100
    data = np.arange(25, dtype=np.int32)
    xrt_backend.copy_in(h, data)
    out = np.empty(25, np.int32)
    xrt_backend.copy_out(h, out)
    np.testing.assert_array_equal(out, data)
    with pytest.raises(ArgumentError, match="do not fit"):
        xrt_backend.copy_in(h, np.zeros(h.nbytes + 1, np.uint8))
    with pytest.raises(ArgumentError, match="expected an xrt device buffer"):
        xrt_backend.copy_out(np.zeros(4), out)


def test_backend_launch_errors(xrt_backend):
    h = xrt_backend.allocate(64)
    base = {"a": h, "b": h, "c": None, "y": h, "batch": 1, "m": 1, "n": 1, "k": 1, "stride_a": 0, "stride_b": 0,
            "stride_c": 0, "ldc": 0, "trans_a": 0, "trans_b": 0, "alpha": 1.0, "beta": 0.0}
    xrt_backend.launch("fpgaops_gemm_f32", base)
    with pytest.raises(DeviceError, match=r"missing \['beta'\]"):
        xrt_backend.launch("fpgaops_gemm_f32", {k: v for k, v in base.items() if k != "beta"})
    with pytest.raises(DeviceError, match=r"unknown \['gamma'\]"):
        xrt_backend.launch("fpgaops_gemm_f32", {**base, "gamma": 1})
    with pytest.raises(ArgumentError, match="'batch' is a scalar"):
        xrt_backend.launch("fpgaops_gemm_f32", {**base, "batch": h})
    with pytest.raises(ArgumentError, match="needs a device buffer"):
        xrt_backend.launch("fpgaops_gemm_f32", {**base, "a": 5})
    with pytest.raises(ArgumentError, match="is outside"):
        xrt_backend.launch("fpgaops_gemm_f32", {**base, "m": -(2**40)})
    with pytest.raises(UnsupportedError, match="has no kernel fpgaops_conv2d"):
        xrt_backend.launch("fpgaops_conv2d", base)


@pytest.fixture
def f32_only_xclbin(xrt, tmp_path):
    """An xclbin with only the float GEMM kernel: int8 ops are not in it."""
    table = {k: v for k, v in kernels.load().items() if k == "fpgaops_gemm_f32"}
    x = xclbin.project_xclbin("u50", table=table)
    path = tmp_path / "f32_only.xclbin"
    x.write(path)
    xclbin.write_manifest(path, "u50", "hw", {"name": "test"})
    return path


def test_op_missing_from_xclbin_is_unsupported(f32_only_xclbin):
    dev = xrt_mod.open(f32_only_xclbin, allow_noop=True)
    with fpgaops.device(dev):
        fpgaops.matmul(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32))
        with pytest.raises(UnsupportedError, match="has no kernel fpgaops_gemm_i8"):
            fpgaops.matmul(np.ones((2, 2), np.int8), np.ones((2, 2), np.int8))


def test_op_missing_from_xclbin_falls_back_when_allowed(f32_only_xclbin):
    dev = xrt_mod.open(f32_only_xclbin, allow_noop=True, fallback="reference")
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (5, 7), dtype=np.int8)
    b = rng.integers(-128, 128, (7, 3), dtype=np.int8)
    with fpgaops.device(dev):
        y = fpgaops.matmul(fpgaops.to_device(a), b)
    assert y.device is dev
    np.testing.assert_array_equal(y.numpy(), a.astype(np.int32) @ b.astype(np.int32))  # ran on reference


def test_open_refuses_mismatched_digest(xrt, project_xclbin, tmp_path):
    import json

    src = project_xclbin("u50")
    path = tmp_path / src.name
    path.write_bytes(src.read_bytes())
    m = json.loads(xclbin.manifest_path(src).read_text())
    m["config"]["digest"] = "0123456789abcdef"
    xclbin.manifest_path(path).write_text(json.dumps(m))
    with pytest.raises(DeviceError, match="built for kernel config 0123456789abcdef"):
        xrt_mod.open(path, allow_noop=True)
    with pytest.raises(DeviceError, match="built for kernel config 0123456789abcdef"):
        xrt_mod.load(path)


def test_open_refuses_noop_unless_allowed(xrt, project_xclbin):
    with pytest.raises(DeviceError, match="noop runs no kernels"):
        xrt_mod.open(project_xclbin("u50"))


def test_open_rejects_garbage_xclbin(xrt, tmp_path):
    bad = tmp_path / "bad.xclbin"
    bad.write_bytes(b"\0" * 4096)
    with pytest.raises(ArgumentError, match="wrong magic"):
        xrt_mod.open(bad, allow_noop=True)


# --- selection: noop never becomes a device ----------------------------------------------------

@pytest.fixture
def fresh_registry(monkeypatch):
    """Forget cached probes/instances so a test sees its own environment (and leaves none behind)."""
    from fpgaops import backends

    saved = dict(backends._probes), dict(backends._instances)
    backends._probes.clear()
    backends._instances.clear()
    monkeypatch.setattr(xrt_mod, "_configured", None)
    yield backends
    backends._probes.clear()
    backends._instances.clear()
    backends._probes.update(saved[0])
    backends._instances.update(saved[1])


def test_noop_is_never_selected(xrt, project_xclbin, fresh_registry, monkeypatch):
    monkeypatch.setenv("FPGAOPS_XCLBIN", str(project_xclbin("u50")))
    info = {d.name: d for d in fpgaops.devices()}["xrt"]
    assert not info.available and "noop" in info.detail
    assert fpgaops.backends.default_device().name != "xrt"
    with pytest.raises(DeviceError, match="noop"):
        fpgaops.set_device("xrt")
    xrt_mod.load(project_xclbin("u50"))  # configuring does not make noop selectable either
    assert not {d.name: d for d in fpgaops.devices()}["xrt"].available


def test_probe_without_xclbin_says_how(xrt, fresh_registry, monkeypatch):
    monkeypatch.delenv("FPGAOPS_XCLBIN", raising=False)
    monkeypatch.delenv("XCL_EMULATION_MODE")  # read at probe time; XRT's driver choice is unaffected
    ok, version, detail = xrt_mod.XrtBackend.probe()
    assert not ok and version.startswith("XRT 2.") and "FPGAOPS_XCLBIN" in detail


def test_probe_reports_bad_xclbin(xrt, fresh_registry, monkeypatch, tmp_path):
    bad = tmp_path / "x.xclbin"
    bad.write_bytes(b"junk")
    monkeypatch.setenv("FPGAOPS_XCLBIN", str(bad))
    monkeypatch.delenv("XCL_EMULATION_MODE")
    ok, _v, detail = xrt_mod.XrtBackend.probe()
    assert not ok and "truncated" in detail


def test_probe_checks_target_against_emulation_mode(xrt, project_xclbin, fresh_registry, monkeypatch):
    monkeypatch.setenv("FPGAOPS_XCLBIN", str(project_xclbin("u50")))  # target hw
    monkeypatch.setenv("XCL_EMULATION_MODE", "sw_emu")  # read by the probe before any device is opened
    ok, _v, detail = xrt_mod.XrtBackend.probe()
    assert not ok and "built for target 'hw'" in detail and "XCL_EMULATION_MODE=sw_emu" in detail
