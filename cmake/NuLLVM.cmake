# Finds LLVM/Clang 16 (Debian's llvm-16 packages) for nuc.
# An unversioned find_package picks up other installed versions and fails.
find_package(LLVM 16 REQUIRED CONFIG HINTS /usr/lib/llvm-16/lib/cmake/llvm)
find_package(Clang 16 REQUIRED CONFIG HINTS /usr/lib/llvm-16/lib/cmake/clang)
message(STATUS "nu: LLVM ${LLVM_PACKAGE_VERSION} from ${LLVM_DIR}")

# The resource dir (stddef.h and friends) nuc injects into every command, so
# that it finds the standard headers wherever it is installed.
find_program(NU_CLANG clang-16 HINTS ${LLVM_TOOLS_BINARY_DIR} REQUIRED)
execute_process(COMMAND ${NU_CLANG} -print-resource-dir
                OUTPUT_VARIABLE NU_CLANG_RESOURCE_DIR
                OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)

add_library(nu_clang INTERFACE)
target_include_directories(nu_clang SYSTEM INTERFACE
  ${LLVM_INCLUDE_DIRS} ${CLANG_INCLUDE_DIRS})
separate_arguments(_nu_llvm_defs NATIVE_COMMAND "${LLVM_DEFINITIONS}")
target_compile_options(nu_clang INTERFACE ${_nu_llvm_defs})
target_link_libraries(nu_clang INTERFACE clang-cpp LLVM)
# GCC 12 reports a false "'this' pointer is null" inside LLVM 16's inline
# ExternalASTSource code, even from system headers.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(nu_clang INTERFACE -Wno-nonnull)
endif()
