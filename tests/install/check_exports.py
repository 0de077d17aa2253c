#!/usr/bin/env python3
"""Checks what libweft.so exports against what include/weft/ declares.

The library is compiled with hidden visibility and the public API is marked WEFT_EXPORT
(include/weft/export.hpp). Two ways that can go wrong, both checked here with `nm`:
  1. something internal is exported (a name of weft::runtime, weft::server, ...): a
     visibility slip that makes internals part of the ABI;
  2. a function the archive defines under a public name is not exported: a declaration in
     include/weft/ that lacks WEFT_EXPORT, which programs linked to libweft.so cannot call.

usage: check_exports.py INCLUDE_DIR SHARED_LIBRARY STATIC_LIBRARY
"""
import pathlib
import re
import subprocess
import sys

# Prefixes nm -C puts before the symbol's own name.
SPECIAL_PREFIXES = ("vtable for ", "typeinfo for ", "typeinfo name for ", "VTT for ",
                    "construction vtable for ", "non-virtual thunk to ",
                    "virtual thunk to ", "guard variable for ")


def public_names(include_dir):
    """The qualified names include/weft/ exports: 'weft::Name' for each type marked
    WEFT_EXPORT, 'weft::name(' for each function marked WEFT_EXPORT."""
    names = set()
    for header in sorted(pathlib.Path(include_dir, "weft").glob("*.hpp")):
        namespace = None
        for line in header.read_text().splitlines():
            opened = re.match(r"^namespace ([\w:]+) \{", line)
            if opened and opened.group(1).startswith("weft"):
                namespace = opened.group(1)
                continue
            if namespace is None:
                continue
            marked_type = re.match(r"^(?:class|struct) WEFT_EXPORT (\w+)", line)
            if marked_type:
                names.add(f"{namespace}::{marked_type.group(1)}")
                continue
            marked_function = re.match(r"^WEFT_EXPORT .*?(\w+)\(", line)
            if marked_function:
                names.add(f"{namespace}::{marked_function.group(1)}(")
    return names


def own_name(symbol):
    """The symbol's qualified name: without nm's "vtable for " kind of prefix and without
    the ABI tags of functions returning std::string ("name[abi:cxx11](...)")."""
    for prefix in SPECIAL_PREFIXES:
        if symbol.startswith(prefix):
            symbol = symbol[len(prefix):]
            break
    return re.sub(r"\[abi:\w+\]", "", symbol)


def is_public(name, names):
    for public in names:
        if public.endswith("("):
            if name.startswith(public):
                return True
        elif name == public or name.startswith(public + "::") or name.startswith(public + "("):
            return True
    return False


def defined_symbols(arguments):
    """(type letter, demangled name) of each defined symbol nm lists."""
    output = subprocess.run(["nm", "-C", "--defined-only", *arguments], check=True,
                            capture_output=True, text=True).stdout
    symbols = []
    for line in output.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and len(parts[1]) == 1:
            symbols.append((parts[1], parts[2]))
    return symbols


def main():
    include_dir, shared_library, static_library = sys.argv[1:4]
    names = public_names(include_dir)
    if len(names) < 20:
        sys.exit(f"found only {len(names)} WEFT_EXPORT names in {include_dir}/weft: "
                 "is the marker still spelled WEFT_EXPORT?")

    exported = {own_name(name) for _, name in defined_symbols(["-D", shared_library])}
    exported_weft = sorted(n for n in exported if n.startswith("weft::"))
    internal = [n for n in exported_weft if not is_public(n, names)]

    # Strong text symbols only: inline functions (weak) are compiled into each caller.
    archive_public = sorted({own_name(name) for kind, name in defined_symbols([static_library])
                             if kind == "T" and is_public(own_name(name), names)})
    missing = [n for n in archive_public if n not in exported]

    print(f"{len(names)} public names in include/weft; libweft.so exports "
          f"{len(exported_weft)} weft:: symbols, {len(exported)} in all; the archive "
          f"defines {len(archive_public)} functions under public names")
    for name in internal:
        print(f"exported but internal: {name}")
    for name in missing:
        print(f"public but not exported (WEFT_EXPORT missing?): {name}")
    if internal or missing:
        sys.exit(1)


if __name__ == "__main__":
    main()
