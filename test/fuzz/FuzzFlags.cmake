# NU_FUZZ=ON: the flags of a fuzz build, included by the top-level
# CMakeLists.txt before any library is defined (test/fuzz/CMakeLists.txt).
# Every target is compiled with libFuzzer's coverage instrumentation
# (fuzzer-no-link), AddressSanitizer and UBSan, so the project libraries the
# fuzzers link are instrumented too; the fuzzers add -fsanitize=fuzzer.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR
    "NU_FUZZ=ON needs Clang (libFuzzer), not ${CMAKE_CXX_COMPILER_ID}: "
    "configure a build directory of its own with CC=clang-16 "
    "CXX=clang++-16 (scripts/fuzz.sh does)")
endif()
if(NU_SANITIZE OR NU_TSAN)
  message(FATAL_ERROR "NU_FUZZ=ON brings its own sanitizers: "
                      "leave NU_SANITIZE and NU_TSAN off")
endif()

# Normal variables win over the options of NuCompileOptions (CMP0077):
# no -Werror (another compiler's warnings), no _FORTIFY_SOURCE (ASan's
# interceptors do not cover its checked functions).
set(NU_WERROR OFF)
set(NU_HARDENING OFF)

# UB stops the fuzzer like a crash instead of printing and going on.
set(NU_FUZZ_SANITIZERS -fsanitize=address,undefined
    -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_compile_options(-fsanitize=fuzzer-no-link ${NU_FUZZ_SANITIZERS})
add_link_options(${NU_FUZZ_SANITIZERS})
