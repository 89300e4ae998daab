#!/usr/bin/env bash
# qcc's main job on a bundled example: installs what is missing, builds qcc, compiles
# examples/qdq_classifier.qir (QDQ fusion into integer operators) and prints the result.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
bash scripts/build.sh "$root/build"
example="${1:-$root/examples/qdq_classifier.qir}"
"$root/build/qcc" "$example" --qdq-fusion --emit=qir
