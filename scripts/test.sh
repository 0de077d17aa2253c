#!/usr/bin/env bash
# README command 2 (and CI): install dependencies, build with warnings as errors, run the
# whole suite through ctest, then (clang, ASan+UBSan) the unit and daemon tests again and the
# libFuzzer targets for a fixed time each.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${WEFT_SKIP_DEPS:-0}" != "1" ]; then scripts/install-deps.sh; fi
jobs=$(nproc)
# A line with the clock at each stage, so that a CI log shows where its time went.
stage() { echo "== $(date -u +%H:%M:%S) $*"; }
# The daemon's end-to-end tests, which also run under the sanitizers (ServeLimits is the
# fault suite's per-connection part).
DAEMON_TESTS='^(ServeRequests|ServeLifecycle|ServeTcp|ServeChatTemplate|ServeStats|ServeHttp|ServeGrammar|ServePrograms|ServeInferdV2|ServeLimits|CliDaemon)\.'
# The files that hold them: the sanitized builds compile only these of tests/e2e and
# tests/reliability (WEFT_END_TO_END_TESTS, tests/CMakeLists.txt).
DAEMON_TEST_FILES="e2e/serve_requests;e2e/serve_lifecycle;e2e/serve_tcp;e2e/serve_chat_template"
DAEMON_TEST_FILES+=";e2e/serve_stats;e2e/serve_http;e2e/serve_grammar;e2e/serve_programs"
DAEMON_TEST_FILES+=";e2e/serve_inferd_v2;reliability/serve_limits;e2e/cli_daemon"

# The Release build compiles the library, the command line and the tests in unity batches of
# eight files (CMAKE_UNITY_BUILD): on CI's two cores that halves their compile time, most of
# which is parsing the same headers. The sanitized builds below compile every file they build
# on its own, so those files are still checked to compile by themselves.
stage release build
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWEFT_WERROR=ON -DCMAKE_UNITY_BUILD=ON
cmake --build build -j "$jobs"
stage release tests
(cd build && ctest --output-on-failure -j "$jobs" -LE reliability)
# The standing fault suite (docs/reliability.md) alone, one test at a time: its bounds are
# measured on the daemon process and meant for a machine not busy with other tests.
stage fault suite
(cd build && ctest --output-on-failure -L reliability)

# One clang build carries ASan+UBSan for the unit tests, the daemon's end-to-end tests and
# the libFuzzer targets (saves a third full build on CI's two cores). Sanitized builds
# compile at -O0 but for the hot folders (cmake/WeftSanitizers.cmake). The unit tests here
# are those of the folders that read outside input (files, wire formats, text, grammars,
# requests); the numeric folders (tensor, model, runtime) take most of the sanitized run
# time, are checked for exactness in the Release run and, for runtime, under TSan below.
stage asan build
CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWEFT_WERROR=ON -DWEFT_SANITIZE=ON -DWEFT_FUZZ=ON -DWEFT_BUILD_BENCH=OFF \
  -DWEFT_UNIT_TEST_DIRS="gguf;tokenizer;grammar;protocol;chat;kv;events;backend;server;http;program;engine;store" \
  -DWEFT_END_TO_END_TESTS="$DAEMON_TEST_FILES"
cmake --build build-asan -j "$jobs"
# The sanitized builds run one ctest test per GoogleTest suite (cmake/WeftTestSuites.cmake).
# The token-mask brute-force comparisons over the large vocabularies (about three minutes of
# the sanitized run) stay in the Release run; the SentencePiece one, the grammar fuzzers and
# the rest of the grammar tests cover the matcher's memory use here.
stage asan unit tests
(cd build-asan && ctest --output-on-failure -j "$jobs" -L unit \
  -E '^GrammarTokenMaskLargeVocabulary\.')
# The daemon's end-to-end tests against the sanitized `weft` binary.
stage asan daemon tests
(cd build-asan && ctest --output-on-failure -j "$jobs" -R "$DAEMON_TESTS")
# libFuzzer targets, each for WEFT_FUZZ_SECONDS (default 10 s); docs/gguf.md shows a longer
# local run.
stage fuzz
(cd build-asan && ctest --output-on-failure -j "$jobs" -L fuzz)

# The unit tests where threads meet (the kernels' thread pool, the scheduler and the contexts
# that share it, the server, HTTP, programs, the engine host), and the daemon tests, under
# ThreadSanitizer (clang: GCC 12's TSan runtime crashes at start-up on this test binary). The
# runtime's numeric tests (exactness, speculation, perplexity) stay in the Release run: they
# use no thread but the kernels' pool, which the scheduler tests drive too, and TSan's -O0
# slows their long loops the most. This build compiles in unity batches, as the Release one
# does (the ASan build above has already compiled every file on its own): it saves CI several
# minutes. WEFT_TSAN=0 skips the stage.
if [ "${WEFT_TSAN:-1}" = "1" ]; then
  stage tsan build
  CC=clang CXX=clang++ cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DWEFT_WERROR=ON -DWEFT_TSAN=ON -DWEFT_BUILD_BENCH=OFF -DCMAKE_UNITY_BUILD=ON \
    -DWEFT_UNIT_TEST_DIRS="tensor/thread_pool;runtime/scheduler;runtime/shared_contexts;runtime/context_batching;runtime/context_api;server;http;program;engine" \
    -DWEFT_END_TO_END_TESTS="$DAEMON_TEST_FILES"
  cmake --build build-tsan -j "$jobs" --target weft weft_unit_tests weft_e2e_tests \
    weft_reliability_tests
  stage tsan unit tests
  (cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j "$jobs" -L unit)
  stage tsan daemon tests
  (cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j "$jobs" \
    -R "$DAEMON_TESTS")
fi
stage done
