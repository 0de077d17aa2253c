#!/usr/bin/env python3
"""Decode rate with and without a grammar, through the same server and model.

Starts `weft serve --http` on MODEL and alternates /api/generate requests without `format`
and with `format` (free-form JSON, or a JSON schema from --schema FILE), each at temperature 1
with its own seed. The rate is Ollama's own eval_count / eval_duration (generated tokens per
second of generation time, summed over the rounds), so prompt processing and HTTP are left
out. Prints the rate of each and their ratio as one JSON line.

    bench/constrained_decode.py build/weft MODEL.gguf [--schema FILE] [--rounds 8] [-n 128]

To compare with another server (llama-server) on the same model, use
bench/serve_throughput.py --schema FILE, which measures any OpenAI-compatible server.
"""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(port, path, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    response = conn.getresponse()
    payload = json.loads(response.read())
    if response.status != 200:
        sys.exit(f"{path}: {response.status} {payload}")
    return payload


def wait_ready(port, deadline=120.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("weft serve did not become ready")


def generate(port, model, max_tokens, seed, output_format):
    body = {"model": model, "prompt": "Describe a person as JSON.", "stream": False,
            "options": {"temperature": 1, "seed": seed, "num_predict": max_tokens}}
    if output_format is not None:
        body["format"] = output_format
    reply = post(port, "/api/generate", body)
    return reply["eval_count"], reply["eval_duration"] / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weft")
    parser.add_argument("model")
    parser.add_argument("--schema", help="a JSON Schema file (default: free-form JSON)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("-n", "--max-tokens", type=int, default=128)
    parser.add_argument("-t", "--threads", type=int, default=0)
    args = parser.parse_args()

    output_format = "json"
    if args.schema:
        with open(args.schema, encoding="utf-8") as schema:
            output_format = json.load(schema)
    runtime = tempfile.mkdtemp(prefix="weft-constrained-bench-")
    port = free_port()
    command = [args.weft, "serve", "--model", args.model, "--http", f"127.0.0.1:{port}",
               "--log-level", "warn"]
    if args.threads:
        command += ["--threads", str(args.threads)]
    server = subprocess.Popen(command, env=dict(os.environ, XDG_RUNTIME_DIR=runtime,
                                                XDG_DATA_HOME=runtime))
    try:
        wait_ready(port)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/tags")
        model = json.loads(conn.getresponse().read())["models"][0]["name"]
        generate(port, model, 8, 0, output_format)  # the grammar's first masks, and a warm cache
        tokens = {"free": 0, "constrained": 0}
        seconds = {"free": 0.0, "constrained": 0.0}
        for seed in range(1, args.rounds + 1):
            for kind, fmt in (("free", None), ("constrained", output_format)):
                count, elapsed = generate(port, model, args.max_tokens, seed, fmt)
                tokens[kind] += count
                seconds[kind] += elapsed
        free = tokens["free"] / seconds["free"]
        constrained = tokens["constrained"] / seconds["constrained"]
        print(json.dumps({"model": os.path.basename(args.model), "rounds": args.rounds,
                          "free_tps": round(free, 1), "constrained_tps": round(constrained, 1),
                          "constrained_over_free": round(constrained / free, 3),
                          "tokens": tokens}))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
