#!/usr/bin/env bash
# The C-simulation under AddressSanitizer + UndefinedBehaviorSanitizer (called by scripts/test.sh).
#
#   1. builds the HLS tops, the CTest testbenches and fpgaops._csim with -DFPGAOPS_SANITIZE=ON into
#      build/asan (every target compiled with -fsanitize=address,undefined, no UB recovery);
#   2. runs the testbenches (CTest) under it;
#   3. runs the csim part of pytest (tests/ops, csim backend only) with that _csim: the Python
#      process gets the compiler's libasan + libubsan by LD_PRELOAD (the interpreter itself is not
#      instrumented), and FPGAOPS_CSIM_MODULE makes fpgaops load build/asan's module in place of the
#      installed one (python/fpgaops/backends/csim).
#
# Any sanitizer report aborts the process that hit it, which fails this script. Leak detection is
# off: CPython and NumPy keep allocations alive until exit by design. Extra arguments go to pytest.
# Cost (measured on the 2-core CI machine): a clean build takes 371 CPU-seconds (~3 min on 2 idle
# cores), CTest ~20 s, pytest (304 csim tests) 56-94 s with two workers; an incremental run ~2 min.
# PyTorch and ONNX Runtime are kept out of the sanitized process (-k "not torch"; tests/ops
# imports neither at module level).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$PWD/.venv/bin/python"
export PATH="$PWD/.venv/bin:$PATH"
B=build/asan

echo "== sanitizers: build ($B, ASan + UBSan)" >&2
cmake -S . -B "$B" -G Ninja -DFPGAOPS_SANITIZE=ON -DFPGAOPS_BUILD_HLS_TESTS=ON -DFPGAOPS_XRT=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython_EXECUTABLE="$PY" -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" \
  -DCMAKE_MAKE_PROGRAM="$PWD/.venv/bin/ninja" >/dev/null
cmake --build "$B"

# abort_on_error: a report ends the process with SIGABRT (never a clean exit code 0 afterwards);
# UBSan has no recovery compiled in (-fno-sanitize-recover=all), halt_on_error says the same.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"

echo "== sanitizers: CTest testbenches" >&2
ctest --test-dir "$B" --output-on-failure

echo "== sanitizers: pytest, csim backend (tests/ops)" >&2
CXX_BIN=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$B/CMakeCache.txt")
runtime=()
for lib in libasan.so libubsan.so; do
  path=$("$CXX_BIN" -print-file-name="$lib")
  [ -f "$path" ] || { echo "test-sanitizers: $CXX_BIN has no $lib (a GCC with sanitizer runtimes is needed)" >&2; exit 1; }
  runtime+=("$path")
done
module=$(ls "$PWD/$B"/_csim*.so)
export FPGAOPS_CSIM_MODULE="$module"
# The fpgaops that pytest imports must load this module (not fall back to an unsanitized one).
LD_PRELOAD="${runtime[*]}" "$PY" -c '
import os, sys
from fpgaops.backends import csim
m = csim._module()
if not os.path.samefile(m.__file__, os.environ["FPGAOPS_CSIM_MODULE"]):
    sys.exit(f"test-sanitizers: fpgaops loaded {m.__file__}, not $FPGAOPS_CSIM_MODULE (is the installed fpgaops current?)")
'
# CI=true: a missing csim backend fails instead of skipping; only csim instances are selected.
# --capture=sys: pytest leaves file descriptor 2 alone, so a sanitizer report (written there just
# before the abort) reaches the log instead of dying in pytest's capture file.
# On every core (scripts/pytest-workers.sh; 120 s -> 56-94 s on 2 cores): the workers inherit
# LD_PRELOAD and FPGAOPS_CSIM_MODULE, a report on a worker's fd 2 reaches the log, and a worker that aborts
# fails its test ("worker crashed"), so the run.
source scripts/pytest-workers.sh
CI=true LD_PRELOAD="${runtime[*]}" "$PY" -m pytest tests/ops -p no:cacheprovider --capture=sys \
  -k "csim and not torch" "${xdist[@]}" "$@"
