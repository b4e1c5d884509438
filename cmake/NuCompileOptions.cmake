# Warning, hardening and sanitizer flags for nu's own targets.
# Use nu_project_options(<target>) on every target built from our sources.
option(NU_WERROR "Treat warnings as errors in nu's own code" OFF)
option(NU_HARDENING
  "Build with -D_FORTIFY_SOURCE=2 -fstack-protector-strong (not in Debug)" ON)

add_library(nu_project_options INTERFACE)
target_compile_options(nu_project_options INTERFACE -Wall -Wextra)
if(NU_WERROR)
  target_compile_options(nu_project_options INTERFACE -Werror)
endif()
# GCC 12 at -O3 reports false -Wrestrict overlaps in std::string
# concatenation (GCC bug 105329) and false -Wmaybe-uninitialized on the
# std::string members of braced temporaries (GCC bug 107138), both fixed in
# GCC 13; later GCCs keep both warnings.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND
   CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(nu_project_options INTERFACE -Wno-restrict
                         -Wno-maybe-uninitialized)
endif()

# Debian's hardening flags (dpkg-buildflags). FORTIFY needs optimization,
# so Debug builds go without it, and the sanitizers' interceptors do not
# cover its checked functions; a _FORTIFY_SOURCE already in CMAKE_CXX_FLAGS
# (e.g. from dpkg-buildflags) is not defined a second time.
if(NU_HARDENING AND NOT NU_SANITIZE AND NOT NU_TSAN)
  set(_nu_not_debug "$<NOT:$<CONFIG:Debug>>")
  if(NOT CMAKE_CXX_FLAGS MATCHES "_FORTIFY_SOURCE")
    target_compile_definitions(nu_project_options INTERFACE
      $<${_nu_not_debug}:_FORTIFY_SOURCE=2>)
  endif()
  target_compile_options(nu_project_options INTERFACE
    $<${_nu_not_debug}:-fstack-protector-strong>)
endif()

if(NU_SANITIZE)
  # No vptr check: it proves an object's type by reading it through a pipe,
  # which fails in the tests that exhaust the file descriptors on purpose.
  set(_nu_san -fsanitize=address,undefined -fno-sanitize=vptr
              -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_compile_options(nu_project_options INTERFACE ${_nu_san})
  target_link_options(nu_project_options INTERFACE ${_nu_san})
endif()

# ThreadSanitizer for the concurrent runtime (a build of its own).
if(NU_TSAN)
  target_compile_options(nu_project_options INTERFACE -fsanitize=thread)
  target_link_options(nu_project_options INTERFACE -fsanitize=thread)
endif()

function(nu_project_options target)
  target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:nu_project_options>)
endfunction()
