#!/usr/bin/env python3
"""weft against llama.cpp on short contexts: pp512 and tg128 per file, at the native level and
at the AVX2 level (WEFT_CPU_LEVEL=avx2 against a llama.cpp built without AVX-512), alternated
in rounds (llama.cpp first in every second round), printed as a Markdown table of tok/s per
round and the ratio of the sums (docs/performance.md, "Measurements, 2026-12-06").

    bench/short_context_table.py --weft build/weft --llama-bench PATH [--llama-bench-avx2 PATH] \\
        [--rounds 2] FILE.gguf ...

llama.cpp is not part of weft: build it elsewhere and pass its llama-bench binaries.
"""
import argparse
import os
import re
import subprocess
import sys


def weft_run(weft, model, level):
    env = dict(os.environ, WEFT_PACKED_CACHE="off")
    if level == "avx2":
        env["WEFT_CPU_LEVEL"] = "avx2"
    out = subprocess.run([weft, "bench", model, "-p", "512", "-n", "128", "-t", "2", "-r", "1"],
                         capture_output=True, text=True, env=env, check=True).stdout
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(pp512|tg128)\s+([\d.]+)", out, re.M)}


def llama_run(llama_bench, model):
    out = subprocess.run([llama_bench, "-m", model, "-p", "512", "-n", "128", "-t", "2", "-r", "1"],
                         capture_output=True, text=True, check=True).stdout
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"\|\s*(pp512|tg128)\s*\|\s*([\d.]+)", out)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weft", default="build/weft")
    parser.add_argument("--llama-bench", required=True, help="llama.cpp's llama-bench, native build")
    parser.add_argument("--llama-bench-avx2", help="llama-bench built with GGML_AVX512=OFF (adds the AVX2 rows)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("models", nargs="+")
    args = parser.parse_args()
    levels = [("native", args.llama_bench)] + ([("avx2", args.llama_bench_avx2)] if args.llama_bench_avx2 else [])
    results = {}  # (model, level, program) -> list of {test: tok/s}
    for round_index in range(args.rounds):
        for model in args.models:
            for level, llama_bench in levels:
                runs = [("weft", lambda: weft_run(args.weft, model, level)),
                        ("llama.cpp", lambda: llama_run(llama_bench, model))]
                if round_index % 2 == 1:
                    runs.reverse()
                for program, run in runs:
                    results.setdefault((model, level, program), []).append(run())
                    print(f"round {round_index + 1} {os.path.basename(model)} {level} {program}: "
                          f"{results[(model, level, program)][-1]}", file=sys.stderr, flush=True)
    print("| file | level | weft pp512 | llama.cpp pp512 | pp | weft tg128 | llama.cpp tg128 | tg |")
    print("|---|---|---|---|---|---|---|---|")
    for model in args.models:
        for level, _ in levels:
            cells = [os.path.basename(model), "VNNI/native" if level == "native" else "AVX2"]
            for test in ("pp512", "tg128"):
                weft = [r.get(test, 0.0) for r in results[(model, level, "weft")]]
                llama = [r.get(test, 0.0) for r in results[(model, level, "llama.cpp")]]
                ratio = sum(weft) / sum(llama) if sum(llama) else float("nan")
                cells += [" / ".join(f"{v:.1f}" for v in weft), " / ".join(f"{v:.1f}" for v in llama),
                          f"**{ratio:.2f}×**" if ratio >= 1.2 else f"{ratio:.2f}×"]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
