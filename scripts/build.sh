#!/usr/bin/env bash
# Configures and builds qcc into build/ (or $1), warnings as errors. Extra args go to cmake.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQCC_WERROR=ON "$@" >/dev/null
ninja -C "$build"
