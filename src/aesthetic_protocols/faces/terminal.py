"""The terminal face: every screen laid out to the window, one keystroke per step.

Pinned at the top: the protocol, its DRAFT status, a ticking elapsed clock and the short session id;
then the step's title and headline (and a wait's countdown). The body (text, options, checklist) is
paged when it does not fit, with a visible "more" marker. Pinned at the bottom: the red flags, a status
line that keeps the last message, and a key bar listing only the keys that work at this prompt. The screen
is laid out afresh at every key and at every tick that changes the clock, the countdown or the window's size,
so the clock ticks and a resized window is refitted; only the rows that changed are written (see frames).

Keys (see README, "At the chair"): an option's or red flag's letter in either case; Enter for done or
continue; Backspace back; `?` the full sources; Space/PgDn and PgUp page the body; `:` opens a command
line taking the plain-mode words (`note: TEXT`, `time: HH:MM`, `back`, `quit`); Esc or Ctrl-C asks before
quitting; Ctrl-L redraws the whole screen. Keys typed before a new step's screen was drawn, or within a
moment of it, are dropped.
"""

from __future__ import annotations

import time as monotonic_time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from aesthetic_protocols.engine import NOT_TEXT, NOTE_LIMIT, Back, FlagRaised, Invalid, Quit, Reading, Session
from aesthetic_protocols.faces import interrupted_lines, keys, record_hint
from aesthetic_protocols.journal import short_id
from aesthetic_protocols.screen import Screen, because_line, build_screen, elapsed, status_banner, wait_text
from aesthetic_protocols.tree import InputNode, OutcomeNode, Protocol, QuestionNode, WaitNode

if TYPE_CHECKING:
    from aesthetic_protocols.events import Logged
    from aesthetic_protocols.faces.frames import Frames
    from aesthetic_protocols.handover import Handover, HandoverReading
    from aesthetic_protocols.walker import Clock

# A key arriving this soon after a new step's screen was drawn was meant for the screen before (a double
# Enter, a second tap): it is dropped, never taken as this step's answer, and the status line says so.
KEY_GUARD_SECONDS = 0.3
# Enter passes a screen without reading it: a second Enter this soon after a new screen is dropped too.
ENTER_GUARD_SECONDS = 0.6
ENTER_DROPPED = "Enter ignored: the screen had just changed. Read it, then press Enter again"
# The key bar's word for `:` (the commands as typed after it, colons and all: `:time: 14:02`), and the status
# line while the command is typed, each command in full.
COMMANDS_KEY = ": note: / time: / back"
COMMANDS_LINE = "commands: note: TEXT, time: HH:MM, back, quit"
QUIT_QUESTION = "Quit? The log is kept and the walk can be resumed.  y = quit   any other key = stay"
KEY_DROPPED = "a key pressed as the screen changed was ignored: press it again"
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
        yield self.face.layout(options.max_width, options.height or console.size.height)


