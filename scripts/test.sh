#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is missing, builds qcc, runs
# every test (lit + FileCheck through ctest), then builds and runs it all again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
bash scripts/install-ort.sh || echo "test: onnxruntime-node unavailable; ORT differential tests will be skipped"
export ORT_NODE_DIR="$root/.ort"

status=0
bash scripts/build.sh "$root/build"
ctest --test-dir "$root/build" --output-on-failure || status=1
bash bench/interp-time.sh "$root/build" || status=1

if [ "${QCC_SKIP_SANITIZE:-0}" != 1 ]; then
  bash scripts/build.sh "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug -DQCC_SANITIZE=ON
  ctest --test-dir "$root/build-asan" --output-on-failure || status=1
fi
exit $status
