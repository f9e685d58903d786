from __future__ import annotations

import os
from pathlib import Path

import pytest

from aesthetic_protocols import witness
from aesthetic_protocols.errors import LogError

SID = "20261127T090000Z-p-0000"
A, B, C = "a" * 64, "b" * 64, "c" * 64


def test_heads_are_read_as_a_stream_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(witness, "_BLOCK", 7)  # every line crosses a block boundary
    path = tmp_path / "w"
    path.write_bytes(f"{SID} {A}\nx{SID} {B}\n{SID}-other {B}\n" .encode() + b"\xff" * 9000 + b"\n"
                     + f"{SID} {C}\r\n{SID} {A}".encode())  # the last line torn: no newline
    assert witness.heads(path, SID) == [A, C]


def test_a_junk_line_longer_than_a_block_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(witness, "_BLOCK", 64)
    path = tmp_path / "w"
    path.write_bytes(b"z" * 10_000 + f" {SID} {A}\n{SID} {B}\n".encode())
    assert witness.heads(path, SID) == [B]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_or_a_device_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(LogError, match=r"^the witness .* is not a regular file$"):
        witness.heads(fifo, SID)


def test_a_witness_beyond_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(witness, "MAX_BYTES", 100)
    path = tmp_path / "w"
    path.write_bytes(f"{SID} {A}\n".encode() * 2)
    with pytest.raises(LogError, match="is larger than"):
        witness.heads(path, SID)
