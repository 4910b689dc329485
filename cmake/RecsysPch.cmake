# A single precompiled header for <torch/torch.h>. Parsing torch costs ~35 s of CPU per
# translation unit; every torch-using target reuses this one (recsys_use_torch_pch).
add_library(recsys_torch_pch STATIC "${CMAKE_CURRENT_LIST_DIR}/pch_anchor.cpp")
target_link_libraries(recsys_torch_pch PUBLIC torch)
target_precompile_headers(recsys_torch_pch PUBLIC <torch/torch.h>)
# GCC writes a reference to the .gch, instead of torch's whole text, into the preprocessed
# output ccache hashes, so that ccache can cache the compilations using the header (with the
# sloppiness the top-level CMakeLists.txt sets). A no-op for the compilation itself.
target_compile_options(recsys_torch_pch PRIVATE $<$<CXX_COMPILER_ID:GNU>:-fpch-preprocess>)

function(recsys_use_torch_pch target)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    # CMake compiles PIC executables with -fPIE, which GCC refuses to mix with a -fPIC
    # header; -fPIC code links into a PIE just as well.
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE OFF)
    target_compile_options(${target} PRIVATE -fPIC)
  endif()
  target_compile_options(${target} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-fpch-preprocess>)
  target_precompile_headers(${target} REUSE_FROM recsys_torch_pch)
endfunction()
