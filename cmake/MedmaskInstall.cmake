# Installs headers, the library, the CLI and a CMake package so that consumers can
# find_package(medmask) and link medmask::medmask.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

if(NOT SKBUILD)
  install(TARGETS medmask EXPORT medmaskTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(DIRECTORY include/medmask DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT medmaskTargets NAMESPACE medmask::
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/medmask)
  configure_package_config_file(cmake/medmaskConfig.cmake.in
    ${PROJECT_BINARY_DIR}/medmaskConfig.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/medmask)
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/medmaskConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/medmaskConfig.cmake
    ${PROJECT_BINARY_DIR}/medmaskConfigVersion.cmake
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/medmask)
  if(MEDMASK_BUILD_CLI)
    install(TARGETS medmask_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endif()
