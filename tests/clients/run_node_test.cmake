# Runs one client-library test file with `node --test` for ctest. A missing Node or missing
# npm packages fail the test with what to do, rather than skipping it (a skip is no pass).
# Inputs (-D): NODE (the node executable, may be NOTFOUND), CLIENTS_DIR, TEST_FILE.
if(NOT NODE OR NOT EXISTS "${NODE}")
  message(FATAL_ERROR "node was not found when CMake configured the build: install Node.js 18 "
                      "or newer (scripts/install-deps.sh installs Debian's nodejs and npm), "
                      "then configure again")
endif()
foreach(package openai ollama ajv ajv-formats)
  if(NOT EXISTS "${CLIENTS_DIR}/node_modules/${package}/package.json")
    message(FATAL_ERROR "npm package '${package}' is missing from ${CLIENTS_DIR}/node_modules: "
                        "run `npm ci --no-audit --no-fund` in tests/clients "
                        "(scripts/install-deps.sh does)")
  endif()
endforeach()
execute_process(COMMAND "${NODE}" --test "${TEST_FILE}" WORKING_DIRECTORY "${CLIENTS_DIR}"
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "node --test ${TEST_FILE} failed (${status})")
endif()
