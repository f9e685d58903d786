"""The walk as a pure, deterministic state machine over a validated protocol.

No I/O and no clock: the caller passes `now` in. Every change of state is returned as a typed event
(`events`) for the journal, and `Session.replay` rebuilds the same state from the logged events, which is
how a crashed or interrupted session resumes. Plain-mode lines are read by `interpret`, so the rich UI, the
plain walker and the scenario runner all speak the same commands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from aesthetic_protocols.events import (
    AnswerEvent,
    BackEvent,
    Event,
    InterruptedEvent,
    NoteEvent,
    OutcomeEvent,
    RedFlagEvent,
    StartEvent,
    WaitStartedEvent,
    from_record,
    iso_utc,
)
from aesthetic_protocols.journal import parse_ts as parse_ts  # re-exported: report reads it here for now
from aesthetic_protocols.model import (
    PLACEHOLDER_RE,
    ActionNode,
    AnyNode,
    InputNode,
    OutcomeNode,
    Protocol,
    QuestionNode,
    RedFlag,
    WaitNode,
)

# --- commands: what a practitioner can say at a prompt ---------------------------------------------


@dataclass(frozen=True)
class Answer:
    """The answer to the current prompt."""

    value: str  # option key, the number, or "" for done / continue


@dataclass(frozen=True)
class FlagRaised:
    """A red flag's key, pressed at any prompt."""

    key: str


@dataclass(frozen=True)
class Back:
    """One step back (recorded; nothing is erased)."""


@dataclass(frozen=True)
class Note:
    """A note on the current step."""

    text: str


@dataclass(frozen=True)
class DoneAt:
    """`time: HH:MM`: the current step was really done at that clock time (the latest one not after now)."""

    at: time


@dataclass(frozen=True)
class Quit:
    """End the walk as interrupted (resumable): `quit` typed, or Ctrl-C, SIGTERM, end of input..."""

    reason: str = "quit"


@dataclass(frozen=True)
class Invalid:
    """A line that is no command here; the prompt repeats with the reason."""

    reason: str  # never echoes what was typed


Command = Answer | FlagRaised | Back | Note | DoneAt | Quit
Reading = Command | Invalid

_TIME_RE = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$", re.ASCII)
# Only ASCII digits count: int() would also read "²", "٣" or "1_0", and an input may scale a dose.
_NUMBER_RE = re.compile(r"^[0-9]{1,9}$", re.ASCII)
NOTE_LIMIT = 2000


class WalkError(Exception):
    """A command that does not fit the session's state (a bug in the caller, or a corrupt log)."""


@dataclass(frozen=True)
class Taken:
    """One step of the trail: at `node`, `how` ('answer' or 'flag') with `value`, leading to `next`.

    `due` is the due time of the wait this step continued, so that Back into it keeps that time.
    """

    node: str
    how: str
    value: str
    next: str
    due: datetime | None = None


