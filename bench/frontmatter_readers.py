"""python-frontmatter against this project's frontmatter reader, on the corpus tickets.

    python bench/frontmatter_readers.py [--runs 7]        # needs: pip install python-frontmatter

Prints two tables. Speed: microseconds per ``item.md`` (median of the runs, every run
parses every corpus ``item.md``) for this project's reader (``parse_item``: line split,
PyYAML's C loader with timestamps kept as strings, the line of every field) and for
python-frontmatter's ``loads``, with its default loader and with ours. Fidelity: on small
documents shaped like real defects, whether each reader keeps what doctor reports: the
line numbers, the body as written, the values as strings, and a refusal where upstream
yoi refuses. The README's decision on python-frontmatter quotes this output.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "data" / "corpus"

# name, document, what a faithful reader does with it
CASES: list[tuple[str, str, str]] = [
    (
        "blank line after the opener",
        "---\n\ntitle: x\nstate: bogus\n---\nbody\n",
        "state on line 4",
    ),
    ("body keeps its blank lines", "---\ntitle: x\n---\n\n\nbody\n", "body starts on line 4"),
    ("timestamp stays a string", "---\ncreated_at: 2026-06-07T22:02:25Z\n---\n", "a str"),
    ("leading blank line", "\n---\ntitle: x\n---\n", "no frontmatter (upstream refuses)"),
    ("four-dash opener", "----\ntitle: x\n----\n", "no frontmatter (upstream refuses)"),
    ("alias", "---\na: &a [1]\nb: *a\n---\n", "refused, line 3"),
    ("YAML error line", "---\ntitle: x\n\nstate: [\n---\n", "error on line 5 or 6"),
]


def corpus_items() -> list[str]:
    return [
        path.read_text(encoding="utf-8")
        for path in sorted(CORPUS.glob("*/.yoi/tickets/**/item.md"))
    ]


def timed(parse: Callable[[str], Any], texts: list[str], runs: int) -> float:
    """Median microseconds per document over ``runs`` passes of all ``texts``."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        for text in texts:
            parse(text)
        samples.append((time.perf_counter() - start) / len(texts) * 1e6)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    try:
        import frontmatter
        from frontmatter.default_handlers import YAMLHandler
    except ImportError:
        print("error: needs python-frontmatter (pip install python-frontmatter)", file=sys.stderr)
        return 2
    from yoi_ticket.store.item import parse_item
    from yoi_ticket.store.yaml_loader import TicketYamlLoader

    class OurLoaderHandler(YAMLHandler):  # type: ignore[misc]
        def load(self, fm: str, **kwargs: object) -> Any:
            return super().load(fm, Loader=TicketYamlLoader)

    ours_handler = OurLoaderHandler()
    texts = corpus_items()
    readers: list[tuple[str, Callable[[str], Any]]] = [
        ("yoi_ticket parse_item (C loader, field lines)", parse_item),
        ("python-frontmatter loads (its default loader)", frontmatter.loads),
        (
            "python-frontmatter loads (our C loader)",
            lambda text: frontmatter.loads(text, handler=ours_handler),
        ),
    ]
    for _, parse in readers:  # warm up
        for text in texts:
            parse(text)
    base = timed(parse_item, texts, args.runs)
    print(f"{len(texts)} corpus item.md files, median of {args.runs} runs\n")
    print("| reader | us per item.md | x parse_item |")
    print("|---|---|---|")
    for name, parse in readers:
        micros = base if parse is parse_item else timed(parse, texts, args.runs)
        print(f"| {name} | {micros:.1f} | {micros / base:.2f} |")

    print("\n| document | faithful reader | parse_item | python-frontmatter |")
    print("|---|---|---|---|")
    for name, text, expected in CASES:
        print(f"| {name} | {expected} | {describe_ours(text)} | {describe_theirs(text)} |")
    return 0


def describe_ours(text: str) -> str:
    from yoi_ticket.store.item import parse_item

    item, error = parse_item(text)
    if error is not None:
        return f"refused: {error.message}, line {error.line}"
    lines = item.field_lines
    shown = {key: f"{value!r} line {lines.get(key)}" for key, value in item.fields.items()}
    return f"{shown}; body line {item.body_line}: {item.body!r}"


def describe_theirs(text: str) -> str:
    import frontmatter

    try:
        post = frontmatter.loads(text)
    except Exception as exc:  # report whatever it raises, as it raises it
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1} of the YAML" if mark is not None else ""
        return f"{type(exc).__name__}{where}"
    if not post.metadata:
        return f"no frontmatter; content {post.content!r}"
    shown = {key: f"{value!r} ({type(value).__name__})" for key, value in post.metadata.items()}
    return f"{shown}; no lines; content {post.content!r}"


if __name__ == "__main__":
    raise SystemExit(main())
