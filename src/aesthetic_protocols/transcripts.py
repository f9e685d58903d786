"""Transcripts: each scenario's walk in words, kept in `<id>.transcripts.yaml` beside its scenario file.

A transcript is one line per step, as the practitioner saw and answered it: the step's title, its headline
with its values filled in, the prompt with its bounds (a question's options by key and label, an input's or
record field's range and unit, a wait's minutes), the answer in words, red flags raised and where they led,
and the outcome's title and severity. `protocol scenarios` compares the walk with the file and shows a word
diff; `protocol scenarios --update` rewrites it, so a clinical change reads in review as a change of words.

The file is written here, not by a YAML dumper, so that it is stable: block style, one double-quoted line per
step (JSON string syntax, which YAML reads as is), scenarios in their file's order.

A new node kind or event needs its words here: `prompt_words`, `_answer_words` and `event_words` match on
kinds and event types and end in `assert_never`, so mypy names each place. A node the engine routes by itself
(no prompt) shows as the line of the event it writes, in `event_words`.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import assert_never

from aesthetic_protocols.engine import Session
from aesthetic_protocols.errors import InvalidProtocol
from aesthetic_protocols.events import (
    AbandonedEvent,
    AnswerEvent,
    BackEvent,
    DecidedEvent,
    EarlyCancelledEvent,
    Event,
    HandoverEvent,
    InterruptedEvent,
    LoggedEvent,
    NoteEvent,
    OutcomeEvent,
    ProtocolChangedEvent,
    RedFlagEvent,
    ResumedEvent,
    StartEvent,
    TornTailEvent,
    WaitStartedEvent,
)
from aesthetic_protocols.nodes import amount_text
from aesthetic_protocols.search import SCENARIO_SUFFIX, TRANSCRIPT_SUFFIX
from aesthetic_protocols.tree import (
    ActionNode,
    AnyNode,
    DecideNode,
    InputNode,
    OutcomeNode,
    QuestionNode,
    RecordField,
    RecordNode,
    WaitNode,
)

ARROW = " → "
HEADER = ("# Written by `protocol scenarios --update`; checked by `protocol scenarios`. Each scenario's walk in\n"
          "# words, one line per step: a change here is a change in what the practitioner is shown or led to.\n")

Transcripts = dict[str, list[str]]  # scenario name -> its lines


def transcript_path(scenario_file: Path) -> Path:
    """The transcript file beside a scenario file (`ptosis.scenarios.yaml` -> `ptosis.transcripts.yaml`)."""
    return scenario_file.with_name(scenario_file.name.removesuffix(SCENARIO_SUFFIX) + TRANSCRIPT_SUFFIX)


# --- the walk in words --------------------------------------------------------------------------------


def prompt_words(session: Session) -> str:
    """The current prompt as shown: title, headline (values filled in) and what it accepts."""
    node = session.node
    words = session.render(node.title)
    record_field = session.field
    first_field = record_field is None or (isinstance(node, RecordNode) and record_field is node.fields[0])
    if node.headline and first_field:  # a record node's headline once, at its first field
        words += f" — {session.render(node.headline)}"
    match node:
        case QuestionNode():
            return words + " [" + " / ".join(f"{option.key} {option.label}" for option in node.options) + "]"
        case InputNode():
            unit = f" {node.unit}" if node.unit else ""
            return words + f" [{node.min}-{node.max}{unit}]"
        case RecordNode():
            assert record_field is not None
            return words + f" > {record_field.label} [{_field_bounds(record_field, session)}]"
        case WaitNode():
            return words + f" [wait {node.minutes} min]"
        case ActionNode():
            return words
        case OutcomeNode():
            return words
        case DecideNode():
            return words  # routed by the engine, never a prompt: its `decided` event has a line of its own
        case _:
            assert_never(node)


def _field_bounds(record_field: RecordField, session: Session) -> str:
    """What a record field accepts, in words: its type, range, unit, choices, and whether it may be empty."""
    kind = record_field.type
    match kind:
        case "choice":
            accepts = " / ".join(f"{choice.key} {choice.label}" for choice in record_field.choices)
        case "number":
            unit = f" {record_field.unit}" if record_field.unit else ""
            accepts = f"{record_field.bounds_text() or 'number'}{unit}"
        case "time":
            accepts = "HH:MM"
        case "date":
            accepts = "YYYY-MM-DD"
        case "text":
            accepts = "text"
        case "photo":
            accepts = "photograph"
        case _:
            assert_never(kind)
    if record_field.default is not None:
        accepts += f", offered {session.render('{' + record_field.default + '}')}"
    return accepts if record_field.required else accepts + ", optional"


def event_words(event: Event, asked: AnyNode, session: Session) -> str | None:
    """An event of the walk in words (None for one a transcript leaves out: it shows in another line).
    `asked` is the node whose prompt the event answered."""
    match event:
        case AnswerEvent():
            return _answer_words(event, asked)
        case RedFlagEvent():
            return f"RED FLAG {event.key} {event.label}{ARROW}{_title(session, event.goto)}"
        case BackEvent():
            return f"back to {_title(session, event.to)}"
        case NoteEvent():
            return f"note: {event.text}"
        case InterruptedEvent():
            return "interrupted"
        case AbandonedEvent():
            return "abandoned" + (f": {event.reason}" if event.reason else "")
        case OutcomeEvent():
            open_until = _until_handover_words(session) if event.until_handover else ""
            return f"OUTCOME ({event.severity}) {_outcome_words(session)}{open_until}"
        case DecidedEvent():  # the rule that held, the facts it read, and where it led
            read = "; ".join(f"{name} = {value}" for name, value in event.facts.items())
            why = event.because or "no rule held (otherwise)"
            return (f"DECIDED {event.title or event.node}: {why}" + (f" ({read})" if read else "")
                    + f"{ARROW}{_title(session, event.next)}")
        case EarlyCancelledEvent():
            return "continue early asked, not confirmed: kept waiting"
        case LoggedEvent():  # the handover loop's: a scenario walk stops at the outcome, but a log reads the same
            return f"logged: {event.label}" if event.withdraws is None else f"log entry withdrawn: {event.label}"
        case HandoverEvent():
            return "handed over" + (f" to {event.to}" if event.to else "")
        case WaitStartedEvent():
            return None  # the wait's minutes are in its prompt line
        case StartEvent() | ResumedEvent() | ProtocolChangedEvent() | TornTailEvent():
            return None  # the journal's own events: a scenario walk writes none
        case _:
            assert_never(event)


def _until_handover_words(session: Session) -> str:
    """" (goes on until handover; log: d Adrenaline given, ...; timers: Repeat adrenaline every 5 min from d)":
    what the open outcome logs and times is clinical content, so a change to it shows in the transcript."""
    node = session.node
    until = node.until_handover if isinstance(node, OutcomeNode) else None
    if until is None:
        return " (goes on until handover)"
    parts = ["goes on until handover"]
    if until.log:
        parts.append("log: " + ", ".join(f"{entry.key} {entry.label}" for entry in until.log))
    if until.timers:
        parts.append("timers: " + ", ".join(f"{timer.label} every {timer.every_minutes} min from {timer.from_}"
                                            for timer in until.timers))
    return f" ({'; '.join(parts)})"


def _answer_words(event: AnswerEvent, asked: AnyNode) -> str:
    """An answer in words, read as the kind of step it answered."""
    match asked:
        case QuestionNode():
            return f"{event.answer} {event.label}"
        case InputNode():
            return event.label or event.answer
        case RecordNode():
            if event.value is None:
                return "(left empty)"
            if event.choice is not None:
                return f"{event.value} {event.choice}"
            return amount_text(str(event.value), event.unit)
        case WaitNode():
            return "continued early, before it was due" if event.early else "waited the full time"
        case ActionNode():
            return "done"
        case OutcomeNode():
            raise AssertionError("an outcome takes no answer")
        case DecideNode():
            raise AssertionError("a decide node takes no answer")
        case _:
            assert_never(asked)


def _title(session: Session, node_id: str) -> str:
    node = session.protocol.nodes.get(node_id)
    return session.render(node.title) if node is not None else node_id


def _outcome_words(session: Session) -> str:
    node = session.node
    words = session.render(node.title)
    return f"{words} — {session.render(node.headline)}" if node.headline else words


def step_lines(prompt: str, asked: AnyNode, events: Iterable[Event], session: Session) -> list[str]:
    """The lines of one step: the prompt (of node `asked`) with what answered it, then any event after it on a
    line of its own (the outcome reached)."""
    lines: list[str] = []
    for event in events:
        words = event_words(event, asked, session)
        if words is None:
            continue
        if not lines and isinstance(event, AnswerEvent | RedFlagEvent | BackEvent | NoteEvent | InterruptedEvent
                                    | EarlyCancelledEvent):
            lines.append(prompt + ARROW + words)
        else:
            lines.append(words)
    return lines


# --- the file -----------------------------------------------------------------------------------------


# A scenario name written bare must read back as the same text: YAML 1.1 reads `no` or `on` as a boolean and
# a name starting with a digit may read as a number or a date, so those are quoted.
_BARE_KEY = re.compile(r"[a-z][a-z0-9-]*")
_RETYPED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"})


def render_file(protocol_id: str, transcripts: Mapping[str, Sequence[str]]) -> str:
    """The transcript file's text: stable, block style, one line per step."""
    out = [HEADER, f"protocol: {protocol_id}\n", "scenarios:\n" if transcripts else "scenarios: {}\n"]
    for name, lines in transcripts.items():
        key = name if _BARE_KEY.fullmatch(name) and name not in _RETYPED else _quoted(name)
        out.append(f"  {key}:\n" if lines else f"  {key}: []\n")
        out += [f"    - {_quoted(line)}\n" for line in lines]
    return "".join(out)


