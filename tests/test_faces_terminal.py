"""The terminal face: screens laid out to the window (read back through the pyte terminal emulator), and the
walker in a real pseudo-terminal (pexpect): keys in either case, quitting asks, typed-ahead keys dropped."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any

import pexpect
import pyte
import pytest
from rich.console import Console

from aesthetic_protocols.engine import Answer, Back, DoneAt, FlagRaised, Invalid, Note, Reading, Session
from aesthetic_protocols.faces import keys
from aesthetic_protocols.faces.terminal import ENTER_GUARD_SECONDS, KEY_GUARD_SECONDS, TerminalFace
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.model import Protocol

VALID = Path(__file__).parent / "fixtures" / "valid"
BUNDLED = Path(__file__).parents[1] / "protocols"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SESSION = "20261128T090000Z-vascular-occlusion-1f2e"


# --- screens at a given window size (pyte) ------------------------------------------------------------


def walked(protocol: Protocol, lines: list[str], now: datetime = NOW) -> Session:
    session = Session(protocol)
    session.begin(now)
    for line in lines:
        reading = session.interpret(line)
        assert not isinstance(reading, Invalid), reading
        session.apply(reading, now)
    return session


def screen(session: Session, size: tuple[int, int], now: datetime = NOW, resumed: bool = False,
           before: Any = None, banner: str | None = None) -> list[str]:
    """What the terminal shows after the face draws `session` in a window of `size` (columns, rows)."""
    columns, rows = size
    buffer = io.StringIO()
    console = Console(file=buffer, width=columns, height=rows, force_terminal=True, color_system="standard",
                      highlight=False, markup=False, emoji=False, legacy_windows=False)
    face = TerminalFace(clock=lambda: now, console=console, interactive=False, banner=banner)
    face.intro(session, SESSION, NOW, resumed)
    face.show(session, now)
    if before is not None:
        buffer.seek(0)
        buffer.truncate()
        before(face)
    terminal = pyte.Screen(columns, rows)
    terminal.set_mode(pyte.modes.LNM)  # a terminal's line discipline turns \n into \r\n
    pyte.Stream(terminal).feed(buffer.getvalue().rstrip("\n"))
    return [line.rstrip() for line in terminal.display]


# Stop injecting, the injection record (product, batch, site, volume, time), recognise, then blanching, HA, no
# venom allergy, straight to hyaluronidase, 3 areas: the pulse screen.
# Sarah's walk (0.3.0) to the pulse: injection record, HA, eyes, FAST, pallor, sharp pain, slower refill, the
# refill times and no photograph, no venom allergy, consent given, three areas.
TO_PULSE = ["", "HA filler", "LOT-1", "nasolabial fold", "0.8", "", "h", "o", "n", "p", "p", "w", "4.0", "1.5", "",
            "n", "g", "3"]


@pytest.fixture(scope="module")
def vascular() -> Protocol:
    return load_file(BUNDLED / "vascular-occlusion.yaml").protocol


@pytest.fixture(scope="module")
def every_kind() -> Protocol:
    return load_file(VALID / "every-kind.yaml").protocol


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_pinned_parts_are_on_screen_at_any_size(vascular: Protocol, size: tuple[int, int]) -> None:
    # The pulse screen has the longest body of the tree: at 80x24 it must page, never push the pins away.
    session = walked(vascular, TO_PULSE)
    lines = screen(session, size)
    assert len(lines) == size[1]
    assert lines[0].startswith("Vascular occlusion after dermal filler v")
    assert lines[0].endswith("00:00 elapsed  session 1f2e")
    assert lines[1] .startswith("DRAFT")
    assert lines[2] == "Give a hyaluronidase pulse"
    flags = next(i for i, line in enumerate(lines) if line.startswith("RED FLAGS  [V] Eye: vision loss"))
    assert "drooping lid" in " ".join(lines[flags:flags + 2])
    assert "Enter done · v/s/a red flag · Backspace back · ? sources" in "\n".join(lines[-2:])
    assert lines[-1].endswith("Esc quit")
    if size == (80, 24):
        assert any(re.match(r" ▼ \d+ more line\(s\): Space or PgDn", line) for line in lines)
        assert "Space/PgUp page" in "\n".join(lines[-2:])
    else:
        assert not any("more line(s)" in line for line in lines)
        assert "about 450-500 U per area per pulse" in "\n".join(lines)  # the reported figure, labelled so


def test_paging_shows_the_rest_of_the_body_and_keeps_the_pins(vascular: Protocol) -> None:
    session = walked(vascular, TO_PULSE)
    first = screen(session, (80, 24))
    paged = screen(session, (80, 24), before=lambda face: face._page(1))
    # Header, status, title and the one-line headline stay; the body moves.
    assert paged[:4] == first[:4] and paged[-3:] == first[-3:]
    assert first[3] == "Hyaluronidase along the whole ischaemic territory: dose by your local protocol"
    assert paged[4] != first[4]
    assert any("PgUp for the top" in line or "more line(s)" in line for line in paged)
    end = screen(session, (80, 24), before=lambda face: (face._page(1), face._page(1), face._page(1)))
    marker = next(i for i, line in enumerate(end) if "end of this step: PgUp for the top" in line)
    assert end[marker - 1].startswith("Source: HDPH-2017")  # the last line of the step is never hidden


def test_the_eye_red_flag_screen_keeps_its_title_at_80x24(vascular: Protocol) -> None:
    session = walked(vascular, [*TO_PULSE, "V"])
    lines = screen(session, (80, 24))
    assert lines[2] == "EYE EMERGENCY: call now"
    assert lines[3:5] == ["Call 999 (ambulance) or the emergency eye service now: suspected retinal artery",
                          "occlusion"]
    assert any(line.startswith("RED FLAGS  [V]") for line in lines[-8:])


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_a_message_stays_in_the_status_line(every_kind: Protocol, size: tuple[int, int]) -> None:
    session = walked(every_kind, [""])
    lines = screen(session, size, before=lambda face: face.say("answer with one of y, n (or 1-2)"))
    status = lines.index("answer with one of y, n (or 1-2)")
    assert status >= size[1] - 3  # just above the key bar
    assert lines[2] == "What do you see?"
    # A redraw (the clock ticking) keeps it.
    lines = screen(session, size, before=lambda face: (face.say("note recorded"), face._draw()))
    assert "note recorded" in lines


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_a_resumed_wait_that_is_overdue_says_so_at_the_top(every_kind: Protocol, size: tuple[int, int]) -> None:
    session = walked(every_kind, ["", "y", "1", ""])
    later = NOW + timedelta(minutes=75)
    lines = screen(session, size, now=later, resumed=True)
    assert lines[2] == "Reassess in 60 minutes"
    assert lines[3] == "REASSESSMENT OVERDUE: due at 10:00, 15:00 ago"
    assert lines[0].endswith("1:15:00 elapsed  session 1f2e")
    counting = screen(session, size, now=NOW + timedelta(minutes=20))
    assert counting[3] == "Reassess at 10:00 (60 min wait): 40:00 left"


def test_the_key_bar_shows_only_what_works_at_a_number_prompt(every_kind: Protocol) -> None:
    session = walked(every_kind, ["", "y"])
    lines = screen(session, (80, 24))
    assert lines[-1] == "number + Enter · v red flag · : note: / time: / back · Esc quit"
    typing = screen(session, (80, 24), before=lambda face: (setattr(face, "line", ("> ", "3")), face._draw()))
    assert typing[-1].startswith("> 3_   Enter = done   Backspace = erase   Esc = cancel")


def test_quitting_asks_first(every_kind: Protocol) -> None:
    session = walked(every_kind, [])
    lines = screen(session, (80, 24), before=lambda face: (setattr(face, "confirming", True), face._draw()))
    assert any(line.startswith("Quit? The log is kept and the walk can be resumed.") for line in lines)


def test_protocol_text_is_shown_as_written(every_kind: Protocol) -> None:
    node = every_kind.nodes["begin"].model_copy(update={"text": "Use [bold]this[/bold] :smile: as typed."})
    protocol = every_kind.model_copy(update={"nodes": {**every_kind.nodes, "begin": node}})
    assert "Use [bold]this[/bold] :smile: as typed." in screen(walked(protocol, []), (80, 24))


def test_the_outcome_screen_shows_the_outcome_alone(every_kind: Protocol) -> None:
    session = walked(every_kind, ["", "n"])
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, height=24, force_terminal=False, highlight=False, markup=False)
    face = TerminalFace(clock=lambda: NOW, console=console, interactive=False)
    face.intro(session, SESSION, NOW, False)
    face.finish(session, [{"event": "start", "ts": "2026-11-28T09:00:00.000Z", "node": "begin"}], "/logs/x.jsonl",
                SESSION)
    text = buffer.getvalue()
    assert text.splitlines()[0] == " Outcome: Resolved (resolved) "
    assert "DRAFT reference content" in text and " [ ] Review tomorrow" in text
    assert "t = timeline   Enter = close" in text
    assert "elapsed" not in text  # the timeline is one key away, not on this screen
    # How to get the record, said once the walk is over (issue 17: there was no hint), and how to resume
    # an interrupted walk, said once.
    assert "Record: protocol log export 1f2e --format html > record.html (then print it)" in text.splitlines()
    session = walked(every_kind, [""])
    buffer.seek(0)
    buffer.truncate()
    face.finish(session, [], "/logs/x.jsonl", "1f2e")
    assert buffer.getvalue().splitlines().count("Resume with: protocol resume 1f2e") == 1


BAR = "DRILL (60x time): training, not a real session"


def test_a_banner_is_pinned_above_the_header(every_kind: Protocol) -> None:
    session = walked(every_kind, [""])
    lines = screen(session, (80, 24), banner=BAR)
    assert lines[0] == BAR and lines[1].startswith("Example tree using every node kind v1.0.0")
    assert not any(BAR in line for line in screen(session, (80, 24)))  # none unless one is given


@pytest.mark.parametrize(("walk", "first"), [(["", "n"], " Outcome: Resolved (resolved) "),
                                             ([""], "Interrupted at What do you see?")])
def test_a_banner_heads_every_end_screen(every_kind: Protocol, walk: list[str], first: str) -> None:
    session = walked(every_kind, walk)
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, height=24, force_terminal=False, highlight=False, markup=False)
    face = TerminalFace(clock=lambda: NOW, console=console, interactive=False, banner=BAR)
    face.intro(session, SESSION, NOW, False)
    face.finish(session, [{"event": "start", "ts": "2026-11-28T09:00:00.000Z", "node": "begin"}], "/logs/x.jsonl",
                "1f2e")
    assert buffer.getvalue().splitlines()[:2] == [BAR, first]


@pytest.mark.parametrize(("plain", "no_color", "terminal", "wanted"), [
    (False, "", True, False), (True, "", True, True), (False, "1", True, True), (False, "", False, True)])
def test_plain_mode_is_wanted_when_asked_without_colour_or_without_a_terminal(
        monkeypatch: pytest.MonkeyPatch, plain: bool, no_color: str, terminal: bool, wanted: bool) -> None:
    from aesthetic_protocols import faces

    monkeypatch.setenv("NO_COLOR", no_color)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setattr(faces, "can_draw", lambda term: True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: terminal, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert faces.wants_plain(plain) is wanted


@pytest.mark.skipif(os.name == "nt", reason="Windows consoles have no TERM")
@pytest.mark.parametrize(("term", "draws", "said"), [
    ("dumb", True, "this terminal (TERM=dumb) cannot draw the walker's screen"),
    ("unknown", True, "this terminal (TERM=unknown) cannot draw the walker's screen"),
    ("", True, "this terminal (TERM unset) cannot draw the walker's screen"),
    ("emacs", False, "this terminal (TERM=emacs) is unknown or cannot move the cursor"),
    ("\x1b[2J", False, "this terminal (TERM not a name) is unknown or cannot move the cursor"),
])
def test_a_terminal_that_cannot_draw_gets_the_plain_face_said_once(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], term: str, draws: bool, said: str) -> None:
    from aesthetic_protocols import faces

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", term)
    monkeypatch.setattr(faces, "can_draw", lambda name: draws)
    monkeypatch.setattr(faces, "_SAID", False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert faces.wants_plain(False) and faces.wants_plain(False)
    assert capsys.readouterr().err == f"protocol: {said}: plain mode is used\n"


# --- keys ------------------------------------------------------------------------------------------------


def test_key_mode_turns_signal_keys_off_and_is_restored_after_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    import termios

    master, slave = os.openpty()
    with os.fdopen(slave, "r") as terminal:
        monkeypatch.setattr(sys, "stdin", terminal)
        saved = termios.tcgetattr(slave)
        with pytest.raises(RuntimeError), keys.key_mode():
            lflag = termios.tcgetattr(slave)[3]
            assert not lflag & termios.ICANON and not lflag & termios.ECHO and not lflag & termios.ISIG
            os.write(master, "é".encode() + b"x\x1b\x1b[Bq\x1bOP\x03")
            assert [keys.read_key(1.0) for _ in range(7)] == ["é", "x", "\x1b", "\x1b[B", "q", "\x1bOP", "\x03"]
            assert keys.read_key(0.05) is None
            os.write(master, b"typed ahead")
            time.sleep(0.05)
            keys.drop_typed_ahead()
            assert keys.read_key(0.05) is None
            raise RuntimeError("a bug in the middle of the walk")
        assert termios.tcgetattr(slave) == saved
    os.close(master)


def test_the_line_editor_erases_cancels_and_ends_input(monkeypatch: pytest.MonkeyPatch,
                                                       every_kind: Protocol) -> None:
    master, slave = os.openpty()
    with os.fdopen(slave, "r") as terminal:
        monkeypatch.setattr(sys, "stdin", terminal)
        face = TerminalFace(console=Console(file=io.StringIO(), width=80, height=24), interactive=False)
        face.intro(walked(every_kind, []), SESSION, NOW, False)
        with keys.key_mode():
            os.write(master, b"2\x7f3\x04\r" + b"ab\x1b" + b"x\x7f\x04")
            assert face._read_line("> ", "1") == "13"  # Ctrl-D in a non-empty line is ignored
            assert face._read_line("> ", "") is None  # Escape
            assert face.status == "(cancelled)"
            with pytest.raises(EOFError):  # Ctrl-D once the line is empty again
                face._read_line("> ", "")
    os.close(master)


COMMANDS = Invalid("commands: note: TEXT, time: HH:MM, back, quit")


@pytest.mark.parametrize(("line", "reading"), [
    ("backup", COMMANDS), ("y", COMMANDS), ("v", COMMANDS), ("quitting", COMMANDS),
    ("note:", Invalid("a note needs text after 'note:'")),
    ("time: 25:00", Invalid("give the time as time: HH:MM (24-hour)")),
    ("Note: left side", Note("left side")), ("time: 8:15", DoneAt(time_of_day(8, 15))), ("BACK", Back()),
])
def test_the_command_line_takes_only_commands(every_kind: Protocol, monkeypatch: pytest.MonkeyPatch, line: str,
                                              reading: Reading) -> None:
    session = walked(every_kind, [""])  # at the question: "y" would answer it, "v" raise a red flag
    face = TerminalFace(clock=lambda: NOW, console=Console(file=io.StringIO(), width=80, height=24),
                        interactive=False)
    monkeypatch.setattr(face, "_read_line", lambda prompt, first: line)
    assert face._command_line(session) == reading


def test_at_the_command_line_the_status_shows_each_command_exactly_as_typed(every_kind: Protocol,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    session = walked(every_kind, [""])
    assert screen(session, (80, 24))[-1] == \
        "y/n answer · v red flag · Backspace back · : note: / time: / back · Esc quit"
    face = TerminalFace(clock=lambda: NOW, console=Console(file=io.StringIO(), width=80, height=24),
                        interactive=False)
    seen: list[str] = []
    monkeypatch.setattr(face, "_read_line", lambda prompt, first: seen.append(face.status) or "time: 8:15")
    assert face._command_line(session) == DoneAt(time_of_day(8, 15))
    assert seen == ["commands: note: TEXT, time: HH:MM, back, quit"] and face.status == ""  # gone once typed


# --- the walker in a real terminal (pexpect) ----------------------------------------------------------


def env_for(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES"}}
    env.update(AESTHETIC_PROTOCOLS_PATH=str(VALID), AESTHETIC_PROTOCOLS_LOG_DIR=str(tmp_path / "logs"),
               TERM="xterm-256color")
    return env


def events_of(tmp_path: Path) -> list[dict[str, Any]]:
    (log,) = (tmp_path / "logs").glob("*.jsonl")
    return [json.loads(line) for line in log.read_text().splitlines()]


def spawn(tmp_path: Path, *args: str) -> pexpect.spawn:
    return pexpect.spawn(sys.executable, ["-m", "aesthetic_protocols", *args], env=env_for(tmp_path),
                         dimensions=(24, 80), encoding="utf-8", timeout=20)


@pytest.mark.skipif(os.name == "nt", reason="Windows consoles have no TERM")
def test_with_term_dumb_a_real_terminal_walks_in_plain_mode(tmp_path: Path) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "aesthetic_protocols", "every-kind"],
                          env=env_for(tmp_path) | {"TERM": "dumb"}, dimensions=(24, 80), encoding="utf-8", timeout=20)
    child.expect("protocol: this terminal \\(TERM=dumb\\) cannot draw the walker's screen: plain mode is used")
    child.expect("Enter when done")
    child.sendline("")
    child.expect("answer: y, n")
    child.sendline("n")
    child.expect("Outcome: Resolved")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and events_of(tmp_path)[0]["face"] == "plain"


def press(child: pexpect.spawn, screen_text: str, key: str) -> None:
    """Wait for a screen, then press a key as a person would (after the screen is there)."""
    child.expect(screen_text)
    time.sleep((ENTER_GUARD_SECONDS if key in keys.ENTER else KEY_GUARD_SECONDS) + 0.1)
    child.send(key)


def test_bytes_that_are_no_text_typed_in_a_real_terminal_are_refused_and_the_walk_goes_on(tmp_path: Path) -> None:
    child = spawn(tmp_path, "every-kind")
    press(child, "Enter done", ":")
    os.write(child.child_fd, b"note: caf\xe9\r")  # Latin-1, as an old terminal or a paste sends it
    child.expect("not valid text: type it again")
    time.sleep(KEY_GUARD_SECONDS + 0.1)
    child.send("\r")  # the walk goes on: Enter = done
    press(child, "What do you see", "n")
    press(child, "Outcome: Resolved", "\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert [e["event"] for e in events_of(tmp_path)] == ["start", "answer", "answer", "outcome"]  # no note


def test_a_walk_in_a_real_terminal_with_an_upper_case_answer_reaches_the_outcome(tmp_path: Path) -> None:
    child = spawn(tmp_path, "every-kind")
    press(child, "Enter done", "\r")
    press(child, "What do you see", "Y")  # Caps Lock on: still the answer
    press(child, "number \\+ Enter", "2")
    child.expect("> 2")
    child.send("\r")
    press(child, "Enter done", "\r")
    press(child, r"Reassess at \d\d:\d\d \(60 min wait\)", "\r")  # continue early
    press(child, "Resolved\\?", "y")
    press(child, "Outcome: Resolved", "t")
    press(child, "what was recorded", "\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    events = events_of(tmp_path)
    assert [e["event"] for e in events] == ["start"] + ["answer"] * 4 + ["wait-started", "answer", "answer",
                                                                         "outcome"]
    assert events[0]["face"] == "terminal"
    assert events[2]["label"] == "Blanching" and events[6].get("early") is True


def test_a_red_flag_typed_in_upper_case(tmp_path: Path) -> None:
    child = spawn(tmp_path, "every-kind")
    press(child, "Enter done", "V")
    press(child, "Outcome: Emergency referral", "\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert events_of(tmp_path)[1]["event"] == "red-flag"


def test_quit_asks_first_by_escape_and_by_ctrl_c(tmp_path: Path) -> None:
    child = spawn(tmp_path, "every-kind")
    press(child, "Enter done", "\x1b")
    child.expect("Quit\\? The log is kept")
    child.send("n")  # not quitting; and not taken as an answer either
    child.expect("still here")
    child.send("\x03")  # Ctrl-C asks too
    child.expect("Quit\\? The log is kept")
    child.send("\x03")  # a second Ctrl-C confirms
    child.expect("Resume with: protocol resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3
    events = events_of(tmp_path)
    assert [e["event"] for e in events] == ["start", "interrupted"]
    assert events[-1]["reason"] == "Ctrl-C"


def test_a_double_enter_does_not_skip_the_next_screen(tmp_path: Path) -> None:
    child = spawn(tmp_path, "every-kind")
    child.expect("Enter done")
    time.sleep(ENTER_GUARD_SECONDS + 0.1)
    child.send("\r\r")  # the second Enter arrives before or just as the next screen is drawn
    press(child, "What do you see", "\x1b")
    child.expect("Quit\\?")
    child.send("y")
    child.expect(pexpect.EOF)
    child.close()
    assert [(e["event"], e["node"]) for e in events_of(tmp_path)][1:] == [("answer", "begin"),
                                                                          ("interrupted", "assess")]


def test_a_note_and_a_time_are_confirmed_on_screen(tmp_path: Path) -> None:
    child = spawn(tmp_path, "every-kind")
    press(child, "Enter done", ":")
    child.send("note: check lfet\x7f\x7f\x7feft side\r")
    child.expect("note recorded")
    at = (datetime.now().astimezone() - timedelta(minutes=5)).strftime("%H:%M")  # never ahead of the clock
    child.send(f":time: {at}\r")
    child.expect(f"time noted: this step was done at {at}")
    child.send("\r")
    press(child, "What do you see", "\x1b")
    child.send("y")
    child.expect(pexpect.EOF)
    child.close()
    events = events_of(tmp_path)
    assert events[1] == {**events[1], "event": "note", "text": "check left side"}
    done_at = datetime.fromisoformat(events[2]["done_at"].replace("Z", "+00:00"))
    assert events[2]["event"] == "answer" and f"{done_at.astimezone():%H:%M}" == at


def test_a_resumed_wait_keeps_its_due_time_in_a_real_terminal(tmp_path: Path) -> None:
    child = spawn(tmp_path, "every-kind")
    press(child, "Enter done", "\r")
    press(child, "What do you see", "y")
    press(child, "number \\+ Enter", "1")
    child.send("\r")
    press(child, "Enter done", "\r")
    child.expect(r"Reassess at (\d\d:\d\d) \(60 min wait\)")
    due = child.match.group(1)
    time.sleep(1.2)  # a resume later must not restart the wait
    child.send("\x1b")
    child.expect("Quit\\?")
    child.send("y")
    child.expect(pexpect.EOF)
    child.close()
    session = events_of(tmp_path)[0]["session"]
    resumed = spawn(tmp_path, "resume", session.rsplit("-", 1)[1])
    resumed.expect(r"Reassess at (\d\d:\d\d) \(60 min wait\): (\d\d):(\d\d) left")
    assert resumed.match.group(1) == due
    assert int(resumed.match.group(2)) * 60 + int(resumed.match.group(3)) < 3599
    time.sleep(KEY_GUARD_SECONDS + 0.1)
    resumed.send("\x1b")
    resumed.expect("Quit\\?")
    resumed.send("y")
    resumed.expect(pexpect.EOF)
    resumed.close()
    assert [e["event"] for e in events_of(tmp_path)].count("wait-started") == 1


@pytest.mark.parametrize("ending", ["escape", "ctrl-c", "sigterm"])
def test_the_terminal_mode_is_restored_when_the_walk_ends(tmp_path: Path, ending: str) -> None:
    before, after = tmp_path / "before.txt", tmp_path / "after.txt"
    script = (f"stty -a > {before}; (echo pid=$BASHPID; exec {sys.executable} -m aesthetic_protocols every-kind); "
              f"echo exit=$?; stty -a > {after}; stty -a")
    child = pexpect.spawn("/bin/bash", ["-c", script], env=env_for(tmp_path), dimensions=(24, 80),
                          encoding="utf-8", timeout=20)
    child.logfile_read = io.StringIO()
    child.expect(r"pid=(\d+)")
    pid = int(child.match.group(1))
    if ending == "sigterm":
        child.expect("Enter done")
        os.kill(pid, signal.SIGTERM)
    else:
        press(child, "Enter done", "\x1b" if ending == "escape" else "\x03")
        child.expect("Quit\\?")
        child.send("y")
    child.expect("exit=3")
    child.expect(pexpect.EOF)
    child.close()
    # The main screen back and the cursor shown, after the walk's screen: whichever way it ended.
    seen = child.logfile_read.getvalue()
    assert seen.rindex("\x1b[?1049l") > seen.rindex("\x1b[?1049h")
    assert seen.rindex("\x1b[?25h") > seen.rindex("\x1b[?25l")
    printed = after.read_text()
    words = printed.replace(";", " ").split()
    assert "icanon" in words and "echo" in words and "isig" in words
    assert printed == before.read_text()


def test_no_color_forces_plain_mode_even_in_a_terminal(tmp_path: Path) -> None:
    env = env_for(tmp_path) | {"NO_COLOR": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "aesthetic_protocols", "every-kind"], env=env, dimensions=(24, 80),
                          encoding="utf-8", timeout=20)
    child.expect("At any prompt: back, note: TEXT, time: HH:MM, quit")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3
    assert events_of(tmp_path)[0]["face"] == "plain"


# --- record fields and headlines ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def records() -> Protocol:
    return load_file(VALID / "records.yaml").protocol


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_headline_is_pinned_under_the_title(records: Protocol, size: tuple[int, int]) -> None:
    session = walked(records, ["Brand X", "", "1", "", "", "2"])
    lines = screen(session, size)
    assert lines[2:4] == ["Treat", "Give 1000 U now"]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_a_record_field_is_pinned_and_the_fields_so_far_are_listed(records: Protocol, size: tuple[int, int]) -> None:
    session = walked(records, ["Brand X", "", "1", "", "", "2", "", "l"])
    lines = screen(session, size)
    assert lines[2:4] == ["Record what was given", "▶ Dose given: number in U, 0-3000; Enter = 1000 U (dose, as shown)"]
    assert " ✓ Diluent: Lidocaine 1%" in lines and " ▶ Dose given" in lines
    assert lines[-1].startswith("type the value + Enter · v red flag")


def test_a_resized_window_is_refitted(tmp_path: Path) -> None:
    child = spawn(tmp_path, "every-kind")
    child.expect("DRAFT: not approved for care; check your local protocol")  # 80 columns: the short banner
    child.setwinsize(30, 100)
    child.expect("DRAFT reference content, not approved by a clinician")  # redrawn at the new width
    time.sleep(KEY_GUARD_SECONDS)
    child.send("\x1b")
    child.expect("Quit\\?")
    child.send("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3


def test_resume_without_an_id_picks_a_session_in_a_terminal(tmp_path: Path) -> None:
    child = spawn(tmp_path, "every-kind")
    press(child, "Enter done", "\r")
    press(child, "What do you see", "\x1b")
    child.expect("Quit\\?")
    child.send("y")
    child.expect(pexpect.EOF)
    child.close()
    picker = spawn(tmp_path, "resume")
    picker.expect(r" 1  \d{4}-\d\d-\d\d \d\d:\d\d UTC  no patient ref  every-kind  "
                  r"at \"What do you see\?\"  \(id [0-9a-f]{4}\)")
    picker.expect(r"Resume which session \(1-1, Enter = 1\)\? ")
    picker.send("\r")
    press(picker, "What do you see", "n")
    press(picker, "Outcome: Resolved", "\r")
    picker.expect(pexpect.EOF)
    picker.close()
    assert picker.exitstatus == 0
    assert [e["event"] for e in events_of(tmp_path)][-3:] == ["resumed", "answer", "outcome"]


def test_a_choice_field_is_one_keystroke_in_either_case_and_the_key_bar_says_so() -> None:
    protocol = load_file(VALID / "records.yaml").protocol
    session = walked(protocol, ["Brand X", "", "1", "", "", "2", ""])
    assert session.field is not None and session.field.id == "diluent"
    face = TerminalFace(clock=lambda: NOW, console=Console(file=io.StringIO(), width=80, height=24),
                        interactive=False)
    assert face._field(session, "L") == Answer("l")
    assert face._field(session, "2") == Answer("l")
    assert face._field(session, "x") == Invalid("answer with one of s, l (or 1-2)")
    lines = screen(session, (80, 24))
    assert lines[-1].startswith("s/l choose · v red flag")


@pytest.fixture(scope="module")
def decide() -> Protocol:
    return load_file(VALID / "decide.yaml").protocol


def test_a_decisions_because_line_is_under_the_title(decide: Protocol) -> None:
    check = decide.nodes["check"]
    assert check.kind == "decide"
    to_treat = check.rules[1].model_copy(update={"next": "treat"})
    routed = check.model_copy(update={"rules": [check.rules[0], to_treat]})
    protocol = decide.model_copy(update={"nodes": {**decide.nodes, "check": routed}})
    lines = screen(walked(protocol, ["t", "y", "2030-01-01", "", ""]), (80, 24))
    title = next(index for index, line in enumerate(lines) if line.strip() == "Treat")
    assert lines[title + 1].strip() == "Decided: Toxin is planned for a patient who is pregnant or breastfeeding."


def test_an_early_continue_is_asked_with_one_key(decide: Protocol) -> None:
    session = walked(decide, ["f", "n", "2030-01-01", "", "", ""])
    session.apply(Answer(""), NOW)  # before the 30 minutes are up
    lines = screen(session, (100, 24))
    assert any(line.startswith("Continue before the recheck is due?  y = yes, continue early   any other key = "
                               "keep waiting") for line in lines)
    assert lines[-1].rstrip() == "y continue early · any other key keep waiting · Esc quit"  # nothing else works
    face = TerminalFace(clock=lambda: NOW, interactive=False)
    assert face._key(session, session.node, "y") == Answer("y")
    assert face._key(session, session.node, "\r") == Answer("n")


def test_a_value_refused_against_now_stays_on_the_line_with_the_reason(decide: Protocol,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    session = walked(decide, ["f", "n", "2030-01-01"])  # at "Massage until", at most 30 minutes ahead
    face = TerminalFace(clock=lambda: NOW, console=Console(file=io.StringIO(), width=80, height=24),
                        interactive=False)
    typed = iter(["10:00", "09:20"])
    offered: list[tuple[str, str]] = []

    def read_line(prompt: str, first: str) -> str:
        offered.append((first, face.status))
        return next(typed)

    monkeypatch.setattr(face, "_read_line", read_line)
    assert face._field(session, "1") == Answer("09:20")
    assert offered == [("1", ""), ("10:00", "at most 30 minutes after now")]


# --- the key guards and the red-flag rule, on an injected clock and keyboard -------------------------


class Keyboard:
    """Keys pressed at given seconds after the screen was drawn; the face's monotonic clock follows them."""

    def __init__(self, presses: list[tuple[float, str]]) -> None:
        self.presses = list(presses)
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def read_key(self, timeout: float | None) -> str | None:
        if not self.presses:
            if timeout == 0:
                return None
            raise AssertionError("the face read more keys than were pressed")
        at, key = self.presses[0]
        if timeout == 0 and 100.0 + at > self.now:
            return None  # not typed yet: nothing waiting
        self.presses.pop(0)
        self.now = max(self.now, 100.0 + at)
        return key


