"""Shared by the ad-hoc A/B scripts (benchmarks/ab_*.py): the opencl device with a profiling queue
whose kernel launches are recorded, so each script reads the device time of every kernel it ran."""
import importlib.util
import sys
from pathlib import Path

import fpgaops as fo
from fpgaops import config
from fpgaops.backends.opencl import conv2d, conv_common, dwconv, isa


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


def dwconv_variants(be, before):
    """(use, restore): use(v) switches the opencl depthwise path to variant v, "before" (the dwconv
    launcher and kernels/ of the checkout ``before``) or "after" (this one's), each with its own
    program caches; restore() puts this checkout's back."""
    before = Path(before).resolve()
    spec = importlib.util.spec_from_file_location(
        "fpgaops.backends.opencl._dwconv_before", before / "python/fpgaops/backends/opencl/dwconv.py")
    dw_before = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dw_before)
    variants = {"before": (before / "kernels", dw_before), "after": (Path(config.kernel_source_dir()), dwconv)}
    caches = {v: ({}, {}) for v in variants}
    real_dir = config.kernel_source_dir

    def use(v):
        kdir, mod = variants[v]
        config.kernel_source_dir = lambda: kdir
        conv2d.dwconv = mod
        be._programs, conv_common._PROGRAMS = caches[v]

    def restore():
        config.kernel_source_dir = real_dir
        conv2d.dwconv = dwconv

    return use, restore


def device_seconds(events, keep=lambda name: True):
    """Device seconds of the recorded launches whose kernel name ``keep`` accepts."""
    return sum((e.profile.end - e.profile.start) * 1e-9 for n, e in events if keep(n))


def rotated_rounds(dev, events, variants, run, check, rounds, keep=lambda name: not name.endswith("_pack")):
    """{variant: [device seconds per round]}: every round runs ``run(v)`` for each variant, the
    order rotated round by round (the machine's load alike for all); round 0 is untimed and passes
    each result to ``check(v, y)`` (which exits on a wrong one). Timed: the launches ``keep``
    accepts (default: not the cached weight packing)."""
    names = list(variants)
    times = {v: [] for v in names}
    for rnd in range(rounds + 1):
        for v in names[rnd % len(names):] + names[:rnd % len(names)]:
            events.clear()
            y = run(v)
            dev.finish()
            if rnd == 0:
                check(v, y)
            else:
                times[v].append(device_seconds(events, keep))
    return times
