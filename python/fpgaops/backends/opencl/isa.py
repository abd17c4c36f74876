"""What the OpenCL device's instruction set allows, decided once per device: the one place the
OpenCL launchers ask about CPU features.

Two facts matter to the kernels:

* ``avx512``: the device compiler targets AVX-512 (32 vector registers): conv_im2col's register
  blocking can hold kv 4 output-channel vectors per pixel (``conv2d.opencl.kv_avx512``) where
  AVX2's 16 registers fit kv 2 (``conv2d.opencl.kv``). Taken from the device itself: PoCL on x86
  reports a native float vector width of 16 exactly when it compiles for AVX-512.
* ``vnni``: the int8 kernels may use ``vpdpbusd`` (u8 x s8, four products per int32 lane):
  512 = AVX512-VNNI (EVEX encoding, ymm0-31), 256 = AVX-VNNI (VEX, ymm0-15), 0 = neither. PoCL
  3.1 compiles for a named LLVM CPU (``skylake-avx512`` on Zen 4) that lacks VNNI even where the
  host has it, and clang's ``__builtin_ia32_vpdpbusd*`` refuse to compile there (a
  ``target("avx512vnni")`` attribute does not survive PoCL's work-group wrapper, which inlines the
  kernel). So the kernels emit the instruction as inline assembly (kernels/opencl/pair_dot.h), and
  whether it may run is the *host CPU's* flags (/proc/cpuinfo), valid because a PoCL CPU device
  runs its kernels on the host's cores, and confirmed by running the instruction once
  (``probe_vnni``: PoCL's LLVM silently drops an inline-asm instruction its target lacks). Any other device (a GPU, an FPGA runtime, PoCL on
  another architecture) gets vnni 0: the portable int16-pair path.

``detect(backend)`` is memoised per device. Tests force either branch by monkeypatching
``detect`` (register blocking: any machine computes correctly with either kv) -- except VNNI on a
CPU without it, which would fault: those tests skip with the reason.
"""
import functools
import platform
from collections import namedtuple
from pathlib import Path

from ... import config

Isa = namedtuple("Isa", "pocl_x86 avx512 vnni")

_CPUINFO = "/proc/cpuinfo"


@functools.lru_cache(maxsize=None)
def cpu_flags(path=_CPUINFO):
    """The host CPU's feature flags (Linux /proc/cpuinfo, first 'flags' line); empty elsewhere."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def is_pocl_x86(device):
    """A PoCL CPU device on an x86-64 host (its kernels run on the host's cores)."""
    import pyopencl as cl

    plat = device.platform
    pocl = "Portable Computing Language" in plat.name or "PoCL" in plat.version
    cpu = bool(device.type & cl.device_type.CPU)
    return pocl and cpu and platform.machine().lower() in ("x86_64", "amd64")


_CACHE = {}


def detect(backend):
    """Isa(pocl_x86, avx512, vnni) of ``backend``'s OpenCL device (see the module docstring)."""
    dev = backend.device
    key = dev.int_ptr
    hit = _CACHE.get(key)
    if hit is None:
        x86 = is_pocl_x86(dev)
        flags = cpu_flags() if x86 else frozenset()
        avx512 = x86 and dev.native_vector_width_float >= 16 and "avx512f" in flags
        vnni = 0
        if avx512 and {"avx512_vnni", "avx512vl"} <= flags:
            vnni = 512
        elif x86 and "avx_vnni" in flags:
            vnni = 256
        if vnni and not probe_vnni(backend, vnni):
            vnni = 0
        hit = _CACHE[key] = Isa(x86, avx512, vnni)
    return hit


_PROBE = """
__kernel __attribute__((reqd_work_group_size(1, 1, 1)))
void vnni_probe(__global const int *acc, __global const int *u, __global const int *s, __global int *y) {
    vstore8(QUAD_DOT8(vload8(0, acc), vload8(0, u), vload8(0, s)), 0, y);
}
"""


def probe_vnni(backend, vnni):
    """Run QUAD_DOT8 (pair_dot.h) of form ``vnni`` once on known bytes and compare with NumPy.
    Only called when the host CPU has the instruction. Needed because PoCL's LLVM drops an inline
    asm instruction its target CPU lacks *silently* (no error, no instruction: measured with
    PoCL 3.1 / LLVM 15 and the VEX form on a skylake-avx512 target), which would make the kernels
    compute wrong sums; a form whose probe fails is not used (the int16-pair form is)."""
    import numpy as np

    cl = backend.cl
    path = Path(config.kernel_source_dir()) / "opencl" / "pair_dot.h"
    rng = np.random.default_rng(7)
    u = rng.integers(0, 256, 32, dtype=np.uint8)
    u[:4] = 255
    s = rng.integers(-128, 128, 32, dtype=np.int8)
    s[:4] = -128
    acc = rng.integers(-2**20, 2**20, 8, dtype=np.int32)
    want = acc + (u.astype(np.int32) * s.astype(np.int32)).reshape(8, 4).sum(1)
    try:
        prg = cl.Program(backend.ctx, path.read_text() + _PROBE).build(options=[f"-DFPGAOPS_VNNI={vnni}"])
        mf = cl.mem_flags
        bufs = [cl.Buffer(backend.ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=a) for a in (acc, u, s)]
        y = np.zeros(8, np.int32)
        yb = cl.Buffer(backend.ctx, mf.WRITE_ONLY, y.nbytes)
        queue = cl.CommandQueue(backend.ctx)
        prg.vnni_probe(queue, (1,), (1,), *bufs, yb)
        cl.enqueue_copy(queue, y, yb, is_blocking=True)
    except cl.Error:
        return False
    return bool(np.array_equal(y, want))


def build_defines(isa):
    """-D flags an OpenCL program of the conv family gets for ``isa`` (kernels/opencl/conv2d.cl)."""
    return ["-DFPGAOPS_AVX512=1"] if isa.avx512 else []


# The int8 VNNI form is exact while 255 * 128 * taps < 2^31 (the proof: kernels/opencl/conv_int8.h);
# the same bound as ops/conv2d.py's INT8_MAX_TAPS, checked again here so a change there cannot
# silently take this form past it.
VNNI_MAX_TAPS = (2**31 - 1) // (255 * 128)


def int8_form(backend, taps):
    """(TW, -D flags) of the int8 GEMM kernels (conv2d.cl, gemm.cl) for a reduction of ``taps``
    taps (Cg*R*S of a conv, K of a GEMM):
    TW = 4 with -DFPGAOPS_VNNI=512|256 (vpdpbusd on u8 quads) when gemm.opencl.int8_vnni is 1, the
    device is PoCL on a VNNI host (isa.py) and taps <= VNNI_MAX_TAPS; else TW = 2 (int16 pairs)."""
    vnni = detect(backend).vnni
    if config.current().gemm.opencl.int8_vnni and vnni and taps <= VNNI_MAX_TAPS:
        return 4, [f"-DFPGAOPS_VNNI={vnni}"]
    return 2, []
