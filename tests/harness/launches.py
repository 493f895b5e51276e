"""Launches under signals: a Pod spawn command that says what happened to it, real
launchers started through the CLI, and yoi's Worker registry written as yoi writes it.

The spawn command (:data:`SPAWN`, run by :func:`spawn_command`) keeps a folder of its
own per ticket:

* ``running`` exists while a command runs; a command that finds it already there
  appends its pid to ``overlaps`` (two launch commands of one ticket at once);
* ``log`` gets ``start PID``, ``signal PID SIGNUM`` and ``end PID CODE`` lines.

On SIGINT, SIGTERM or SIGHUP it does what its mode says: ``exit0`` / ``exit3`` (the Pod
did / did not start: exit with that status), ``die`` (be killed by the signal) or
``ignore`` (carry on); it lingers ``linger`` seconds first, so that a second delivery of
the same signal is seen. Without a signal it runs ``seconds`` seconds (or until a file
``stop`` appears in its folder) and exits 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import Locations, pid_alive

SPAWN = r"""
import os, signal, sys, time
folder, mode, seconds, linger = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
me = os.getpid()

def log(line):
    with open(os.path.join(folder, "log"), "a") as out:
        out.write(line + "\n")

def end(code):
    try:
        os.unlink(os.path.join(folder, "running"))
    except FileNotFoundError:
        pass
    log(f"end {me} {code}")
    os._exit(code)

def caught(signum, frame):
    log(f"signal {me} {signum}")
    if mode == "ignore":
        return
    time.sleep(linger)
    if mode == "die":
        try:
            os.unlink(os.path.join(folder, "running"))
        except FileNotFoundError:
            pass
        log(f"end {me} {-signum}")
        signal.signal(signum, signal.SIG_DFL)
        os.kill(me, signum)
        time.sleep(5)
    end(int(mode[4:]))

try:
    os.close(os.open(os.path.join(folder, "running"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
except FileExistsError:
    with open(os.path.join(folder, "overlaps"), "a") as out:
        out.write(f"{me}\n")
for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(signum, caught)
log(f"start {me}")
deadline = time.monotonic() + seconds
while time.monotonic() < deadline and not os.path.exists(os.path.join(folder, "stop")):
    time.sleep(0.01)
end(0)
"""


def spawn_command(
    folder: Path, mode: str = "die", seconds: float = 60, linger: float = 0.0
) -> list[str]:
    """The command line of :data:`SPAWN` for ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [sys.executable, "-c", SPAWN, str(folder), mode, str(seconds), str(linger)]


def log_lines(folder: Path) -> list[list[str]]:
    path = folder / "log"
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def started(folder: Path) -> list[int]:
    """Pids of the spawn commands that started in ``folder``, in order."""
    return [int(line[1]) for line in log_lines(folder) if line[0] == "start"]


def signals_seen(folder: Path, pid: int) -> list[int]:
    return [int(line[2]) for line in log_lines(folder) if line[:2] == ["signal", str(pid)]]


def overlaps(folder: Path) -> list[str]:
    path = folder / "overlaps"
    return path.read_text().split() if path.exists() else []


def wait_until(check: Callable[[], object], timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what or check}"
        time.sleep(0.01)


def launch_env(overlay: Overlay) -> dict[str, str]:
    """The environment of a CLI process on ``overlay``'s data and runtime dirs."""
    return {
        **os.environ,
        "YOI_DATA_DIR": str(overlay.locations.data_dir),
        "YOI_RUNTIME_DIR": str(overlay.locations.runtime_dir),
    }


def launch_argv(
    overlay: Overlay, ticket: str, pod: str, command: Sequence[str], *extra: str
) -> list[str]:
    return [
        *(sys.executable, "-m", "yoi_ticket", "launch", ticket, "--pod", pod),
        *("--role", "coder", "-C", str(overlay.workspace), *extra, "--", *command),
    ]


def start_cli_launch(
    overlay: Overlay,
    ticket: str,
    pod: str,
    folder: Path,
    *extra: str,
    mode: str = "die",
    seconds: float = 60,
    linger: float = 0.0,
) -> subprocess.Popen[str]:
    """``yoi ticket launch`` of :data:`SPAWN` in a session of its own (so that a test can
    signal its process group); returns once the command runs and its pid is in the
    pending record. Its stderr goes to ``<folder>/launcher-<pid>.err`` (a pipe would stay
    open as long as the command it passes stderr on to runs): :func:`finish` reads it."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "launcher.err", "wb") as err:
        process = subprocess.Popen(
            launch_argv(overlay, ticket, pod, spawn_command(folder, mode, seconds, linger), *extra),
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
            env=launch_env(overlay),
        )
    (folder / "launcher.err").rename(folder / f"launcher-{process.pid}.err")
    pending = overlay.pending_path(ticket)

    def running() -> bool:
        assert process.poll() is None, (folder / f"launcher-{process.pid}.err").read_text()
        if not started(folder) or not pending.exists():
            return False
        try:
            return json.loads(pending.read_text()).get("command_pid") == started(folder)[-1]
        except ValueError:
            return False

    wait_until(running, what="the launch command to run")
    return process


def finish(process: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str]:
    """Wait for a launcher of :func:`start_cli_launch`: its exit status as a shell shows
    it, and its stderr."""
    code = process.wait(timeout=timeout)
    folder = Path(process.args[-4])  # type: ignore[index]  # spawn_command's folder
    err = (folder / f"launcher-{process.pid}.err").read_text()
    return (code if code >= 0 else 128 - code), err


def stop_command(pid: int) -> None:
    """Stop a spawn command a test left behind (SIGTERM: a ``die`` command cleans up; then
    SIGKILL) and wait until it is gone."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 5
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        if not pid_alive(pid):
            return
    raise AssertionError(f"pid {pid} still runs")


def pretty(data: object) -> bytes:
    """serde_json's ``to_string_pretty`` plus a newline, as yoi writes its tables."""
    return (json.dumps(data, indent=2) + "\n").encode()


def register_worker(locations: Locations, name: str, pid: int) -> None:
    """``<runtime>/workers.json`` listing one Worker, as yoi's allocation table writes it
    (UPSTREAM.md section 2, ``worker_allocation/table.rs``)."""
    entry = {
        "worker_name": name,
        "pid": pid,
        "socket": None,
        "scope_allow": [],
        "scope_deny": [],
        "delegated_from": None,
        "segment_id": None,
    }
    locations.runtime_dir.mkdir(parents=True, exist_ok=True)
    (locations.runtime_dir / "workers.json").write_bytes(pretty({"allocations": [entry]}))


def wait_for_launch_commands(overlay: Overlay, timeout: float = 10) -> None:
    """Wait (up to ``timeout`` s) until no pending lock is held: after a launcher was
    killed, the command it left running holds its lock until it ends."""
    from yoi_ticket.files import locking

    if not overlay.locks_dir.is_dir():
        return
    deadline = time.monotonic() + timeout
    while any(locking.is_held(path) for path in overlay.locks_dir.glob("pending-*.lock")):
        if time.monotonic() > deadline:
            return  # the checks that follow report the held lock
        time.sleep(0.01)