def keyed_face(session: Session, presses: list[tuple[float, str]]) -> tuple[TerminalFace, Keyboard]:
    board = Keyboard(presses)
    face = TerminalFace(clock=lambda: NOW, console=Console(file=io.StringIO(), width=80, height=24),
                        interactive=False, monotonic=board.monotonic, read_key=board.read_key)
    face.intro(session, SESSION, NOW, False)
    face.show(session, NOW)
    return face, board


@pytest.mark.parametrize("gap", [0.2, 0.35, 0.5])
def test_a_second_enter_within_the_guard_is_dropped_and_the_status_says_so(every_kind: Protocol,
                                                                            gap: float) -> None:
    session = walked(every_kind, [])
    face, _ = keyed_face(session, [(gap, "\r"), (gap + 1.0, "\r")])
    assert face.read(session, NOW) == Answer("")  # the second, deliberate Enter
    assert face.status == "Enter ignored: the screen had just changed. Read it, then press Enter again"
    dropped, _ = keyed_face(session, [(gap, "\r")])
    with pytest.raises(AssertionError, match="more keys"):  # the first Enter alone never answers
        dropped.read(session, NOW)


def test_an_enter_after_the_guard_is_taken(every_kind: Protocol) -> None:
    session = walked(every_kind, [])
    face, _ = keyed_face(session, [(ENTER_GUARD_SECONDS + 0.05, "\r")])
    assert face.read(session, NOW) == Answer("") and face.status == ""


