#!/usr/bin/env bash
# The whole test suite: the C-simulation testbenches (CTest), pytest against the installed package
# in .venv (run scripts/setup.sh first), then the C-simulation under ASan + UBSan. CI runs exactly
# this (see .ci/run). Arguments go to the main pytest run.
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

# pytest on every core (scripts/pytest-workers.sh): tests/quant + tests/nets 212 -> 127 s on 2 cores.
source scripts/pytest-workers.sh
echo "== pytest (${workers} workers)" >&2
"$PY" -m pytest "${xdist[@]}" "$@"

# The C-simulation again under ASan + UBSan: build/asan, the testbenches and the csim part of
# tests/ops (scripts/test-sanitizers.sh; ~5 minutes on 2 cores). FPGAOPS_SANITIZERS=0 skips it
# locally; CI always runs it.
if [ "${FPGAOPS_SANITIZERS:-1}" != 0 ] || [ "${CI:-}" = true ]; then
  start=$SECONDS
  bash scripts/test-sanitizers.sh -q
  echo "== sanitizers: passed in $((SECONDS - start)) s" >&2
fi
