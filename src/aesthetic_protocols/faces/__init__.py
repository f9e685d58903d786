"""The walker's faces: plain (lines, for pipes, screen readers and tests) and terminal (rich, single keys).

This module holds what both faces say (the same words on both), and picks a face. rich is imported only
by the terminal face, so plain mode starts without it.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from aesthetic_protocols.engine import Session
from aesthetic_protocols.model import InputNode, QuestionNode, RecordField, Status, WaitNode
from aesthetic_protocols.report.clock import clock_text

if TYPE_CHECKING:
    from aesthetic_protocols.walker import Clock, Face


def status_banner(session: Session) -> str | None:
    """The DRAFT / RETIRED warning the walker shows on every screen, or None when approved."""
    protocol = session.protocol
    if protocol.status is Status.APPROVED:
        return None
    if protocol.status is Status.RETIRED:
        return "RETIRED protocol: do not use for care; check your current local protocol"
    return "DRAFT reference content, not approved by a clinician: check against your local protocol"


def red_flags_line(session: Session) -> str:
    """The red flags as one line: `v = Vision change; ...` (empty when the protocol has none)."""
    return "; ".join(f"{flag.key} = {flag.label}" for flag in session.protocol.red_flags)


def prompt_hint(session: Session) -> str:
    """What the current prompt takes, in one line (plain mode's words)."""
    node = session.node
    if isinstance(node, QuestionNode):
        keys = [o.key for o in node.options]
        return f"answer: {', '.join(keys)} (or 1-{len(keys)})"
    if isinstance(node, InputNode):
        unit = f" {node.unit}" if node.unit else ""
        return f"enter a number from {node.min} to {node.max}{unit}"
    if isinstance(node, WaitNode):
        return "Enter to continue when reassessed (you may continue early)"
    record_field = session.field
    if record_field is not None:
        return field_prompt(session, record_field)
    return "Enter when done"


def field_prompt(session: Session, record_field: RecordField) -> str:
    """A record field in one line: its label, type, unit, bounds, whether required, and any default offered.

    `Dose given: number in U, 0-3000; required; Enter = 1000 (dose, as shown)`.
    """
    kind = record_field.type
    if kind == "number":
        what = f"number in {record_field.unit}" if record_field.unit else "number"
        bounds = record_field.bounds_text()
        if bounds is not None:
            what += f", {bounds}"
        if record_field.decimals:
            what += f", up to {record_field.decimals} decimal(s)"
    elif kind == "choice":
        choices = record_field.choices
        what = "choice " + ", ".join(f"{c.key} = {c.label}" for c in choices) + f" (or 1-{len(choices)})"
    elif kind == "time":
        what = "time HH:MM"
    elif kind == "date":
        what = "date YYYY-MM-DD"
    elif kind == "photo":
        what = "photograph: paste or drag its file here (Enter = the newest in the --photos folder)"
    else:
        what = f"text, at most {record_field.max_length} characters"
    default = session.value_of(record_field.default) if record_field.default else None
    if default is not None:
        unit = f" {record_field.unit}" if record_field.unit else ""
        need = f"Enter = {default}{unit} ({record_field.default}, as shown)"
    else:
        need = "required" if record_field.required else "optional (Enter = skip)"
    return f"{record_field.label}: {what}; {need}"


def sources_lines(session: Session) -> list[str]:
    """The full citations of the current step's sources."""
    protocol = session.protocol
    lines = []
    for key in session.node.refs:
        ref = protocol.references.get(key)
        if ref is not None:
            lines.append(f"{key}: {ref.citation}" + (f" {ref.url}" if ref.url else ""))
    return lines


def elapsed(since: datetime | None, now: datetime) -> str:
    """Time since the session began, for the header of every step."""
    return clock_text(max(0, int((now - since).total_seconds())) if since else 0)


def wait_text(session: Session, now: datetime) -> str | None:
    """Where the current wait stands: due time and time left, or how long it has been overdue."""
    due = session.due()
    node = session.node
    if due is None or not isinstance(node, WaitNode):
        return None
    at = due.astimezone(now.tzinfo).strftime("%H:%M")
    left = int((due - now).total_seconds())
    if left > 0:
        return f"Reassess at {at} ({node.minutes} min wait): {clock_text(left)} left"
    if left > -60:
        return f"REASSESS NOW: due at {at}"
    return f"REASSESSMENT OVERDUE: due at {at}, {clock_text(-left)} ago"


def interrupted_lines(session: Session, resume_ref: str) -> list[str]:
    """Where an interrupted walk stopped, by the step's title as it was shown, and how to resume it."""
    return [f"Interrupted at {session.render(session.node.title)}", f"Resume with: protocol resume {resume_ref}"]


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
