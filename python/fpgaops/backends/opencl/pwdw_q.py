"""OpenCL launcher for an int8 expansion 1x1 conv and the 3x3 depthwise conv reading its output, in
one launch (kernels/opencl/pwdw_q.cl), for ops.conv2d.conv2d_pwdw_words: the pair of ConvCalls
the op prepared, where ``fuses`` says this kernel computes both (VNNI devices, the depthwise
geometries dwconv_map_q or dwconv_strip_q take, the 1x1 conv's input words given by their
producer). The result is the two launches' bytes: the expanded tensor, the depthwise output and
its words."""
import numpy as np

from . import conv2d, dwconv
from .conv_common import dtype_defines, epilogue_args, i32, int8_form, launch, program, requant_defines, tunables


def fuses(backend, pw, dw):
    """Whether pwdw_q computes ``pw`` (an int8 1x1 conv reading its input words, ``pw.x_words``) and
    ``dw`` (the depthwise conv of pw's output) in one launch: dwconv.opencl.q_pwdw on, the VNNI
    form, pw without a residual on at least 16 pixels (a whole 2-vector window) and fewer than
    conv2d.opencl.pw_nv4_min_pixels (pwdw_q's 1x1 part computes 2 pixel vectors per step; where
    conv_pw computes 4, MobileNetV2's 56x56 and 112x112 pairs, the two launches measured 2-7 us
    faster than one pwdw_q, the 28x28 and 14x14 pairs 10-15 us slower, docs/int8.md) with its output
    channels whole work-items (dwconv.opencl.q_map_channels of them, a multiple of 4), dw a
    channel-multiplier-1 call that dwconv_map_q or dwconv_strip_q takes, and one requantization
    rule for both (conv_common.requant_defines: the kernel compiles one)."""
    cfg = tunables(backend)["cfg"]
    g = cfg.dwconv.opencl.q_map_channels
    return bool(cfg.dwconv.opencl.q_pwdw and pw.dtype == np.int8 and pw.x_words is not None
                and conv2d.pointwise(pw) and pw.residual is None
                and 16 <= pw.h * pw.w < cfg.conv2d.opencl.pw_nv4_min_pixels
                and int8_form(backend, pw.c)[0] == 4 and g % 4 == 0 and pw.k % g == 0
                and dw.x.handle.int_ptr == pw.y.handle.int_ptr and dw.n == pw.n and dw.c == dw.k == pw.k
                and (dwconv.map_kernel(backend, dw) or dwconv.strip_q_kernel(backend, dw))
                and requant_defines(pw) == requant_defines(dw))


def run_pair(backend, pw, dw):
    """Both calls in one pwdw_q launch (``fuses`` holds); dw.y_words, where the caller set it
    (conv2d.words_out), written as the depthwise kernels write them."""
    words = () if dw.y_words is None else (dw.y_words.handle,)
    form = int8_form(backend, 9)[1]
    geometry = [f"-DDWM_H={dw.h}", f"-DDWM_W={dw.w}"] if dwconv.map_kernel(backend, dw) else []  # else the strip
    defines = (dtype_defines(dw) + requant_defines(dw) + form
               + ["-DDW_FIXED=1", "-DDW_R=3", "-DDW_S=3", f"-DDW_SH={dw.stride_h}", f"-DDW_SW={dw.stride_w}"]
               + geometry + [f"-DPQ_M={conv2d.PW_M}"] + (["-DDW_WORDS"] if words else []))
    prg = program(backend, "pwdw_q", defines)
    wpk = conv2d.pointwise_weights_int8(backend, conv2d.pointwise_program_int8(backend, pw), pw)
    e1, e2 = epilogue_args(pw), epilogue_args(dw)
    f1 = e1["flags"]  # has_bias, has_res, act, y_zp, r_zp, r_mult, r_shift, lo, hi
    g = tunables(backend)["cfg"].dwconv.opencl.q_map_channels
    launch(backend, prg, "pwdw_q", (pw.n * pw.k // g,), (1,), pw.x_words.handle, wpk, e1["bias"], e1["mult"],
           e1["shift"], pw.y.handle, *i32(pw.c // 4, pw.h * pw.w, pw.x_zero_point), f1[0], f1[3], f1[7], f1[8],
           dw.weight.handle, e2["bias"], e2["res"], dw.y.handle, e2["mult"], e2["shift"],
           *i32(dw.c, dw.h, dw.w, dw.k, dw.oh, dw.ow, dw.pad_top, dw.pad_left, dw.k // dw.c, dw.n * dw.k),
           np.int32(dw.x_zero_point), *e2["flags"][:2], *e2["flags"][3:], *words)
