"""Benchmarks of SPEC 10: whole processes, median wall time and peak RSS, against the floor.

    python bench/run.py                      # 1,000 / 10,000 / 100,000 tickets, 5 runs
    python bench/run.py --quick              # 100 and 1,000 tickets, 3 runs
    python bench/run.py --sizes 10000 --runs 3 --json results.json

Stores are built once and cached in bench/.work/ (see synth.py). Every measured
command runs once to warm the file cache, then ``--runs`` times; the floor and
the doctor runs of one size are interleaved so that they see the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from measure import BenchError, Series, run_once, start_launcher, stop_launcher
from scenarios import (
    chunked,
    claims_home,
    conflict_files,
    staged_changes,
    store_is_clean,
)
from synth import build_store

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_WORK = BENCH_DIR / ".work"
DEFAULT_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (100, 1_000)
STAGED_TICKETS = 5
CLAIMS = 1_000
CLAIM_PODS = 25
RATIO_TARGET = 3.0  # doctor / floor at 10,000 tickets
LINEAR_SLACK = 1.2  # seconds per ticket at 100,000 within 1.2x of those at 10,000
MEMORY_TARGET_MB = 300.0
STAGED_TARGET = 0.4
CLAIMS_TARGET = 0.4
HELP_TARGET = 0.25
CONFLICT_TITLE_RE = re.compile(r"conflict (block|marker)", re.IGNORECASE)


@dataclass
class Row:
    benchmark: str
    tickets: int | None
    series: Series | None
    floor: float | None = None  # median of the floor of the same size, same run
    target: str = ""
    ok: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.series is None or not self.floor:
            return None
        return self.series.median / self.floor


Command = list[str]


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.runs: int = args.runs
        self.work: Path = args.work_dir.resolve()
        self.out = self.work / "out"
        self.out.mkdir(parents=True, exist_ok=True)
        self.env = _bench_env(self.work)
        self.yoi = _yoi_command()
        self.rows: list[Row] = []
        self.failed = False

    # ---- measuring

    def measure(self, cases: list[tuple[str, Callable[[], Series]]]) -> dict[str, Series]:
        """Warm up every case once, then run all of them ``runs`` times, interleaved."""
        results: dict[str, Series] = {}
        steps = {name: step for name, step in cases}
        for name, step in cases:
            try:
                step()
            except BenchError as exc:
                self._fail(name, exc)
                steps.pop(name)
        for _ in range(self.runs):
            for name, step in list(steps.items()):
                try:
                    series = step()
                except BenchError as exc:
                    self._fail(name, exc)
                    steps.pop(name)
                    results.pop(name, None)
                    continue
                results.setdefault(name, Series()).samples.extend(series.samples)
        return results

    def process(
        self, name: str, cmd: Command, cwd: Path, ok: tuple[int, ...] = (0,), **env: str
    ) -> Callable[[], Series]:
        stdout = self.out / (re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") + ".out")

        def step() -> Series:
            series = Series()
            series.add(run_once(cmd, cwd=cwd, env={**self.env, **env}, stdout=stdout, ok_codes=ok))
            return series

        return step

    def chunks(self, name: str, cmds: list[Command], cwd: Path) -> Callable[[], Series]:
        stdout = self.out / (re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") + ".out")

        def step() -> Series:
            series = Series()
            series.add(
                *(run_once(c, cwd=cwd, env=self.env, stdout=stdout, ok_codes=(0, 1)) for c in cmds)
            )
            return series

        return step

    def _fail(self, name: str, exc: Exception) -> None:
        print(f"error: {name}: {exc}", file=sys.stderr)
        self.failed = True
        self.rows.append(Row(name, None, None, note=f"failed: {exc}"[:80]))

    # ---- benchmarks

    def size(self, size: int) -> None:
        workspace = build_store(size, self.work)
        doctor = [*self.yoi, "ticket", "doctor", "--no-local", "--format", "json"]
        cases = [
            ("floor", self.process("floor", _floor(workspace), workspace)),
            ("doctor", self.process(f"doctor-{size}", doctor, workspace, (0, 1))),
        ]
        code = self.conflict_code()
        if code is not None:
            scan = [*self.yoi, "ticket", "doctor", "--no-local", "--select", code]
            check = ["check-merge-conflict", "--assume-in-merge"]
            cmds = chunked(_venv_script(check[0]) + check[1:], conflict_files(workspace))
            cases += [
                ("scan-yoi", self.process(f"scan-{size}", [*scan, "--format", "json"], workspace)),
                ("scan-cmc", self.chunks(f"cmc-{size}", cmds, workspace)),
            ]
        print(f"measuring {size} tickets ...", flush=True)
        results = self.measure(cases)
        floor = results.get("floor")
        base = floor.median if floor else None
        self.rows.append(Row("floor (read + C YAML)", size, floor, base, "-"))
        if "doctor" in results:
            row = Row("doctor --no-local", size, results["doctor"], base)
            row.note = _diagnostics_note(self.out / f"doctor-{size}.out")
            self.rows.append(row)
        if "scan-yoi" in results and "scan-cmc" in results:
            cmc = results["scan-cmc"]
            self.rows.append(
                Row(
                    f"conflict scan (doctor --select {code})",
                    size,
                    results["scan-yoi"],
                    base,
                    f"<= check-merge-conflict ({cmc.median:.3f} s)",
                    results["scan-yoi"].median <= cmc.median,
                )
            )
            self.rows.append(
                Row(
                    "check-merge-conflict --assume-in-merge",
                    size,
                    cmc,
                    base,
                    "-",
                    note=f"{len(cmds)} processes (pre-commit chunks), serial",
                )
            )
        elif code is None:
            self.rows.append(Row("conflict scan", size, None, note="no conflict-block rule yet"))

    def staged(self, size: int) -> None:
        workspace = build_store(size, self.work)
        if not store_is_clean(workspace):
            raise BenchError(f"{workspace} has uncommitted changes; delete it to rebuild it")
        cmd = [*self.yoi, "ticket", "doctor", "--staged", "--format", "json"]
        print(f"measuring doctor --staged ({STAGED_TICKETS} tickets of {size}) ...", flush=True)
        with staged_changes(workspace, STAGED_TICKETS):
            results = self.measure([("staged", self.process("staged", cmd, workspace, (0, 1)))])
        if "staged" in results:
            row = Row(
                f"doctor --staged ({STAGED_TICKETS} staged tickets)",
                size,
                results["staged"],
                target=f"< {STAGED_TARGET} s",
            )
            row.ok = row.series is not None and row.series.median < STAGED_TARGET
            row.note = _diagnostics_note(self.out / "staged.out")
            self.rows.append(row)

    def claims(self, size: int) -> None:
        workspace = build_store(size, self.work)
        count = min(CLAIMS, size)
        print(f"measuring claims ({count} claims) ...", flush=True)
        home = claims_home(self.work, workspace, count, CLAIM_PODS, self.env)
        cmd = [*self.yoi, "ticket", "claims", "--format", "json"]
        step = self.process("claims", cmd, workspace, YOI_HOME=str(home))
        results = self.measure([("claims", step)])
        if "claims" in results:
            row = Row(f"claims ({count} claims)", size, results["claims"])
            row.target = f"< {CLAIMS_TARGET} s"
            row.ok = results["claims"].median < CLAIMS_TARGET
            row.note = _claims_note(self.out / "claims.out")
            self.rows.append(row)

    def help(self) -> None:
        print("measuring --help ...", flush=True)
        cmd = [*self.yoi, "ticket", "--help"]
        results = self.measure([("help", self.process("help", cmd, self.work))])
        if "help" in results:
            ok = results["help"].median < HELP_TARGET
            self.rows.append(Row("yoi ticket --help", None, results["help"], None, "< 0.25 s", ok))

    def conflict_code(self) -> str | None:
        """The code of the rule that finds conflict blocks in ticket files, if there is one."""
        listing = subprocess.run(
            [*self.yoi, "ticket", "doctor", "--list-rules"],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        for line in listing.splitlines():
            parts = line.split(None, 3)
            if len(parts) == 4 and parts[0].startswith("YT5") and CONFLICT_TITLE_RE.search(line):
                return parts[0]
        return None

    # ---- targets

    def judge(self) -> None:
        doctor = {
            r.tickets: r for r in self.rows if r.benchmark == "doctor --no-local" and r.series
        }
        if 10_000 in doctor:
            row = doctor[10_000]
            row.target = f"<= {RATIO_TARGET:.0f}x floor"
            row.ok = row.ratio is not None and row.ratio <= RATIO_TARGET
        if 100_000 in doctor:
            row = doctor[100_000]
            assert row.series is not None
            row.target = f"< {MEMORY_TARGET_MB:.0f} MB"
            row.ok = row.series.rss_mb < MEMORY_TARGET_MB
            smaller = [n for n in doctor if n is not None and n < 100_000]
            if smaller:
                base_size = max(smaller)
                base = doctor[base_size]
                assert base.series is not None
                growth = (row.series.median / 100_000) / (base.series.median / base_size)
                row.target += f", linear (<= {LINEAR_SLACK}x s/ticket of {base_size})"
                row.ok = row.ok and growth <= LINEAR_SLACK
                row.note = (row.note + f"; s/ticket {growth:.2f}x of {base_size}").lstrip("; ")


def _floor(workspace: Path) -> Command:
    return [sys.executable, str(BENCH_DIR / "floor.py"), str(workspace)]


def _yoi_command() -> Command:
    script = Path(sys.executable).parent / "yoi"
    return [str(script)] if script.exists() else [sys.executable, "-m", "yoi_ticket.cli.app"]


def _venv_script(name: str) -> Command:
    script = Path(sys.executable).parent / name
    return [str(script)] if script.exists() else [name]


def _bench_env(work: Path) -> dict[str, str]:
    """The environment of measured processes: an empty YOI_HOME, no colour, no user git
    config, and Python's bytecode cache on (as for any installed tool), kept in the work
    folder so that the source tree stays clean."""
    home = work / "homes" / "empty"
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOI_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        YOI_HOME=str(home),
        NO_COLOR="1",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        PYTHONPYCACHEPREFIX=str(work / "pycache"),
    )
    return env


def _diagnostics_note(path: Path) -> str:
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))["summary"]
    except (OSError, ValueError, KeyError, TypeError):
        return "output is not doctor JSON"
    return "{error} errors, {warning} warnings, {info} info".format(**summary)


def _claims_note(path: Path) -> str:
    try:
        claims = json.loads(path.read_text(encoding="utf-8"))["claims"]
    except (OSError, ValueError, KeyError, TypeError):
        return "output is not claims JSON"
    statuses: dict[str, int] = {}
    for claim in claims:
        statuses[str(claim.get("status"))] = statuses.get(str(claim.get("status")), 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))


# ---- output


def machine() -> dict[str, str]:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        model = platform.processor()
    git_version = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout
    return {
        "cpus": str(os.cpu_count()),
        "cpu": model or "unknown",
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "git": git_version.strip().removeprefix("git version "),
    }


def table(rows: list[Row]) -> str:
    header = (
        "benchmark",
        "tickets",
        "median s",
        "min s",
        "x floor",
        "peak RSS MB",
        "target",
        "result",
    )
    lines = []
    for row in rows:
        series = row.series
        result = "" if row.ok is None else ("pass" if row.ok else "FAIL")
        lines.append(
            (
                row.benchmark,
                f"{row.tickets:,}" if row.tickets else "-",
                f"{series.median:.3f}" if series else "-",
                f"{series.fastest:.3f}" if series else "-",
                f"{row.ratio:.2f}" if row.ratio is not None else "-",
                f"{series.rss_mb:.0f}" if series else "-",
                row.target or "-",
                result or ("-" if not row.note.startswith("failed") else "ERROR"),
            )
        )
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]
    out = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    for cells in lines:
        padded = (str(c).ljust(w) for c, w in zip(cells, widths, strict=True))
        out.append("| " + " | ".join(padded) + " |")
    notes = [f"- {row.benchmark} ({row.tickets or '-'}): {row.note}" for row in rows if row.note]
    return "\n".join(out + (["", *notes] if notes else []))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", help="comma-separated store sizes (default 1000,10000,100000)")
    parser.add_argument("--runs", type=int, help="measured runs per benchmark (default 5)")
    parser.add_argument("--quick", action="store_true", help="sizes 100,1000 and 3 runs")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK, help="cache of stores")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    sizes: tuple[int, ...] = QUICK_SIZES if args.quick else DEFAULT_SIZES
    if args.sizes:
        sizes = tuple(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    args.sizes = tuple(sorted(set(sizes)))
    args.runs = args.runs or (3 if args.quick else 5)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    start_launcher()
    try:
        return _main(args)
    finally:
        stop_launcher()


def _main(args: argparse.Namespace) -> int:
    bench = Bench(args)
    start_load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    info = machine()
    print(
        f"machine: {info['cpus']} CPUs, {info['cpu']}, Python {info['python']}, "
        f"{info['system']}, git {info['git']}",
        flush=True,
    )
    sizes: tuple[int, ...] = args.sizes
    for size in sizes:
        bench.size(size)
    special = min(sizes, key=lambda n: (abs(n - 10_000), n))
    for name, job in (("staged", bench.staged), ("claims", bench.claims)):
        try:
            job(special)
        except (BenchError, subprocess.CalledProcessError) as exc:
            bench._fail(name, exc)
    bench.help()
    bench.judge()
    text = table(bench.rows)
    print()
    print(text)
    load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"\nload average at the start: {start_load}; at the end: {load}")
    if args.json:
        data = {
            "machine": info,
            "runs": args.runs,
            "load_average": {"start": start_load, "end": load},
            "rows": [
                {
                    "benchmark": r.benchmark,
                    "tickets": r.tickets,
                    "median_s": r.series.median if r.series else None,
                    "min_s": r.series.fastest if r.series else None,
                    "ratio": r.ratio,
                    "peak_rss_mb": r.series.rss_mb if r.series else None,
                    "target": r.target,
                    "ok": r.ok,
                    "note": r.note,
                }
                for r in bench.rows
            ],
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 1 if bench.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
