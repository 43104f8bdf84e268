# Third-party libraries, all from Debian packages (see scripts/install_deps.sh).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
# The archive index is read with simdjson (src/detail/strict_json.hpp): opening is mostly that parse.
find_package(simdjson 3.0 REQUIRED)
find_package(pugixml 1.11 REQUIRED)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(DEFLATE REQUIRED IMPORTED_TARGET libdeflate)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
# Debian's libzip CMake package points at tools of another package: use pkg-config.
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
# DICOM SEG export and import (src/io/dicom_seg_*): DCMTK's dcmdata (Debian libdcmtk-dev).
find_package(DCMTK REQUIRED CONFIG)
if(MEDMASK_BUILD_CLI)
  find_package(CLI11 2.0 REQUIRED)
endif()
if(MEDMASK_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