def test_at_a_text_field_a_letter_is_text_and_bang_raises_the_flag(records: Protocol) -> None:
    session = walked(records, [])
    assert session.at_text_field
    face, _ = keyed_face(session, [(1, "v"), (1.1, "\r")])
    assert face.read(session, NOW) == Answer("v")
    face, _ = keyed_face(session, [(1, "!"), (1.1, "V")])
    assert face.read(session, NOW) == FlagRaised("v")
    face, _ = keyed_face(session, [(1, "!"), (1.1, "x"), (1.2, "\r")])  # `!x` is text
    assert face.read(session, NOW) == Answer("!x")
    lines = screen(session, (80, 24))
    assert any(line.startswith("RED FLAGS  [!V] Vision change") for line in lines)
    assert "type the value + Enter · !v red flag · : note: / time: / back · Esc quit" in lines


def test_elsewhere_a_flag_is_its_key_alone_or_bang_then_key(records: Protocol, every_kind: Protocol) -> None:
    session = walked(every_kind, [])
    face, _ = keyed_face(session, [(1, "!"), (1.1, "v")])
    assert face.read(session, NOW) == FlagRaised("v")
    face, _ = keyed_face(session, [(1, "V")])
    assert face.read(session, NOW) == FlagRaised("v")
    at_number = walked(records, ["Brand X", ""])  # "Volume injected": a number field, where no letter is text
    assert not at_number.at_text_field
    face, _ = keyed_face(at_number, [(1, "v")])
    assert face.read(at_number, NOW) == FlagRaised("v")


