# xclbin targets: the HLS tops compiled by v++ for one board and one target. Enabled only when
# `v++` is found (on PATH, or in $XILINX_VITIS/bin).
#
#   cmake -S . -B build/u50-hw -DFPGAOPS_PLATFORM=u50 -DFPGAOPS_TARGET=hw
#   cmake --build build/u50-hw --target xclbin        # -> build/u50-hw/xclbin/fpgaops_u50_hw.xclbin
#
# Steps (every command is spelled out below; tests/buildflow/test_xclbin_cmake.py runs them with a
# recording stand-in for v++ and checks each one):
#   1. v++ -c -t <target> --platform <p> -k <kernel> ... <top>.cpp  -> xo/<kernel>.xo  (one per kernel)
#   0. the board's kernel config: platforms/<board>/kernel.toml over kernels/config/fpgaops.toml,
#      resolved into xclbin/fpgaops_<board>.toml and its header xclbin/generated/fpgaops/config.hpp
#      (first on the include path), and connectivity.cfg reduced to the kernels it links
#   2. v++ -l -t <target> --platform <p> --kernel_frequency <MHz> --config xclbin/connectivity.cfg xo/*.xo
#   3. zynq boards (ZCU104): v++ -p -t <target> --platform <p> ... (boot files, rootfs, kernel image)
#   4. python xclbin.py manifest: <stem>.manifest.json beside the xclbin (board, target, kernels,
#      compute units, the board's resolved kernel config + digest, v++ version, xclbin uuid and sha256).
#      The host checks that digest against its kernel config: run with
#      FPGAOPS_KERNEL_CONFIG=<build>/xclbin/fpgaops_<board>.toml (docs/fpga-build.md).
#   5. sw_emu / hw_emu: emconfigutil --platform <p> -> emconfig.json beside the xclbin
# HLS components (Vitis unified flow), one per kernel, reusing hls_tests/<family>_tb.cpp:
#   hls_<kernel>        v++ -c --mode hls --config hls/<kernel>/hls_config.cfg --work_dir ...
#   hls_csim_<kernel>   vitis-run --mode hls --csim  --config ... --work_dir ...
#   hls_cosim_<kernel>  vitis-run --mode hls --cosim --config ... --work_dir ...
set(FPGAOPS_PLATFORM "" CACHE STRING "Board to build xclbins for (a folder of platforms/: u50, u250, u280, zcu104)")
set(FPGAOPS_TARGET "hw" CACHE STRING "v++ target: sw_emu, hw_emu or hw")
set_property(CACHE FPGAOPS_TARGET PROPERTY STRINGS sw_emu hw_emu hw)
set(FPGAOPS_VITIS_PLATFORM "" CACHE STRING "Vitis platform name or .xpfm path (default: platform.toml's board.platform)")
set(FPGAOPS_VPP_FLAGS "" CACHE STRING "Extra flags for every v++ call (e.g. --jobs 8)")
set(FPGAOPS_ZYNQ_ROOTFS "" CACHE FILEPATH "Zynq boards: rootfs.ext4 for v++ -p (from the platform's sysroot / PetaLinux)")
set(FPGAOPS_ZYNQ_KERNEL_IMAGE "" CACHE FILEPATH "Zynq boards: Linux kernel Image for v++ -p")

set(_vpp_hints "")
if(DEFINED ENV{XILINX_VITIS})
  list(APPEND _vpp_hints "$ENV{XILINX_VITIS}/bin")
endif()
find_program(FPGAOPS_VPP NAMES v++ HINTS ${_vpp_hints} DOC "Vitis compiler")

if(NOT FPGAOPS_VPP)
  if(FPGAOPS_PLATFORM)
    message(WARNING "FPGAOPS_PLATFORM=${FPGAOPS_PLATFORM} but v++ was not found (PATH, $XILINX_VITIS/bin): "
                    "no xclbin targets. Source Vitis' settings64.sh first.")
  endif()
  return()
endif()
if(NOT FPGAOPS_PLATFORM)
  message(STATUS "fpgaops: v++ found (${FPGAOPS_VPP}); set -DFPGAOPS_PLATFORM=<board> to get xclbin targets")
  return()
endif()
if(NOT FPGAOPS_TARGET MATCHES "^(sw_emu|hw_emu|hw)$")
  message(FATAL_ERROR "FPGAOPS_TARGET must be sw_emu, hw_emu or hw, got '${FPGAOPS_TARGET}'")
