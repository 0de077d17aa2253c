# How a GoogleTest binary's tests become ctest tests: one ctest test per GoogleTest test
# (gtest_discover_tests), except for the unit tests of a sanitized build. A sanitized test
# binary is hundreds of megabytes and takes about 0.7 s of CPU to start and to check for
# leaks at exit, longer than most unit tests, so there (SUITES_WHEN_SANITIZED) each
# GoogleTest suite is one ctest test ("Suite.*"): on CI's two cores the ASan unit stage
# took 2:13 instead of 5:00. (The end-to-end tests each start a daemon anyway; one test per
# suite would only serialise them.) A suite's test fails when any of its tests fails, and is
# reported as skipped (never as passed) when one of them skipped and none failed
# (tests/run_test_suite.sh).
include(GoogleTest)

# weft_register_gtests(<target> LABEL <label> [TIMEOUT <seconds>] [SUITES_WHEN_SANITIZED])
function(weft_register_gtests target)
  cmake_parse_arguments(arg "SUITES_WHEN_SANITIZED" "LABEL;TIMEOUT" "" ${ARGN})
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 1500)
  endif()
  if(NOT WEFT_SANITIZED OR NOT arg_SUITES_WHEN_SANITIZED)
    gtest_discover_tests(${target} PROPERTIES LABELS ${arg_LABEL} TIMEOUT ${arg_TIMEOUT}
                         DISCOVERY_TIMEOUT 60 SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
    return()
  endif()
  set(suites_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites.cmake")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -D TEST_EXECUTABLE=$<TARGET_FILE:${target}>
            -D SUITES_FILE=${suites_file} -D LABEL=${arg_LABEL} -D TIMEOUT=${arg_TIMEOUT}
            -D RUNNER=${PROJECT_SOURCE_DIR}/tests/run_test_suite.sh
            -D WORKING_DIRECTORY=${CMAKE_CURRENT_BINARY_DIR}
            -P ${PROJECT_SOURCE_DIR}/cmake/weft_write_test_suites.cmake
    BYPRODUCTS ${suites_file}
    VERBATIM)
  # ctest reads the list only once the binary has been built and listed.
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites_include.cmake")
  file(WRITE ${include_file} "if(EXISTS \"${suites_file}\")\n  include(\"${suites_file}\")\n"
       "else()\n  add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${include_file})
endfunction()
