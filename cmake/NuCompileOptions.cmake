# Warning and sanitizer flags for nu's own targets.
# Use nu_project_options(<target>) on every target built from our sources.
add_library(nu_project_options INTERFACE)
target_compile_options(nu_project_options INTERFACE -Wall -Wextra -Werror)

if(NU_SANITIZE)
  set(_nu_san -fsanitize=address,undefined -fno-omit-frame-pointer
              -fno-sanitize-recover=undefined)
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
