"""Plain mode: one line per prompt, no colour, no cursor movement; a pipe never waits in real time."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext, suppress
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from aesthetic_protocols.engine import NOT_TEXT, Invalid, Reading, Session
from aesthetic_protocols.faces import interrupted_lines, record_hint
from aesthetic_protocols.report.wrapping import window_width, wrap_text
from aesthetic_protocols.screen import (
    TEXT_FIELD_RULE,
    Screen,
    because_line,
    build_screen,
    elapsed,
    has_text_fields,
    prompt_hint,
    red_flags_line,
    status_banner,
)
from aesthetic_protocols.tree import OutcomeNode

if TYPE_CHECKING:
    from aesthetic_protocols.events import Logged
    from aesthetic_protocols.handover import Handover, HandoverReading
    from aesthetic_protocols.walker import Clock


class PlainFace:
    """Prints each step as lines and reads one line per prompt, exactly as the CLI contract says."""

    name = "plain"

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None, clock: Clock | None = None) -> None:
        self.stdin = stdin or _lenient(sys.stdin)
        self.stdout = stdout or sys.stdout
        self.clock = clock
        self.started: datetime | None = None
        self.last_shown: tuple[str, int] | None = None
        self.header: tuple[str, bool] | None = None
        self.width = window_width(self.stdout)

    def _out(self, line: str = "") -> None:
        if self.width is not None:  # in a window: broken between words, never mid-word
            line = wrap_text(line, self.width)
        self.stdout.write(line + "\n")
        self.stdout.flush()

    def active(self) -> AbstractContextManager[None]:
        """Plain mode changes nothing about the terminal."""
        return nullcontext()

    def intro(self, session: Session, session_id: str, started: datetime, resumed: bool,
              clock: Clock | None = None) -> None:
        """Remember the session; its header is printed with the first step, inside the walk, so that even
        a closed output at that moment is recorded as an interruption."""
        self.clock = clock or self.clock
        self.started = started
        self.header = (session_id, resumed)

    def _print_header(self, session: Session, session_id: str, resumed: bool) -> None:
        self.header = None
        protocol = session.protocol
        banner = status_banner(session)
        self._out(f"{protocol.title} (protocol {protocol.id} {protocol.version}, {protocol.status})")
        if banner:
            self._out(banner)
        if protocol.red_flags:
            self._out(f"Red flags, at any prompt: {red_flags_line(session)}")
            if has_text_fields(protocol):
                self._out(TEXT_FIELD_RULE)
        self._out("At any prompt: back, note: TEXT, time: HH:MM, quit")
        self._out(f"Session {session_id}" + (" resumed" if resumed else ""))

    def show(self, session: Session, now: datetime) -> None:
        """Print the step (once; a repeated prompt after an invalid answer shows only the hint)."""
        if self.header is not None:
            self._print_header(session, *self.header)
        key = (session.current, len(session.trail))
        same_node = self.last_shown is not None and self.last_shown[0] == session.current
        if self.last_shown == key or (same_node and _next_field(session)):
            # A repeated prompt after an invalid answer, or the next field of the same record: one line only.
            self.last_shown = key
            self._out(prompt_hint(session))
            return
        self.last_shown = key
        self.draw(build_screen(session, now), now)

    def draw(self, screen: Screen, now: datetime) -> None:
        """A screen as lines, in the screen model's order: what to do before why."""
        self._out()
        self._out(f"[{elapsed(self.started, now)}] {screen.title} ({screen.kind})")
        for line in (screen.headline, screen.because, *(timer.fixed for timer in screen.timers)):
            if line:
                self._out(line)
        for number, option in enumerate(screen.options, start=1):
            detail = f" ({option.detail})" if option.detail else ""
            self._out(f"  {option.key} / {number}: {option.label}{detail}")
        for action in screen.actions:
            self._out(f"  - {action}")
        for text in screen.evidence:
            self._out(text)
        if screen.refs:
            self._out(f"Source: {', '.join(screen.refs)}")
        if screen.flags:  # on every step: a red flag must never be out of sight
            self._out(f"Red flags: {'; '.join(f'{flag.typed} = {flag.label}' for flag in screen.flags)}")
        self._out(screen.hint)

    def read(self, session: Session, now: datetime) -> Reading:
        """One line; end of input is EOFError (the walk ends as interrupted)."""
        try:
            line = self.stdin.readline()
        except UnicodeDecodeError:  # a stream that could not be made lenient: the line is lost, not the walk
            return Invalid(NOT_TEXT)
        if line == "":
            raise EOFError
        return session.interpret(line, now)  # bytes that were no text arrive as lone surrogates: refused there

    def show_handover(self, state: Handover, now: datetime) -> None:
        """The handover screen in lines: printed in full on arrival, then one line per timer change or prompt."""
        from aesthetic_protocols.faces.handover import handover_lines, handover_prompt

        if self.header is not None:
            self._print_header(state.session, *self.header)
        key = (state.node, -1 - len(state.session.trail))
        if self.last_shown != key:
            self.last_shown = key
            self._out()
            for line in handover_lines(state, now, self.started):
                self._out(line)
        elif state.asking is None:
            from aesthetic_protocols.faces.handover import timer_lines

            for line in timer_lines(state, now):
                self._out(line)
        self._out(handover_prompt(state))

    def read_handover(self, state: Handover, now: datetime) -> HandoverReading:
        """One line; end of input is EOFError (the walk ends as interrupted, resumable)."""
        line = self.stdin.readline()
        if line == "":
            raise EOFError
        return state.interpret(line, now)

    def say(self, message: str) -> None:
        """A message on a line of its own."""
        self._out(message)

    def finish(self, session: Session, events: list[Logged], log: str, resume_ref: str) -> None:
        """The outcome (or where it stopped and how to resume), the timeline, and the log's path."""
        node = session.node
        self._out()
        if isinstance(node, OutcomeNode) and not session.interrupted:  # (interrupted until handover: resumable)
            self._out(f"Outcome: {node.title} ({node.severity})")
            if session.because:
                self._out(because_line(session.because))
            if node.headline:
                self._out(session.render(node.headline))
            for step in node.steps:  # what to do first, then why
                self._out(f"  - {session.render(step)}")
            if node.text:
                self._out(session.render(node.text))
            if node.refs:
                self._out(f"Source: {', '.join(node.refs)}")
            if session.handed_over:  # the handover sheet, on screen at `h`
                from aesthetic_protocols.report.handover import handover_text

                for line in handover_text(events):
                    self._out(line)
        else:
            for line in interrupted_lines(session, resume_ref):
                self._out(line)
        from aesthetic_protocols.report.record import timeline  # the end screen only: not on the way in
        from aesthetic_protocols.report.templating import visible  # a note from the log may hold anything

        self._out("Timeline (elapsed, step, what was recorded):")
        rows = timeline(events, walked=session.protocol)
        width = max((len(row["node"]) for row in rows), default=0)
        for row in rows:  # aligned as `protocol log show` aligns them, without its clock time
            self._out(visible(f"  {row['elapsed']:>9}  {row['node']:<{width}}  {row['what']}".rstrip()))
        self._out(f"Log: {log}")
        if isinstance(node, OutcomeNode) and not session.interrupted:
            self._out(record_hint(resume_ref))


def _next_field(session: Session) -> bool:
    """Whether the walk is at a later field of the record node it has just been answering."""
    last = session.trail[-1] if session.trail else None
    return last is not None and last.how == "field" and last.node == session.current and last.next == session.current


def _lenient(stream: TextIO) -> TextIO:
    """Standard input with undecodable bytes kept as lone surrogates (`surrogateescape`) instead of raising:
    the engine refuses such a line ("not valid text: type it again") and the walk goes on."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        with suppress(ValueError, OSError):
            reconfigure(errors="surrogateescape")
    return stream
