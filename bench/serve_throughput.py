#!/usr/bin/env python3
"""Generation rates of OpenAI-compatible HTTP servers under concurrent streaming clients.

Works with any server that speaks /v1/completions and /v1/chat/completions with streaming
(weft serve --http, llama-server, ...). Each --server is a label, the server's base URL and
optionally a shell command that starts it; a started server is stopped after its turn, so
servers given together never run at the same time. Rounds alternate the servers (A, B, A, B,
...), because on a shared machine only alternated runs compare.

In each run CLIENTS threads each send REQUESTS streaming requests one after another. Every
request has its own prompt of the same shape ("Request C-I: " and a fixed text), so a prefix
cache helps neither server more than the other. --ban-token ID adds logit_bias -100 for that
token (an end-of-generation token: then every request generates exactly --max-tokens tokens;
the counts the server reports are printed), and --ban-partial-utf8 GGUF every token of a
byte-level BPE vocabulary that is not whole UTF-8 characters (a random-weight model picks them,
and llama-server answers a generation that ends inside a character with an error). With --schema FILE each run is done
twice, free and constrained by the schema (`response_format` json_schema on
/v1/chat/completions), and the ratio of their decode rates is reported.

Prints one JSON line per run, then a summary line: per server and variant the medians over
rounds of the aggregate rate (generated tokens / wall time of the run), of the per-stream
decode rate ((tokens - 1) / (last token time - first token time), median over requests), of
the time to first token and, for started servers, of the generated tokens per second of the
server's CPU time; then the medians over rounds of the per-round ratios: the first server
against each other one, and (with --schema) constrained against free on each server.

    bench/serve_throughput.py \\
      --server weft http://127.0.0.1:8091 'build/weft serve -m M.gguf --http 127.0.0.1:8091 -t 2' \\
      --server llama http://127.0.0.1:8092 'llama-server -m M.gguf --port 8092 -t 2 -np 8 -c 4096' \\
      --clients 8 --requests 3 --max-tokens 64 --ban-token 100001 --rounds 3
"""
import argparse
import http.client
import json
import os
import shlex
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

PROMPT_TEXT = ("The old lighthouse keeper walked along the shore every morning, counting the "
               "boats that came back from the sea and writing their names in a small book.")


def gguf_metadata(path):
    """The key/value section of a GGUF file (format: github.com/ggml-org/ggml docs/gguf.md)."""
    scalars = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q",
               12: "d"}
    with open(path, "rb") as gguf:
        def read(fmt):
            return struct.unpack("<" + fmt, gguf.read(struct.calcsize("<" + fmt)))[0]

        def read_value(kind):
            if kind == 8:
                return gguf.read(read("Q")).decode("utf-8", "replace")
            if kind == 9:
                item_kind, count = read("I"), read("Q")
                return [read_value(item_kind) for _ in range(count)]
            return read(scalars[kind])

        if gguf.read(4) != b"GGUF":
            sys.exit(f"{path}: not a GGUF file")
        read("I")
        read("Q")
        metadata = {}
        for _ in range(read("Q")):
            key = read_value(8)
            metadata[key] = read_value(read("I"))
        return metadata


def partial_utf8_tokens(path):
    """Ids of the byte-level BPE tokens whose bytes are not UTF-8 on their own.

    A random-weight model samples them freely; a generation that stops inside a character
    ends in invalid UTF-8, which some servers answer with an error instead of text.
    """
    metadata = gguf_metadata(path)
    if metadata.get("tokenizer.ggml.model") != "gpt2":
        sys.exit(f"{path}: --ban-partial-utf8 needs a byte-level BPE (gpt2) vocabulary")
    # GPT-2's byte-to-character table: printable bytes map to themselves, the rest to 256+.
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    others = [b for b in range(256) if b not in printable]
    byte_of = {chr(b): b for b in printable}
    byte_of.update({chr(256 + i): b for i, b in enumerate(others)})
    normal_token = 1
    banned = []
    for token_id, (text, kind) in enumerate(zip(metadata["tokenizer.ggml.tokens"],
                                                metadata["tokenizer.ggml.token_type"])):
        if kind != normal_token or any(ch not in byte_of for ch in text):
            continue
        try:
            bytes(byte_of[ch] for ch in text).decode("utf-8")
        except UnicodeDecodeError:
            banned.append(token_id)
    return banned


