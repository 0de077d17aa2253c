#!/usr/bin/env python3
"""A small inferd wire v2 client, written for weft's tests from inferd's normative spec
(docs/protocol-v2.md of github.com/3rg0n/inferd: §2 framing, §3 requests, §4 responses,
§6 wire_version, §7 embeddings, §1 sockets and the admin capabilities frame) and nothing of
weft's code. It drives a running `weft serve --inferd-compat` and exits non-zero, saying
what failed, when the daemon does not behave as the spec says.

usage: inferd_v2_client.py CHECK SOCKET_DIR [VECTORS_JSON]
CHECK: conformance | stream | cancel | queue-full | tool | thinking | embed | no-embed
"""
import json
import os
import socket
import struct
import sys
import time

JSON_FRAME = 0x01
BLOB_FRAME = 0x02
FRAME_CAP = 64 * 1024 * 1024
PATIENCE = 60.0


class Closed(Exception):
    """The daemon closed the connection between frames."""


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


# §2.1: unsigned LEB128.
def uvarint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            byte |= 0x80
        out.append(byte)
        if not n:
            return bytes(out)


def dial(path):
    deadline = time.time() + PATIENCE
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(PATIENCE)
        try:
            sock.connect(path)
            return sock
        except OSError:
            sock.close()
            if time.time() > deadline:
                fail("nothing answers on " + path)
            time.sleep(0.05)


def read_exact(sock, count):
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError("truncated frame")
        data += chunk
    return bytes(data)


def send_frame(sock, frame_type, payload):
    sock.sendall(uvarint(len(payload)) + bytes([frame_type]) + payload)


def send_json(sock, value):
    send_frame(sock, JSON_FRAME, json.dumps(value).encode())


def read_frame(sock):
    """One response: (type, parsed JSON). Raises Closed on EOF before the first byte."""
    length = 0
    for i in range(5):
        first = sock.recv(1)
        if not first:
            if i == 0:
                raise Closed()
            raise EOFError("EOF inside the length varint")
        length |= (first[0] & 0x7F) << (7 * i)
        if not first[0] & 0x80:
            break
    else:
        fail("response length varint longer than 5 bytes")
    check(length <= FRAME_CAP, "response frame over the 64 MiB cap")
    frame_type = read_exact(sock, 1)[0]
    check(frame_type == JSON_FRAME, "a response frame must be JSON (0x01), got %#x" % frame_type)
    return json.loads(read_exact(sock, length))


def responses(sock, request_id):
    """Reads 0..N `frame`s and the one terminal frame; checks ids (§4)."""
    frames = []
    while True:
        frame = read_frame(sock)
        check(frame.get("id") == request_id, "frame id %r, expected %r" % (frame.get("id"), request_id))
        frames.append(frame)
        if frame["type"] in ("done", "error"):
            return frames[:-1], frame
        check(frame["type"] == "frame", "unknown response type " + repr(frame["type"]))


def closed_by_daemon(sock):
    try:
        read_frame(sock)
    except (Closed, ConnectionResetError):
        return True
    return False


