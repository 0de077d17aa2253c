#!/usr/bin/env python3
"""Soak test of `weft serve`: hours of mixed traffic, watching the daemon for drift.

Run by hand (not in CI); docs/reliability.md reports its figures. Starts its own daemon
(native backend with the bundled model unless told otherwise) in a temporary runtime
directory, with --http on a free port, and runs --clients threads for --duration seconds.
Each client repeatedly picks one of:

  stream      a request on the inference socket, read to its terminal frame
  http        a streamed /v1/chat/completions, read to `data: [DONE]`
  cancel      a request, one token read, then the connection closed (the protocol's cancel)
  disconnect  a request sent and the connection closed at once
  admin       the admin socket opened, its snapshot frames read, closed

Every --interval seconds it samples the daemon from /proc (VmRSS, VmHWM, open fds, threads,
CPU seconds) and the latencies of the streams finished in the interval (request sent to
terminal frame; p50 and p99), printing one row; at the end a summary with the drift of RSS
and fds between the first and the last samples. Errors (a stream without a terminal frame,
an error frame other than queue_full, a malformed frame) are counted and printed.

    bench/soak.py --weft build/weft --duration 1800 --interval 60 --clients 4 --pause 0
    bench/soak.py --duration 600 -- --backend stub      # extra `weft serve` arguments
"""
import argparse
import http.client
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACTIONS = {"stream": 4, "http": 2, "cancel": 2, "disconnect": 1, "admin": 1}
PROMPTS = ["Once upon a time", "The little dog ran to the park and", "Lily wanted a red ball",
           "Tom and his sister went to the sea. They saw"]


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = []  # seconds, of the streams finished since the last sample
        self.all_latencies = []
        self.actions = {name: 0 for name in ACTIONS}
        self.errors = {}

    def finished(self, action, latency=None):
        with self.lock:
            self.actions[action] += 1
            if latency is not None:
                self.latencies.append(latency)
                self.all_latencies.append(latency)

    def error(self, what):
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1

    def take_latencies(self):
        with self.lock:
            taken, self.latencies = self.latencies, []
            return taken


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def request_line(request_id, max_tokens):
    return (json.dumps({"id": request_id, "max_tokens": max_tokens, "temperature": 0.8,
                        "messages": [{"role": "user", "content": random.choice(PROMPTS)}]})
            + "\n").encode()


def read_frames(conn, buffer):
    """Yields frames (dicts) from a socket until it closes."""
    while True:
        while b"\n" in buffer[0]:
            line, buffer[0] = buffer[0].split(b"\n", 1)
            yield json.loads(line)
        data = conn.recv(65536)
        if not data:
            return
        buffer[0] += data


def ndjson_request(paths, counters, request_id, action):
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(120)
    try:
        conn.connect(paths["infer"])
        sent = time.monotonic()
        conn.sendall(request_line(request_id, random.randint(8, 96)))
        if action == "disconnect":
            counters.finished(action)
            return
        buffer = [b""]
        for frame in read_frames(conn, buffer):
            if frame.get("id") != request_id:
                counters.error("a frame of another request")
                return
            if action == "cancel" and frame.get("type") == "token":
                counters.finished(action)
                return
            if frame.get("type") == "done":
                counters.finished(action, time.monotonic() - sent)
                return
            if frame.get("type") == "error":
                counters.error("error frame " + str(frame.get("code")))
                return
        counters.error("closed without a terminal frame")
    except (OSError, ValueError) as error:
        counters.error(type(error).__name__ + " on " + action)
    finally:
        conn.close()


