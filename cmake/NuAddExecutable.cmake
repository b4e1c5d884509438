# nu_add_executable(<target> <source>...): an executable whose sources go
# through nuc. Each source is replaced by <source>.nu.cpp, which includes
# it and adds the generated proclet tables; the target links Nu::runtime.
# Also nu_target_sources(<target> <source>...) for targets made otherwise.
include_guard(GLOBAL)

function(nu_target_sources target)
  set(incs "$<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>")
  set(defs "$<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>")
  set(std "$<TARGET_PROPERTY:${target},CXX_STANDARD>")
  set(flags
    "$<$<BOOL:${incs}>:-I$<JOIN:${incs},$<SEMICOLON>-I>>"
    "$<$<BOOL:${defs}>:-D$<JOIN:${defs},$<SEMICOLON>-D>>"
    "-std=c++$<IF:$<BOOL:${std}>,${std},20>")
  foreach(src IN LISTS ARGN)
    get_filename_component(abs "${src}" ABSOLUTE
                           BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    file(RELATIVE_PATH rel "${CMAKE_CURRENT_SOURCE_DIR}" "${abs}")
    set(out "${CMAKE_CURRENT_BINARY_DIR}/nu/${target}/${rel}.nu.cpp")
    add_custom_command(
      OUTPUT "${out}"
      COMMAND Nu::nuc "${rel}" -o "${out}" --depfile "${out}.d" -- ${flags}
      DEPENDS "${abs}" Nu::nuc
      DEPFILE "${out}.d"
      WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
      COMMAND_EXPAND_LISTS
      COMMENT "nuc ${rel}"
      VERBATIM)
    # The generated file includes the source by its relative path; GCC
    # sees that source as a header (-Wsubobject-linkage would misfire).
    set_source_files_properties("${out}" PROPERTIES COMPILE_OPTIONS
      "-iquote;${CMAKE_CURRENT_SOURCE_DIR};$<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>")
    target_sources(${target} PRIVATE "${out}")
  endforeach()
  target_link_libraries(${target} PRIVATE Nu::runtime)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANG_AND_ID:CXX,GNU>:-Wno-attributes=nu::>
    $<$<COMPILE_LANG_AND_ID:CXX,Clang>:-Wno-unknown-attributes>)
endfunction()

function(nu_add_executable target)
  add_executable(${target})
  nu_target_sources(${target} ${ARGN})
endfunction()
