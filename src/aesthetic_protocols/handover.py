"""An emergency that goes on until handover: the log, the timers and `h`, after an outcome with `until_handover`.

The walk reaches the outcome (its `outcome` event is written) and stays open: the practitioner logs what is
done (one key each, with its time), watches each timer count down from the last time its `from` key was
logged (else from arrival at the outcome), raises red flags as at any prompt, and ends the walk with `h`
(handed over: the clock time, default now, and to whom, optional).

The state is built only from the lines the journal wrote (`observe`), whether they were written a moment
ago or read back on resume, so a walk killed inside the loop comes back with its entries and its timers at
their times. No I/O and no clock: `now` is passed in. Commands:

    KEY           log the entry now (or at the `time: HH:MM` given just before)
    h             hand over: asks the clock time (Enter = now) and to whom (Enter = not recorded)
    back          withdraw the last log entry (a `logged` event that `withdraws` it; nothing is erased),
                  or, when a red flag was raised last, withdraw that red flag (the engine's Back)
    a red flag, note: TEXT, time: HH:MM, quit   as at any prompt
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime, timedelta
from typing import Literal

from aesthetic_protocols.engine import (
    NOT_TEXT,
    Back,
    Command,
    DoneAt,
    FlagRaised,
    Invalid,
    Quit,
    Session,
    WalkError,
    done_moment,
)
from aesthetic_protocols.events import (
    AnswerEvent,
    BackEvent,
    Event,
    HandoverEvent,
    Logged,
    LoggedEvent,
    OutcomeEvent,
    RedFlagEvent,
    decode_all,
    iso_utc,
    parse_ts,
)
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.recorded import Lines
from aesthetic_protocols.recorded import (
    outcome_written as outcome_written,  # moved: the start needs them, not this module
)
from aesthetic_protocols.recorded import walk_over as walk_over
from aesthetic_protocols.tree import TYPED_STEERING_RE, LogKey, OutcomeNode, UntilHandover

HANDOVER_KEY = "h"
TO_LIMIT = 120  # who the patient was handed to: a role or a team, one short line


@dataclass(frozen=True)
class LogIt:
    """A log key pressed: the entry is recorded with its time."""

    key: str


@dataclass(frozen=True)
class AskHandover:
    """`h`: begin the handover (the time is asked next, then to whom)."""


@dataclass(frozen=True)
class HandoverAt:
    """The handover's clock time (None: now)."""

    at: datetime | None


@dataclass(frozen=True)
class HandoverTo:
    """To whom the patient was handed over (None: not recorded): the walk ends."""

    to: str | None


@dataclass(frozen=True)
class CancelHandover:
    """`back` while the handover is being asked: the loop goes on, nothing recorded."""


HandoverCommand = LogIt | AskHandover | HandoverAt | HandoverTo | CancelHandover | Command
HandoverReading = HandoverCommand | Invalid


@dataclass
class Entry:
    """One log entry: its line's seq, the outcome it was logged at, what and when; withdrawn or not."""

    seq: int
    node: str
    key: str
    label: str
    at: datetime
    withdrawn_at: datetime | None = None


@dataclass(frozen=True)
class TimerView:
    """A timer as it stands at `now`: its label, when it is due, seconds left (negative: overdue)."""

    index: int
    label: str
    every_minutes: int
    due: datetime
    left: int
    counted_from: str  # the entry's label, or "arrival"

    @property
    def overdue(self) -> bool:
        return self.left <= 0


