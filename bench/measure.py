"""Timing whole processes: wall time and peak RSS of each child, from ``os.wait4``."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    seconds: float
    rss_mb: float  # peak resident set size of the process
    returncode: int


class BenchError(RuntimeError):
    """A measured process failed in a way the benchmark does not expect."""


def run_once(
    cmd: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    stdout: Path,
    ok_codes: tuple[int, ...] = (0,),
) -> Sample:
    """Run ``cmd`` to completion; its output goes to ``stdout`` (and ``.err`` next to it)."""
    stderr = stdout.with_suffix(".err")
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    if code not in ok_codes:
        message = stderr.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        last = message[-1] if message else "(no output on stderr)"
        raise BenchError(f"{' '.join(cmd[:4])} ... exited {code}: {last}")
    return Sample(seconds, usage.ru_maxrss / 1024, code)  # ru_maxrss is in KiB on Linux


@dataclass
class Series:
    """Repeated samples of one benchmark; a run of several processes adds up as one sample."""

    samples: list[Sample] = field(default_factory=list)

    def add(self, *parts: Sample) -> None:
        self.samples.append(
            Sample(
                sum(p.seconds for p in parts),
                max(p.rss_mb for p in parts),
                max(p.returncode for p in parts),
            )
        )

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def rss_mb(self) -> float:
        return max(s.rss_mb for s in self.samples)
