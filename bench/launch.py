"""A small process that starts the measured commands and reports their time and peak RSS.

Linux counts the memory of the process that forks into the peak RSS of its child
(``ru_maxrss`` of a child starts at its parent's size), so the benchmark, which
holds long file lists, does not start measured commands itself: this launcher,
started while the benchmark is still small, does. Requests and answers are JSON
lines on stdin and stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any


def run(request: dict[str, Any]) -> dict[str, Any]:
    cmd = [str(part) for part in request["cmd"]]
    env = {str(k): str(v) for k, v in request["env"].items()}
    with open(str(request["stdout"]), "wb") as out, open(str(request["stderr"]), "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=str(request["cwd"]), env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime  # the command's and its waited-for children's
    return {"seconds": seconds, "maxrss_kib": usage.ru_maxrss, "returncode": code, "cpu": cpu}


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
