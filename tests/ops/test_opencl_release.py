"""A tensor's device buffer goes back to the opencl backend from the tensor's finalizer, which runs
wherever a garbage collection starts: also inside the backend's own critical sections, on the thread
that holds the lock (allocate, program builds). That must neither deadlock (it did, with a plain
Lock: a hang in the suite) nor lose the buffer."""
import gc
import threading

import numpy as np

import fpgaops


def test_a_finalizer_inside_the_backends_lock_neither_hangs_nor_loses_the_buffer(require):
    require("opencl")
    be = fpgaops.get_device("opencl")
    done, freed = threading.Event(), []

    def body():
        t = fpgaops.to_device(np.arange(1000, dtype=np.float32), device="opencl")
        size = t.handle.size
        cycle = [t]
        cycle.append(cycle)  # only the collector frees it: its finalizer runs at the collection
        del t, cycle
        with be._lock:  # as allocate()/release() hold it when an allocation starts a collection
            before, room = len(be._free.get(size, [])), be._pooled + size <= be._pool_limit
            gc.collect()
            freed.append(len(be._free.get(size, [])) - before == int(room))
        done.set()

    worker = threading.Thread(target=body, daemon=True)  # a deadlock must fail the test, not hang it
    worker.start()
    assert done.wait(60), "release() from a finalizer deadlocked on the backend's lock"
    assert freed == [True]  # the buffer went back to the pool (if the pool had room)


def test_allocation_goes_on_while_a_program_builds(require):
    # a build takes seconds: other threads' allocations and releases must not wait for it
    require("opencl")
    be = fpgaops.get_device("opencl")
    done = threading.Event()

    def alloc():
        fpgaops.to_device(np.ones(64, np.float32), device="opencl")
        done.set()

    with be._build_lock:  # as program() holds it during a build
        threading.Thread(target=alloc, daemon=True).start()
        assert done.wait(60), "an allocation waited for the program build"
