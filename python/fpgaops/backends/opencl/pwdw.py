"""OpenCL launcher of the fused expansion 1x1 conv + depthwise conv (kernels/opencl/pwdw.cl, the
graph's PwDw node: graph/pwdw.py). The kernel repeats the arithmetic of the two unfused launches
bit for bit; ``shape`` says where it runs (the caller runs the unfused convs elsewhere)."""
import numpy as np

from ...errors import ArgumentError, ArgumentTypeError
from .conv_common import ACT, i32, launch, program, tunables
from .dwconv import FIXED, row_geometry


def shape(backend, h, w, r, s, stride, pad):
    """(lanes, vectors) of the depthwise's output row, or None where pwdw_row does not apply: 3x3 /
    5x5, stride 1 / 2 both ways, and the rows dwconv_row takes (dwconv.py row_geometry) -- the
    only ones measured."""
    sh, sw = stride
    ph, pw = pad
    if (r, s) not in FIXED or sh not in (1, 2) or sw != sh:
        return None
    oh, ow = (h + 2 * ph - r) // sh + 1, (w + 2 * pw - s) // sw + 1
    if oh < 1 or ow < 1:
        return None
    return row_geometry(backend, w, ow, s, pw, sw)


def strips(cfg, oh, nv):
    """(depthwise rows at a time, rows per work-item): dwconv_row's register blocking (at most
    dwconv.opencl.row_acc accumulator vectors) and the even split of the output rows into strips of
    at most dwconv.opencl.pw_rows rows."""
    rb = max(1, min(cfg.row_acc // nv, cfg.pw_rows, oh))
    return rb, -(-oh // -(-oh // cfg.pw_rows))


def _block(ni, em):
    """Pointwise vectors per register block (PD_UC): the largest divisor of ni with at most 16
    accumulators (em channels x PD_UC vectors; AVX-512 has 32 registers, the loads need some)."""
    return max(d for d in range(1, max(1, 16 // em) + 1) if ni % d == 0)


def run(backend, x, w1, b1, act1, w2, b2, act2, stride, pad):
    """y = depthwise(act1(conv1x1(x, w1) + b1), w2) + b2, act2, for float32 device Tensors x
    (N, C, H, W), w1 (E, C, 1, 1), w2 (E, 1, R, S), b1 / b2 (E,) or None; activations by name or None,
    ``stride`` / ``pad`` the depthwise's (sh, sw) / (ph, pw). Raise for a geometry ``shape`` rejects."""
    for name, t in (("x", x), ("w1", w1), ("w2", w2), ("b1", b1), ("b2", b2)):
        if t is None and name in ("b1", "b2"):
            continue
        if getattr(t, "device", None) is not backend:
            raise ArgumentTypeError(name, f"expected a Tensor on {backend.name}, got {type(t).__name__}")
        if t.dtype != np.float32:
            raise ArgumentError(name, f"expected float32, got {t.dtype}")
    if len(x.shape) != 4:
        raise ArgumentError("x", f"expected (N, C, H, W), got {x.shape}")
    n, c, h, w = x.shape
    e = w1.shape[0]
    if tuple(w1.shape) != (e, c, 1, 1):
        raise ArgumentError("w1", f"expected ({e}, {c}, 1, 1), got {w1.shape}")
    if len(w2.shape) != 4 or w2.shape[:2] != (e, 1):
        raise ArgumentError("w2", f"expected ({e}, 1, R, S), got {w2.shape}")
    for name, b in (("b1", b1), ("b2", b2)):
        if b is not None and tuple(b.shape) != (e,):
            raise ArgumentError(name, f"expected ({e},), got {b.shape}")
    for name, a in (("act1", act1), ("act2", act2)):
        if (a or "none") not in ACT:
            raise ArgumentError(name, f"unknown activation {a!r}")
    r, s = w2.shape[2:]
    geo = shape(backend, h, w, r, s, stride, pad)
    if geo is None:
        raise ArgumentError("w2", f"no pwdw_row kernel for a {r}x{s} stride {stride} padding {pad} depthwise "
                                  f"of a {h}x{w} image on this device")
    vw, nv = geo
    cfg = tunables(backend)["cfg"].dwconv.opencl
    oh, ow = (h + 2 * pad[0] - r) // stride[0] + 1, (w + 2 * pad[1] - s) // stride[1] + 1
    rb, prb = strips(cfg, oh, nv)
    em = cfg.pw_channels
    prg = program(backend, "pwdw", [f"-DDW_R={r}", f"-DDW_S={s}", f"-DDW_SH={stride[0]}", f"-DDW_SW={stride[1]}",
                                    f"-DDW_VW={vw}", f"-DDW_NV={nv}", f"-DDW_RB={rb}", f"-DPD_RB={prb}",
                                    f"-DPD_EM={em}", f"-DPD_UC={_block(nv * stride[1], em)}",
                                    f"-DPD_NW={-(-w // vw)}"])
    y = backend.empty((n, e, oh, ow), np.float32)
    launch(backend, prg, "pwdw_row", (-(-oh // prb), -(-e // em), n), (1, 1, 1),
           x.handle, w1.handle, (b1 if b1 is not None else w1).handle, w2.handle, (b2 if b2 is not None else w2).handle,
           y.handle, *i32(c, h, w, e, oh, ow, pad[0], b1 is not None, ACT[act1 or "none"], b2 is not None,
                          ACT[act2 or "none"]))
    return y
