"""The floor: a plain loop that reads every ticket's item.md and thread.md and parses the
frontmatter with PyYAML's C loader. Doctor is measured against it (SPEC 10).

Usage: python bench/floor.py WORKSPACE
"""

from __future__ import annotations

import os
import sys

import yaml


def main(workspace: str) -> int:
    root = os.path.join(workspace, ".yoi", "tickets")
    tickets = 0
    fields = 0
    for entry in os.scandir(root):
        if not entry.is_dir():
            continue
        with open(os.path.join(entry.path, "item.md"), "rb") as handle:
            item = handle.read().decode("utf-8")
        with open(os.path.join(entry.path, "thread.md"), "rb") as handle:
            thread = handle.read().decode("utf-8")
        end = item.find("\n---", 3)
        data = yaml.load(item[4:end], Loader=yaml.CSafeLoader)
        fields += len(data) + (len(thread) > 0)
        tickets += 1
    print(f"{tickets} tickets, {fields} fields")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
