"""Lost events across a history: ``doctor --merges`` and ``restore-events`` on thousands
of merges, against one ``doctor --merge-commit`` process per merge.

    python bench/merges.py                         # 300 and 3,000 merges, 3 runs
    python bench/merges.py --merges 300 --runs 1   # quicker
    python bench/merges.py --object-format sha256

The history is written with ``git fast-import`` (seconds, where a commit per git command
would take minutes): a store of ``--tickets`` tickets copied from the v2 corpus, then per
merge a commit on a side branch and one on ``main``, each appending an event to a ticket
(the same ticket every fourth merge, as real conflicts are), and the merge. Most merges
keep both events; every tenth drops one side's (first parent or second parent wins),
every 25th keeps an event with an edited body, every 50th is an octopus of three. The
planted drops and edits are what the measured runs must report, exactly.

Histories are cached in bench/.work/merges/ by size and object format.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from measure import Sample, Series, run_once, start_launcher, stop_launcher
from synth import GIT_ENV
from yoi_ticket.store.ids import encode_canonical_id

BENCH_DIR = Path(__file__).resolve().parent
CORPUS = BENCH_DIR.parent / "tests" / "data" / "corpus" / "v2-flat" / ".yoi"
STORE = ".yoi/tickets"
HISTORY_VERSION = 1
BASE_EPOCH_MS = 1_780_000_000_000
EVENT_EPOCH = 1_782_000_000  # 2026-06-21T00:00:00Z: later than every corpus event
DEFAULT_SIZES = (300, 3_000)
FEW_SECONDS = 3.0  # "a few hundred merges in a few seconds"
LINEAR_SLACK = 1.5  # seconds per merge at the largest size within 1.5x of the smallest
SAMPLED = 10  # merges timed one --merge-commit process each


@dataclass
class History:
    path: Path
    merges: int
    tickets: int
    root: str  # the first commit: ROOT..main is every merge
    dropped: int  # events planted as dropped (YT505)
    edited: int  # events planted as edited (YT506)
    sample: list[str] = field(default_factory=list)  # merge ids for the per-merge runs


# --- writing the history


def _event(at: int, body: str, author: str) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
    return f"\n<!-- event: comment author: {author} at: {stamp} -->\n\n{body}\n\n---\n"


class _Writer:
    """A ``git fast-import`` stream: commits with inline file contents and marks."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0
        self.clock = EVENT_EPOCH

    def commit(self, ref: str, parents: list[int], files: dict[str, str], message: str) -> int:
        self.mark += 1
        self.clock += 1
        text = message.encode()
        head = [f"commit {ref}", f"mark :{self.mark}"]
        head.append(f"committer Bench <bench@example.com> {self.clock} +0000")
        self.parts.append(("\n".join(head) + f"\ndata {len(text)}\n").encode() + text + b"\n")
        for number, parent in enumerate(parents):
            self.parts.append(f"{'from' if number == 0 else 'merge'} :{parent}\n".encode())
        for path, content in sorted(files.items()):
            data = content.encode()
            self.parts.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        self.parts.append(b"\n")
        return self.mark


def _corpus_tickets(count: int) -> list[tuple[str, dict[str, str]]]:
    names = sorted(p.name for p in (CORPUS / "tickets").iterdir() if p.is_dir())
    tickets = []
    for number in range(count):
        source = CORPUS / "tickets" / names[number % len(names)]
        folder = f"{STORE}/{encode_canonical_id(BASE_EPOCH_MS + number * 997)}"
        files = {
            f"{folder}/{name}": (source / name).read_text(encoding="utf-8")
            for name in ("item.md", "thread.md")
        }
        files[f"{folder}/artifacts/.gitkeep"] = ""
        tickets.append((folder, files))
    return tickets


def _bump(item: str, at: int) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
    lines = item.split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith("updated_at:"))
    lines[index] = f'updated_at: "{stamp}"'
    return "\n".join(lines)


