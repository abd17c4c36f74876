# shellcheck shell=bash
# Environment for running fpgaops' XRT host-path tests against XRT's `noop` emulation driver.
# Source it (it only exports variables):   source scripts/setup-xrt-env.sh
#
# What XRT 2.13 (Debian's libxrt1/libxrt-dev) needs, and why:
#   XILINX_XRT           XRT loads its emulation drivers (libxrt_noop.so, libxrt_swemu.so, ...) from
#                        $XILINX_XRT/lib and refuses to start without it. Debian installs them in the
#                        multiarch folder (/usr/lib/x86_64-linux-gnu), so we make a prefix whose lib/
#                        is a symlink to that folder. AMD's packages (/opt/xilinx/xrt) are used as is.
#   SDACCEL_EM_RUN_DIR   emulation run files and sockets go here (a temp folder), not the source tree.
#   USER                 XRT names its per-user emulation folders after $USER; CI may not set it.
#   XCL_EMULATION_MODE   NOT exported here: only the tests that need noop set it (tests/xrt does, in
#                        process, before XRT opens a device). To run one command under noop:
#                            fpgaops_xrt_noop python -m pytest tests/xrt
# Missing libxrt is not an error here (the XRT tests then skip, or fail under CI=true).
# Files go under $FPGAOPS_XRT_ENV_DIR (default: $TMPDIR/fpgaops-xrt-<uid>).

_fpgaops_xrt_env() {
  local root="${FPGAOPS_XRT_ENV_DIR:-${TMPDIR:-/tmp}/fpgaops-xrt-$(id -u)}"
  if [ -n "${XILINX_XRT:-}" ] && [ -d "${XILINX_XRT}/lib" ]; then
    :  # already set up (by the user, by AMD's setup.sh, or by an earlier source of this file)
  elif [ -d /opt/xilinx/xrt/lib ]; then
    export XILINX_XRT=/opt/xilinx/xrt
  else
    local libdir="" multiarch d
    multiarch="$(gcc -print-multiarch 2>/dev/null || true)"
    for d in ${multiarch:+/usr/lib/$multiarch} /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib; do
      if compgen -G "$d/libxrt_coreutil.so*" >/dev/null; then libdir="$d"; break; fi
    done
    if [ -z "$libdir" ]; then
      echo "setup-xrt-env: libxrt_coreutil not found (apt-get install libxrt1 libxrt-dev); XRT tests will skip" >&2
      return 0
    fi
    mkdir -p "$root/prefix"
    ln -sfn "$libdir" "$root/prefix/lib"
    export XILINX_XRT="$root/prefix"
  fi
  mkdir -p "$root/em"
  export SDACCEL_EM_RUN_DIR="${SDACCEL_EM_RUN_DIR:-$root/em}"
  if [ -z "${USER:-}" ]; then
    USER="$(id -un 2>/dev/null || echo fpgaops)"
    export USER
  fi
}

# Run one command with XRT's noop driver: device open, xclbin load, buffers and runs work; no
# kernel executes.
fpgaops_xrt_noop() {
  XCL_EMULATION_MODE=noop "$@"
}

_fpgaops_xrt_env
unset -f _fpgaops_xrt_env
