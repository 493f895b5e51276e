"""A launch under signals (SPEC 7.3): real launchers started through the CLI, real
commands, real signals. At most one launch command per ticket runs at any moment,
whatever happens to the launcher; the launcher passes SIGINT, SIGTERM and SIGHUP on
and never exits 0 without the claim."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli import run
from harness.launches import (
    finish,
    launch_argv,
    overlaps,
    signals_seen,
    spawn_command,
    start_cli_launch,
    started,
    stop_command,
    wait_until,
)
from harness.overlay import TICKETS
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.files import faults
from yoi_ticket.overlay import pending
from yoi_ticket.overlay.claims import read_claim
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import pid_alive

TICKET = TICKETS[0]


def second_launch(overlay: Overlay, folder: Path) -> subprocess.CompletedProcess[str]:
    """``launch TICKET --pod b`` of a spawn command that stops at once."""
    return subprocess.run(
        launch_argv(overlay, TICKET, "b", spawn_command(folder, seconds=0)),
        capture_output=True,
        text=True,
        timeout=60,
    )


def yt4(overlay: Overlay, *, fix: bool = False) -> list[tuple[str, str]]:
    report = run_doctor(overlay.workspace, DoctorOptions(select=("YT4",), fix=fix))
    return [(d.code, d.message) for d in report.diagnostics]


def test_a_launcher_killed_with_sigkill_keeps_the_ticket_locked_while_its_command_runs(
    overlay: Overlay, tmp_path: Path
) -> None:
    """Regression: the OS freed the pending lock with the launcher, doctor --fix removed
    the record while the command ran, and a second launch ran its command beside it."""
    folder = tmp_path / "spawns"
    launcher = start_cli_launch(overlay, TICKET, "a", folder)
    (command,) = started(folder)
    os.kill(launcher.pid, signal.SIGKILL)
    assert finish(launcher)[0] == 128 + signal.SIGKILL
    try:
        assert pid_alive(command)
        (entry,) = pending.list_pending(overlay)
        assert entry.alive and entry.orphaned
        assert entry.record is not None and entry.record.command_pid == command

        refused = second_launch(overlay, folder)
        assert refused.returncode == 1, refused.stderr
        assert refused.stderr.splitlines()[0] == (
            f"error: ticket {TICKET} has an orphaned launch by Pod 'a' (role coder): its"
            f" launcher (pid {launcher.pid}) is gone, its command (pid {command}) still runs"
        )
        claimed = run(overlay.workspace, "claim", TICKET, "--pod", "b", "--role", "coder")
        assert claimed.exit_code == 1 and "orphaned launch" in claimed.output
        assert started(folder) == [command]  # b's command never ran

        findings = yt4(overlay)
        assert [code for code, _ in findings] == ["YT417"]
        assert f"launcher (pid {launcher.pid}) is gone" in findings[0][1]
        assert f"its command (pid {command}) still runs" in findings[0][1]
        assert [code for code, _ in yt4(overlay, fix=True)] == ["YT417"]
        assert overlay.pending_path(TICKET).exists()  # --fix never removes it
    finally:
        stop_command(command)

    assert [code for code, _ in yt4(overlay)] == ["YT406"]  # now dead: both are gone
    assert yt4(overlay, fix=True) == []
    assert second_launch(overlay, folder).returncode == 0
    assert read_claim(overlay, TICKET) is not None
    assert overlaps(folder) == []


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name
)
def test_a_signal_to_the_launcher_reaches_its_command_and_the_launch_ends_with_it(
    overlay: Overlay, tmp_path: Path, signum: int
) -> None:
    folder = tmp_path / "spawns"
    launcher = start_cli_launch(overlay, TICKET, "a", folder, mode="die")
    (command,) = started(folder)
    os.kill(launcher.pid, signum)
    status, err = finish(launcher)

    assert status == 128 + signum
    assert signals_seen(folder, command) == [signum]  # passed on once
    assert not pid_alive(command)
    assert read_claim(overlay, TICKET) is None
    assert pending.list_pending(overlay) == []
    name = signal.Signals(signum).name
    assert err == (
        f"launch: {name} received while the command ran; the command exited with status"
        f" {128 + signum}: nothing claimed\n"
    )
    assert overlaps(folder) == []


def test_the_launcher_waits_for_a_command_that_carries_on_and_no_launch_runs_beside_it(
    overlay: Overlay, tmp_path: Path
) -> None:
    folder = tmp_path / "spawns"
    launcher = start_cli_launch(overlay, TICKET, "a", folder, mode="ignore")
    (command,) = started(folder)
    os.kill(launcher.pid, signal.SIGTERM)
    wait_until(lambda: signals_seen(folder, command), what="the TERM to arrive")
    os.kill(launcher.pid, signal.SIGHUP)
    wait_until(lambda: len(signals_seen(folder, command)) == 2, what="the HUP to arrive")
    assert launcher.poll() is None
    refused = second_launch(overlay, folder)
    assert refused.returncode == 1 and "in progress" in refused.stderr

    (folder / "stop").touch()  # the Pod started after all
    status, err = finish(launcher)
    assert status == 0
    assert "the command exited 0, so the Pod started: claimed" in err
    claim = read_claim(overlay, TICKET)
    assert claim is not None and claim.pod_name == "a"
    assert started(folder) == [command] and overlaps(folder) == []


@pytest.mark.parametrize(("mode", "status"), [("exit0", 0), ("exit3", 3), ("die", 130)])
def test_sigint_to_the_launch_group_never_exits_0_without_the_claim(
    overlay: Overlay, tmp_path: Path, mode: str, status: int
) -> None:
    """Regression: a command that handled the interrupt and exited 0 (the Pod did start)
    left the launcher exiting 0 with no claim."""
    folder = tmp_path / "spawns"
    launcher = start_cli_launch(overlay, TICKET, "a", folder, mode=mode, linger=0.2)
    (command,) = started(folder)
    os.killpg(launcher.pid, signal.SIGINT)  # what Ctrl-C does, sent by a process
    code, err = finish(launcher)

    assert code == status
    claim = read_claim(overlay, TICKET)
    assert (claim is not None) == (status == 0)
    if claim is not None:
        assert claim.pod_name == "a" and claim.starting_until is not None
        assert err.endswith(f"claimed {TICKET} for Pod a\n")
    assert signal.SIGINT in signals_seen(folder, command)
    assert pending.list_pending(overlay) == []


# The command of the terminal test: it takes every SIGINT with sigwaitinfo and logs who
# sent it (0: the kernel, for the terminal's Ctrl-C; else the sender's pid); 0.3 s after
# the terminal's it exits 0.
SENDERS = """
import os, signal, sys, time
log = sys.argv[1]
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
with open(log, "a") as out:
    out.write(f"start {os.getpid()}\\n")
