"""Compute-unit sets: independent network runs on one xrt device go to different CU sets.

The xclbin is the project's metadata-only one for the U50 with two CU sets (connectivity from
fpgaops.estimator.connectivity, as bench_estimate --write-configs lays it out). XRT's noop driver
runs no kernel, so for the numbers every launch is also computed by the csim backend through the
xrt backend's own fallback path (inputs read back from the xrt buffers, results written into
them): the xrt side (CU choice, banks, argument checks, buffer traffic) is exercised for real and
the values are checked exactly against a csim run of the same network."""
import threading

import numpy as np
import pytest

import fpgaops
from fpgaops import kernels, platforms, xclbin
from fpgaops.backends import xrt as xrt_mod
from fpgaops.estimator import connectivity
from fpgaops.estimator.memory import board_config

BARRIER_S = 20  # how long one run waits for the other to hold a set too (a deadlock guard, not a timing)


def _two_set_xclbin(tmp_path, sets):
    p = platforms.load("u50")
    q = connectivity.with_sets(p, kernels.load(), board_config(p).kernels, sets)
    out = tmp_path / f"fpgaops_u50_{sets}sets_hw.xclbin"
    xclbin.project_xclbin("u50", platform=q).write(out)
    xclbin.write_manifest(out, "u50", "hw", {"name": "test", "version": "0", "bitstream": False},
                          fpgaops.config.current())
    return out


def _tiny_int8_net(seed=0):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((8, 3, 3, 3)) * 0.3).astype(np.float32)
    w2 = (rng.standard_normal((8, 8, 3, 3)) * 0.2).astype(np.float32)
    inits = [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")]
    nodes = [helper.make_node("Conv", ["input", "w1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Conv", ["p1", "w2"], ["output"], pads=[1, 1, 1, 1])]
    g = helper.make_graph(nodes, "cu_sets", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 8, 4, 4])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    net = fpgaops.load_onnx(m.SerializeToString())
    calib = [rng.standard_normal((1, 3, 8, 8)).astype(np.float32) for _ in range(2)]
    return net.quantize(calib)


def _computing(dev, barrier=None):
    """Make ``dev`` compute (on csim, through its fallback path) after each xrt launch, and record
    the CU set and CU of every launch; with ``barrier``, a thread's first launch waits there."""
    seen, first = [], set()
    real_launch = dev._launch

    def launch(k, name, values):
        me = threading.get_ident()
        if barrier is not None and me not in first:
            first.add(me)
            barrier.wait(BARRIER_S)  # both runs hold a set at once, or this breaks
        seen.append((me, dev._held.index, name, k.cu))
        return real_launch(k, name, values)

    real_run = dev.run

    def run(call):
        real_run(call)              # the xrt launch (noop: nothing computed)
        dev._run_on_fallback(call)  # the values, computed by csim into the xrt buffers

    dev._launch, dev.run = launch, run
    return seen


@pytest.fixture
def xrt_sets(xrt, tmp_path):
    made = []

    def open_(sets):
        dev = xrt_mod.open(_two_set_xclbin(tmp_path, sets), allow_noop=True, fallback="csim")
        made.append(dev)
        return dev

    yield open_
    for d in made:
        d.close()


def test_connectivity_with_two_sets_passes_the_platform_check():
    p = platforms.load("u50")
    q = connectivity.with_sets(p, kernels.load(), board_config(p).kernels, 2)
    assert platforms.check(q, kernels.load()) == []
    assert q.compute_units("fpgaops_conv2d_i8") == ["fpgaops_conv2d_i8_1", "fpgaops_conv2d_i8_2"]
    assert q.compute_units("fpgaops_gemm_i8") == ["fpgaops_gemm_i8_1"]   # not replicated: shared by both sets
    one = {q.port_banks("fpgaops_conv2d_i8_1", a)[0] for a in ("x", "weight", "residual", "y")}
    two = {q.port_banks("fpgaops_conv2d_i8_2", a)[0] for a in ("x", "weight", "residual", "y")}
    assert len(one) == len(two) == 4 and not one & two   # each set streams through its own channels


def test_two_runs_proceed_at_once_on_two_sets_and_are_exact(xrt_sets):
    dev = xrt_sets(2)
    assert dev.num_cu_sets == 2
    assert dev.cu_of("fpgaops_conv2d_i8", 1) == "fpgaops_conv2d_i8_2"
    assert dev.cu_of("fpgaops_gemm_i8", 1) == ""   # one CU: XRT's any
    net = _tiny_int8_net()
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((1, 3, 8, 8)).astype(np.float32) for _ in range(2)]
    want = [net(x, device="csim") for x in xs]
    seen = _computing(dev, threading.Barrier(2))
    got, errors = [None, None], []

    def worker(i):
        try:
            got[i] = net(xs[i], device=dev)
        except BaseException as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    sets_of = {}
    for me, index, name, cu in seen:
        sets_of.setdefault(me, set()).add(index)
    assert sorted(s for v in sets_of.values() for s in v) == [0, 1]   # one set per run, held all run long
    conv_cus = {cu for _me, _i, name, cu in seen if name == "fpgaops_conv2d_i8"}
    assert conv_cus == {"fpgaops_conv2d_i8_1", "fpgaops_conv2d_i8_2"}
    assert dev._free_sets == [0, 1]
    # a kernel with several CUs is only ever opened CU by CU (one context per CU and process)
    assert all(cu for name, cu in dev._kernels if len(dev.compute_units[name]) > 1)


