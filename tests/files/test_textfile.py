"""Reading ticket files: whole files up to the size limit, a problem beyond it or on errors."""

from __future__ import annotations

from pathlib import Path

from yoi_ticket.files import textfile


def test_a_small_file_is_read_whole_with_crlf_and_bom_normalised(tmp_path: Path) -> None:
    path = tmp_path / "item.md"
    path.write_bytes(textfile.UTF8_BOM + b"---\r\ntitle: x\r\n---\r\nbody \xc3\xa9\r\n")
    assert textfile.read(path) == textfile.Decoded("---\ntitle: x\n---\nbody é\n", bom=True)
    assert textfile.read(str(path)).text == "---\ntitle: x\n---\nbody é\n"


def test_an_empty_file_is_empty_text(tmp_path: Path) -> None:
    path = tmp_path / "thread.md"
    path.write_bytes(b"")
    assert textfile.read(path) == textfile.Decoded("")


def test_a_file_at_the_limit_is_read_and_one_byte_more_is_a_problem(tmp_path: Path) -> None:
    at_limit = tmp_path / "at-limit.md"
    at_limit.write_bytes(b"a\n" * (textfile.MAX_FILE_BYTES // 2))
    decoded = textfile.read(at_limit)
    assert decoded.problem is None
    assert len(decoded.text) == textfile.MAX_FILE_BYTES

    over = tmp_path / "over.md"
    over.write_bytes(b"a" * (textfile.MAX_FILE_BYTES + 1))
    decoded = textfile.read(over)
    assert decoded.text == ""
    assert decoded.problem == (
        f"file is {textfile.MAX_FILE_BYTES + 1} bytes, "
        f"larger than the {textfile.MAX_FILE_BYTES} limit"
    )


def test_a_file_whose_size_is_not_known_in_advance_is_read_whole() -> None:
    # /proc files report size 0 in fstat, and are read to the end all the same.
    decoded = textfile.read("/proc/self/status")
    assert decoded.problem is None
    assert "Name:" in decoded.text and decoded.text.endswith("\n")


def test_a_directory_or_missing_file_is_a_problem(tmp_path: Path) -> None:
    assert textfile.read(tmp_path).problem == "cannot read: is a directory"
    assert textfile.read(tmp_path / "missing").problem == "cannot read: No such file or directory"


def test_a_listed_regular_file_is_read_whole_at_every_size(tmp_path: Path) -> None:
    """The fast path (no fstat, one 64 KiB read first) reads the same bytes as the checked
    one, for files around its first read size and at and over the limit."""
    sizes = [0, 1, (1 << 16) - 1, 1 << 16, (1 << 16) + 1, 3 * (1 << 20) + 7]
    for size in [*sizes, textfile.MAX_FILE_BYTES, textfile.MAX_FILE_BYTES + 1]:
        path = tmp_path / f"f{size}.md"
        path.write_bytes((b"abcdefghijklmnopqrstuvwxy\n" * (size // 26 + 1))[:size])
        assert path.stat().st_size == size
        assert textfile.read(path, listed_regular=True) == textfile.read(path)


def test_a_listed_file_replaced_by_a_fifo_is_read_without_blocking(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "thread.md"
    os.mkfifo(fifo)
    assert textfile.read(fifo, listed_regular=True) == textfile.Decoded("")
    assert textfile.read(fifo).problem == "cannot read: is not a regular file"
