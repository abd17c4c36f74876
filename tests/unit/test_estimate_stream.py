"""The pool engine's cycle model (estimator cycles.py pool_schedule) against the C-simulation cycle
counters of fpgaops_pool_i8 (pool.hpp), process by process, on the pooling layers of ResNet and
MobileNetV2 (scaled down where csim is slow). Both figures are modeled hardware cycles."""
import numpy as np
import pytest

from fpgaops import estimator as E
from fpgaops.estimator.cycles import pool_schedule

pytest.importorskip("fpgaops._csim", reason="the C-simulation module is not built (scripts/dev-build.sh)")

POOLS = [  # name, input shape, op, window (kernel, stride, padding) or None for the global average
    ("resnet.maxpool (112->28)", (1, 64, 28, 28), "max", (3, 2, 1)),
    ("resnet18.avgpool", (1, 512, 7, 7), "gap", None),
    ("mobilenetv2.avgpool (1280->320)", (1, 320, 7, 7), "gap", None),
    ("avg 2x2 s2, odd width", (2, 3, 9, 13), "avg", (2, 2, 0)),
    # the channel-blocked path: planes across blocks, right padding past the last word, stride 1
    ("blocked max 3x3 s1 p1, 37 planes", (2, 37, 13, 11), "max", (3, 1, 1)),
    ("blocked avg 5x5 s3 p2", (1, 20, 12, 29), "avg", (5, 3, 2)),
    ("planar max 7x7 s1 p3 (7 open rows)", (1, 4, 12, 12), "max", (7, 1, 3)),
]


@pytest.mark.parametrize("name,shape,op,win", POOLS, ids=[p[0] for p in POOLS])
def test_pool_model_matches_the_counters(name, shape, op, win):
    import fpgaops as fo
    from fpgaops import _csim, config

    x = np.random.default_rng(0).integers(-128, 128, shape).astype(np.int8)
    _csim.cycles_reset()
    with fo.device("csim"):
        if op == "gap":
            y = fo.global_avg_pool2d(x, x_q=(0.1, 3))
        elif op == "max":
            y = fo.max_pool2d(x, win[0], win[1], win[2])
        else:
            y = fo.avg_pool2d(x, win[0], win[1], win[2], x_q=(0.1, 3))
    measured = {r["process"]: r["cycles"] for r in _csim.cycles() if r["kernel"] == "fpgaops_pool_i8"}
    a = dict(x=shape, y=tuple(np.asarray(y).shape))
    if win:
        a.update(kernel=(win[0],) * 2, stride=(win[1],) * 2, padding=(win[2],) * 2, dilation=(1, 1))
    model = pool_schedule(E.GemmParams.from_config(config.current()), "int8", a)
    assert measured == model, name
