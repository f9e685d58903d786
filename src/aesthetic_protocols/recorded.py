"""A session log read back as the walk it records: the steps that stand, and how it ended.

Every reader of a log (the record, FHIR, replay, the drill's debrief) takes its steps from here, so a
`back` is undone in one place: it withdraws the step taken last (an answer, a record field or a red flag).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from aesthetic_protocols.engine import Taken
from aesthetic_protocols.events import ANSWER, BACK, DECIDED, INTERRUPTED, OUTCOME, RED_FLAG

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


def decisions(events: Sequence[E]) -> list[E]:
    """The `decided` events that stand at the end: a `back` from the screen after a decision withdraws the
    decision(s) with the answer before them, as the engine does."""
    steps: list[E] = []
    for event in events:
        kind = event.get("event")
        if kind in (ANSWER, RED_FLAG, DECIDED):
            steps.append(event)
        elif kind == BACK:
            while steps and steps[-1].get("event") == DECIDED:
                steps.pop()
            if steps:
                steps.pop()
    return [step for step in steps if step.get("event") == DECIDED]


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
