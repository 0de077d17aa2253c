# Writes SUITES_FILE: one ctest test per GoogleTest suite of TEST_EXECUTABLE, named "Suite.*"
# and run through RUNNER (cmake/WeftTestSuites.cmake). Run after each build of the binary.
execute_process(COMMAND ${TEST_EXECUTABLE} --gtest_list_tests
                OUTPUT_VARIABLE listing RESULT_VARIABLE status TIMEOUT 60)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --gtest_list_tests failed (${status}):\n${listing}")
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(content "")
foreach(line IN LISTS lines)
  # Suite lines start in the first column and end with '.', before any "  # TypeParam" note.
  if(line MATCHES "^([^ #][^ ]*)\\.( .*)?$")
    set(suite "${CMAKE_MATCH_1}")
    string(APPEND content
      "add_test([==[${suite}.*]==] ${RUNNER} ${TEST_EXECUTABLE} [==[--gtest_filter=${suite}.*]==])\n"
      "set_tests_properties([==[${suite}.*]==] PROPERTIES LABELS ${LABEL} TIMEOUT ${TIMEOUT}"
      " SKIP_RETURN_CODE 77 WORKING_DIRECTORY ${WORKING_DIRECTORY})\n")
  endif()
endforeach()
file(WRITE ${SUITES_FILE} "${content}")
