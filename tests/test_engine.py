from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aesthetic_protocols.engine import (
    Answer,
    Back,
    Command,
    DoneAt,
    FlagRaised,
    Invalid,
    Note,
    Quit,
    Session,
    WalkError,
)
from aesthetic_protocols.events import Event
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.model import Protocol
from tests.strategies import protocol_data

FIXTURE = Path(__file__).parent / "fixtures" / "valid" / "every-kind.yaml"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture()
def protocol() -> Protocol:
    return load_file(FIXTURE).protocol


def as_lines(events: list[Event]) -> list[dict[str, Any]]:
    """Typed events as the log's fields (without the journal's own)."""
    return [{"event": event.kind, **event.payload()} for event in events]


def apply(session: Session, command: Command, now: datetime = NOW) -> list[dict[str, Any]]:
    return as_lines(session.apply(command, now))


def walk_lines(session: Session, lines: list[str], now: datetime = NOW) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for line in lines:
        reading = session.interpret(line)
        assert not isinstance(reading, Invalid), reading
        events += apply(session, reading, now)
    return events


def test_a_walk_reaches_its_outcome_with_one_event_per_answer(protocol: Protocol) -> None:
    session = Session(protocol)
    events = walk_lines(session, ["", "y", "2", "", "", "y"])
    assert session.finished and session.current == "fine"
    assert [(e["event"], e["node"], e.get("answer")) for e in events] == [
        ("answer", "begin", ""), ("answer", "assess", "y"), ("answer", "areas", "2"),
        ("answer", "treat", ""), ("wait-started", "wait", None), ("answer", "wait", ""), ("answer", "better", "y"),
        ("outcome", "fine", None),
    ]
    assert events[-1] == {"event": "outcome", "node": "fine", "severity": "resolved", "title": "Resolved"}


def test_numbers_choose_options_by_position(protocol: Protocol) -> None:
    session = Session(protocol)
    walk_lines(session, ["", "2"])
    assert session.current == "fine"


@pytest.mark.parametrize(("line", "reason"), [
    ("x", "answer with one of y, n (or 1-2)"),
    ("3", "answer with one of y, n (or 1-2)"),
    ("0", "answer with one of y, n (or 1-2)"),
    ("note:", "a note needs text after 'note:'"),
    ("time: 25:00", "give the time as time: HH:MM (24-hour)"),
])
def test_invalid_answers_give_a_reason_and_change_nothing(protocol: Protocol, line: str, reason: str) -> None:
    session = Session(protocol)
    walk_lines(session, [""])
    assert session.interpret(line) == Invalid(reason)
    assert session.current == "assess"


@pytest.mark.parametrize(("line", "reason"), [
    ("five", "enter a whole number from 1 to 4"),
    ("0", "out of range: enter a whole number from 1 to 4"),
    ("5", "out of range: enter a whole number from 1 to 4"),
])
def test_input_bounds(protocol: Protocol, line: str, reason: str) -> None:
    session = Session(protocol)
    walk_lines(session, ["", "y"])
    assert session.interpret(line) == Invalid(reason)


def test_red_flag_is_read_before_the_prompt_even_at_an_action(protocol: Protocol) -> None:
    session = Session(protocol)
    assert session.interpret("v") == FlagRaised("v")
    assert session.interpret(" V ") == FlagRaised("v")
    events = apply(session, FlagRaised("v"))
    assert events[0] == {"event": "red-flag", "node": "begin", "key": "v", "label": "Vision change",
                         "goto": "emergency"}
    assert events[1]["event"] == "outcome" and session.current == "emergency"


def test_commands_are_words(protocol: Protocol) -> None:
    session = Session(protocol)
    assert session.interpret("quit") == Quit()
    assert session.interpret("BACK") == Back()
    assert session.interpret("note: swelling left") == Note("swelling left")
    assert session.interpret("time: 9:05") == DoneAt(time(9, 5))


def test_back_steps_back_records_and_erases_nothing(protocol: Protocol) -> None:
    session = Session(protocol)
    events = walk_lines(session, ["", "y", "3"])
    assert session.variables == {"areas": 3}
    events += apply(session, Back())
    assert events[-1] == {"event": "back", "node": "treat", "to": "areas"}
    assert session.current == "areas" and session.variables == {}
    events += walk_lines(session, ["1"])
    assert session.variables == {"areas": 1}
    assert len(events) == 5


def test_back_at_the_first_step_is_refused(protocol: Protocol) -> None:
    with pytest.raises(WalkError, match="already at the first step"):
        Session(protocol).apply(Back(), NOW)


