"""Benchmarks of SPEC 10: whole processes, median wall time and peak memory, against the floor.

    python bench/run.py                         # 1,000 / 10,000 / 100,000 tickets, 5 runs,
                                                # stores from v2-sample and from v2-flat
    python bench/run.py --quick                 # 100 and 1,000 tickets, 3 runs
    python bench/run.py --sizes 10000 --runs 3 --json results.json
    python bench/run.py --sizes 100000 --rows doctor,list --stores sample --runs 3

Stores are built once and cached in bench/.work/ (see synth.py). Every measured
command runs once to warm the file cache, then ``--runs`` times; the floor and the
commands measured against it, of one store, are interleaved so that they see the
same machine. ``--rows`` and ``--stores`` pick a subset while iterating.
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
from pathlib import Path

import table as t
from measure import BenchError, Series, run_once, start_launcher, stop_launcher
from scenarios import chunked, claims_home, conflict_files, staged_changes, store_is_clean
from synth import CORPORA, build_store

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_WORK = BENCH_DIR / ".work"
DEFAULT_SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (100, 1_000)
ROWS = ("doctor", "list", "show", "scan", "staged", "claims", "help")
STORE_NAMES = {"sample": "sample", "flat": "clean"}  # corpus -> the store column
STAGED_TICKETS = 5
CLAIMS = 1_000
CLAIM_PODS = 25
CONFLICT_TITLE_RE = re.compile(r"conflict (block|marker)", re.IGNORECASE)

Command = list[str]
Step = Callable[[], Series]


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.runs: int = args.runs
        self.wanted: tuple[str, ...] = args.rows
        self.work: Path = args.work_dir.resolve()
        self.out = self.work / "out"
        self.out.mkdir(parents=True, exist_ok=True)
        self.env = _bench_env(self.work)
        self.yoi = _yoi_command()
        self.rows: list[t.Row] = []
        self.failed = False

    # ---- measuring

    def measure(self, cases: list[tuple[str, Step]]) -> dict[str, Series]:
        """Warm up every case once, then run all of them ``runs`` times, interleaved."""
        results: dict[str, Series] = {}
        steps = dict(cases)
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
        self,
        name: str,
        cmd: Command,
        cwd: Path,
        ok: tuple[int, ...] = (0,),
        *,
        sample_tree: bool = False,
        **env: str,
    ) -> Step:
        stdout = self._out(name)

        def step() -> Series:
            series = Series()
            series.add(
                run_once(
                    cmd,
                    cwd=cwd,
                    env={**self.env, **env},
                    stdout=stdout,
                    ok_codes=ok,
                    sample_tree=sample_tree,
                )
            )
            return series

        return step

    def chunks(self, name: str, cmds: list[Command], cwd: Path) -> Step:
        stdout = self._out(name)

        def step() -> Series:
            series = Series()
            series.add(
                *(run_once(c, cwd=cwd, env=self.env, stdout=stdout, ok_codes=(0, 1)) for c in cmds)
            )
            return series

        return step

    def _out(self, name: str) -> Path:
        return self.out / (re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") + ".out")

    def _fail(self, name: str, exc: Exception) -> None:
        print(f"error: {name}: {exc}", file=sys.stderr)
        self.failed = True
        self.rows.append(t.Row(name, "-", None, None, note=f"failed: {exc}"[:80]))

    # ---- benchmarks

    def size(self, corpus: str, size: int) -> None:
        """The floor and what is measured against it, on one store, interleaved."""
        store = STORE_NAMES[corpus]
        workspace = build_store(size, self.work, corpus=corpus)
        tag = f"{corpus}-{size}"
        cases: list[tuple[str, Step]] = [
            ("floor", self.process(f"floor-{tag}", _floor(workspace), workspace))
        ]
        if "doctor" in self.wanted:
            doctor = [*self.yoi, "ticket", "doctor", "--no-local", "--format", "json"]
            step = self.process(f"doctor-{tag}", doctor, workspace, (0, 1), sample_tree=True)
            cases.append(("doctor", step))
        if "list" in self.wanted:
            listing = [*self.yoi, "ticket", "list", "--format", "json"]
            cases.append(
                ("list", self.process(f"list-{tag}", listing, workspace, sample_tree=True))
            )
        if "show" in self.wanted:
            show = [*self.yoi, "ticket", "show", _middle_id(workspace), "--format", "json"]
            cases.append(("show", self.process(f"show-{tag}", show, workspace)))
        code = self.conflict_code() if "scan" in self.wanted else None
        cmds: list[Command] = []
        if code is not None:
            scan = [
                *self.yoi,
                "ticket",
                "doctor",
                "--no-local",
                "--select",
                code,
                "--format",
                "json",
            ]
            check = ["check-merge-conflict", "--assume-in-merge"]
            cmds = chunked(_venv_script(check[0]) + check[1:], conflict_files(workspace))
            cases += [
                ("scan-yoi", self.process(f"scan-{tag}", scan, workspace)),
                ("scan-cmc", self.chunks(f"cmc-{tag}", cmds, workspace)),
            ]
        print(f"measuring {size} tickets ({store} store) ...", flush=True)
        results = self.measure(cases)
        floor = results.get("floor")
        base = floor.median if floor else None
        self.rows.append(t.Row(t.FLOOR, store, size, floor, base, "-"))
        names = {"doctor": t.DOCTOR, "list": t.LIST, "show": t.SHOW}
        for key, name in names.items():
            if key in results:
                row = t.Row(name, store, size, results[key], base)
                if key == "doctor":
                    row.note = _diagnostics_note(self._out(f"doctor-{tag}"))
                self.rows.append(row)
        if "scan-yoi" in results and "scan-cmc" in results:
            cmc = results["scan-cmc"]
            row = t.Row(
                f"conflict scan (doctor --select {code})", store, size, results["scan-yoi"], base
            )
            row.hold(
                f"<= check-merge-conflict ({cmc.median:.3f} s)",
                row.series is not None and row.series.median <= cmc.median,
            )
            self.rows.append(row)
            note = f"{len(cmds)} processes (pre-commit chunks), serial"
            self.rows.append(t.Row(t.CMC, store, size, cmc, base, "-", note=note))
        elif "scan" in self.wanted and code is None:
            self.rows.append(
                t.Row("conflict scan", store, size, None, note="no conflict-block rule yet")
            )

    def staged(self, corpus: str, size: int) -> None:
        workspace = build_store(size, self.work, corpus=corpus)
        if not store_is_clean(workspace):
            raise BenchError(f"{workspace} has uncommitted changes; delete it to rebuild it")
        cmd = [*self.yoi, "ticket", "doctor", "--staged", "--format", "json"]
        print(f"measuring doctor --staged ({STAGED_TICKETS} tickets of {size}) ...", flush=True)
        with staged_changes(workspace, STAGED_TICKETS):
            results = self.measure([("staged", self.process("staged", cmd, workspace, (0, 1)))])
        if "staged" in results:
            row = t.Row(
                f"doctor --staged ({STAGED_TICKETS} staged tickets)",
                STORE_NAMES[corpus],
                size,
                results["staged"],
            )
            row.hold(f"< {t.STAGED_TARGET} s", results["staged"].median < t.STAGED_TARGET)
            row.note = _diagnostics_note(self._out("staged"))
            self.rows.append(row)

    def claims(self, corpus: str, size: int) -> None:
        workspace = build_store(size, self.work, corpus=corpus)
        count = min(CLAIMS, size)
        print(f"measuring claims ({count} claims) ...", flush=True)
        home = claims_home(self.work, workspace, count, CLAIM_PODS, self.env)
        cmd = [*self.yoi, "ticket", "claims", "--format", "json"]
        results = self.measure(
            [("claims", self.process("claims", cmd, workspace, YOI_HOME=str(home)))]
        )
        if "claims" in results:
            row = t.Row(f"claims ({count} claims)", STORE_NAMES[corpus], size, results["claims"])
            row.hold(f"< {t.CLAIMS_TARGET} s", results["claims"].median < t.CLAIMS_TARGET)
            row.note = _claims_note(self._out("claims"))
            self.rows.append(row)

    def help(self) -> None:
        print("measuring --help ...", flush=True)
        cmd = [*self.yoi, "ticket", "--help"]
        results = self.measure([("help", self.process("help", cmd, self.work))])
        if "help" in results:
            row = t.Row(t.HELP, "-", None, results["help"])
            row.hold(f"< {t.HELP_TARGET} s", results["help"].median < t.HELP_TARGET)
            self.rows.append(row)

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


def _floor(workspace: Path) -> Command:
    return [sys.executable, str(BENCH_DIR / "floor.py"), str(workspace)]


def _middle_id(workspace: Path) -> str:
    """A ticket in the middle of the store (by folder name)."""
    names = sorted(
        entry.name for entry in os.scandir(workspace / ".yoi" / "tickets") if entry.is_dir()
    )
    return names[len(names) // 2]


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


def _names(
    value: str | None, known: tuple[str, ...], what: str, parser: argparse.ArgumentParser
) -> tuple[str, ...]:
    if value is None:
        return known
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        parser.error(
            f"--{what}: choose from {', '.join(known)} (not {', '.join(unknown) or value!r})"
        )
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", help="comma-separated store sizes (default 1000,10000,100000)")
    parser.add_argument("--runs", type=int, help="measured runs per benchmark (default 5)")
    parser.add_argument("--quick", action="store_true", help="sizes 100,1000 and 3 runs")
    parser.add_argument("--rows", help=f"comma-separated subset of {','.join(ROWS)} (default all)")
    parser.add_argument("--stores", help="sample, flat or both (default sample,flat)")
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
    args.rows = _names(args.rows, ROWS, "rows", parser)
    args.stores = _names(args.stores, tuple(CORPORA), "stores", parser)
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
    measured = {"doctor", "list", "show", "scan"} & set(args.rows)
    for corpus in args.stores:
        for size in sizes if measured else ():
            bench.size(corpus, size)
    # The hook and claims run against the largest store of real density (or the first kind).
    corpus = "sample" if "sample" in args.stores else args.stores[0]
    for name, job in (("staged", bench.staged), ("claims", bench.claims)):
        if name in args.rows:
            try:
                job(corpus, max(sizes))
            except (BenchError, subprocess.CalledProcessError) as exc:
                bench._fail(name, exc)
    if "help" in args.rows:
        bench.help()
    t.judge(bench.rows)
    text = t.table(bench.rows)
    print()
    print(text)
    load = " ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"\nload average at the start: {start_load}; at the end: {load}")
    if args.json:
        data = {
            "machine": info,
            "runs": args.runs,
            "load_average": {"start": start_load, "end": load},
            "rows": [t.as_json(r) for r in bench.rows],
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 1 if bench.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
