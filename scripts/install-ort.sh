#!/usr/bin/env bash
# Installs ONNX Runtime for Node (the reference engine of the differential tests) into .ort/.
# Idempotent: does nothing when the pinned version is already there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version=1.30.0
dest="$root/.ort"
pkg="$dest/node_modules/onnxruntime-node/package.json"
if [ -f "$pkg" ] && grep -q "\"version\": \"$version\"" "$pkg"; then
  echo "install-ort: onnxruntime-node $version present"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-ort: npm not found; run scripts/bootstrap.sh first" >&2
  exit 1
fi
mkdir -p "$dest"
npm install --prefix "$dest" --ignore-scripts --no-audit --no-fund "onnxruntime-node@$version"
