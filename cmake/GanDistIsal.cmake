# ISA-L (Debian's libisal-dev) as an imported target, ISAL::isal: its CRC-32C checksums the
# TensorBoard records. Debian ships no CMake or pkg-config file for it, so find it by hand.
if(NOT TARGET ISAL::isal)
  find_path(ISAL_INCLUDE_DIR isa-l/crc.h)
  find_library(ISAL_LIBRARY isal)
  if(NOT ISAL_INCLUDE_DIR OR NOT ISAL_LIBRARY)
    message(FATAL_ERROR "ISA-L not found: install libisal-dev (launch/install_deps.sh does)")
  endif()
  add_library(ISAL::isal UNKNOWN IMPORTED)
  set_target_properties(ISAL::isal PROPERTIES IMPORTED_LOCATION "${ISAL_LIBRARY}"
                                              INTERFACE_INCLUDE_DIRECTORIES "${ISAL_INCLUDE_DIR}")
endif()
