"""The witness: a file kept outside the log folder (a share, a USB key) to which every close appends one line,
`<session> <head hash>`. A log, its `.head` and a copy of the witness must all be rewritten together to hide
a change; `protocol log verify` compares the log with every line the witness holds for the session, and
`protocol resume` refuses a log the witness contradicts.

The witness is read as a stream, a block at a time, whatever its size: only a regular file is read (a FIFO,
/dev/zero or a device is refused), at most `MAX_BYTES`, and only the lines of the session are kept.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from aesthetic_protocols.errors import LogError
from aesthetic_protocols.journal import WITNESS_ENV as WITNESS_ENV  # read by the journal itself at each close

_HEAD = re.compile(rb"([0-9a-f]{64})\r?\n")
_BLOCK = 1 << 20
MAX_BYTES = 1 << 30  # a close writes ~100 bytes: a clinic's witness of a lifetime is far below 1 GiB


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
    return list(iter_heads(witness, session))


def iter_heads(witness: Path, session: str) -> Iterator[str]:
    """The head hashes the witness holds for `session`, oldest first, one at a time (bounded memory whatever
    the number of lines). LogError if it cannot be read."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(witness, flags)
    except OSError as exc:
        raise LogError(f"cannot read the witness {witness}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise LogError("cannot read the witness: the path holds a NUL character") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise LogError(f"the witness {witness} is not a regular file")
        if st.st_size > MAX_BYTES:
            raise LogError(f"the witness {witness} is larger than {MAX_BYTES >> 20} MiB: not a witness file")
        yield from _scan(fd, session.encode("ascii", errors="replace"))
    except OSError as exc:
        raise LogError(f"cannot read the witness {witness}: {exc.strerror or errno.errorcode.get(exc.errno or 0)}") \
            from exc
    finally:
        os.close(fd)


def _scan(fd: int, session: bytes) -> Iterator[str]:
    """The session's heads, reading a block at a time: memory holds one block and one partial line."""
    needle = b"\n" + session + b" "
    carry = b"\n"  # the file's start counts as a line start
    total = 0
    while block := os.read(fd, _BLOCK):
        total += len(block)
        if total > MAX_BYTES:
            raise OSError(errno.EFBIG, "grew beyond the limit while read")
        data = carry + block
        end = data.rfind(b"\n")
        if end < 0:  # no line end in a whole block: no witness line is that long; keep only a line start
            carry = b""
            continue
        region, carry = data[: end + 1], data[end:]  # the carry starts with the newline that ends `region`
        at = region.find(needle)
        while at >= 0:
            match = _HEAD.match(region, at + len(needle))
            if match:
                yield match.group(1).decode("ascii")
            at = region.find(needle, at + 1)
        if len(carry) > 4096:
            carry = b""
