"""A session log read back as the walk it records: the steps that stand, and how it ended.

Every reader of a log (the record, FHIR, replay, the drill's debrief) takes its steps from here, so a
`back` is undone in one place: it withdraws the step taken last (an answer, a record field or a red flag).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aesthetic_protocols.engine import Taken
from aesthetic_protocols.events import (
    AbandonedEvent,
    AnswerEvent,
    BackEvent,
    DecidedEvent,
    HandoverEvent,
    InterruptedEvent,
    Logged,
    NoteEvent,
    OutcomeEvent,
    ProtocolChangedEvent,
    RedFlagEvent,
    ResumedEvent,
    StartEvent,
    TornTailEvent,
    WaitStartedEvent,
    decode_all,
)

Lines = Iterable[Logged | Mapping[str, Any]]  # read back by `read_events`, or lines as written (decoded here)


def start_event(events: Sequence[Logged]) -> StartEvent:
    """The start event on the first line (an empty one, every field unknown, when the log lacks it)."""
    first = events[0].event if events else None
    return first if isinstance(first, StartEvent) else StartEvent(None)


def standing(events: Lines) -> list[Logged]:
    """The answer and red-flag events that stand at the end: each `back` withdraws the step taken last."""
    steps: list[Logged] = []
    for logged in decode_all(events):
        if isinstance(logged.event, AnswerEvent | RedFlagEvent):
            steps.append(logged)
        elif isinstance(logged.event, BackEvent) and steps:
            steps.pop()
    return steps


def decisions(events: Lines) -> list[DecidedEvent]:
    """The `decided` events that stand at the end: a `back` from the screen after a decision withdraws the
    decision(s) with the answer before them, as the engine does."""
    steps: list[AnswerEvent | RedFlagEvent | DecidedEvent] = []
    for logged in decode_all(events):
        event = logged.event
        if isinstance(event, AnswerEvent | RedFlagEvent | DecidedEvent):
            steps.append(event)
        elif isinstance(event, BackEvent):
            while steps and isinstance(steps[-1], DecidedEvent):
                steps.pop()
            if steps:
                steps.pop()
    return [step for step in steps if isinstance(step, DecidedEvent)]


def taken(event: AnswerEvent | RedFlagEvent) -> Taken:
    """An answer or red-flag event as the engine's step: at `node`, how, with what, leading where."""
    if isinstance(event, RedFlagEvent):
        return Taken(str(event.node), "flag", event.key, event.goto)
    return Taken(str(event.node), "field" if event.field else "answer", event.answer, event.next)


def step_event(logged: Logged) -> AnswerEvent | RedFlagEvent:
    """The event of a standing step (see `standing`)."""
    assert isinstance(logged.event, AnswerEvent | RedFlagEvent)
    return logged.event


def recorded_steps(events: Lines) -> list[Taken]:
    """The steps a log records, as they stand at its end (backs undone)."""
    return [taken(step_event(logged)) for logged in standing(events)]


def ending(events: Lines) -> OutcomeEvent | InterruptedEvent | AbandonedEvent | None:
    """The event that ended the session: its last outcome, interruption or abandonment (None: still open).
    An abandoned session (`protocol abandon`) is over for good: never "interrupted; resumable"."""
    found = [logged.event for logged in decode_all(events)
             if isinstance(logged.event, OutcomeEvent | InterruptedEvent | AbandonedEvent)]
    return found[-1] if found else None


def outcome_event(events: Lines) -> OutcomeEvent | None:
    """The outcome event, if the session reached one."""
    end = ending(events)
    return end if isinstance(end, OutcomeEvent) else None


# Events that are no step of the walk: between a red flag and the Back that withdraws it "at once", only
# these may come (the flag's own outcome or wait, a note, a resume after a crash).
_BETWEEN = (OutcomeEvent, WaitStartedEvent, NoteEvent, ResumedEvent, TornTailEvent, ProtocolChangedEvent)


def withdrawn_flags(events: Lines) -> dict[int, Logged]:
    """Red flags raised and then gone Back from at once (pressed by mistake): the red flag's seq -> the `back`
    line that withdrew it. The one reading of "withdrawn" shared by log show, the record, FHIR and the
    handover sheet, which all show such a flag struck through, with both times."""
    lines = decode_all(events)
    withdrawn: dict[int, Logged] = {}
    for index, logged in enumerate(lines):
        if not isinstance(logged.event, RedFlagEvent) or logged.seq < 0:
            continue
        after = next((e for e in lines[index + 1:] if not isinstance(e.event, _BETWEEN)), None)
        if after is not None and isinstance(after.event, BackEvent):
            withdrawn[logged.seq] = after
    return withdrawn


def walk_over(events: Lines) -> bool:
    """Whether a log's walk has ended for good: handed over, abandoned (`protocol abandon`), or its last
    outcome has no handover to wait for."""
    for logged in reversed(decode_all(events)):
        if isinstance(logged.event, HandoverEvent | AbandonedEvent):
            return True
        if isinstance(logged.event, OutcomeEvent):
            return not logged.event.until_handover
    return False


def outcome_written(events: Lines, node: str) -> bool:
    """Whether the outcome at `node` was written after the walk's last move (else a crash came between)."""
    for logged in reversed(decode_all(events)):
        if isinstance(logged.event, OutcomeEvent):
            return logged.event.node == node
        if isinstance(logged.event, AnswerEvent | RedFlagEvent | BackEvent):
            return False
    return False


def photo_answers(lines: Iterable[Logged | Mapping[str, Any]]) -> list[tuple[int, AnswerEvent]]:
    """The answer events that took a photograph, each with its line's seq."""
    return [(item.seq, item.event) for item in decode_all(lines)
            if isinstance(item.event, AnswerEvent) and item.event.photo_sha256]