def test_a_pasted_line_is_taken_whole_with_one_redraw(every_kind: Protocol) -> None:
    session = walked(every_kind, [""])
    note = "word " * 399 + "end."  # 1,999 characters
    presses = [(1.0, ":")] + [(1.0, key) for key in "note: " + note] + [(1.0, "\r")]
    face, _ = keyed_face(session, presses)
    drawn: list[int] = []
    face._draw = lambda: drawn.append(1)  # type: ignore[method-assign]
    began = time.perf_counter()
    assert face.read(session, NOW) == Note(note)
    assert time.perf_counter() - began < 0.5
    assert len(drawn) < 10


def test_question_mark_shows_the_full_citations_at_once(vascular: Protocol) -> None:
    session = walked(vascular, [*TO_PULSE, "V"])  # a long step: the citations are pages down
    assert not any(line.startswith("  CMAC-VISION-2021:") for line in screen(session, (80, 24)))
    lines = screen(session, (80, 24), before=lambda face: face._key(session, session.node, "?"))
    assert any(line.startswith("  CMAC-VISION-2021:") or line.startswith("  WALKER-2018:") for line in lines)
    assert "full citations below; ? hides them" in lines
    assert lines[2] == "EYE EMERGENCY: call now"


def test_a_note_over_the_limit_stays_on_the_line_with_the_reason(every_kind: Protocol) -> None:
    session = walked(every_kind, [""])
    note = "a" * 2100
    presses = [(1.0, ":"), *[(1.0, key) for key in "note: " + note], (1.0, "\r"),
               *[(2.0, "\x7f")] * 100, (2.0, "\r")]
    face, _ = keyed_face(session, presses)
    assert face.read(session, NOW) == Note("a" * 2000)
    assert face.status == ("a note holds at most 2000 characters; split it into several (2,100 typed); "
                           "the note is kept here: shorten it")