# What a double-quoted line shows as an escape: what YAML would read as a line break (NEL, U+2028, U+2029)
# or refuse (C1 controls, non-characters), a byte-order mark, and what steers a terminal's text direction.
_ESCAPED = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _quoted(line: str) -> str:
    """A line as a YAML double-quoted scalar in JSON's string syntax, every character it could hide escaped."""
    return _ESCAPED.sub(lambda match: f"\\u{ord(match.group()):04x}", json.dumps(line, ensure_ascii=False))


def read_file(path: Path) -> Transcripts:
    """A transcript file's scenarios (through the strict YAML gates); InvalidProtocol if it is not one."""
    from aesthetic_protocols.loader import parse_source

    data = parse_source(path).data
    scenarios = data.get("scenarios") if isinstance(data, dict) else None
    if not isinstance(scenarios, dict) or not all(
            isinstance(lines, list) and all(isinstance(line, str) for line in lines) for lines in scenarios.values()):
        from aesthetic_protocols.errors import Problem, Severity

        raise InvalidProtocol([Problem(path.name, 1, 1, Severity.ERROR, "transcript",
                                       "is not a transcript file (scenarios: name -> lines)")])
    return {str(name): list(lines) for name, lines in scenarios.items()}


# --- the word diff ------------------------------------------------------------------------------------


