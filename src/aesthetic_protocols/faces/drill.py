"""The faces of a drill: the walker's own plain and terminal faces, marked DRILL, on a simulated clock.

Everything a trainee sees is the real walk's, so the drill trains on what the chair shows; what differs is
that nothing can be taken for a real session (plain mode marks every line, the terminal pins a DRILL bar
above its header and marks the end screen) and that a wait continued before it is due has passed at once:
the simulated clock moves on to its due time.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, TextIO, cast

from aesthetic_protocols.engine import Answer, Reading, Session
from aesthetic_protocols.faces import wants_plain
from aesthetic_protocols.faces.plain import PlainFace
from aesthetic_protocols.tree import WaitNode

if TYPE_CHECKING:
    from rich.console import Console

    from aesthetic_protocols.drill import SimulatedClock
    from aesthetic_protocols.events import Logged
    from aesthetic_protocols.handover import Handover, HandoverReading
    from aesthetic_protocols.walker import Face

MARK = "DRILL | "


def banner(clock: SimulatedClock, scenario: str | None) -> str:
    """The words that say this is a drill: `DRILL (scenario sarah, 600x time): training, not a real session`."""
    what = ", ".join([*([f"scenario {scenario}"] if scenario else []), f"{clock.speed:g}x time"])
    return f"DRILL ({what}): training, not a real session"


def waits_pass(clock: SimulatedClock, session: Session, reading: Reading) -> Reading:
    """A wait continued before it is due: simulated time moves on to its due time (never early in a drill)."""
    due = session.due()
    if isinstance(reading, Answer) and isinstance(session.node, WaitNode) and due is not None:
        clock.skip_to(due)
    return reading


class MarkedLines(io.TextIOBase):
    """A text stream that starts every line it passes on with a mark."""

    def __init__(self, out: TextIO, mark: str) -> None:
        super().__init__()
        self.out = out
        self.mark = mark
        self.at_start = True

    def write(self, text: str) -> int:
        for piece in text.splitlines(keepends=True):
            if self.at_start and piece.strip():
                self.out.write(self.mark)
            self.out.write(piece)
            self.at_start = piece.endswith("\n")
        return len(text)

    def flush(self) -> None:
        self.out.flush()


class DrillPlainFace(PlainFace):
    """Plain mode with DRILL on every line."""

    def __init__(self, clock: SimulatedClock, scenario: str | None = None, stdin: TextIO | None = None,
                 stdout: TextIO | None = None) -> None:
        marked = cast("TextIO", MarkedLines(stdout or sys.stdout, MARK))
        super().__init__(stdin, marked, clock)
        self.words = banner(clock, scenario)

    def intro(self, session: Session, session_id: str, started: datetime, resumed: bool,
              clock: Callable[[], datetime] | None = None) -> None:
        self._out(self.words)
        super().intro(session, session_id, started, resumed, clock)


class WaitsPass:
    """A face whose waits pass at once: a wait continued before it is due moves the simulated clock on to it."""

    def __init__(self, face: Face, clock: SimulatedClock) -> None:
        self.face = face
        self.drill_clock = clock
        self.name = face.name

    def intro(self, session: Session, session_id: str, started: datetime, resumed: bool,
              clock: Callable[[], datetime] | None = None) -> None:
        self.face.intro(session, session_id, started, resumed, clock)

    def active(self) -> AbstractContextManager[None]:
        return self.face.active()

    def show(self, session: Session, now: datetime) -> None:
        self.face.show(session, now)

    def read(self, session: Session, now: datetime) -> Reading:
        return waits_pass(self.drill_clock, session, self.face.read(session, now))

    def say(self, message: str) -> None:
        self.face.say(message)

    def show_handover(self, state: Handover, now: datetime) -> None:
        self.face.show_handover(state, now)

    def read_handover(self, state: Handover, now: datetime) -> HandoverReading:
        return self.face.read_handover(state, now)

    def finish(self, session: Session, events: list[Logged], log: str, resume_ref: str) -> None:
        self.face.finish(session, events, log, resume_ref)


def terminal_face(clock: SimulatedClock, scenario: str | None = None, console: Console | None = None,
                  interactive: bool | None = None) -> Face:
    """The walker's terminal face with a DRILL bar pinned above its header and on its end screens."""
    from aesthetic_protocols.faces.terminal import TerminalFace

    face = TerminalFace(clock=clock, console=console, interactive=interactive, banner=banner(clock, scenario))
    return WaitsPass(face, clock)


def drill_face(plain: bool, clock: SimulatedClock, scenario: str | None = None) -> Face:
    """Plain or terminal, chosen as for a walk (`wants_plain`)."""
    if wants_plain(plain):
        return WaitsPass(DrillPlainFace(clock, scenario), clock)
    return terminal_face(clock, scenario)