def test_one_set_serialises_runs_as_before(xrt_sets):
    """One CU per kernel: runs wait for each other (the device lock of before). Values are not
    checked here: with one set, an input in another bank than its port moves there by a
    device-side copy (as before), which XRT's noop driver does not perform."""
    dev = xrt_sets(1)
    assert dev.num_cu_sets == 1 and dev.cu_of("fpgaops_conv2d_i8", 0) == ""
    net = _tiny_int8_net()
    x = np.random.default_rng(2).standard_normal((1, 3, 8, 8)).astype(np.float32)
    seen = []
    real_launch = dev._launch
    dev._launch = lambda k, name, values: (seen.append((None, dev._held.index, name, k.cu)),
                                           real_launch(k, name, values))[1]
    holders, most = [0], [0]
    lock = threading.Lock()
    real_set = dev.cu_set

    def counting_set():
        cm = real_set()

        class Hold:
            def __enter__(self):  # counts the threads holding a set (outermost holds only)
                r = cm.__enter__()
                if dev._held.depth == 1:
                    with lock:
                        holders[0] += 1
                        most[0] = max(most[0], holders[0])
                return r

            def __exit__(self, *a):
                if dev._held.depth == 1:
                    with lock:
                        holders[0] -= 1
                return cm.__exit__(*a)

        return Hold()

    dev.cu_set = counting_set
    out = [None, None]
    threads = [threading.Thread(target=lambda i=i: out.__setitem__(i, net(x, device=dev))) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(o.shape == (1, 8, 4, 4) for o in out)
    assert most[0] == 1 and {i for _me, i, _n, _c in seen} == {0}


def test_read_only_inputs_get_replicas_in_the_other_sets_banks(xrt_sets):
    dev = xrt_sets(2)
    h = dev.allocate(64)
    dev.copy_in(h, np.arange(16, dtype=np.int32))
    arg = next(a for a in dev.kernel("fpgaops_conv2d_i8", "fpgaops_conv2d_i8_2").args if a["name"] == "weight")
    with dev._lock:
        bo = dev._place(h, arg, {}, read_only=True)
    assert bo.bank in arg["banks"] and h.bank == dev.home_bank and h.bank not in arg["banks"]
    assert list(h.replicas) == [bo.bank]
    dev.copy_in(h, np.zeros(16, np.int32))   # a write drops the stale replica
    assert h.replicas == {}


def test_native_kernel_per_compute_unit(xrt, tmp_path):
    """The binding opens one CU ("kernel:{cu}") with that CU's banks, or all of them."""
    d = xrt.Device(0)
    d.load_xclbin(str(_two_set_xclbin(tmp_path, 2)))
    name = "fpgaops_conv2d_i8"
    assert d.compute_units(name) == [f"{name}_1", f"{name}_2"]
    one, two, both = d.kernel(name, f"{name}_1"), d.kernel(name, f"{name}_2"), d.kernel(name)
    assert (one.cu, two.cu, both.cu) == (f"{name}_1", f"{name}_2", "")
    x = [next(a["banks"] for a in k.args if a["name"] == "x") for k in (one, two, both)]
    assert len(x[0]) == len(x[1]) == 1 and x[0] != x[1] and sorted(x[0] + x[1]) == x[2]
    with pytest.raises(KeyError, match="no compute unit"):
        d.kernel(name, "nope")
