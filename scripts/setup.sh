#!/usr/bin/env bash
# README command 1: install dependencies, build weft in Release, and run it on the bundled
# default model.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build
./build/weft run "Once upon a time"