def test_a_tick_redraws_only_when_the_clock_or_countdown_changed(every_kind: Protocol) -> None:
    session = walked(every_kind, ["", "y", "1", ""])  # at the wait: a countdown
    moments = [NOW + timedelta(milliseconds=250 * i) for i in range(12)]
    ticks = iter(moments)
    board = Keyboard([])
    quiet = iter([None] * 11 + ["\r"])
    face = TerminalFace(clock=lambda: next(ticks, moments[-1]), console=Console(file=io.StringIO(), width=80,
                        height=24), interactive=False, monotonic=board.monotonic,
                        read_key=lambda timeout: next(quiet))
    face.intro(session, SESSION, NOW, False)
    drawn: list[int] = []
    face._draw = lambda: drawn.append(1)  # type: ignore[method-assign]
    assert face._next_key() == "\r"
    assert 2 <= len(drawn) <= 4  # 11 ticks over ~3 s: one redraw a second, not one a tick


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_every_option_and_an_emergency_s_first_action_are_above_the_fold(vascular: Protocol,
                                                                          size: tuple[int, int]) -> None:
    nodules = load_file(BUNDLED / "nodules.yaml").protocol
    # 0.3.0: not an occlusion, the filler record (product, batch, date, site, the lump, no photograph), early
    # onset, no spreading infection: the lump's kind.
    lines = screen(walked(nodules, ["n", "Brand", "", "2026-11-01", "lips", "firm, tender", "", "e", "n"]), size)
    assert lines[2] == "What kind of lump is it?"
    options = [line[:4] for line in lines if re.match(r" \[[a-z]\] ", line)]
    assert options == [" [p]", " [i]", " [n]", " [u]"]  # all of them, before the evidence
    evidence = next(i for i, line in enumerate(lines) if line.startswith("Fluctuance is not the test"))
    assert evidence > max(i for i, line in enumerate(lines) if line.startswith(" [u]"))
    assert any(line.startswith("RED FLAGS  [S] Sepsis") for line in lines)
    assert lines[-1].endswith("Esc quit")
    eye = screen(walked(vascular, [*TO_PULSE, "V"]), size)
    first = next(i for i, line in enumerate(eye) if line.startswith(' [ ] Call now. Say: "suspected retinal artery'))
    assert first == (5 if size == (80, 24) else 4)  # under the title and headline, before any evidence
    assert eye[first - 1].endswith("retinal artery occlusion") or eye[first - 1] == "occlusion"
    assert not any("Sudden vision loss" in line for line in eye[:first])