class TerminalFace:
    """rich rendering, single keystrokes, a live clock and countdown, a status line that stays."""

    name = "terminal"

    def __init__(self, clock: Clock | None = None, console: Console | None = None,
                 interactive: bool | None = None, banner: str | None = None,
                 monotonic: Callable[[], float] | None = None,
                 read_key: Callable[[float | None], str | None] | None = None) -> None:
        """`banner`: a bar pinned above the header and shown on every end screen (a drill's DRILL mark).
        `monotonic` and `read_key` (the seconds clock of the key guards, and where keys come from) are the
        terminal's unless a test gives its own."""
        self.monotonic = monotonic or monotonic_time.monotonic
        self.queued: list[str] = []  # keys read ahead while a paste was taken in, not yet used
        self.ticked: tuple[str, str | None, tuple[int, int]] | None = None  # what the last tick showed
        self.read_key = read_key or keys.read_key
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
        self.frames: Frames | None = None  # the screen on the terminal, while the walk is interactive
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
        from aesthetic_protocols.faces.frames import Frames

        with keys.key_mode():
            # Redrawn from this thread only (at every key, and every tick while waiting for one): no second
            # thread ever reads the session while the walk changes it.
            self.frames = Frames(self.console)
            try:
                with self.frames:
                    self._draw()  # the first frame at once, before the walk shows its first step
                    yield
            finally:
                self.frames = None

    def _draw(self) -> None:
        session = self.session
        if session is None:
            return
        if self.frames is not None:  # a new step is drawn whole; on the same step only the rows that changed
            self.frames.draw(_Screen(self), (session.current, len(session.trail)))
        else:
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
            self.queued.clear()
            if self.interactive:
                keys.drop_typed_ahead()
            self.drawn_at = self.monotonic()
        else:
            self._draw()

    def show_handover(self, state: Handover, now: datetime) -> None:
        """The handover screen: headline and timers pinned, the log keys with them, the log and steps below,
        the log keys and `h` in the key bar. A timer already run out when the screen first shows (a resume)
        does not ring."""
        self.handover = state
        self.rung |= {(state.node, view.index, view.due) for view in state.timers(now) if view.overdue}
        self.show(state.session, now)

    def read_handover(self, state: Handover, now: datetime) -> HandoverReading:
        """Keys until one makes a command of the handover loop; the handover's time and to whom are lines."""
        if state.asking is not None:
            from aesthetic_protocols.faces.handover import handover_prompt  # only a handover needs it
            from aesthetic_protocols.handover import CancelHandover

            line = self._read_line(handover_prompt(state) + " ", "")
            return CancelHandover() if line is None else state.interpret(line, now)
        while True:
            key = self._guarded_key()
            if key is None or key in keys.PAGE_DOWN or key in keys.PAGE_UP or key in ("?", keys.CTRL_L):
                if key is not None:
                    self._key(state.session, state.session.node, key)  # paging and sources, as at any step
                continue
            if key in (keys.CTRL_C, keys.ESCAPE):
                reading: HandoverReading | None = self._confirm_quit("Ctrl-C" if key == keys.CTRL_C else "quit")
            elif key == keys.CTRL_D:
                raise EOFError
            elif _undecodable(key):
                self.say(NOT_TEXT)
                reading = None
            elif key == ":":
                line = self._read_line(":", "")
                reading = state.interpret(line, now) if line and line.strip() else None
            elif key in keys.BACKSPACE:
                reading = state.interpret("back", now)
            elif key == "!":  # `!v` raises a red flag here too, as at every prompt
                flag = self._next_key()
                reading = state.interpret(flag.lower(), now) if len(flag) == 1 and flag.isalpha() else None
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
        """The next key, or None when it came as the screen changed (dropped, and the status line says so):
        any key within KEY_GUARD_SECONDS, an Enter within ENTER_GUARD_SECONDS."""
        key = self._next_key()
        since = self.monotonic() - self.drawn_at
        if since < KEY_GUARD_SECONDS or (key in keys.ENTER and since < ENTER_GUARD_SECONDS):
            self.queued.clear()
            if self.interactive:
                keys.drop_typed_ahead()
            self.say(ENTER_DROPPED if key in keys.ENTER else KEY_DROPPED)
            return None
        return key

    def _next_key(self) -> str:
        """The next key; meanwhile the screen is redrawn every tick (the clock, the countdown, a resized window)
        and a wait rings once when it falls due."""
        while True:
            if self.queued:
                return self.queued.pop(0)
            key = self.read_key(TICK_SECONDS)
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
            ticked = self._ticking()
            if ticked != self.ticked:  # a tick redraws only when what it shows has changed
                self.ticked = ticked
                self._draw()

    def _ticking(self) -> tuple[str, str | None, tuple[int, int]]:
        """What a tick may change: the elapsed clock, a wait's countdown (or the handover's timers), the
        window's size."""
        now = self.clock()
        session = self.session
        if self._handover_open():
            assert self.handover is not None
            waiting: str | None = repr([(v.left, v.overdue) for v in self.handover.timers(now)])
        else:
            waiting = wait_text(session, now) if session is not None else None
        return (elapsed(self.started, now), waiting, tuple(self.console.size))  # type: ignore[return-value]

    def _handover_open(self) -> bool:
        return self.handover is not None and self.handover.open and self.handover.session is self.session

    def _key(self, session: Session, node: Any, key: str) -> Reading | None:
        """What one key means at this prompt (None: handled here, keep reading)."""
        if key in (keys.CTRL_C, keys.ESCAPE):
            return self._confirm_quit("Ctrl-C" if key == keys.CTRL_C else "quit")
        if key == keys.CTRL_D:
            raise EOFError
        if key == keys.CTRL_L:  # another program wrote over the screen: all of it again, not only what changed
            if self.frames is not None:
                self.frames.forget()
            self._draw()
            return None
        if _undecodable(key):
            return Invalid(NOT_TEXT)
        if session.confirming_early:  # one key: y continues early, any other keeps waiting
            return session.interpret("y" if key in ("y", "Y") else "n")
        if key in keys.PAGE_DOWN or key in keys.PAGE_UP:
            self._page(1 if key in keys.PAGE_DOWN else -1)
            return None
        if key == "?":  # the full citations, at the end of the step: shown there at once
            self.show_sources = not self.show_sources
            self.offset = 10**6 if self.show_sources else 0  # the layout stops at the last page
            self.say("full citations below; ? hides them" if self.show_sources else "citations hidden")
            return None
        if key == ":":
            return self._command_line(session)
        if key == "!":
            return self._bang(session)
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

    def _bang(self, session: Session) -> Reading | None:
        """`!` then a red flag's key raises it, at any prompt (at a text field the only way); at a text field
        `!` then any other key is the start of the text."""
        flags = "/".join(flag.key for flag in session.protocol.red_flags)
        self.say(f"! then a red flag's key: {flags}" if flags else "this protocol has no red flags")
        key = self._next_key()
        if len(key) == 1 and session.red_flag(key.lower()) is not None:
            return FlagRaised(key.lower())
        if session.at_text_field and len(key) == 1 and key.isprintable():
            return self._typed(session, "!" + key)
        return Invalid(f"! then a red flag's key: {flags}" if flags else "this protocol has no red flags")

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
        if not session.at_text_field and session.red_flag(first.lower()) is not None:
            return FlagRaised(first.lower())  # no number, time or date holds a letter: the flag's key alone
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
        self.status = COMMANDS_LINE  # each command exactly as typed, above the line being typed
        line = self._read_line(":", "")
        if self.status == COMMANDS_LINE:
            self.status = ""
        if line is None or not line.strip():
            return None
        reading = session.command(line)  # only the words taken at any prompt: never an answer or a red flag
        while isinstance(reading, Invalid) and line.strip().lower().startswith("note:") and \
                len(line.strip()[5:].strip()) > NOTE_LIMIT:
            # A note refused (too long): kept on the line, with the reason, to be shortened or split.
            typed = len(line.strip()[5:].strip())
            self.status = f"{reading.reason} ({typed:,} typed); the note is kept here: shorten it"
            line = self._read_line(":", line)
            if line is None or not line.strip():
                return None
            reading = session.command(line)
        if reading is None:
            return Invalid(COMMANDS_LINE)
        if isinstance(reading, Quit):
            return self._confirm_quit("quit")
        if isinstance(reading, Back) and not session.trail:
            return Invalid("this is the first step: there is nothing to go back to")
        return reading

    def _typed_keys(self) -> list[str]:
        """The keys already waiting (a paste), up to a line's worth, without waiting for more."""
        waiting: list[str] = []
        while len(waiting) < 4096:
            key = self.read_key(0)
            if key is None:
                break
            waiting.append(key)
            if key in keys.ENTER:
                break
        return waiting

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
                if not self.queued:  # a paste arrives at once: take every key already typed before redrawing
                    self.queued = self._typed_keys()
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
                if not self.queued:  # shown once a paste is all in: the line is drawn, never rebuilt per key
                    self.line = (prompt, _shown(chars))
                    self._draw()
        finally:
            self.line = None
            self._draw()

    # --- the layout --------------------------------------------------------------------------------------

    def layout(self, width: int, height: int) -> Text:
        """The whole screen at this size, `height` rows: pinned header, title, headline and the decision (a
        question's options, an emergency's first action); the rest paged; pinned flags, status and keys."""
        session = self.session
        assert session is not None
        now = self.clock()
        if self._handover_open():
            assert self.handover is not None
            from aesthetic_protocols.faces.handover import handover_screen  # only a handover needs it

            model = handover_screen(self.handover, now, self.status)
        else:
            model = build_screen(session, now, self.status)
        top = [*self._header(session, model, width, now), *self._title(model, width)]
        pinned = self._pinned(model, width)
        body = self._body(model, width)
        self.body_total = len(body)
        self.body_rows = len(body)  # first as if it fits; the key bar offers paging only when it does not
        room = 0
        bottom: list[Text] = []
        for _ in range(2):
            bottom = [*self._flags(model, width), *self._status_line(model, width), *self._key_bar(model, width)]
            room = height - len(top) - len(pinned) - len(bottom)
            if room < 2 and pinned:  # a window too small for the decision as well: it pages with the rest
                body, pinned = [*pinned, *body], []
                self.body_total = len(body)
                room = height - len(top) - len(bottom)
            room = max(0, room)
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
        shown += [Text("")] * (room - len(shown))
        screen = Text("\n").join([*top, *pinned, *shown, *bottom][:height])
        screen.no_wrap = True
        screen.overflow = "crop"
        return screen

    def _wrap(self, text: Text, width: int) -> list[Text]:
        """`text` as rows of the window's width, broken at word boundaries; a styled row fills its width."""
        rows = list(text.wrap(self.console, width))
        if text.style:
            for row in rows:
                row.align("left", width)
        return rows

    def _print_banner(self) -> None:
        if self.banner:
            self.console.print(self.banner, style=BANNER_STYLE)

    def _header(self, session: Session, model: Screen, width: int, now: datetime) -> list[Text]:
        bar = [self._one_row(self.banner, BANNER_STYLE, width)] if self.banner else []
        right = f" {elapsed(self.started, now)} elapsed  session {short_id(self.session_id)}"
        left = model.heading
        if len(left) + len(right) > width:
            left = left[:max(0, width - len(right) - 1)] + "…"
        header = Text(left.ljust(width - len(right)) + right, style="bold reverse")
        if not model.banner:
            return [*bar, header]
        banner = model.banner
        if len(banner) > width:
            banner = f"{str(session.protocol.status).upper()}: not approved for care; check your local protocol"
        return [*bar, header, self._one_row(banner, "bold black on yellow", width)]

    @staticmethod
    def _one_row(text: str, style: str, width: int) -> Text:
        row = Text(text, style=style, no_wrap=True, overflow="ellipsis")
        row.truncate(width, overflow="ellipsis", pad=True)
        return row

    def _title(self, model: Screen, width: int) -> list[Text]:
        rows = self._wrap(Text(model.title, style="bold underline"), width)
        for line, style in ((model.headline, "bold"), (model.because, "italic"),
                            (f"▶ {model.asking}" if model.asking else None, "bold cyan")):
            if line:
                rows += self._wrap(Text(line, style=style), width)
        for timer in model.timers:
            rows += self._wrap(Text(timer.text, style="bold white on red" if timer.urgent else "bold"), width)
        return rows

    def _pinned(self, model: Screen, width: int) -> list[Text]:
        """What is decided or done now: every option of a question, an emergency screen's first action."""
        rows: list[Text] = []
        for option in (*model.options, *model.log_keys):
            label = Text(option.label)
            if option.detail:
                label.append(f"  ({option.detail})", style="dim")
            rows += self._item(Text(f" [{option.key}] ", style="bold cyan"), label, width)
        for action in model.pinned_actions:
            rows += self._item(Text(" [ ] ", style="bold"), Text(action, style="bold"), width)
        return rows

    def _item(self, mark: Text, text: Text, width: int) -> list[Text]:
        """A listed item: its mark, then its words wrapped with a hanging indent under the first word."""
        indent = mark.cell_len
        rows = list(text.wrap(self.console, max(10, width - indent)))
        out = []
        for number, row in enumerate(rows):
            line = mark.copy() if number == 0 else Text(" " * indent)
            line.append_text(row)
            out.append(line)
        return out

    def _body(self, model: Screen, width: int) -> list[Text]:
        """The rest, paged: further actions, the record's fields, then the evidence and its sources."""
        rows: list[Text] = []
        for action in model.actions[len(model.pinned_actions):]:
            rows += self._item(Text(" [ ] "), Text(action), width)
        if model.log_keys:  # until handover: what was logged, under the steps (the first one is pinned)
            rows += [Text(""), Text("Logged:" if model.logged else "Nothing logged yet.", style="bold")]
            for line in model.logged:
                rows += self._wrap(Text(line, style="strike" if "(withdrawn at" in line else ""), width)
        for row in model.fields:
            mark = "▶" if row.here else "✓" if row.value is not None else " "
            shown = f": {row.value}" if row.value is not None else ""
            rows += self._item(Text(f" {mark} "), Text(f"{row.label}{shown}", style="bold" if row.here else ""), width)
        for text in model.evidence:
            if rows:
                rows.append(Text(""))
            rows += self._wrap(Text(text, style="italic" if text.startswith("Sources disagree:") else ""), width)
        if model.refs:
            if rows:
                rows.append(Text(""))
            rows += self._wrap(Text(f"Source: {', '.join(model.refs)}", style="dim"), width)
            if self.show_sources:
                for line in model.sources:
                    rows += self._item(Text("  "), Text(line, style="dim"), width)
        return rows

    def _flags(self, model: Screen, width: int) -> list[Text]:
        if not model.flags:
            return []
        text = Text("RED FLAGS ", style=_FLAGS_STYLE)
        for flag in model.flags:
            text.append(f" [{flag.typed.upper()}] {flag.label} ", style=_FLAGS_STYLE)
        return self._wrap(text, width)

    def _status_line(self, model: Screen, width: int) -> list[Text]:
        if self.confirming:
            return self._wrap(Text(QUIT_QUESTION, style="bold black on yellow"), width)
        if model.confirm:
            return self._wrap(Text(model.confirm, style="bold black on yellow"), width)
        return [self._one_row(model.status or " ", "bold", width)]

    def _key_bar(self, model: Screen, width: int) -> list[Text]:
        if self.line is not None:
            prompt, typed = self.line
            room = max(1, width - 52)
            text = Text(f"{prompt}{typed[-room:]}", style="bold")  # the end of a long line: where typing goes
            text.append("_", style="blink")
            text.append("   Enter = done   Backspace = erase   Esc = cancel", style="dim")
            return self._wrap(text, width)
        keys_here = [str(hint) for hint in model.keys]
        if self.body_total > self.body_rows:
            keys_here.append("Space/PgUp page")
        keys_here += [*([] if model.confirm else [COMMANDS_KEY]), "Esc quit"]  # a confirmation: one key
        lines = [""]
        for entry in keys_here:  # packed by whole entries: a key is never split from what it does
            joined = f"{lines[-1]} · {entry}" if lines[-1] else entry
            if len(joined) > width and lines[-1]:
                lines.append(entry)
            else:
                lines[-1] = joined
        return [self._one_row(line, "reverse", width) for line in lines]

    # --- the end -------------------------------------------------------------------------------------------

    def finish(self, session: Session, events: list[Logged], log: str, resume_ref: str) -> None:
        """The outcome alone (the timeline one key away), or where the walk stopped and how to resume it."""
        if self.frames is not None:
            self.frames.close()
            self.frames = None
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
                self._print_timeline(events, session.protocol)
                self.console.print("t = back to the outcome   Enter = close", style="reverse")
            elif session.handed_over:  # the handover sheet, on screen at `h`
                from aesthetic_protocols.report.handover import handover_text

                for line in handover_text(events):
                    self.console.print(line, style="bold" if not line.startswith(" ") else "")
                self.console.print(f"Log: {log}")
                self.console.print(record_hint(short_id(self.session_id)))
                self.console.print("t = timeline   Enter = close", style="reverse")
            else:
                self._print_outcome(session, node, log)
                self.console.print("t = timeline   Enter = close", style="reverse")
            if not self.interactive:
                return
            drawn = self.monotonic()
            key = self.read_key(None)
            if key in keys.ENTER and self.monotonic() - drawn < ENTER_GUARD_SECONDS:
                continue  # a double Enter never closes the outcome unseen
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
        for step in node.steps:  # what to do first, then why
            self.console.print(f" [ ] {session.render(step)}")
        if node.text:
            self.console.print(session.render(node.text))
        if node.refs:
            self.console.print(Text(f"Source: {', '.join(node.refs)}", style="dim"))
        self.console.print(Text(f"{protocol.title} v{protocol.version}  session {self.session_id}", style="dim"))
        self.console.print(f"Log: {log}")
        self.console.print(record_hint(short_id(self.session_id)))

    def _print_timeline(self, events: list[Logged], walked: Protocol) -> None:
        from rich.table import Table

        from aesthetic_protocols.report.record import timeline  # the end screen only: not on the way in
        from aesthetic_protocols.report.templating import visible  # a note from the log may hold anything

        table = Table("local time", "elapsed", "step", "what was recorded")
        for row in timeline(events, walked=walked):  # Text, not markup: a note's "[bold]" stays as typed
            table.add_row(row["time"][11:19], row["elapsed"], Text(visible(row["node"])), Text(visible(row["what"])))
        self.console.print(table)


def _undecodable(key: str) -> bool:
    """A key read from bytes that were no UTF-8 (see `keys.read_key`)."""
    return any("\ud800" <= char <= "\udfff" for char in key)


def _shown(chars: list[str]) -> str:
    """The line being typed as it can be drawn: an undecodable byte as U+FFFD (a lone surrogate cannot be
    written to the terminal)."""
    return "".join("\ufffd" if _undecodable(char) else char for char in chars)

