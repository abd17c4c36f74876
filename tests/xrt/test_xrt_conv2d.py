"""conv2d through the xrt backend in noop mode: every ConvCall algorithm reaches its kernel with
every argument named and typed as tops.hpp declares it (noop runs no kernel: shapes only)."""
import numpy as np

import fpgaops


def test_conv2d_algos_reach_their_kernels(xrt_backend):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 16, 8, 8)).astype(np.float32)
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    wd = rng.standard_normal((16, 1, 3, 3)).astype(np.float32)
    b = np.zeros(16, np.float32)
    xq = rng.integers(-128, 128, x.shape).astype(np.int8)
    wq = rng.integers(-128, 128, w.shape).astype(np.int8)
    wdq = rng.integers(-128, 128, wd.shape).astype(np.int8)
    q = dict(input_scale=0.1, input_zero_point=3, weight_scale=0.01, output_scale=0.2)
    res = np.zeros((1, 16, 8, 8), np.float32)
    calls = [
        lambda: fpgaops.conv2d(x, w, b, padding=1, algo="im2col", activation="relu", residual=res),
        lambda: fpgaops.conv2d(x, w, padding=1, algo="winograd_f4"),
        lambda: fpgaops.conv2d(x, wd, b, padding=1, groups=16, algo="dwconv", activation="relu6"),
        lambda: fpgaops.conv2d(xq, wq, padding=1, algo="im2col", **q),
        lambda: fpgaops.conv2d(xq, wq, np.zeros(16, np.int32), padding=1, algo="winograd", **q),
        lambda: fpgaops.conv2d(xq, wdq, padding=1, groups=16, algo="dwconv", **q),
    ]
    launched = []
    real_launch = xrt_backend.launch
    xrt_backend.launch = lambda name, values: (launched.append(name), real_launch(name, values))[1]
    try:
        with fpgaops.device(xrt_backend):
            for fn in calls:
                assert fn().shape[:2] == (1, 16)
    finally:
        del xrt_backend.launch
    assert launched == ["fpgaops_conv2d_f32", "fpgaops_winograd_f32", "fpgaops_dwconv_f32", "fpgaops_conv2d_i8",
                        "fpgaops_winograd_i8", "fpgaops_dwconv_i8"]


def test_folded_stems_reach_the_conv_kernel(xrt_backend):
    # the host folds of the im2col launchers (backends/csim/conv2d.py fold_for): an input image's taps
    # ("taps": a 1x1 conv of C*R*S channels over OH x OW) and the filter columns of a few-channel conv
    # ("width"); the folded geometry (h, w, r, s, strides, paddings, dilations) goes to the kernel by name
    from fpgaops import config
    from fpgaops.backends.csim.conv2d import fold_for

    pe = config.current().gemm.pe
    rng = np.random.default_rng(1)
    x3 = rng.standard_normal((1, 3, 16, 16)).astype(np.float32)
    w3 = rng.standard_normal((16, 3, 7, 7)).astype(np.float32)
    x8 = rng.standard_normal((1, 8, 16, 16)).astype(np.float32)
    w8 = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    q = dict(input_scale=0.1, input_zero_point=-5, weight_scale=0.01, output_scale=0.2)
    assert fold_for(3, 7, 7, 1, pe, config.current().conv2d.fold_taps_max_channels) == "taps"
    assert fold_for(8, 3, 3, 1, pe, config.current().conv2d.fold_taps_max_channels) == "width"
    launched = []
    real_launch = xrt_backend.launch
    xrt_backend.launch = lambda name, values: (launched.append((name, values["c"], values["r"], values["s"])),
                                               real_launch(name, values))[1]
    try:
        with fpgaops.device(xrt_backend):
            assert fpgaops.conv2d(x3, w3, stride=2, padding=3, algo="im2col").shape == (1, 16, 8, 8)
            xq = rng.integers(-128, 128, x3.shape).astype(np.int8)
            wq = rng.integers(-128, 128, w3.shape).astype(np.int8)
            assert fpgaops.conv2d(xq, wq, stride=2, padding=3, algo="im2col", **q).shape == (1, 16, 8, 8)
            assert fpgaops.conv2d(x8, w8, stride=2, padding=1, algo="im2col").shape == (1, 16, 8, 8)
    finally:
        del xrt_backend.launch
    assert launched == [("fpgaops_conv2d_f32", 147, 1, 1), ("fpgaops_conv2d_i8", 147, 1, 1),
                        ("fpgaops_conv2d_f32", 24, 3, 1)]
