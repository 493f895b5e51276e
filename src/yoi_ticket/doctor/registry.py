"""The explicit list of every doctor rule, and selection by code or prefix."""

from __future__ import annotations

from yoi_ticket.doctor.rule import Rule
from yoi_ticket.doctor.rules import conflicts, leaks, local, merge_config, structure, thread_rules
from yoi_ticket.errors import UsageError

RULES: tuple[Rule, ...] = (
    *structure.RULES,
    *thread_rules.RULES,
    *leaks.RULES,
    *local.RULES,
    *conflicts.RULES,
    *merge_config.RULES,
)

_BY_CODE = {r.code: r for r in RULES}


def get_rule(code: str) -> Rule:
    rule = _BY_CODE.get(code.strip().upper())
    if rule is None:
        raise UsageError(f"unknown rule code {code!r}", hint="run 'yoi ticket doctor --list-rules'")
    return rule


def _matches(code: str, patterns: tuple[str, ...]) -> bool:
    return any(code.startswith(pattern) for pattern in patterns)


def select_rules(select: tuple[str, ...] = (), ignore: tuple[str, ...] = ()) -> list[Rule]:
    """Rules whose code starts with a ``select`` prefix (all if none) and no ``ignore`` one."""
    for pattern in (*select, *ignore):
        if not pattern.startswith("YT") or not any(r.code.startswith(pattern) for r in RULES):
            raise UsageError(
                f"{pattern!r} matches no rule code",
                hint="codes look like YT101; prefixes like YT1 or YT10 select families",
            )
    return [
        r
        for r in RULES
        if (not select or _matches(r.code, select)) and not _matches(r.code, ignore)
    ]
