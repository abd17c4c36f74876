#!/usr/bin/env bash
# Developer build without reinstalling: compile fpgaops._csim into build/dev and link it into
# python/fpgaops so `PYTHONPATH=python pytest` sees it. (`pip install .` is what users and CI do.)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
cmake -S . -B build/dev -G Ninja -DPython_EXECUTABLE="$PWD/$PY" \
  -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" -DFPGAOPS_BUILD_HLS_TESTS=ON >/dev/null
cmake --build build/dev
ln -sf "$PWD"/build/dev/_csim*.so python/fpgaops/
