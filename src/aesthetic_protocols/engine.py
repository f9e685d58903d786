"""The walk as a pure, deterministic state machine over a validated protocol.

No I/O and no clock: the caller passes `now` in. Every change of state is returned as a typed event
(`events`) for the journal, and `Session.replay` rebuilds the same state from the logged events, which is
how a crashed or interrupted session resumes. Plain-mode lines are read by `interpret`, so the rich UI, the
plain walker and the scenario runner all speak the same commands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, assert_never

from aesthetic_protocols.events import (
    AnswerEvent,
    BackEvent,
    DecidedEvent,
    EarlyCancelledEvent,
    Event,
    HandoverEvent,
    InterruptedEvent,
    Logged,
    NoteEvent,
    OutcomeEvent,
    RedFlagEvent,
    StartEvent,
    WaitStartedEvent,
    decode_all,
    iso_utc,
    parse_ts,
)
from aesthetic_protocols.facts import (
    NO_CLINIC_FILE,
    Condition,
    Kit,
    Known,
    date_form_text,
    holds,
    kit_conditions,
    kit_key,
    kit_reading,
    read_facts,
    resolve_date,
)
from aesthetic_protocols.facts import shown as fact_text
from aesthetic_protocols.nodes import answer_words, steps
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.tree import (
    EVIDENCE_NAME_RE,
    NOT_ENTERED,
    PLACEHOLDER_RE,
    TYPED_STEERING_RE,
    ActionNode,
    AnyNode,
    DecideNode,
    InputNode,
    OutcomeNode,
    Protocol,
    QuestionNode,
    RecordField,
    RecordNode,
    RedFlag,
    WaitNode,
)

# --- commands: what a practitioner can say at a prompt ---------------------------------------------


@dataclass(frozen=True)
class Answer:
    """The answer to the current prompt."""

    value: str  # option key, the number, or "" for done / continue
    # A photograph taken at a `photo` field (its value is the evidence file's name): what the answer event
    # records of it (photo_sha256, photo_bytes, photo_type, photo_captured).
    photo: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PhotoOffered(Answer):
    """What was typed at a `photo` field (a path, or "" for the newest in the photos folder): the walker
    reads and stores the file, then answers with its evidence name; the engine never touches files."""


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
    """`time: HH:MM`: the current step was really done at that clock time (which moment: `done_moment`)."""

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
_DECIMAL_RE = re.compile(r"^-?[0-9]{1,7}(\.[0-9]{1,3})?$", re.ASCII)
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)
_CONTROL_RE = TYPED_STEERING_RE  # controls, direction marks, invisible characters: the protocol files' rule
_UNDECODABLE_RE = re.compile("[\ud800-\udfff]")  # bytes that were no UTF-8 (read with surrogateescape)
NOT_TEXT = "not valid text: type it again"
NOTE_LIMIT = 2000


class WalkError(Exception):
    """A command that does not fit the session's state (a bug in the caller, or a corrupt log)."""


