"""A session log read back as the walk it records: the steps that stand, and how it ended.

Every reader of a log (the record, FHIR, replay, the drill's debrief) takes its steps from here, so a
`back` is undone in one place: it withdraws the step taken last (an answer, a record field or a red flag).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from aesthetic_protocols.engine import Taken
from aesthetic_protocols.events import (
    ANSWER,
    BACK,
    INTERRUPTED,
    NOTE,
    OUTCOME,
    PROTOCOL_CHANGED,
    RED_FLAG,
    RESUMED,
    TORN_TAIL_RECOVERED,
    WAIT_STARTED,
)

E = TypeVar("E", bound=Mapping[str, Any])


def standing(events: Sequence[E]) -> list[E]:
    """The answer and red-flag events that stand at the end: each `back` withdraws the step taken last."""
    steps: list[E] = []
    for event in events:
        kind = event.get("event")
        if kind in (ANSWER, RED_FLAG):
            steps.append(event)
        elif kind == BACK and steps:
            steps.pop()
    return steps


def taken(event: Mapping[str, Any]) -> Taken:
    """An answer or red-flag event as the engine's step: at `node`, how, with what, leading where."""
    if event.get("event") == RED_FLAG:
        return Taken(str(event.get("node")), "flag", str(event.get("key")), str(event.get("goto")))
    how = "field" if event.get("field") else "answer"
    return Taken(str(event.get("node")), how, str(event.get("answer", "")), str(event.get("next")))


def recorded_steps(events: Sequence[Mapping[str, Any]]) -> list[Taken]:
    """The steps a log records, as they stand at its end (backs undone)."""
    return [taken(event) for event in standing(events)]


def ending(events: Sequence[E]) -> E | None:
    """The event that ended the session: its last outcome or interruption (None: still open)."""
    return next((e for e in reversed(events) if e.get("event") in (OUTCOME, INTERRUPTED)), None)


def outcome_event(events: Sequence[E]) -> E | None:
    """The outcome event, if the session reached one."""
    end = ending(events)
    return end if end is not None and end.get("event") == OUTCOME else None


# Events that are no step of the walk: between a red flag and the Back that withdraws it "at once", only
# these may come (the flag's own outcome or wait, a note, a resume after a crash).
_BETWEEN = frozenset({OUTCOME, WAIT_STARTED, NOTE, RESUMED, TORN_TAIL_RECOVERED, PROTOCOL_CHANGED})


def withdrawn_flags(events: Sequence[E]) -> dict[int, E]:
    """Red flags raised and then gone Back from at once (pressed by mistake): the red flag's seq -> the `back`
    event that withdrew it. The one reading of "withdrawn" shared by log show, the record, FHIR and the
    handover sheet, which all show such a flag struck through, with both times."""
    withdrawn: dict[int, E] = {}
    for index, event in enumerate(events):
        if event.get("event") != RED_FLAG or type(event.get("seq")) is not int:
            continue
        after = next((e for e in events[index + 1:] if e.get("event") not in _BETWEEN), None)
        if after is not None and after.get("event") == BACK:
            withdrawn[int(event["seq"])] = after
    return withdrawn
