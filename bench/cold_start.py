#!/usr/bin/env python3
"""Time from `weft run MODEL "hi" -n 1` start to the first token, page cache warm and cold.

Each round runs every model twice: first cold (the page cache dropped with
`sync; echo 3 > /proc/sys/vm/drop_caches`, which needs root), then warm (the file is then
cached from the cold run). Rounds repeat the models in the same order, so warm and cold runs
alternate and the machine's noise spreads over both. Per run it records:

  first_token   wall time from the process start to its first byte on stdout (the first
                token, or with an empty token the newline written when the answer ends)
  exit          wall time to the process exit (unmapping and teardown included)
  load          the load as `weft run --stats` reports it (load_ms)
  steps         the load's steps as `weft run --verbose` reports them ("weft: loading: took
                mapping the file 0.1 ms, ...": docs/chat.md#loading-progress)
  prompt        the prefill of the prompt (prompt_ms of --stats): the first forward pass

and prints one JSON line per run, then a Markdown table of the medians per model and cache
state, and the load average before and after.

    sudo bench/cold_start.py --weft build/weft --runs 5 /tmp/cold/l1b.gguf /tmp/cold/q05.gguf

--no-cold skips the cache drops (no root needed: warm figures only). Extra arguments for
`weft run` go after --, e.g. `-- -t 2`.

--llama-simple PATH also runs llama.cpp's `llama-simple -m MODEL -n 1 hi` (a binary you
built yourself; nothing of llama.cpp is part of weft) right after each weft run, in the same
cache state (dropped again before its cold run), so the two alternate. llama-simple prints
the prompt and the generated token with one flush after the first decoded token, so its
first byte on stdout is its first token too. The table then gets llama-simple's rows and the
ratio weft / llama-simple of the first-token medians, and of each round's pair
(median of the per-round ratios).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

STEPS_PREFIX = "weft: loading: took "


def drop_page_cache():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as control:
        control.write("3\n")


def parse_steps(stderr_text):
    """{step: ms} from the --verbose line "weft: loading: took STEP 1.2 ms, STEP 3.4 ms"."""
    for line in stderr_text.splitlines():
        if line.startswith(STEPS_PREFIX):
            steps = {}
            for part in line[len(STEPS_PREFIX):].split(", "):
                match = re.fullmatch(r"(.+) ([0-9.]+) ms", part)
                if match:
                    steps[match.group(1)] = float(match.group(2))
            return steps
    return {}


def parse_stats(stderr_text):
    for line in stderr_text.splitlines():
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                pass
    return {}


def time_first_byte(command):
    """(first byte on stdout, exit) in ms from the start, and the process's stderr."""
    start = time.perf_counter()
    # stderr goes to a file, not a pipe: llama-simple logs more than a pipe holds before its
    # first token, and would block on it while this waits for stdout.
    stderr_file = tempfile.TemporaryFile()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr_file)
    process.stdout.read(1)
    first_byte = time.perf_counter()
    process.stdout.read()
    process.wait()
    end = time.perf_counter()
    stderr_file.seek(0)
    stderr_text = stderr_file.read().decode(errors="replace")
    stderr_file.close()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr_text}")
    return (first_byte - start) * 1000, (end - start) * 1000, stderr_text


def run_once(weft, model, extra):
    command = [weft, "run", model, "hi", "-n", "1", "--verbose", "--stats"] + extra
    first_token_ms, exit_ms, stderr_text = time_first_byte(command)
    stats = parse_stats(stderr_text)
    return {
        "program": "weft",
        "first_token_ms": first_token_ms,
        "exit_ms": exit_ms,
        "load_ms": stats.get("load_ms"),
        "prompt_ms": stats.get("prompt_ms"),
        "steps_ms": parse_steps(stderr_text),
    }


