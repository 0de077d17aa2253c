#!/bin/bash
# Makes the llama.cpp embedding references for every F32 fixture (README.md here): pooling
# as the file ships (no pooling_type key: llama.cpp pools "none" and hands back the last
# row) and from copies with <arch>.pooling_type 1 (mean), 2 (cls), 3 (last).
# Usage: make_references.sh FIXTURES_DIR NODE_PROJECT_DIR OUT_DIR
set -euo pipefail
mkdir -p "$3"
fixtures=$(cd "$1" && pwd)
node_project=$(cd "$2" && pwd)
out=$(cd "$3" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/llamacpp_embeddings.mjs" "$node_project/"
names=(none mean cls last)
for arch in llama qwen2 qwen3 phi3 gemma2 stories260K; do
  context=256
  [ "$arch" = stories260K ] && context=512
  model=$fixtures/$arch/$arch-f32.gguf
  tokens=$fixtures/$arch/reference/$arch-f32.tokens.txt
  (cd "$node_project" && node llamacpp_embeddings.mjs "$model" "$tokens" "$out/$arch-f32.none.f32" $context)
  for value in 1 2 3; do
    python3 "$here/add_pooling_key.py" "$model" "$work/pooled.gguf" $value
    (cd "$node_project" && node llamacpp_embeddings.mjs "$work/pooled.gguf" "$tokens" \
      "$out/$arch-f32.${names[$value]}.f32" $context)
  done
done