@dataclass(frozen=True)
class Taken:
    """One step of the trail: at `node`, `how` ('answer', 'field', 'flag' or 'decide') with `value`, leading to
    `next`. A decide step's value is the index of the rule that held, or "otherwise".

    A record node's fields are one step each ('field'); its `next` stays on the node until the last field.
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
    # At a wait with `early`, Enter before the due time asks to confirm: "y" continues early, anything else
    # keeps waiting. The sub-prompt is the session's state until answered.
    confirming_early: bool = False
    handed_over: bool = False  # an outcome with `until_handover` stays open until this (see `handover`)
    # The clinic file's kit, which kit conditions read (None: no clinic file, every kit condition false).
    kit: Kit | None = None
    # Kit readings taken from the log on replay (`kit_key` -> yes/no/no clinic file): a replayed decision
    # reads the kit as it was then, whatever the clinic file says now.
    kit_logged: dict[str, str] = field(default_factory=dict)

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
    def open_outcome(self) -> bool:
        """At an outcome with `until_handover`, not yet handed over: red flags, notes and `time:` still apply,
        and Back withdraws a red flag raised last (the log and `h` are the `handover` module's)."""
        node = self.node
        return isinstance(node, OutcomeNode) and node.until_handover is not None and not self.handed_over

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

    @property
    def facts(self) -> dict[str, Known]:
        """Every fact known on the path: the latest value of each (options' `set:`, input variables, record
        fields; an optional field left empty is not known). Back undoes the answer that set one."""
        values: dict[str, Known] = {}
        run = 0
        for index, step in enumerate(self.trail):
            node = self.protocol.nodes[step.node]
            if step.how == "answer" and isinstance(node, QuestionNode):
                option = next((o for o in node.options if o.key == step.value), None)
                values.update(option.set if option is not None else {})
            elif step.how == "answer" and isinstance(node, InputNode):
                values[node.variable] = int(step.value)
            elif step.how == "field" and isinstance(node, RecordNode):
                before = self.trail[index - 1] if index else None
                run = run + 1 if before is not None and before.how == "field" and before.node == step.node else 0
                record_field = node.fields[run % len(node.fields)]
                if step.value:
                    values[record_field.id] = field_value(record_field, step.value)
                else:
                    values.pop(record_field.id, None)
        return values

    @property
    def because(self) -> str | None:
        """Why the walk is here, when a decide node led here: its rule's `because` (None otherwise)."""
        last = self.trail[-1] if self.trail else None
        if last is None or last.how != "decide" or last.value == "otherwise":
            return None
        node = self.protocol.nodes[last.node]
        return node.rules[int(last.value)].because if isinstance(node, DecideNode) else None

    @property
    def field(self) -> RecordField | None:
        """The record field asked now (None when the current node is not a record node)."""
        node = self.node
        if not isinstance(node, RecordNode):
            return None
        return node.fields[self._fields_done() % len(node.fields)]

    @property
    def records(self) -> dict[str, str]:
        """Every record field answered on the walk so far: {field id: value} (the latest one wins)."""
        values: dict[str, str] = {}
        run = 0  # fields answered so far in this visit of the record node
        for index, step in enumerate(self.trail):
            if step.how != "field":
                continue
            before = self.trail[index - 1] if index else None
            run = run + 1 if before is not None and before.how == "field" and before.node == step.node else 0
            node = self.protocol.nodes[step.node]
            if isinstance(node, RecordNode):
                values[node.fields[run % len(node.fields)].id] = step.value
        return values

    def _fields_done(self) -> int:
        """How many fields of the current record node this visit has answered."""
        done = 0
        for step in reversed(self.trail):
            if step.node != self.current or step.how != "field":
                break
            done += 1
        return done

    def value_of(self, name: str) -> int | None:
        """An input variable's value, or a derived value's amount (None if not entered or beyond its table)."""
        values = self.variables
        if name in values:
            return values[name]
        derived = self.protocol.derived.get(name)
        if derived is None or derived.variable not in values:
            return None
        amount = values[derived.variable]
        if derived.max_input is not None and amount > derived.max_input:
            return None
        return amount * derived.times

    @property
    def at_text_field(self) -> bool:
        """Whether the prompt is a free-text record field (text, or a photograph's path): there a bare letter is
        text, and a red flag is `!` then its key (`!v`); everywhere else its key alone (`!v` works there too)."""
        record_field = self.field
        return record_field is not None and record_field.type in ("text", "photo")

    def red_flag(self, key: str) -> RedFlag | None:
        return next((flag for flag in self.protocol.red_flags if flag.key == key), None)

    def due(self) -> datetime | None:
        """When the current wait ends (None if the current node is not a wait or was not begun)."""
        return self.waits.get(self.current) if isinstance(self.node, WaitNode) else None

    def shown(self, node: AnyNode | None = None) -> dict[str, str]:
        """The derived values a node's screen shows (name -> text as shown), e.g. {"dose": "1000 U"}."""
        node = node or self.node
        texts = [node.title, node.headline or "", node.text or "", *steps(node)]
        names = {name for text in texts for name in PLACEHOLDER_RE.findall(text) if name in self.protocol.derived}
        record_field = self.field if node is self.node else None
        if record_field is not None and record_field.default in self.protocol.derived:
            names.add(record_field.default)  # offered as the field's default, so on the screen
        return {name: self.render(f"{{{name}}}") for name in sorted(names)}

    def render(self, text: str) -> str:
        """Fill `{name}` from input variables and derived values; nothing is evaluated."""
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            amount = self.value_of(name)
            derived = self.protocol.derived.get(name)
            if derived is None:
                return NOT_ENTERED if amount is None else str(amount)
            if amount is None:  # not entered yet, or beyond the table
                return derived.beyond_text if derived.variable in self.variables else NOT_ENTERED
            return f"{amount} {derived.unit}"

        filled = PLACEHOLDER_RE.sub(fill, text)
        if "{contact:" not in filled:
            return filled
        from aesthetic_protocols.clinic import fill_contacts  # only a tree that names contacts needs it

        return fill_contacts(filled, self.protocol.contacts)

    # --- reading a plain-mode line -------------------------------------------------------------

    def interpret(self, line: str, now: datetime | None = None) -> Reading:
        """One plain-mode line -> a command for the current prompt (red flags first). `now` bounds record
        fields against the walk's clock (`max_ahead_minutes`, `not_after`, `not_before`)."""
        text = line.strip()
        word = text.lower()
        if self.confirming_early:  # "y" continues early; anything else (but quit) keeps waiting
            return Quit() if word == "quit" else Answer("y" if word in ("y", "yes") else "n")
        command = self.command(line)
        if command is not None:
            return command
        if word.startswith("!") and self.red_flag(word[1:].strip()) is not None:
            return FlagRaised(word[1:].strip())
        if not self.at_text_field and self.red_flag(word) is not None:
            return FlagRaised(word)
        node = self.node
        if isinstance(node, QuestionNode):
            keys = [option.key for option in node.options]
            key = _pick(keys, word)
            return Answer(key) if key is not None else Invalid(_pick_hint(keys))
        if isinstance(node, InputNode):
            if not _NUMBER_RE.match(word):
                return Invalid(f"enter a whole number from {node.min} to {node.max}")
            number = int(word)
            if not node.min <= number <= node.max:
                return Invalid(f"out of range: enter a whole number from {node.min} to {node.max}")
            return Answer(str(number))
        record_field = self.field
        if record_field is not None:
            return self._read_field(record_field, text, now)
        return Answer("")  # action, checklist, wait: any line means done / continue

    @staticmethod
    def command(line: str) -> Quit | Back | Note | DoneAt | Invalid | None:
        """A line read as one of the words taken at any prompt (quit, back, note: TEXT, time: HH:MM);
        None when it is none of them (an answer, a red flag, or nothing)."""
        if _UNDECODABLE_RE.search(line):
            return Invalid(NOT_TEXT)  # at any prompt, before anything else reads the line
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
            if _CONTROL_RE.search(note):
                return Invalid("a note may not hold control, invisible or direction characters")
            return Note(note)
        if word.startswith("time:"):
            match = _TIME_RE.match(word[5:].strip())
            if not match:
                return Invalid("give the time as time: HH:MM (24-hour)")
            return DoneAt(time(int(match.group(1)), int(match.group(2))))
        return None

    def _read_field(self, record_field: RecordField, text: str, now: datetime | None = None) -> Reading:
        """One line typed at a record field -> its normalised value, or why not (never echoing the line)."""
        if record_field.type == "photo":
            return PhotoOffered(text)
        if not text:
            if record_field.default is not None:
                default = self.value_of(record_field.default)
                if default is not None:
                    return Answer(str(default))
            if record_field.required:
                return Invalid("this field is required")
            return Answer("")
        problem = field_problem(record_field, text) or (
            None if now is None else bound_problem(record_field, normalise_field(record_field, text), now))
        if problem is not None:
            return Invalid(problem)
        return Answer(normalise_field(record_field, text))

    # --- changing the state --------------------------------------------------------------------

    def begin(self, now: datetime) -> list[Event]:
        """Enter the first step (a wait there begins now); call once, after the start event."""
        return self._enter(now)

    def apply(self, command: Command, now: datetime) -> list[Event]:
        """Apply a command; return the events to record (the last one ends the walk if it is `outcome`)."""
        open_here = self.open_outcome and isinstance(command, FlagRaised | Note | DoneAt | Quit | Back)
        if (self.finished and not open_here) or self.interrupted:
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
            self.pending_at = done_moment(command.at, now)
            return []  # kept for the next event at this step (answer or red flag), which carries both times
        if self.confirming_early:
            return self._confirm_early(command, now)
        if isinstance(command, Back):
            if not self.trail:
                raise WalkError("already at the first step")
            while self.trail[-1].how == "decide" and len(self.trail) > 1:  # back over decisions to the last prompt
                self.trail.pop()
            left = self.trail.pop()
            if left.due is not None:
                self.waits[left.node] = left.due  # back into a wait that was continued: its time is kept
            self.pending_at = None
            return [BackEvent(node_id, to=left.node)]
        done_at = iso_utc(self.pending_at) if self.pending_at is not None else None
        event: Event
        if isinstance(command, FlagRaised):
            flag = self.red_flag(command.key)
            if flag is None:
                raise WalkError("no such red flag")
            # A detour: the wait here (if any) keeps running, and keeps its due time if the walk comes back.
            self.trail.append(Taken(node_id, "flag", flag.key, flag.goto))
            event = RedFlagEvent(node_id, key=flag.key, label=flag.label, goto=flag.goto, done_at=done_at)
        else:
            if (isinstance(node, WaitNode) and node.early is not None and command.value == ""
                    and node_id in self.waits and now < self.waits[node_id]):
                self.confirming_early = True  # before the due time: confirm first (nothing recorded yet)
                return []
            record_field = self.field
            target = self._target(command.value, now)
            due = self.waits.pop(node_id, None) if isinstance(node, WaitNode) else None
            words = (self._field_in_words(record_field, command.value) if record_field is not None
                     else answer_words(node, command.value))
            photo = dict(command.photo or {}) if isinstance(command, Answer) and record_field is not None else {}
            event = AnswerEvent(node_id, answer=command.value, next=target, title=self.render(node.title),
                                shown=self.shown(node), done_at=done_at, early=due is not None and now < due, **words,
                                **photo)
            self.trail.append(Taken(node_id, "field" if record_field is not None else "answer", command.value,
                                    target, due))
        self.pending_at = None
        return [event, *self._enter(now)]

    def _confirm_early(self, command: Command, now: datetime) -> list[Event]:
        """The answer to "continue before the recheck is due?": "y" goes to the wait's `early` node, recorded
        with `early: true`; anything else keeps waiting (recorded as `early-cancelled`)."""
        node_id, node = self.current, self.node
        assert isinstance(node, WaitNode) and node.early is not None
        self.confirming_early = False
        if isinstance(command, Quit):
            self.interruption = command.reason
            return [InterruptedEvent(node_id, reason=command.reason)]
        if not isinstance(command, Answer) or command.value != "y":
            return [EarlyCancelledEvent(node_id)]
        due = self.waits.pop(node_id, None)
        event = AnswerEvent(node_id, answer="y", next=node.early, title=self.render(node.title), shown=self.shown(node),
                            early=True, **answer_words(node, "y"))
        self.trail.append(Taken(node_id, "answer", "y", node.early, due))
        self.pending_at = None
        return [event, *self._enter(now)]

    @staticmethod
    def _field_in_words(record_field: RecordField, value: str) -> dict[str, Any]:
        """A record field's answer for the log: the field's label, and its value typed.

        A choice's value is its key, as for a question's answer; the choice's label, in words, is `choice`
        (older logs held the label in `value`).
        """
        words: dict[str, Any] = {"label": record_field.label, "field": record_field.id, "unit": record_field.unit}
        if not value:
            return words  # an optional field left empty
        if record_field.type == "number":
            number = Decimal(value)
            words["value"] = int(number) if number == number.to_integral_value() else float(number)
        elif record_field.type == "choice":
            words["value"] = value
            words["choice"] = next((c.label for c in record_field.choices if c.key == value), None)
        else:
            words["value"] = value
        return words

    def _enter(self, now: datetime) -> list[Event]:
        """Events for arriving at the current node: a wait begins (unless begun and not yet continued);
        an outcome is reached."""
        decided: list[Event] = []
        for _ in range(len(self.protocol.nodes) + 1):  # a decide loop without a prompt is refused by `check`
            node = self.node
            if not isinstance(node, DecideNode):
                break
            decided.append(self._decide(node, now))
        else:
            raise WalkError("decide nodes route in a loop without a prompt")
        return [*decided, *self._arrive(now)]

    def _decide(self, node: DecideNode, now: datetime) -> DecidedEvent:
        """Route a decide node: the first rule whose `when` holds, else `otherwise`; `today` from `now`."""
        facts, today = self.facts, now.date()
        read: dict[str, str] = {}
        kit: dict[str, bool | None] = {}
        rule: int | str = "otherwise"
        target, because = node.otherwise, None
        for index, candidate in enumerate(node.rules):
            for name in read_facts(candidate.when):
                read.setdefault(name, self._fact_words(name, facts.get(name)))
            for part, _, _ in kit_conditions(candidate.when):
                key = kit_key(part)
                if key not in kit:
                    kit[key] = self._kit_reading(key, part, today)
                    read[key] = NO_CLINIC_FILE if kit[key] is None else fact_text(kit[key])
            if holds(candidate.when, facts, today, kit):
                rule, target, because = index, candidate.next, candidate.because
                break
        node_id = self.current
        self.trail.append(Taken(node_id, "decide", str(rule), target))
        return DecidedEvent(node_id, rule=rule, next=target, facts=read, because=because,
                            title=self.render(node.title))

    def _fact_words(self, name: str, value: Known | None) -> str:
        """A fact's value in words for a `decided` event: a record choice field's choice by its label (the
        key alone, "g", says nothing in the record), any other value as `conditions.shown` says it."""
        if isinstance(value, str):
            for node in self.protocol.nodes.values():
                if isinstance(node, RecordNode):
                    for record_field in node.fields:
                        if record_field.id == name and record_field.type == "choice":
                            label = next((c.label for c in record_field.choices if c.key == value), None)
                            return value if label is None else label
        return fact_text(value)

    def _kit_reading(self, key: str, part: Condition, today: date) -> bool | None:
        """A kit condition's reading: as logged (replay), else from the clinic file (None: no clinic file)."""
        logged = self.kit_logged.get(key)
        if logged is not None:
            return None if logged == NO_CLINIC_FILE else logged == "yes"
        return kit_reading(part, self.kit, today)

    def _arrive(self, now: datetime) -> list[Event]:
        node = self.node
        if isinstance(node, WaitNode) and self.current not in self.waits:
            due = self._due_kept_after_early() or now + timedelta(minutes=node.minutes)
            self.waits[self.current] = due
            return [WaitStartedEvent(self.current, minutes=node.minutes, due=iso_utc(due))]
        if isinstance(node, OutcomeNode):
            return [self.outcome_event()]
        return []

    def _due_kept_after_early(self) -> datetime | None:
        """Back at a wait left by a confirmed early continue, with no treatment step since: its due time as it
        was (an early look does not restart the observation); after a treatment the wait starts anew."""
        for step in reversed(self.trail):
            if step.node == self.current and step.how == "answer" and step.value == "y" and step.due is not None:
                return step.due
            if self.protocol.nodes[step.node].treatment:
                return None
        return None

    def outcome_event(self) -> OutcomeEvent:
        """The `outcome` event of the outcome the walk stands at."""
        node = self.node
        assert isinstance(node, OutcomeNode)
        return OutcomeEvent(self.current, title=node.title, severity=str(node.severity),
                            until_handover=node.until_handover is not None)

    def _target(self, value: str, now: datetime) -> str:
        """Where an answer at the current node leads (WalkError when it is no answer there)."""
        node = self.node
        match node:
            case QuestionNode():
                for option in node.options:
                    if option.key == value:
                        return option.next
                raise WalkError("no such option")
            case InputNode():
                if not _NUMBER_RE.match(value) or not node.min <= int(value) <= node.max:
                    raise WalkError("input out of range")
                return node.next
            case RecordNode():
                record_field = self.field
                assert record_field is not None
                if value and (field_problem(record_field, value) or bound_problem(record_field, value, now)):
                    raise WalkError("value does not fit the field")
                if not value and record_field.required:
                    raise WalkError("this field is required")
                last = self._fields_done() % len(node.fields) == len(node.fields) - 1
                return node.next if last else self.current
            case ActionNode() | WaitNode():
                if value != "":
                    raise WalkError("this step takes an empty answer")
                return node.next
            case OutcomeNode() | DecideNode():
                raise WalkError("this step takes no answer")
            case _:
                assert_never(node)

    # --- resume --------------------------------------------------------------------------------

    @classmethod
    def replay(cls, protocol: Protocol, records: Iterable[Logged | Mapping[str, Any]], kit: Kit | None = None) \
            -> Session:
        """Rebuild a session from its logged events (answers, flags, backs, notes, waits begun). Kit conditions
        read the kit as the log's `decided` events recorded it; one the log does not hold reads `kit`."""
        decoded = list(decode_all(records))
        session = cls(protocol, kit=kit, kit_logged=kit_readings(decoded))
        decisions: list[str] = []  # where the replay's decide nodes led, checked against the logged `decided`
        for record in decoded:
            event = record.event
            # In local time, as the walker's clock gave it: a decide's `today` is the local day.
            ts = record.moment.astimezone() if record.moment is not None else datetime.min.replace(tzinfo=UTC)
            if isinstance(event, AnswerEvent | RedFlagEvent | BackEvent | NoteEvent) and event.node != session.current:
                raise WalkError(f"event {record.seq} is at a different node than the replay")
            if isinstance(event, AnswerEvent | RedFlagEvent):
                # Read as written: UTC `Z` now, a local offset in older logs.
                session.pending_at = parse_ts(event.done_at)
                command: Command = Answer(event.answer) if isinstance(event, AnswerEvent) else FlagRaised(event.key)
                node = session.node
                held = None
                if isinstance(node, WaitNode) and isinstance(event, AnswerEvent):
                    if event.answer == "y" and node.early is not None:
                        session.confirming_early = True  # the confirmed early continue, as it was answered
                    elif event.answer == "":
                        held = session.waits.pop(session.current, None)  # continued to `next` (due, or no gate)
                done = session.apply(command, ts)
                if held is not None:
                    session.trail[-1] = replace(session.trail[-1], due=held)
                decisions += [e.next for e in done if isinstance(e, DecidedEvent)]
                replayed = done[0]
                # The walk must go where it went then: a protocol changed under `--force` may not.
                logged = event.next if isinstance(event, AnswerEvent) else event.goto
                taken = (replayed.next if isinstance(replayed, AnswerEvent)
                         else replayed.goto if isinstance(replayed, RedFlagEvent) else None)
                if logged and logged != taken:  # "": an old or edited line that does not say
                    raise WalkError(f"event {record.seq} went to another step than this protocol leads to")
            elif isinstance(event, BackEvent):
                session.apply(Back(), ts)
            elif isinstance(event, NoteEvent):
                session.apply(Note(event.text), ts)
            elif isinstance(event, StartEvent):
                decisions += [e.next for e in session.begin(ts) if isinstance(e, DecidedEvent)]
            elif isinstance(event, HandoverEvent):
                session.handed_over = True
            elif isinstance(event, DecidedEvent):
                if not decisions or decisions.pop(0) != event.next:
                    raise WalkError(f"event {record.seq} decided otherwise than this protocol does")
            elif isinstance(event, WaitStartedEvent) and event.node == session.current:
                # The due time as it was recorded (a log from before this event existed keeps the time
                # computed from the answer that entered the wait).
                due = parse_ts(event.due)
                if due is not None:
                    session.waits[session.current] = due
        return session


def kit_readings(records: Iterable[Logged]) -> dict[str, str]:
    """The kit readings a log's `decided` events recorded (`kit:ITEM expired` -> yes / no / no clinic file)."""
    return {name: value for record in records if isinstance(record.event, DecidedEvent)
            for name, value in record.event.facts.items() if name.startswith("kit:")}


YESTERDAY_AFTER = timedelta(hours=12)


def done_moment(at: time, now: datetime) -> datetime:
    """The moment `time: HH:MM` means at `now` (the caller's local time, so HH:MM is the wall clock).

    Today's HH:MM when it is not after now. A time 12 h or more ahead is yesterday's (23:59 typed at 00:01);
    any other time ahead is a typo or a fast clock, refused rather than moved to yesterday. Steps done
    before the session began are common in an emergency, so there is no lower bound.
    """
    given = datetime.combine(now.date(), at, tzinfo=now.tzinfo)
    if given <= now:
        return given
    if given - now >= YESTERDAY_AFTER:
        return given - timedelta(days=1)
    raise WalkError("that time is later than now")


def field_problem(record_field: RecordField, text: str) -> str | None:
    """Why `text` is not a value of this record field, or None. Never quotes the text."""
    kind = record_field.type
    if kind == "text":
        if len(text) > record_field.max_length:
            return f"at most {record_field.max_length} characters"
        if _CONTROL_RE.search(text):
            return "control, invisible or direction characters are not allowed"
        return None
    if kind == "number":
        places = record_field.decimals
        most = f"at most {places} decimal{'' if places == 1 else 's'}"
        if "," in text and _DECIMAL_RE.match(text.replace(",", ".", 1)):
            return f"use a point for decimals, not a comma ({most})" if places else "enter a whole number"
        if not _DECIMAL_RE.match(text):
            return f"enter a number with {most}" if places else "enter a whole number"
        number = Decimal(text)
        if -number.normalize().as_tuple().exponent > places:  # type: ignore[operator]
            return most if places else "enter a whole number"
        low, high = record_field.min, record_field.max
        if (low is not None and number < Decimal(str(low))) or (high is not None and number > Decimal(str(high))):
            return f"out of range: enter a number from {_bound(low)} to {_bound(high)}"
        return None
    if kind == "choice":
        keys = [choice.key for choice in record_field.choices]
        return None if _pick(keys, text.lower()) is not None else _pick_hint(keys)
    if kind == "time":
        return None if _TIME_RE.match(text) else "give the time as HH:MM (24-hour)"
    if kind == "photo":  # as logged: the evidence file's name (the walker turns a path into it)
        return None if EVIDENCE_NAME_RE.match(text) else "give the photograph's file"
    if _DATE_RE.match(text):
        try:
            date.fromisoformat(text)
            return None
        except ValueError:
            pass
    return "give the date as YYYY-MM-DD"


def field_value(record_field: RecordField, value: str) -> Known:
    """A record field's normalised value as its fact: a number, a date, a time, or text (a choice's key)."""
    match record_field.type:
        case "number":
            return Decimal(value)
        case "date":
            return date.fromisoformat(value)
        case "time":
            return time.fromisoformat(value)
        case "choice" | "text" | "photo":  # a photograph's fact is its evidence file's name (known or not)
            return value


def bound_problem(record_field: RecordField, value: str, now: datetime) -> str | None:
    """Why a valid field value is refused against now (a limit too far ahead, a date out of its window)."""
    if record_field.type == "time" and record_field.max_ahead_minutes is not None:
        at = datetime.combine(now.date(), time.fromisoformat(value), tzinfo=now.tzinfo)
        if at + timedelta(hours=12) < now:
            at += timedelta(days=1)  # 00:10 typed at 23:50 is tomorrow's
        if at - now > timedelta(minutes=record_field.max_ahead_minutes):
            return f"at most {record_field.max_ahead_minutes} minutes after now"
        return None
    if record_field.type == "date":
        day, today = date.fromisoformat(value), now.date()
        latest, earliest = record_field.not_after, record_field.not_before
        if latest is not None and day > resolve_date(latest, today):
            return f"must not be after {date_form_text(latest)}"
        if earliest is not None and day < resolve_date(earliest, today):
            return f"must not be before {date_form_text(earliest)}"
    return None


def _pick(keys: list[str], word: str) -> str | None:
    """The key `word` names: the key itself, or its 1-based number in `keys` (None if neither)."""
    if word in keys:
        return word
    if _NUMBER_RE.match(word) and 1 <= int(word) <= len(keys):
        return keys[int(word) - 1]
    return None


def _pick_hint(keys: list[str]) -> str:
    return f"answer with one of {', '.join(keys)} (or 1-{len(keys)})"


def _bound(value: float | None) -> str:
    return "any" if value is None else f"{value:g}"


def normalise_field(record_field: RecordField, text: str) -> str:
    """A valid field value in its one written form: `0.5` not `0.50`, a choice's key, `09:05` not `9:05`."""
    if record_field.type == "number":
        return format(Decimal(text).normalize(), "f")
    if record_field.type == "choice":
        key = _pick([choice.key for choice in record_field.choices], text.lower())
        assert key is not None, "normalise only a value field_problem accepts"
        return key
    if record_field.type == "time":
        hours, minutes = text.split(":")
        return f"{int(hours):02d}:{minutes}"
    return text

