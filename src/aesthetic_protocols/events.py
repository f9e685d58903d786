"""The session log's vocabulary: one frozen dataclass per event kind, with its JSON fields.

The engine returns these, the walker hands them to the journal (`Journal.record`), and every reader gets
them back typed: `journal.read_events` gives one `Logged` per line (the journal's own `seq`, `ts`,
`session`, `prev` and `hash`, and the event), decoded here (`decode`, `from_record`). A log line is the
event's `payload()` plus those journal fields. Older logs lack the newer fields: `from_record` reads every
field with a default, so an old log still replays and shows; a line of a kind this version does not know
reads as an `UnknownEvent` that the record shows. This module is the only place that reads a line by its
keys: readers use attributes and match on the event classes.

A new event kind: its class here (and in `Event` and `_KINDS`), then the one `match` in
`report.record._row` that mypy (`assert_never`) then says lacks a case; readers that take only some kinds
filter with `isinstance` and need nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import field as dataclass_field
from dataclasses import fields
from datetime import UTC, datetime
from types import UnionType
from typing import Any, ClassVar, Union, get_args, get_origin, get_type_hints

from aesthetic_protocols.plain_data import dataclass

# The event names, as written in the log's `event` field.
START = "start"
ANSWER = "answer"
WAIT_STARTED = "wait-started"
RED_FLAG = "red-flag"
BACK = "back"
NOTE = "note"
INTERRUPTED = "interrupted"
OUTCOME = "outcome"
RESUMED = "resumed"
PROTOCOL_CHANGED = "protocol-changed"
TORN_TAIL_RECOVERED = "torn-tail-recovered"
DECIDED = "decided"
EARLY_CANCELLED = "early-cancelled"
LOGGED = "logged"
HANDOVER = "handover"
ABANDONED = "abandoned"

Value = int | float | str


@dataclass(frozen=True)
class _Event:
    """What every event shares: its name (`kind`) and the node it happened at (None for log-level events)."""

    kind: ClassVar[str]
    node: str | None

    def payload(self) -> dict[str, Any]:
        """The event's JSON fields without the journal's own; unset optional fields are left out."""
        out: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name != "node" and (value is None or value is False or value == {}):
                continue  # an absent field reads as its default (old logs are read the same way)
            out[item.name] = dict(value) if isinstance(value, dict) else value
        return out


@dataclass(frozen=True)
class StartEvent(_Event):
    """The first line: which protocol, exactly (version, file hash, status), and who."""

    kind: ClassVar[str] = START
    protocol: str = ""
    version: str = ""
    sha256: str = ""
    status: str = ""
    title: str = ""
    tool: str = ""
    face: str = ""
    patient: str | None = None
    practitioner: str | None = None
    drill: bool = False
    clinic_sha256: str | None = None  # the clinic file read for this walk (contacts, kit), if any


@dataclass(frozen=True)
class AnswerEvent(_Event):
    """A prompt answered: the raw answer, where it led, and what was seen and chosen, in words."""

    kind: ClassVar[str] = ANSWER
    answer: str = ""  # option key, the number as typed, "" for done / continue
    next: str = ""
    title: str | None = None  # the node's title as shown
    label: str | None = None  # the option's label; an input's value with its unit; a record field's label
    value: Value | None = None  # an input's or record field's value, typed (a choice field's: its key)
    unit: str | None = None
    field: str | None = None  # a record field's id
    choice: str | None = None  # a choice field's chosen label, in words (its key is `answer` and `value`)
    shown: dict[str, str] = dataclass_field(default_factory=dict)  # derived values on the screen: name -> text
    done_at: str | None = None  # `time: HH:MM`: UTC ISO like `ts` (older logs: local ISO with an offset)
    # A `photo` field's photograph (`value` is its file in `<session>.evidence/`): sha256 and size of the file,
    # its media type, and the capture time its EXIF gives (camera local time, no zone).
    photo_sha256: str | None = None
    photo_bytes: int | None = None
    photo_type: str | None = None
    photo_captured: str | None = None
    early: bool = False  # continued before a wait was due


@dataclass(frozen=True)
class WaitStartedEvent(_Event):
    """A wait entered on the path: its due time is kept through Back, red-flag detours and resume."""

    kind: ClassVar[str] = WAIT_STARTED
    minutes: int = 0
    due: str = ""  # UTC ISO-8601


@dataclass(frozen=True)
class RedFlagEvent(_Event):
    """A red flag raised at a prompt, and where it jumped."""

    kind: ClassVar[str] = RED_FLAG
    key: str = ""
    label: str = ""
    goto: str = ""
    done_at: str | None = None


@dataclass(frozen=True)
class BackEvent(_Event):
    """One step back (nothing erased): from `node` back to `to`."""

    kind: ClassVar[str] = BACK
    to: str = ""


@dataclass(frozen=True)
class NoteEvent(_Event):
    """A note on the current step."""

    kind: ClassVar[str] = NOTE
    text: str = ""


@dataclass(frozen=True)
class DecidedEvent(_Event):
    """A decide node routed the walk with no prompt: which rule held (its 0-based index, or "otherwise"),
    the facts it read with their values in words, where it led, and why."""

    kind: ClassVar[str] = DECIDED
    rule: int | str = "otherwise"  # the index of the rule that held, or "otherwise"
    next: str = ""
    facts: dict[str, str] = dataclass_field(default_factory=dict)  # fact -> value in words ("not known" if unset)
    because: str | None = None  # the rule's `because` (None for otherwise)
    title: str | None = None  # the node's title


@dataclass(frozen=True)
class EarlyCancelledEvent(_Event):
    """At a wait with `early`, continuing before the time was up was asked and then not confirmed."""

    kind: ClassVar[str] = EARLY_CANCELLED


@dataclass(frozen=True)
class InterruptedEvent(_Event):
    """The walk ended before an outcome, and why (quit, Ctrl-C, SIGTERM, end of input, ...)."""

    kind: ClassVar[str] = INTERRUPTED
    reason: str = ""


@dataclass(frozen=True)
class OutcomeEvent(_Event):
    """The outcome reached: its title and severity. The session is over."""

    kind: ClassVar[str] = OUTCOME
    title: str = ""
    severity: str = ""
    until_handover: bool = False  # the walk stays open (log, timers) until a `handover` event


@dataclass(frozen=True)
class LoggedEvent(_Event):
    """Something done while an emergency goes on until handover (a drug given...), with when it was done.

    `withdraws` names the seq of an earlier entry this one withdraws (logged by mistake): nothing is erased.
    """

    kind: ClassVar[str] = LOGGED
    key: str = ""
    label: str = ""
    time: str = ""  # UTC ISO-8601: when it was done (now, or `time: HH:MM` given before the key)
    withdraws: int | None = None


@dataclass(frozen=True)
class HandoverEvent(_Event):
    """The patient handed over: when, and to whom (optional). The session is over."""

    kind: ClassVar[str] = HANDOVER
    time: str = ""  # UTC ISO-8601
    to: str | None = None


@dataclass(frozen=True)
class ResumedEvent(_Event):
    """The session was continued from its log, by this version of the tool."""

    kind: ClassVar[str] = RESUMED
    tool: str | None = None


@dataclass(frozen=True)
class ProtocolChangedEvent(_Event):
    """Resumed with --force under a changed protocol file: the old and the new version and hash."""

    kind: ClassVar[str] = PROTOCOL_CHANGED
    old_version: str | None = None
    old_sha256: str | None = None
    version: str = ""
    sha256: str = ""


@dataclass(frozen=True)
class TornTailEvent(_Event):
    """A torn last line (a crash mid-write) set aside on resume: its size and hash."""

    kind: ClassVar[str] = TORN_TAIL_RECOVERED
    bytes: int = 0
    sha256: str = ""


@dataclass(frozen=True)
class AbandonedEvent(_Event):
    """An interrupted session closed for good without an outcome (`protocol abandon`), and why. It is no
    longer offered for resuming."""

    kind: ClassVar[str] = ABANDONED
    reason: str = ""


Event = (StartEvent | AnswerEvent | WaitStartedEvent | RedFlagEvent | BackEvent | NoteEvent | InterruptedEvent
         | OutcomeEvent | ResumedEvent | ProtocolChangedEvent | TornTailEvent | DecidedEvent | EarlyCancelledEvent
         | LoggedEvent | HandoverEvent
         | AbandonedEvent)

_KINDS: dict[str, type[Event]] = {cls.kind: cls for cls in (
    StartEvent, AnswerEvent, WaitStartedEvent, RedFlagEvent, BackEvent, NoteEvent, InterruptedEvent,
    OutcomeEvent, ResumedEvent, ProtocolChangedEvent, TornTailEvent, DecidedEvent, EarlyCancelledEvent,
    LoggedEvent, HandoverEvent, AbandonedEvent)}


def from_record(record: Mapping[str, Any]) -> Event | None:
    """A log line as its event (None for a kind this version does not know); missing fields get defaults.

    A field of the wrong JSON type (an edited or foreign log) is read as its default, never trusted.
    """
    cls = _KINDS.get(str(record.get("event")))
    if cls is None:
        return None
    node = record.get("node")
    values: dict[str, Any] = {"node": node if isinstance(node, str) else None}
    for name, accepted in _accepted(cls).items():
        if name != "node" and name in record and _fits(record[name], accepted):
            values[name] = record[name]
    return cls(**values)


_ACCEPTED: dict[str, dict[str, tuple[type, ...]]] = {}


def _accepted(cls: type[Event]) -> dict[str, tuple[type, ...]]:
    """Each field of an event class and the types its annotation accepts: `Value | None` is (int, float, str,
    NoneType), `dict[str, str]` is (dict,). Read from the resolved annotations, once per class."""
    if cls.kind not in _ACCEPTED:
        hints = get_type_hints(cls)
        accepted: dict[str, tuple[type, ...]] = {}
        for item in fields(cls):
            hint = hints[item.name]
            parts = get_args(hint) if isinstance(hint, UnionType) or get_origin(hint) is Union else (hint,)
            accepted[item.name] = tuple(get_origin(part) or part for part in parts)
        _ACCEPTED[cls.kind] = accepted
    return _ACCEPTED[cls.kind]


def _fits(value: Any, accepted: tuple[type, ...]) -> bool:
    """Whether a JSON value is of a type the field accepts (a bool is no number; a dict maps text to text)."""
    if isinstance(value, bool):
        return bool in accepted
    if isinstance(value, dict):
        return dict in accepted and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    return type(value) in accepted


def iso_utc(moment: datetime) -> str:
    """A moment as the log writes times: UTC ISO-8601 with milliseconds and `Z`."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a recorded time must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_ts(value: Any) -> datetime | None:
    """A log timestamp (UTC ISO-8601, `Z` or an offset) as an aware datetime; None if it is not one."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return None


# --- Reading back: the codec from a log line to a typed record. ---------------------------------------
# Readers never index a line: they get a `Logged` (the journal's own fields, typed) holding the typed
# event, and match on its class. A line this version cannot read as one of its events stays a `Logged`
# with an `UnknownEvent`, shown by the readers, never dropped.

UNKNOWN = "unknown"


@dataclass(frozen=True)
class UnknownEvent:
    """A line whose event this version does not know (a newer tool's, or an edited log): kept and shown."""

    kind: ClassVar[str] = UNKNOWN
    node: str | None
    name: str  # the event name as logged ("" when it is not text)


Readable = Event | UnknownEvent


@dataclass(frozen=True)
class Logged:
    """One log line read back: the journal's own fields and the typed event. `line` is the line as written,
    for the JSON export only (it keeps fields this version does not know, byte for byte)."""

    seq: int
    ts: str  # UTC ISO-8601 as written ("" when the line has none)
    session: str
    prev: str | None
    hash: str
    event: Readable
    line: Mapping[str, Any] = dataclass_field(repr=False, compare=False)
    ignored: tuple[str, ...] = ()  # fields of the event read as their default: their value had the wrong type

    @property
    def moment(self) -> datetime | None:
        """`ts` as an aware datetime (None if it is no time)."""
        return parse_ts(self.ts)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def decode(line: Mapping[str, Any]) -> Logged:
    """A log line (a JSON object) as its typed record; missing journal fields read as empty."""
    seq, prev = line.get("seq"), line.get("prev")
    event: Readable | None = from_record(line)
    if event is None:
        node = line.get("node")
        event = UnknownEvent(node if isinstance(node, str) else None, _text(line.get("event")))
    return Logged(seq if type(seq) is int else -1, _text(line.get("ts")), _text(line.get("session")),
                  prev if isinstance(prev, str) else None, _text(line.get("hash")), event, line,
                  _ignored(line, event))


def decode_all(lines: Iterable[Logged | Mapping[str, Any]]) -> list[Logged]:
    """Log lines as typed records (records already read pass through)."""
    return [line if isinstance(line, Logged) else decode(line) for line in lines]


def encode(logged: Logged) -> dict[str, Any]:
    """A record as the JSON object of its line, as written."""
    return dict(logged.line)


def _ignored(line: Mapping[str, Any], event: Readable) -> tuple[str, ...]:
    if isinstance(event, UnknownEvent):
        return ()
    return tuple(name for name, accepted in _accepted(type(event)).items()
                 if name != "node" and name in line and not _fits(line[name], accepted))
