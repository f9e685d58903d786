"""The event vocabulary: what a line holds, and how old or edited lines are read back."""

from __future__ import annotations

from dataclasses import field
from datetime import UTC, datetime, timedelta, timezone
from typing import ClassVar, Optional

import pytest

from aesthetic_protocols.events import (
    AnswerEvent,
    InterruptedEvent,
    ProtocolChangedEvent,
    RedFlagEvent,
    StartEvent,
    WaitStartedEvent,
    _accepted,
    _Event,
    _fits,
    from_record,
    iso_utc,
)
from aesthetic_protocols.plain_data import dataclass


def test_unset_optional_fields_are_left_out_but_node_is_always_there() -> None:
    assert AnswerEvent("a", answer="y", next="b").payload() == {"node": "a", "answer": "y", "next": "b"}
    assert ProtocolChangedEvent(None, version="2.0.0", sha256="x").payload() == {
        "node": None, "version": "2.0.0", "sha256": "x"}
    assert StartEvent("s", protocol="p", drill=True).payload()["drill"] is True
    assert "drill" not in StartEvent("s", protocol="p").payload()


def test_an_old_answer_line_reads_with_defaults() -> None:
    old = {"seq": 3, "event": "answer", "node": "assess", "answer": "y", "next": "areas", "ts": "x"}
    assert from_record(old) == AnswerEvent("assess", answer="y", next="areas")


def test_a_line_round_trips() -> None:
    event = AnswerEvent("areas", answer="2", next="treat", title="Areas", label="2 areas", value=2, unit="areas",
                        shown={"dose": "1000 U"}, done_at="2026-11-27T11:50+00:00", early=True)
    assert from_record({"event": "answer", **event.payload()}) == event
    flag = RedFlagEvent("begin", key="v", label="Vision change", goto="emergency")
    assert from_record({"event": "red-flag", **flag.payload()}) == flag


@pytest.mark.parametrize(("field", "value"), [("answer", 3), ("early", "yes"), ("shown", {"dose": 5}),
                                              ("value", [1]), ("title", True)])
def test_a_field_of_the_wrong_type_is_read_as_its_default(field: str, value: object) -> None:
    event = from_record({"event": "answer", "node": "a", "answer": "y", "next": "b", field: value})
    assert event == AnswerEvent("a", answer="" if field == "answer" else "y", next="b")


def test_unknown_kinds_and_a_missing_node() -> None:
    assert from_record({"event": "something-new", "node": "a"}) is None
    assert from_record({"event": "interrupted", "node": 7, "reason": "quit"}) == InterruptedEvent(None, reason="quit")
    assert from_record({"event": "wait-started", "node": "w", "minutes": 60, "due": "2026-11-28T02:00:00.000Z"}) == \
        WaitStartedEvent("w", minutes=60, due="2026-11-28T02:00:00.000Z")


def test_times_are_written_in_utc_with_milliseconds() -> None:
    local = datetime(2026, 11, 28, 3, 4, 5, 678000, tzinfo=timezone(timedelta(hours=2)))
    assert iso_utc(local) == "2026-11-28T01:04:05.678Z"
    assert iso_utc(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        iso_utc(datetime(2026, 1, 1))


@dataclass(frozen=True)
class _Spelt(_Event):
    """An event whose annotations are spelt another way than the log's own classes spell theirs."""

    kind: ClassVar[str] = "test-spelt"
    count: Optional[int] = None  # noqa: UP045 - the older spelling, on purpose
    names: dict[str, str] = field(default_factory=dict)


def test_field_types_are_read_from_the_annotations_however_they_are_spelt() -> None:
    accepted = _accepted(_Spelt)
    assert accepted["count"] == (int, type(None)) and accepted["names"] == (dict,)
    assert _fits(3, accepted["count"]) and _fits(None, accepted["count"])
    assert not _fits(True, accepted["count"]) and not _fits("3", accepted["count"])
    assert _fits({"a": "b"}, accepted["names"]) and not _fits({"a": 1}, accepted["names"])
