"""The terminal face: every screen laid out to the window, one keystroke per step.

Pinned at the top: the protocol, its DRAFT status, a ticking elapsed clock and the short session id;
then the step's title and headline (and a wait's countdown). The body (text, options, checklist) is
paged when it does not fit, with a visible "more" marker. Pinned at the bottom: the red flags, a status
line that keeps the last message, and a key bar listing only the keys that work at this prompt. rich's
Live redraws the screen a few times a second, so the clock ticks and a resized window is refitted.

Keys (see README, "At the chair"): an option's or red flag's letter in either case; Enter for done or
continue; Backspace back; `?` the full sources; Space/PgDn and PgUp page the body; `:` opens a command
line taking the plain-mode words (`note: TEXT`, `time: HH:MM`, `back`, `quit`); Esc or Ctrl-C asks before
quitting. Keys typed before a new step's screen was drawn, or within a moment of it, are dropped.
"""

from __future__ import annotations

import time as monotonic_time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.layout import Layout
from rich.table import Table
from rich.text import Text

from aesthetic_protocols.engine import NOT_TEXT, Back, FlagRaised, Invalid, Quit, Reading, Session
from aesthetic_protocols.faces import (
    EARLY_QUESTION,
    because_line,
    elapsed,
    field_prompt,
    interrupted_lines,
    keys,
    sources_lines,
    status_banner,
    wait_text,
)
from aesthetic_protocols.faces.handover import handover_prompt, log_lines, timer_text
from aesthetic_protocols.handover import CancelHandover
from aesthetic_protocols.journal import short_id
from aesthetic_protocols.model import ActionNode, InputNode, OutcomeNode, QuestionNode, RecordNode, WaitNode

if TYPE_CHECKING:
    from aesthetic_protocols.events import Logged
    from aesthetic_protocols.handover import Handover, HandoverReading
    from aesthetic_protocols.walker import Clock

# A key arriving this soon after a new step's screen was drawn was meant for the screen before (a double
# Enter, a second tap): it is dropped, never taken as this step's answer.
KEY_GUARD_SECONDS = 0.3
TICK_SECONDS = 0.25  # how often the clock and countdown are redrawn while no key comes
_SEVERITY_STYLE = {"emergency": "bold white on red", "refer": "bold black on yellow",
                   "follow-up": "bold black on cyan", "resolved": "bold black on green"}
_FLAGS_STYLE = "bold white on red"
BANNER_STYLE = "bold white on blue"


class _Screen:
    """The live screen: laid out afresh at every refresh, at the window's size."""

    def __init__(self, face: TerminalFace) -> None:
        self.face = face

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.face.layout(console.size.width, options.height or console.size.height)


