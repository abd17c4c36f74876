"""What the OpenCL device compiler makes of a vector store (docs/int8.md, "Tenth session"): for each
element type and width, a kernel storing one vector with vstoreN and one storing it through
kernels/opencl/vstore_u.h (VSTORE8_U / VSTORE16_U, a vector type of alignment 1), both built by the
device's compiler; the store instructions and all instructions of each kernel's body are counted in
the disassembly of PoCL's cached binary (objdump -d), and each kernel's bytes are checked at every
offset 0..16 of the destination.

On PoCL 3.1 (x86-64) vstore8/vstore16 of char and short vectors become one scalar store per lane,
the aligned(1) stores one vector store. Needs PoCL (its kernel cache, here a temporary directory set
before PoCL starts) and binutils' objdump; prints why and exits otherwise.

    .venv/bin/python benchmarks/pocl_stores.py
"""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

CACHE = tempfile.TemporaryDirectory(prefix="pocl_stores_")
os.environ["POCL_CACHE_DIR"] = CACHE.name  # before PoCL loads: the binaries land here

import numpy as np  # noqa: E402

HEADER = Path(__file__).resolve().parent.parent / "kernels" / "opencl" / "vstore_u.h"

TYPES = {"char": np.int8, "short": np.int16, "int": np.int32, "float": np.float32}
WIDTHS = (8, 16)
# an AT&T instruction whose last operand is memory: a store
STORE = re.compile(r",\s*(-?0x[0-9a-f]+|-?\d+)?\(%\w+(,%\w+)?(,\d)?\)(\{%k\d\})?$")


def source():
    lines = [HEADER.read_text()]
    for t in TYPES:
        for n in WIDTHS:
            lines.append(f"__kernel void v_{t}{n}(__global const {t}* restrict a, __global {t}* restrict y, int off) "
                         f"{{ vstore{n}(vload{n}(get_global_id(0), a), 0, y + off + get_global_id(0) * {n}); }}")
            lines.append(f"__kernel void u_{t}{n}(__global const {t}* restrict a, __global {t}* restrict y, int off) "
                         f"{{ VSTORE{n}_U({t}, vload{n}(get_global_id(0), a), y + off + get_global_id(0) * {n}); }}")
    return "\n".join(lines) + "\n"


def body(so, name):
    """the instructions of _pocl_kernel_<name> (not its work-group wrappers) in the binary ``so``"""
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(so)], capture_output=True, text=True,
                         check=True).stdout
    ins, inside = [], False
    for line in out.splitlines():
        if re.match(r"^[0-9a-f]+ <", line):
            inside = line.endswith(f"<_pocl_kernel_{name}>:")
        elif inside and "\t" in line:
            ins.append(line.split("\t", 1)[1].strip())
    return ins


def main():
    if shutil.which("objdump") is None:
        print("pocl_stores: objdump (binutils) is not installed: nothing to disassemble")
        return
    import pyopencl as cl
    plats = [p for p in cl.get_platforms() if "Portable Computing Language" in p.name]
    if not plats:
        print("pocl_stores: no PoCL platform: its kernel cache is what this reads")
        return
    dev = plats[0].get_devices()[0]
    ctx = cl.Context([dev])
    q = cl.CommandQueue(ctx)
    prg = cl.Program(ctx, source()).build()
    print(f"device: {dev.name} ({dev.version}); PoCL cache {CACHE.name}")
    print(f"{'type':>6} {'n':>3}  {'vstoreN: stores / instructions':>31}  {'VSTOREn_U: stores / instructions':>33}  correct")
    for t, dt in TYPES.items():
        for n in WIDTHS:
            counts, ok = [], True
            for kind in ("v", "u"):
                name = f"{kind}_{t}{n}"
                k = cl.Kernel(prg, name)
                a = (np.arange(4 * n) % 100 - 50).astype(dt)
                ab = cl.Buffer(ctx, cl.mem_flags.READ_ONLY | cl.mem_flags.COPY_HOST_PTR, hostbuf=a)
                for off in range(17):
                    y = np.zeros(4 * n + 32, dt)
                    yb = cl.Buffer(ctx, cl.mem_flags.READ_WRITE | cl.mem_flags.COPY_HOST_PTR, hostbuf=y)
                    k(q, (4,), (1,), ab, yb, np.int32(off))
                    cl.enqueue_copy(q, y, yb)
                    want = np.zeros_like(y)
                    want[off:off + 4 * n] = a
                    ok &= bool(np.array_equal(y, want))
                sos = list(Path(CACHE.name).rglob(f"{name}.so"))
                if not sos:
                    counts.append("no binary")
                    continue
                ins = body(sos[0], name)
                counts.append(f"{sum(bool(STORE.search(i)) for i in ins)} / {len(ins)}")
            print(f"{t:>6} {n:>3}  {counts[0]:>31}  {counts[1]:>33}  {'yes' if ok else 'NO'}")


if __name__ == "__main__":
    main()
