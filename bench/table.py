"""The benchmark's rows, the targets of SPEC 10 they are held to, and the printed table."""

from __future__ import annotations

from dataclasses import dataclass

from measure import Series

DOCTOR = "doctor --no-local"
LIST = "list"
SHOW = "show ID"
FLOOR = "floor (read + C YAML)"
CMC = "check-merge-conflict --assume-in-merge"
HELP = "yoi ticket --help"

DOCTOR_RATIO = 3.0  # doctor / floor at 10,000 and at 100,000 tickets
LIST_RATIO = 1.5  # list / floor at 100,000 tickets
LINEAR_SLACK = 1.2  # seconds per ticket at 100,000 within 1.2x of those at 10,000
DOCTOR_MEMORY_MB = 300.0  # at 100,000 tickets, with all findings
LIST_MEMORY_MB = 150.0
SHOW_TARGET = 0.3
STAGED_TARGET = 0.4
CLAIMS_TARGET = 0.4
HELP_TARGET = 0.25
LARGE = 100_000
MEDIUM = 10_000


@dataclass
class Row:
    benchmark: str
    store: str  # "sample" (real finding density), "clean", or "-"
    tickets: int | None
    series: Series | None
    floor: float | None = None  # median of the floor of the same store, same run
    target: str = ""
    ok: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.series is None or not self.floor:
            return None
        return self.series.median / self.floor

    def hold(self, target: str, ok: bool) -> None:
        """Add a target and its verdict (a row fails when any of its targets fails)."""
        self.target = f"{self.target}, {target}" if self.target else target
        self.ok = ok if self.ok is None else (self.ok and ok)

    def add_note(self, note: str) -> None:
        self.note = f"{self.note}; {note}" if self.note else note


def judge(rows: list[Row]) -> None:
    """Hold every row to its targets (rows of both stores alike)."""
    for store in {row.store for row in rows}:
        mine = [row for row in rows if row.store == store and row.series is not None]
        _judge_scaling(mine, DOCTOR, DOCTOR_RATIO, DOCTOR_MEMORY_MB, (MEDIUM, LARGE))
        _judge_scaling(mine, LIST, LIST_RATIO, LIST_MEMORY_MB, (LARGE,))
        for row in mine:
            if row.benchmark == SHOW and row.tickets == LARGE:
                assert row.series is not None
                row.hold(f"< {SHOW_TARGET} s", row.series.median < SHOW_TARGET)


def _judge_scaling(
    rows: list[Row], name: str, ratio: float, memory: float, ratio_sizes: tuple[int, ...]
) -> None:
    by_size = {row.tickets: row for row in rows if row.benchmark == name and row.tickets}
    for size, row in by_size.items():
        assert row.series is not None
        if size in ratio_sizes:
            row.hold(f"<= {ratio:g}x floor", row.ratio is not None and row.ratio <= ratio)
        if size != LARGE:
            continue
        row.hold(f"< {memory:.0f} MB", row.series.memory_mb < memory)
        smaller = [n for n in by_size if n < LARGE]
        if smaller:
            base_size = max(smaller)
            base = by_size[base_size].series
            assert base is not None
            growth = (row.series.median / LARGE) / (base.median / base_size)
            row.hold(
                f"linear (<= {LINEAR_SLACK}x s/ticket of {base_size:,})", growth <= LINEAR_SLACK
            )
            row.add_note(f"s/ticket {growth:.2f}x of {base_size:,}")


HEADER = (
    "benchmark",
    "store",
    "tickets",
    "median s",
    "min s",
    "x floor",
    "peak RSS MB",
    "all procs MB",
    "target",
    "result",
)


def cells(row: Row) -> tuple[str, ...]:
    series = row.series
    result = "" if row.ok is None else ("pass" if row.ok else "FAIL")
    tree = series.tree_mb if series is not None else None
    return (
        row.benchmark,
        row.store,
        f"{row.tickets:,}" if row.tickets else "-",
        f"{series.median:.3f}" if series else "-",
        f"{series.fastest:.3f}" if series else "-",
        f"{row.ratio:.2f}" if row.ratio is not None else "-",
        f"{series.rss_mb:.0f}" if series else "-",
        f"{tree:.0f}" if tree is not None else "-",
        row.target or "-",
        result or ("-" if not row.note.startswith("failed") else "ERROR"),
    )


def table(rows: list[Row]) -> str:
    lines = [cells(row) for row in rows]
    widths = [max(len(str(c[i])) for c in [HEADER, *lines]) for i in range(len(HEADER))]
    out = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    for line in lines:
        padded = (str(c).ljust(w) for c, w in zip(line, widths, strict=True))
        out.append("| " + " | ".join(padded) + " |")
    notes = [
        f"- {row.benchmark} ({row.store}, {row.tickets or '-'}): {row.note}"
        for row in rows
        if row.note
    ]
    return "\n".join(out + (["", *notes] if notes else []))


def as_json(row: Row) -> dict[str, object]:
    series = row.series
    return {
        "benchmark": row.benchmark,
        "store": row.store,
        "tickets": row.tickets,
        "median_s": series.median if series else None,
        "min_s": series.fastest if series else None,
        "ratio": row.ratio,
        "peak_rss_mb": series.rss_mb if series else None,
        "all_processes_mb": series.tree_mb if series else None,
        "target": row.target,
        "ok": row.ok,
        "note": row.note,
        "seconds": [s.seconds for s in series.samples] if series else [],
    }
