#!/usr/bin/env python3
"""Aggregate generation rate of programs against plain requests on one daemon (issue 14 §6).

Starts `weft serve --programs examples/programs` on a model and alternates two loads, ROUNDS
times each, on its inference socket:
  programs: PROGRAMS program requests at once, each best_of_n.js with n=N (N forked branches
            of one prompt generating together, then a scoring pass per branch);
  plain:    PROGRAMS x N plain streaming requests at once, each for the same number of tokens.
Generated tokens are counted from what came back (the candidates' tokens; `usage`), and the
rate is tokens / wall time of the load. Prints one JSON line per run and the medians.

    bench/program_throughput.py [--model M.gguf] [--programs 8] [--n 4] [--max-tokens 32]
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def request_lines(sock_path, request, results, index):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(sock_path)
        client.sendall((json.dumps(request) + "\n").encode())
        buffer = b""
        while True:
            chunk = client.recv(65536)
            if not chunk:
                raise RuntimeError("the daemon closed the connection")
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                frame = json.loads(line)
                if frame["type"] in ("done", "error"):
                    results[index] = frame
                    return


def run_load(sock_path, requests):
    results = [None] * len(requests)
    threads = [threading.Thread(target=request_lines, args=(sock_path, r, results, i))
               for i, r in enumerate(requests)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - start, results


def program_tokens(frame):
    if frame["type"] != "done":
        raise RuntimeError(f"a program failed: {frame}")
    return sum(len(c["tokens"]) for c in json.loads(frame["content"])["candidates"])


def plain_tokens(frame):
    if frame["type"] != "done":
        raise RuntimeError(f"a request failed: {frame}")
    return frame["usage"]["completion_tokens"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=os.path.join(ROOT, "assets", "stories260K-f32.gguf"))
    parser.add_argument("--weft", default=os.path.join(ROOT, "build", "weft"))
    parser.add_argument("--programs", type=int, default=8)
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ctx", type=int, default=512)
    args = parser.parse_args()

    runtime_dir = tempfile.mkdtemp(prefix="weft-bench-")
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime_dir)
    streams = args.programs * args.n
    daemon = subprocess.Popen(
        [args.weft, "serve", "--model", args.model, "--ctx", str(args.ctx), "-t",
         str(args.threads), "--programs", os.path.join(ROOT, "examples", "programs"),
         "--max-programs", str(args.programs), "--parallel", str(streams), "--queue",
         str(streams)], env=env, stderr=subprocess.DEVNULL)
    sock_path = os.path.join(runtime_dir, "weft", "infer.sock")
    try:
        for _ in range(300):
            if os.path.exists(sock_path):
                break
            time.sleep(0.1)
        prompt = "Once upon a time"
        program = {"program": "best_of_n",
                   "input": {"prompt": prompt, "n": args.n, "maxTokens": args.max_tokens}}
        plain = {"messages": [{"role": "user", "content": prompt}],
                 "max_tokens": args.max_tokens, "temperature": 0.9, "top_p": 0.95}
        rates = {"programs": [], "plain": []}
        for round_index in range(args.rounds):
            for load in ("programs", "plain"):
                if load == "programs":
                    requests = [dict(program, id=f"p{i}") for i in range(args.programs)]
                    elapsed, frames = run_load(sock_path, requests)
                    tokens = sum(program_tokens(f) for f in frames)
                else:
                    requests = [dict(plain, id=f"s{i}") for i in range(streams)]
                    elapsed, frames = run_load(sock_path, requests)
                    tokens = sum(plain_tokens(f) for f in frames)
                rate = tokens / elapsed
                rates[load].append(rate)
                print(json.dumps({"round": round_index, "load": load, "tokens": tokens,
                                  "seconds": round(elapsed, 3), "tokens_per_s": round(rate, 1)}))
        p, s = (statistics.median(rates[k]) for k in ("programs", "plain"))
        print(json.dumps({"model": os.path.basename(args.model), "programs": args.programs,
                          "n": args.n, "plain_streams": streams, "max_tokens": args.max_tokens,
                          "programs_tokens_per_s": round(p, 1), "plain_tokens_per_s": round(s, 1),
                          "programs_over_plain": round(p / s, 3)}))
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
