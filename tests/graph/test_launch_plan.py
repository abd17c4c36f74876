"""Launch plans (backends/opencl/replay.py): from the third run of an input shape the runner
replays the recorded kernel launches. A replay must give bit-identical outputs to the op-by-op run
(same kernels, same arguments), own its buffers (nothing the pool hands out later aliases them,
outputs handed to the caller are not overwritten by the next run) and fall back to op-by-op
execution where a run is not replayable (a host fallback node)."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper  # noqa: E402

import fpgaops  # noqa: E402
from fpgaops import models  # noqa: E402
from graph_helpers import model  # noqa: E402


@pytest.fixture
def opencl(require):
    require("opencl")
    with fpgaops.device("opencl"):
        yield fpgaops.backends.get_device("opencl")


def images(n, size, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((1, 3, size, size)).astype(np.float32) for _ in range(n)]


def eager(net, xs, **kw):
    net.launch_plans = False
    try:
        return [net(x, **kw) for x in xs]
    finally:
        net.launch_plans = True


@pytest.mark.parametrize("name", ["mobilenet_v3_small", "resnet18"])
def test_replay_is_bit_exact_float32(opencl, name):
    net = fpgaops.load_onnx(models.build_onnx(name, num_classes=10))
    xs = images(3, 64)
    want = eager(net, xs)
    for _ in range(2):  # warm, record, then replays
        got = [net(x) for x in xs]
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    plan = net.launch_plan(xs[0])
    assert not isinstance(plan, str) and plan is not None, plan
    assert plan.num_launches >= len(net.optimized(xs[0]).nodes) - 2  # Views launch nothing
    # another input shape gets a plan of its own
    x2 = images(1, 96, seed=5)[0]
    w2 = eager(net, [x2])[0]
    for _ in range(3):
        np.testing.assert_array_equal(net(x2), w2)
    assert net.launch_plan(x2) is not plan


def test_replay_is_bit_exact_int8(opencl):
    net = fpgaops.load_onnx(models.build_onnx("mobilenet_v3_small", num_classes=10))
    qnet = net.quantize(images(2, 64, seed=3))
    xs = images(2, 64, seed=4)
    net.launch_plans = False
    want = [qnet.run(x, int8_outputs=True) for x in xs]
    net.launch_plans = True
    for _ in range(2):
        for x, w in zip(xs, want):
            got = qnet.run(x, int8_outputs=True)
            assert [q for _v, q in got] == [q for _v, q in w]
            for (g, _), (v, _) in zip(got, w):
                np.testing.assert_array_equal(g, v)
    plan = qnet.launch_plan(xs[0])
    assert plan is not None and not isinstance(plan, str), plan


def test_device_quantize_is_bit_exact(opencl):
    from fpgaops import quant

    rng = np.random.default_rng(7)
    q = quant.QParams(0.0375, -7)
    halves = (np.arange(-300, 300) + 0.5).astype(np.float32) * np.float32(q.scale32)  # ties of x / scale
    x = np.concatenate([halves, rng.standard_normal(5000).astype(np.float32) * 3, [0, -0.0, 1e30, -1e30]])
    x = x.astype(np.float32)
    t = opencl.quantize_tensor(fpgaops.to_device(x), q.scale32, q.zero_point)
    if t is None:
        pytest.skip("the OpenCL device has no float64: the int8 runner converts on the host")
    np.testing.assert_array_equal(t.numpy(), quant.quantize(x, q))
    codes = np.arange(-128, 128, dtype=np.int8)
    d = opencl.dequantize_tensor(fpgaops.to_device(codes), q.scale32, q.zero_point)
    np.testing.assert_array_equal(d.numpy(), quant.dequantize(codes, q).astype(np.float32))


def test_plan_owns_its_buffers(opencl):
    net = fpgaops.load_onnx(models.build_onnx("mobilenet_v3_small", num_classes=10))
    xs = images(2, 64, seed=1)
    want = eager(net, xs)
    outs = [net.run(xs[i % 2], as_tensors=True)[0] for i in range(4)]
    plan = net.launch_plan(xs[0])
    claimed = {b.int_ptr for b in plan.buffers}
    # tensors the caller holds are copies: the next replay does not overwrite them
    np.testing.assert_array_equal(outs[2].numpy(), want[0])
    np.testing.assert_array_equal(outs[3].numpy(), want[1])
    assert not claimed & {o.handle.int_ptr for o in outs}
    # memory handed out after the plan never aliases it, even after tensors die and are pooled
    del outs
    held = [opencl.empty((n,), np.float32) for n in (10, 64, 4096, 16384, 65536, 200704, 802816) for _ in range(3)]
    assert not claimed & {t.handle.int_ptr for t in held}
    # device Tensor inputs replay too
    t = fpgaops.to_device(xs[1])
    np.testing.assert_array_equal(net(t), want[1])


def test_host_fallback_runs_op_by_op(opencl):
    # Neg runs as a host fallback (NumPy), so the run is not replayable
    w = np.random.default_rng(0).standard_normal((4, 3, 3, 3)).astype(np.float32)
    m = model([helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]), helper.make_node("Neg", ["c"], ["y"])],
              [("x", (1, 3, 8, 8))], [("y", (1, 4, 8, 8))], {"w": w})
    net = fpgaops.load_onnx(m, allow_fallback=True)
    x = images(1, 8)[0]
    want = eager(net, [x])[0]
    for _ in range(3):
        np.testing.assert_array_equal(net(x), want)
    reason = net.launch_plan(x)
    assert isinstance(reason, str) and "fallback" in reason


def test_concurrent_runs_share_a_plan_safely(opencl):
    # threads running one network: one records, the others run op by op meanwhile, then every
    # replay holds the plan's lock from the input upload to the output download
    import threading

    net = fpgaops.load_onnx(models.build_onnx("mobilenet_v3_small", num_classes=10))
    xs = images(4, 48, seed=9)
    want = eager(net, xs)
    errors = []

    def worker(i):
        try:
            for r in range(4):
                j = (i + r) % len(xs)
                np.testing.assert_array_equal(net(xs[j]), want[j])
        except Exception as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    plan = net.launch_plan(xs[0])
    assert plan is not None and not isinstance(plan, str), plan


def _movement_block():
    """A ShuffleNet unit and a ConvNeXt block in one graph: Split, Slice, Concat and the channel-shuffle
    Transpose (fused: ChannelShuffle), NCHW <-> NHWC permutes, LayerNormalization, the exported GELU pattern (fused to Gelu)."""
    H = helper.make_node
    rng = np.random.default_rng(1)
    i64 = lambda v: np.array(v, np.int64)  # noqa: E731
    nodes = [H("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]), H("Relu", ["c"], ["r"]),
             H("Split", ["r", "sp"], ["a", "b"], axis=1), H("Slice", ["r", "st", "en", "ax"], ["s"]),
             H("Add", ["b", "s"], ["bs"]), H("Concat", ["a", "bs"], ["cat"], axis=1),
             H("Reshape", ["cat", "g5"], ["v5"]), H("Transpose", ["v5"], ["t5"], perm=[0, 2, 1, 3, 4]),
             H("Reshape", ["t5", "g4"], ["sh"]), H("Transpose", ["sh"], ["nhwc"], perm=[0, 2, 3, 1]),
             H("LayerNormalization", ["nhwc", "lw", "lb"], ["ln"], axis=-1, epsilon=1e-6),
             H("Div", ["ln", "r2"], ["d"]), H("Erf", ["d"], ["e"]), H("Add", ["e", "one"], ["p"]),
             H("Mul", ["ln", "p"], ["m"]), H("Mul", ["m", "half"], ["gl"]),
             H("Transpose", ["gl"], ["y"], perm=[0, 3, 1, 2])]
    inits = {"w": rng.standard_normal((8, 3, 3, 3)).astype(np.float32) * 0.3, "sp": i64([4, 4]),
             "st": i64([4]), "en": i64([8]), "ax": i64([1]), "g5": i64([0, 2, 4, -1, 24]), "g4": i64([0, 8, -1, 24]),
             "lw": rng.standard_normal(8).astype(np.float32), "lb": rng.standard_normal(8).astype(np.float32),
             "r2": np.float32(np.sqrt(2)), "one": np.float32(1), "half": np.float32(0.5)}
    return model(nodes, [("x", (1, 3, 24, 24))], [("y", None)], inits)


def test_replay_movement_norm_gelu_is_bit_exact(opencl):
    """Every op of the block runs on the device (no host op), and replays bit-identically."""
    from graph_helpers import ort_run

    m = _movement_block()
    net = fpgaops.load_onnx(m)
    xs = [np.random.default_rng(s).standard_normal((1, 3, 24, 24)).astype(np.float32) for s in range(3)]
    ops = {n.op for n in net.optimized(xs[0]).nodes}
    # (the Concat and the shuffle's Transpose are one ChannelShuffle node: graph/shuffle.py)
    assert {"Split", "Slice", "ChannelShuffle", "Transpose", "LayerNorm", "Gelu"} <= ops and "Host" not in ops, ops
    prof = net.profile(xs[0], warmup=0)
    assert not [r for r in prof.rows if r.algorithm.startswith("host")], str(prof)
    want = eager(net, xs)
    for x, w in zip(xs, want):
        ref = ort_run(m, x)[0]
        assert np.max(np.abs(w - ref)) <= 1e-5 * np.max(np.abs(ref))
    for _ in range(2):
        for x, w in zip(xs, want):
            np.testing.assert_array_equal(net(x), w)
    plan = net.launch_plan(xs[0])
    assert plan is not None and not isinstance(plan, str), plan


def test_timeline_of_a_replay(opencl):
    net = fpgaops.load_onnx(models.build_onnx("mobilenet_v3_small", num_classes=10))
    x = images(1, 64, seed=6)[0]
    for _ in range(3):
        net(x)
    plan = net.launch_plan(x)
    tl = plan.timeline([x])
    assert [r.name for r in tl.launches] == [k.function_name for k, _g, _l in plan.steps]
    for r, (_k, gsize, lsize) in zip(tl.launches, plan.steps):
        assert r.gsize == gsize and 0 <= r.start <= r.end
        assert r.groups == (None if lsize is None else int(np.prod(np.ceil(np.divide(gsize, lsize)))))
    # the queue is in order: a launch starts after the previous one ended
    assert len(tl.gaps) == plan.num_launches - 1 and min(tl.gaps) >= 0
    assert tl.kernel == pytest.approx(sum(r.end - r.start for r in tl.launches))
    assert tl.upload >= 0 and tl.readback >= 0 and tl.wall > 0
    assert [n for n, _g, _s in plan.kernel_times([x])] == [r.name for r in tl.launches]
    np.testing.assert_array_equal(net(x), eager(net, [x])[0])  # the profiled replay left the plan intact


def test_a_failed_enqueue_leaves_the_queue_usable(opencl):
    # LaunchPlan.run enqueues behind a user event: an error halfway must still release it, or
    # every later command on the device's queue would wait forever
    import threading

    net = fpgaops.load_onnx(models.build_onnx("mobilenet_v3_small", num_classes=10))
    x = images(1, 64, seed=7)[0]
    want = eager(net, [x])[0]
    for _ in range(3):
        net(x)
    plan = net.launch_plan(x)
    steps = plan.steps
    k, gsize, _l = steps[1]
    big = (2 * opencl.device.max_work_group_size,) + (1,) * (len(gsize) - 1)  # above any device's limit
    plan.steps = steps[:2] + [(k, big, big)] + steps[2:]
    try:
        with pytest.raises(opencl.cl.Error):
            plan.run([x])
    finally:
        plan.steps = steps
    done = threading.Event()
    threading.Thread(target=lambda: (opencl.finish(), done.set()), daemon=True).start()
    assert done.wait(30), "the queue is blocked"
    np.testing.assert_array_equal(net(x), want)
