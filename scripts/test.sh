#!/usr/bin/env bash
# The whole test suite: the C-simulation testbenches (CTest) and pytest, against the installed
# package in .venv (run scripts/setup.sh first). CI runs exactly this (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$PWD/.venv/bin/python"
# The venv's cmake/ninja first: the build-flow tests configure CMake projects themselves.
export PATH="$PWD/.venv/bin:$PATH"
# XRT host-path tests run against XRT's noop driver; this sets the variables Debian's XRT needs.
source scripts/setup-xrt-env.sh

echo "== CTest: HLS C-simulation testbenches" >&2
"$PWD/.venv/bin/cmake" -S . -B build/hls-tests -G Ninja -DFPGAOPS_BUILD_PYTHON=OFF -DFPGAOPS_BUILD_HLS_TESTS=ON \
  -DCMAKE_MAKE_PROGRAM="$PWD/.venv/bin/ninja" -DPython_EXECUTABLE="$PY" >/dev/null
"$PWD/.venv/bin/cmake" --build build/hls-tests
"$PWD/.venv/bin/ctest" --test-dir build/hls-tests --output-on-failure

echo "== pytest" >&2
"$PY" -m pytest "$@"
