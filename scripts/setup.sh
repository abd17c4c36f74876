#!/usr/bin/env bash
# Set up this checkout on a fresh Debian/Ubuntu machine:
#   1. system packages, when we are root or have password-less sudo (otherwise we say what is
#      missing and carry on: the pip-installed PoCL still gives a working opencl backend);
#   2. a virtual environment in .venv with fpgaops built (fpgaops._csim) and installed.
# Safe to re-run: it installs only what is missing and rebuilds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."

# PoCL 3.1 from Debian runs our kernels 2-5x faster than the PoCL bundled with the
# pocl-binary-distribution wheel; CLBlast is the benchmark's peer; XRT is the FPGA runtime.
APT_PACKAGES=(pocl-opencl-icd ocl-icd-opencl-dev clinfo libclblast-dev libxrt1 libxrt-dev)

if [ "$(id -u)" = 0 ]; then SUDO=(); elif sudo -n true 2>/dev/null; then SUDO=(sudo -n); else SUDO=(none); fi
if command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "${SUDO[*]}" = none ]; then
      echo "setup: not root and no sudo: skipping system packages ${missing[*]}" >&2
      echo "setup: the opencl backend will use the PoCL bundled with pip (slower); no CLBlast, no XRT" >&2
    else
      echo "setup: installing ${missing[*]}" >&2
      "${SUDO[@]}" apt-get update -q >/dev/null
      DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q "${missing[@]}" >/dev/null
    fi
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# Build requirements are installed into .venv too, so later rebuilds need no isolation.
.venv/bin/python -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" hls4ml cmake ninja
.venv/bin/python -m pip install -q --no-build-isolation ".[opencl,test]"
# CLBlast's Python binding compiles against libclblast-dev; only the benchmark needs it.
if [ -e /usr/include/clblast.h ]; then
  .venv/bin/python -m pip install -q pyclblast || echo "setup: pyclblast failed to build; bench_gemm skips CLBlast" >&2
fi
echo "setup: done ($(.venv/bin/python -c 'import fpgaops; print(fpgaops.__version__)'))" >&2
