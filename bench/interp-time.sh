#!/usr/bin/env bash
# Times the reference interpreter (`qcc run`, release build) on the shared models and checks the
# issue's goal: mobilenetv2_qdq must finish in under 10 s on the development machine.
# usage: bench/interp-time.sh [BUILD_DIR]   (prints one JSON line per model)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
models="$root/../shared/models"
if [ ! -d "$models" ]; then
  echo "interp-time: $models not found; skipping"
  exit 0
fi
limit_s=10
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
status=0
for m in mobilenetv2_qdq:mobilenetv2_input mobilenetv2_torchao_qnnpack:mobilenetv2_torchao_qnnpack_input resnet18_ortqdq_u8:resnet18_ortqdq_u8_input; do
  model="${m%%:*}"
  input="${m##*:}"
  start=$(date +%s%N)
  "$build/qcc" run "$models/$model.onnx" "$models/$input.npy" --output-dir "$out/$model" >/dev/null
  end=$(date +%s%N)
  ms=$(((end - start) / 1000000))
  echo "{\"bench\":\"qcc-run\",\"model\":\"$model\",\"ms\":$ms}"
  if [ "$model" = mobilenetv2_qdq ] && [ "$ms" -ge $((limit_s * 1000)) ]; then
    echo "interp-time: FAIL: $model took ${ms} ms (goal < ${limit_s} s)"
    status=1
  fi
done
exit $status
