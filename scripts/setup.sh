#!/usr/bin/env bash
# README command 1: install dependencies, build weft in Release, install `weft` and
# `weft-engine` (with libweft, its headers and the bundled model) under /usr/local, or under
# --prefix DIR, and run the installed `weft` on the bundled default model. Running it again
# rebuilds what changed and installs over the previous install.
set -euo pipefail
usage="usage: scripts/setup.sh [--prefix DIR] [--skip-deps]"
prefix=/usr/local
install_deps=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix)
      [ $# -ge 2 ] || { echo "setup.sh: --prefix needs a directory ($usage)" >&2; exit 2; }
      prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --skip-deps) install_deps=0; shift ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$1' ($usage)" >&2; exit 2 ;;
  esac
done
case "$prefix" in
  /*) ;;
  *) prefix="$(pwd)/$prefix" ;;
esac
cd "$(dirname "$0")/.."
if [ "$install_deps" -eq 1 ]; then scripts/install-deps.sh; fi
# The prefix is configured, not only given to `cmake --install`: the installed `weft` finds
# the bundled model under it.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix"
cmake --build build

# sudo only where the prefix (or its nearest existing parent) is not writable.
writable="$prefix"
while [ ! -e "$writable" ]; do writable="$(dirname "$writable")"; done
SUDO=""
if [ ! -w "$writable" ] && [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO cmake --install build

"$prefix/bin/weft" run "Once upon a time"
if [ "$(command -v weft || true)" != "$prefix/bin/weft" ]; then
  echo "note: $prefix/bin is not first on PATH; add it to run \`weft\` by name" >&2
fi
