#!/bin/sh
# Runs one GoogleTest suite for ctest (cmake/WeftTestSuites.cmake): exit 1 when a test
# failed, 77 (ctest's "skipped") when none failed but one skipped, 0 when all passed.
output=$("$@" 2>&1)
status=$?
printf '%s\n' "$output"
if [ "$status" -ne 0 ]; then
  exit 1
fi
case $output in
  *"[  SKIPPED ]"*) exit 77 ;;
esac
exit 0
