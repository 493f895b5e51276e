"""The concurrency and crash scenarios of SPEC 11, shared by the reliability tests and
bench/stress.py: :func:`claim_race`, :func:`session_writers`,
:func:`interleaved_claims` and :func:`random_kills`. Each runs real processes
(:mod:`harness.workers`) and returns a report whose ``failures`` say, as text, what
went wrong (checked with :mod:`harness.checks`).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.checks import (
    check_after_crash,
    check_overlay,
    claim_holders,
    locks_free_now,
    replay_history,
    temp_files,
)
from harness.launches import wait_for_launch_commands
from harness.workers import Gang, Result, Worker, cli_job, overlay_env
from yoi_ticket.overlay.claims import release
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.sessions import list_sessions


@dataclass
class RaceReport:
    rounds: int = 0
    attempts: int = 0
    reads: int = 0  # claim files read by a concurrent reader
    failures: list[str] = field(default_factory=list)


def claim_race(gang: Gang, overlay: Overlay, ticket: str, rounds: int) -> RaceReport:
    """``rounds`` times: every worker claims ``ticket`` at once through the CLI; exactly one
    wins, every other exits 1 naming the winner; the winner then releases it."""
    report = RaceReport()
    for number in range(1, rounds + 1):
        jobs = [
            cli_job(overlay, "claim", ticket, "--pod", f"racer-{index}", "--role", "coder")
            for index in range(len(gang.workers))
        ]
        results = gang.race(jobs)
        report.rounds += 1
        report.attempts += len(results)
        report.failures.extend(_judge_round(number, overlay, ticket, results))
        holders = claim_holders(overlay)
        if ticket in holders:
            release(overlay, ticket, holders[ticket])
    return report


def _judge_round(number: int, overlay: Overlay, ticket: str, results: list[Result]) -> list[str]:
    failures = []
    winners = [index for index, result in enumerate(results) if result.rc == 0]
    if len(winners) != 1:
        return [f"round {number}: {len(winners)} winners: {[r.err for r in results]}"]
    winner = f"racer-{winners[0]}"
    for index, result in enumerate(results):
        if index == winners[0]:
            continue
        if result.rc != 1 or f"by Pod '{winner}'" not in result.err:
            failures.append(f"round {number}: racer-{index} exit {result.rc}: {result.err!r}")
        if "Traceback" in result.err:
            failures.append(f"round {number}: racer-{index} traceback: {result.err}")
    holders = claim_holders(overlay)
    if holders.get(ticket) != winner:
        failures.append(f"round {number}: claim file names {holders.get(ticket)}, not {winner}")
    leftovers = temp_files(overlay)
    if leftovers:
        failures.append(f"round {number}: temp files left: {leftovers}")
    failures.extend(f"round {number}: {problem}" for problem in check_overlay(overlay))
    return failures


SESSION_WRITER = """
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.sessions import link_tickets, record_session
workspace, writer, count = args
overlay = Overlay.for_workspace(workspace)
for index in range(count):
    record_session(overlay, f"pod-{writer}-{index}", "coder", tickets=[f"T-{writer}-{index}"])
    link_tickets(overlay, "shared", [f"S-{writer}-{index}"])
"""


def session_writers(gang: Gang, overlay: Overlay, per_writer: int) -> RaceReport:
    """Every worker records ``per_writer`` sessions and links as many tickets to one shared
    session, all at once; afterwards every one of them is there."""
    from yoi_ticket.overlay.sessions import record_session

    record_session(overlay, "shared", "coder")
    jobs = [
        {
            "code": SESSION_WRITER,
            "args": [str(overlay.workspace), index, per_writer],
            "env": overlay_env(overlay),
        }
        for index in range(len(gang.workers))
    ]
    results = gang.race(jobs, timeout=600)
    report = RaceReport(rounds=1, attempts=len(jobs) * per_writer)
    for index, result in enumerate(results):
        if result.rc != 0:
            report.failures.append(f"writer {index} exit {result.rc}: {result.err}")
    listing = list_sessions(overlay)
    if listing.error:
        report.failures.append(listing.error)
    sessions = {session.pod_name: session for session in listing.sessions}
    shared = sessions.pop("shared", None)
    expected = {f"pod-{w}-{i}" for w in range(len(jobs)) for i in range(per_writer)}
    missing = expected - set(sessions)
    if missing:
        report.failures.append(f"{len(missing)} sessions lost, e.g. {sorted(missing)[:3]}")
    for name, session in sessions.items():
        writer, index = name.split("-")[1:]
        if [ref.id for ref in session.related_tickets] != [f"T-{writer}-{index}"]:
            report.failures.append(f"{name}: related tickets {session.related_tickets}")
    linked = {ref.id for ref in shared.related_tickets} if shared else set()
    wanted = {f"S-{w}-{i}" for w in range(len(jobs)) for i in range(per_writer)}
    if linked != wanted:
        report.failures.append(f"shared session lost {len(wanted - linked)} linked tickets")
    report.failures.extend(check_overlay(overlay))
    return report


INTERLEAVED = """
import random
from yoi_ticket.overlay.claims import claim, reclaim, release
from yoi_ticket.errors import RefusedError
from yoi_ticket.overlay.folder import Overlay
workspace, me, tickets, steps, seed = args
overlay = Overlay.for_workspace(workspace)
rng = random.Random(seed)
done = {"claim": 0, "release": 0, "reclaim": 0, "refused": 0}
for _ in range(steps):
    ticket = rng.choice(tickets)
    action = rng.choice(("claim", "claim", "release", "release", "reclaim"))
    try:
        if action == "claim":
            claim(overlay, ticket, me, "coder")
        elif action == "release":
            release(overlay, ticket, me, force=rng.random() < 0.3)
        else:
            reclaim(overlay, ticket, me, "coder")
        done[action] += 1
    except RefusedError:
        done["refused"] += 1
