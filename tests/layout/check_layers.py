#!/usr/bin/env python3
"""Checks src/'s #include lines against the layer table of docs/architecture.md.

The table gives each folder of src/ a row and the folders it includes. This fails when
  - a file includes a folder its row does not list (a new dependency: add it to the table
    if it runs downward, move the code if it runs upward),
  - a listed folder is not of a lower row (the layering broken in the table itself), unless
    the two share a row (server/ and http/, the one documented exception),
  - a row lists a folder nothing includes any more (the table out of date), or
  - a folder of src/ has no row.
Row 0 (include/weft/, src/sync/) may be included from everywhere and is not listed.

usage: check_layers.py REPOSITORY_ROOT
"""
import pathlib
import re
import sys

EVERYTHING = "everything"


def read_table(doc):
    """{folder: (row, set of listed folders or EVERYTHING, folders sharing the row cell)}"""
    rows = {}
    in_layers = False
    for line in doc.read_text().splitlines():
        if line.startswith("## "):
            in_layers = line.strip() == "## Layers"
            continue
        cells = [cell.strip() for cell in line.split("|")[1:-1]] if in_layers else []
        if len(cells) != 4 or not cells[0].isdigit():
            continue
        row = int(cells[0])
        folders = re.findall(r"`src/([a-z_]+)/`", cells[1])
        listed = cells[3]
        if listed == EVERYTHING:
            includes = EVERYTHING
        else:
            listed = re.sub(r"[¹²³]", "", listed.split(";")[0])
            includes = {name.strip() for name in listed.split(",")
                        if name.strip() and name.strip() != "–"}
        for folder in folders:
            rows[folder] = (row, includes, set(folders) - {folder})
    return rows


def included_folders(folder):
    found = set()
    for path in folder.rglob("*"):
        if path.suffix not in (".cpp", ".hpp", ".h"):
            continue
        for match in re.finditer(r'^#include "([a-z_]+)/', path.read_text(), re.MULTILINE):
            found.add(match.group(1))
    found.discard(folder.name)
    return found


def main():
    root = pathlib.Path(sys.argv[1])
    table = read_table(root / "docs" / "architecture.md")
    if len(table) < 10:
        sys.exit(f"found only {len(table)} folders in docs/architecture.md's layer table")
    row_zero = {folder for folder, (row, _, _) in table.items() if row == 0} | {"weft"}
    problems = []
    for folder in sorted(path for path in (root / "src").iterdir() if path.is_dir()):
        name = folder.name
        if name not in table:
            problems.append(f"src/{name}/ has no row in docs/architecture.md's layer table")
            continue
        row, listed, row_mates = table[name]
        if listed == EVERYTHING:
            continue
        # Folders that share a row cell share its list: compare with what they include together.
        actual = included_folders(folder) - row_zero
        together = set(actual)
        for mate in row_mates:
            together |= included_folders(root / "src" / mate) - row_zero
        for other in sorted(actual - listed - row_mates):
            problems.append(f"src/{name}/ (row {row}) includes {other}/, which its row does "
                            "not list")
        for other in sorted(listed - together):
            problems.append(f"src/{name}/'s row lists {other}, which it no longer includes")
        for other in sorted(listed):
            if other in table and table[other][0] >= row:
                problems.append(f"src/{name}/ (row {row}) lists {other}/ of row "
                                f"{table[other][0]}: not a lower row")
    for problem in problems:
        print(problem)
    print(f"{len(table)} folders in the layer table, {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
