"""The dynamic batcher on its own (no HTTP): merging, splitting back, deadlines, draining."""
import asyncio
import threading

import numpy as np
import pytest

import fpgaops
from fpgaops.serve.runtime import RequestTimeout, Unavailable, batch_sizes, load_version


def test_batch_sizes():
    assert batch_sizes(1) == [1] and batch_sizes(8) == [1, 2, 4, 8] and batch_sizes(6) == [1, 2, 4, 6]


@pytest.fixture
def mv(tiny_repo):
    mv = load_version(tiny_repo[0], "tiny_a", 1)
    yield mv, fpgaops.load_onnx(tiny_repo[1]["tiny_a"])
    mv._close()


def test_queued_requests_merge_and_split_bit_identically(mv):
    mv, net = mv
    rows = []

    async def go():
        mv.start()
        real = mv.instances[0].run
        mv.instances[0].run = lambda xs: rows.append(xs[0].shape[0]) or real(xs)
        # 11 one-row requests queued in the same tick, and one of 3 rows (never merged)
        xs = [np.random.default_rng(i).standard_normal((1, 3, 8, 8), dtype=np.float32) for i in range(11)]
        x3 = np.random.default_rng(99).standard_normal((3, 3, 8, 8), dtype=np.float32)
        futs = [mv.submit([x], 30) for x in xs] + [mv.submit([x3], 30)]
        outs = await asyncio.gather(*futs)
        await mv.drain_and_stop()
        return xs + [x3], outs

    xs, outs = asyncio.run(go())
    for x, o in zip(xs, outs):
        np.testing.assert_array_equal(o[0], net(x, device=mv.device))
    # 8 + 2 + 1 from the verified sizes (all of 1, 2, 4, 8 pass on this model), then the 3-row request
    assert sorted(rows) == sorted([8, 2, 1, 3]) if mv.sizes == [1, 2, 4, 8] else sum(rows) == 14


def test_deadline_and_draining(mv):
    mv, _ = mv

    async def go():
        mv.start()
        x = np.zeros((1, 3, 8, 8), np.float32)
        late = mv.submit([x], -1.0)  # already past its deadline
        ok = mv.submit([x], 30)
        stop = asyncio.ensure_future(mv.drain_and_stop())
        await asyncio.sleep(0)
        with pytest.raises(Unavailable):
            mv.submit([x], 30)
        with pytest.raises(RequestTimeout):
            await late
        r = await ok  # queued before the drain: still answered
        await stop
        return r

    assert asyncio.run(go())[0].shape == (1, 5)


def test_lone_request_starts_at_once_and_close_ends_the_thread(mv):
    """A request that finds an instance idle and nobody queued is handed to the instance's thread
    inside submit -- it never waits for max_queue_delay_ms (tiny_a: batching up to 8, 5 ms delay);
    requests arriving while the instance is busy queue and are merged when it frees."""
    mv, net = mv
    gate = threading.Event()

    async def go():
        mv.start()
        real = mv.instances[0].run
        mv.instances[0].run = lambda xs: (gate.wait(60), real(xs))[1]
        x = np.random.default_rng(0).standard_normal((1, 3, 8, 8), dtype=np.float32)
        first = mv.submit([x], 30)
        assert mv.inflight == 1 and not mv.queue and mv._timer is None  # running, no fill wait
        later = [mv.submit([x], 30) for _ in range(3)]
        assert mv.inflight == 1 and len(mv.queue) == 3  # the instance is busy: they wait
        gate.set()
        outs = await asyncio.gather(first, *later)
        await mv.drain_and_stop()
        return x, outs

    x, outs = asyncio.run(go())
    for o in outs:
        np.testing.assert_array_equal(o[0], net(x, device=mv.device))
    assert mv.instances[0]._thread is not None and not mv.instances[0]._thread.is_alive()


def test_failing_batch_fails_its_requests_only(mv):
    mv, _ = mv

    async def go():
        mv.start()
        real = mv.instances[0].run
        mv.instances[0].run = lambda xs: (_ for _ in ()).throw(RuntimeError("device lost"))
        x = np.zeros((1, 3, 8, 8), np.float32)
        with pytest.raises(RuntimeError, match="device lost"):
            await mv.submit([x], 30)
        mv.instances[0].run = real  # the instance thread survived and serves the next request
        r = await mv.submit([x], 30)
        await mv.drain_and_stop()
        return r

    assert asyncio.run(go())[0].shape == (1, 5)
