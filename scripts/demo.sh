#!/usr/bin/env bash
# qcc's main job on a bundled example: installs what is missing, builds qcc, folds the QDQ model
# examples/qdq_residual.qir into integer ops (-O2), compiles it to an object and its C header,
# links an executable with the runtime, runs it, and checks it against the reference interpreter.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
bash scripts/build.sh "$root/build"
example="${1:-$root/examples/qdq_residual.qir}"
out="$root/build/demo"
mkdir -p "$out"
qcc="$root/build/qcc"
echo "== the graph after -O2 (integer ops, NHWC, fused epilogues)"
"$qcc" "$example" -O2 --emit=qir
echo "== compile: object and header"
"$qcc" "$example" -O2 --name model -o "$out/model.o"
"$qcc" "$example" -O2 --name model --emit=header -o "$out/model.h"
ls -l "$out/model.o" "$out/model.h"
echo "== an executable, run on a random input, against qcc run"
"$qcc" "$example" -O2 --emit=exe -o "$out/model"
input="$(grep -o '%[A-Za-z0-9_]*: f32\[[0-9,]*\]' "$example" | head -1)"
name="${input%%:*}"
name="${name#%}"
shape="$(echo "$input" | sed 's/.*\[\(.*\)\]/\1/')"
/usr/bin/python3 "$root/test/utils/make_npy.py" "$out/input.npy" f32 "$shape"
"$out/model" --input "$name=$out/input.npy" --output-dir "$out/exe" --bench 20
"$qcc" run "$example" -O2 --input "$name=$out/input.npy" --output-dir "$out/ref"
for f in "$out"/ref/*.npy; do
  cmp "$f" "$out/exe/$(basename "$f")"
done
echo "demo: the compiled model's outputs are bit-identical to the reference interpreter's"
