# recsys_add_plugin_test(NAME <test> PLUGIN <plugin target> SOURCES <files...> [LIBRARIES <libs...>])
#
# A GoogleTest binary for one plugin: links the conformance suite (recsys/conformance_gtest.hpp)
# and the host's loader (recsys::core), defines RECSYS_PLUGIN_FILE as the built plugin's path
# so the test loads it exactly as recsys-host does, and registers it with CTest.
function(recsys_add_plugin_test)
  cmake_parse_arguments(ARG "" "NAME;PLUGIN" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_PLUGIN OR NOT ARG_SOURCES)
    message(FATAL_ERROR "recsys_add_plugin_test: NAME, PLUGIN and SOURCES are required")
  endif()
  if(NOT TARGET GTest::gtest_main)
    find_package(GTest REQUIRED)
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE recsys::conformance recsys::core GTest::gtest GTest::gtest_main
                        ${ARG_LIBRARIES})
  target_compile_definitions(${ARG_NAME} PRIVATE RECSYS_PLUGIN_FILE="$<TARGET_FILE:${ARG_PLUGIN}>")
  add_dependencies(${ARG_NAME} ${ARG_PLUGIN})
  if(COMMAND recsys_use_torch_pch)
    recsys_use_torch_pch(${ARG_NAME})
  endif()
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
endfunction()
