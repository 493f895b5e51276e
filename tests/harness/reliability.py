"""Process harness and overlay checks shared by the reliability tests and bench/stress.py.

* :class:`Worker`: a Python process that has imported yoi-ticket once and then runs
  each job it is sent in a freshly forked child (the CLI, or a snippet of Python).
  The child may wait at a gate (so that many of them start together) and may be
  set to SIGKILL itself after a delay (a crash at a random moment).
* :func:`claim_race`, :func:`session_writers`, :func:`interleaved_claims`: the
  concurrency scenarios of SPEC 11, returning what went wrong as text.
* :func:`check_overlay`: every overlay file parses as its record, file names match
  their content, modes are private, no lock is held.

Everything returns a list of failures (empty when all is well) so that tests can
assert on it and the stress script can count it.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yoi_ticket.files import atomicfile, locking
from yoi_ticket.overlay.claims import release
from yoi_ticket.overlay.folder import (
    HISTORY_FILE,
    SESSIONS_FILE,
    WORKSPACE_FILE,
    Overlay,
    encoded_name,
)
from yoi_ticket.overlay.records import (
    PendingLaunch,
    RecordError,
    RoleSessionsFile,
    TicketClaim,
    WorkspaceRecord,
    read_record,
)
from yoi_ticket.overlay.sessions import list_sessions

TESTS_DIR = Path(__file__).resolve().parent
SRC_DIR = TESTS_DIR.parent / "src"

# A worker: imports once, then for every job line on stdin forks a child that runs it.
WORKER = r"""
import importlib, json, os, sys, threading, time, traceback
import yoi_ticket.cli.app, yoi_ticket.files.faults, yoi_ticket.store.reader
import yoi_ticket.overlay.claims, yoi_ticket.overlay.launch, yoi_ticket.overlay.sessions
import yoi_ticket.overlay.folder, yoi_ticket.overlay.pending, yoi_ticket.overlay.pods
import yoi_ticket.overlay.locations, yoi_ticket.overlay.records

results = sys.argv[1]

def run(job):
    if "argv" in job:
        sys.argv = ["yoi-ticket", *job["argv"]]
        try:
            yoi_ticket.cli.app.ticket_main()
        except SystemExit as exc:
            code = exc.code
            return code if isinstance(code, int) else (0 if code is None else 1)
        return 0
    try:
        exec(job["code"], {"args": job.get("args")})
    except BaseException:
        traceback.print_exc()
        return 99
    return 0

