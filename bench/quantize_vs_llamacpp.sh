#!/bin/sh
# Quantisation speed of `weft quantize` against llama.cpp's llama-quantize on the same input:
# the two run alternately, ROUNDS times each per type, and the median wall times and their
# ratio are printed (one line per type). Both outputs are compared byte for byte.
#
# Usage: bench/quantize_vs_llamacpp.sh WEFT LLAMA_QUANTIZE INPUT.gguf THREADS ROUNDS TYPE...
# e.g.   bench/quantize_vs_llamacpp.sh build/weft llama-quantize /tmp/smollm2-f32.gguf 2 3 Q4_K_M Q8_0
set -eu
weft=$1
llama=$2
input=$3
threads=$4
rounds=$5
shift 5
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

seconds() {  # seconds of wall time the command took
  start=$(date +%s.%N)
  if ! "$@" > /dev/null 2>&1; then
    echo "failed: $*" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf 'type\tthreads\tweft_s\tllama_s\tllama/weft\tsame_bytes\n'
for type in "$@"; do
  : > "$scratch/weft.times"
  : > "$scratch/llama.times"
  round=0
  while [ "$round" -lt "$rounds" ]; do
    seconds "$weft" quantize "$input" "$scratch/weft.gguf" "$type" -t "$threads" >> "$scratch/weft.times"
    seconds "$llama" "$input" "$scratch/llama.gguf" "$type" "$threads" >> "$scratch/llama.times"
    round=$((round + 1))
  done
  w=$(median < "$scratch/weft.times")
  l=$(median < "$scratch/llama.times")
  same=no
  cmp -s "$scratch/weft.gguf" "$scratch/llama.gguf" && same=yes
  printf '%s\t%s\t%.2f\t%.2f\t%.2f\t%s\n' "$type" "$threads" "$w" "$l" "$(echo "$l / $w" | bc -l)" "$same"
done