def test_derived_values_fill_text_and_never_extrapolate(protocol: Protocol) -> None:
    session = Session(protocol)
    assert session.render("Give {dose}") == "Give (not yet entered)"
    walk_lines(session, ["", "y", "3"])
    assert session.render("Give {dose} for {areas}") == "Give 1500 U for 3"
    session.apply(Back(), NOW)
    walk_lines(session, ["4"])
    assert session.render("{dose}") == "beyond the table: get senior help"


def test_a_time_given_is_kept_beside_the_recorded_time(protocol: Protocol) -> None:
    session = Session(protocol)
    assert session.apply(DoneAt(time(11, 50)), NOW) == []
    events = apply(session, Answer(""))
    assert events[0]["done_at"] == "2026-11-27T11:50:00.000Z"  # UTC, as every `ts` is
    assert "done_at" not in apply(session, Answer("y"))[0]


def test_a_time_is_written_in_utc_whatever_the_local_offset(protocol: Protocol) -> None:
    paris = timezone(timedelta(hours=1))
    session = Session(protocol)
    session.apply(DoneAt(time(12, 50)), NOW.astimezone(paris))  # 13:00 in Paris
    assert apply(session, Answer(""))[0]["done_at"] == "2026-11-27T11:50:00.000Z"


def test_a_time_twelve_hours_or_more_ahead_means_yesterday(protocol: Protocol) -> None:
    just_after_midnight = datetime(2026, 11, 27, 0, 1, tzinfo=UTC)
    session = Session(protocol)
    session.apply(DoneAt(time(23, 59)), just_after_midnight)
    assert apply(session, Answer(""), just_after_midnight)[0]["done_at"] == "2026-11-26T23:59:00.000Z"
    session.apply(DoneAt(time(12, 1)), just_after_midnight)  # exactly 12 h ahead
    assert apply(session, Answer("y"), just_after_midnight)[0]["done_at"] == "2026-11-26T12:01:00.000Z"


@pytest.mark.parametrize("at", [time(12, 1), time(12, 5), time(13, 0), time(23, 59)])
def test_a_time_a_little_ahead_of_now_is_refused_not_moved_to_yesterday(protocol: Protocol, at: time) -> None:
    session = Session(protocol)
    with pytest.raises(WalkError, match=r"^that time is later than now$"):
        session.apply(DoneAt(at), NOW)  # 12:00: a fast clock or a typo, never yesterday's 12:05
    assert session.pending_at is None
    assert "done_at" not in apply(session, Answer(""))[0]


def test_a_time_given_before_a_red_flag_dates_the_flag(protocol: Protocol) -> None:
    session = Session(protocol)
    session.apply(DoneAt(time(11, 58)), NOW)
    assert apply(session, FlagRaised("v"))[0]["done_at"] == "2026-11-27T11:58:00.000Z"


def test_an_old_log_with_a_local_offset_in_done_at_still_replays(protocol: Protocol) -> None:
    records = [{"seq": 1, "event": "start", "node": "begin", "ts": "2026-11-27T12:00:00.000Z"},
               {"seq": 2, "event": "answer", "node": "begin", "answer": "", "next": "assess",
                "done_at": "2026-11-27T12:50+01:00", "ts": "2026-11-27T12:00:00.000Z"}]
    assert Session.replay(protocol, records).current == "assess"


@pytest.mark.parametrize("line", ["²", "٣", "1_0", "+3", "-1", " 2 2"])
def test_only_ascii_digits_are_numbers(protocol: Protocol, line: str) -> None:
    session = Session(protocol)
    walk_lines(session, ["", "y"])
    assert isinstance(session.interpret(line), Invalid)
    session_q = Session(protocol)
    walk_lines(session_q, [""])
    assert isinstance(session_q.interpret(line), Invalid)


def test_a_note_is_bounded(protocol: Protocol) -> None:
    session = Session(protocol)
    assert session.interpret("note: " + "x" * 2000) == Note("x" * 2000)
    assert session.interpret("note: " + "x" * 2001) == Invalid(
        "a note holds at most 2000 characters; split it into several")


def test_replay_refuses_a_log_that_went_elsewhere(protocol: Protocol) -> None:
    session = Session(protocol)
    events = _stamp(walk_lines(session, ["", "y"]), NOW)
    events[1] = {**events[1], "next": "fine"}  # the protocol now sends "y" somewhere else
    with pytest.raises(WalkError, match="went to another step"):
        Session.replay(protocol, events)


def test_continuing_a_wait_early_is_recorded(protocol: Protocol) -> None:
    session = Session(protocol)
    walk_lines(session, ["", "y", "1", ""])
    assert session.due() == NOW + timedelta(minutes=60)
    assert apply(session, Answer(""), NOW + timedelta(minutes=5))[0]["early"] is True


def test_a_finished_walk_takes_no_more_commands(protocol: Protocol) -> None:
    session = Session(protocol)
    walk_lines(session, ["", "n"])
    with pytest.raises(WalkError, match="ended"):
        session.apply(Answer(""), NOW)


