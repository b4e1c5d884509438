# nu_add_layer: one library of the runtime's layers (docs/architecture.md):
# static, position-independent, its public headers in <dir>/include
# (installed), exported as Nu::<export name>.
#   nu_add_layer(<target> EXPORT <name> SOURCES <src>...
#                [PUBLIC <deps>...] [PRIVATE <deps>...])
function(nu_add_layer target)
  cmake_parse_arguments(L "" "EXPORT" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  add_library(${target} STATIC ${L_SOURCES})
  target_include_directories(${target}
    PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_link_libraries(${target} PUBLIC ${L_PUBLIC} PRIVATE ${L_PRIVATE})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${L_EXPORT}
                        POSITION_INDEPENDENT_CODE ON)
  nu_project_options(${target})
  add_library(Nu::${L_EXPORT} ALIAS ${target})
  install(TARGETS ${target} EXPORT NuTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY include/nu DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endfunction()
