"""Shared by the ad-hoc A/B scripts (benchmarks/ab_*.py): the opencl device with a profiling queue
whose kernel launches are recorded, so each script reads the device time of every kernel it ran."""
import sys

import fpgaops as fo
from fpgaops.backends.opencl import isa


def profiled_opencl():
    """(device, events): the opencl device, its queue replaced by a profiling one, and the list that
    collects (kernel name, OpenCL event) for every launch from now on (clear it between runs)."""
    be = fo.get_device("opencl")
    cl = be.cl
    print(f"device {be.device.name.strip()}; isa {isa.detect(be)}", file=sys.stderr)
    be.queue = cl.CommandQueue(be.ctx, properties=cl.command_queue_properties.PROFILING_ENABLE)
    events = []

    def enqueue(k, gsize, lsize, args):
        k.set_args(*args)
        events.append((k.function_name, cl.enqueue_nd_range_kernel(be.queue, k, gsize, lsize)))

    be.enqueue = enqueue
    return be, events