def run_llama_simple(llama_simple, model):
    command = [llama_simple, "-m", model, "-n", "1", "hi"]
    first_token_ms, exit_ms, _ = time_first_byte(command)
    return {"program": "llama-simple", "first_token_ms": first_token_ms, "exit_ms": exit_ms,
            "load_ms": None, "prompt_ms": None, "steps_ms": {}}


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summary_table(results, models, states):
    step_names = []
    # The run with the most steps first, so that the columns keep the load's order.
    for result in sorted(results, key=lambda r: -len(r["steps_ms"])):
        for name in result["steps_ms"]:
            if name not in step_names:
                step_names.append(name)
    header = ["program", "model", "cache", "runs", "first token", "exit", "load"] + step_names + [
        "prompt"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for model in models:
        for state in states:
            for program in ["weft", "llama-simple"]:
                chosen = [r for r in results if r["model"] == model and r["cache"] == state
                          and r["program"] == program]
                if chosen:
                    lines.append(summary_row(program, model, state, chosen, step_names))
    return "\n".join(lines)


def ratio_table(results, models, states):
    """weft / llama-simple first-token time: of the medians, and the median of round pairs."""
    lines = ["| model | cache | weft first token | llama-simple first token | ratio of medians "
             "| median of per-round ratios |", "|---|---|---|---|---|---|"]
    for model in models:
        for state in states:
            pick = {program: {r["round"]: r["first_token_ms"] for r in results
                              if r["model"] == model and r["cache"] == state
                              and r["program"] == program}
                    for program in ["weft", "llama-simple"]}
            rounds = sorted(set(pick["weft"]) & set(pick["llama-simple"]))
            if not rounds:
                continue
            weft = statistics.median(pick["weft"].values())
            llama = statistics.median(pick["llama-simple"].values())
            per_round = statistics.median(pick["weft"][r] / pick["llama-simple"][r] for r in rounds)
            lines.append(f"| {os.path.basename(model)} | {state} | {fmt(weft)} | {fmt(llama)} | "
                         f"{weft / llama:.2f} | {per_round:.2f} |")
    return "\n".join(lines)


def summary_row(program, model, state, chosen, step_names):
    cells = [program, os.path.basename(model), state, str(len(chosen))]
    for key in ["first_token_ms", "exit_ms", "load_ms"]:
        cells.append(fmt(median_or_none([r[key] for r in chosen])))
    for name in step_names:
        cells.append(fmt(median_or_none([r["steps_ms"].get(name) for r in chosen])))
    cells.append(fmt(median_or_none([r["prompt_ms"] for r in chosen])))
    return "| " + " | ".join(cells) + " |"


def fmt(ms):
    return "n/a" if ms is None else f"{ms:.0f} ms" if ms >= 100 else f"{ms:.1f} ms"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weft", default="build/weft")
    parser.add_argument("--runs", type=int, default=5, help="rounds (each: cold, then warm)")
    parser.add_argument("--no-cold", action="store_true", help="warm runs only (no root)")
    parser.add_argument("--llama-simple", metavar="PATH",
                        help="also run this llama-simple binary, alternating with weft")
    parser.add_argument("models", nargs="+")
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="after --: weft run arguments")
    args = parser.parse_args()
    extra = [a for a in args.extra if a != "--"]
    for model in args.models:
        if not os.path.isfile(model):
            sys.exit(f"no such model file: {model}")
    states = ["warm"] if args.no_cold else ["cold", "warm"]
    load_before = os.getloadavg()
    results = []
    for round_index in range(args.runs):
        for model in args.models:
            for state in states:
                runs = [lambda: run_once(args.weft, model, extra)]
                if args.llama_simple:
                    runs.append(lambda: run_llama_simple(args.llama_simple, model))
                    if round_index % 2 == 1:  # who goes first alternates too
                        runs.reverse()
                for run in runs:
                    if state == "cold":
                        drop_page_cache()
                    result = run()
                    result.update(model=model, cache=state, round=round_index)
                    results.append(result)
                    print(json.dumps(result), flush=True)
    load_after = os.getloadavg()
    print()
    print(summary_table(results, args.models, states))
    print()
    if args.llama_simple:
        print(ratio_table(results, args.models, states))
        print()
    print(f"load average (1, 5, 15 min): before {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} "
          f"{load_after[2]:.2f}")


if __name__ == "__main__":
    main()
