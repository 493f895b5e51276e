"""The layout is the architecture: sizes, the package root, and the tree of
docs/architecture.md, which must name every module there is and nothing else.
(The import contracts themselves are checked by ``lint-imports``; see pyproject.toml.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "yoi_ticket"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
ROOT_MODULES = {"__init__.py", "__main__.py", "errors.py", "git.py"}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_is_over_500_lines() -> None:
    sizes = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in modules()
    }
    assert {name: size for name, size in sizes.items() if size > MAX_MODULE_LINES} == {}


def test_no_function_is_over_80_lines() -> None:
    long = {}
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(PACKAGE)}:{node.name}"] = length
    assert long == {}


def test_the_package_root_holds_only_a_handful_of_modules() -> None:
    assert {path.name for path in PACKAGE.glob("*.py")} == ROOT_MODULES


def test_architecture_doc_names_every_module_and_only_real_ones() -> None:
    doc = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    tree = re.search(r"```text\nsrc/yoi_ticket/\n(.*?)```", doc, re.S)
    assert tree is not None, "docs/architecture.md has no ```text tree of src/yoi_ticket/"
    named: set[str] = set()
    folders: list[str] = []  # the folder of each indentation depth
    for line in tree.group(1).splitlines():
        match = re.match(r"( *)(\S+)", line)
        if match is None:
            continue
        depth, name = len(match.group(1)) // 2, match.group(2)
        folders = folders[: depth - 1]
        if name.endswith("/"):
            folders.append(name)
        elif name.endswith(".py"):
            named.add("".join(folders) + name)
    real = {
        str(path.relative_to(PACKAGE))
        for path in modules()
        if path.name not in {"__init__.py", "__main__.py"}
    }
    assert named == real