def word_diff(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """How a scenario's transcript changed, step by step: a changed step shows its words with
    `[-removed-]` and `{+added+}` (as `protocol diff` shows a text); a step only on one side is `removed` or
    `added`."""
    from aesthetic_protocols.report.diff import word_diff_text  # only when a transcript differs

    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=list(old), b=list(new), autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = min(a1 - a0, b1 - b0) if tag == "replace" else 0
        for offset in range(pairs):
            out.append(f"step {b0 + offset + 1}: {word_diff_text(old[a0 + offset], new[b0 + offset])}")
        out += [f"step {index + 1} removed: {old[index]}" for index in range(a0 + pairs, a1)]
        out += [f"step {index + 1} added: {new[index]}" for index in range(b0 + pairs, b1)]
    return out


def compare(committed: Mapping[str, Sequence[str]], walked: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Each scenario whose transcript differs -> its word diff (a scenario missing from the file: its lines
    as added; one in the file no longer walked: named with an empty diff)."""
    differs: dict[str, list[str]] = {}
    for name, lines in walked.items():
        old = committed.get(name)
        if old is None:
            differs[name] = ["not in the transcript file"]
        elif list(old) != list(lines):
            differs[name] = word_diff(old, lines)
    for name in committed:
        if name not in walked:
            differs[name] = ["in the transcript file but no longer a scenario"]
    return differs
