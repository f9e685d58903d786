"""A log read back as its walk: the steps that stand after each back, and how it ended."""

from __future__ import annotations

from typing import Any

from aesthetic_protocols.engine import Taken
from aesthetic_protocols.events import InterruptedEvent, OutcomeEvent, decode_all
from aesthetic_protocols.recorded import ending, outcome_event, recorded_steps, standing

EVENTS: list[dict[str, Any]] = [
    {"event": "start"}, {"event": "answer", "node": "a", "answer": "", "next": "b"},
    {"event": "answer", "node": "b", "answer": "y", "next": "c"}, {"event": "back", "node": "c", "to": "b"},
    {"event": "red-flag", "node": "b", "key": "v", "goto": "e"}, {"event": "note", "node": "e", "text": "x"},
    {"event": "answer", "node": "e", "answer": "0.5", "next": "e", "field": "volume"},
    {"event": "answer", "node": "e", "answer": "", "next": "f", "field": "batch"},
    {"event": "back", "node": "f", "to": "e"}]


def test_each_back_withdraws_the_step_taken_last_whatever_its_kind() -> None:
    assert recorded_steps(EVENTS) == [Taken("a", "answer", "", "b"), Taken("b", "flag", "v", "e"),
                                      Taken("e", "field", "0.5", "e")]
    assert standing(EVENTS) == decode_all([EVENTS[1], EVENTS[4], EVENTS[6]])  # read back typed
    assert recorded_steps([{"event": "back", "node": "a", "to": "a"}]) == []


def test_the_ending_is_the_last_outcome_or_interruption() -> None:
    assert ending(EVENTS) is None and outcome_event(EVENTS) is None
    stopped = [*EVENTS, {"event": "interrupted", "node": "e", "reason": "quit"}]
    assert ending(stopped) == InterruptedEvent("e", reason="quit") and outcome_event(stopped) is None
    done = [*stopped, {"event": "resumed"}, {"event": "outcome", "node": "f", "severity": "resolved"}]
    assert ending(done) == outcome_event(done) == OutcomeEvent("f", severity="resolved")
