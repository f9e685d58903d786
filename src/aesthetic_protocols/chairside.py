"""The interactive walker: shows a node, reads the answer, records it before the next prompt.

Two faces over one loop. Plain mode (pipes, screen readers, NO_COLOR, tests) prints lines and reads one
line per prompt, exactly as the CLI contract says. The terminal face uses rich, single keystrokes and a
live countdown for waits; rich is imported only there, so plain mode starts faster.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Protocol, TextIO

from aesthetic_protocols import __version__
from aesthetic_protocols.checks import load_valid
from aesthetic_protocols.engine import (
    Back,
    Command,
    DoneAt,
    FlagRaised,
    Invalid,
    Note,
    Quit,
    Reading,
    Session,
    WalkError,
)
from aesthetic_protocols.errors import LogError, ProtocolsError, UsageError
from aesthetic_protocols.journal import Journal, log_path, new_session_id, parse_ts, read_events, resolve_log_dir
from aesthetic_protocols.loader import Loaded, resolve_id
from aesthetic_protocols.model import (
    ActionNode,
    InputNode,
    OutcomeNode,
    QuestionNode,
    RecordField,
    RecordNode,
    Status,
    WaitNode,
)
from aesthetic_protocols.report import clock_text, timeline

Clock = Callable[[], datetime]


def local_now() -> datetime:
    """The practitioner's wall clock, timezone-aware (the journal stores UTC)."""
    return datetime.now().astimezone()


class Stop(Exception):
    """Ctrl-C, SIGTERM or end of input while waiting for an answer: end as interrupted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Face(Protocol):
    """What the loop needs from a face: show the current step, read a command, say a line."""

    def intro(self, session: Session, session_id: str, resumed: bool) -> None: ...
    def active(self) -> AbstractContextManager[None]: ...
    def show(self, session: Session, now: datetime) -> None: ...
    def read(self, session: Session, now: datetime) -> Reading: ...
    def say(self, message: str) -> None: ...
    def finish(self, session: Session, events: list[dict[str, Any]], log: str, resume_ref: str) -> None: ...


@dataclass
class WalkResult:
    """How a walk ended: at an outcome, or interrupted and why."""

    finished: bool
    outcome: str | None
    reason: str | None


class _Signals:
    """SIGINT/SIGTERM raise `Stop` only while waiting for input, never in the middle of a log write."""

    def __init__(self) -> None:
        self.reading = False
        self.pending: str | None = None

    def handler(self, signum: int, frame: FrameType | None) -> None:
        self.pending = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
        if self.reading:
            raise Stop(self.pending)

    @contextmanager
    def installed(self) -> Iterator[None]:
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        for sig in previous:
            signal.signal(sig, self.handler)
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    @contextmanager
    def reading_input(self) -> Iterator[None]:
        if self.pending:
            raise Stop(self.pending)
        self.reading = True
        try:
            yield
        finally:
            self.reading = False


def walk(session: Session, journal: Journal, face: Face, clock: Clock = local_now,
         recorded: list[dict[str, Any]] | None = None, signals: _Signals | None = None) -> WalkResult:
    """Run the walk to an outcome or an interruption; every event is synced before the next prompt.

    `signals` are installed by a caller that wants Ctrl-C and SIGTERM honoured from before the log exists.
    """
    recorded = [] if recorded is None else recorded

    def record(command: Command) -> list[dict[str, Any]]:
        events = session.apply(command, clock())
        for event in events:
            fields = dict(event)
            name = fields.pop("event")
            recorded.append(journal.append(name, **fields))  # NotRecorded propagates: the walk stops
        return events

    own = signals is None
    signals = signals or _Signals()
    with signals.installed() if own else nullcontext():
        try:
            return _step_loop(session, face, clock, record, signals)
        except ProtocolsError:
            raise  # the log itself failed: nothing more can be recorded
        except Exception:
            # A bug must not leave the session looking open: record where it stopped, then let the CLI say so.
            if not session.finished and not session.interrupted:
                record(Quit("internal error"))
            raise


def _step_loop(session: Session, face: Face, clock: Clock, record: Callable[[Command], list[dict[str, Any]]],
               signals: _Signals) -> WalkResult:
    while not session.finished:
        now = clock()
        if session.entered_at is None:
            session.entered_at = now
        try:
            face.show(session, now)
            with signals.reading_input():
                reading = face.read(session, now)
        except (Stop, EOFError, KeyboardInterrupt, BrokenPipeError) as exc:
            reading = Quit(exc.reason if isinstance(exc, Stop) else "end of input" if isinstance(exc, EOFError)
                           else "output closed" if isinstance(exc, BrokenPipeError) else "Ctrl-C")
        if isinstance(reading, Invalid):
            face.say(reading.reason)
            continue
        try:
            record(reading)
        except WalkError as exc:
            face.say(str(exc))
            continue
        if isinstance(reading, DoneAt):
            face.say(f"time noted: this step was done at {reading.at.strftime('%H:%M')}")
        elif isinstance(reading, Note):
            face.say("note recorded")
        if not session.interrupted and signals.pending:
            record(Quit(signals.pending))  # a signal arrived while recording: honoured now the log is whole
        if session.interrupted:
            return WalkResult(False, None, session.interruption)
    return WalkResult(True, session.current, None)


# --- shared wording --------------------------------------------------------------------------------


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
    """What the current prompt takes, in one line."""
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
    """What a record field takes, in one line: `Volume injected (mL, 0-5, 1 decimal; Enter = skip): `."""
    parts: list[str] = []
    if record_field.type == "number":
        parts.append(record_field.unit or "number")
        if (bounds := record_field.bounds_text()) is not None:
            parts.append(bounds)
        if record_field.decimals:
            parts.append(f"up to {record_field.decimals} decimal(s)")
    elif record_field.type == "choice":
        parts.append(", ".join(f"{c.key} = {c.label}" for c in record_field.choices))
    elif record_field.type == "time":
        parts.append("HH:MM")
    elif record_field.type == "date":
        parts.append("YYYY-MM-DD")
    default = session.value_of(record_field.default) if record_field.default else None
    if default is not None:
        parts.append(f"Enter = {default} ({record_field.default}, as shown)")
    elif not record_field.required:
        parts.append("Enter = skip")
    return f"{record_field.label} ({'; '.join(parts)})" if parts else record_field.label


def sources_lines(session: Session) -> list[str]:
    """The full citations of the current step's sources."""
    protocol = session.protocol
    node = session.node
    lines = []
    for key in node.refs:
        ref = protocol.references.get(key)
        if ref is not None:
            lines.append(f"{key}: {ref.citation}" + (f" {ref.url}" if ref.url else ""))
    return lines


