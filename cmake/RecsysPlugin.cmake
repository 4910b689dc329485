# recsys_add_plugin(NAME <target> SOURCES <files...> [LIBRARIES <libs...>])
#
# Builds a plugin shared library the way the host expects it: linked against the SDK and
# torch (which carries -D_GLIBCXX_USE_CXX11_ABI), hidden visibility so one plugin's symbols
# cannot shadow another's, -Wl,--no-undefined so a missing symbol fails at link time, no
# "lib" prefix, and output into lib/recsys/plugins where recsys-host looks for it.
function(recsys_add_plugin)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_SOURCES)
    message(FATAL_ERROR "recsys_add_plugin: NAME and SOURCES are required")
  endif()
  add_library(${ARG_NAME} MODULE ${ARG_SOURCES})
  # Installed plugins find the SDK library relative to themselves, wherever LIBDIR is.
  file(RELATIVE_PATH plugin_to_libdir "/${RECSYS_PLUGIN_SUBDIR}" "/${CMAKE_INSTALL_LIBDIR}")
  target_link_libraries(${ARG_NAME} PRIVATE recsys::sdk torch ${ARG_LIBRARIES})
  set_target_properties(${ARG_NAME} PROPERTIES
    PREFIX "recsys_"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    INSTALL_RPATH "$ORIGIN/${plugin_to_libdir}"
    LIBRARY_OUTPUT_DIRECTORY "${RECSYS_PLUGIN_OUTPUT_DIR}"
    )
  target_link_options(${ARG_NAME} PRIVATE "LINKER:--no-undefined")
  if(TARGET recsys_torch_pch)
    recsys_use_torch_pch(${ARG_NAME})
  endif()
  install(TARGETS ${ARG_NAME} LIBRARY DESTINATION "${RECSYS_PLUGIN_SUBDIR}")
  set_property(GLOBAL APPEND PROPERTY RECSYS_PLUGIN_TARGETS ${ARG_NAME})
endfunction()
