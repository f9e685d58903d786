"""The engine's decide nodes, facts, gated waits (`early:`) and record bounds against now."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aesthetic_protocols.engine import Answer, Back, Invalid, Quit, Session, WalkError
from aesthetic_protocols.events import iso_utc
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.model import Protocol

FIXTURE = Path(__file__).parent / "fixtures" / "valid" / "decide.yaml"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture()
def protocol() -> Protocol:
    return load_file(FIXTURE).protocol


def walk(session: Session, lines: list[str], now: datetime = NOW) -> list[dict[str, Any]]:
    """Each line read and applied at `now`; the events as log lines (with `ts`, as the journal writes them)."""
    events: list[dict[str, Any]] = []
    for line in lines:
        reading = session.interpret(line, now)
        assert not isinstance(reading, Invalid), reading
        events += [{"event": e.kind, "ts": iso_utc(now), **e.payload()} for e in session.apply(reading, now)]
    return events


def begun(protocol: Protocol) -> tuple[Session, list[dict[str, Any]]]:
    session = Session(protocol)
    start = [{"event": "start", "ts": iso_utc(NOW), "node": None}]
    return session, start + [{"event": e.kind, "ts": iso_utc(NOW), **e.payload()} for e in session.begin(NOW)]


def test_a_decide_routes_by_the_facts_with_no_prompt_and_logs_why(protocol: Protocol) -> None:
    session, _ = begun(protocol)
    events = walk(session, ["t", "y", "2030-01-01", "", ""])
    decided = [e for e in events if e["event"] == "decided"]
    assert decided == [{"event": "decided", "ts": iso_utc(NOW), "node": "check", "rule": 1, "next": "deferred",
                        "facts": {"expiry": "2030-01-01", "pregnant": "yes", "treatment": "toxin"},
                        "because": "Toxin is planned for a patient who is pregnant or breastfeeding.",
                        "title": "Is it safe to go ahead?"}]
    assert session.current == "deferred" and session.finished
    assert session.because == "Toxin is planned for a patient who is pregnant or breastfeeding."
    assert events[-1]["event"] == "outcome"


def test_today_comes_from_the_walks_clock(protocol: Protocol) -> None:
    expired, _ = begun(protocol)
    walk(expired, ["f", "n", "2026-11-26", "", ""])
    assert expired.current == "do-not-use" and expired.because == "The expiry date has passed."
    in_date, _ = begun(protocol)
    walk(in_date, ["f", "n", "2026-11-27", "", ""])  # expires today: not yet before today
    assert in_date.current == "treat" and in_date.because is None  # `otherwise` has no because
    a_day_later, _ = begun(protocol)
    walk(a_day_later, ["f", "n", "2026-11-27", "", ""], now=NOW + timedelta(days=1))
    assert a_day_later.current == "do-not-use"


def test_back_from_the_screen_after_a_decide_returns_to_the_last_prompt(protocol: Protocol) -> None:
    session, _ = begun(protocol)
    walk(session, ["f", "n", "2030-01-01", "", ""])
    assert session.current == "treat" and session.trail[-1].how == "decide"
    back = session.apply(Back(), NOW)
    assert [(e.kind, e.payload()) for e in back] == [("back", {"node": "treat", "to": "product"})]
    assert session.current == "product" and session.field is not None and session.field.id == "treated_on"


def test_back_undoes_the_answer_that_set_a_fact(protocol: Protocol) -> None:
    session, _ = begun(protocol)
    walk(session, ["t", "y"])
    assert session.facts == {"treatment": "toxin", "pregnant": True}
    session.apply(Back(), NOW)
    assert session.facts == {"treatment": "toxin"}
    walk(session, ["n", "2030-01-01", "", ""])
    assert session.current == "treat"  # not deferred: the latest answer stands


def test_resume_replays_the_same_routing(protocol: Protocol) -> None:
    session, log = begun(protocol)
    log += walk(session, ["t", "y", "2030-01-01", "", ""])
    again = Session.replay(protocol, log)
    assert again.current == session.current == "deferred" and again.trail == session.trail


def test_resume_refuses_a_log_that_decided_otherwise(protocol: Protocol) -> None:
    session, log = begun(protocol)
    log += walk(session, ["f", "n", "2030-01-01", "", ""])
    edited = [{**e, "next": "deferred"} if e["event"] == "decided" else e for e in log]
    with pytest.raises(WalkError, match="decided otherwise"):
        Session.replay(protocol, edited)


def at_the_wait(protocol: Protocol) -> tuple[Session, list[dict[str, Any]]]:
    session, log = begun(protocol)
    log += walk(session, ["f", "n", "2030-01-01", "", "", ""])
    assert session.current == "recheck"
    return session, log


def test_enter_before_the_due_time_asks_to_confirm_and_y_goes_early(protocol: Protocol) -> None:
    session, log = at_the_wait(protocol)
    assert session.apply(Answer(""), NOW + timedelta(minutes=5)) == []
    assert session.confirming_early
    assert session.interpret("back") == Answer("n") and session.interpret("quit") == Quit()
    log += walk(session, ["y"], NOW + timedelta(minutes=5))
    answer = log[-2]
    assert answer["answer"] == "y" and answer["early"] is True and answer["next"] == "refer"
    assert answer["label"] == "continued early, confirmed"
    assert session.current == "refer" and not session.confirming_early
    again = Session.replay(protocol, log)
    assert again.current == "refer" and again.trail == session.trail


def test_any_other_answer_keeps_waiting_and_is_recorded(protocol: Protocol) -> None:
    session, log = at_the_wait(protocol)
    session.apply(Answer(""), NOW + timedelta(minutes=5))
    cancelled = walk(session, ["no"], NOW + timedelta(minutes=5))
    assert cancelled == [{"event": "early-cancelled", "ts": iso_utc(NOW + timedelta(minutes=5)), "node": "recheck"}]
    assert session.current == "recheck" and not session.confirming_early
    log += cancelled + walk(session, [""], NOW + timedelta(minutes=30))  # due: Enter goes to `next`
    assert session.current == "settled" and log[-2]["next"] == "settled" and "early" not in log[-2]
    assert Session.replay(protocol, log).current == "settled"


def test_a_wait_without_early_continues_early_as_before() -> None:
    protocol = load_file(Path(__file__).parent / "fixtures" / "valid" / "every-kind.yaml").protocol
    session = Session(protocol)
    session.begin(NOW)
    for line in ["", "y", "2", "", ""]:
        events = session.apply(session.interpret(line), NOW)  # type: ignore[arg-type]
    assert not session.confirming_early and events[0].early  # type: ignore[union-attr]


@pytest.mark.parametrize(("field_line", "reason"), [
    ("12:31", "at most 30 minutes after now"),
    ("2026-11-28", "must not be after today"),
    ("2026-08-28", "must not be before 90 days ago"),
])
def test_record_bounds_against_now_refuse_with_a_reason(protocol: Protocol, field_line: str, reason: str) -> None:
    session, _ = begun(protocol)
    walk(session, ["f", "n", "2030-01-01"])
    if field_line.count("-") == 2:
        walk(session, [""])  # the time field skipped
    assert session.interpret(field_line, NOW) == Invalid(reason)


def test_record_bounds_accept_values_inside(protocol: Protocol) -> None:
    session, _ = begun(protocol)
    walk(session, ["f", "n", "2030-01-01", "12:30", "2026-08-29"])
    assert session.current == "treat"
    with pytest.raises(WalkError, match="does not fit"):  # and the engine itself refuses one outside
        late, _ = begun(protocol)
        walk(late, ["f", "n", "2030-01-01"])
        late.apply(Answer("13:00"), NOW)


# --- kit conditions: the clinic file's kit, as the log recorded it on replay ---------------------------------

KIT_TREE = Path(__file__).parent / "fixtures" / "contacts" / "kit-check.yaml"


class Kit:
    """A clinic file's kit: which items have expired and which are missing."""

    def __init__(self, expired: set[str], missing: frozenset[str] = frozenset()) -> None:
        self.expired, self.missing = expired, missing

    def kit_expired(self, item: str, today: date) -> bool:
        return item in self.expired

    def kit_present(self, item: str) -> bool:
        return item not in self.missing