def served_model(port):
    """The model id the HTTP API lists first (requests must name a listed model)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/v1/models")
        return json.loads(conn.getresponse().read())["data"][0]["id"]
    finally:
        conn.close()


def http_stream(port, model, counters):
    body = json.dumps({"model": model, "stream": True, "max_tokens": random.randint(8, 96),
                       "messages": [{"role": "user", "content": random.choice(PROMPTS)}]})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        sent = time.monotonic()
        conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        if response.status != 200:
            counters.error("http status %d" % response.status)
            response.read()
            return
        for line in response:
            if line.strip() == b"data: [DONE]":
                counters.finished("http", time.monotonic() - sent)
                return
        counters.error("http stream without [DONE]")
    except (OSError, http.client.HTTPException) as error:
        counters.error(type(error).__name__ + " on http")
    finally:
        conn.close()


def admin_poll(paths, counters):
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(2)
    try:
        conn.connect(paths["admin"])
        conn.recv(65536)  # the snapshot: state, capabilities, stats
        counters.finished("admin")
    except OSError as error:
        counters.error(type(error).__name__ + " on admin")
    finally:
        conn.close()


def client_loop(index, paths, port, model, counters, stop, pause):
    rng = random.Random(index)
    names = list(ACTIONS)
    weights = [ACTIONS[name] for name in names]
    n = 0
    while not stop.wait(pause):
        action = rng.choices(names, weights)[0]
        n += 1
        if action == "http":
            http_stream(port, model, counters)
        elif action == "admin":
            admin_poll(paths, counters)
        else:
            ndjson_request(paths, counters, "soak-%d-%d" % (index, n), action)


def proc_sample(pid):
    fields = {}
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    with open("/proc/%d/stat" % pid) as stat:
        parts = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024,
            "hwm_mb": int(fields["VmHWM"].split()[0]) / 1024,
            "fds": len(os.listdir("/proc/%d/fd" % pid)),
            "threads": int(fields["Threads"]),
            "cpu_s": (int(parts[11]) + int(parts[12])) / ticks}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(paths, daemon, patience=60):
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            sys.exit("the daemon exited with %d" % daemon.returncode)
        if os.path.exists(paths["infer"]):
            return
        time.sleep(0.1)
    sys.exit("the daemon was not ready after %d s" % patience)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weft", default=os.path.join(ROOT, "build", "weft"))
    parser.add_argument("--duration", type=float, default=1800, help="seconds (default 1800)")
    parser.add_argument("--interval", type=float, default=60, help="seconds between samples")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--pause", type=float, default=0,
                        help="seconds each client waits between actions (default 0)")
    parser.add_argument("serve_args", nargs="*",
                        help="after --: extra `weft serve` arguments (default: the bundled "
                             "model on the native backend, 1 thread)")
    args = parser.parse_args()
    serve_args = args.serve_args or [
        "--backend", "native", "--model", os.path.join(ROOT, "assets", "stories260K-f32.gguf"),
        "--threads", "1", "--ctx", "512"]

    runtime = tempfile.mkdtemp(prefix="weft-soak-")
    os.chmod(runtime, 0o700)
    paths = {"infer": os.path.join(runtime, "weft", "infer.sock"),
             "admin": os.path.join(runtime, "weft", "admin.sock")}
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("WEFT_")}
    env["XDG_RUNTIME_DIR"] = runtime
    # The daemon's log and, should it crash, its core file go to a folder that is kept unless
    # the soak ends cleanly.
    keep = tempfile.mkdtemp(prefix="weft-soak-daemon-")
    log_path = os.path.join(keep, "daemon.log")
    log = open(log_path, "w")
    command = [args.weft, "serve", "--http", "127.0.0.1:%d" % port, "--log-level", "warn"]

    def allow_core_files():
        resource.setrlimit(resource.RLIMIT_CORE,
                           (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    daemon = subprocess.Popen(command + serve_args, env=env, stderr=log, stdout=log, cwd=keep,
                              preexec_fn=allow_core_files)
    clean = False
    try:
        wait_ready(paths, daemon)
        model = served_model(port)
        print("soak: %s, %d clients pausing %.2f s, %.0f s, samples every %.0f s"
              % (" ".join(command[1:] + serve_args), args.clients, args.pause, args.duration,
                 args.interval))
        counters = Counters()
        stop = threading.Event()
        clients = [threading.Thread(target=client_loop,
                                    args=(i, paths, port, model, counters, stop, args.pause),
                                    daemon=True)
                   for i in range(args.clients)]
        for client in clients:
            client.start()
        samples = []
        started = time.monotonic()
        header = "%8s %9s %9s %5s %7s %8s %8s %8s %8s" % (
            "t_s", "rss_MB", "hwm_MB", "fds", "threads", "cpu_s", "streams", "p50_ms", "p99_ms")
        print(header)
        while time.monotonic() - started < args.duration:
            time.sleep(min(args.interval, args.duration - (time.monotonic() - started)))
            if daemon.poll() is not None:
                break
            sample = proc_sample(daemon.pid)
            latencies = counters.take_latencies()
            sample.update(t=time.monotonic() - started, streams=len(latencies),
                          p50=percentile(latencies, 0.5) * 1000,
                          p99=percentile(latencies, 0.99) * 1000)
            samples.append(sample)
            print("%8.0f %9.1f %9.1f %5d %7d %8.1f %8d %8.0f %8.0f" % (
                sample["t"], sample["rss_mb"], sample["hwm_mb"], sample["fds"],
                sample["threads"], sample["cpu_s"], sample["streams"], sample["p50"],
                sample["p99"]), flush=True)
        stop.set()
        for client in clients:
            client.join(timeout=150)
        if daemon.poll() is not None:
            print("the daemon exited with %d after %.0f s; its log and any core file are in %s"
                  % (daemon.returncode, time.monotonic() - started, keep))
            with open(log_path) as daemon_log:
                print("".join(daemon_log.readlines()[-30:]))
            return 1
        first, last = samples[0], samples[-1]
        everything = counters.all_latencies
        print("summary: %.0f s; actions %s" % (last["t"], json.dumps(counters.actions)))
        print("  RSS %.1f MB at the first sample, %.1f MB at the last (min %.1f, max %.1f); "
              "peak %.1f MB" % (first["rss_mb"], last["rss_mb"],
                                min(s["rss_mb"] for s in samples),
                                max(s["rss_mb"] for s in samples), last["hwm_mb"]))
        print("  fds %d at the first sample, %d at the last (max %d); threads %d → %d"
              % (first["fds"], last["fds"], max(s["fds"] for s in samples), first["threads"],
                 last["threads"]))
        print("  stream latency p50 %.0f ms, p99 %.0f ms over %d streams; CPU %.0f s"
              % (percentile(everything, 0.5) * 1000, percentile(everything, 0.99) * 1000,
                 len(everything), last["cpu_s"]))
        print("  errors: %s" % (json.dumps(counters.errors) if counters.errors else "none"))
        clean = not counters.errors
        return 0 if clean else 1
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                daemon.kill()
        log.close()
        shutil.rmtree(runtime, ignore_errors=True)
        if clean:
            shutil.rmtree(keep, ignore_errors=True)
        else:
            print("kept the daemon's log in %s" % keep)


if __name__ == "__main__":
    sys.exit(main())
