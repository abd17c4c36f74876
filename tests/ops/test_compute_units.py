"""Results do not depend on the machine's thread count. The OpenCL launchers size their work split
by the device's compute units (PoCL: one per CPU thread), so a 2-core CI machine and a 128-thread
EPYC run different splits of the same op: every split must give the bit-identical result (each
output is computed whole by one work-item, in the same order, whatever the split). Checked by
running the ops with the device reporting 1, 3 and 61 compute units against the real count."""
import numpy as np

import fpgaops as fo


class _Units:
    """The OpenCL device as seen by the launchers, with another compute-unit count."""

    def __init__(self, device, units):
        self._device, self.max_compute_units = device, units

    def __getattr__(self, name):
        return getattr(self._device, name)


def _ops(rng):
    """Ops whose launchers split by compute units, with sizes that leave ragged last chunks."""
    x = rng.standard_normal((2, 7, 37, 53)).astype(np.float32)
    y = rng.standard_normal((2, 7, 37, 53)).astype(np.float32)
    q = rng.integers(-128, 128, (2, 7, 37, 53), dtype=np.int8)
    r = rng.integers(-128, 128, (2, 7, 37, 53), dtype=np.int8)
    qa, qb, qo = fo.QParams(0.05, -3), fo.QParams(0.02, 10), fo.QParams(0.06, 5)
    big = rng.standard_normal(100003).astype(np.float32)
    wc = rng.standard_normal((11, 7, 3, 3)).astype(np.float32)
    wm = rng.standard_normal((53, 29)).astype(np.float32)
    return {
        "gelu": lambda: fo.gelu(x), "silu_1d": lambda: fo.silu(big), "hardswish": lambda: fo.hardswish(x),
        "sigmoid_i8": lambda: fo.sigmoid(q, x_q=qa),
        "add_relu": lambda: fo.add(x, y, "relu"), "mul_bcast": lambda: fo.mul(x, y[:, :, :1, :1]),
        "add_i8": lambda: fo.add(q, r, a_q=qa, b_q=qb, out_q=qo),
        "max_pool": lambda: fo.max_pool2d(x, 3, 2, 1), "avg_pool": lambda: fo.avg_pool2d(x, 3, 1, 1),
        "avg_pool_i8": lambda: fo.avg_pool2d(q, 2, 2, x_q=qa), "global_pool": lambda: fo.global_avg_pool2d(x),
        "adaptive_pool": lambda: fo.adaptive_avg_pool2d(x, (5, 7)),
        "conv": lambda: fo.conv2d(x, wc, padding=1), "matmul": lambda: fo.matmul(x.reshape(-1, 53), wm),
    }


def test_opencl_results_do_not_depend_on_compute_units(require, monkeypatch):
    require("opencl")
    be = fo.get_device("opencl")
    with fo.device("opencl"):
        ops = _ops(np.random.default_rng(0))
        want = {name: op() for name, op in ops.items()}
        for units in (1, 3, 61):
            with monkeypatch.context() as m:
                m.setattr(be, "device", _Units(be.device, units))
                for name, op in ops.items():
                    np.testing.assert_array_equal(op(), want[name], err_msg=f"{name} with {units} compute units")