class Server:
    def __init__(self, label, url, command):
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http" or not parsed.hostname or not parsed.port:
            sys.exit(f"--server {label}: the URL must be http://HOST:PORT, got '{url}'")
        self.label, self.host, self.port = label, parsed.hostname, parsed.port
        self.command = command
        self.process = None
        self.runtime_dir = None

    def connection(self, timeout):
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def start(self, log_dir):
        if not self.command:
            return
        self.runtime_dir = tempfile.mkdtemp(prefix=f"serve-throughput-{self.label}-")
        log = open(os.path.join(log_dir, f"{self.label}.log"), "ab")
        # A private runtime directory keeps weft's sockets and lock apart from any other daemon.
        env = dict(os.environ, XDG_RUNTIME_DIR=self.runtime_dir, XDG_DATA_HOME=self.runtime_dir)
        self.process = subprocess.Popen(shlex.split(self.command), stdout=log, stderr=log, env=env)
        log.close()

    def wait_ready(self, deadline_s):
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if self.process and self.process.poll() is not None:
                sys.exit(f"{self.label}: the server exited with status {self.process.returncode}")
            try:
                conn = self.connection(timeout=2)
                conn.request("GET", "/health")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        sys.exit(f"{self.label}: /health did not answer 200 within {deadline_s} s")

    def cpu_seconds(self):
        """User plus system CPU time of a started server (None for a server given by URL)."""
        if not self.process:
            return None
        with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as stat:
            # Fields after the parenthesised command name; utime and stime are the 14th, 15th.
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if not self.process:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def request_body(args, prompt, schema):
    body = {"max_tokens": args.max_tokens, "temperature": args.temperature, "seed": 1,
            "stream": True, "stream_options": {"include_usage": True}}
    if args.ban_token:
        body["logit_bias"] = {str(token): -100 for token in args.ban_token}
    if args.endpoint == "completions":
        body["prompt"] = prompt
        return "/v1/completions", body
    body["messages"] = [{"role": "user", "content": prompt}]
    if schema is not None:
        body["response_format"] = {"type": "json_schema",
                                   "json_schema": {"name": "bench", "schema": schema}}
    return "/v1/chat/completions", body


def chunk_has_text(chunk):
    for choice in chunk.get("choices") or []:
        if choice.get("text") or (choice.get("delta") or {}).get("content"):
            return True
    return False


def stream_one(server, path, body):
    """One streaming request; returns its timings and the token counts the server reported."""
    start = time.perf_counter()
    conn = server.connection(timeout=600)
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{server.label} {path}: HTTP {response.status} {response.read()[:300]}")
    first = last = None
    chunks_with_text = 0
    usage = None
    for line in response:
        if not line.startswith(b"data: "):
            continue
        if line.strip() == b"data: [DONE]":
            break
        chunk = json.loads(line[6:])
        if "error" in chunk:
            raise RuntimeError(f"{server.label} {path}: {chunk['error']}")
        if chunk.get("usage"):
            usage = chunk["usage"]
        if chunk_has_text(chunk):
            last = time.perf_counter()
            first = first or last
            chunks_with_text += 1
    end = time.perf_counter()
    conn.close()
    tokens = usage["completion_tokens"] if usage else chunks_with_text
    return {"start": start, "first": first, "last": last, "end": end, "tokens": tokens,
            "prompt_tokens": usage["prompt_tokens"] if usage else None}