@dataclass
class Session:
    """Where a walk stands: the trail of steps taken (after `back`s), notes, and the pending time fix."""

    protocol: Protocol
    trail: list[Taken] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    pending_at: datetime | None = None  # `time: HH:MM` given for the current step
    # The waits begun and not yet continued: node -> due time. A wait keeps its due time through Back,
    # red-flag detours and resume; only continuing it ends it (a later loop back to it starts a new one).
    waits: dict[str, datetime] = field(default_factory=dict)
    interruption: str | None = None  # why the walk was interrupted (`Quit.reason`), if it was

    # --- reading the state ---------------------------------------------------------------------

    @property
    def current(self) -> str:
        return self.trail[-1].next if self.trail else self.protocol.start

    @property
    def node(self) -> AnyNode:
        return self.protocol.nodes[self.current]

    @property
    def interrupted(self) -> bool:
        return self.interruption is not None

    @property
    def finished(self) -> bool:
        return isinstance(self.node, OutcomeNode)

    @property
    def visited(self) -> list[str]:
        return [step.node for step in self.trail] + [self.current]

    @property
    def variables(self) -> dict[str, int]:
        values: dict[str, int] = {}
        for step in self.trail:
            node = self.protocol.nodes[step.node]
            if step.how == "answer" and isinstance(node, InputNode):
                values[node.variable] = int(step.value)
        return values

    def red_flag(self, key: str) -> RedFlag | None:
        return next((flag for flag in self.protocol.red_flags if flag.key == key), None)

    def due(self) -> datetime | None:
        """When the current wait ends (None if the current node is not a wait or was not begun)."""
        return self.waits.get(self.current) if isinstance(self.node, WaitNode) else None

    def shown(self, node: AnyNode | None = None) -> dict[str, str]:
        """The derived values a node's screen shows (name -> text as shown), e.g. {"dose": "1000 U"}."""
        node = node or self.node
        texts = [node.title, node.text or "", *getattr(node, "steps", [])]
        names = {name for text in texts for name in PLACEHOLDER_RE.findall(text) if name in self.protocol.derived}
        return {name: self.render(f"{{{name}}}") for name in sorted(names)}

    def render(self, text: str) -> str:
        """Fill `{name}` from input variables and derived values; nothing is evaluated."""
        values = self.variables

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            derived = self.protocol.derived.get(name)
            if derived is None or derived.variable not in values:
                return "(not yet entered)"
            amount = values[derived.variable]
            if derived.max_input is not None and amount > derived.max_input:
                return derived.beyond_text
            return f"{amount * derived.times} {derived.unit}"

        return PLACEHOLDER_RE.sub(fill, text)

    # --- reading a plain-mode line -------------------------------------------------------------

    def interpret(self, line: str) -> Reading:
        """One plain-mode line -> a command for the current prompt (red flags first)."""
        text = line.strip()
        word = text.lower()
        if word == "quit":
            return Quit()
        if word == "back":
            return Back()
        if word.startswith("note:"):
            note = text[5:].strip()
            if not note:
                return Invalid("a note needs text after 'note:'")
            if len(note) > NOTE_LIMIT:
                return Invalid(f"a note holds at most {NOTE_LIMIT} characters; split it into several")
            return Note(note)
        if word.startswith("time:"):
            match = _TIME_RE.match(word[5:].strip())
            if not match:
                return Invalid("give the time as time: HH:MM (24-hour)")
            return DoneAt(time(int(match.group(1)), int(match.group(2))))
        if self.red_flag(word) is not None:
            return FlagRaised(word)
        node = self.node
        if isinstance(node, QuestionNode):
            keys = [option.key for option in node.options]
            if word in keys:
                return Answer(word)
            if _NUMBER_RE.match(word) and 1 <= int(word) <= len(keys):
                return Answer(keys[int(word) - 1])
            return Invalid(f"answer with one of {', '.join(keys)} (or 1-{len(keys)})")
        if isinstance(node, InputNode):
            if not _NUMBER_RE.match(word):
                return Invalid(f"enter a whole number from {node.min} to {node.max}")
            number = int(word)
            if not node.min <= number <= node.max:
                return Invalid(f"out of range: enter a whole number from {node.min} to {node.max}")
            return Answer(str(number))
        return Answer("")  # action, checklist, wait: any line means done / continue

    # --- changing the state --------------------------------------------------------------------

    def begin(self, now: datetime) -> list[Event]:
        """Enter the first step (a wait there begins now); call once, after the start event."""
        return self._enter(now)

    def apply(self, command: Command, now: datetime) -> list[Event]:
        """Apply a command; return the events to record (the last one ends the walk if it is `outcome`)."""
        if self.finished or self.interrupted:
            raise WalkError("the walk has ended")
        node_id = self.current
        node = self.node
        if isinstance(command, Quit):
            self.interruption = command.reason
            return [InterruptedEvent(node_id, reason=command.reason)]
        if isinstance(command, Note):
            self.notes.append((node_id, command.text))
            return [NoteEvent(node_id, text=command.text)]
        if isinstance(command, DoneAt):
            # `now` is the caller's local time, so HH:MM is the practitioner's wall clock: the latest such
            # moment not after now (23:59 typed at 00:01 is yesterday's). Steps done before the session began
            # are common in an emergency, so there is no lower bound.
            given = datetime.combine(now.date(), command.at, tzinfo=now.tzinfo)
            if given > now:
                given -= timedelta(days=1)
            self.pending_at = given
            return []  # kept for the next event at this step (answer or red flag), which carries both times
        if isinstance(command, Back):
            if not self.trail:
                raise WalkError("already at the first step")
            left = self.trail.pop()
            if left.due is not None:
                self.waits[left.node] = left.due  # back into a wait that was continued: its time is kept
            self.pending_at = None
            return [BackEvent(node_id, to=left.node)]
        done_at = self.pending_at.isoformat(timespec="minutes") if self.pending_at is not None else None
        event: Event
        if isinstance(command, FlagRaised):
            flag = self.red_flag(command.key)
            if flag is None:
                raise WalkError("no such red flag")
            # A detour: the wait here (if any) keeps running, and keeps its due time if the walk comes back.
            self.trail.append(Taken(node_id, "flag", flag.key, flag.goto))
            event = RedFlagEvent(node_id, key=flag.key, label=flag.label, goto=flag.goto, done_at=done_at)
        else:
            target = self._target(command.value)
            due = self.waits.pop(node_id, None) if isinstance(node, WaitNode) else None
            event = AnswerEvent(node_id, answer=command.value, next=target, title=self.render(node.title),
                                shown=self.shown(node), done_at=done_at,
                                early=due is not None and now < due, **self._in_words(node, command.value))
            self.trail.append(Taken(node_id, "answer", command.value, target, due))
        self.pending_at = None
        return [event, *self._enter(now)]

    def _in_words(self, node: AnyNode, value: str) -> dict[str, Any]:
        """What an answer means, for the log: the option's label, or the value with its unit."""
        if isinstance(node, QuestionNode):
            return {"label": next((o.label for o in node.options if o.key == value), value)}
        if isinstance(node, InputNode):
            return {"label": f"{value} {node.unit}" if node.unit else value, "value": int(value), "unit": node.unit}
        if isinstance(node, WaitNode):
            return {"label": "continued"}
        if isinstance(node, ActionNode):
            return {"label": "done"}
        return {}

    def _enter(self, now: datetime) -> list[Event]:
        """Events for arriving at the current node: a wait begins (unless begun and not yet continued);
        an outcome is reached."""
        node = self.node
        if isinstance(node, WaitNode) and self.current not in self.waits:
            due = now + timedelta(minutes=node.minutes)
            self.waits[self.current] = due
            return [WaitStartedEvent(self.current, minutes=node.minutes, due=iso_utc(due))]
        if isinstance(node, OutcomeNode):
            return [self.outcome_event()]
        return []

    def outcome_event(self) -> OutcomeEvent:
        """The `outcome` event of the outcome the walk stands at."""
        node = self.node
        assert isinstance(node, OutcomeNode)
        return OutcomeEvent(self.current, title=node.title, severity=str(node.severity))

    def _target(self, value: str) -> str:
        node = self.node
        if isinstance(node, QuestionNode):
            for option in node.options:
                if option.key == value:
                    return option.next
            raise WalkError("no such option")
        if isinstance(node, InputNode):
            if not _NUMBER_RE.match(value) or not node.min <= int(value) <= node.max:
                raise WalkError("input out of range")
            return node.next
        if isinstance(node, OutcomeNode):
            raise WalkError("an outcome takes no answer")
        if value != "":
            raise WalkError("this step takes an empty answer")
        return node.next

    # --- resume --------------------------------------------------------------------------------

    @classmethod
    def replay(cls, protocol: Protocol, records: Iterable[Mapping[str, Any]]) -> Session:
        """Rebuild a session from its logged events (answers, flags, backs, notes, waits begun)."""
        session = cls(protocol)
        for record in records:
            event = from_record(record)
            ts = parse_ts(record.get("ts")) or datetime.min.replace(tzinfo=UTC)
            if isinstance(event, AnswerEvent | RedFlagEvent | BackEvent | NoteEvent) and event.node != session.current:
                raise WalkError(f"event {record.get('seq')} is at a different node than the replay")
            if isinstance(event, AnswerEvent | RedFlagEvent):
                session.pending_at = datetime.fromisoformat(event.done_at) if event.done_at else None
                command: Command = Answer(event.answer) if isinstance(event, AnswerEvent) else FlagRaised(event.key)
                replayed = session.apply(command, ts)[0]
                # The walk must go where it went then: a protocol changed under `--force` may not.
                logged = record.get("next") if isinstance(event, AnswerEvent) else record.get("goto")
                taken = replayed.next if isinstance(replayed, AnswerEvent) else getattr(replayed, "goto", None)
                if logged is not None and logged != taken:
                    raise WalkError(f"event {record.get('seq')} went to another step than this protocol leads to")
            elif isinstance(event, BackEvent):
                session.apply(Back(), ts)
            elif isinstance(event, NoteEvent):
                session.apply(Note(event.text), ts)
            elif isinstance(event, StartEvent):
                session.begin(ts)
            elif isinstance(event, WaitStartedEvent) and event.node == session.current:
                # The due time as it was recorded (a log from before this event existed keeps the time
                # computed from the answer that entered the wait).
                due = parse_ts(event.due)
                if due is not None:
                    session.waits[session.current] = due
        return session