def test_the_terminal_face_loads_the_handover_screen_only_at_a_handover() -> None:
    # The first frame of an ordinary walk needs neither the handover state nor its screen (startup time).
    probe = ("import sys; import aesthetic_protocols.faces.terminal; "
             "print(sorted(n for n in sys.modules if n.endswith('handover')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


# --- the screen of an interactive walk: a whole frame per step or size, else only the rows that changed -----

# Sarah's walk on to the 60-minute wait: the pulse done and recorded (saline, 3 areas, 1500 U, now), no adjunct.
TO_WAIT = [*TO_PULSE, "", "n", "", "1500", "", "n"]


def cells(written: str, size: tuple[int, int], terminal: pyte.Screen | None = None) -> pyte.Screen:
    """A terminal of `size` (columns, rows) after `written` (fed on from `terminal` when given)."""
    if terminal is None:
        terminal = pyte.Screen(*size)
        terminal.set_mode(pyte.modes.LNM)  # a terminal's line discipline turns \n into \r\n
    pyte.Stream(terminal).feed(written)
    return terminal


def picture(terminal: pyte.Screen) -> list[list[Any]]:
    """Every cell: its character and its style."""
    return [[terminal.buffer[y][x] for x in range(terminal.columns)] for y in range(terminal.lines)]


def terminal_console(size: tuple[int, int]) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=size[0], height=size[1], force_terminal=True, color_system="standard",
                   highlight=False, markup=False, emoji=False, legacy_windows=False), buffer


