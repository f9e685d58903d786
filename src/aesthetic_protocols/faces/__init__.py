"""The walker's faces: plain (lines, for pipes, screen readers and tests) and terminal (rich, single keys).

Both draw the one screen model (`aesthetic_protocols.screen`); this module picks a face. rich is imported only
by the terminal face, so plain mode starts without it.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from typing import TYPE_CHECKING

from aesthetic_protocols.engine import Session
from aesthetic_protocols.screen import (  # the words both faces say: decided in the screen model
    EARLY_QUESTION,
    because_line,
    elapsed,
    field_prompt,
    prompt_hint,
    red_flags_line,
    sources_lines,
    status_banner,
    wait_text,
)

if TYPE_CHECKING:
    from aesthetic_protocols.walker import Clock, Face


def command_name() -> str:
    """How to call this tool so that it works from here: `protocol` when that name on PATH is this program
    (or when run as `python -m`), else the path it was started by (`.venv/bin/protocol`)."""
    started = sys.argv[0] if sys.argv else ""
    if os.path.basename(started) != "protocol":
        return "protocol"
    found = shutil.which("protocol")
    if found is not None and os.path.realpath(found) == os.path.realpath(started):
        return "protocol"
    return started


def interrupted_lines(session: Session, resume_ref: str) -> list[str]:
    """Where an interrupted walk stopped, by the step's title as it was shown, and how to resume it."""
    return [f"Interrupted at {session.render(session.node.title)}",
            f"Resume with: {command_name()} resume {resume_ref}"]


def record_hint(resume_ref: str) -> str:
    """After an outcome: how to get the printable record of the walk."""
    return f"Record: {command_name()} log export {resume_ref} --format html > record.html (then print it)"


def wants_plain(plain: bool) -> bool:
    """Plain mode: when asked, when NO_COLOR is set, when stdin or stdout is not a terminal, or when the
    terminal cannot draw a screen (TERM unset, dumb, unknown or without cursor addressing: Emacs shell, some
    IDE consoles), which is said once on stderr rather than walking blind on a blank screen."""
    if plain or bool(os.environ.get("NO_COLOR")) or not sys.stdin.isatty() or not sys.stdout.isatty():
        return True
    problem = terminal_problem()
    if problem is None:
        return False
    global _SAID
    if not _SAID:
        _SAID = True
        sys.stderr.write(f"protocol: {problem}: plain mode is used\n")
        sys.stderr.flush()
    return True


_SAID = False
_TERM_NAME = re.compile(r"[A-Za-z0-9._+-]{1,40}")


def terminal_problem() -> str | None:
    """Why this terminal cannot draw the walker's screen, or None when it can (Windows consoles always can)."""
    if os.name == "nt":
        return None
    term = os.environ.get("TERM", "")
    shown = f"TERM={term}" if _TERM_NAME.fullmatch(term) else "TERM unset" if not term else "TERM not a name"
    if not term or term in ("dumb", "unknown"):
        return f"this terminal ({shown}) cannot draw the walker's screen"
    if not can_draw(term):
        return f"this terminal ({shown}) is unknown or cannot move the cursor"
    return None


def can_draw(term: str) -> bool:
    """Whether the terminal description names cursor addressing and screen clearing (`cup`, `clear`).

    Asked of curses once per process (curses reads one terminal description); without curses, yes."""
    try:
        import curses
    except ImportError:
        return True
    try:
        curses.setupterm(term, sys.stdout.fileno())
        return curses.tigetstr("cup") is not None and curses.tigetstr("clear") is not None
    except (curses.error, OSError, ValueError):
        return False


def choose_face(plain: bool, clock: Clock | None = None) -> Face:
    """The plain face when `wants_plain`, else the terminal face.

    The walker hands the face the walk's clock when the walk begins (`Face.intro`).
    """
    if wants_plain(plain):
        from aesthetic_protocols.faces.plain import PlainFace

        return PlainFace(clock=clock)
    from aesthetic_protocols.faces.terminal import TerminalFace

    return TerminalFace(clock=clock)


__all__ = ["EARLY_QUESTION", "because_line", "choose_face", "command_name", "elapsed", "field_prompt",
           "interrupted_lines", "prompt_hint", "record_hint", "red_flags_line", "sources_lines", "status_banner",
           "wait_text", "wants_plain"]
