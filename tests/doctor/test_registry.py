"""The registry maps each code family to its rule modules, and imports them lazily."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yoi_ticket
from yoi_ticket.doctor.registry import (
    LOCAL_MODULES,
    RULE_MODULES,
    all_rules,
    module_rules,
    select_rules,
)


def test_each_module_defines_only_codes_of_its_family() -> None:
    for family, modules in RULE_MODULES.items():
        for module in modules:
            codes = [rule.code for rule in module_rules(module)]
            assert codes, module
            assert all(code.startswith(family) and len(code) == 5 for code in codes), module
    codes = [rule.code for rule in all_rules()]
    assert len(set(codes)) == len(codes)
    assert codes == sorted(codes)


def test_each_code_is_written_once_in_the_sources() -> None:
    """A search for a code finds its rule: the package spells each code as a string once,
    in the rule's decorator (the registry knows families, not codes)."""
    package = Path(yoi_ticket.__file__).parent
    written: dict[str, list[Path]] = {}
    for path in sorted(package.rglob("*.py")):
        for code in re.findall(r"[\"']YT(\d{3})[\"']", path.read_text(encoding="utf-8")):
            written.setdefault(f"YT{code}", []).append(path)
    codes = {rule.code for rule in all_rules()}
    assert set(written) == codes
    for rule in all_rules():
        (path,) = written[rule.code]
        assert path.stem in {m.rsplit(".", 1)[1] for m in RULE_MODULES[rule.code[:3]]}


def test_selection_keeps_registry_order() -> None:
    codes = [rule.code for rule in select_rules(("YT5", "YT30"), ("YT305",))]
    assert codes == ["YT301", "YT302", "YT303", "YT304", "YT306"] + [
        r.code for r in module_rules("yoi_ticket.doctor.rules.conflicts")
    ]


def printed_in_a_fresh_interpreter(*expressions: str) -> list[str]:
    """What ``print(expression)`` shows for each expression, after ``select_rules`` is
    imported into a new interpreter (so that imports made by earlier tests do not count)."""
    script = "import sys\nfrom yoi_ticket.doctor.registry import select_rules\n" + "".join(
        f"print({expression})\n" for expression in expressions
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines()


def test_selecting_one_rule_imports_only_its_module() -> None:
    codes, modules = printed_in_a_fresh_interpreter(
        "[r.code for r in select_rules(('YT502',))]",
        "sorted(m for m in sys.modules if m.startswith('yoi_ticket.doctor.rules.'))",
    )
    assert codes == "['YT502']"
    assert modules == "['yoi_ticket.doctor.rules.conflicts']"


def test_no_local_leaves_out_local_rules_and_their_module() -> None:
    scopes, imported = printed_in_a_fresh_interpreter(
        "sorted({r.scope for r in select_rules(local=False)})",
        "'yoi_ticket.doctor.rules.local' in sys.modules",
    )
    assert scopes == "['git', 'store', 'ticket']"
    assert imported == "False"


def test_local_modules_hold_only_local_rules() -> None:
    for module in LOCAL_MODULES:
        assert {rule.scope for rule in module_rules(module)} == {"local"}