def as_live_drew(session: Session, size: tuple[int, int], now: datetime) -> pyte.Screen:
    """The screen as rich's Live(screen=True) drew it before (the whole screen at every redraw)."""
    from rich.live import Live

    from aesthetic_protocols.faces.terminal import _Screen

    console, buffer = terminal_console(size)
    face = TerminalFace(clock=lambda: now, console=console, interactive=False)
    face.intro(session, SESSION, NOW, False)
    with Live(_Screen(face), console=console, screen=True, auto_refresh=False, redirect_stdout=False,
              redirect_stderr=False):
        pass
    return cells(buffer.getvalue(), size)


class Ticks:
    """A keyboard that lets `quiet` ticks pass (a second each on the walk's clock) before each key, noting where
    the written output stood at every tick."""

    def __init__(self, buffer: io.StringIO, presses: list[tuple[int, str]]) -> None:
        self.buffer, self.presses, self.now, self.marks = buffer, list(presses), NOW, [0]

    def clock(self) -> datetime:
        return self.now

    def read_key(self, timeout: float | None) -> str | None:
        self.marks.append(len(self.buffer.getvalue()))
        quiet, key = self.presses[0]
        if quiet:
            self.presses[0] = (quiet - 1, key)
            self.now += timedelta(seconds=1)
            return None
        self.presses.pop(0)
        return key

    def writes(self) -> list[str]:
        """What was written between one read and the next."""
        text = self.buffer.getvalue()
        return [text[a:b] for a, b in zip(self.marks[1:], self.marks[2:], strict=False)]


