#!/usr/bin/env bash
# Installs every build and test dependency of weft from Debian 12's packages.
# README.md names each package and why it is here.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
  build-essential cmake ninja-build pkg-config ccache git ca-certificates \
  nlohmann-json3-dev libcli11-dev libasio-dev libcpp-httplib-dev libcurl4-openssl-dev \
  libpcre2-dev libutf8proc-dev libspdlog-dev libfmt-dev \
  libgtest-dev libgmock-dev libbenchmark-dev \
  clang libclang-rt-14-dev clang-format python3
