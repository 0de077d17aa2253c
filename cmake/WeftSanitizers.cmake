# Sanitizer builds (ASan+UBSan, TSan, libFuzzer). They run the suite for memory and thread
# errors, not for speed, and CI compiles them on two cores: code is built at -O0 with line
# tables only (what sanitizer reports need), which halves compile time, except the numeric
# and matching code the tests exercise heavily (weft_optimize_hot_sources), kept at -O1 so
# the sanitized suite still runs in minutes.
set(WEFT_SANITIZED OFF)
if(WEFT_SANITIZE OR WEFT_TSAN OR (WEFT_FUZZ AND CMAKE_CXX_COMPILER_ID MATCHES "Clang"))
  set(WEFT_SANITIZED ON)
endif()

if(WEFT_SANITIZED)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    set(weft_line_tables -gline-tables-only)
  else()
    set(weft_line_tables -g1)
  endif()
  foreach(config RELWITHDEBINFO RELEASE DEBUG MINSIZEREL)
    set(CMAKE_CXX_FLAGS_${config} "-O0 ${weft_line_tables} -DNDEBUG")
    set(CMAKE_C_FLAGS_${config} "-O0 ${weft_line_tables} -DNDEBUG")
  endforeach()
endif()

if(WEFT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12's flow analysis gives false maybe-uninitialized reports on std::variant moves
    # once ASan instruments them; the Release build keeps the warning.
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()
if(WEFT_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  # Asio's handler fences are invisible to TSan (and GCC refuses them under -Werror=tsan);
  # its scheduler's mutexes already order handlers.
  add_compile_definitions(ASIO_DISABLE_FENCED_BLOCK)
  add_link_options(-fsanitize=thread)
endif()
if(WEFT_FUZZ AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  # Everything gets coverage instrumentation and the sanitizers; only fuzz targets link
  # libFuzzer's main (-fsanitize=fuzzer, tests/fuzz/CMakeLists.txt).
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Sanitized binaries are hundreds of megabytes and the suite links about twenty of them; lld
# links them several times faster than the default ld.bfd.
if(WEFT_SANITIZED AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  find_program(WEFT_LLD NAMES ld.lld)
  if(WEFT_LLD)
    add_link_options(-fuse-ld=lld)
  else()
    message(STATUS "ld.lld not found: sanitized binaries link with the default linker (slower)")
  endif()
endif()

# weft_optimize_for_sanitizers(<sources...>): in a sanitized build, compile these sources at
# -O1 (after the -O0 above): the loops that dominate the suite's run time. A precompiled
# header is built at its target's -O0, which clang refuses in an -O1 file, so these parse
# their headers themselves.
set(WEFT_HOT_SOURCE_DIRS tensor model runtime grammar tokenizer kv)
function(weft_optimize_for_sanitizers)
  if(WEFT_SANITIZED)
    set_property(SOURCE ${ARGN} APPEND PROPERTY COMPILE_OPTIONS -O1)
    set_property(SOURCE ${ARGN} PROPERTY SKIP_PRECOMPILE_HEADERS ON)
  endif()
endfunction()

# The library sources under the folders of WEFT_HOT_SOURCE_DIRS.
function(weft_optimize_hot_sources)
  list(JOIN WEFT_HOT_SOURCE_DIRS "|" hot_dirs)
  set(hot ${ARGN})
  list(FILTER hot INCLUDE REGEX "/src/(${hot_dirs})/")
  weft_optimize_for_sanitizers(${hot})
endfunction()