print(done)
"""

WATCHER = """
import json, os, pathlib
from yoi_ticket.overlay.records import TicketClaim, read_record
claims_dir, stop = args
seen = bad = 0
while not os.path.exists(stop):
    for name in os.listdir(claims_dir):
        if name.startswith(".tmp-"):
            continue
        try:
            read_record(pathlib.Path(claims_dir, name), TicketClaim)
            seen += 1
        except FileNotFoundError:
            pass
        except Exception as exc:
            bad += 1
            print("BAD", name, exc)
print(json.dumps({"seen": seen, "bad": bad}))
"""


def interleaved_claims(
    gang: Gang, overlay: Overlay, tickets: Sequence[str], steps: int, seed: int
) -> RaceReport:
    """All workers but the last claim, release and reclaim a few tickets at random while
    the last one reads every claim file over and over; then the history is replayed."""
    from yoi_ticket.overlay.folder import Overlay as _Overlay

    assert isinstance(overlay, _Overlay)
    overlay.ensure()
    stop = gang.workdir / f"stop-{seed}"
    players = len(gang.workers) - 1
    jobs: list[dict[str, Any]] = [
        {
            "code": INTERLEAVED,
            "args": [str(overlay.workspace), f"pod-{index}", list(tickets), steps, seed + index],
            "env": overlay_env(overlay),
        }
        for index in range(players)
    ]
    jobs.append({"code": WATCHER, "args": [str(overlay.claims_dir), str(stop)]})
    gates = gang.workdir / f"gates-interleaved-{seed}"
    gates.mkdir()
    tags = [
        worker.submit({**job, "ready": str(gates / f"r{index}"), "gate": str(gates / "go")})
        for index, (worker, job) in enumerate(zip(gang.workers, jobs, strict=True))
    ]
    while len(os.listdir(gates)) < len(tags):
        time.sleep(0.002)
    (gates / "go").touch()
    results = [gang.workers[index].wait(tags[index], 600) for index in range(players)]
    stop.touch()
    watcher = gang.workers[-1].wait(tags[-1], 60)
    report = RaceReport(rounds=1, attempts=players * steps)
    for index, result in enumerate(results):
        if result.rc != 0:
            report.failures.append(f"player {index} exit {result.rc}: {result.err}")
    seen = json.loads(watcher.out.splitlines()[-1]) if watcher.rc == 0 else {}
    if seen.get("bad") != 0 or not seen.get("seen"):
        report.failures.append(f"watcher: {watcher.out} {watcher.err}")
    report.reads = seen.get("seen", 0)
    report.failures.extend(replay_history(overlay))
    report.failures.extend(check_overlay(overlay))
    if temp_files(overlay):
        report.failures.append(f"temp files left: {temp_files(overlay)}")
    return report


# --- kills at random moments ----------------------------------------------------------

KILLED = -signal.SIGKILL
RANDOM_OPS = (
    ("claim", "{ticket}", "--pod", "{pod}", "--role", "coder"),
    ("release", "{ticket}", "--pod", "{pod}", "--force"),
    ("reclaim", "{ticket}", "--pod", "{pod}", "--role", "coder"),
    ("session", "record", "--pod", "{pod}", "--role", "coder", "--ticket", "{ticket}"),
    ("launch", "{ticket}", "--pod", "{pod}", "--role", "coder", "--", "true"),
)


@dataclass
class KillReport:
    attempts: int = 0
    kills: dict[str, int] = field(default_factory=dict)  # per command
    doctor_checks: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def killed(self) -> int:
        return sum(self.kills.values())


def random_kills(
    worker: Worker, overlay: Overlay, ticket: str, count: int, seed: int, doctor_every: int = 4
) -> KillReport:
    """``count`` commands, each SIGKILLed after a random delay within its usual run time;
    after each: every file parses and no lock is held; every ``doctor_every`` kills (and at
    the end): :func:`check_after_crash`."""
    import random

    rng = random.Random(seed)
    report = KillReport()

    def command(op: Sequence[str], pod: str) -> list[str]:
        return [part.format(ticket=ticket, pod=pod) for part in op]

    durations = {
        op[0]: worker.run(cli_job(overlay, *command(op, "calibrate"))).elapsed for op in RANDOM_OPS
    }
    for number in range(count):
        op = RANDOM_OPS[number % len(RANDOM_OPS)]
        args = command(op, f"p{rng.randrange(3)}")
        job = {**cli_job(overlay, *args), "kill_after": rng.uniform(0, durations[op[0]])}
        result = worker.run(job)
        report.attempts += 1
        where = f"kill {number} ({' '.join(args)})"
        if result.rc not in (0, 1, KILLED) or "Traceback" in result.err:
            report.failures.append(f"{where}: exit {result.rc}: {result.err}")
        if result.rc == KILLED:
            report.kills[op[0]] = report.kills.get(op[0], 0) + 1
            wait_for_launch_commands(overlay)  # a killed launcher's command ends on its own
        report.failures.extend(f"{where}: {p}" for p in check_overlay(overlay))
        report.failures.extend(f"{where}: {p}" for p in locks_free_now(overlay))
        if number % doctor_every == doctor_every - 1 or number == count - 1:
            report.doctor_checks += 1
            report.failures.extend(f"{where}: {p}" for p in check_after_crash(worker, overlay))
    return report
