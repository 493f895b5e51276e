"""Writing a file anew a piece at a time: readers see the old file or the whole new one."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from yoi_ticket.files.atomicfile import leftover_temp_files
from yoi_ticket.files.fsutil import text_replacing


def test_pieces_replace_the_file_at_the_end_of_the_block(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old\n", encoding="utf-8")
    with text_replacing(target) as write:
        write("new ")
        write("text: 日本 \udcff\n")  # a lone surrogate (a file name that is not UTF-8)
        assert target.read_text(encoding="utf-8") == "old\n"  # not yet replaced
    assert target.read_bytes() == "new text: 日本 \\udcff\n".encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert leftover_temp_files(tmp_path) == []


def test_a_failure_in_the_block_keeps_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), text_replacing(target) as write:
        write("half of it")
        raise RuntimeError("the renderer failed")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert leftover_temp_files(tmp_path) == []


def test_a_process_killed_while_writing_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old\n", encoding="utf-8")
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from yoi_ticket.files.fsutil import text_replacing\n"
        "with text_replacing(Path(sys.argv[1])) as write:\n"
        "    write('x' * 100000)\n"
        "    os.kill(os.getpid(), 9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(target)], check=False)
    assert proc.returncode == -9
    assert target.read_text(encoding="utf-8") == "old\n"
    leftovers = leftover_temp_files(tmp_path)  # named so that they can be found and removed
    assert len(leftovers) == 1 and leftovers[0].stat().st_size == 100000
    os.unlink(leftovers[0])
