#!/usr/bin/env bash
# Installs every Debian package qcc needs to build and test. Idempotent: a second run
# finds nothing missing and installs nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build flex bison clang-format-19
  llvm-19-dev clang-19 lld-19 llvm-19-tools
  protobuf-c-compiler libprotobuf-c-dev libonnx-dev libonnx-testdata
  python3-onnx python3-numpy
  qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  valgrind
  nodejs npm
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm ships inside nodesource's nodejs; do not ask apt for it when node already has it.
if command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]+"${missing[@]}"}"; do [ "$p" = npm ] || [ "$p" = nodejs ] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all packages present"
  exit 0
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
echo "bootstrap: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
