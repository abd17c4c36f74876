"""Writes the int8 calibration inputs of examples/deploy.toml: 4 files of 4 seeded random 3x64x64
images each (a stand-in for real preprocessed images; use your own data for real accuracy).

    python examples/make_calibration.py [OUT_FOLDER]     # default: examples/calib
"""
import os
import sys

import numpy as np


def main(out=None, files=4, per_file=4, hw=64):
    out = out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "calib")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(files):
        np.save(os.path.join(out, f"batch{i}.npy"), rng.standard_normal((per_file, 3, hw, hw), dtype=np.float32))
    return out


if __name__ == "__main__":
    print(main(*sys.argv[1:2]))
