"""Stress test of SPEC 11: the long version of tests/reliability/test_races.py, test_crashes.py and
test_fuzz.py. Prints what it did and how many failures it saw (exit 1 if any).

    python bench/stress.py                  # 32 x 200 claim rounds, 8 x 250 sessions,
                                            # 500 random kills, 40 launches under signals,
                                            # 30 rounds of repeated launches,
                                            # 2,000 examples per parser
    python bench/stress.py --quick          # a few of each (a smoke run)
    python bench/stress.py --rounds 50 --kills 100 --examples 500 --shape-scale 2

The hostile sizes run every adversarial shape of tests/harness/shapes.py, ten times the
size the tests use, and count doctor's steps (bench/shapes.py times them).

Everything runs in a temporary folder (workspace, data dir, HOME); nothing else is
touched. The claim race, the session writers and the kills are real processes: each
worker imports yoi-ticket once and forks a fresh child per command (see
tests/harness/workers.py).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

TESTS = Path(__file__).resolve().parents[1] / "tests"


def load(name: str, path: Path) -> ModuleType:
    """Import the module at ``path`` (a package when it is an ``__init__.py``) as ``name``,
    without putting tests/ on sys.path (where its modules could shadow real ones)."""
    folder = [str(path.parent)] if path.name == "__init__.py" else None
    spec = importlib.util.spec_from_file_location(name, path, submodule_search_locations=folder)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


load("harness", TESTS / "harness" / "__init__.py")  # then `import harness.<module>` works


@dataclass
class Section:
    name: str
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_section(name: str, body: Callable[[Section], None]) -> Section:
    section = Section(name)
    started = time.monotonic()
    try:
        body(section)
    except Exception as exc:  # a crash of the harness is a failure too
        section.failures.append(f"{type(exc).__name__}: {exc}")
    section.seconds = time.monotonic() - started
    counts = ", ".join(f"{key} {value:,}" for key, value in section.counts.items())
    print(
        f"{name:<28} {counts}; failures {len(section.failures)} ({section.seconds:.0f} s)",
        flush=True,
    )
    for failure in section.failures[:10]:
        print(f"    {failure}", flush=True)
    return section


def fresh_overlay(root: Path, name: str) -> Any:
    from harness.overlay import small_workspace
    from yoi_ticket.overlay.folder import Overlay
    from yoi_ticket.overlay.locations import Locations

    data = root / f"data-{name}"
    return Overlay.for_workspace(small_workspace(root, name), Locations(data, data / "run"))


def claim_race(root: Path, racers: int, rounds: int) -> Callable[[Section], None]:
    def body(section: Section) -> None:
        from harness.checks import history
        from harness.overlay import TICKETS
        from harness.reliability import claim_race
        from harness.workers import Gang

        overlay = fresh_overlay(root, "race")
        gang = Gang(root / "gang-race", racers)
        try:
            report = claim_race(gang, overlay, TICKETS[0], rounds)
        finally:
            gang.close()
        section.counts = {
            "processes": racers,
            "rounds": report.rounds,
            "claim attempts": report.attempts,
        }
        section.failures = report.failures
        actions = [entry["action"] for entry in history(overlay)]
        if actions != ["claim", "release"] * rounds:
            section.failures.append(f"history: {len(actions)} lines, not {2 * rounds}")

    return body


def session_writers(root: Path, writers: int, per_writer: int) -> Callable[[Section], None]:
    def body(section: Section) -> None:
        from harness.reliability import session_writers
        from harness.workers import Gang

        overlay = fresh_overlay(root, "sessions")
        gang = Gang(root / "gang-sessions", writers)
        try:
            report = session_writers(gang, overlay, per_writer)
        finally:
            gang.close()
        section.counts = {"processes": writers, "sessions recorded": report.attempts}
        section.failures = report.failures

    return body


def interleaved(root: Path, players: int, steps: int, seed: int) -> Callable[[Section], None]:
    def body(section: Section) -> None:
        from harness.overlay import TICKETS
        from harness.reliability import interleaved_claims
        from harness.workers import Gang

        overlay = fresh_overlay(root, "interleaved")
        gang = Gang(root / "gang-interleaved", players + 1)
        try:
            report = interleaved_claims(gang, overlay, TICKETS[:3], steps, seed)
        finally:
            gang.close()
        section.counts = {
            "processes": players,
            "operations": report.attempts,
            "concurrent claim reads": report.reads,
        }
        section.failures = report.failures

    return body


def random_kills(root: Path, kills: int, seed: int) -> Callable[[Section], None]:
    def body(section: Section) -> None:
        from harness.overlay import TICKETS
        from harness.reliability import random_kills
        from harness.workers import Worker

        overlay = fresh_overlay(root, "kills")
        worker = Worker(root / "kills", "killer")
        try:
            report = random_kills(worker, overlay, TICKETS[0], kills, seed, doctor_every=5)
        finally:
            worker.close()
        section.counts = {
            "commands": report.attempts,
            "SIGKILLed": report.killed,
            **{f"in {name}": n for name, n in sorted(report.kills.items())},
            "doctor + --fix checks": report.doctor_checks,
        }
        section.failures = report.failures

    return body


# --- launches: signals, orphaned commands, repeated launches ------------------------------


def launch_signals(root: Path, rounds: int, seed: int) -> Callable[[Section], None]:
    def body(section: Section) -> None:
        from harness.launch_scenarios import launches_under_signals
        from harness.overlay import TICKETS

        overlay = fresh_overlay(root, "launch-signals")
        report = launches_under_signals(overlay, TICKETS[0], root / "launch-signals", rounds, seed)
        section.counts = {"launches": report.rounds, **report.counts}
        section.failures = report.failures

    return body


def repeated_launches(root: Path, rounds: int) -> Callable[[Section], None]:
    def body(section: Section) -> None:
        from harness.launch_scenarios import repeated_launches
        from harness.overlay import TICKETS
        from harness.workers import Gang

        overlay = fresh_overlay(root, "launch-repeat")
        gang = Gang(root / "gang-launch-repeat", 2)
        try:
            report = repeated_launches(gang, overlay, TICKETS[0], root / "launch-repeat", rounds)
        finally:
            gang.close()
        section.counts = {"rounds": report.rounds, **report.counts}
        section.failures = report.failures

    return body


def fuzz(examples: int, module: str = "test_fuzz") -> Callable[[Section], None]:
    def body(section: Section) -> None:
        os.environ["YOI_FUZZ_EXAMPLES"] = str(examples)  # read when the module is imported
        test_fuzz = load(module, TESTS / "reliability" / f"{module}.py")

        counted = 0
        properties = 0
        for name in sorted(dir(test_fuzz)):
            test = getattr(test_fuzz, name)
            if not name.startswith("test_") or not hasattr(test, "hypothesis"):
                continue
            properties += 1
            inner = test.hypothesis.inner_test
            seen = [0]

            def counting(
                *args: Any, _inner: Any = inner, _seen: list[int] = seen, **kw: Any
            ) -> Any:
                _seen[0] += 1
                return _inner(*args, **kw)

            test.hypothesis.inner_test = counting
            try:
                test()
            except Exception as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                section.failures.append(f"{name}: {type(exc).__name__}: {first}")
            finally:
                test.hypothesis.inner_test = inner
            counted += seen[0]
        section.counts = {"properties": properties, "examples": counted}

    return body


# --- hostile sizes (docs/reliability.md, "Hostile sizes") -----------------------------


def hostile_sizes(root: Path, scale: int) -> Callable[[Section], None]:
    """Every adversarial shape of tests/harness/shapes.py at ``scale`` times the size the
    test suite checks and at eight times that: doctor's steps grow at most nine-fold."""

    def body(section: Section) -> None:
        from harness.shapes import SHAPES, TooManySteps, linear_steps

        steps = 0
        for name in SHAPES:
            folder = root / "shapes" / name.replace(" ", "-")
            try:
                small, large = linear_steps(folder, name, scale)
            except TooManySteps as exc:
                section.failures.append(f"{name}: {exc} at eight times the size")
            else:
                steps += small + large
            shutil.rmtree(folder, ignore_errors=True)
        section.counts = {"shapes": len(SHAPES), "scale": scale, "steps counted": steps}

    return body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--racers", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--sessions", type=int, default=250, help="per writer")
    parser.add_argument("--players", type=int, default=8, help="interleaved claimers")
    parser.add_argument("--steps", type=int, default=200, help="operations per player")
    parser.add_argument("--kills", type=int, default=500)
    parser.add_argument("--examples", type=int, default=2000, help="per fuzzed property")
    parser.add_argument("--launch-rounds", type=int, default=40, help="launches under signals")
    parser.add_argument("--repeat-rounds", type=int, default=30, help="repeated launches")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--shape-scale", type=int, default=10, help="hostile sizes, x the tests")
    parser.add_argument("--quick", action="store_true", help="a few of each")
    args = parser.parse_args(argv)
    if args.quick:
        args.racers, args.rounds, args.writers, args.sessions = 4, 2, 2, 3
        args.players, args.steps, args.kills, args.examples = 2, 5, 5, 5
        args.shape_scale = 1
        args.launch_rounds, args.repeat_rounds = 2, 2

    root = Path(tempfile.mkdtemp(prefix="yoi-stress-"))
    home = root / "home"
    home.mkdir()
    os.environ.update({"HOME": str(home), "YOI_HOME": str(home / "yoi")})
    for name in ("YOI_DATA_DIR", "YOI_RUNTIME_DIR", "YOI_WORKSPACE", "YOI_FAULT"):
        os.environ.pop(name, None)
    print(f"yoi-ticket stress test (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    started = time.monotonic()
    try:
        sections = [
            run_section("claim race", claim_race(root, args.racers, args.rounds)),
            run_section("session writers", session_writers(root, args.writers, args.sessions)),
            run_section(
                "claim/release/reclaim mix", interleaved(root, args.players, args.steps, args.seed)
            ),
            run_section("SIGKILL at random moments", random_kills(root, args.kills, args.seed)),
            run_section(
                "launch under signals", launch_signals(root, args.launch_rounds, args.seed)
            ),
            run_section("repeated launches", repeated_launches(root, args.repeat_rounds)),
            run_section("fuzzed parsers", fuzz(args.examples)),
            run_section("fuzzed linear scanners", fuzz(args.examples, "test_fuzz_scanners")),
            run_section("hostile sizes", hostile_sizes(root, args.shape_scale)),
        ]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    failures = sum(len(section.failures) for section in sections)
    print(f"total failures: {failures} ({time.monotonic() - started:.0f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
