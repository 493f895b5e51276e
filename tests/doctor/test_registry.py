"""The registry lists every rule module with the codes it defines, and imports lazily."""

from __future__ import annotations

import subprocess
import sys

from yoi_ticket.doctor.registry import (
    CODES,
    LOCAL_MODULES,
    RULE_MODULES,
    module_rules,
    select_rules,
)


def test_listed_codes_are_exactly_the_rules_each_module_defines() -> None:
    for module, codes in RULE_MODULES:
        assert sorted(rule.code for rule in module_rules(module)) == sorted(codes), module
    assert len(set(CODES)) == len(CODES)


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
