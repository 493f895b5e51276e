"""Adversarial shapes (SPEC 10: no rule slower than linear in its input): doctor on one
ticket of each hostile shape of tests/harness/shapes.py, at a size and at ten times it,
the larger one close to the 8 MiB file limit. Prints a table: the time of each (the best
of ``--runs``), how much it grew, and whether that is linear (at most twice the ten-fold
growth of the input; a quadratic rule grows a hundred-fold).

    python bench/shapes.py                  # every shape at its sizes
    python bench/shapes.py --quick          # a tenth of the sizes, one run
    python bench/shapes.py --shape "equal headers" --shape relations --json out.json

Doctor runs in this process (``run_doctor``, ``--no-local``, one process: YOI_JOBS=1) on
workspaces written to a temporary folder; nothing else is touched.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[1] / "tests" / "harness"
# The harness package is loaded by its location, without putting tests/ on sys.path.
spec = importlib.util.spec_from_file_location(
    "harness", HARNESS / "__init__.py", submodule_search_locations=[str(HARNESS)]
)
assert spec is not None and spec.loader is not None
sys.modules["harness"] = harness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(harness)

from harness.shapes import SHAPES, write_shape  # noqa: E402  (the harness is loaded above)

GROWTH = 10  # the large size over the small one
LINEAR_SLACK = 2.0  # a linear shape's time grows at most this many times GROWTH
# The large size of each shape: about 6 to 8 MB of input, under the 8 MiB file limit (the
# ring is a number of tickets, a store of 5,000 of them).
LARGE = {
    "equal headers": 80_000,
    "duplicated events": 80_000,
    "events without at": 100_000,
    "one huge event": 150_000,
    "comment openers on one line": 1_000_000,
    "unclosed fences": 80_000,
    "many header attributes": 400_000,
    "relations": 40_000,
    "relation ring": 5_000,
    "deep plans": 5_000,
    "separators": 1_000_000,
    "paths on one line": 1_000_000,
    "slashes on one line": 3_000_000,
    "urls on one line": 300_000,
    "nested frontmatter": 50_000,
    "relations without targets": 50_000,
}


@dataclass
class Row:
    shape: str
    small: int
    large: int
    input_mb: float  # the large input's ticket files
    small_s: float
    large_s: float
    diagnostics: int  # of the large run

    @property
    def growth(self) -> float:
        return self.large_s / self.small_s if self.small_s > 0 else float("inf")

    @property
    def linear(self) -> bool:
        return self.growth <= LINEAR_SLACK * GROWTH


def measure(root: Path, shape: str, size: int, runs: int) -> tuple[float, int, float]:
    """Best time of ``runs`` doctor runs on the shape, its diagnostics, the input in MB."""
    from yoi_ticket.doctor.api import run_doctor
    from yoi_ticket.doctor.context import DoctorOptions

    workspace = write_shape(root / f"{shape}-{size}".replace(" ", "-"), SHAPES[shape](size))
    store = workspace / ".yoi" / "tickets"
    size_mb = sum(p.stat().st_size for p in store.rglob("*") if p.is_file()) / 1e6
    best, found = float("inf"), 0
    for _ in range(runs):
        started = time.perf_counter()
        report = run_doctor(workspace, DoctorOptions(no_local=True))
        best = min(best, time.perf_counter() - started)
        found = len(report.diagnostics)
    shutil.rmtree(workspace)
    return best, found, size_mb


def table(rows: list[Row]) -> str:
    lines = [
        "| shape | sizes | input | small | large | growth | linear |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.shape} | {r.small:,} / {r.large:,} | {r.input_mb:.1f} MB | {r.small_s:.3f} s "
            f"| {r.large_s:.3f} s | {r.growth:.1f}x | {'pass' if r.linear else 'FAIL'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", action="append", choices=sorted(SHAPES), help="repeatable")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes, one run")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = 1
    os.environ["YOI_JOBS"] = "1"
    root = Path(tempfile.mkdtemp(prefix="yoi-shapes-"))
    rows = []
    try:
        measure(root, "equal headers", 10, 1)  # imports the rules before anything is timed
        for shape in args.shape or list(SHAPES):
            large = LARGE[shape] // (GROWTH if args.quick else 1)
            small = large // GROWTH
            small_s, _, _ = measure(root, shape, small, args.runs)
            large_s, found, size_mb = measure(root, shape, large, args.runs)
            rows.append(Row(shape, small, large, size_mb, small_s, large_s, found))
            print(f"{shape}: {small_s:.3f} s, {large_s:.3f} s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(table(rows))
    if args.json:
        data = [{**asdict(r), "growth": r.growth, "linear": r.linear} for r in rows]
        args.json.write_text(json.dumps({"rows": data}, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r.linear for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
