#!/usr/bin/env bash
# Per-step cost of a program's own generation loop against weft's built-in one, side by side
# on one model (issue 14 §6): alternates `weft bench` (built-in generation, tg) with
# bench/programs/step_loop.js (a Generator loop and a raw Forward loop through the program
# protocol, and passes with no model call: the protocol's own cost per step), REPS times
# each, and prints the medians and the overhead per step.
#
#   bench/program_overhead.sh [MODEL.gguf] [STEPS] [REPS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-assets/stories260K-f32.gguf}
steps=${2:-128}
reps=${3:-5}
threads=${4:-2}
weft=${WEFT_BINARY:-build/weft}
ctx=$((steps + 64))

builtin=()
generator=()
forward=()
round_trip=()
cold_round_trip=()
for ((i = 0; i < reps; ++i)); do
  tps=$("$weft" bench "$model" -p 16 -n "$steps" -t "$threads" -r 1 --ctx "$ctx" --json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["tg_tps"])')
  builtin+=("$(python3 -c "print(1e6 / $tps)")")
  result=$("$weft" program run bench/programs/step_loop.js --model "$model" -t "$threads" \
           --ctx "$ctx" --input "{\"steps\": $steps}")
  generator+=("$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['generator']['usPerStep'])" "$result")")
  forward+=("$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['forward']['usPerStep'])" "$result")")
  round_trip+=("$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['roundTrip']['usPerStep'])" "$result")")
  cold_round_trip+=("$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['coldRoundTrip']['usPerStep'])" "$result")")
done
python3 - "$model" "$steps" "$threads" "${builtin[*]}" "${generator[*]}" "${forward[*]}" "${round_trip[*]}" "${cold_round_trip[*]}" <<'PY'
import statistics, sys
model, steps, threads = sys.argv[1:4]
builtin, generator, forward, round_trip, cold = ([float(x) for x in arg.split()] for arg in sys.argv[4:9])
b, g, f, r, c = (statistics.median(v) for v in (builtin, generator, forward, round_trip, cold))
print(f"model {model}, {steps} steps, {threads} threads, medians of {len(builtin)} alternated runs")
print(f"  built-in generation (weft bench tg): {b:9.1f} us/step")
print(f"  program, Generator loop:             {g:9.1f} us/step  overhead {g - b:+8.1f} us ({(g - b) / b:+.1%})")
print(f"  program, raw Forward loop:           {f:9.1f} us/step  overhead {f - b:+8.1f} us ({(f - b) / b:+.1%})")
print(f"  program, a pass with no model call:  {r:9.1f} us/step  ({r / b:.1%} of a built-in step)")
print(f"    the same, its first 1,000 (cold JIT): {c:9.1f} us/step")
PY
