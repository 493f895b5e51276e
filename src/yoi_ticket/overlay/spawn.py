"""Running a launch command so that it never outlives the launch lock unnoticed and
hears what the launcher hears.

* **The lock goes with the command.** The command inherits the descriptor of the
  launch's ``flock`` (``pass_fds``), so the lock stays held while the command runs even
  when the launcher is killed outright (SIGKILL leaves no chance to clean up): at most
  one launch command per ticket runs at any moment.
* **Signals are passed on.** While the command runs, SIGINT, SIGTERM and SIGHUP sent to
  the launcher are sent to the command, and the launcher keeps waiting for it: the
  command decides how the launch ends. A SIGINT is not passed on when the command is in
  the foreground process group of the launcher's terminal: the terminal sent Ctrl-C to
  that whole group, so the command has it already (passing it on would make it twice).
  Signals that arrive before the command started are kept: the caller then does not
  start it. A signal the launcher ignores (``nohup``) stays ignored.

Handlers can only be installed in the main thread; elsewhere nothing is passed on (and a
signal acts on the process as it would without a launch).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

FORWARDED: tuple[int, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)

Handler = Callable[[int, FrameType | None], Any] | int | None


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def exit_status(returncode: int) -> int:
    """A process's exit status as a shell reports it: ``128 + N`` when signal N killed it."""
    return returncode if returncode >= 0 else 128 - returncode


class SignalRelay:
    """Catch :data:`FORWARDED` for the ``with`` block; pass them on to the attached command.

    ``received`` lists every signal caught, in order, whether passed on or not.
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._saved: dict[int, Handler] = {}

    def __enter__(self) -> SignalRelay:
        if threading.current_thread() is not threading.main_thread():
            return self
        for signum in FORWARDED:
            if signal.getsignal(signum) == signal.SIG_IGN:
                continue  # nohup and the like: keep ignoring it
            self._saved[signum] = signal.signal(signum, self._caught)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._process = None
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)
        self._saved.clear()

    def attach(self, process: subprocess.Popen[bytes], since: int) -> None:
        """Pass on signals to ``process`` from now on, and those caught since ``received``
        had ``since`` entries (while it was being started)."""
        self._process = process
        for signum in self.received[since:]:
            self._forward(signum)

    def _caught(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        if self._process is not None:
            self._forward(signum)

    def _forward(self, signum: int) -> None:
        process = self._process
        if process is None:
            return
        if signum == getattr(signal, "SIGINT", None) and _terminal_delivers_to(process.pid):
            return
        try:
            process.send_signal(signum)  # does nothing once the command has been reaped
        except OSError:
            pass  # gone meanwhile


def _terminal_delivers_to(pid: int) -> bool:
    """Whether ``pid`` is in the foreground process group of this process's controlling
    terminal: keyboard signals reach it directly."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return False  # no controlling terminal (or not Unix)
    try:
        return os.tcgetpgrp(fd) == os.getpgid(pid)
    except OSError:
        return False
    finally:
        os.close(fd)
