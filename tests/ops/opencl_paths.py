"""The OpenCL int8 pair product has two forms (kernels/opencl/pair_dot.h): clang's AVX2 vpmaddwd
builtin where the device compiler targets AVX2, and portable OpenCL C. Their one switch is the
kernel-config key gemm.opencl.int8_pmaddwd (-> -DGEMM_OPENCL_INT8_PMADDWD). These helpers set it
for one test and read back which form a build actually took."""
from pathlib import Path

import numpy as np

import fpgaops as fo
from fpgaops import config

PROBE = """
__kernel void pair_dot_probe(__global const short *a, __global const short *b, __global int *y,
                             __global int *builtin) {
    const int i = get_global_id(0);
    vstore8(PAIR_DOT8(vload16(i, a), vload16(i, b)), i, y);
    if (i == 0) builtin[0] = PAIR_DOT8_BUILTIN;
}
"""


def use_key(monkeypatch, tmp_path, name, shipped, value):
    """Make the kernel config current for this test a copy of the shipped one with the line
    ``name = shipped`` (which must be in it, once) changed to ``name = value`` (and the changes of
    earlier calls in the same test kept)."""
    path = tmp_path / "fpgaops.toml"
    src = (path if path.exists() else config.default_path()).read_text()
    assert src.count(f"\n{name} = {shipped}\n") == 1, name
    path.write_text(src.replace(f"\n{name} = {shipped}\n", f"\n{name} = {value}\n"))
    monkeypatch.setattr(config, "_current", config.load(path))


def use_pmaddwd(monkeypatch, tmp_path, on):
    """gemm.opencl.int8_pmaddwd = on (1: the builtin where the device can compile it, 0: portable)."""
    use_key(monkeypatch, tmp_path, "int8_pmaddwd", 1, int(on))
    assert config.current().gemm.opencl.int8_pmaddwd == int(on)


def use_vnni(monkeypatch, tmp_path, on):
    """gemm.opencl.int8_vnni = on (1: vpdpbusd where isa.detect finds VNNI, 0: the int16-pair path)."""
    use_key(monkeypatch, tmp_path, "int8_vnni", 1, int(on))
    assert config.current().gemm.opencl.int8_vnni == int(on)


def pair_dot(a, b):
    """(built with the builtin?, PAIR_DOT8 of int16 rows a, b of 16 lanes) on the opencl device,
    with the current kernel config's -D flags."""
    be = fo.get_device("opencl")
    cl = be.cl
    header = (Path(config.kernel_source_dir()) / "opencl" / "pair_dot.h").read_text()
    prg = cl.Program(be.ctx, header + PROBE).build(options=config.current().cl_defines())
    a, b = np.ascontiguousarray(a, np.int16), np.ascontiguousarray(b, np.int16)
    y, flag = np.zeros((len(a), 8), np.int32), np.zeros(1, np.int32)
    mf = cl.mem_flags
    bufs = [cl.Buffer(be.ctx, mf.READ_ONLY | mf.COPY_HOST_PTR, hostbuf=v) for v in (a, b)]
    yb, fb = cl.Buffer(be.ctx, mf.WRITE_ONLY, y.nbytes), cl.Buffer(be.ctx, mf.WRITE_ONLY, 4)
    prg.pair_dot_probe(be.queue, (len(a),), None, *bufs, yb, fb)
    cl.enqueue_copy(be.queue, y, yb)
    cl.enqueue_copy(be.queue, flag, fb, is_blocking=True)
    return bool(flag[0]), y