def request(request_id, text, **fields):
    body = {"wire_version": 1, "id": request_id,
            "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}]}
    body.update(fields)
    return body


def text_of(frames):
    return "".join(f["block"]["delta"] for f in frames if f["block"]["type"] == "text")


def generation_socket(directory):
    return os.path.join(directory, "inferd.sock")


def check_conformance(directory, vectors_path):
    vectors = json.load(open(vectors_path))
    sock = dial(generation_socket(directory))

    # §5: the worked example, twice on one connection (§3.1 connection reuse).
    example = vectors["worked_example"]
    payload = example["request_payload"].encode()
    wire = uvarint(len(payload)) + bytes([JSON_FRAME]) + payload
    check(wire[:2].hex() == example["request_header_hex"], "worked example header")
    for _ in range(2):
        sock.sendall(wire)
        frames, done = responses(sock, "r1")
        check(done["type"] == "done", "worked example ended with " + json.dumps(done))
        check(done["stop_reason"] in ("end_turn", "max_tokens"), "stop_reason " + done["stop_reason"])
        check(done["usage"]["output_tokens"] <= 4, "max_tokens 4 exceeded")
        check(done["usage"]["input_tokens"] > 0, "no input tokens counted")
        check(isinstance(done["backend"], str), "done without backend")
        check(all(f["block"]["type"] == "text" for f in frames), "unexpected block types")

    # §3.2/§3.4: unknown fields and block types are ignored.
    send_json(sock, vectors["forward_compatible_request"]["request"])
    _, done = responses(sock, "fc")
    check(done["type"] == "done", "forward-compatible request refused: " + json.dumps(done))

    # §3.2a: response_format is enforced where the backend can, ignored where it cannot;
    # either way the request succeeds.
    send_json(sock, request("rf", "hi", max_tokens=4,
                            response_format={"type": "json_schema", "schema": {"type": "object"}}))
    _, done = responses(sock, "rf")
    check(done["type"] == "done", "response_format request refused: " + json.dumps(done))

    # §4.3: validation failures are one error frame; the connection stays usable.
    for body in vectors["invalid_requests"]["requests"]:
        send_json(sock, body)
        frames, error = responses(sock, body["id"])
        check(not frames and error["type"] == "error", "accepted: " + json.dumps(body))
        check(error["code"] == "invalid_request", "code %s for %s" % (error["code"], body["id"]))
    # Bytes that are not JSON inside a well-formed frame.
    send_frame(sock, JSON_FRAME, b"{not json")
    _, error = responses(sock, "")
    check(error["code"] == "invalid_request", "bad JSON answered " + json.dumps(error))

    # §3.1/§3.7: an image request sends descriptor + BLOB; weft has no vision backend.
    multimodal = vectors["multimodal_request"]
    send_json(sock, multimodal["request"])
    send_json(sock, multimodal["descriptor"])
    send_frame(sock, BLOB_FRAME, bytes.fromhex(multimodal["blob_hex"]))
    frames, error = responses(sock, "v2-1")
    check(error["type"] == "error" and error["code"] == multimodal["expected_code_without_vision"],
          "multimodal answered " + json.dumps(error))
    sock.sendall(wire)  # still in step after the BLOB
    _, done = responses(sock, "r1")
    check(done["type"] == "done", "connection unusable after an attachment")
    # An empty image carries no bytes (§3.1: BLOBs only for attachments that carry bytes).
    empty = json.loads(json.dumps(multimodal["request"]))
    empty["attachments"][0]["width"] = 0
    send_json(sock, empty)
    _, error = responses(sock, "v2-1")
    check(error["code"] == "attachment_unsupported", "empty image answered " + json.dumps(error))
    sock.close()

    # §3.5: an image BLOB is width × height × 3 bytes; a descriptor saying otherwise ends the
    # request and the connection (the stream can no longer be trusted).
    sock = dial(generation_socket(directory))
    send_json(sock, multimodal["request"])
    send_json(sock, dict(multimodal["descriptor"], len=13))
    _, error = responses(sock, "v2-1")
    check(error["code"] == "invalid_request", "wrong-size image answered " + json.dumps(error))
    check(closed_by_daemon(sock), "connection left open after a wrong-size BLOB descriptor")
    sock.close()

    # §6: a wire_version mismatch is one error frame, then the daemon closes.
    for body in vectors["wire_version_mismatch"]["requests"]:
        sock = dial(generation_socket(directory))
        send_json(sock, body)
        frames, error = responses(sock, body["id"])
        check(error["code"] == "wire_version_unsupported", "version mismatch: " + json.dumps(error))
        check(closed_by_daemon(sock), "connection left open after wire_version_unsupported")
        sock.close()

    # §2: malformed framing closes the connection (an unknown type; a length over the cap).
    for bad in (b"\x02\x07{}", uvarint(FRAME_CAP + 1) + bytes([JSON_FRAME]), b"\x80\x80\x80\x80\x80\x01"):
        sock = dial(generation_socket(directory))
        sock.sendall(bad)
        try:
            while True:
                frame = read_frame(sock)
                check(frame["type"] == "error", "malformed framing answered " + json.dumps(frame))
        except (Closed, ConnectionResetError):
            pass
        sock.close()

    # §1: the admin socket's capabilities frame.
    admin = dial(os.path.join(directory, "admin.sock"))
    stream = admin.makefile("r")
    for line in stream:
        event = json.loads(line)
        if event.get("status") == "capabilities":
            for key in vectors["capabilities_keys"]["boolean_keys"]:
                check(isinstance(event.get(key), bool), "capabilities without boolean " + key)
            check(event["v2"] is True, "capabilities says v2 is false")
            embed_socket = os.path.exists(os.path.join(directory, "infer.embed.sock"))
            check(event["embed"] == embed_socket, "embed flag disagrees with the embed socket")
            break
    else:
        fail("no capabilities frame on the admin socket")
    admin.close()


def check_stream(directory):
    sock = dial(generation_socket(directory))
    send_json(sock, request("s1", "tell me a story", max_tokens=12))
    frames, done = responses(sock, "s1")
    check(done["type"] == "done", "stream ended with " + json.dumps(done))
    check(len(frames) >= 2, "expected several streamed text frames, got %d" % len(frames))
    check(done["stop_reason"] == "max_tokens", "stop_reason " + done["stop_reason"])
    streamed = text_of(frames)
    # §3.1: stream:false withholds the deltas; usage and stop_reason are the same.
    send_json(sock, request("s2", "tell me a story", max_tokens=12, stream=False))
    frames, quiet = responses(sock, "s2")
    check(not frames, "stream:false still sent %d frames" % len(frames))
    check(quiet["usage"] == done["usage"] and quiet["stop_reason"] == done["stop_reason"],
          "stream:false changed the terminal frame")
    check(streamed, "no text streamed")


def check_cancel(directory):
    sock = dial(generation_socket(directory))
    send_json(sock, request("long", "go on", max_tokens=100000))
    first = read_frame(sock)
    check(first["type"] == "frame", "the long request did not stream: " + json.dumps(first))
    started = time.time()
    sock.close()  # §3.1: closing the connection cancels the job
    # The daemon runs one generation at a time here (--parallel 1): the next request is only
    # served once the cancelled one gave its slot back.
    sock = dial(generation_socket(directory))
    send_json(sock, request("after", "hi", max_tokens=3))
    _, done = responses(sock, "after")
    check(done["type"] == "done", "after a cancel: " + json.dumps(done))
    # Uncancelled, the stub (200 ms a word, --parallel 1) would hold the slot for 5 s more.
    check(time.time() - started < 3.0, "the cancelled generation held its slot")


def check_queue_full(directory):
    """With one slot and no queue (--parallel 1 --queue 0), a second request is refused at once."""
    busy = dial(generation_socket(directory))
    send_json(busy, request("busy", "go on", max_tokens=100000))
    check(read_frame(busy)["type"] == "frame", "the first request did not start")
    other = dial(generation_socket(directory))
    send_json(other, request("second", "hi", max_tokens=3))
    frames, error = responses(other, "second")
    check(not frames and error["type"] == "error" and error["code"] == "queue_full",
          "a request beyond the queue got " + json.dumps(error))
    # The same slot is weft's v1 socket's (inferd protocol v1 NDJSON): one admission for both.
    v1 = dial(os.path.join(directory, "infer.sock"))
    v1.sendall(b'{"id":"v1","messages":[{"role":"user","content":"hi"}]}\n')
    answer = json.loads(v1.makefile("r").readline())
    check(answer.get("type") == "error" and answer.get("code") == "queue_full",
          "v1 request while v2 holds the slot got " + json.dumps(answer))
    v1.close()
    busy.close()


def check_tool(directory):
    weather = {"name": "get_weather", "description": "Current weather of a city",
               "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                                "required": ["city"]}}
    # The tiny test model would not call a tool on its own: response_format pins its answer
    # to the template's tool-call JSON, which the daemon must then return as a tool_use block.
    schema = {"type": "object",
              "properties": {"name": {"const": "get_weather"},
                             "parameters": {"type": "object",
                                            "properties": {"city": {"type": "string", "maxLength": 6}},
                                            "required": ["city"], "additionalProperties": False}},
              "required": ["name", "parameters"], "additionalProperties": False}
    sock = dial(generation_socket(directory))
    send_json(sock, request("t1", "What is the weather in Oslo?", tools=[weather], max_tokens=300,
                            temperature=0, response_format={"type": "json_schema", "schema": schema}))
    frames, done = responses(sock, "t1")
    calls = [f["block"] for f in frames if f["block"]["type"] == "tool_use"]
    check(done["type"] == "done", "tool request ended with " + json.dumps(done))
    check(len(calls) == 1, "expected one tool_use block, got frames " + json.dumps(frames))
    call = calls[0]
    check(call["name"] == "get_weather", "called " + call["name"])
    check(isinstance(call["input"], dict) and isinstance(call["input"].get("city"), str),
          "tool input " + json.dumps(call["input"]))
    check(isinstance(call["tool_call_id"], str) and call["tool_call_id"], "no tool_call_id")
    check(done["stop_reason"] == "tool_use", "stop_reason " + done["stop_reason"])
    # The result goes back as a user tool_result block after the assistant's tool_use (§3.3).
    follow_up = request("t2", "What is the weather in Oslo?", tools=[weather], max_tokens=5)
    follow_up["messages"] += [
        {"role": "assistant", "content": [{"type": "tool_use", "tool_call_id": call["tool_call_id"],
                                           "name": "get_weather", "input": call["input"]}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_call_id": call["tool_call_id"],
                                      "content": [{"type": "text", "text": "sunny, 21 C"}]}]}]
    send_json(sock, follow_up)
    _, done = responses(sock, "t2")
    check(done["type"] == "done", "tool_result turn ended with " + json.dumps(done))


def check_thinking(directory):
    """For a template that opens the reasoning in its prompt (DeepSeek R1): the tiny model never
    closes it, so everything it writes is reasoning."""
    sock = dial(generation_socket(directory))
    send_json(sock, request("k1", "Why is the sky blue?", max_tokens=8, thinking=True))
    frames, done = responses(sock, "k1")
    check(done["type"] == "done", "thinking request ended with " + json.dumps(done))
    kinds = {f["block"]["type"] for f in frames}
    check(kinds == {"thinking"}, "expected only thinking blocks, got " + json.dumps(frames))
    check("".join(f["block"]["delta"] for f in frames), "empty reasoning")
    # §3.2: omitted = no thinking; the trace is not turned into visible text either.
    send_json(sock, request("k2", "Why is the sky blue?", max_tokens=8))
    frames, done = responses(sock, "k2")
    check(done["type"] == "done" and not frames, "thinking off still sent " + json.dumps(frames))
    admin = dial(os.path.join(directory, "admin.sock"))
    for line in admin.makefile("r"):
        event = json.loads(line)
        if event.get("status") == "capabilities":
            check(event["thinking"] is True, "capabilities says thinking is false")
            break
    admin.close()


def embed_call(sock, reader, body):
    sock.sendall((json.dumps(body) + "\n").encode())
    return json.loads(reader.readline())


def check_embed(directory):
    sock = dial(os.path.join(directory, "infer.embed.sock"))
    reader = sock.makefile("r")
    answer = embed_call(sock, reader, {"id": "e", "input": ["one cat", "two dogs"],
                                       "task": "retrieval_document"})
    check(answer["type"] == "embeddings", "embed answered " + json.dumps(answer)[:300])
    check(answer["id"] == "e", "embed id")
    vectors = answer["embeddings"]
    check(len(vectors) == 2, "expected 2 vectors")
    check(all(len(v) == answer["dimensions"] for v in vectors), "vector width != dimensions")
    check(answer["usage"]["input_tokens"] > 0, "no input tokens")
    check(vectors[0] != vectors[1], "two different texts gave the same vector")
    half = answer["dimensions"] // 2
    truncated = embed_call(sock, reader, {"id": "t", "input": ["one cat"], "dimensions": half})
    check(truncated["dimensions"] == half and len(truncated["embeddings"][0]) == half,
          "dimensions not applied")
    norm = sum(x * x for x in truncated["embeddings"][0]) ** 0.5
    check(abs(norm - 1.0) < 1e-3, "truncated vector not renormalised: %f" % norm)
    for body in json.load(open(sys.argv[3]))["embed_invalid_requests"]["requests"]:
        error = embed_call(sock, reader, body)
        check(error["type"] == "error" and error["code"] == "invalid_request",
              "embed accepted " + json.dumps(body))
    too_wide = embed_call(sock, reader, {"id": "w", "input": ["x"], "dimensions": answer["dimensions"] + 1})
    check(too_wide["type"] == "error" and too_wide["code"] == "invalid_request", "over-wide dimensions")


def check_no_embed(directory):
    dial(generation_socket(directory)).close()  # ready
    check(not os.path.exists(os.path.join(directory, "infer.embed.sock")),
          "infer.embed.sock bound for a backend that cannot embed")


def check_stalled_reader(directory):
    """A reader that stops loses its slot after the write timeout (--parallel 1
    --write-timeout 1): the next client is served and the stalled connection is closed."""
    stalled = dial(generation_socket(directory))
    # Every frame repeats the id: a 256 KiB id fills the socket's buffers within a few frames.
    send_json(stalled, request("s" * (256 * 1024), "go on", max_tokens=1000))
    time.sleep(0.5)
    other = dial(generation_socket(directory))
    other.settimeout(30)  # without the deadline it would wait for ever
    send_json(other, request("next", "hi", max_tokens=3))
    _, done = responses(other, "next")
    check(done["type"] == "done", "behind a stalled reader: " + json.dumps(done))
    stalled.settimeout(30)
    try:
        while True:
            read_frame(stalled)
    except (Closed, ConnectionResetError, EOFError):  # EOFError: cut inside a frame
        pass
    except socket.timeout:
        fail("the stalled connection was never closed")


CHECKS = {"conformance": lambda d: check_conformance(d, sys.argv[3]), "stream": check_stream,
          "cancel": check_cancel, "queue-full": check_queue_full, "tool": check_tool, "thinking": check_thinking, "embed": check_embed, "no-embed": check_no_embed,
          "stalled-reader": check_stalled_reader}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in CHECKS:
        fail(__doc__)
    CHECKS[sys.argv[1]](sys.argv[2])
    print("ok: " + sys.argv[1])