def run_clients(server, args, schema):
    results = [[] for _ in range(args.clients)]
    errors = []

    def client(index):
        try:
            for i in range(args.requests):
                prompt = f"Request {index}-{i}: {PROMPT_TEXT}"
                results[index].append(stream_one(server, *request_body(args, prompt, schema)))
        except Exception as error:  # reported after the run; the other clients go on
            errors.append(f"client {index}: {error}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        sys.exit(f"{server.label}: " + "; ".join(errors))
    return [request for per_client in results for request in per_client]


def summarise(requests):
    wall = max(r["end"] for r in requests) - min(r["start"] for r in requests)
    tokens = [r["tokens"] for r in requests]
    stream_rates = [(r["tokens"] - 1) / (r["last"] - r["first"]) for r in requests
                    if r["tokens"] > 1 and r["last"] > r["first"]]
    prompt_tokens = sorted({r["prompt_tokens"] for r in requests if r["prompt_tokens"]})
    return {"aggregate_tps": round(sum(tokens) / wall, 2),
            "stream_tps_median": round(statistics.median(stream_rates), 2) if stream_rates else 0,
            "stream_tps_min": round(min(stream_rates), 2) if stream_rates else 0,
            "stream_tps_max": round(max(stream_rates), 2) if stream_rates else 0,
            "ttft_ms_median": round(1000 * statistics.median(r["first"] - r["start"]
                                                             for r in requests if r["first"]), 1),
            "wall_s": round(wall, 2), "requests": len(requests),
            "completion_tokens": {"total": sum(tokens), "min": min(tokens), "max": max(tokens)},
            "prompt_tokens": prompt_tokens}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", action="append", nargs="+", required=True,
                        metavar="LABEL URL [COMMAND]",
                        help="a server to measure: label, base URL, optional start command")
    parser.add_argument("--clients", type=int, default=8, help="concurrent streams")
    parser.add_argument("--requests", type=int, default=3, help="requests per client per run")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--ban-token", type=int, action="append", default=[],
                        help="token id to forbid with logit_bias -100 (repeatable)")
    parser.add_argument("--ban-partial-utf8", metavar="GGUF",
                        help="forbid the tokens of this byte-level BPE vocabulary that are not "
                             "whole UTF-8 characters")
    parser.add_argument("--endpoint", choices=("completions", "chat"), default="completions")
    parser.add_argument("--schema", help="JSON Schema file: measure free and constrained (chat)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ready-timeout", type=float, default=300)
    parser.add_argument("--log-dir", default=tempfile.gettempdir(),
                        help="where started servers' output goes (LABEL.log)")
    args = parser.parse_args()
    servers = []
    for spec in args.server:
        if len(spec) not in (2, 3):
            parser.error("--server takes LABEL URL [COMMAND]")
        servers.append(Server(spec[0], spec[1], spec[2] if len(spec) == 3 else None))
    if args.clients < 1 or args.requests < 1 or args.rounds < 1 or args.max_tokens < 2:
        parser.error("--clients, --requests and --rounds must be at least 1, --max-tokens 2")
    if args.schema:
        args.endpoint = "chat"
    if args.ban_partial_utf8:
        args.ban_token += partial_utf8_tokens(args.ban_partial_utf8)
    return args, servers


def main():
    args, servers = parse_args()
    variants = [("free", None)]
    if args.schema:
        with open(args.schema, encoding="utf-8") as schema_file:
            variants.append(("constrained", json.load(schema_file)))
    per_round = {}
    for round_index in range(args.rounds):
        for server in servers:
            server.start(args.log_dir)
            try:
                server.wait_ready(args.ready_timeout)
                for variant, schema in variants:
                    # One short request first: the first grammar masks, caches, page faults.
                    stream_one(server, *request_body(args, "Warm up.", schema))
                    cpu_before = server.cpu_seconds()
                    result = summarise(run_clients(server, args, schema))
                    if cpu_before is not None:
                        # Generated tokens per second of the server's CPU time: on a shared
                        # machine, less at the mercy of the other loads than wall time.
                        cpu = server.cpu_seconds() - cpu_before
                        result["cpu_tps"] = round(result["completion_tokens"]["total"] / cpu, 2)
                    result.update(server=server.label, variant=variant, round=round_index + 1,
                                  clients=args.clients, max_tokens=args.max_tokens)
                    print(json.dumps(result), flush=True)
                    for key in ("aggregate_tps", "stream_tps_median", "ttft_ms_median", "cpu_tps"):
                        if key in result:
                            per_round.setdefault((server.label, variant, key), []).append(result[key])
            finally:
                server.stop()
    summary = {"summary": {}, "rounds": args.rounds, "clients": args.clients,
               "requests_per_client": args.requests, "max_tokens": args.max_tokens,
               "banned_tokens": len(args.ban_token)}
    for (label, variant, key), values in per_round.items():
        summary["summary"].setdefault(f"{label}/{variant}", {})[key] = round(
            statistics.median(values), 2)
    # Ratios are medians of per-round ratios: the two runs of a round were close in time,
    # so they shared the machine's load more than runs of different rounds did.
    pairs = []
    first = servers[0].label
    for other in servers[1:]:
        pairs += [(f"{first}/{other.label} {variant}", (first, variant), (other.label, variant))
                  for variant, _ in variants]
    if args.schema:
        pairs += [(f"{server.label} constrained/free", (server.label, "constrained"),
                   (server.label, "free")) for server in servers]
    ratios = {}
    for name, numerator, denominator in pairs:
        for key in ("aggregate_tps", "stream_tps_median", "cpu_tps"):
            if (*numerator, key) in per_round and (*denominator, key) in per_round:
                ratios[f"{name} {key}"] = round(statistics.median(
                    a / b for a, b in zip(per_round[(*numerator, key)],
                                          per_round[(*denominator, key)])), 3)
    summary["ratios"] = ratios
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
