add_library(weft_warnings INTERFACE)
target_compile_options(weft_warnings INTERFACE -Wall -Wextra)
if(WEFT_WERROR)
  target_compile_options(weft_warnings INTERFACE -Werror)
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
