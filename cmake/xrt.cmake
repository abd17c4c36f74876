# fpgaops._xrt: pybind11 module over XRT's native C++ API (host/xrt/*.cpp).
# Built when XRT's headers and libxrt_coreutil are found; `pip install .` succeeds without them
# (the xrt backend then reports "not built"). Looked up, in order:
#   $XILINX_XRT (an XRT install prefix), /opt/xilinx/xrt (AMD's packages),
#   /usr/include/xrt + the multiarch lib dir (Debian's libxrt-dev; its pkg-config file is broken,
#   so pkg-config is not used).
# FPGAOPS_XRT=ON makes a missing XRT a configure error (what CI wants); OFF never builds it.
set(FPGAOPS_XRT "AUTO" CACHE STRING "Build fpgaops._xrt: AUTO (if XRT is found), ON (required), OFF")
set_property(CACHE FPGAOPS_XRT PROPERTY STRINGS AUTO ON OFF)

if(FPGAOPS_BUILD_PYTHON AND NOT FPGAOPS_XRT STREQUAL "OFF")
  set(_xrt_prefixes "")
  if(DEFINED ENV{XILINX_XRT})
    list(APPEND _xrt_prefixes "$ENV{XILINX_XRT}")
  endif()
  list(APPEND _xrt_prefixes /opt/xilinx/xrt)
  find_path(FPGAOPS_XRT_INCLUDE_DIR NAMES xrt/xrt_kernel.h
    HINTS ${_xrt_prefixes} PATH_SUFFIXES include
    PATHS /usr/include/xrt /usr/local/include/xrt
    DOC "folder holding xrt/xrt_kernel.h")
  find_library(FPGAOPS_XRT_COREUTIL NAMES xrt_coreutil HINTS ${_xrt_prefixes} PATH_SUFFIXES lib lib64
    DOC "XRT's libxrt_coreutil (xrt::device, xrt::kernel, xrt::bo)")
  find_library(FPGAOPS_UUID_LIBRARY NAMES uuid DOC "libuuid (XRT's xclbin.h uses uuid_t)")
  find_package(Threads)

  if(FPGAOPS_XRT_INCLUDE_DIR AND FPGAOPS_XRT_COREUTIL AND FPGAOPS_UUID_LIBRARY AND Threads_FOUND
     AND EXISTS "${FPGAOPS_XRT_INCLUDE_DIR}/experimental/xrt_xclbin.h")
    file(GLOB FPGAOPS_XRT_SOURCES CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/host/xrt/*.cpp")
    pybind11_add_module(_xrt ${FPGAOPS_XRT_SOURCES})
    set_target_properties(_xrt PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON)
    target_include_directories(_xrt SYSTEM PRIVATE "${FPGAOPS_XRT_INCLUDE_DIR}")
    target_link_libraries(_xrt PRIVATE "${FPGAOPS_XRT_COREUTIL}" "${FPGAOPS_UUID_LIBRARY}" Threads::Threads)
    # XRT outside the system library path (/opt/xilinx/xrt/lib): find it again at run time.
    get_filename_component(_xrt_libdir "${FPGAOPS_XRT_COREUTIL}" DIRECTORY)
    if(NOT _xrt_libdir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
      set_target_properties(_xrt PROPERTIES INSTALL_RPATH "${_xrt_libdir}" BUILD_RPATH "${_xrt_libdir}")
    endif()
    install(TARGETS _xrt DESTINATION fpgaops)
    message(STATUS "fpgaops: building fpgaops._xrt against XRT at ${FPGAOPS_XRT_INCLUDE_DIR} (${FPGAOPS_XRT_COREUTIL})")
  else()
    set(_why "XRT headers (xrt/xrt_kernel.h, experimental/xrt_xclbin.h), libxrt_coreutil or libuuid not found")
    if(FPGAOPS_XRT STREQUAL "ON")
      message(FATAL_ERROR "FPGAOPS_XRT=ON but ${_why}: install libxrt-dev (Debian) or XRT from AMD "
                          "(/opt/xilinx/xrt), or set XILINX_XRT")
    endif()
    message(STATUS "fpgaops: ${_why}; fpgaops._xrt is not built (the xrt backend will say so)")
  endif()
endif()
