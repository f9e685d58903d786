"""The faces of a drill: the walker's own plain and terminal faces, marked DRILL, on a simulated clock.

Everything a trainee sees is the real walk's, so the drill trains on what the chair shows; what differs is
that nothing can be taken for a real session (plain mode marks every line, the terminal pins a DRILL bar
above its header and marks the end screen) and that a wait continued before it is due has passed at once:
the simulated clock moves on to its due time.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO, cast

from aesthetic_protocols.engine import Answer, Reading, Session
from aesthetic_protocols.faces.plain import PlainFace
from aesthetic_protocols.model import OutcomeNode, WaitNode

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from aesthetic_protocols.drill import SimulatedClock
    from aesthetic_protocols.faces.terminal import TerminalFace
    from aesthetic_protocols.walker import Face

MARK = "DRILL | "
_BAR_STYLE = "bold white on blue"


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
        self.drill_clock = clock
        self.words = banner(clock, scenario)

    def intro(self, session: Session, session_id: str, started: datetime, resumed: bool,
              clock: Callable[[], datetime] | None = None) -> None:
        self._out(self.words)
        super().intro(session, session_id, started, resumed, clock)

    def read(self, session: Session, now: datetime) -> Reading:
        return waits_pass(self.drill_clock, session, super().read(session, now))


def terminal_face(clock: SimulatedClock, scenario: str | None = None, console: Console | None = None,
                  interactive: bool | None = None) -> TerminalFace:
    """The terminal face with a DRILL bar pinned above its header and on its end screen."""
    from rich.text import Text

    from aesthetic_protocols.faces.terminal import TerminalFace

    words = banner(clock, scenario)

    class DrillTerminalFace(TerminalFace):
        def read(self, session: Session, now: datetime) -> Reading:
            return waits_pass(clock, session, super().read(session, now))

        def _header(self, session: Session, width: int, now: datetime) -> list[Table | Text]:
            bar = Text(words, style=_BAR_STYLE, no_wrap=True, overflow="ellipsis")
            return [bar, *super()._header(session, width, now)]

        def finish(self, session: Session, events: list[dict[str, Any]], log: str, resume_ref: str) -> None:
            self.console.print(words, style=_BAR_STYLE)  # an interrupted drill's lines; an outcome clears it
            super().finish(session, events, log, resume_ref)

        def _print_outcome(self, session: Session, node: OutcomeNode, log: str) -> None:
            self.console.print(words, style=_BAR_STYLE)
            super()._print_outcome(session, node, log)

        def _print_timeline(self, events: list[dict[str, Any]]) -> None:
            self.console.print(words, style=_BAR_STYLE)
            super()._print_timeline(events)

    return DrillTerminalFace(clock=clock, console=console, interactive=interactive)


def drill_face(plain: bool, clock: SimulatedClock, scenario: str | None = None) -> Face:
    """Plain when asked, when NO_COLOR is set, or when stdin/stdout is not a terminal (as for a walk)."""
    if plain or os.environ.get("NO_COLOR") or not sys.stdin.isatty() or not sys.stdout.isatty():
        return DrillPlainFace(clock, scenario)
    return terminal_face(clock, scenario)
