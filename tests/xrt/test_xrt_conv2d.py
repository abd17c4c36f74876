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