def _stamp(events: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    return [{**event, "ts": now.isoformat(), "seq": index} for index, event in enumerate(events)]


@settings(max_examples=60, deadline=None)
@given(data=protocol_data(), choices=st.lists(st.integers(min_value=0, max_value=10_000), max_size=60))
def test_random_walks_end_at_an_outcome_or_a_recorded_interruption(data: dict[str, Any], choices: list[int]) -> None:
    protocol = Protocol.model_validate(data)
    session = Session(protocol)
    events: list[dict[str, Any]] = []
    for choice in choices:
        if session.finished:
            break
        command = _command(session, choice)
        before = len(events)
        events += apply(session, command)
        assert len(events) >= before  # nothing is ever taken back out of the record
    if not session.finished:
        events += apply(session, Quit())
    assert session.finished or events[-1] == {"event": "interrupted", "node": session.current, "reason": "quit"}
    # Replaying the record rebuilds the same state.
    replayed = Session.replay(protocol, _stamp(events, NOW))
    assert replayed.current == session.current
    assert replayed.trail == session.trail
    assert replayed.notes == session.notes
    assert replayed.variables == session.variables


def _command(session: Session, choice: int) -> Answer | Back | Note | FlagRaised:
    node = session.node
    roll = choice % 20
    if roll == 0 and session.trail:
        return Back()
    if roll == 1:
        return Note(f"note {choice}")
    if roll == 2:
        return FlagRaised("z")
    if node.kind == "question":
        options = node.options  # type: ignore[union-attr]
        return Answer(options[choice % len(options)].key)
    if node.kind == "input":
        low, high = node.min, node.max  # type: ignore[union-attr]
        return Answer(str(low + choice % (high - low + 1)))
    return Answer("")


@settings(max_examples=40, deadline=None)
@given(data=protocol_data())
def test_always_taking_the_first_option_finishes(data: dict[str, Any]) -> None:
    # The first option of every step follows the chain, which must end at an outcome.
    session = Session(Protocol.model_validate(data))
    for _ in range(len(data["nodes"]) + 1):
        if session.finished:
            break
        node = session.node
        value = node.options[0].key if node.kind == "question" else (  # type: ignore[union-attr]
            str(node.min) if node.kind == "input" else "")  # type: ignore[union-attr]
        session.apply(Answer(value), NOW)
    assert session.finished


# --- answers in words, and waits that keep their due time ------------------------------------------


def test_an_answer_records_what_was_seen_and_chosen_in_words(protocol: Protocol) -> None:
    session = Session(protocol)
    events = walk_lines(session, ["", "y", "2", ""])
    assert events[0] == {"event": "answer", "node": "begin", "answer": "", "next": "assess",
                         "title": "Stop and prepare", "label": "done"}
    assert events[1] == {"event": "answer", "node": "assess", "answer": "y", "next": "areas",
                         "title": "What do you see?", "label": "Blanching"}
    assert events[2] == {"event": "answer", "node": "areas", "answer": "2", "next": "treat",
                         "title": "Areas affected", "label": "2 areas", "value": 2, "unit": "areas"}
    assert events[3]["shown"] == {"dose": "1000 U"}  # the dose on the Treat screen
    assert events[4] == {"event": "wait-started", "node": "wait", "minutes": 60, "due": "2026-11-27T13:00:00.000Z"}


def test_back_into_a_wait_keeps_its_due_time(protocol: Protocol) -> None:
    session = Session(protocol)
    walk_lines(session, ["", "y", "1", ""])
    due = session.due()
    later = NOW + timedelta(minutes=20)
    walk_lines(session, [""], later)  # continued early by mistake
    events = apply(session, Back(), later)
    assert [e["event"] for e in events] == ["back"]  # no new wait-started
    assert session.current == "wait" and session.due() == due


def test_a_red_flag_detour_keeps_the_wait_running(protocol: Protocol) -> None:
    detour = protocol.red_flags[0].model_copy(update={"goto": "treat"})
    protocol = protocol.model_copy(update={"red_flags": [detour]})
    session = Session(protocol)
    walk_lines(session, ["", "y", "1", ""])
    due = session.due()
    later = NOW + timedelta(minutes=30)
    events = apply(session, FlagRaised("v"), later) + walk_lines(session, [""], later)  # treat again, back at wait
    assert "wait-started" not in [e["event"] for e in events]
    assert session.current == "wait" and session.due() == due


def test_a_loop_back_to_a_continued_wait_starts_a_new_wait(protocol: Protocol) -> None:
    session = Session(protocol)
    walk_lines(session, ["", "y", "1", ""])
    later = NOW + timedelta(minutes=60)
    events = walk_lines(session, ["", "n", ""], later)  # reassessed, not better, treat again
    assert events[-1]["event"] == "wait-started"
    assert session.due() == later + timedelta(minutes=60)


def test_replay_keeps_the_logged_due_time_of_a_wait(protocol: Protocol) -> None:
    session = Session(protocol)
    events = walk_lines(session, ["", "y", "1", ""])
    logged = [{**e, "ts": (NOW + timedelta(minutes=i)).isoformat(), "seq": i} for i, e in enumerate(events)]
    logged.append({"event": "resumed", "node": "wait", "ts": (NOW + timedelta(minutes=40)).isoformat()})
    assert Session.replay(protocol, logged).due() == NOW + timedelta(minutes=60)
    old_log = [e for e in logged if e["event"] != "wait-started"]  # before wait-started existed
    assert Session.replay(protocol, old_log).due() == NOW + timedelta(minutes=3 + 60)


def test_a_replay_that_reaches_an_outcome_is_finished(protocol: Protocol) -> None:
    session = Session(protocol)
    events = _stamp(walk_lines(session, ["", "n"]), NOW)
    replayed = Session.replay(protocol, [e for e in events if e["event"] != "outcome"])
    assert replayed.finished
    assert replayed.outcome_event().payload() == {"node": "fine", "title": "Resolved", "severity": "resolved"}


def test_a_wait_at_the_start_begins_with_the_walk(protocol: Protocol) -> None:
    protocol = protocol.model_copy(update={"start": "wait"})
    session = Session(protocol)
    assert as_lines(session.begin(NOW)) == [{"event": "wait-started", "node": "wait", "minutes": 60,
                                             "due": "2026-11-27T13:00:00.000Z"}]


def test_the_engine_imports_no_log_io() -> None:
    """The state machine is pure: importing it loads neither the journal nor its durable-write layer."""
    code = ("import sys, aesthetic_protocols.engine; "
            "print(sorted(m for m in sys.modules if m.split('.')[-1] in ('journal', 'durable')))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120).stdout
    assert shown == "[]\n"


# --- issue 16: typed text held to the protocol files' rule; bytes that were no text refused ----------------


@pytest.mark.parametrize("char", ["\x1b", "\u202e", "\u200b", "\u200e", "\u061c", "\u2028", "\ufeff", "\U000e0041"])
def test_a_note_with_a_control_invisible_or_direction_character_is_refused(protocol: Protocol, char: str) -> None:
    session = Session(protocol)
    assert session.interpret(f"note: dose 5{char}00 U") == Invalid(
        "a note may not hold control, invisible or direction characters")
    assert session.interpret("note: dose 500 U") == Note("dose 500 U")


@pytest.mark.parametrize("line", ["note: caf\udce9", "\udcff", "y\udce9", "quit\udc80"])
def test_a_line_holding_undecodable_bytes_is_not_valid_text_at_any_prompt(protocol: Protocol, line: str) -> None:
    assert Session(protocol).interpret(line) == Invalid("not valid text: type it again")


def test_an_early_look_then_back_to_the_wait_keeps_its_due_time_but_a_new_pulse_restarts_it() -> None:
    from datetime import UTC, datetime, timedelta

    from aesthetic_protocols.engine import Answer, Session
    from aesthetic_protocols.loader import load_file

    protocol = load_file(Path(__file__).parents[1] / "protocols" / "vascular-occlusion.yaml").protocol
    start = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    session = Session(protocol)
    session.begin(start)
    # Sarah to the 60-minute wait: the record, HA, eyes, FAST, pallor, sharp pain, slower refill and its times,
    # no photograph, no venom allergy, consent, three areas, the pulse and what was given, no adjunct.
    for line in ["", "HA filler", "LOT-1", "nasolabial fold", "0.8", "", "h", "o", "n", "p", "p", "w", "4.0", "1.5",
                 "", "n", "g", "3", "", "n", "", "1500", "", "n"]:
        session.apply(session.interpret(line, start), start)
    assert session.current == "wait-60"
    due = session.due()
    assert due == start + timedelta(minutes=60)
    later = start + timedelta(minutes=5)
    session.apply(Answer(""), later)  # before it is due: asks to confirm
    session.apply(session.interpret("y", later), later)
    session.apply(session.interpret("w", later), later)  # looks restored: keep waiting
    assert session.current == "wait-60" and session.due() == due  # the early look did not restart it
    session.apply(Answer(""), later)
    session.apply(session.interpret("y", later), later)
    session.apply(session.interpret("p", later), later)  # worse: another pulse, then a new full wait
    for line in ["3", "", "n", "", "1500", "", "n"]:
        session.apply(session.interpret(line, later), later)
    assert session.current == "wait-60" and session.due() == later + timedelta(minutes=60)
