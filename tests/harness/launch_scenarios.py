"""Launch stress scenarios, shared by tests/reliability/test_launch_stress.py and
bench/stress.py: :func:`launches_under_signals` and :func:`repeated_launches`. Each runs
real processes and returns a report whose ``failures`` say, as text, what went wrong.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.checks import check_overlay
from harness.launches import (
    finish,
    launch_argv,
    launch_env,
    overlaps,
    spawn_command,
    start_cli_launch,
    started,
    wait_for_launch_commands,
    wait_until,
)
from harness.workers import Gang, cli_job
from yoi_ticket.overlay.claims import read_claim, release
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import pid_alive

SIGNALS = ("SIGTERM", "SIGHUP", "SIGINT to the group", "SIGKILL")
MODES = ("die", "exit0", "exit3", "ignore")  # what the command does with the signal
OUTCOMES = (
    "exit 0 with the claim",
    "non-zero, nothing claimed",
    "orphaned launches",
    "second launch refused while a command ran",
)


@dataclass
class LaunchReport:
    rounds: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1


def _send(launcher: subprocess.Popen[str], how: str) -> int:
    if how == "SIGINT to the group":
        os.killpg(launcher.pid, signal.SIGINT)
        return signal.SIGINT
    signum = int(getattr(signal, how))
    os.kill(launcher.pid, signum)
    return signum


def _doctor_codes(overlay: Overlay, *extra: str) -> list[str]:
    argv = [sys.executable, "-m", "yoi_ticket", "doctor", "--format", "json", "--select", "YT4"]
    done = subprocess.run(
        [*argv, "-C", str(overlay.workspace), *extra],
        capture_output=True,
        text=True,
        env=launch_env(overlay),
        timeout=120,
    )
    if done.returncode not in (0, 1):
        return [f"doctor exit {done.returncode}: {done.stderr}"]
    return [d["code"] for d in json.loads(done.stdout)["diagnostics"]]


def _expected_status(mode: str, signum: int) -> int:
    return {"die": 128 + signum, "exit0": 0, "exit3": 3, "ignore": 0}[mode]


def launches_under_signals(
    overlay: Overlay, ticket: str, root: Path, rounds: int, seed: int
) -> LaunchReport:
    """``rounds`` launches of Pod ``a``, each sent SIGTERM, SIGHUP, SIGINT (to its process
    group) or SIGKILL (in turn) at a random moment while its command runs, the command
    reacting in a random way (dies, exits 0 or 3, carries on); right after the signal a
    launch of Pod ``b`` is tried. Never two commands at once; the launcher exits 0 exactly
    when the claim is written; a killed launcher's command keeps the ticket locked
    (doctor: YT417, kept by --fix) and is never claimed."""
    rng = random.Random(seed)
    report = LaunchReport()
    for key in (*SIGNALS, *OUTCOMES):
        report.counts[key] = 0
    for number in range(rounds):
        how, mode = SIGNALS[number % len(SIGNALS)], rng.choice(MODES)
        where = f"round {number} ({how}, command {mode})"
        folder = root / f"signals-{number}"
        report.failures.extend(
            f"{where}: {p}" for p in _signal_round(overlay, ticket, folder, how, mode, rng, report)
        )
        report.rounds += 1
        report.count(how)
    return report


def _signal_round(
    overlay: Overlay,
    ticket: str,
    folder: Path,
    how: str,
    mode: str,
    rng: random.Random,
    report: LaunchReport,
) -> list[str]:
    failures: list[str] = []
    launcher = start_cli_launch(overlay, ticket, "a", folder, mode=mode, linger=rng.uniform(0, 0.1))
    (command,) = started(folder)
    time.sleep(rng.uniform(0, 0.2))
    signum = _send(launcher, how)
    runs_on = how == "SIGKILL" or mode == "ignore"
    if how == "SIGKILL":
        finish(launcher)
    with open(folder / "second.err", "wb") as err:
        second = subprocess.Popen(
            launch_argv(overlay, ticket, "b", spawn_command(folder, seconds=0)),
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=launch_env(overlay),
        )
    if runs_on:  # the first command still runs: the second launch must wait its turn
        if second.wait(timeout=120) != 1:
            failures.append(f"second launch exit {second.returncode} while the first ran")
        else:
            report.count("second launch refused while a command ran")
        if how == "SIGKILL":
            codes = _doctor_codes(overlay)
            fixed = _doctor_codes(overlay, "--fix")
            if codes != ["YT417"] or fixed != ["YT417"]:
                failures.append(f"doctor {codes}, after --fix {fixed}: want YT417 kept")
        (folder / "stop").touch()
    status = 128 + signal.SIGKILL if how == "SIGKILL" else finish(launcher)[0]
    wait_until(lambda: not pid_alive(command), 30, f"command {command} to end")
    second.wait(timeout=120)
    wait_for_launch_commands(overlay)
    claim = read_claim(overlay, ticket)
    holder = claim.pod_name if claim is not None else None
    if how == "SIGKILL":
        if holder == "a":
            failures.append("a killed launcher's command was claimed")
        report.count("orphaned launches")
    else:
        if status != _expected_status(mode, signum):
            failures.append(f"launcher exit {status}")
        if (status == 0) != (holder == "a"):
            failures.append(f"launcher exit {status} with claim {holder!r}")
        report.count("exit 0 with the claim" if status == 0 else "non-zero, nothing claimed")
    if overlaps(folder):
        failures.append(f"two launch commands at once: {overlaps(folder)}")
    failures.extend(_clean_up(overlay, ticket))
    return failures


def _clean_up(overlay: Overlay, ticket: str) -> list[str]:
    """Release the round's claim, remove dead pending records: the next round starts clean."""
    claim = read_claim(overlay, ticket)
    if claim is not None:
        release(overlay, ticket, claim.pod_name, force=True)
    codes = _doctor_codes(overlay, "--fix") if any(overlay.pending_dir.glob("*.json")) else []
    failures = [f"after --fix doctor reports {codes}"] if codes else []
    return failures + check_overlay(overlay)


def repeated_launches(
    gang: Gang, overlay: Overlay, ticket: str, root: Path, rounds: int
) -> LaunchReport:
    """``rounds`` times: two launches of Pod ``a`` at once, whose command exits 0 at once
    (its Pod has not registered), then the same launch again a moment later: the Pod is
    spawned exactly once per round (one launch at a time; the claim is ``starting``, never
    stale)."""
    report = LaunchReport()
    for number in range(rounds):
        folder = root / f"repeat-{number}"
        command = spawn_command(folder, seconds=0)
        job = cli_job(overlay, "launch", ticket, "--pod", "a", "--role", "coder", "--", *command)
        racing = gang.race([job, job])
        again = gang.workers[0].run(job)
        results = [*racing, again]
        codes = [*sorted(result.rc for result in racing), again.rc]
        spawns = len(started(folder))
        report.rounds += 1
        report.counts["launches"] = report.counts.get("launches", 0) + len(results)
        report.counts["spawns"] = report.counts.get("spawns", 0) + spawns
        if codes != [0, 1, 1] or spawns != 1:
            errors = [result.err.strip() for result in results]
            report.failures.append(f"round {number}: exits {codes}, {spawns} spawns: {errors}")
        if "status starting" not in again.err:
            report.failures.append(f"round {number}: the launch a moment later: {again.err}")
        claim = read_claim(overlay, ticket)
        if claim is None or claim.starting_until is None:
            report.failures.append(f"round {number}: claim {claim}")
        else:
            release(overlay, ticket, claim.pod_name)
    report.failures.extend(check_overlay(overlay))
    return report
