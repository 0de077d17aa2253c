add_library(weft_warnings INTERFACE)
target_compile_options(weft_warnings INTERFACE -Wall -Wextra)
# clang checks the WEFT_GUARDED_BY / WEFT_REQUIRES annotations (src/sync/mutex.hpp): the
# sanitized builds of scripts/test.sh compile every library file with clang, so a member read
# without its mutex fails CI there. GCC has no such analysis; the annotations are empty for it.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  target_compile_options(weft_warnings INTERFACE -Wthread-safety)
endif()
if(WEFT_WERROR)
  target_compile_options(weft_warnings INTERFACE -Werror)
endif()