def build_history(path: Path, merges: int, tickets: int, object_format: str) -> History:
    """Write the history (see the module docstring) into a new repository at ``path``."""
    subprocess.run(
        ["git", "init", "-q", "-b", "main", f"--object-format={object_format}", str(path)],
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    writer = _Writer()
    folders = []
    files = {".yoi/ticket.config.toml": (CORPUS / "ticket.config.toml").read_text()}
    for folder, ticket_files in _corpus_tickets(tickets):
        folders.append(folder)
        files.update(ticket_files)
    tip = writer.commit("refs/heads/main", [], dict(files), "initial store")
    root_mark, dropped, edited, sampled = tip, 0, 0, []
    for number in range(merges):
        at = EVENT_EPOCH + number * 60
        ours_t, theirs_t = (number * 7 + 3) % tickets, number % tickets
        if number % 4 == 0:
            theirs_t = ours_t  # a real conflict: both sides append to one thread
        octopus = number % 50 == 25
        sides = [theirs_t, (theirs_t + 1) % tickets] if octopus else [theirs_t]
        side_marks, side_events = [], []
        for offset, ticket in enumerate(sides):
            thread = f"{folders[ticket]}/thread.md"
            item = f"{folders[ticket]}/item.md"
            block = _event(at + 30 + offset, f"Side work {number}.{offset}.", "bob")
            side_events.append((ticket, block, at + 30 + offset))
            changed = {thread: files[thread] + block, item: _bump(files[item], at + 30 + offset)}
            side_marks.append(writer.commit(f"refs/heads/side{offset}", [tip], changed, "side"))
        ours_thread, ours_item = f"{folders[ours_t]}/thread.md", f"{folders[ours_t]}/item.md"
        ours_block = _event(at, f"Main work {number}.", "alice")
        files[ours_thread] += ours_block
        files[ours_item] = _bump(files[ours_item], at)
        main_mark = writer.commit(
            "refs/heads/main",
            [tip],
            {ours_thread: files[ours_thread], ours_item: files[ours_item]},
            "main",
        )
        result: dict[str, str] = {}
        kind = "union"
        if number % 10 == 5:
            kind = "first-wins"  # the side's events are dropped
        elif number % 10 == 0 and not octopus:
            kind = "second-wins"  # main's event is dropped (when it shares the thread)
        elif number % 25 == 12:
            kind = "edited"
        for ticket, block, stamp in side_events:
            thread, item = f"{folders[ticket]}/thread.md", f"{folders[ticket]}/item.md"
            if kind == "first-wins":
                dropped += 1
                continue
            if kind == "second-wins" and ticket == ours_t:
                files[thread] = files[thread].removesuffix(ours_block) + block
                dropped += 1
            elif kind == "edited":
                files[thread] += block.replace("Side work", "Side work (edited)")
                edited += 1
            else:
                files[thread] += block
            files[item] = _bump(files[item], max(stamp, at))
            result.update({thread: files[thread], item: files[item]})
        tip = writer.commit("refs/heads/main", [main_mark, *side_marks], result, f"merge {number}")
        if len(sampled) < SAMPLED and number % max(1, merges // SAMPLED) == 0:
            sampled.append(tip)
    marks = path / ".git" / "bench-marks"
    stream = b"".join(writer.parts)
    subprocess.run(
        ["git", "fast-import", "--quiet", f"--export-marks={marks}"],
        cwd=path,
        input=stream,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=path, check=True)
    ids = dict(line.split() for line in marks.read_text().splitlines())
    return History(
        path, merges, tickets, ids[f":{root_mark}"], dropped, edited,
        [ids[f":{mark}"] for mark in sampled],
    )  # fmt: skip


def cached_history(work: Path, merges: int, tickets: int, object_format: str) -> History:
    folder = work / "merges" / f"v{HISTORY_VERSION}-{object_format}-{merges}x{tickets}"
    info = folder / ".git" / "bench-history.json"
    if info.exists():
        data = json.loads(info.read_text())
        return History(folder, **data)
    if folder.exists():
        shutil.rmtree(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    history = build_history(folder, merges, tickets, object_format)
    fields = {k: v for k, v in history.__dict__.items() if k != "path"}
    info.write_text(json.dumps(fields))
    return history


# --- measuring


def _yoi() -> list[str]:
    script = Path(sys.executable).parent / "yoi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "yoi_ticket.cli.app"]


def _env(work: Path) -> dict[str, str]:
    home = work / "homes" / "merges"
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOI_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        YOI_HOME=str(home), NO_COLOR="1", GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull
    )
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    return env


@dataclass
class Row:
    benchmark: str
    history: History
    series: Series
    found: str
    target: str = "-"
    ok: bool | None = None


def measure(history: History, runs: int, work: Path) -> list[Row]:
    env, out = _env(work), work / "out" / "merges"
    out.mkdir(parents=True, exist_ok=True)
    doctor = [
        *_yoi(),
        "ticket",
        "doctor",
        "--no-local",
        "--select",
        "YT505,YT506",
        "--format",
        "json",
    ]
    merges_cmd = [*doctor, "--merges", f"{history.root}..main"]
    restore_cmd = [*_yoi(), "ticket", "restore-events", f"{history.root}..main", "--dry-run"]
    rows = []
    for name, cmd in (("doctor --merges", merges_cmd), ("restore-events --dry-run", restore_cmd)):
        series = Series()
        stdout = out / f"{name.split()[0]}-{history.merges}.txt"
        for _ in range(runs + 1):  # the first run warms the caches and is not counted
            sample = run_once(cmd, cwd=history.path, env=env, stdout=stdout, ok_codes=(0, 1))
            series.add(sample)
        series.samples.pop(0)
        rows.append(Row(name, history, series, _found(name, stdout, history)))
    series = Series()
    for _ in range(runs):
        parts = [
            run_once([*doctor, "--merge-commit", merge], cwd=history.path, env=env,
                     stdout=out / "single.txt", ok_codes=(0, 1))
            for merge in history.sample
        ]  # fmt: skip
        scale = history.merges / len(parts)
        series.add(
            *[Sample(p.seconds * scale, p.rss_mb, p.returncode, p.cpu * scale) for p in parts]
        )
    rows.append(
        Row(f"--merge-commit per merge ({len(history.sample)} timed, scaled)", history, series, "-")
    )
    return rows


def _found(name: str, stdout: Path, history: History) -> str:
    """What the run reported, against what was planted (a mismatch fails the benchmark)."""
    if name.startswith("doctor"):
        codes = [d["code"] for d in json.loads(stdout.read_text())["diagnostics"]]
        got = (codes.count("YT505"), codes.count("YT506"))
        want = (history.dropped, history.edited)
        text = f"{got[0]} dropped, {got[1]} edited"
    else:
        lines = stdout.with_suffix(".err").read_text().splitlines()
        got = want = (sum(line.startswith("would restore ") for line in lines),)
        want = (history.dropped,)
        text = f"{got[0]} to restore"
    if got != want:
        raise SystemExit(f"{name}: found {got}, planted {want}")
    return text


def judge(rows: list[Row]) -> None:
    merges_rows = [row for row in rows if row.benchmark == "doctor --merges"]
    smallest = min(merges_rows, key=lambda row: row.history.merges)
    for row in merges_rows:
        if row.history.merges <= 500:
            row.target, row.ok = f"< {FEW_SECONDS:.0f} s", row.series.median < FEW_SECONDS
        else:
            per = row.series.median / row.history.merges
            base = smallest.series.median / smallest.history.merges
            row.target = f"s/merge <= {LINEAR_SLACK}x of {smallest.history.merges}"
            row.ok = per <= LINEAR_SLACK * base


def table(rows: list[Row]) -> str:
    header = (
        "benchmark",
        "merges",
        "tickets",
        "median s",
        "min s",
        "CPU s",
        "ms/merge",
        "found",
        "target",
        "result",
    )
    lines = [
        (
            row.benchmark,
            f"{row.history.merges:,}",
            f"{row.history.tickets:,}",
            f"{row.series.median:.3f}",
            f"{row.series.fastest:.3f}",
            f"{row.series.cpu_median:.3f}",
            f"{1000 * row.series.median / row.history.merges:.2f}",
            row.found,
            row.target,
            "-" if row.ok is None else ("pass" if row.ok else "FAIL"),
        )
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    out = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    out += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"
        for cells in lines
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--merges", help="comma-separated history sizes (default 300,3000)")
    parser.add_argument("--tickets", type=int, default=200, help="tickets in the store")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per benchmark")
    parser.add_argument("--object-format", choices=("sha1", "sha256"), default="sha1")
    parser.add_argument("--work-dir", type=Path, default=BENCH_DIR / ".work")
    args = parser.parse_args(argv)
    sizes = DEFAULT_SIZES
    if args.merges:
        sizes = tuple(
            sorted({int(s.replace("_", "")) for s in args.merges.split(",") if s.strip()})
        )
    start_launcher()
    try:
        rows: list[Row] = []
        for size in sizes:
            started = time.monotonic()
            history = cached_history(args.work_dir, size, args.tickets, args.object_format)
            print(f"history: {size:,} merges, {args.tickets} tickets, {args.object_format} "
                  f"({time.monotonic() - started:.1f} s to build or load)", flush=True)  # fmt: skip
            rows += measure(history, args.runs, args.work_dir)
    finally:
        stop_launcher()
    judge(rows)
    load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"\n{table(rows)}\n\nload average at the end: {load}")
    return 0 if all(row.ok is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
