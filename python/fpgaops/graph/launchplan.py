"""When a network run goes through a launch plan (backends/opencl/replay.py), shared by the float
runner (runner.py) and the int8 runner (quantize.py).

Per input-shape specialization and device, a state: absent before the first run (which runs op by
op: it builds kernels, uploads weights and fills the weight caches), "warm" after it; the second
run is recorded (op by op, inside ``dev.record()``) and leaves either the plan or the reason there
is none (a string); from the third run on the plan is replayed.
"""
import threading

import numpy as np

WARM = "warm"
RECORDING = "being recorded"
_lock = threading.Lock()  # the WARM -> RECORDING step: one thread records a specialization
_device_locks = {}


def device_lock(dev):
    """The lock a network run holds on ``dev`` from its first launch to its outputs' download.
    Network runs on one device are serialised: a recording run must not share the buffer pool
    with another run (a buffer it releases and claims at the end could meanwhile be handed to
    the other), and launchers share per-device scratch buffers between consecutive launches.

    A device with compute-unit sets (``cu_set()``: the xrt backend, which records no launches,
    pools no buffers and keeps no scratch) instead gives the run one CU set: runs proceed at
    once up to the number of sets (an xclbin linked with nk=<kernel>:N has N), one image each."""
    if hasattr(dev, "cu_set"):
        return dev.cu_set()
    with _lock:
        return _device_locks.setdefault(dev.name, threading.RLock())


def _host(v):
    return v if isinstance(v, np.ndarray) else v.numpy()


def run_planned(states, dev, xs, record, as_tensors):
    """(outputs, meta) by the launch plan, or None when this run must go op by op.

    states: {device name: state} of one specialization; xs: checked inputs (arrays or Tensors);
    record(ins, recording) -> (outputs, meta) runs the graph op by op from the plan-owned input
    Tensors ``ins`` with ``recording`` active around its node loop (outputs: device Tensors, or
    host arrays for outputs no node computes, which make the run unplannable; meta: whatever the
    caller needs again with every replay's outputs). Outputs are NumPy arrays, or with
    ``as_tensors`` device Tensors the caller owns."""
    with _lock:
        state = states.get(dev.name)
        if state is None:
            states[dev.name] = WARM if dev.record() is not None else "the device records no kernel launches"
            return None
        if state == WARM:
            states[dev.name] = RECORDING
    if isinstance(state, str) and state != WARM:
        return None  # no plan possible, or another thread is recording it
    if state == WARM:
        from ..transfer import to_device

        try:
            # the plan owns its input buffers: upload even a device Tensor input afresh
            ins = [to_device(x if isinstance(x, np.ndarray) else x.numpy(), dev) for x in xs]
            rec = dev.record()
            outs, meta = record(ins, rec)
        except BaseException:
            states[dev.name] = WARM
            raise
        if any(isinstance(o, np.ndarray) for o in outs):
            rec.fail("an output that no node computes")
        elif any(o.size == 0 for o in outs + ins):
            rec.fail("an empty tensor")
        plan = rec.plan(ins, outs)
        if plan is None:
            states[dev.name] = WARM if rec.transient else rec.failure
            if as_tensors:
                return [o if not isinstance(o, np.ndarray) else to_device(o, dev) for o in outs], meta
            return [_host(o) for o in outs], meta
        states[dev.name] = (plan, meta)
        with plan.lock:
            return plan.results(as_tensors), meta
    plan, meta = state
    with plan.lock:
        plan.run(xs)
        return plan.results(as_tensors), meta


def plan_of(states, dev):
    """The plan of one specialization on ``dev``, the reason there is none, or None (not recorded yet)."""
    state = states.get(dev.name)
    if state is None or state in (WARM, RECORDING):
        return None
    return state if isinstance(state, str) else state[0]