endif()

set(_py "${CMAKE_CURRENT_SOURCE_DIR}/python/fpgaops")
set(_board "${FPGAOPS_PLATFORM}")
set(_target "${FPGAOPS_TARGET}")

# Board facts, and connectivity.cfg checked against tops.hpp (a kernel without nk=/sp= lines,
# or a bank the board lacks, stops the configure step with the reason).
execute_process(COMMAND "${Python_EXECUTABLE}" "${_py}/platforms.py" "${_board}" --check --get platform
  OUTPUT_VARIABLE _platform_name OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "platforms/${_board} is not usable (see the error above)")
endif()
execute_process(COMMAND "${Python_EXECUTABLE}" "${_py}/platforms.py" "${_board}" --get kind
  OUTPUT_VARIABLE _kind OUTPUT_STRIP_TRAILING_WHITESPACE)
if(FPGAOPS_VITIS_PLATFORM)
  set(_platform_name "${FPGAOPS_VITIS_PLATFORM}")
endif()

# 0. The board's kernel config (kernel.toml over the base config) and the kernels it links.
set(_out "${CMAKE_CURRENT_BINARY_DIR}/xclbin")
set(_board_cfg "${_out}/fpgaops_${_board}.toml")
set(_board_gen "${_out}/generated")
set(_cfg "${_out}/connectivity.cfg")
set(_kernel_toml "${CMAKE_CURRENT_SOURCE_DIR}/platforms/${_board}/kernel.toml")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  "${CMAKE_CURRENT_SOURCE_DIR}/platforms/${_board}/connectivity.cfg" "${FPGAOPS_CONFIG_FILE}")
if(EXISTS "${_kernel_toml}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_kernel_toml}")
endif()
execute_process(COMMAND "${Python_EXECUTABLE}" "${_py}/platforms.py" "${_board}" --base-config "${FPGAOPS_CONFIG_FILE}"
                        --write-config "${_board_cfg}" --write-link-config "${_cfg}" --get-build kernels
  OUTPUT_VARIABLE _linked_kernels OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "platforms/${_board}/kernel.toml is not usable (see the error above)")
endif()
execute_process(COMMAND "${Python_EXECUTABLE}" "${_py}/platforms.py" "${_board}" --base-config "${FPGAOPS_CONFIG_FILE}"
                        --get-build clock_mhz
  OUTPUT_VARIABLE _clock OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND "${Python_EXECUTABLE}" "${_py}/config.py" --config "${_board_cfg}"
                        --header "${_board_gen}/fpgaops/config.hpp" RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "the resolved kernel config of ${_board} (${_board_cfg}) is invalid (see above)")
endif()

# The kernel table (kernel|source|family per line), parsed from tops.hpp: the one list of kernels.
execute_process(COMMAND "${Python_EXECUTABLE}" "${_py}/kernels.py" --kernels-root "${CMAKE_CURRENT_SOURCE_DIR}/kernels" --cmake
  OUTPUT_VARIABLE _table OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "cannot read the kernel table from kernels/hls/include/fpgaops/tops.hpp (see above)")
endif()
string(REPLACE "\n" ";" _rows "${_table}")

# v++ version, for the manifest (recorded at configure time: the tool of this build tree).
file(MAKE_DIRECTORY "${_out}/xo" "${_out}/tmp" "${_out}/log" "${_out}/report" "${_out}/hls")
execute_process(COMMAND "${FPGAOPS_VPP}" --version OUTPUT_FILE "${_out}/vpp_version.txt" ERROR_QUIET)

separate_arguments(_extra UNIX_COMMAND "${FPGAOPS_VPP_FLAGS}")
set(_common -t ${_target} --platform ${_platform_name} --temp_dir ${_out}/tmp --log_dir ${_out}/log
            --report_dir ${_out}/report ${_extra})
