# recsys_add_plugin(NAME <name> KIND <dataset|sampler|model|loss|metric>
#                   [VERSION <x.y.z>] SOURCES <files...> [LIBRARIES <libs...>])
#
# Builds the plugin library `recsys_<kind>_<name>.so` (target `<kind>_<name>`) the way the host
# expects it, in tree and out of tree alike (find_package(RecsysSDK) brings this function):
# - linked against recsys::sdk and torch, whose CMake target carries -D_GLIBCXX_USE_CXX11_ABI;
# - hidden visibility, so one plugin's symbols cannot shadow another's;
# - -Wl,--no-undefined, so a missing symbol fails at link time instead of at load time;
# - compile definitions RECSYS_PLUGIN_KIND, RECSYS_PLUGIN_NAME and RECSYS_PLUGIN_VERSION,
#   which RECSYS_EXPORT_PLUGIN (recsys/plugin.hpp) reads: the single source of its metadata;
# - output into RECSYS_PLUGIN_OUTPUT_DIR (default <build>/lib/recsys/plugins) and installed
#   into lib/recsys/plugins, where recsys-host looks for plugins relative to itself.
include(GNUInstallDirs)

function(recsys_add_plugin)
  cmake_parse_arguments(ARG "" "NAME;KIND;VERSION" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_NAME OR NOT ARG_KIND OR NOT ARG_SOURCES)
    message(FATAL_ERROR "recsys_add_plugin: NAME, KIND and SOURCES are required")
  endif()
  if(NOT ARG_KIND MATCHES "^(dataset|sampler|model|loss|metric)$")
    message(FATAL_ERROR "recsys_add_plugin(${ARG_NAME}): KIND must be dataset, sampler, model, loss or metric")
  endif()
  if(NOT ARG_NAME MATCHES "^[A-Za-z0-9_]+$")
    message(FATAL_ERROR "recsys_add_plugin(${ARG_NAME}): NAME must be [A-Za-z0-9_]+")
  endif()
  if(NOT ARG_VERSION)
    set(ARG_VERSION "1.0.0")
  endif()
  if(NOT RECSYS_PLUGIN_OUTPUT_DIR)
    set(RECSYS_PLUGIN_OUTPUT_DIR "${CMAKE_BINARY_DIR}/lib/recsys/plugins")
  endif()
  set(target ${ARG_KIND}_${ARG_NAME})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE recsys::sdk torch ${ARG_LIBRARIES})
  target_compile_definitions(${target} PRIVATE
    RECSYS_PLUGIN_KIND=${ARG_KIND}
    RECSYS_PLUGIN_NAME="${ARG_NAME}"
    RECSYS_PLUGIN_VERSION="${ARG_VERSION}")
  # Installed plugins find the SDK library relative to themselves, wherever LIBDIR is.
  file(RELATIVE_PATH plugin_to_libdir "/lib/recsys/plugins" "/${CMAKE_INSTALL_LIBDIR}")
  set_target_properties(${target} PROPERTIES
    PREFIX "recsys_"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${RECSYS_PLUGIN_OUTPUT_DIR}"
    INSTALL_RPATH "$ORIGIN/${plugin_to_libdir}")
  target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  if(COMMAND recsys_use_torch_pch)
    recsys_use_torch_pch(${target})  # in tree only: the shared precompiled torch header
  endif()
  install(TARGETS ${target} LIBRARY DESTINATION "lib/recsys/plugins")
  set_property(GLOBAL APPEND PROPERTY RECSYS_PLUGIN_TARGETS ${target})
endfunction()
