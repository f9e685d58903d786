"""Raw keys from the terminal: one keystroke at a time, typed-ahead keys dropped when a screen changes.

POSIX uses termios (cbreak, no echo, no signal keys, so Ctrl-C arrives as a key the face can confirm);
Windows reads msvcrt's raw keys. A UTF-8 character comes back whole; an escape sequence (an arrow or
function key) comes back as one string, so its letters are never taken for answers; a lone Escape comes
back as "\\x1b".
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress

ENTER = ("\r", "\n")
BACKSPACE = ("\x7f", "\x08")
ESCAPE = "\x1b"
CTRL_C = "\x03"
CTRL_D = "\x04"
CTRL_L = "\x0c"  # redraw the whole screen, as in most terminal programs
PAGE_DOWN = (" ", "\x1b[6~", "\x1b[B", "\x1bOB")  # Space, PgDn, Down
PAGE_UP = ("\x1b[5~", "\x1b[A", "\x1bOA")  # PgUp, Up

# Bytes read while telling a lone Escape from an escape sequence (or ending a broken UTF-8 character)
# that belong to the next key. POSIX only.
_typed_ahead = bytearray()

# How long the bytes of one key (an escape sequence, a UTF-8 character) may trail its first byte.
_SEQUENCE_WAIT = 0.05


def read_key(timeout: float | None) -> str | None:
    """One keystroke (None when `timeout` passes first). The terminal's mode is set by `key_mode()`."""
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while deadline is None or time.monotonic() < deadline:
            if msvcrt.kbhit():  # type: ignore[attr-defined]
                return str(msvcrt.getwch())  # type: ignore[attr-defined]
            time.sleep(0.05)
        return None
    fd = sys.stdin.fileno()
    first = _next_byte(fd, timeout)
    if first is None:
        return None
    if first == 0x1B:
        return _escape_sequence(fd)
    data = bytearray([first])
    follow = 1 if 0xC0 <= first < 0xE0 else 2 if 0xE0 <= first < 0xF0 else 3 if 0xF0 <= first < 0xF8 else 0
    for _ in range(follow):
        more = _next_byte(fd, _SEQUENCE_WAIT)
        if more is None:
            break
        if not 0x80 <= more < 0xC0:  # not a continuation byte: the start of the next key
            _typed_ahead.insert(0, more)
            break
        data.append(more)
    return data.decode("utf-8", "surrogateescape")  # no UTF-8: lone surrogates, refused as "not valid text"


def drop_typed_ahead() -> None:
    """Forget every key typed before now: a key pressed before a screen was drawn must not answer it."""
    _typed_ahead.clear()
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        while msvcrt.kbhit():  # type: ignore[attr-defined]
            msvcrt.getwch()  # type: ignore[attr-defined]
        return
    import termios

    with suppress(OSError, ValueError, termios.error):  # not a terminal: nothing queued to drop
        termios.tcflush(sys.stdin.fileno(), termios.TCIFLUSH)


def _next_byte(fd: int, timeout: float | None) -> int | None:
    """The next byte typed (None when `timeout` passes first); EOFError when the terminal is gone."""
    if _typed_ahead:
        return _typed_ahead.pop(0)
    import select

    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return None
    try:
        data = os.read(fd, 1)
    except OSError:  # EIO: the terminal closed
        raise EOFError from None
    if not data:
        raise EOFError
    return data[0]


def _escape_sequence(fd: int) -> str:
    """After an Escape byte: the whole CSI/SS3 sequence if one follows at once, else a lone Escape."""
    second = _next_byte(fd, _SEQUENCE_WAIT)
    if second is None:
        return ESCAPE
    if second == ord("["):  # CSI: parameter and intermediate bytes, then one final byte @..~
        sequence = bytearray(b"\x1b[")
        while len(sequence) < 32:
            more = _next_byte(fd, _SEQUENCE_WAIT)
            if more is None:
                break
            sequence.append(more)
            if 0x40 <= more <= 0x7E:
                break
        return sequence.decode("ascii", "replace")
    if second == ord("O"):  # SS3: one more byte (F1-F4, arrows in application mode)
        last = _next_byte(fd, _SEQUENCE_WAIT)
        return "\x1bO" + (chr(last) if last is not None and last < 0x80 else "")
    _typed_ahead.insert(0, second)  # Escape, then a key typed right after it
    return ESCAPE


@contextmanager
def key_mode() -> Iterator[None]:
    """Single keys on stdin until the block ends (however it ends): cbreak, no echo, and no signal keys.

    Ctrl-C then arrives as a key, so quitting can ask first; SIGINT and SIGTERM sent from elsewhere still
    interrupt. Windows needs nothing: msvcrt reads raw keys already. Not a terminal: nothing to change.
    """
    if os.name == "nt":  # pragma: no cover - Windows
        yield
        return
    import termios
    import tty

    try:
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
    except (OSError, ValueError, termios.error):
        yield
        return
    tty.setcbreak(fd, termios.TCSADRAIN)  # not the default TCSAFLUSH: set once for the whole walk
    mode = termios.tcgetattr(fd)
    mode[3] &= ~termios.ISIG
    termios.tcsetattr(fd, termios.TCSADRAIN, mode)
    try:
        yield
    finally:
        _typed_ahead.clear()
        with suppress(termios.error):  # the terminal is gone: nothing left to restore
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