@dataclass
class Handover:
    """The handover state of a walk: entries, arrivals at open outcomes, the handover once given."""

    session: Session
    entries: list[Entry] = field(default_factory=list)
    arrivals: dict[str, datetime] = field(default_factory=dict)  # outcome node -> its latest arrival
    handed: tuple[datetime, str | None] | None = None
    asking: Literal["time", "to"] | None = None
    asked_at: datetime | None = None
    last_move: int = -1  # seq of the last answer, red flag or back (what `back` weighs log entries against)

    # --- reading the state -------------------------------------------------------------------------

    @property
    def node(self) -> str:
        return self.session.current

    @property
    def block(self) -> UntilHandover:
        node = self.session.node
        assert isinstance(node, OutcomeNode) and node.until_handover is not None
        return node.until_handover

    @property
    def open(self) -> bool:
        """Whether the walk stands at an outcome with `until_handover`, not yet handed over."""
        node = self.session.node
        return (isinstance(node, OutcomeNode) and node.until_handover is not None and self.handed is None
                and not self.session.interrupted)

    def standing(self, node: str | None = None) -> list[Entry]:
        """The entries not withdrawn (at `node`, when given), oldest first."""
        return [e for e in self.entries if e.withdrawn_at is None and (node is None or e.node == node)]

    def timers(self, now: datetime) -> list[TimerView]:
        """Each timer of the current outcome at `now`: from the last entry of its `from` key, else arrival."""
        arrived = self.arrivals.get(self.node, now)
        views = []
        for index, timer in enumerate(self.block.timers):
            last = next((e for e in reversed(self.standing(self.node)) if e.key == timer.from_ and e.at >= arrived),
                        None)
            base, source = (last.at, last.label) if last is not None else (arrived, "arrival")
            due = base + timedelta(minutes=timer.every_minutes)
            views.append(TimerView(index, timer.label, timer.every_minutes, due, int((due - now).total_seconds()),
                                   source))
        return views

    def log_key(self, key: str) -> LogKey | None:
        return next((item for item in self.block.log if item.key == key), None)

    # --- reading a line ----------------------------------------------------------------------------

    def interpret(self, line: str, now: datetime) -> HandoverReading:
        """One plain-mode line (or a key) -> a command of the handover loop."""
        text = line.strip()
        if self.asking is not None and text.lower() == "quit":
            return Quit()  # never taken as a time or as whom the patient was handed to
        if self.asking == "time":
            if text.lower() == "back":
                return CancelHandover()
            if not text:
                return HandoverAt(None)
            given = Session.command(f"time: {text}")  # the same clock-time reading as `time: HH:MM`
            if not isinstance(given, DoneAt):
                return Invalid("give the handover time as HH:MM (24-hour), or Enter for now")
            try:
                at = done_moment(given.at, now)
            except WalkError:
                return Invalid("that time is later than now: give the time the patient was handed over")
            return HandoverAt(at)
        if self.asking == "to":
            if text.lower() == "back":
                return CancelHandover()
            if len(text) > TO_LIMIT:
                return Invalid(f"at most {TO_LIMIT} characters: a role or a team, never a patient's name")
            if any("\ud800" <= c <= "\udfff" for c in text):  # bytes that were no UTF-8
                return Invalid(NOT_TEXT)
            if TYPED_STEERING_RE.search(text):  # the rule for every typed text (notes, record fields)
                return Invalid("control, invisible or direction characters are not allowed")
            return HandoverTo(text or None)
        command = Session.command(text)
        if command is not None:
            return command
        word = text.lower()
        if self.session.red_flag(word) is not None:
            return FlagRaised(word)
        if self.log_key(word) is not None:
            return LogIt(word)
        if word == HANDOVER_KEY:
            return AskHandover()
        keys = [item.key for item in self.block.log]
        return Invalid(f"log with one of {', '.join(keys)}; h = handed over" if keys else "h = handed over")

    # --- changing the state ------------------------------------------------------------------------

    def apply(self, command: HandoverCommand, now: datetime) -> list[Event]:
        """The events a command writes (feed each written line back through `observe`)."""
        if not self.open:
            raise WalkError("the walk has ended")
        node = self.node
        if isinstance(command, LogIt):
            item = self.log_key(command.key)
            if item is None:
                raise WalkError("no such log key")
            at = self.session.pending_at or now
            self.session.pending_at = None
            return [LoggedEvent(node, key=item.key, label=item.label, time=iso_utc(at))]
        if isinstance(command, AskHandover):
            self.asking = "time"
            return []
        if isinstance(command, HandoverAt):
            self.asking, self.asked_at = "to", command.at or now
            return []
        if isinstance(command, CancelHandover):
            self.asking, self.asked_at = None, None
            return []
        if isinstance(command, HandoverTo):
            at = self.asked_at or now
            self.asking, self.asked_at = None, None
            return [HandoverEvent(node, time=iso_utc(at), to=command.to)]
        if isinstance(command, Back):
            entry = self._withdrawable()
            if entry is not None:
                return [LoggedEvent(node, key=entry.key, label=entry.label, time=iso_utc(now), withdraws=entry.seq)]
            last = self.session.trail[-1] if self.session.trail else None
            if last is None or last.how != "flag":
                raise WalkError("nothing to take back: the emergency goes on until handover (h)")
        return self.session.apply(command, now)

    def _withdrawable(self) -> Entry | None:
        """The last log entry at this outcome, if it came after the last move of the walk."""
        standing = self.standing(self.node)
        return standing[-1] if standing and standing[-1].seq > self.last_move else None

    def observe(self, line: Logged) -> None:
        """Take in one written (or read-back) log line."""
        event, ts, seq = line.event, line.moment, line.seq
        if event.node is None or ts is None or seq < 0:
            return
        node = event.node
        match event:
            case AnswerEvent() | RedFlagEvent() | BackEvent():
                self.last_move = seq
            case OutcomeEvent(until_handover=True):
                self.arrivals[node] = ts
            case LoggedEvent(withdraws=int(withdraws)):
                for entry in self.entries:
                    if entry.seq == withdraws:
                        entry.withdrawn_at = ts
            case LoggedEvent():
                self.entries.append(Entry(seq, node, event.key, event.label, parse_ts(event.time) or ts))
            case HandoverEvent():
                self.handed = (parse_ts(event.time) or ts, event.to)
                self.session.handed_over = True

    @classmethod
    def replay(cls, session: Session, lines: Lines) -> Handover:
        """The handover state of a session (already replayed by the engine) from its log lines."""
        state = cls(session)
        for line in decode_all(lines):
            state.observe(line)
        return state


def keys_line(state: Handover) -> str:
    """The log keys and `h`, in one line: `d = Adrenaline given; o = Oxygen started; h = handed over`."""
    return "; ".join([*(f"{item.key} = {item.label}" for item in state.block.log), "h = handed over"])
