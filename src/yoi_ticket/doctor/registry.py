"""The explicit list of every doctor rule, and selection by code or prefix.

Each rule module is listed with the codes of the rules it defines, in the order they run;
a run imports only the modules that hold a selected rule (``doctor --select YT502`` does
not import the overlay and leak rules). ``tests/test_registry.py`` checks that every
module defines exactly the codes listed here.
"""

from __future__ import annotations

import importlib

from yoi_ticket.doctor.rule import Rule
from yoi_ticket.errors import UsageError


def _codes(family: int, numbers: range) -> tuple[str, ...]:
    return tuple(f"YT{family}{number:02d}" for number in numbers)


RULE_MODULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("yoi_ticket.doctor.rules.structure", _codes(1, range(1, 18))),
    ("yoi_ticket.doctor.rules.threads", _codes(2, range(1, 18))),
    ("yoi_ticket.doctor.rules.leaks", ("YT301", "YT302", "YT303", "YT304", "YT305", "YT306")),
    ("yoi_ticket.doctor.rules.local", _codes(4, range(1, 12))),
    ("yoi_ticket.doctor.rules.conflicts", _codes(5, range(1, 6))),
    ("yoi_ticket.doctor.rules.merge_config", ("YT601",)),
)
CODES = tuple(code for _, codes in RULE_MODULES for code in codes)
LOCAL_MODULES = ("yoi_ticket.doctor.rules.local",)
"""Modules whose rules all have the ``local`` scope: ``--no-local`` does not import them."""


def module_rules(module: str) -> tuple[Rule, ...]:
    """The rules a module defines, in its order (the module is imported on first use)."""
    rules: tuple[Rule, ...] = importlib.import_module(module).RULES
    return rules


def all_rules() -> tuple[Rule, ...]:
    """Every rule, in registry order (imports every rule module)."""
    return tuple(rule for module, _ in RULE_MODULES for rule in module_rules(module))


def __getattr__(name: str) -> tuple[Rule, ...]:
    if name == "RULES":  # every rule, imported on first use
        return all_rules()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_rule(code: str) -> Rule:
    wanted = code.strip().upper()
    for module, codes in RULE_MODULES:
        if wanted in codes:
            return next(r for r in module_rules(module) if r.code == wanted)
    raise UsageError(f"unknown rule code {code!r}", hint="run 'yoi ticket doctor --list-rules'")


def _matches(code: str, patterns: tuple[str, ...]) -> bool:
    return any(code.startswith(pattern) for pattern in patterns)


def select_rules(
    select: tuple[str, ...] = (), ignore: tuple[str, ...] = (), *, local: bool = True
) -> list[Rule]:
    """Rules whose code starts with a ``select`` prefix (all if none) and no ``ignore`` one;
    without ``local``, no rule of the ``local`` scope (overlay and runtime checks)."""
    for pattern in (*select, *ignore):
        if not pattern.startswith("YT") or not any(code.startswith(pattern) for code in CODES):
            raise UsageError(
                f"{pattern!r} matches no rule code",
                hint="codes look like YT101; prefixes like YT1 or YT10 select families",
            )

    def selected(code: str) -> bool:
        return (not select or _matches(code, select)) and not _matches(code, ignore)

    return [
        rule
        for module, codes in RULE_MODULES
        if any(selected(code) for code in codes) and (local or module not in LOCAL_MODULES)
        for rule in module_rules(module)
        if selected(rule.code) and (local or rule.scope != "local")
    ]
