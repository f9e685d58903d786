"""A session's timeline: rows of clock time, elapsed time, step and what happened; durations as clock text."""

from __future__ import annotations

from typing import Any

from aesthetic_protocols.timeline import clock_text, describe, printable, timeline


def test_clock_text_is_minutes_and_seconds_under_an_hour_and_always_signed_hours_in_columns() -> None:
    assert [clock_text(s) for s in (0, 59, 61, 3600, 3661)] == ["00:00", "00:59", "01:01", "1:00:00", "1:01:01"]
    assert [clock_text(s, signed=True) for s in (0, 61, -61)] == ["+0:00:00", "+0:01:01", "-0:01:01"]


def test_control_characters_from_a_log_are_not_passed_to_the_terminal() -> None:
    assert printable("note\x1b[2Jgone\x07") == "note?[2Jgone?"


def test_the_rows_skip_events_not_on_the_timeline_and_anonymised_rows_drop_times_and_notes() -> None:
    events: list[dict[str, Any]] = [
        {"event": "start", "ts": "2026-11-28T02:00:00.000Z", "node": "stop", "protocol": "vo", "version": "1.0.0",
         "status": "draft"},
        {"event": "wait-started", "ts": "2026-11-28T02:00:30.000Z", "node": "wait", "minutes": 5},
        {"event": "note", "ts": "2026-11-28T02:01:05.000Z", "node": "wait", "text": "warm compress"},
        {"event": "answer", "ts": "2026-11-28T02:06:00.000Z", "node": "wait", "answer": "",
         "done_at": "2026-11-28T03:05:00+01:00"},
    ]
    assert timeline(events) == [
        {"time": "2026-11-28 02:00:00 UTC", "elapsed": "+0:00:00", "node": "stop",
         "what": "started vo 1.0.0 (draft)"},
        {"time": "2026-11-28 02:01:05 UTC", "elapsed": "+0:01:05", "node": "wait", "what": "note: warm compress"},
        {"time": "2026-11-28 02:06:00 UTC", "elapsed": "+0:06:00", "node": "wait",
         "what": "done (done at 2026-11-28T03:05:00+01:00)"},
    ]
    assert [(row["time"], row["what"]) for row in timeline(events, anonymise=True)][1:] == [
        ("", "note: [removed]"), ("", "done (time corrected)")]
    assert describe({"event": "red-flag", "key": "v", "label": "Vision change", "goto": "eye"}) == (
        "RED FLAG [v] Vision change -> eye")