def test_a_kit_decide_reads_the_clinic_file_else_asks_and_records_what_it_read() -> None:
    tree = load_file(KIT_TREE).protocol
    alarm = Session(tree, kit=Kit({"hyaluronidase"}))
    (decided,) = [e.payload() for e in alarm.begin(NOW) if e.kind == "decided"]
    assert decided["next"] == "kit-expired" and decided["facts"] == {"kit:hyaluronidase expired": "yes"}
    assert alarm.finished
    missing = Session(tree, kit=Kit(set(), frozenset({"adrenaline"})))
    missing.begin(NOW)
    assert missing.current == "kit-expired" and missing.because == "The clinic file shows no adrenaline in the kit."
    no_file = Session(tree)
    (decided,) = [e.payload() for e in no_file.begin(NOW) if e.kind == "decided"]
    assert decided["rule"] == "otherwise" and no_file.current == "kit-check"
    assert decided["facts"] == {"kit:hyaluronidase expired": "no clinic file",
                                "kit:adrenaline present": "no clinic file"}


def test_a_replay_reads_the_kit_as_the_log_recorded_it() -> None:
    tree = load_file(KIT_TREE).protocol
    session = Session(tree)  # no clinic file at the walk: the tree asked
    log = [{"event": "start", "ts": iso_utc(NOW), "node": None}]
    log += [{"event": e.kind, "ts": iso_utc(NOW), **e.payload()} for e in session.begin(NOW)]
    # A clinic file that now shows the kit expired does not re-route the walk that was.
    again = Session.replay(tree, log, kit=Kit({"hyaluronidase"}))
    assert again.current == "kit-check" and again.trail == session.trail
    # The other way round: an alarm the log recorded replays without the clinic file (records, log replay).
    alarmed = Session(tree, kit=Kit({"hyaluronidase"}))
    log = [{"event": "start", "ts": iso_utc(NOW), "node": None}]
    log += [{"event": e.kind, "ts": iso_utc(NOW), **e.payload()} for e in alarmed.begin(NOW)]
    assert Session.replay(tree, log).current == "kit-expired"