def interactive_face(monkeypatch: pytest.MonkeyPatch, size: tuple[int, int],
                     presses: list[tuple[int, str]]) -> tuple[TerminalFace, Ticks, io.StringIO]:
    """The face of a walk in a terminal (keys from `presses`, the terminal's modes left alone)."""
    monkeypatch.setattr(keys, "key_mode", __import__("contextlib").nullcontext)
    monkeypatch.setattr(keys, "drop_typed_ahead", lambda: None)
    console, buffer = terminal_console(size)
    board = Ticks(buffer, presses)
    face = TerminalFace(clock=board.clock, console=console, interactive=True, monotonic=lambda: 0.0,
                        read_key=board.read_key)
    return face, board, buffer


def rows_written(written: str) -> list[int]:
    return [int(row) for row in re.findall(r"\x1b\[(\d+);1H", written)]


def test_a_tick_during_a_wait_rewrites_only_the_clock_and_countdown_rows(vascular: Protocol,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    session = walked(vascular, TO_WAIT)
    face, board, buffer = interactive_face(monkeypatch, (80, 24), [(5, "x")])
    face.intro(session, SESSION, NOW, False)
    with face.active():
        face.show(session, board.now)
        assert face._next_key() == "x"
        ticks = board.writes()
    shown = cells(buffer.getvalue(), (80, 24))
    lines = [line.rstrip() for line in shown.display]
    assert lines[0].endswith("00:05 elapsed  session 1f2e") and lines[2] == "Reassess at 60 minutes"
    countdown = lines.index("Reassess at 10:00 (60 min wait): 59:55 left") + 1
    assert len(ticks) == 5
    for tick in ticks:  # the full frame was 2,200 bytes at every tick
        assert rows_written(tick) == [1, countdown] and len(tick.encode()) < 400
    assert picture(shown) == picture(as_live_drew(session, (80, 24), board.now))


def test_a_new_step_and_a_resize_are_drawn_whole(every_kind: Protocol, monkeypatch: pytest.MonkeyPatch) -> None:
    session = walked(every_kind, [])
    face, board, buffer = interactive_face(monkeypatch, (80, 24), [(0, "x"), (1, "y")])
    face.intro(session, SESSION, NOW, False)
    with face.active():
        face.show(session, NOW)
        assert rows_written(buffer.getvalue()) == list(range(1, 25))  # the first frame, once
        terminal = cells(buffer.getvalue(), (80, 24))
        assert face._next_key() == "x"
        session.apply(Answer(""), NOW)
        start = len(buffer.getvalue())
        face.show(session, NOW)  # a new step
        assert rows_written(buffer.getvalue()[start:]) == list(range(1, 25))
        cells(buffer.getvalue()[start:], (80, 24), terminal)
        assert [line.rstrip() for line in terminal.display][2] == "What do you see?"
        assert picture(terminal) == picture(as_live_drew(session, (80, 24), NOW))
        face.console.size = (120, 40)  # the window resized: the next tick notices
        start = len(buffer.getvalue())
        assert face._next_key() == "y"
        resized = buffer.getvalue()[start:]
    assert rows_written(resized) == list(range(1, 41))
    terminal.resize(40, 120)
    cells(resized, (120, 40), terminal)
    lines = [line.rstrip() for line in terminal.display]
    assert lines[1] == "DRAFT reference content, not approved by a clinician: check against your local protocol"
    assert lines[2] == "What do you see?" and lines[-1].endswith("Esc quit")
    assert picture(terminal) == picture(as_live_drew(session, (120, 40), board.now))


ENTER_SCREEN, LEAVE_SCREEN = "\x1b[?1049h\x1b[H\x1b[?25l", "\x1b[?25h\x1b[?1049l"


def test_the_terminal_is_restored_after_the_walk_and_after_an_error(every_kind: Protocol,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    session = walked(every_kind, ["", "n"])  # at the outcome
    face, _, buffer = interactive_face(monkeypatch, (80, 24), [(0, "q")])
    face.intro(session, SESSION, NOW, False)
    with face.active():
        face.show(session, NOW)
        face.finish(session, [{"event": "start", "ts": "2026-11-28T09:00:00.000Z", "node": "begin"}],
                    "/logs/x.jsonl", SESSION)
    written = buffer.getvalue()
    assert written.startswith(ENTER_SCREEN) and written.count(LEAVE_SCREEN) == 1
    assert written.index(LEAVE_SCREEN) < written.index("Outcome: Resolved")  # the outcome stays on the main screen
    face, _, buffer = interactive_face(monkeypatch, (80, 24), [])
    face.intro(walked(every_kind, [""]), SESSION, NOW, False)
    with pytest.raises(RuntimeError), face.active():
        raise RuntimeError("a bug in the middle of the walk")
    assert buffer.getvalue().startswith(ENTER_SCREEN) and buffer.getvalue().endswith(LEAVE_SCREEN)
    assert not cells(buffer.getvalue(), (80, 24)).cursor.hidden


def test_ctrl_l_redraws_the_whole_screen(vascular: Protocol, monkeypatch: pytest.MonkeyPatch) -> None:
    # On the same step only changed rows are written, so whatever another program wrote over the screen would
    # stay until the next step; Ctrl-L writes every row again.
    session = walked(vascular, TO_WAIT)
    face, board, buffer = interactive_face(monkeypatch, (80, 24), [(0, keys.CTRL_L), (0, "x")])
    face.intro(session, SESSION, NOW, False)
    with face.active():
        face.show(session, board.now)
        start = len(buffer.getvalue())
        assert face._key(session, session.node, face._next_key()) is None
        assert rows_written(buffer.getvalue()[start:]) == list(range(1, 25))
        assert face._next_key() == "x"
