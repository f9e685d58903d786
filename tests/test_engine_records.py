"""Record nodes in the engine: one prompt and one `answer` event per field, values normalised, defaults from
derived values, back one field at a time, replay, and scenario severities."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aesthetic_protocols.engine import Answer, Back, Invalid, Session
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.model import Protocol
from aesthetic_protocols.scenarios import Scenario, run_scenario

FIXTURE = Path(__file__).parent / "fixtures" / "valid" / "records.yaml"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture()
def protocol() -> Protocol:
    return load_file(FIXTURE).protocol


def typed(session: Session, *lines: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for line in lines:
        reading = session.interpret(line)
        assert not isinstance(reading, Invalid), reading
        events += [{"event": e.kind, **e.payload()} for e in session.apply(reading, NOW)]
    return events


def test_each_field_is_one_answer_event_and_the_node_moves_on_after_the_last(protocol: Protocol) -> None:
    session = Session(protocol)
    events = typed(session, "Brand X", "", "0.50", "9:05", "2026-11-01")
    assert events[2]["label"] == "Volume injected" and events[2]["value"] == 0.5 and events[2]["unit"] == "mL"
    assert [(e["field"], e["answer"], e["next"]) for e in events] == [
        ("product", "Brand X", "product"), ("batch", "", "product"), ("volume", "0.5", "product"),
        ("injected_at", "09:05", "product"), ("treated_on", "2026-11-01", "areas")]
    assert session.current == "areas"
    assert session.records == {"product": "Brand X", "batch": "", "volume": "0.5", "injected_at": "09:05",
                               "treated_on": "2026-11-01"}


@pytest.mark.parametrize(("lines", "reason"), [
    ([""], "this field is required"),
    (["x" * 41], "at most 40 characters"),
    (["a\x1b[2Jb"], "control, invisible or direction characters are not allowed"),
    (["Brand", "", "ten"], "enter a number with at most 1 decimal"),
    (["Brand", "", "0.55"], "at most 1 decimal"),
    (["Brand", "", "10.5"], "out of range: enter a number from 0 to 10"),
    (["Brand", "", "1", "25:00"], "give the time as HH:MM (24-hour)"),
    (["Brand", "", "1", "", "2026-02-30"], "give the date as YYYY-MM-DD"),
])
def test_a_value_that_does_not_fit_says_why_without_repeating_it(protocol: Protocol, lines: list[str],
                                                                  reason: str) -> None:
    session = Session(protocol)
    typed(session, *lines[:-1])
    reading = session.interpret(lines[-1])
    assert reading == Invalid(reason)


def test_a_default_offers_the_derived_dose_and_a_choice_takes_its_number(protocol: Protocol) -> None:
    session = Session(protocol)
    typed(session, "Brand X", "", "1", "", "", "3", "")
    assert session.current == "given"
    assert typed(session, "2")[0]["answer"] == "l"  # choice 2 of 2
    assert session.interpret("") == Answer("1500")  # 3 areas x 500 U, the dose the screen showed
    assert session.interpret("1400") == Answer("1400")  # corrected by the practitioner


def test_a_choice_field_logs_its_key_as_value_and_the_choice_in_words(protocol: Protocol) -> None:
    session = Session(protocol)
    typed(session, "Brand X", "", "1", "", "", "3", "")
    (event,) = typed(session, "L")
    assert {k: event.get(k) for k in ("field", "label", "answer", "value", "choice")} == {
        "field": "diluent", "label": "Diluent", "answer": "l", "value": "l", "choice": "Lidocaine 1%"}


def test_an_old_log_that_held_a_choice_label_in_value_still_replays(protocol: Protocol) -> None:
    session = Session(protocol)
    events = typed(session, "Brand X", "", "1", "", "", "3", "", "l")
    old = [{**e, "ts": "2026-11-27T12:00:00Z", "seq": i} for i, e in enumerate(events)]
    del old[-1]["choice"]
    old[-1]["value"] = "Lidocaine 1%"  # as written before the key was kept in `value`
    assert Session.replay(protocol, old).records["diluent"] == "l"


def test_back_steps_back_one_field_and_replay_rebuilds_the_records(protocol: Protocol) -> None:
    session = Session(protocol)
    events = typed(session, "Brand X", "B-1", "1")
    events += [{"event": e.kind, **e.payload()} for e in session.apply(Back(), NOW)]
    assert session.field is not None and session.field.id == "volume"
    events += typed(session, "2", "", "", "1")
    assert session.current == "treat"
    stamped = [{**e, "ts": "2026-11-27T12:00:00Z", "seq": i} for i, e in enumerate(events)]
    replayed = Session.replay(protocol, stamped)
    assert replayed.current == "treat"
    assert replayed.records == session.records == {"product": "Brand X", "batch": "B-1", "volume": "2",
                                                   "injected_at": "", "treated_on": ""}


def test_a_scenario_asserts_the_outcome_severity(protocol: Protocol) -> None:
    scenario = Scenario(name="x", answers=["Brand X", "!v"], outcome="emergency", severity="refer")
    result = run_scenario(protocol, scenario)
    assert (result.passed, result.reason) == (False, "reached 'emergency' of severity emergency, expected refer")


def test_a_comma_decimal_is_told_to_use_a_point_in_words_that_count() -> None:
    from aesthetic_protocols.engine import field_problem
    from aesthetic_protocols.model import RecordField
    from aesthetic_protocols.nodes import amount_text

    two = RecordField(id="v", label="Volume", type="number", decimals=2)
    one = RecordField(id="v", label="Volume", type="number", decimals=1)
    assert field_problem(two, "0,8") == "use a point for decimals, not a comma (at most 2 decimals)"
    assert field_problem(one, "0.85") == "at most 1 decimal"
    assert field_problem(one, "lots") == "enter a number with at most 1 decimal"
    assert (amount_text("1", "areas"), amount_text("2", "areas"), amount_text("1", "mL")) == (
        "1 area", "2 areas", "1 mL")
