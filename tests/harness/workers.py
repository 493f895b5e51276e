"""Worker processes for the reliability tests and bench/stress.py.

A :class:`Worker` is a Python process that has imported yoi-ticket once and then runs
each job it is sent in a freshly forked child (the CLI, or a snippet of Python). The
child may wait at a gate (so that many of them start together) and may be set to
SIGKILL itself after a delay (a crash at a random moment). A :class:`Gang` is many
workers released together.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.corpus import SRC_DIR
from yoi_ticket.overlay.folder import Overlay

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
