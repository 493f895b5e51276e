"""Timing whole processes: wall time, peak RSS of the largest process (``os.wait4``) and,
when asked, the peak PSS of the whole process tree (sampled; both in launch.py)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    seconds: float
    rss_mb: float  # peak resident set size of the process (the largest one of its tree)
    returncode: int
    cpu: float = 0.0  # user + system seconds of the process and the children it waited for
    tree_mb: float | None = None  # peak PSS of the process and its workers, added up


class BenchError(RuntimeError):
    """A measured process failed in a way the benchmark does not expect."""


class Launcher:
    """The process that runs measured commands (see launch.py), started while we are small."""

    def __init__(self) -> None:
        script = Path(__file__).resolve().parent / "launch.py"
        self.proc = subprocess.Popen(
            [sys.executable, str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(
        self, cmd: Sequence[str], cwd: Path, env: dict[str, str], stdout: Path, sample: bool
    ) -> Sample:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        request = {
            "cmd": list(cmd),
            "cwd": str(cwd),
            "env": env,
            "stdout": str(stdout),
            "stderr": str(stdout.with_suffix(".err")),
            "sample": sample,
        }
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline() or '{"error": "launcher died"}')
        if "error" in answer:
            raise BenchError(f"{' '.join(cmd[:4])} ...: {answer['error']}")
        # ru_maxrss is in KiB on Linux
        tree = answer.get("tree_pss_kib")
        return Sample(
            answer["seconds"],
            answer["maxrss_kib"] / 1024,
            answer["returncode"],
            answer.get("cpu", 0.0),
            tree / 1024 if tree is not None else None,
        )

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait()


_launcher: Launcher | None = None


def start_launcher() -> None:
    """Start the launcher now (before this process grows); later runs go through it."""
    global _launcher
    if _launcher is None:
        _launcher = Launcher()


def stop_launcher() -> None:
    global _launcher
    if _launcher is not None:
        _launcher.close()
        _launcher = None


def run_once(
    cmd: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    stdout: Path,
    ok_codes: tuple[int, ...] = (0,),
    sample_tree: bool = False,
) -> Sample:
    """Run ``cmd`` to completion; its output goes to ``stdout`` (and ``.err`` next to it).
    With ``sample_tree``, the memory of its whole process tree is sampled too."""
    start_launcher()
    assert _launcher is not None
    result = _launcher.run(cmd, cwd, env, stdout, sample_tree)
    if result.returncode not in ok_codes:
        text = stdout.with_suffix(".err").read_text(encoding="utf-8", errors="replace")
        lines = text.strip().splitlines()
        last = lines[-1] if lines else "(no output on stderr)"
        raise BenchError(f"{' '.join(cmd[:4])} ... exited {result.returncode}: {last}")
    return result


@dataclass
class Series:
    """Repeated samples of one benchmark; a run of several processes adds up as one sample."""

    samples: list[Sample] = field(default_factory=list)

    def add(self, *parts: Sample) -> None:
        trees = [p.tree_mb for p in parts if p.tree_mb is not None]
        self.samples.append(
            Sample(
                sum(p.seconds for p in parts),
                max(p.rss_mb for p in parts),
                max(p.returncode for p in parts),
                sum(p.cpu for p in parts),
                max(trees) if trees else None,
            )
        )

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def cpu_median(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def fastest(self) -> float:
        return min(s.seconds for s in self.samples)

    @property
    def rss_mb(self) -> float:
        return max(s.rss_mb for s in self.samples)

    @property
    def tree_mb(self) -> float | None:
        """The peak PSS of the whole process tree, where it was sampled."""
        trees = [s.tree_mb for s in self.samples if s.tree_mb is not None]
        return max(trees) if trees else None

    @property
    def memory_mb(self) -> float:
        """What a memory target is held to: the larger of the two figures."""
        return max(self.rss_mb, self.tree_mb or 0.0)
