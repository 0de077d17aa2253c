# Compile time. CI builds the project three times, cold, on two cores (scripts/test.sh); most
# test files and many library files spend most of their compile time parsing the same large
# headers (GoogleTest, nlohmann/json, the standard library), so in the clang builds (the two
# sanitized ones) those are precompiled once per target. GCC does without: see
# weft_precompile_library_headers below and weft_precompile_test_headers (tests/CMakeLists.txt).
option(WEFT_PRECOMPILE_HEADERS "Precompile the large external headers once per target" ON)
set(WEFT_PRECOMPILED_STD_HEADERS <algorithm> <chrono> <cmath> <cstdint> <cstdio> <cstring>
    <filesystem> <fstream> <functional> <map> <memory> <optional> <sstream> <string>
    <string_view> <thread> <vector>)

# ccache only caches a file compiled with a precompiled header when told that the header's
# macros and __TIME__ may be ignored in its hash (its manual, "Precompiled headers").
if(WEFT_PRECOMPILE_HEADERS AND CCACHE_PROGRAM)
  set(weft_ccache_launcher ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros
      ${CCACHE_PROGRAM})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${weft_ccache_launcher})
  set(CMAKE_C_COMPILER_LAUNCHER ${weft_ccache_launcher})
endif()

# weft_precompile_library_headers(<target>): nlohmann/json and the standard headers for the
# library's files, with clang only: clang reads a precompiled header lazily, GCC loads the whole
# file (over 100 MB) into every file that uses it, which costs the many small library files
# that never include nlohmann/json more than it saves in the others.
function(weft_precompile_library_headers target)
  if(WEFT_PRECOMPILE_HEADERS AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_precompile_headers(${target} PRIVATE <nlohmann/json.hpp>
      ${WEFT_PRECOMPILED_STD_HEADERS})
  endif()
endfunction()

# weft_build_front_end_quickly(<target>): the command-line front end parses options, starts
# work in the library and prints. Nearly all its files include CLI11, which is header-only in
# Debian and costs about 4 s of parsing per file; in the clang builds CLI11, nlohmann/json
# and the standard headers are precompiled once for the target (GCC's precompiled header
# costs more to load, 4 s in every file, than it saves). As its own code does no heavy work,
# the Release build compiles it at -O1 (after the build type's -O3): 40-50% less time per file.
function(weft_build_front_end_quickly target)
  if(WEFT_PRECOMPILE_HEADERS AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_precompile_headers(${target} PRIVATE <CLI/CLI.hpp> <nlohmann/json.hpp>
      ${WEFT_PRECOMPILED_STD_HEADERS})
  endif()
  if(NOT WEFT_SANITIZED AND CMAKE_BUILD_TYPE STREQUAL "Release")
    target_compile_options(${target} PRIVATE -O1)
  endif()
endfunction()
