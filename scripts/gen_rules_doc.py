"""Write docs/rules.md from the doctor rule registry (``--check``: only compare).

Run it after adding or changing a rule:

    python scripts/gen_rules_doc.py          # rewrite docs/rules.md
    python scripts/gen_rules_doc.py --check  # exit 1 if docs/rules.md is out of date
"""

from __future__ import annotations

import argparse
import sys
from itertools import groupby
from pathlib import Path

from yoi_ticket.doctor.registry import RULES
from yoi_ticket.doctor.rule import Rule

DOC = Path(__file__).resolve().parents[1] / "docs" / "rules.md"

FAMILIES = {
    "YT1": "Structure of the store and of item.md",
    "YT2": "Threads and artifacts",
    "YT3": "Leaked local assignment",
    "YT4": "Local claims",
    "YT5": "Merge conflicts",
    "YT6": "Merge driver",
}
SCOPES = {
    "ticket": "checked once per ticket",
    "store": "checked once per store",
    "local": "checks the local overlay and runtime; skipped with --no-local",
    "git": "checks the git repository",
}

INTRO = """\
# Doctor rules

`yoi ticket doctor` reports each problem with a stable rule code. This page is
generated from the rule registry by `scripts/gen_rules_doc.py`; the same text
is printed by `yoi ticket doctor --explain CODE`, and `--list-rules` lists the
codes.

- Select or skip rules by code or prefix: `--select YT2`, `--ignore YT208,YT3`.
  Defaults can live in `.yoi/ticket.config.toml`:

  ```toml
  [doctor]
  select = ["YT1", "YT2"]
  ignore = ["YT208"]
  fail_on = "warning"   # error (default), warning or never
  ```

  Flags given on the command line win over the file.
- Exit status: 0 when nothing reaches `--fail-on`, 1 when something does,
  2 for usage or environment errors.
- Severity is the rule's default; a few rules report some findings at a
  different severity (their text says so).
- Scope says when a rule runs: `ticket` once per ticket, `store` once per
  store, `local` on the local overlay and runtime (skipped with `--no-local`),
  `git` on the git repository.
"""


def render(rules: tuple[Rule, ...] = RULES) -> str:
    """The whole of docs/rules.md for ``rules``."""
    parts = [INTRO, "## Index\n", "| Code | Severity | Scope | Title |", "|---|---|---|---|"]
    parts.extend(
        f"| [{r.code}](#{_anchor(r)}) | {r.severity.value} | {r.scope} | {_cell(r.title)} |"
        for r in rules
    )
    parts.append("")
    for family, members in groupby(rules, key=lambda r: r.code[:3]):
        parts.append(f"## {family}xx: {FAMILIES.get(family, 'Other rules')}\n")
        parts.extend(_section(rule) for rule in members)
    return "\n".join(parts).rstrip("\n") + "\n"


def _section(rule: Rule) -> str:
    return "\n".join(
        [
            f"### {rule.code}: {rule.title}",
            "",
            f"Severity: **{rule.severity.value}** · Scope: **{rule.scope}** "
            f"({SCOPES.get(rule.scope, rule.scope)})",
            "",
            "**What it does.** " + rule.what,
            "",
            "**Why it matters.** " + rule.why,
            "",
            "**Example.**",
            "",
            "```text",
            rule.example.strip("\n"),
            "```",
            "",
            "**How to fix.** " + rule.fix,
            "",
        ]
    )


def _anchor(rule: Rule) -> str:
    """GitHub's anchor for the section heading of ``rule``."""
    heading = f"{rule.code}: {rule.title}".lower()
    kept = "".join(c for c in heading if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether it is current")
    args = parser.parse_args(argv)
    text = render()
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if args.check:
        if current != text:
            print(f"{DOC} is out of date: run python scripts/gen_rules_doc.py", file=sys.stderr)
            return 1
        return 0
    if current != text:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
        print(f"wrote {DOC} ({len(RULES)} rules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