def child(job, tag):
    out = os.open(os.path.join(results, tag + ".out"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    err = os.open(os.path.join(results, tag + ".err"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.environ.update(job.get("env", {}))
    if job.get("umask") is not None:
        os.umask(job["umask"])
    if job.get("fault"):  # fault points read YOI_FAULT when their module is loaded
        os.environ["YOI_FAULT"] = job["fault"]
        importlib.reload(yoi_ticket.files.faults)
    if job.get("ready"):
        open(job["ready"], "w").close()
    gate = job.get("gate")
    while gate and not os.path.exists(gate):
        time.sleep(0.0005)
    if job.get("kill_after") is not None:
        timer = threading.Timer(job["kill_after"], os.kill, (os.getpid(), 9))
        timer.daemon = True
        timer.start()
    code = run(job)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

while True:
    line = sys.stdin.readline()
    if not line:
        break
    job = json.loads(line)
    tag = job["tag"]
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        child(job, tag)
    with open(os.path.join(results, tag + ".pid"), "w") as f:
        f.write(str(pid))
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    def text(suffix):
        with open(os.path.join(results, tag + suffix), encoding="utf-8", errors="replace") as f:
            return f.read()
    result = {"rc": code, "out": text(".out"), "err": text(".err"), "pid": pid,
              "elapsed": time.monotonic() - started}
    with open(os.path.join(results, tag + ".json.tmp"), "w") as f:
        json.dump(result, f)
    os.replace(os.path.join(results, tag + ".json.tmp"), os.path.join(results, tag + ".json"))
"""


@dataclass(frozen=True)
class Result:
    rc: int
    out: str
    err: str
    pid: int
    elapsed: float


class Worker:
    """One pre-imported worker process; :meth:`submit` a job, then :meth:`wait` for it."""

    def __init__(self, workdir: Path, name: str, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.results = workdir / f"results-{name}"
        self.results.mkdir(parents=True)
        env = {**os.environ, **(env or {}), "PYTHONPATH": str(SRC_DIR)}
        env.pop("YOI_FAULT", None)
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(self.results)],
            stdin=subprocess.PIPE,
            text=True,
            env=env,
        )
        self._count = 0

    def submit(self, job: dict[str, Any]) -> str:
        self._count += 1
        tag = f"{self._count}"
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({**job, "tag": tag}) + "\n")
        self.process.stdin.flush()
        return tag

    def wait(self, tag: str, timeout: float = 120) -> Result:
        path = self.results / f"{tag}.json"
        deadline = time.monotonic() + timeout
        while not path.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                self._kill(tag)
                raise TimeoutError(f"worker {self.name}: job {tag} still running after {timeout} s")
            time.sleep(0.002)
        data = json.loads(path.read_text())
        for suffix in (".json", ".out", ".err", ".pid"):
            (self.results / f"{tag}{suffix}").unlink()
        return Result(**data)

    def _kill(self, tag: str) -> None:
        """SIGKILL the child running job ``tag`` (it hangs), so that the worker goes on."""
        try:
            os.kill(int((self.results / f"{tag}.pid").read_text()), signal.SIGKILL)
        except (OSError, ValueError):
            pass

    def run(self, job: dict[str, Any], timeout: float = 120) -> Result:
        return self.wait(self.submit(job), timeout)

    def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Gang:
    """Many workers started at once; :meth:`race` gives each a job behind one gate."""

    def __init__(self, workdir: Path, size: int) -> None:
        self.workdir = workdir
        self.workers = [Worker(workdir, f"w{index}") for index in range(size)]
        self._rounds = 0

    def race(self, jobs: Sequence[dict[str, Any]], timeout: float = 120) -> list[Result]:
        """Run ``jobs[i]`` on worker ``i``, all released together once all are ready."""
        self._rounds += 1
        gates = self.workdir / f"gates-{self._rounds}"
        gates.mkdir()
        gate = gates / "go"
        tags = [
            worker.submit({**job, "ready": str(gates / f"ready-{index}"), "gate": str(gate)})
            for index, (worker, job) in enumerate(zip(self.workers, jobs, strict=True))
        ]
        deadline = time.monotonic() + timeout
        while len(os.listdir(gates)) < len(tags):
            if time.monotonic() > deadline:
                raise TimeoutError("racers never got ready")
            time.sleep(0.002)
        gate.touch()
        return [worker.wait(tag, timeout) for worker, tag in zip(self.workers, tags, strict=True)]

    def close(self) -> None:
        for worker in self.workers:
            worker.close()


def cli_job(overlay: Overlay, *args: str) -> dict[str, Any]:
    """A job running ``yoi-ticket ARGS`` on ``overlay``'s workspace, data and runtime dirs."""
    argv = list(args)
    at = argv.index("--") if "--" in argv else len(argv)  # before a launch COMMAND
    argv[at:at] = ["-C", str(overlay.workspace)]
    return {"argv": argv, "env": overlay_env(overlay)}


def overlay_env(overlay: Overlay) -> dict[str, str]:
    return {
        "YOI_DATA_DIR": str(overlay.locations.data_dir),
        "YOI_RUNTIME_DIR": str(overlay.locations.runtime_dir),
    }


# --- overlay checks -----------------------------------------------------------------


def check_overlay(overlay: Overlay, *, locks_free: bool = True) -> list[str]:
    """Everything that is wrong with the overlay's files right now (empty when healthy).

    Temp files of interrupted writes are allowed (doctor reports them); anything
    else must parse as its record, and no lock may be held when ``locks_free``.
    """
    failures: list[str] = []
    if not overlay.root.exists():
        return failures
    for folder, dirs, files in os.walk(overlay.root):
        here = Path(folder)
        failures.extend(_mode_problems(here, atomicfile.DIR_MODE))
        for name in dirs:
            if (here / name).is_symlink():
                failures.append(f"{here / name}: a symlink in the overlay")
        for name in files:
            path = here / name
            failures.extend(_mode_problems(path, atomicfile.FILE_MODE))
            if atomicfile.temp_owner_pid(name) is not None:
                continue
            problem = _file_problem(overlay, path, locks_free=locks_free)
            if problem is not None:
                failures.append(problem)
    return failures


def _mode_problems(path: Path, wanted: int) -> list[str]:
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return [f"{path}: a symlink in the overlay"]
    mode = stat.S_IMODE(info.st_mode)
    return [] if mode == wanted else [f"{path}: mode {mode:o}, want {wanted:o}"]


def _file_problem(overlay: Overlay, path: Path, *, locks_free: bool) -> str | None:
    relative = path.relative_to(overlay.root)
    parts = relative.parts
    try:
        if parts == (WORKSPACE_FILE,):
            read_record(path, WorkspaceRecord)
        elif parts == (SESSIONS_FILE,):
            read_record(path, RoleSessionsFile)
        elif parts == (HISTORY_FILE,):
            for number, line in enumerate(path.read_text(encoding="utf-8").split("\n")[:-1]):
                if not isinstance(json.loads(line), dict):
                    return f"{path}:{number + 1}: not a JSON object"
        elif len(parts) == 2 and parts[0] == "ticket-claims" and path.suffix == ".json":
            claim = read_record(path, TicketClaim)
            if encoded_name(claim.ticket_id) != path.stem:
                return f"{path}: holds a claim on {claim.ticket_id}"
        elif len(parts) == 2 and parts[0] == "pending" and path.suffix == ".json":
            read_record(path, PendingLaunch)
        elif len(parts) == 2 and parts[0] == "locks" and path.suffix == ".lock":
            if locks_free and locking.is_held(path):
                return f"{path}: lock still held"
        else:
            return f"{path}: unexpected file in the overlay"
    except (RecordError, ValueError, OSError) as exc:
        return f"{path}: {exc}"
    return None


def held_locks(overlay: Overlay) -> list[str]:
    if not overlay.locks_dir.is_dir():
        return []
    return sorted(p.name for p in overlay.locks_dir.iterdir() if locking.is_held(p))


def temp_files(overlay: Overlay) -> list[Path]:
    return atomicfile.leftover_temp_files(overlay.root) if overlay.root.exists() else []


def history(overlay: Overlay) -> list[dict[str, Any]]:
    if not overlay.history_path.exists():
        return []
    return [json.loads(line) for line in overlay.history_path.read_text().splitlines()]


def claim_holders(overlay: Overlay) -> dict[str, str]:
    """``{ticket id: pod}`` straight from the claim files."""
    holders = {}
    if overlay.claims_dir.is_dir():
        for path in overlay.claims_dir.glob("*.json"):
            claim = read_record(path, TicketClaim)
            holders[claim.ticket_id] = claim.pod_name
    return holders


def replay_history(overlay: Overlay) -> list[str]:
    """Replay ``history.jsonl``: every change must start from the state the one before left,
    and the end state must be the claim files on disk."""
    failures: list[str] = []
    state: dict[str, str] = {}
    for number, entry in enumerate(history(overlay), start=1):
        ticket = entry["ticket_id"]
        old = entry["old"]["pod_name"] if entry["old"] else None
        new = entry["new"]["pod_name"] if entry["new"] else None
        if state.get(ticket) != old:
            failures.append(
                f"history line {number}: {entry['action']} of {ticket} from {old!r}"
                f" but {state.get(ticket)!r} held it"
            )
        if new is None:
            state.pop(ticket, None)
        else:
            state[ticket] = new
    on_disk = claim_holders(overlay)
    if state != on_disk:
        failures.append(f"history ends in {state}, claim files say {on_disk}")
    return failures


# --- scenarios --------------------------------------------------------------------


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


# --- doctor after a crash -------------------------------------------------------------

SAFE_LEFTOVERS = {"YT406": "dead pending launch", "YT407": "leftover temporary file"}
CLAIM_FINDINGS = {"YT401", "YT402"}  # true statements about stale or finished claims


def doctor_local(worker: Worker, overlay: Overlay, *extra: str) -> tuple[list[dict[str, Any]], str]:
    """YT4xx findings of ``doctor --format json`` (run by ``worker``) and its stderr."""
    result = worker.run(cli_job(overlay, "doctor", "--format", "json", "--select", "YT4", *extra))
    if result.rc not in (0, 1) or "Traceback" in result.err:
        raise AssertionError(f"doctor exit {result.rc}: {result.err}")
    diagnostics: list[dict[str, Any]] = json.loads(result.out)["diagnostics"]
    return diagnostics, result.err


def overlay_snapshot(overlay: Overlay) -> dict[str, bytes]:
    """The bytes of every claim file and of role-sessions.json."""
    files = sorted(overlay.claims_dir.glob("*.json")) if overlay.claims_dir.is_dir() else []
    if overlay.sessions_path.exists():
        files.append(overlay.sessions_path)
    return {str(path): path.read_bytes() for path in files}


def check_after_crash(worker: Worker, overlay: Overlay) -> list[str]:
    """After a process died mid-change: every file parses, no lock is held, doctor reports
    exactly the leftovers (temp files, dead pending records) and nothing it could not
    explain, ``--fix`` removes exactly those and leaves claims and sessions alone."""
    failures = check_overlay(overlay)
    diagnostics, _ = doctor_local(worker, overlay)
    codes = {d["code"] for d in diagnostics}
    unexplained = codes - set(SAFE_LEFTOVERS) - CLAIM_FINDINGS
    if unexplained:
        failures.append(f"doctor reports {sorted(unexplained)}: {diagnostics}")
    temps = {str(path) for path in temp_files(overlay)}
    dead = {str(p) for p in overlay.pending_dir.glob("*.json")} if overlay.exists() else set()
    reported = {
        code: {d["path"] for d in diagnostics if d["code"] == code} for code in SAFE_LEFTOVERS
    }
    if reported["YT407"] != temps:
        failures.append(f"temp files {sorted(temps)}, YT407 for {sorted(reported['YT407'])}")
    if reported["YT406"] != dead:
        failures.append(f"pending records {sorted(dead)}, YT406 for {sorted(reported['YT406'])}")
    before = overlay_snapshot(overlay)
    diagnostics, _ = doctor_local(worker, overlay, "--fix")
    left = [d for d in diagnostics if d["code"] in SAFE_LEFTOVERS]
    if left or temp_files(overlay) or (overlay.exists() and any(overlay.pending_dir.iterdir())):
        failures.append(f"--fix left {left} {temp_files(overlay)}")
    if overlay_snapshot(overlay) != before:
        failures.append("--fix changed a claim or the role sessions")
    return failures


def locks_free_now(overlay: Overlay) -> list[str]:
    """Each overlay lock can be taken at once (timeout 0)."""
    failures = []
    if overlay.locks_dir.is_dir():
        for path in sorted(overlay.locks_dir.iterdir()):
            lock = locking.try_hold(path, timeout=0)
            if lock is None:
                failures.append(f"{path.name} is still locked")
            else:
                lock.release()
    return failures


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
        report.failures.extend(f"{where}: {p}" for p in check_overlay(overlay))
        report.failures.extend(f"{where}: {p}" for p in locks_free_now(overlay))
        if number % doctor_every == doctor_every - 1 or number == count - 1:
            report.doctor_checks += 1
            report.failures.extend(f"{where}: {p}" for p in check_after_crash(worker, overlay))
    return report