def elapsed(since: datetime | None, now: datetime) -> str:
    """Time since the session began, for the header of every step."""
    return clock_text(max(0, int((now - since).total_seconds())) if since else 0)


# --- plain mode ------------------------------------------------------------------------------------


class PlainFace:
    """One line per prompt; no colour, no cursor movement; a pipe never waits in real time."""

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None,
                 started: datetime | None = None) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.started = started
        self.last_shown: tuple[str, int] | None = None
        self.header: tuple[str, bool] | None = None

    def _out(self, line: str = "") -> None:
        self.stdout.write(line + "\n")
        self.stdout.flush()

    def active(self) -> AbstractContextManager[None]:
        """Plain mode changes nothing about the terminal."""
        return nullcontext()

    def intro(self, session: Session, session_id: str, resumed: bool) -> None:
        """Remember the session; its header is printed with the first step, inside the walk, so that even
        a closed output at that moment is recorded as an interruption."""
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
        self._out("At any prompt: back, note: TEXT, time: HH:MM, quit")
        self._out(f"Session {session_id}" + (" resumed" if resumed else ""))

    def show(self, session: Session, now: datetime) -> None:
        if self.header is not None:
            self._print_header(session, *self.header)
        key = (session.current, len(session.trail))
        if self.last_shown == key:  # a repeated prompt after an invalid answer shows only the hint
            self._out(prompt_hint(session))
            return
        self.last_shown = key
        node = session.node
        self._out()
        self._out(f"[{elapsed(self.started, now)}] {session.render(node.title)} ({node.kind})")
        if node.text:
            self._out(session.render(node.text))
        if isinstance(node, QuestionNode):
            for number, option in enumerate(node.options, start=1):
                detail = f" ({option.detail})" if option.detail else ""
                self._out(f"  {option.key} / {number}: {option.label}{detail}")
        if isinstance(node, ActionNode | WaitNode):
            for step in node.steps:
                self._out(f"  - {session.render(step)}")
        if isinstance(node, WaitNode):
            due = session.due()
            if due is not None:
                self._out(f"Wait {node.minutes} min: reassessment due at {due.strftime('%H:%M')}")
        if node.disagreement:
            self._out(f"Sources disagree: {node.disagreement}")
        if node.refs:
            self._out(f"Source: {', '.join(node.refs)}")
        if session.protocol.red_flags:  # on every step: a red flag must never be out of sight
            self._out(f"Red flags: {red_flags_line(session)}")
        self._out(prompt_hint(session))

    def read(self, session: Session, now: datetime) -> Reading:
        line = self.stdin.readline()
        if line == "":
            raise EOFError
        return session.interpret(line)

    def say(self, message: str) -> None:
        self._out(message)

    def finish(self, session: Session, events: list[dict[str, Any]], log: str, resume_ref: str) -> None:
        node = session.node
        self._out()
        if isinstance(node, OutcomeNode):
            self._out(f"Outcome: {node.title} ({node.severity})")
            if node.text:
                self._out(session.render(node.text))
            for step in node.steps:
                self._out(f"  - {session.render(step)}")
            if node.refs:
                self._out(f"Source: {', '.join(node.refs)}")
        else:
            self._out(f"Interrupted at {session.current}. Resume with: protocol resume {resume_ref}")
        self._out("Timeline (elapsed, step, what was recorded):")
        for row in timeline(events):
            self._out(f"  {row['elapsed']}  {row['node']}  {row['what']}")
        self._out(f"Log: {log}")


