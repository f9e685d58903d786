"""An emergency that goes on until handover: the log, timers, `h`, withdrawals, resume, kill -9, verify."""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from aesthetic_protocols.engine import Invalid, Session, WalkError
from aesthetic_protocols.events import decode, encode
from aesthetic_protocols.faces.plain import PlainFace
from aesthetic_protocols.handover import AskHandover, Handover, HandoverAt, LogIt, walk_over
from aesthetic_protocols.journal import verify
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.model import OutcomeNode
from aesthetic_protocols.walker import interrupted_sessions, resume_walk, start_walk

FIXTURES = Path(__file__).parent / "fixtures" / "handover"
TREE = FIXTURES / "emergency.yaml"
AT = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
# Stop injecting; the record's five fields; then the anaphylaxis red flag at the signs question.
TO_SIGNS = ["", "Filler X", "Chin", "0.5", "13:40", "penicillin"]


class StepClock:
    """The walk's one clock, moved on by the face's input: each line is read `minutes` after the one before."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class TimedInput(io.StringIO):
    """Plain-mode input whose lines each carry how many minutes pass before they are typed."""

    def __init__(self, clock: StepClock, lines: list[tuple[float, str]]) -> None:
        super().__init__()
        self.clock = clock
        self.lines = list(lines)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        if not self.lines:
            return ""
        minutes, text = self.lines.pop(0)
        self.clock.now += timedelta(minutes=minutes)
        return text + "\n"


def walk(tmp_path: Path, lines: list[tuple[float, str]]) -> tuple[list[dict[str, Any]], list[str], Path]:
    clock = StepClock(AT)
    out = io.StringIO()
    face = PlainFace(stdin=TimedInput(clock, lines), stdout=out)
    outcome = start_walk(load_file(TREE), tmp_path, face=face, clock=clock)
    return [encode(e) for e in outcome.events], out.getvalue().splitlines(), outcome.log  # the lines as written


def test_an_emergency_until_handover_logs_entries_and_ends_at_h(tmp_path: Path) -> None:
    lines = [(0, line) for line in TO_SIGNS] + [(0, "a"), (1, "d"), (1, "o"), (4, "d"), (2, "h"), (0, ""),
                                                 (0, "Paramedic crew")]
    events, said, log = walk(tmp_path, lines)
    kinds = [e["event"] for e in events]
    assert kinds[kinds.index("outcome"):] == ["outcome", "logged", "logged", "logged", "handover"]
    outcome = next(e for e in events if e["event"] == "outcome")
    assert outcome["until_handover"] is True and outcome["severity"] == "emergency"
    logged = [(e["key"], e["time"]) for e in events if e["event"] == "logged"]
    assert logged == [("d", "2026-12-06T14:01:00.000Z"), ("o", "2026-12-06T14:02:00.000Z"),
                      ("d", "2026-12-06T14:06:00.000Z")]
    handover = events[-1]
    assert (handover["time"], handover["to"]) == ("2026-12-06T14:08:00.000Z", "Paramedic crew")
    # The screen: headline, the timer from arrival, one line per key, the entry logged with its time.
    assert "Adrenaline 500 micrograms IM now; call an ambulance" in said
    assert "Timer: Repeat adrenaline if no better: 05:00 left (due 14:05, every 5 min)" in said
    assert "logged at 14:01: Adrenaline 500 micrograms IM given" in said
    assert "Timer: Repeat adrenaline if no better: 05:00 left (due 14:11, every 5 min)" in said
    assert "log: d, o; h = handed over; back = withdraw the last entry" in said
    # The log is closed (anchor written at the handover) and whole.
    result = verify(log)
    assert result.ok and result.note is None
    assert json.loads(log.with_suffix(".head").read_text())["seq"] == handover["seq"]
    assert walk_over(events)


def test_keystrokes_from_the_red_flag_to_a_logged_second_dose(tmp_path: Path) -> None:
    """The figure for the note: `a` (the red flag), `d` (first dose), `d` (second dose) = 3 keys."""
    keys = ["a", "d", "d"]
    events, _, _ = walk(tmp_path, [(0, line) for line in TO_SIGNS] + [(0, k) for k in keys])
    assert [e["key"] for e in events if e["event"] == "logged"] == ["d", "d"]
    assert len(keys) == 3


def test_a_timer_counts_from_its_key_else_from_arrival_and_shows_overdue(tmp_path: Path) -> None:
    lines = [(0, line) for line in TO_SIGNS] + [(0, "a"), (7, "o")]
    _, said, _ = walk(tmp_path, lines)
    assert "Timer: Repeat adrenaline if no better: OVERDUE by 02:00 (due 14:05)" in said


def test_back_withdraws_the_last_entry_and_the_record_strikes_it(tmp_path: Path) -> None:
    lines = [(0, line) for line in TO_SIGNS] + [(0, "a"), (1, "d"), (0, "d"), (0, "back"), (1, "h"), (0, ""),
                                                 (0, "")]
    events, said, _log = walk(tmp_path, lines)
    withdraw = next(e for e in events if e.get("withdraws") is not None)
    second = [e for e in events if e["event"] == "logged"][1]
    assert withdraw["withdraws"] == second["seq"] and withdraw["key"] == "d"
    assert "log entry withdrawn (kept in the log, struck through in the record)" in said
    assert events[-1]["event"] == "handover" and "to" not in events[-1]
    from aesthetic_protocols.report.handover import handover_markdown

    sheet = handover_markdown(events)
    assert "- 14:01: Adrenaline 500 micrograms IM given\n" in sheet
    assert "- ~~14:01: Adrenaline 500 micrograms IM given~~ (withdrawn at 14:01)\n" in sheet


def test_a_red_flag_gone_back_from_at_once_is_withdrawn_everywhere(tmp_path: Path) -> None:
    lines = [(0, line) for line in TO_SIGNS] + [(0, "v"), (0.5, "back"), (0, "a"), (1, "d"), (0, "h"), (0, ""),
                                                 (0, "")]
    events, _, _log = walk(tmp_path, lines)
    from aesthetic_protocols.recorded import withdrawn_flags
    from aesthetic_protocols.report.handover import handover_markdown
    from aesthetic_protocols.report.record import record_html, record_markdown, timeline_text

    flags = [e for e in events if e["event"] == "red-flag"]
    assert list(withdrawn_flags(events)) == [flags[0]["seq"]]
    assert "~~14:00: RED FLAG \\[v\\] Eye: vision loss~~ (withdrawn at 14:00)" in handover_markdown(events)
    assert "- 14:00:00: ~~RED FLAG \\[v\\] Eye: vision loss (withdrawn at 14:00:30)~~" in record_markdown(events)
    assert "<s>RED FLAG [v] Eye: vision loss (withdrawn at 14:00:30)</s>" in record_html(events)
    assert "RED FLAG [v] Eye: vision loss (withdrawn at 14:00:30) (went to: eye-emergency)" in timeline_text(events)
    assert "<strong>RED FLAG [a]" in record_html(events)


def test_a_handover_time_later_than_now_is_refused_with_the_reason(tmp_path: Path) -> None:
    lines = [(0, line) for line in TO_SIGNS] + [(0, "a"), (0, "h"), (0, "14:30"), (0, "13:55"), (0, "crew")]
    quitting = [(0, line) for line in TO_SIGNS] + [(0, "a"), (0, "h"), (0, ""), (0, "quit")]
    assert walk(tmp_path / "q", quitting)[0][-1]["event"] == "interrupted"
    events, said, _ = walk(tmp_path, lines)
    assert "that time is later than now: give the time the patient was handed over" in said
    assert events[-1]["time"] == "2026-12-06T13:55:00.000Z"


def test_time_before_a_key_dates_the_entry_and_keys_not_here_are_refused(tmp_path: Path) -> None:
    lines = [(0, line) for line in TO_SIGNS] + [(0, "a"), (3, "time: 14:01"), (0, "d"), (0, "p"), (0, "quit")]
    events, said, _ = walk(tmp_path, lines)
    assert [e["time"] for e in events if e["event"] == "logged"] == ["2026-12-06T14:01:00.000Z"]
    assert "log with one of d, o; h = handed over" in said
    assert events[-1]["event"] == "interrupted"


def test_an_interrupted_handover_resumes_with_its_timers_at_their_times(tmp_path: Path) -> None:
    lines = [(0, line) for line in TO_SIGNS] + [(0, "a"), (2, "d")]  # then end of input: interrupted
    events, _, log = walk(tmp_path, lines)
    assert events[-1]["event"] == "interrupted" and not walk_over(events)
    assert [s.path for s in interrupted_sessions(tmp_path)] == [log]
    clock = StepClock(AT + timedelta(minutes=4))
    out = io.StringIO()
    face = PlainFace(stdin=TimedInput(clock, [(0, "d"), (0, "h"), (0, ""), (0, "")]), stdout=out)
    outcome = resume_walk(str(log), tmp_path, [FIXTURES], face=face, clock=clock)
    said = out.getvalue().splitlines()
    # The timer counts from the dose logged before the interruption (14:02), not from the resume.
    assert "Timer: Repeat adrenaline if no better: 03:00 left (due 14:07, every 5 min)" in said
    assert outcome.result.finished
    kinds = [e.event.kind for e in outcome.events]
    assert kinds.count("outcome") == 1 and kinds[-1] == "handover"
    assert verify(log).ok


def test_verify_accepts_events_after_an_emergency_outcome_only_until_the_handover(tmp_path: Path) -> None:
    lines = [(0, line) for line in TO_SIGNS] + [(0, "a"), (0, "d"), (0, "h"), (0, ""), (0, "")]
    _, _, log = walk(tmp_path, lines)
    from aesthetic_protocols.journal import Journal

    journal, _, _ = Journal.reopen(log, lambda: AT, expect_head=json.loads(log.read_text().splitlines()[-1])["hash"])
    journal.append("logged", node="anaphylaxis", key="d", label="Adrenaline", time="2026-12-06T14:09:00.000Z")
    journal._fd = None  # appended without closing, as a forger would: the anchor stays "open"
    result = verify(log)
    assert not result.ok and result.reason is not None and "an event after the handover (appended)" in result.reason


def _handover_state(records: list[dict[str, Any]]) -> Handover:
    protocol = load_file(TREE).protocol
    session = Session.replay(protocol, records)
    return Handover.replay(session, records)


def test_a_handover_state_is_rebuilt_from_the_lines_alone() -> None:
    arrive = {"seq": 3, "event": "outcome", "node": "anaphylaxis", "ts": "2026-12-06T14:00:00.000Z",
              "until_handover": True, "severity": "emergency"}
    start = {"seq": 0, "event": "start", "node": "stop-injecting", "ts": "2026-12-06T14:00:00.000Z"}
    flag = {"seq": 1, "event": "red-flag", "node": "stop-injecting", "key": "a", "goto": "anaphylaxis",
            "ts": "2026-12-06T14:00:00.000Z"}
    dose = {"seq": 4, "event": "logged", "node": "anaphylaxis", "key": "d", "label": "A",
            "time": "2026-12-06T14:03:00.000Z", "ts": "2026-12-06T14:03:10.000Z"}
    state = _handover_state([start, flag, arrive, dose])
    (view,) = state.timers(AT + timedelta(minutes=9))
    assert (view.due, view.left, view.overdue) == (AT + timedelta(minutes=8), -60, True)
    assert state.interpret("D", AT) == LogIt("d")
    assert state.interpret("h", AT) == AskHandover()
    state.apply(AskHandover(), AT)
    assert state.interpret("", AT) == HandoverAt(None)


def test_the_documented_example_validates(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "docs" / "protocol-format.md").read_text()
    block = re.search(r"#### `until_handover`.*?```yaml\n(.*?)```", text, re.S)
    assert block is not None
    node = yaml.safe_load(block.group(1))["anaphylaxis"]
    assert OutcomeNode.model_validate(node).until_handover is not None
    tree = TREE.read_text()
    start = tree.index("  anaphylaxis:\n")
    path = tmp_path / "emergency.yaml"
    path.write_text(tree[:start] + block.group(1))
    from aesthetic_protocols.checks import validate_path

    assert [str(p) for p in validate_path(path, AT.date(), path.name)] == []


@pytest.mark.parametrize("trial", range(3))
def test_kill_9_inside_the_handover_loop_loses_no_step(tmp_path: Path, trial: int) -> None:
    env = {"AESTHETIC_PROTOCOLS_PATH": str(FIXTURES), "AESTHETIC_PROTOCOLS_LOG_DIR": str(tmp_path / "logs"),
           "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen([sys.executable, "-m", "aesthetic_protocols", "emergency", "--plain"], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    sent = 0

    def send(line: str, until: str) -> None:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        while until not in proc.stdout.readline():
            pass

    for line in TO_SIGNS:
        proc.stdin.write(line + "\n")
    send("a", "log: d, o")
    for key in ["d", "o", "d"][: trial + 1]:
        send(key, "log: d, o")  # the prompt comes back only once the entry is synced
        sent += 1
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    (log,) = (tmp_path / "logs").glob("*.jsonl")
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert len([e for e in events if e["event"] == "logged"]) == sent  # steps lost: 0
    resumed = subprocess.run([sys.executable, "-m", "aesthetic_protocols", "resume", str(log), "--plain"], env=env,
                             input="d\nh\n\n\n", capture_output=True, text=True, timeout=30)
    assert resumed.returncode == 0, resumed.stderr
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert len([e for e in events if e["event"] == "logged"]) == sent + 1
    assert events[-1]["event"] == "handover"
    assert verify(log).ok


def test_fhir_carries_the_withdrawn_flag_the_log_and_the_handover(tmp_path: Path) -> None:
    from aesthetic_protocols.logged_protocol import LoggedProtocol
    from aesthetic_protocols.report.fhir import fhir_bundle

    lines = [(0, line) for line in TO_SIGNS] + [(0, "v"), (0.5, "back"), (0, "a"), (1, "d"), (0, "h"), (0, ""),
                                                 (0, "crew")]
    events, _, _ = walk(tmp_path, lines)
    loaded = load_file(TREE)
    bundle = fhir_bundle(events, LoggedProtocol(loaded.protocol, loaded.source.sha256, True, "matches"))
    form, response = (entry["resource"] for entry in bundle["entry"][:2])
    asked = {item["linkId"] for group in form["item"] for item in [group, *group.get("item", [])]}
    answered = [(item["linkId"], item.get("answer")) for group in response["item"]
                for item in [group, *group.get("item", [])]]
    assert {link for link, _ in answered} <= asked
    assert ("walk.red-flags.withdrawn", [{"valueBoolean": True}]) in answered
    assert ("walk.red-flags.withdrawn-at", [{"valueDateTime": "2026-12-06T14:00:30.000Z"}]) in answered
    assert ("walk.handover-log.what", [{"valueString": "Adrenaline 500 micrograms IM given"}]) in answered
    assert ("walk.handover.to", [{"valueString": "crew"}]) in answered


def test_the_drill_debrief_times_each_entry_and_says_whether_each_timer_was_met(tmp_path: Path) -> None:
    from aesthetic_protocols.handover_debrief import handover_lines

    lines = [(0, line) for line in TO_SIGNS] + [(0, "a"), (1, "d"), (4.5, "d"), (7, "o"), (1, "h"), (0, ""),
                                                 (0, "")]
    events, _, _ = walk(tmp_path, lines)
    assert handover_lines(load_file(TREE).protocol, events) == [
        "handover: EMERGENCY: anaphylaxis recognised; handed over 13 min 30 s later",
        "logged: Adrenaline 500 micrograms IM given, 1 min 00 s after recognition",
        "logged: Adrenaline 500 micrograms IM given, 5 min 30 s after recognition",
        "logged: Oxygen started, 12 min 30 s after recognition",
        "timer: Repeat adrenaline if no better (every 5 min): met 2 of 2 (1 min 00 s, 4 min 30 s); "
        "ran out 1 time(s) before the next entry or the handover",
    ]


def test_a_drill_runs_the_handover_on_its_simulated_clock_and_debriefs_it(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aesthetic_protocols.cli import app

    result = CliRunner().invoke(app, ["drill", "emergency", "--scenario", "anaphylaxis-at-signs", "--plain",
                                      "--protocols", str(FIXTURES), "--log-dir", str(tmp_path)],
                                input="\n".join([*TO_SIGNS, "a", "d", "h", "", "crew"]) + "\n")
    assert result.exit_code == 0, result.output
    assert "timer: Repeat adrenaline if no better (every 5 min): met 1 of 1 (0 min 00 s)" in result.output
    assert result.output.rstrip().endswith("debrief: met")


# The longest handover walk: an eye emergency with hourly pulses and aspirin, a red flag raised by mistake and
# withdrawn, anaphylaxis with four doses (one withdrawn), oxygen, notes, then the handover.
LONGEST = ([(0, line) for line in TO_SIGNS] + [(0, "a"), (0.2, "back"), (0, "v"), (1, "p"), (1, "n")]
           + [(60, "p")] * 4 + [(0, "note: pupils equal"), (2, "a"), (1, "d"), (1, "o"), (4, "d"), (0, "d"),
                                (0, "back"), (5, "d"), (5, "d"), (3, "h"), (0, ""), (0, "Ambulance crew (paramedics)")])


def test_the_handover_sheet_of_the_longest_walk_prints_on_one_a4_page(tmp_path: Path) -> None:
    from aesthetic_protocols.report.handover import handover_html
    from tests.test_browser import print_pdf, text_of

    events, _, _ = walk(tmp_path, LONGEST)
    reader = print_pdf(handover_html(events), tmp_path, "handover")
    assert len(reader.pages) == 1
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4
    text = text_of(reader)
    for words in ("S: Situation", "B: Background", "A: Assessment", "Actions", "Handed over",
                  "Product: Filler X", "Allergies: penicillin", "Hyaluronidase 1500 U pulse given",
                  "Aspirin 300 mg given", "To Ambulance crew (paramedics)"):
        assert words in text, words


def test_the_card_graph_and_review_show_each_timer_beside_its_step() -> None:
    from aesthetic_protocols.report.card import card_markdown
    from aesthetic_protocols.report.graph import mermaid
    from aesthetic_protocols.report.review import markdown, outline

    protocol = load_file(TREE).protocol
    # The timer counts from the entry its key names; the log right after says that entry in words.
    assert ("        - Until handover: Repeat adrenaline if no better: every 5 min from \\[d\\]; log \\[d\\] "
            "Adrenaline 500 micrograms IM given, \\[o\\] Oxygen started; \\[h\\] handed over") \
        in card_markdown(protocol, "0" * 64).splitlines()
    assert 'n6>"EMERGENCY: anaphylaxis (emergency, until handover: every 5 min)"]' in mermaid(protocol)
    assert "  timer: Repeat adrenaline if no better, every 5 min from [d]" in outline(protocol).splitlines()
    assert "- timer: Next hyaluronidase pulse, every 60 min from \\[p\\]" in markdown(protocol, "0" * 64)


def _terminal_screen(state: Handover, now: datetime, size: tuple[int, int] = (80, 24)) -> list[str]:
    import pyte
    from rich.console import Console

    from aesthetic_protocols.faces.terminal import TerminalFace

    buffer = io.StringIO()
    console = Console(file=buffer, width=size[0], height=size[1], force_terminal=True, color_system="standard",
                      highlight=False, markup=False, emoji=False, legacy_windows=False)
    face = TerminalFace(clock=lambda: now, console=console, interactive=False)
    face.intro(state.session, "20261206T140000Z-emergency-9d5b", AT, False)
    face.show_handover(state, now)
    terminal = pyte.Screen(*size)
    terminal.set_mode(pyte.modes.LNM)
    pyte.Stream(terminal).feed(buffer.getvalue().rstrip("\n"))
    return [line.rstrip() for line in terminal.display]


def test_the_terminal_handover_screen_at_80x24_pins_the_headline_and_timer_and_lists_the_log(tmp_path: Path) -> None:
    lines = [(0, line) for line in TO_SIGNS] + [(0, "a"), (1, "d"), (0, "quit")]
    _, _, log = walk(tmp_path, lines)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    session = Session.replay(load_file(TREE).protocol, records)
    session.interruption = None  # drawn as the loop draws it, before the quit
    state = Handover.replay(session, records)
    shown = _terminal_screen(state, AT + timedelta(minutes=7))
    assert shown[2:5] == ["EMERGENCY: anaphylaxis", "Adrenaline 500 micrograms IM now; call an ambulance",
                          "⏱ Repeat adrenaline if no better: OVERDUE by 01:00 (due 14:06)"]
    assert " [d] Adrenaline 500 micrograms IM given" in shown
    assert "  14:01  Adrenaline 500 micrograms IM given" in shown
    assert shown[-2].startswith("d/o log · h handed over · v/a red flag · Backspace withdraw last")  # key bar


def test_log_export_format_handover_prints_the_sheet_and_anonymises_it(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from aesthetic_protocols.cli import app

    walk(tmp_path, [(0, line) for line in TO_SIGNS] + [(0, "a"), (1, "d"), (0, "h"), (0, ""), (0, "crew")])
    (log,) = tmp_path.glob("*.jsonl")
    runner = CliRunner()
    result = runner.invoke(app, ["log", "export", str(log), "--format", "handover"])
    assert result.exit_code == 0
    assert "- Allergies: penicillin\n" in result.output and "To crew at 14:01.\n" in result.output
    hidden = runner.invoke(app, ["log", "export", str(log), "--format", "handover-html", "--anonymise"])
    assert hidden.exit_code == 0
    assert "penicillin" not in hidden.output and "crew" not in hidden.output
    assert "<li>Volume: 0.5 mL</li>" in hidden.output and "<li>+0:01:00: Adrenaline" in hidden.output


def test_log_list_says_a_session_killed_inside_the_handover_loop_is_open_until_handover() -> None:
    from aesthetic_protocols.report.record import session_summary

    events: list[dict[str, Any]] = [
        {"event": "start", "session": "S", "protocol": "emergency", "version": "1.0.0"},
        {"event": "outcome", "node": "anaphylaxis", "title": "EMERGENCY: anaphylaxis", "severity": "emergency",
         "until_handover": True},
        {"event": "logged", "node": "anaphylaxis", "key": "d"}]
    assert session_summary(events)["state"] == "EMERGENCY: anaphylaxis (emergency), open until handover"
    events.append({"event": "handover", "node": "anaphylaxis", "time": "2026-12-06T14:00:00.000Z"})
    assert session_summary(events)["state"] == "EMERGENCY: anaphylaxis (emergency)"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["d", "o", "back", "a", "v", "note: x", "time: 13:59", "p", "zz"]),
                          st.integers(min_value=0, max_value=600)), max_size=25))
def test_a_handover_rebuilt_from_its_lines_equals_the_live_one(steps: list[tuple[str, int]]) -> None:
    """What resume relies on: the state read back from the lines alone is the state the walk had."""
    from aesthetic_protocols.engine import FlagRaised
    from aesthetic_protocols.events import iso_utc
    from aesthetic_protocols.handover import HandoverReading

    protocol = load_file(TREE).protocol
    session = Session(protocol)
    now = AT
    lines: list[dict[str, Any]] = []

    def write(events: list[Any]) -> list[dict[str, Any]]:
        written = [{"seq": len(lines) + i, "ts": iso_utc(now), "event": e.kind, **e.payload()}
                   for i, e in enumerate(events)]
        lines.extend(written)
        return written

    write([])  # no start line needed: the engine's replay begins at `start` either way
    write(session.apply(FlagRaised("a"), now))
    live = Handover.replay(session, lines)
    for word, seconds in steps:
        if not live.open:  # handed over, or gone Back from the red flag: the loop has ended
            break
        now += timedelta(seconds=seconds)
        reading: HandoverReading = live.interpret(word, now)
        try:
            written = write(live.apply(reading, now)) if not isinstance(reading, Invalid) else []
        except WalkError:
            continue
        for line in written:
            live.observe(decode(line))
    replayed = Handover.replay(Session.replay(protocol, lines), lines)
    assert replayed.entries == live.entries and replayed.arrivals == live.arrivals
    assert replayed.node == live.node and replayed.open == live.open
    if live.open:
        assert replayed.timers(now) == live.timers(now)


def test_the_terminal_rings_once_when_a_timer_runs_out_and_not_for_one_already_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from aesthetic_protocols.faces.terminal import TerminalFace

    _, _, log = walk(tmp_path, [(0, line) for line in TO_SIGNS] + [(0, "a"), (0, "quit")])
    records = [json.loads(line) for line in log.read_text().splitlines()]
    session = Session.replay(load_file(TREE).protocol, records)
    session.interruption = None
    state = Handover.replay(session, records)
    clock = StepClock(AT + timedelta(minutes=4, seconds=59))
    ticks = iter([None, None, None, "d"])

    def tick(timeout: float | None) -> str | None:
        clock.now += timedelta(seconds=1)  # each tick one second later: the timer runs out at the first
        return next(ticks)

    face = TerminalFace(clock=clock, console=Console(file=io.StringIO(), width=80, height=24), interactive=False,
                        read_key=tick)
    rings: list[int] = []
    monkeypatch.setattr(face.console, "bell", lambda: rings.append(1))
    face.intro(session, "S", AT, False)
    face.show_handover(state, clock.now)
    assert face._next_key() == "d"
    assert rings == [1]  # once, at zero; not again while it stays overdue
    face.show_handover(state, clock.now)  # drawn again (after the key): still no second ring
    face.read_key = lambda timeout: "o"
    assert face._next_key() == "o" and rings == [1]


def test_to_whom_refuses_control_invisible_and_direction_characters_and_undecodable_bytes() -> None:
    from aesthetic_protocols.handover import HandoverTo

    state = Handover(Session(load_file(TREE).protocol))
    state.asking = "to"
    for bad in ("crew\x07", "crew\u200b", "crew\u202e", "crew\u2066"):
        assert state.interpret(bad, AT) == Invalid("control, invisible or direction characters are not allowed")
    assert state.interpret("crew\udcff", AT) == Invalid("not valid text: type it again")
    assert state.interpret("Paramedic crew", AT) == HandoverTo("Paramedic crew")


def test_the_sheet_lists_the_decisions_that_stand_with_their_because() -> None:
    from aesthetic_protocols.report.handover import handover_sheet

    ts = "2026-12-06T10:00:00.000Z"
    lines = [
        {"seq": 0, "ts": ts, "event": "start", "node": None, "protocol": "p", "version": "1.0.0"},
        {"seq": 1, "ts": ts, "event": "answer", "node": "a", "answer": "y", "next": "d", "label": "Yes"},
        {"seq": 2, "ts": ts, "event": "decided", "node": "d", "rule": 0, "next": "x", "title": "Route",
         "because": "The expiry date has passed."},
        {"seq": 3, "ts": ts, "event": "back", "node": "x", "to": "a"},
        {"seq": 4, "ts": ts, "event": "answer", "node": "a", "answer": "n", "next": "d", "label": "No"},
        {"seq": 5, "ts": ts, "event": "decided", "node": "d", "rule": "otherwise", "next": "y", "title": "Route"},
    ]
    assert [item.text for item in handover_sheet(lines, anonymise=True).decisions] == ["Route: no rule held"]


def test_the_handover_screen_is_the_one_screen_model_with_timers_and_log_keys(tmp_path: Path) -> None:
    from aesthetic_protocols.faces.handover import handover_screen
    from aesthetic_protocols.screen import KeyHint, Option

    _, _, log = walk(tmp_path, [(0, line) for line in TO_SIGNS] + [(0, "a"), (1, "d"), (0, "quit")])
    records = [json.loads(line) for line in log.read_text().splitlines()]
    session = Session.replay(load_file(TREE).protocol, records)
    session.interruption = None
    state = Handover.replay(session, records)
    model = handover_screen(state, AT + timedelta(minutes=7))
    assert [(timer.fixed, timer.urgent) for timer in model.timers] == [
        ("Timer: Repeat adrenaline if no better: OVERDUE by 01:00 (due 14:06)", True)]
    assert model.log_keys[-1] == Option("h", "handed over (the time, then to whom)")
    assert model.logged == ("  14:01  Adrenaline 500 micrograms IM given",)
    assert model.keys[:2] == (KeyHint("d/o", "log"), KeyHint("h", "handed over"))
