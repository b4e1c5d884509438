# Installs the find_package(Nu) package: the exported targets (Nu::runtime,
# Nu::nuc), NuConfig.cmake and nu_add_executable.
include(CMakePackageConfigHelpers)
set(_nu_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/Nu)

install(EXPORT NuTargets NAMESPACE Nu:: DESTINATION ${_nu_cmake_dir})
configure_package_config_file(cmake/NuConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/NuConfig.cmake
  INSTALL_DESTINATION ${_nu_cmake_dir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/NuConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/NuConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/NuConfigVersion.cmake
  cmake/NuAddExecutable.cmake
  DESTINATION ${_nu_cmake_dir})
