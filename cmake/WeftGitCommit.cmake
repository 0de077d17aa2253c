# The git commit this build was configured from, for `weft --version`: "unknown" outside a git
# checkout. CMake re-runs when HEAD moves (a commit, a checkout), so the value stays current.
find_package(Git QUIET)
set(WEFT_GIT_COMMIT "unknown")
if(GIT_FOUND)
  execute_process(
    COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
    OUTPUT_VARIABLE _weft_commit
    RESULT_VARIABLE _weft_commit_status
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_weft_commit_status EQUAL 0 AND _weft_commit)
    set(WEFT_GIT_COMMIT "${_weft_commit}")
    execute_process(
      COMMAND ${GIT_EXECUTABLE} rev-parse --symbolic-full-name HEAD
      WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
      OUTPUT_VARIABLE _weft_branch OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    foreach(_weft_name HEAD ${_weft_branch} packed-refs)
      execute_process(
        COMMAND ${GIT_EXECUTABLE} rev-parse --path-format=absolute --git-path ${_weft_name}
        WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
        OUTPUT_VARIABLE _weft_path OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(_weft_path AND EXISTS "${_weft_path}")
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_weft_path}")
      endif()
    endforeach()
  endif()
endif()
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/cmake/build_commit.hpp.in
  ${CMAKE_CURRENT_BINARY_DIR}/generated/cli/build_commit.hpp @ONLY)
