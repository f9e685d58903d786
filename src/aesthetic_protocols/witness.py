"""The witness: a file kept outside the log folder (a share, a USB key) to which every close appends one line,
`<session> <head hash>`. A log, its `.head` and a copy of the witness must all be rewritten together to hide
a change; `protocol log verify` compares the log with the witness when one is configured.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from aesthetic_protocols.errors import LogError
from aesthetic_protocols.journal import WITNESS_ENV as WITNESS_ENV  # read by the journal itself at each close

_LINE = re.compile(r"([A-Za-z0-9-]{1,200}) ([0-9a-f]{64})")


def record(witness: Path, session: str, head: str) -> None:
    """Append `session head` to the witness and sync it. OSError if it cannot be made durable."""
    line = f"{session} {head}\n".encode("ascii")
    # O_APPEND: writers of many sessions share one witness; each line is one write, so lines never interleave.
    fd = os.open(witness, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
    try:
        written = os.write(fd, line)
        if written != len(line):
            raise OSError(5, "short write to the witness")
        os.fsync(fd)
    finally:
        os.close(fd)


def heads(witness: Path, session: str) -> list[str]:
    """The head hashes the witness holds for `session`, oldest first. LogError if it cannot be read."""
    try:
        text = witness.read_bytes().decode("ascii", errors="replace")
    except OSError as exc:
        raise LogError(f"cannot read the witness {witness}: {exc.strerror or exc}") from exc
    found: list[str] = []
    for line in text.splitlines():
        match = _LINE.fullmatch(line)
        if match and match.group(1) == session:
            found.append(match.group(2))
    return found