class TerminalFace:
    """rich rendering, single keystrokes, a live clock and countdown, a status line that stays."""

    name = "terminal"

    def __init__(self, clock: Clock | None = None, console: Console | None = None,
                 interactive: bool | None = None, banner: str | None = None) -> None:
        """`banner`: a bar pinned above the header and shown on every end screen (a drill's DRILL mark)."""
        # Protocol text is shown as written: no [markup], :emoji: or highlighting may change what it says.
        self.console = console or Console(highlight=False, markup=False, emoji=False)
        self.clock = clock or (lambda: datetime.now().astimezone())
        # Keys are read only from a real terminal; a test's console renders screens without reading.
        self.interactive = self.console.is_terminal if interactive is None else interactive
        self.session: Session | None = None
        self.session_id = ""
        self.started: datetime | None = None
        self.status = ""
        self.show_sources = False
        self.offset = 0  # first body line shown (paging)
        self.body_rows = 0  # body lines that fit, at the last layout
        self.body_total = 0
        self.line: tuple[str, str] | None = None  # (prompt, text) of the line being typed, if any
        self.confirming = False
        self.step: tuple[str, int] | None = None
        self.drawn_at = 0.0
        self.rang = False  # the current step's wait has rung
        self.live: Any = None
        self.banner = banner
        self.handover: Handover | None = None  # the handover loop's state, while it runs (see handover_loop)
        self.rung: set[tuple[str, int, datetime]] = set()  # the handover timers that have rung (each once)

    # --- the walk's frame ----------------------------------------------------------------------------

    def intro(self, session: Session, session_id: str, started: datetime, resumed: bool,
              clock: Clock | None = None) -> None:
        """Remember what the header shows, and read the walk's clock from now on."""
        self.clock = clock or self.clock
        self.session, self.session_id, self.started = session, session_id, started

    def active(self) -> AbstractContextManager[None]:
        """Single keys and the live screen for the whole walk; the terminal is restored however it ends."""
        return self._active()

    @contextmanager
    def _active(self) -> Iterator[None]:
        if not self.interactive:
            yield
            return
        from rich.live import Live

        with keys.key_mode():
            # Redrawn from this thread only (at every key, and every tick while waiting for one): no second
            # thread ever reads the session while the walk changes it.
            self.live = Live(_Screen(self), console=self.console, screen=True, auto_refresh=False,
                             redirect_stdout=False, redirect_stderr=False)
            try:
                with self.live:
                    yield
            finally:
                self.live = None

    def _draw(self) -> None:
        if self.live is not None:
            self.live.refresh()
        elif self.session is not None:
            self.console.print(_Screen(self))

    # --- one step --------------------------------------------------------------------------------------

    def show(self, session: Session, now: datetime) -> None:
        """Draw the step; a new step starts at its top with an empty status line and no typed-ahead keys."""
        self.session = session
        step = (session.current, len(session.trail))
        if step != self.step:
            self.step = step
            due = session.due()
            self.rang = due is not None and due <= now  # already overdue on arrival (a resume): no ring
            self.offset = 0
            self.status = ""
            self.show_sources = False
            self._draw()
            if self.interactive:
                keys.drop_typed_ahead()
            self.drawn_at = monotonic_time.monotonic()
        else:
            self._draw()

    def show_handover(self, state: Handover, now: datetime) -> None:
        """The handover screen: headline and timers pinned, steps and log below, the log keys and `h` in the
        key bar. A timer already run out when the screen first shows (a resume) does not ring."""
        self.handover = state
        self.rung |= {(state.node, view.index, view.due) for view in state.timers(now) if view.overdue}
        self.show(state.session, now)

    def read_handover(self, state: Handover, now: datetime) -> HandoverReading:
        """Keys until one makes a command of the handover loop; the handover's time and to whom are lines."""
        if state.asking is not None:
            line = self._read_line(handover_prompt(state) + " ", "")
            return CancelHandover() if line is None else state.interpret(line, now)
        while True:
            key = self._guarded_key()
            if key is None:
                continue
            if key in (keys.CTRL_C, keys.ESCAPE):
                reading: HandoverReading | None = self._confirm_quit("Ctrl-C" if key == keys.CTRL_C else "quit")
            elif key == keys.CTRL_D:
                raise EOFError
            elif key == ":":
                line = self._read_line(":", "")
                reading = state.interpret(line, now) if line and line.strip() else None
            elif key in keys.BACKSPACE:
                reading = state.interpret("back", now)
            elif len(key) == 1 and key.isalpha():
                reading = state.interpret(key, now)
            else:
                reading = None
            if reading is not None:
                return reading

    def say(self, message: str) -> None:
        """Keep `message` in the status line until the next message or the next step."""
        self.status = message
        self._draw()

    def read(self, session: Session, now: datetime) -> Reading:
        """Keys until one makes a command for the walk (paging, sources and cancelled dialogs do not)."""
        node = session.node
        while True:
            key = self._guarded_key()
            reading = self._key(session, node, key) if key is not None else None
            if reading is not None:
                return reading

    def _guarded_key(self) -> str | None:
        """The next key, or None when it came as the screen changed (dropped, with a message)."""
        key = self._next_key()
        if monotonic_time.monotonic() - self.drawn_at < KEY_GUARD_SECONDS:
            keys.drop_typed_ahead()
            self.say("a key pressed as the screen changed was ignored: press it again")
            return None
        return key

    def _next_key(self) -> str:
        """The next key; meanwhile the screen is redrawn every tick (the clock, the countdown, a resized window)
        and a wait rings once when it falls due."""
        while True:
            key = keys.read_key(TICK_SECONDS)
            if key is not None:
                return key
            session = self.session
            due = session.due() if session is not None else None
            if due is not None and not self.rang and self.clock() >= due:
                self.console.bell()
                self.rang = True
            if self._handover_open():  # each handover timer rings once when it runs out
                assert self.handover is not None
                views = self.handover.timers(self.clock())
                ring = {(self.handover.node, v.index, v.due) for v in views if v.overdue} - self.rung
                if ring:
                    self.console.bell()
                    self.rung |= ring
            self._draw()

    def _key(self, session: Session, node: Any, key: str) -> Reading | None:
        """What one key means at this prompt (None: handled here, keep reading)."""
        if key in (keys.CTRL_C, keys.ESCAPE):
            return self._confirm_quit("Ctrl-C" if key == keys.CTRL_C else "quit")
        if key == keys.CTRL_D:
            raise EOFError
        if _undecodable(key):
            return Invalid(NOT_TEXT)
        if session.confirming_early:  # one key: y continues early, any other keeps waiting
            return session.interpret("y" if key in ("y", "Y") else "n")
        if key in keys.PAGE_DOWN or key in keys.PAGE_UP:
            self._page(1 if key in keys.PAGE_DOWN else -1)
            return None
        if key == "?":
            self.show_sources = not self.show_sources
            self._draw()
            return None
        if key == ":":
            return self._command_line(session)
        if isinstance(node, InputNode):
            return self._number(session, key)
        if session.field is not None:
            return self._field(session, key)
        if key in keys.BACKSPACE:
            return Back() if session.trail else Invalid("this is the first step: there is nothing to go back to")
        if key in keys.ENTER:
            if isinstance(node, QuestionNode):
                return Invalid("press the letter of an answer")
            return session.interpret("")
        if len(key) == 1 and key.isalnum():
            reading = session.interpret(key)  # either case: interpret reads letters in lower case
            if isinstance(node, QuestionNode) or isinstance(reading, FlagRaised):
                return reading
            return Invalid(f"that key does nothing here: {self._enter_word(node)}")
        return None  # other control keys and escape sequences are not answers

    @staticmethod
    def _enter_word(node: Any) -> str:
        return "press Enter when reassessed" if isinstance(node, WaitNode) else "press Enter when done"

    def _number(self, session: Session, first: str) -> Reading | None:
        """An input's number, typed on the prompt line; a red flag's letter still raises the flag."""
        if len(first) == 1 and first.isalpha():
            reading = session.interpret(first)
            return reading if isinstance(reading, FlagRaised) else Invalid("type a number, then Enter")
        if first in keys.BACKSPACE:
            return Invalid("type a number, then Enter (`:back` goes back a step)")
        if first in keys.ENTER:
            return Invalid("type a number, then Enter")
        return self._typed(session, first)

    def _field(self, session: Session, first: str) -> Reading | None:
        """A record field's value, typed on the prompt line (a line that is only a red flag's letter raises it,
        as in plain mode); Enter at once takes the default or skips an optional field."""
        if first in keys.ENTER:
            return session.interpret("")
        if first in keys.BACKSPACE:
            return Invalid("type the value, then Enter (`:back` goes back a field)")
        if len(first) != 1 or not first.isprintable():
            return None
        record_field = session.field
        if record_field is not None and record_field.type == "choice":
            # A choice is one keystroke, as a question's answer is (either case, or its number).
            return session.interpret(first) if first.isalnum() else Invalid("press the letter of a choice")
        return self._typed(session, first)

    def _typed(self, session: Session, first: str) -> Reading | None:
        """A value typed on the prompt line; a refused one stays on the line, with the reason, to correct."""
        line = self._read_line("> ", first)
        while line is not None:
            reading = session.interpret(line, self.clock())
            if not isinstance(reading, Invalid) or not line:
                return reading
            self.status = reading.reason
            line = self._read_line("> ", line)
        return None

    def _command_line(self, session: Session) -> Reading | None:
        """`:` then a plain-mode command: note: TEXT, time: HH:MM, back, quit."""
        line = self._read_line(":", "")
        if line is None or not line.strip():
            return None
        reading = session.command(line)  # only the words taken at any prompt: never an answer or a red flag
        if reading is None:
            return Invalid("commands: note: TEXT, time: HH:MM, back, quit")
        if isinstance(reading, Quit):
            return self._confirm_quit("quit")
        if isinstance(reading, Back) and not session.trail:
            return Invalid("this is the first step: there is nothing to go back to")
        return reading

    def _confirm_quit(self, reason: str) -> Reading | None:
        """Quit only when confirmed: y (either case) or a second Ctrl-C; any other key stays."""
        self.confirming = True
        self._draw()
        try:
            key = self._next_key()
        finally:
            self.confirming = False
        if key.lower() == "y" or key == keys.CTRL_C:
            return Quit(reason)
        self.say("still here: the walk goes on")
        return None

    def _page(self, direction: int) -> None:
        rows = max(1, self.body_rows - 1)  # body rows shown beside the "more" marker
        last = max(0, self.body_total - rows)
        self.offset = min(last, max(0, self.offset + direction * max(1, rows - 1)))
        self._draw()

    def _read_line(self, prompt: str, first: str) -> str | None:
        """A line typed at `prompt`, shown in the key bar; None when Escape cancels it.

        Backspace erases one character, Enter ends the line, Ctrl-D on an empty line is end of input.
        """
        # One key typed first, or a refused value kept to correct.
        chars: list[str] = list(first) if first and first.isprintable() else []
        self.line = (prompt, _shown(chars))
        self._draw()
        try:
            while True:
                key = self._next_key()
                if key in keys.ENTER:
                    return "".join(chars)
                if key in (keys.ESCAPE, keys.CTRL_C):
                    self.status = "(cancelled)"
                    return None
                if key == keys.CTRL_D:
                    if not chars:
                        raise EOFError
                    continue
                if key in keys.BACKSPACE:
                    if chars:
                        chars.pop()
                elif (len(key) == 1 and key.isprintable()) or _undecodable(key):
                    chars.append(key)  # bytes that were no text: shown as \ufffd, refused with the line
                else:
                    continue  # other control keys and escape sequences (arrows) are not text
                self.line = (prompt, _shown(chars))
                self._draw()
        finally:
            self.line = None
            self._draw()

    # --- the layout --------------------------------------------------------------------------------------

    def layout(self, width: int, height: int) -> Layout:
        """The whole screen at this size: pinned header, title and headline; paged body; pinned flags and keys."""
        session = self.session
        assert session is not None
        now = self.clock()
        top: list[Table | Text] = [*self._header(session, width, now), *self._title(session, now)]
        body = self._body_lines(session, width)
        self.body_total = len(body)
        self.body_rows = len(body)  # first as if it fits; the key bar offers paging only when it does not
        for _ in range(2):
            bottom: list[Table | Text] = [*self._flags(session), self._status_line(), self._key_bar(session, width)]
            heights = [self._height(part, width) for part in (*top, *bottom)]
            room = max(0, height - sum(heights))
            paged = len(body) > self.body_rows
            self.body_rows = room
            if paged == (len(body) > room):
                break
        shown = body[:room]
        if len(body) > room and room > 0:
            rows = room - 1  # the last row is the marker that says there is more (or that this is the end)
            self.offset = min(self.offset, len(body) - rows)
            more = len(body) - self.offset - rows
            marker = (Text(f" ▼ {more} more line(s): Space or PgDn", style="bold reverse") if more > 0
                      else Text(" ▲ end of this step: PgUp for the top", style="bold reverse"))
            shown = [*body[self.offset:self.offset + rows], marker]
        else:
            self.offset = 0
        screen = Layout()
        parts = [Layout(part, size=size) for part, size in zip(top, heights, strict=False)]
        parts.append(Layout(Text("\n").join(shown) if shown else Text(" "), size=room))
        parts += [Layout(part, size=size) for part, size in zip(bottom, heights[len(top):], strict=False)]
        screen.split_column(*parts)
        return screen

    def _handover_open(self) -> bool:
        return self.handover is not None and self.handover.open and self.handover.session is self.session

    def _height(self, part: Table | Text, width: int) -> int:
        options = self.console.options.update(width=width, height=None)
        return len(self.console.render_lines(part, options, pad=False))

    def _print_banner(self) -> None:
        if self.banner:
            self.console.print(self.banner, style=BANNER_STYLE)

    def _header(self, session: Session, width: int, now: datetime) -> list[Table | Text]:
        protocol = session.protocol
        bar = [Text(self.banner, style=BANNER_STYLE, no_wrap=True, overflow="ellipsis")] if self.banner else []
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        right = f" {elapsed(self.started, now)} elapsed  session {short_id(self.session_id)}"
        grid.add_row(Text(f"{protocol.title} v{protocol.version}", style="bold"), Text(right, style="bold"),
                     style="reverse")
        banner = status_banner(session)
        if not banner:
            return [*bar, grid]
        if len(banner) > width:
            banner = f"{str(protocol.status).upper()}: not approved for care; check your local protocol"
        return [*bar, grid, Text(banner, style="bold black on yellow", no_wrap=True, overflow="ellipsis")]

    def _title(self, session: Session, now: datetime) -> list[Text]:
        node = session.node
        lines = [Text(session.render(node.title), style="bold underline")]
        if session.because:  # a decision led here: why, under the title
            lines.append(Text(because_line(session.because), style="italic"))
        if node.headline:
            lines.append(Text(session.render(node.headline), style="bold"))
        record_field = session.field
        if record_field is not None:
            lines.append(Text(f"▶ {field_prompt(session, record_field)}", style="bold cyan"))
        if self._handover_open():
            assert self.handover is not None
            for view in self.handover.timers(now):
                lines.append(Text(f"⏱ {timer_text(view, now)}", style="bold white on red" if view.overdue else "bold"))
        waiting = wait_text(session, now)
        if waiting:
            urgent = not waiting.startswith("Reassess at")
            lines.append(Text(waiting, style="bold white on red" if urgent else "bold"))
        return lines

    def _body_lines(self, session: Session, width: int) -> list[Text]:
        node = session.node
        body = Text()
        if node.text:
            body.append(session.render(node.text) + "\n")
        if isinstance(node, QuestionNode):
            for option in node.options:
                body.append(f"\n [{option.key}] ", style="bold cyan")
                body.append(option.label)
                if option.detail:
                    body.append(f"  ({option.detail})", style="dim")
        if self._handover_open():  # the log first: it is used again and again, the steps are read once
            assert self.handover is not None
            for item in self.handover.block.log:
                body.append(f" [{item.key}] ", style="bold cyan")
                body.append(f"{item.label}\n")
            body.append(" [h] ", style="bold cyan")
            body.append("handed over (the time, then to whom)\n")
            logged = log_lines(self.handover, self.clock())
            body.append("Logged:" if logged else "Nothing logged yet.", style="bold")
            for line in logged:
                body.append(f"\n{line}", style="strike" if "(withdrawn at" in line else "")
            body.append("\n")
        if isinstance(node, ActionNode | WaitNode | OutcomeNode):
            for step in node.steps:
                body.append(f"\n [ ] {session.render(step)}")
        if isinstance(node, InputNode):
            unit = f" {node.unit}" if node.unit else ""
            body.append(f"\nA whole number from {node.min} to {node.max}{unit}.", style="bold")
        if isinstance(node, RecordNode):
            current = session.field
            done = session.records
            for record_field in node.fields:
                here = current is not None and record_field.id == current.id
                value = done.get(record_field.id) if not here else None
                mark = "▶" if here else "✓" if value is not None else " "
                if value and record_field.type == "choice":
                    value = next((c.label for c in record_field.choices if c.key == value), value)
                unit = f" {record_field.unit}" if value and record_field.unit else ""
                shown = f": {value}{unit}" if value else ": (skipped)" if value is not None else ""
                body.append(f"\n {mark} {record_field.label}{shown}", style="bold" if here else "")
        if node.disagreement:
            body.append(f"\n\nSources disagree: {node.disagreement}", style="italic")
        if node.refs:
            body.append(f"\n\nSource: {', '.join(node.refs)}", style="dim")
            if self.show_sources:
                for line in sources_lines(session):
                    body.append(f"\n  {line}", style="dim")
        wrapped = body.wrap(self.console, width)
        return list(wrapped)

    def _flags(self, session: Session) -> list[Text]:
        flags = session.protocol.red_flags
        if not flags:
            return []
        text = Text("RED FLAGS ", style=_FLAGS_STYLE)
        for flag in flags:
            text.append(f" [{flag.key.upper()}] {flag.label} ", style=_FLAGS_STYLE)
        return [text]

    def _status_line(self) -> Text:
        if self.session is not None and self.session.confirming_early:
            return Text(f"{EARLY_QUESTION}  y = yes, continue early   any other key = keep waiting",
                        style="bold black on yellow")
        if self.confirming:
            return Text("Quit? The log is kept and the walk can be resumed.  y = quit   any other key = stay",
                        style="bold black on yellow")
        # Never an empty Text: rich's Layout shows a placeholder box for a renderable that is empty.
        return Text(self.status or " ", style="bold", no_wrap=True, overflow="ellipsis")

    def _key_bar(self, session: Session, width: int) -> Text:
        if self.line is not None:
            prompt, typed = self.line
            text = Text(f"{prompt}{typed}", style="bold")
            text.append("_", style="blink")
            text.append("   Enter = done   Backspace = erase   Esc = cancel", style="dim")
            return text
        node = session.node
        if self._handover_open():
            assert self.handover is not None
            keys_here = [f"{'/'.join(item.key for item in self.handover.block.log)} log", "h handed over"]
        elif isinstance(node, QuestionNode):
            keys_here = [f"{'/'.join(o.key for o in node.options)} answer"]
        elif isinstance(node, InputNode):
            keys_here = ["number + Enter"]
        elif session.field is not None and session.field.type == "choice":
            keys_here = [f"{'/'.join(c.key for c in session.field.choices)} choose"]
        elif session.field is not None:
            keys_here = ["type the value + Enter"]
        elif isinstance(node, WaitNode):
            keys_here = ["Enter continue"]
        else:
            keys_here = ["Enter done"]
        flags = session.protocol.red_flags
        if flags:
            keys_here.append(f"{'/'.join(flag.key for flag in flags)} red flag")
        if session.trail and not isinstance(node, InputNode | RecordNode | OutcomeNode):
            keys_here.append("Backspace back")
        if node.refs:
            keys_here.append("? sources")
        if self.body_total > self.body_rows:
            keys_here.append("Space/PgUp page")
        keys_here += [": note/time/back", "Esc quit"]
        lines = [""]
        for entry in keys_here:  # packed by whole entries: a key is never split from what it does
            joined = f"{lines[-1]} · {entry}" if lines[-1] else entry
            if len(joined) > width and lines[-1]:
                lines.append(entry)
            else:
                lines[-1] = joined
        return Text("\n".join(lines), style="reverse")

    # --- the end -------------------------------------------------------------------------------------------

    def finish(self, session: Session, events: list[Logged], log: str, resume_ref: str) -> None:
        """The outcome alone (the timeline one key away), or where the walk stopped and how to resume it."""
        if self.live is not None:
            self.live.stop()
            self.live = None
        node = session.node
        if not isinstance(node, OutcomeNode) or session.interrupted:  # (interrupted until handover: resumable)
            self._print_banner()
            for line in interrupted_lines(session, resume_ref):
                self.console.print(line, style="bold")
            self.console.print(f"Log: {log}")
            return
        showing_timeline = False
        while True:
            self.console.clear()
            self._print_banner()
            if showing_timeline:
                self._print_timeline(events)
                self.console.print("t = back to the outcome   Enter = close", style="reverse")
            elif session.handed_over:  # the handover sheet, on screen at `h`
                from aesthetic_protocols.report.handover import handover_text

                for line in handover_text(events):
                    self.console.print(line, style="bold" if not line.startswith(" ") else "")
                self.console.print(f"Log: {log}")
                self.console.print("t = timeline   Enter = close", style="reverse")
            else:
                self._print_outcome(session, node, log)
                self.console.print("t = timeline   Enter = close", style="reverse")
            if not self.interactive:
                return
            key = keys.read_key(None)
            if key is not None and key.lower() == "t":
                showing_timeline = not showing_timeline
            elif key in (*keys.ENTER, keys.ESCAPE, keys.CTRL_C, keys.CTRL_D, "q", "Q"):
                if showing_timeline:  # what stays on the screen afterwards is the outcome
                    self.console.clear()
                    self._print_banner()
                    self._print_outcome(session, node, log)
                return

    def _print_outcome(self, session: Session, node: OutcomeNode, log: str) -> None:
        protocol = session.protocol
        self.console.print(Text(f" Outcome: {node.title} ({node.severity}) ",
                                style=_SEVERITY_STYLE.get(str(node.severity), "bold")))
        if session.because:
            self.console.print(Text(because_line(session.because), style="italic"))
        if node.headline:
            self.console.print(Text(session.render(node.headline), style="bold"))
        banner = status_banner(session)
        if banner:
            self.console.print(Text(banner, style="bold black on yellow"))
        if node.text:
            self.console.print(session.render(node.text))
        for step in node.steps:
            self.console.print(f" [ ] {session.render(step)}")
        if node.refs:
            self.console.print(Text(f"Source: {', '.join(node.refs)}", style="dim"))
        self.console.print(Text(f"{protocol.title} v{protocol.version}  session {self.session_id}", style="dim"))
        self.console.print(f"Log: {log}")

    def _print_timeline(self, events: list[Logged]) -> None:
        from aesthetic_protocols.report.record import timeline  # the end screen only: not on the way in
        from aesthetic_protocols.report.templating import visible  # a note from the log may hold anything

        table = Table("local time", "elapsed", "step", "what was recorded")
        for row in timeline(events):  # Text, not markup: a note's "[bold]" stays as typed
            table.add_row(row["time"][11:19], row["elapsed"], Text(visible(row["node"])), Text(visible(row["what"])))
        self.console.print(table)


def _undecodable(key: str) -> bool:
    """A key read from bytes that were no UTF-8 (see `keys.read_key`)."""
    return any("\ud800" <= char <= "\udfff" for char in key)


def _shown(chars: list[str]) -> str:
    """The line being typed as it can be drawn: an undecodable byte as U+FFFD (a lone surrogate cannot be
    written to the terminal)."""
    return "".join("\ufffd" if _undecodable(char) else char for char in chars)