# --- the terminal face -----------------------------------------------------------------------------

# Command keys are upper-case (one keystroke with shift) so they never collide with the lower-case
# option and red-flag keys a protocol defines.
COMMAND_KEYS = {"B": "back", "N": "note", "T": "time", "S": "sources", "Q": "quit"}


class TerminalFace:
    """rich rendering, one keystroke per step, a live countdown for waits."""

    def __init__(self, started: datetime | None = None, file: TextIO | None = None) -> None:
        from rich.console import Console

        # Protocol text is shown as written: no [markup], :emoji: or highlighting may change what it says.
        self.console = Console(file=file, highlight=False, markup=False, emoji=False)
        self.started = started
        self.show_sources = False

    def intro(self, session: Session, session_id: str, resumed: bool) -> None:
        """Nothing to say before the first step: its screen carries the protocol's header."""

    def active(self) -> AbstractContextManager[None]:
        """The terminal's mode for the whole walk (restored when it ends).

        cbreak once for the whole walk, never toggled per key: switching modes between keys is what lost
        keys typed ahead. Every key and line of the walk is then read by `_read_key` and `_read_line`.
        """
        return _cbreak_terminal()

    def _read_line(self, prompt: str) -> str | None:
        """A line typed at `prompt` in cbreak mode (echoed here); None when Escape cancels it.

        Backspace/DEL erases one character, Enter ends the line, Ctrl-D on an empty line is end of input.
        Keys typed ahead stay queued in the terminal, so nothing typed quickly is lost.
        """
        from rich.cells import cell_len

        out = self.console.file
        # Start on a clean line: a wait's countdown may be ticking on this one.
        out.write(("\r\x1b[K" if self.console.is_terminal else "") + prompt)
        out.flush()
        chars: list[str] = []
        while True:
            key = _read_key(None)
            if key is None:
                continue
            if key in ("\r", "\n"):
                out.write("\n")
                out.flush()
                return "".join(chars)
            if key == "\x1b":
                out.write("\n")
                out.flush()
                self.console.print("(cancelled)", style="dim")
                return None
            if key == "\x04":
                if not chars:
                    out.write("\n")
                    out.flush()
                    raise EOFError
                continue
            if key in ("\x7f", "\x08"):
                if chars:
                    width = cell_len(chars.pop())
                    out.write("\b" * width + " " * width + "\b" * width)
            elif len(key) == 1 and key.isprintable():
                chars.append(key)
                out.write(key)
            else:
                continue  # other control keys and escape sequences (arrows) are not text
            out.flush()

    def show(self, session: Session, now: datetime) -> None:
        from rich.panel import Panel
        from rich.text import Text

        protocol = session.protocol
        node = session.node
        self.console.clear()
        header = Text()
        header.append(f"{protocol.title}", style="bold")
        header.append(f"  v{protocol.version}  {protocol.status}  elapsed {elapsed(self.started, now)}")
        self.console.print(header)
        banner = status_banner(session)
        if banner:
            self.console.print(Text(f" {banner} ", style="bold black on yellow"))
        body = Text()
        if node.text:
            body.append(session.render(node.text) + "\n")
        if isinstance(node, QuestionNode):
            for option in node.options:
                body.append(f"\n [{option.key}] ", style="bold cyan")
                body.append(option.label)
                if option.detail:
                    body.append(f"  ({option.detail})", style="dim")
        if isinstance(node, ActionNode | WaitNode | OutcomeNode):
            for step in node.steps:
                body.append(f"\n [ ] {session.render(step)}")
        if isinstance(node, WaitNode):
            due = session.due()
            if due is not None:
                body.append(f"\n\nReassess at {due.strftime('%H:%M')} ({node.minutes} min)", style="bold")
        if node.disagreement:
            body.append(f"\n\nSources disagree: {node.disagreement}", style="italic")
        if node.refs:
            body.append(f"\n\nSource: {', '.join(node.refs)}  (S for full citations)", style="dim")
        if self.show_sources:
            for line in sources_lines(session):
                body.append(f"\n  {line}", style="dim")
        self.console.print(Panel(body, title=f"{session.render(node.title)}", title_align="left"))
        if protocol.red_flags:
            flags = "   ".join(f"[{f.key}] {f.label}" for f in protocol.red_flags)
            self.console.print(Text(f"RED FLAGS  {flags}", style="bold white on red"))
        keys = "  ".join(f"{k} {v}" for k, v in COMMAND_KEYS.items())
        self.console.print(Text(f"{prompt_hint(session)}   |   {keys}", style="dim"))

    def read(self, session: Session, now: datetime) -> Reading:
        node = session.node
        if isinstance(node, InputNode | RecordNode):
            line = None
            while line is None:  # Escape clears the line and asks again
                line = self._read_line("> ")
            return session.interpret(line)
        rang = False
        while True:
            due = session.due() if isinstance(node, WaitNode) else None
            key = _read_key(timeout=1.0 if due else None)
            if key is None:  # a tick of the countdown
                assert due is not None
                remaining = due - datetime.now().astimezone()
                if remaining.total_seconds() <= 0:
                    if not rang:  # ring once when the wait ends, then keep the notice in view
                        self.console.bell()
                        rang = True
                    self.console.print("Reassessment due now", style="bold reverse", end="\r")
                else:
                    self.console.print(f"  {clock_text(int(remaining.total_seconds()))} remaining", end="\r")
                continue
            if key in ("\r", "\n"):
                return session.interpret("")
            if key == "\x04":
                raise EOFError
            command = self._command(session, key)
            if command is not None:
                return command

    def _command(self, session: Session, key: str) -> Reading | None:
        name = COMMAND_KEYS.get(key)
        if name == "back":
            return Back()
        if name == "quit":
            return Quit()
        if name == "sources":
            self.show_sources = not self.show_sources
            self.show(session, datetime.now().astimezone())
            return None
        if name == "note":
            text = self._read_line("note: ")
            return None if text is None else session.interpret(f"note: {text}")
        if name == "time":
            text = self._read_line("done at (HH:MM): ")
            return None if text is None else session.interpret(f"time: {text}")
        if (key.islower() and key.isalpha()) or key.isdigit():
            reading = session.interpret(key)
            if isinstance(session.node, QuestionNode) or isinstance(reading, FlagRaised):
                return reading
            return None  # a stray letter at an action is not "done"; Enter is
        return None

    def say(self, message: str) -> None:
        self.console.print(message, style="bold")

    def finish(self, session: Session, events: list[dict[str, Any]], log: str, resume_ref: str) -> None:
        from rich.table import Table

        node = session.node
        self.console.clear()
        if isinstance(node, OutcomeNode):
            style = {"emergency": "bold white on red", "refer": "bold black on yellow"}.get(str(node.severity), "bold")
            self.console.print(f"Outcome: {node.title} ({node.severity})", style=style)
            if node.text:
                self.console.print(session.render(node.text))
            for step in node.steps:
                self.console.print(f" [ ] {session.render(step)}")
        else:
            self.console.print(f"Interrupted at {session.current}. Resume with: protocol resume {resume_ref}",
                               style="bold")
        table = Table("time (UTC)", "elapsed", "step", "what was recorded")
        for row in timeline(events):
            table.add_row(row["time"][11:19], row["elapsed"], row["node"], row["what"])
        self.console.print(table)
        self.console.print(f"Log: {log}")


