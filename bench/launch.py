"""A small process that starts the measured commands and reports their time and memory.

Linux counts the memory of the process that forks into the peak RSS of its child
(``ru_maxrss`` of a child starts at its parent's size), so the benchmark, which
holds long file lists, does not start measured commands itself: this launcher,
started while the benchmark is still small, does. Requests and answers are JSON
lines on stdin and stdout.

Two memory figures come back: ``maxrss_kib``, the kernel's peak RSS of the largest
single process (the command, or one of its worker processes: ``wait4`` reports the
largest of them, not their sum), and, when the request asks for it, ``tree_pss_kib``:
the peak of the proportional set size (PSS) summed over the command and all its
descendants, sampled every 20 ms from ``/proc`` by a thread of this launcher while
the main thread waits. PSS shares each page among the processes that map it, so the
sum counts pages that forked workers share with their parent once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

SAMPLE_SECONDS = 0.02


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return found


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def tree_pss_kib(root: int) -> int:
    """The PSS of ``root`` and every process below it, added up (0 once it is gone)."""
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _pss_kib(pid)
        stack.extend(_children(pid))
    return total


class Sampler(threading.Thread):
    """Samples the summed PSS of a process tree until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, tree_pss_kib(self.pid))
            self.done.wait(SAMPLE_SECONDS)


def run(request: dict[str, Any]) -> dict[str, Any]:
    cmd = [str(part) for part in request["cmd"]]
    env = {str(k): str(v) for k, v in request["env"].items()}
    sampler: Sampler | None = None
    with open(str(request["stdout"]), "wb") as out, open(str(request["stderr"]), "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=str(request["cwd"]), env=env, stdout=out, stderr=err)
        if request.get("sample"):
            sampler = Sampler(proc.pid)
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    if sampler is not None:
        sampler.done.set()
        sampler.join()
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime  # the command's and its waited-for children's
    answer = {"seconds": seconds, "maxrss_kib": usage.ru_maxrss, "returncode": code, "cpu": cpu}
    if sampler is not None:
        answer["tree_pss_kib"] = sampler.peak
    return answer


def main() -> int:
    for line in sys.stdin:
        try:
            answer = run(json.loads(line))
        except OSError as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