# Kernel sources see the HLS library and the generated headers: the board's config.hpp first, then
# the build's generated folder (winograd_matrices.hpp). Vitis brings its own ap_int.h /
# hls_stream.h, so the C-simulation folder (kernels/hls/sim) is NOT on this path.
set(_incs -I${CMAKE_CURRENT_SOURCE_DIR}/kernels/hls/include -I${_board_gen} -I${FPGAOPS_GEN_DIR})
file(GLOB_RECURSE _hls_headers CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/kernels/hls/include/*.hpp")

set(_xos "")
set(_kernels "")
find_program(FPGAOPS_VITIS_RUN NAMES vitis-run HINTS ${_vpp_hints} DOC "Vitis HLS component runner")
execute_process(COMMAND "${Python_EXECUTABLE}" "${_py}/platforms.py" "${_board}" --get part
  OUTPUT_VARIABLE _part OUTPUT_STRIP_TRAILING_WHITESPACE)

foreach(_row IN LISTS _rows)
  string(REPLACE "|" ";" _fields "${_row}")
  list(GET _fields 0 _kernel)
  list(GET _fields 1 _file)
  list(GET _fields 2 _family)
  if(NOT _kernel IN_LIST _linked_kernels)
    continue()  # not linked on this board (platforms/<board>/kernel.toml [build] kernels)
  endif()
  set(_src "${CMAKE_CURRENT_SOURCE_DIR}/kernels/hls/top/${_file}")
  if(NOT EXISTS "${_src}")
    message(FATAL_ERROR "tops.hpp declares ${_kernel} in ${_file}, but kernels/hls/top/${_file} does not exist")
  endif()
  list(APPEND _kernels ${_kernel})

  # 1. one .xo per kernel
  set(_xo "${_out}/xo/${_kernel}.xo")
  add_custom_command(OUTPUT "${_xo}"
    COMMAND "${FPGAOPS_VPP}" -c ${_common} -k ${_kernel} ${_incs} -o "${_xo}" "${_src}"
    DEPENDS "${_src}" ${_hls_headers} "${_board_gen}/fpgaops/config.hpp" "${FPGAOPS_WINOGRAD_HEADER}"
    WORKING_DIRECTORY "${_out}"
    COMMENT "v++ -c ${_kernel} (${_target}, ${_board})" VERBATIM)
  list(APPEND _xos "${_xo}")

  # HLS component (unified flow): config file generated here, testbench from hls_tests/.
  set(_tb "${CMAKE_CURRENT_SOURCE_DIR}/hls_tests/${_family}_tb.cpp")
  set(_hdir "${_out}/hls/${_kernel}")
  set(_flags "-I${CMAKE_CURRENT_SOURCE_DIR}/kernels/hls/include -I${_board_gen} -I${FPGAOPS_GEN_DIR}")
  set(_hcfg "part=${_part}\n\n[hls]\nflow_target=vitis\nclock=${_clock}MHz\nsyn.file=${_src}\nsyn.cflags=${_flags}\nsyn.top=${_kernel}\npackage.output.format=xo\npackage.output.file=${_hdir}/${_kernel}.xo\n")
  if(EXISTS "${_tb}")
    string(APPEND _hcfg "tb.file=${_tb}\ntb.cflags=${_flags} -I${CMAKE_CURRENT_SOURCE_DIR}/hls_tests\n")
  endif()
  file(WRITE "${_hdir}/hls_config.cfg.in" "${_hcfg}")
  configure_file("${_hdir}/hls_config.cfg.in" "${_hdir}/hls_config.cfg" COPYONLY)  # rewritten only on change
  add_custom_target(hls_${_kernel}
    COMMAND "${FPGAOPS_VPP}" -c --mode hls --config "${_hdir}/hls_config.cfg" --work_dir "${_hdir}/work"
    DEPENDS "${_src}" "${_board_gen}/fpgaops/config.hpp" "${FPGAOPS_WINOGRAD_HEADER}" WORKING_DIRECTORY "${_hdir}"
    COMMENT "HLS component ${_kernel}: C synthesis (v++ -c --mode hls)" VERBATIM)
  if(FPGAOPS_VITIS_RUN AND EXISTS "${_tb}")
    add_custom_target(hls_csim_${_kernel}
      COMMAND "${FPGAOPS_VITIS_RUN}" --mode hls --csim --config "${_hdir}/hls_config.cfg" --work_dir "${_hdir}/work"
      DEPENDS "${_board_gen}/fpgaops/config.hpp" "${FPGAOPS_WINOGRAD_HEADER}" WORKING_DIRECTORY "${_hdir}"
      COMMENT "HLS component ${_kernel}: C simulation with hls_tests/${_family}_tb.cpp" VERBATIM)
    add_custom_target(hls_cosim_${_kernel}
      COMMAND "${FPGAOPS_VITIS_RUN}" --mode hls --cosim --config "${_hdir}/hls_config.cfg" --work_dir "${_hdir}/work"
      WORKING_DIRECTORY "${_hdir}"
      COMMENT "HLS component ${_kernel}: C/RTL co-simulation with hls_tests/${_family}_tb.cpp" VERBATIM)
    add_dependencies(hls_cosim_${_kernel} hls_${_kernel})
  endif()
endforeach()

# 2. link (and 3. package for Zynq boards)
set(_stem "fpgaops_${_board}_${_target}")
set(_xclbin "${_out}/${_stem}.xclbin")
set(_manifest "${_out}/${_stem}.manifest.json")
if(_kind STREQUAL "zynq")
  if(NOT FPGAOPS_ZYNQ_ROOTFS OR NOT FPGAOPS_ZYNQ_KERNEL_IMAGE)
    message(FATAL_ERROR "${_board} is an embedded board: v++ -p needs -DFPGAOPS_ZYNQ_ROOTFS=<rootfs.ext4> and "
                        "-DFPGAOPS_ZYNQ_KERNEL_IMAGE=<Image> (from the platform's common image / PetaLinux)")
  endif()
  set(_linked "${_out}/${_stem}.link.xclbin")
  add_custom_command(OUTPUT "${_linked}"
    COMMAND "${FPGAOPS_VPP}" -l ${_common} --kernel_frequency ${_clock} --config "${_cfg}" -o "${_linked}" ${_xos}
    DEPENDS ${_xos} "${_cfg}" WORKING_DIRECTORY "${_out}"
    COMMENT "v++ -l ${_stem} (${_board} connectivity)" VERBATIM)
  add_custom_command(OUTPUT "${_xclbin}"
    COMMAND "${FPGAOPS_VPP}" -p ${_common} --package.out_dir "${_out}/package" --package.boot_mode sd
            --package.rootfs "${FPGAOPS_ZYNQ_ROOTFS}" --package.kernel_image "${FPGAOPS_ZYNQ_KERNEL_IMAGE}"
            -o "${_xclbin}" "${_linked}"
    DEPENDS "${_linked}" WORKING_DIRECTORY "${_out}"
    COMMENT "v++ -p ${_stem} (SD card image in xclbin/package)" VERBATIM)
else()
  add_custom_command(OUTPUT "${_xclbin}"
    COMMAND "${FPGAOPS_VPP}" -l ${_common} --kernel_frequency ${_clock} --config "${_cfg}" -o "${_xclbin}" ${_xos}
    DEPENDS ${_xos} "${_cfg}" WORKING_DIRECTORY "${_out}"
    COMMENT "v++ -l ${_stem} (${_board} connectivity)" VERBATIM)
endif()

# 4. the manifest: what the host checks before it uses the xclbin
add_custom_command(OUTPUT "${_manifest}"
  COMMAND "${Python_EXECUTABLE}" "${_py}/xclbin.py" manifest --xclbin "${_xclbin}" --board ${_board}
          --target ${_target} --tool v++ --tool-version-file "${_out}/vpp_version.txt" --config "${_board_cfg}"
  DEPENDS "${_xclbin}" "${_board_cfg}" "${_py}/xclbin.py" "${_py}/xclbin_checks.py"
  COMMENT "manifest ${_stem}.manifest.json" VERBATIM)
set(_outputs "${_xclbin}" "${_manifest}")

# 5. emulation targets need emconfig.json beside the host program (XCL_EMULATION_MODE=<target>)
if(NOT _target STREQUAL "hw")
  find_program(FPGAOPS_EMCONFIGUTIL NAMES emconfigutil HINTS ${_vpp_hints})
  if(FPGAOPS_EMCONFIGUTIL)
    add_custom_command(OUTPUT "${_out}/emconfig.json"
      COMMAND "${FPGAOPS_EMCONFIGUTIL}" --platform ${_platform_name} --od "${_out}"
      WORKING_DIRECTORY "${_out}" COMMENT "emconfigutil ${_platform_name}" VERBATIM)
    list(APPEND _outputs "${_out}/emconfig.json")
  else()
    message(WARNING "emconfigutil not found: ${_target} runs will need an emconfig.json made by hand")
  endif()
endif()

add_custom_target(xclbin DEPENDS ${_outputs})
message(STATUS "fpgaops: xclbin target for ${_board} (${_platform_name}), ${_target}, ${_clock} MHz, kernel config "
               "${_board_cfg}: ${_kernels} -> ${_xclbin}")
