#!/bin/sh
# Builds the tensor layer and its kernel tests for aarch64 with Debian's cross compiler and
# runs them under qemu, so the NEON products (src/tensor/arm/fast_matmul_neon.cpp) are checked on
# an x86 machine. Not part of the build or CI (it needs g++-aarch64-linux-gnu, qemu-user and
# GoogleTest's sources: apt-get install -y g++-aarch64-linux-gnu qemu-user googletest).
# Usage: scripts/check-aarch64.sh [BUILD_DIR]   (default /tmp/weft-aarch64)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/tmp/weft-aarch64}
gtest=/usr/src/googletest/googletest
mkdir -p "$out"
cxx="aarch64-linux-gnu-g++ -std=c++20 -O2 -Wall -Wextra -I$root/src -I$root/include -I$root/tests -I$gtest/include -I$gtest"
for source in $(find "$root"/src/tensor -name "*.cpp") "$root"/src/events/event_names.cpp \
              "$root"/tests/tensor/fast_kernels_test.cpp \
              "$gtest"/src/gtest-all.cc "$gtest"/src/gtest_main.cc; do
  object="$out/$(basename "$source").o"
  [ "$object" -nt "$source" ] || $cxx -c "$source" -o "$object"
done
aarch64-linux-gnu-g++ -static -pthread "$out"/*.o -o "$out/tensor_tests"
# FastMatmul reaches neon_matmul through FastKernels for Q8_0, Q4_0, F32 and F16 (its Q8_0 and
# Q4_0 cases hold the rounded-activations bound only if the NEON products run).
qemu-aarch64 "$out/tensor_tests" --gtest_filter='*FastMatmul*:*FastVectorOps*'