deadline = None
while deadline is None or time.monotonic() < deadline:
    info = signal.sigtimedwait({signal.SIGINT}, 0.05)
    if info is not None:
        with open(log, "a") as out:
            out.write(f"sender {info.si_pid}\\n")
        if info.si_pid == 0 and deadline is None:
            deadline = time.monotonic() + 0.3
"""

# A session leader that opens a terminal makes it its controlling terminal; it then
# becomes the launcher, in the terminal's foreground process group.
ON_TERMINAL = """
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for std in (0, 1, 2):
    os.dup2(fd, std)
os.execv(sys.argv[2], sys.argv[2:])
"""


def test_on_a_terminal_ctrl_c_reaches_the_command_once_and_a_started_pod_is_claimed(
    overlay: Overlay, tmp_path: Path
) -> None:
    """The terminal sends SIGINT to its whole foreground group, command included, so the
    launcher, in that group too, does not pass a SIGINT on (not even one sent to it
    alone, which it cannot tell apart)."""
    import pty

    log = tmp_path / "senders.log"
    argv = launch_argv(overlay, TICKET, "a", [sys.executable, "-c", SENDERS, str(log)])
    controller, terminal = pty.openpty()
    try:
        launcher = subprocess.Popen(
            [sys.executable, "-c", ON_TERMINAL, os.ttyname(terminal), *argv],
            start_new_session=True,
        )
        os.close(terminal)
        wait_until(lambda: log.exists() and pending_command(overlay), what="the command")
        os.kill(launcher.pid, signal.SIGINT)  # to the launcher alone: in the foreground
        wait_until(lambda: not shared_pending(launcher.pid, signal.SIGINT), what="delivery")
        time.sleep(0.3)  # time for a (wrong) second SIGINT to reach the command
        os.write(controller, b"\x03")  # Ctrl-C: to the launcher and the command
        assert launcher.wait(timeout=30) == 0
        output = read_all(controller)
    finally:
        os.close(controller)
    senders = [line for line in log.read_text().splitlines() if line.startswith("sender")]
    assert senders == ["sender 0"]  # the terminal's, once; the launcher passed on neither
    claim = read_claim(overlay, TICKET)
    assert claim is not None and claim.pod_name == "a"
    assert "SIGINT received while the command ran; the command exited 0" in output


def pending_command(overlay: Overlay) -> int | None:
    try:
        data = json.loads(overlay.pending_path(TICKET).read_text())
    except (OSError, ValueError):
        return None
    pid = data.get("command_pid")
    return pid if isinstance(pid, int) else None


def read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO once the terminal's other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def test_a_signal_before_the_command_started_means_it_never_starts(
    overlay: Overlay, tmp_path: Path
) -> None:
    folder = tmp_path / "spawns"
    ready = tmp_path / "ready"
    env = {
        **os.environ,
        faults.FAULT_ENV: "launch.after_pending_write:pause",
        faults.READY_ENV: str(ready),
    }
    launcher = subprocess.Popen(
        launch_argv(overlay, TICKET, "a", spawn_command(folder)),
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    wait_until(ready.exists, what="the launcher to pause")
    os.kill(launcher.pid, signal.SIGTERM)
    wait_until(lambda: not shared_pending(launcher.pid, signal.SIGTERM), what="delivery")
    ready.unlink()
    _out, err = launcher.communicate(timeout=30)
    assert launcher.returncode == 128 + signal.SIGTERM
    assert err.startswith(
        f"error: launch of {TICKET} interrupted by SIGTERM before its command started;"
        " nothing was run or claimed"
    )
    assert started(folder) == []
    assert read_claim(overlay, TICKET) is None and pending.list_pending(overlay) == []


def shared_pending(pid: int, signum: int) -> bool:
    """Whether ``signum`` sent to process ``pid`` still waits to be delivered (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("ShdPnd:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


HOLDER = """
import os, subprocess, sys
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.launch import launch
with launch(Overlay.for_workspace(sys.argv[1]), sys.argv[2], "a", "coder") as attempt:
    pod = [sys.executable, "-c", "import time; time.sleep(60)"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    child = subprocess.Popen(pod, pass_fds=attempt.pass_fds, **quiet)
    print(child.pid, flush=True)
    os.kill(os.getpid(), 9)
"""


def test_a_pod_started_from_python_with_pass_fds_holds_the_launch_lock_too(
    overlay: Overlay,
) -> None:
    holder = subprocess.run(
        [sys.executable, "-c", HOLDER, str(overlay.workspace), TICKET],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert holder.returncode == -signal.SIGKILL, holder.stderr
    child = int(holder.stdout)
    try:
        (entry,) = pending.list_pending(overlay)
        assert entry.alive and entry.orphaned
    finally:
        stop_command(child)
    (entry,) = pending.list_pending(overlay)
    assert not entry.alive
