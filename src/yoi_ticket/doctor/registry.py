"""The explicit list of every doctor rule, and selection by code or prefix.

A rule's code is written once, in its ``@rule`` decorator. Each rule module lists its
rules in ``RULES``; here each code family (the digit after ``YT``) names the modules
that hold its rules. A run imports only the modules of the families it selects
(``doctor --select YT502`` does not import the overlay and leak rules).
``tests/doctor/test_registry.py`` checks that every module holds only codes of its
family. Rules run in the order of their codes.
"""

from __future__ import annotations

import importlib

from yoi_ticket.doctor.rule import Rule, RunRule, TicketRule
from yoi_ticket.errors import UsageError

_RULES = "yoi_ticket.doctor.rules."
RULE_MODULES: dict[str, tuple[str, ...]] = {
    "YT1": (_RULES + "structure", _RULES + "upstream_item"),
    "YT2": (_RULES + "threads", _RULES + "artifacts"),
    "YT3": (_RULES + "leaks",),
    "YT4": (_RULES + "local", _RULES + "panel"),
    "YT5": (_RULES + "conflicts",),
    "YT6": (_RULES + "merge_config",),
}
"""Code family -> the modules that define its rules."""
LOCAL_MODULES = (_RULES + "local", _RULES + "panel")
"""Modules whose rules all have the ``local`` scope: ``--no-local`` does not import them."""


def module_rules(module: str) -> tuple[Rule, ...]:
    """The rules a module defines, in its order (the module is imported on first use)."""
    rules: tuple[Rule, ...] = importlib.import_module(module).RULES
    return rules


def family_rules(family: str, *, local: bool = True) -> list[Rule]:
    """The rules of one family (``"YT2"``), in code order; without ``local``, the modules
    of :data:`LOCAL_MODULES` are not imported."""
    modules = [m for m in RULE_MODULES[family] if local or m not in LOCAL_MODULES]
    return sorted((r for m in modules for r in module_rules(m)), key=lambda r: r.code)


def all_rules() -> tuple[Rule, ...]:
    """Every rule, in code order (imports every rule module)."""
    return tuple(rule for family in RULE_MODULES for rule in family_rules(family))


def __getattr__(name: str) -> tuple[Rule, ...]:
    if name == "RULES":  # every rule, imported on first use
        return all_rules()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_rule(code: str) -> Rule:
    wanted = code.strip().upper()
    if wanted[:3] in RULE_MODULES:
        for rule in family_rules(wanted[:3]):
            if rule.code == wanted:
                return rule
    raise UsageError(f"unknown rule code {code!r}", hint="run 'yoi ticket doctor --list-rules'")


def _matches(code: str, patterns: tuple[str, ...]) -> bool:
    return any(code.startswith(pattern) for pattern in patterns)


def _families(pattern: str) -> list[str]:
    """The families a code or prefix can match (``YT`` matches all of them)."""
    return [family for family in RULE_MODULES if family.startswith(pattern[:3])]


def check_patterns(patterns: tuple[str, ...]) -> None:
    """Fail (a usage error) on the first pattern that starts no rule code."""
    for pattern in patterns:
        _check_pattern(pattern)


def _check_pattern(pattern: str) -> None:
    """Fail unless ``pattern`` starts at least one rule code; a pattern finer than a family
    imports that family's modules to know."""
    families = _families(pattern) if pattern.startswith("YT") else []
    if families and (len(pattern) <= 3 or _matches_any(pattern, families[0])):
        return
    raise UsageError(
        f"{pattern!r} matches no rule code",
        hint="codes look like YT101; prefixes like YT1 or YT10 select families",
    )


def _matches_any(pattern: str, family: str) -> bool:
    return any(rule.code.startswith(pattern) for rule in family_rules(family))


def select_rules(
    select: tuple[str, ...] = (), ignore: tuple[str, ...] = (), *, local: bool = True
) -> list[Rule]:
    """Rules whose code starts with a ``select`` prefix (all if none) and no ``ignore`` one;
    without ``local``, no rule of the ``local`` scope (overlay and runtime checks)."""
    check_patterns((*select, *ignore))
    wanted = [f for f in RULE_MODULES if not select or any(f in _families(p) for p in select)]
    return [
        rule
        for family in wanted
        for rule in family_rules(family, local=local)
        if (not select or _matches(rule.code, select))
        and not _matches(rule.code, ignore)
        and (local or rule.scope != "local")
    ]


def split_rules(rules: list[Rule]) -> tuple[list[TicketRule], list[RunRule]]:
    """The ticket rules (checked per ticket) and the rules checked once per run."""
    ticket = [rule for rule in rules if isinstance(rule, TicketRule)]
    once = [rule for rule in rules if isinstance(rule, RunRule)]
    return ticket, once
