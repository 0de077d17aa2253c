#!/usr/bin/env python3
"""What the HTTP surface costs per streamed token next to the inferd socket.

Starts `weft serve --backend stub --http` with no delay between the stub's tokens, then runs
the same sequential requests through the inferd Unix socket (NDJSON) and through
POST /v1/chat/completions (SSE), both read by this same Python client, alternating rounds.
Prints the per-token time of each and their difference (an upper bound on the HTTP overhead:
it also carries HTTP's per-request costs, spread over the tokens).

    bench/http_overhead.py build/weft [--requests 200] [--rounds 3]
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(port, infer_sock, deadline=30.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200 and os.path.exists(infer_sock):
                return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit("weft serve did not become ready")


def inferd_round(path, requests, max_tokens):
    tokens = 0
    start = time.perf_counter()
    for i in range(requests):
        with socket.socket(socket.AF_UNIX) as conn:
            conn.connect(path)
            frame = {"id": str(i), "messages": [{"role": "user", "content": "hi"}],
                     "max_tokens": max_tokens}
            conn.sendall((json.dumps(frame) + "\n").encode())
            stream = conn.makefile("rb")
            for line in stream:
                event = json.loads(line)
                if event["type"] == "token":
                    tokens += 1
                elif event["type"] in ("done", "error"):
                    break
    return time.perf_counter() - start, tokens


def http_round(port, requests, max_tokens):
    tokens = 0
    start = time.perf_counter()
    body = json.dumps({"model": "stub", "stream": True, "max_tokens": max_tokens,
                       "messages": [{"role": "user", "content": "hi"}]})
    for _ in range(requests):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        for line in response:
            if not line.startswith(b"data: "):
                continue
            if line.strip() == b"data: [DONE]":
                break
            chunk = json.loads(line[6:])
            if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                tokens += 1
        conn.close()
    return time.perf_counter() - start, tokens


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weft")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=1000)
    args = parser.parse_args()

    runtime = tempfile.mkdtemp(prefix="weft-http-bench-")
    port = free_port()
    env = dict(os.environ, XDG_RUNTIME_DIR=runtime, WEFT_STUB_DELAY_MS="0")
    server = subprocess.Popen([args.weft, "serve", "--backend", "stub", "--http",
                               f"127.0.0.1:{port}", "--log-level", "warn"], env=env)
    try:
        infer_sock = os.path.join(runtime, "weft", "infer.sock")
        wait_ready(port, infer_sock)
        per_token = {"inferd": [], "http": []}
        for _ in range(args.rounds):
            seconds, tokens = inferd_round(infer_sock, args.requests, args.max_tokens)
            per_token["inferd"].append(seconds / tokens * 1e6)
            seconds, tokens = http_round(port, args.requests, args.max_tokens)
            per_token["http"].append(seconds / tokens * 1e6)
        inferd = statistics.median(per_token["inferd"])
        http_us = statistics.median(per_token["http"])
        print(json.dumps({"requests": args.requests, "rounds": args.rounds,
                          "inferd_us_per_token": round(inferd, 2),
                          "http_us_per_token": round(http_us, 2),
                          "http_overhead_us_per_token": round(http_us - inferd, 2)}))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
