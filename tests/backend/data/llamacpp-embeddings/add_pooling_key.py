#!/usr/bin/env python3
"""Copies a GGUF file with one uint32 key `<arch>.pooling_type` added (GGUF v3 layout:
header, metadata, tensor infos, padding to the alignment, tensor data, whose offsets are
relative to the data section and so stay valid). Usage: add_pooling_key.py IN OUT VALUE"""
import struct
import sys

SCALARS = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def skip_value(data, pos, kind):
    if kind in SCALARS:
        return pos + SCALARS[kind]
    if kind == 8:
        (length,) = struct.unpack_from("<Q", data, pos)
        return pos + 8 + length
    if kind == 9:
        item_kind, count = struct.unpack_from("<IQ", data, pos)
        pos += 12
        for _ in range(count):
            pos = skip_value(data, pos, item_kind)
        return pos
    raise ValueError(f"unknown GGUF value type {kind}")


def read_string(data, pos):
    (length,) = struct.unpack_from("<Q", data, pos)
    return data[pos + 8 : pos + 8 + length].decode(), pos + 8 + length


def main(source, target, value):
    data = open(source, "rb").read()
    magic, version, n_tensors, n_kv = struct.unpack_from("<4sIQQ", data, 0)
    assert magic == b"GGUF" and version == 3
    pos = 24
    alignment = 32
    architecture = None
    for _ in range(n_kv):
        key, pos = read_string(data, pos)
        (kind,) = struct.unpack_from("<I", data, pos)
        pos += 4
        if key == "general.architecture":
            architecture, _ = read_string(data, pos)
        if key == "general.alignment":
            (alignment,) = struct.unpack_from("<I", data, pos)
        pos = skip_value(data, pos, kind)
    kv_end = pos
    for _ in range(n_tensors):
        _, pos = read_string(data, pos)
        (n_dims,) = struct.unpack_from("<I", data, pos)
        pos += 4 + 8 * n_dims + 4 + 8
    infos_end = pos
    data_start = (infos_end + alignment - 1) // alignment * alignment
    key = f"{architecture}.pooling_type".encode()
    added = struct.pack("<Q", len(key)) + key + struct.pack("<II", 4, value)
    head = struct.pack("<4sIQQ", magic, version, n_tensors, n_kv + 1)
    body = data[24:kv_end] + added + data[kv_end:infos_end]
    out = head + body
    out += b"\0" * ((alignment - len(out) % alignment) % alignment)
    out += data[data_start:]
    open(target, "wb").write(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