def _read_key(timeout: float | None) -> str | None:
    """One keystroke (None when `timeout` passes first). POSIX and Windows.

    Does not touch the terminal's mode: `TerminalFace.active()` keeps it in cbreak for the whole walk.
    A UTF-8 character comes back whole; an escape sequence (an arrow or function key) comes back as one
    string, so its letters are never taken for command keys; a lone Escape comes back as "\\x1b".
    """
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
    return data.decode("utf-8", "replace")


# Bytes read while telling a lone Escape from an escape sequence (or ending a broken UTF-8 character)
# that belong to the next key. POSIX only.
_typed_ahead = bytearray()

# How long the bytes of one key (an escape sequence, a UTF-8 character) may trail its first byte.
_SEQUENCE_WAIT = 0.05


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
        return "\x1b"
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
    return "\x1b"


@contextmanager
def _cbreak_terminal() -> Iterator[None]:
    """cbreak mode on stdin until the block ends (however it ends); ISIG stays, so Ctrl-C is SIGINT.

    Windows needs nothing: msvcrt reads raw keys already. Not a terminal: nothing to change.
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
    tty.setcbreak(fd, termios.TCSADRAIN)  # not the default TCSAFLUSH, which drops keys typed ahead
    try:
        yield
    finally:
        _typed_ahead.clear()
        with suppress(termios.error):  # the terminal is gone: nothing left to restore
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def choose_face(plain: bool, started: datetime) -> PlainFace | TerminalFace:
    """Plain when asked, when NO_COLOR is set, or when stdin/stdout is not a terminal."""
    if plain or os.environ.get("NO_COLOR") or not sys.stdin.isatty() or not sys.stdout.isatty():
        return PlainFace(started=started)
    return TerminalFace(started=started)


# --- starting and resuming a walk ------------------------------------------------------------------

_PATIENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


def check_patient_ref(ref: str | None) -> None:
    """A pseudonymous reference only (a record number), never a name; the error never echoes it."""
    if ref is not None and not _PATIENT_RE.match(ref):
        raise UsageError("--patient takes a pseudonymous reference (letters, digits, '.', '_', '-', no spaces, "
                         "at most 40), never a name")


@dataclass
class Outcome:
    """A finished or interrupted walk, its session id and its log."""

    result: WalkResult
    session_id: str
    log: Path

    @property
    def resume_ref(self) -> str:
        """What to give `protocol resume`: the id when the log is in the usual folder, else its path."""
        try:
            usual = resolve_log_dir(None)
        except ProtocolsError:
            usual = None
        if usual is not None and self.log.parent.resolve() == usual.resolve():
            return self.session_id
        return str(self.log)


def start_walk(loaded: Loaded, log_dir: Path, patient: str | None, practitioner: str | None,
               plain: bool, clock: Clock = local_now) -> Outcome:
    """Create the session log, record the start, walk, close the log (anchor written)."""
    check_patient_ref(patient)
    signals = _Signals()
    with signals.installed():  # from before the log exists: a Ctrl-C now is recorded at the first prompt
        return _start_walk(loaded, log_dir, patient, practitioner, plain, clock, signals)


def _start_walk(loaded: Loaded, log_dir: Path, patient: str | None, practitioner: str | None, plain: bool,
                clock: Clock, signals: _Signals) -> Outcome:
    protocol = loaded.protocol
    now = clock()
    session_id = new_session_id(protocol.id, now)
    journal = Journal.create(log_dir, session_id)
    face = choose_face(plain, now)
    session = Session(protocol)
    start: dict[str, Any] = {"node": protocol.start, "protocol": protocol.id, "version": protocol.version,
                             "sha256": loaded.source.sha256, "status": str(protocol.status),
                             "title": protocol.title, "tool": __version__,
                             "face": "plain" if isinstance(face, PlainFace) else "terminal"}
    if patient:
        start["patient"] = patient
    if practitioner:
        start["practitioner"] = practitioner
    try:
        recorded = [journal.append("start", **start)]
    except BaseException:
        journal.close()
        raise
    return _walk_to_end(session, journal, face, clock, recorded, signals, session_id, resumed=False)


def _walk_to_end(session: Session, journal: Journal, face: PlainFace | TerminalFace, clock: Clock,
                 recorded: list[dict[str, Any]], signals: _Signals, session_id: str, resumed: bool) -> Outcome:
    """The part of a walk that starting and resuming share: walk, close the log, show the end screen."""
    try:
        face.intro(session, session_id, resumed)
        with face.active():
            result = walk(session, journal, face, clock, recorded, signals)
    finally:
        journal.close()
    outcome = Outcome(result, session_id, journal.path)
    face.finish(session, recorded, str(journal.path), outcome.resume_ref)
    return outcome


def find_log(session_ref: str, log_dir: Path) -> Path:
    """A session id (in the log folder) or a path to its log."""
    if session_ref.endswith(".jsonl") or os.sep in session_ref or "/" in session_ref:
        return Path(session_ref)
    return log_path(log_dir, session_ref)


def resume_walk(session_ref: str, log_dir: Path, dirs: list[Path], force: bool, plain: bool,
                today: date, clock: Clock = local_now) -> Outcome:
    """Replay a session's log through the engine and continue it, appending to the same log.

    Everything is checked on a read-only reading first (a session log, not ended, its protocol found and
    unchanged or `--force`, the answers replaying on it); only then is the log reopened for writing, and
    only then is a torn last line set aside.
    """
    path = find_log(session_ref, log_dir)
    if not path.exists():
        raise UsageError(f"no session log at {path}")
    events, _ = read_events(path)
    if not events or events[0].get("event") != "start":
        raise LogError(f"{path}: not a session log (it does not begin with a start event)")
    if any(event.get("event") == "outcome" for event in events):
        raise UsageError(f"{path}: this session already reached its outcome; nothing to resume")
    first = events[0]
    loaded, _ = load_valid(resolve_id(str(first.get("protocol")), dirs).path, today)
    changed = loaded.source.sha256 != first.get("sha256")
    if changed and not force:
        raise LogError(f"{path}: the protocol file changed since this session began (sha256 differs); "
                       "resume with --force to continue under the new version (recorded in the log)")
    try:
        session = Session.replay(loaded.protocol, events)
    except WalkError as exc:
        raise LogError(f"{path}: the log does not replay on this protocol ({exc})") from None
    signals = _Signals()
    with signals.installed():
        journal, recorded, torn = Journal.reopen(path, expect_head=str(events[-1].get("hash")))
        try:
            if torn is not None:
                recorded.append(journal.append("torn-tail-recovered", node=None, bytes=len(torn),
                                               sha256=hashlib.sha256(torn).hexdigest()))
            if changed:
                recorded.append(journal.append("protocol-changed", node=None, old_version=first.get("version"),
                                               old_sha256=first.get("sha256"), version=loaded.protocol.version,
                                               sha256=loaded.source.sha256))
            recorded.append(journal.append("resumed", node=session.current))
        except BaseException:
            journal.close()
            raise
        now = clock()
        session.entered_at = now
        began = parse_ts(first.get("ts"))
        face = choose_face(plain, began.astimezone() if began else now)
        return _walk_to_end(session, journal, face, clock, recorded, signals, str(first.get("session")),
                            resumed=True)
