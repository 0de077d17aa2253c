# Runs one inferlet SDK test for ctest: `node --test FILE` in sdk/js, or, with TYPECHECK, the
# pinned TypeScript compiler over test/types. A missing Node or a missing `npm ci` fails the
# test with what to do, rather than skipping it (a skip is no pass).
# Inputs (-D): NODE (the node executable, may be NOTFOUND), SDK_DIR, TEST_FILE or TYPECHECK.
if(NOT NODE OR NOT EXISTS "${NODE}")
  message(FATAL_ERROR "node was not found when CMake configured the build: install Node.js 18 "
                      "or newer (scripts/install-deps.sh installs Debian's nodejs and npm), "
                      "then configure again")
endif()
if(TYPECHECK)
  set(tsc "${SDK_DIR}/node_modules/typescript/bin/tsc")
  if(NOT EXISTS "${tsc}")
    message(FATAL_ERROR "TypeScript is missing from ${SDK_DIR}/node_modules: run "
                        "`npm ci --no-audit --no-fund` in sdk/js (scripts/install-deps.sh does)")
  endif()
  set(command "${NODE}" "${tsc}" -p test/types/tsconfig.json)
else()
  set(command "${NODE}" --test "${TEST_FILE}")
endif()
execute_process(COMMAND ${command} WORKING_DIRECTORY "${SDK_DIR}" RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${command} failed (${status})")
endif()
