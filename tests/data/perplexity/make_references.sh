#!/bin/sh
# Reruns llama-perplexity on every model listed in references.tsv's making: prints one TSV line
# per run (model, n_ctx, final PPL, its error, the per-chunk estimates) as references.tsv holds.
# Usage: make_references.sh LLAMA_PERPLEXITY SHARED_DIR > references.tsv
set -eu
bin=$1
shared=$2
text=$(dirname "$0")/stories.txt
printf 'model\tctx\tppl\terror\tchunks\tcommand\n'
run() {
  model=$1
  ctx=$2
  out=$("$bin" -m "$shared/$model" -f "$text" -c "$ctx" -t 2 -fa off 2>&1)
  chunks=$(printf '%s\n' "$out" | grep '^\[1\]' | sed 's/,$//')
  final=$(printf '%s\n' "$out" | sed -n 's/.*Final estimate: PPL = \([0-9.]*\) +\/- \([0-9.]*\).*/\1\t\2/p')
  printf '%s\t%s\t%s\t%s\tllama-perplexity -m %s -f stories.txt -c %s -t 2 -fa off\n' \
    "$model" "$ctx" "$final" "$chunks" "$model" "$ctx"
}
for model in models/stories260K/stories260K-f32.gguf fixtures/llama/llama-f32.gguf \
  fixtures/qwen2/qwen2-f32.gguf fixtures/qwen3/qwen3-f32.gguf fixtures/phi3/phi3-f32.gguf \
  fixtures/gemma2/gemma2-f32.gguf models/stories260K/stories260K-f16.gguf \
  models/stories260K/stories260K-q6_k-fallback.gguf models/stories260K/stories260K-q4_k_m-fallback.gguf \
  fixtures/llama/llama-q8_0.gguf fixtures/llama/llama-q4_k_m.gguf; do
  run "$model" 128
done
run models/stories260K/stories260K-f32.gguf 256
