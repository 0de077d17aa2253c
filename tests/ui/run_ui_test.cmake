# Runs one chat-page test file (tests/ui) with `node --test` for ctest. A missing Node, missing
# npm packages or a missing Chromium fail the test with what to do, rather than skipping it
# (a skip is no pass). Inputs (-D): NODE (the node executable, may be NOTFOUND), UI_DIR,
# TEST_FILE.
if(NOT NODE OR NOT EXISTS "${NODE}")
  message(FATAL_ERROR "node was not found when CMake configured the build: install Node.js 18 "
                      "or newer (scripts/install-deps.sh installs Debian's nodejs and npm), "
                      "then configure again")
endif()
if(NOT EXISTS "${UI_DIR}/node_modules/puppeteer-core/package.json")
  message(FATAL_ERROR "npm package 'puppeteer-core' is missing from ${UI_DIR}/node_modules: "
                      "run `npm ci --no-audit --no-fund` in tests/ui (scripts/install-deps.sh does)")
endif()
if(NOT DEFINED ENV{WEFT_CHROMIUM})
  find_program(CHROMIUM NAMES chromium chromium-browser)
  if(NOT CHROMIUM)
    message(FATAL_ERROR "no Chromium found: install Debian's `chromium` package "
                        "(scripts/install-deps.sh does), or set WEFT_CHROMIUM to a Chromium or "
                        "Chrome binary")
  endif()
endif()
execute_process(COMMAND "${NODE}" --test "${TEST_FILE}" WORKING_DIRECTORY "${UI_DIR}"
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "node --test ${TEST_FILE} failed (${status})")
endif()
