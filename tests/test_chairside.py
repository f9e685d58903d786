"""The walker in a real pseudo-terminal, and what survives SIGKILL and SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pexpect
import pytest

VALID = Path(__file__).parent / "fixtures" / "valid"


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR"}}
    env.update(AESTHETIC_PROTOCOLS_PATH=str(VALID), AESTHETIC_PROTOCOLS_LOG_DIR=str(tmp_path / "logs"),
               TERM="xterm-256color", COLUMNS="100", LINES="40", **extra)
    return env


def events_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def only_log(tmp_path: Path) -> Path:
    (log,) = (tmp_path / "logs").glob("*.jsonl")
    return log


def test_rich_face_in_a_real_terminal_walks_to_an_outcome(tmp_path: Path) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "aesthetic_protocols", "every-kind"], env=env_for(tmp_path),
                          dimensions=(40, 100), encoding="utf-8", timeout=20)
    child.expect("DRAFT reference content")
    child.expect("RED FLAGS")
    child.expect(r"Enter when done")
    child.send("\r")
    child.expect("What do you see")
    child.send("S")  # sources toggle: the full citation appears, nothing is answered
    child.send("y")
    child.expect("Areas affected")
    child.expect("> ")
    child.send("2\r")
    child.expect("Give 1000 U across 2 area")
    child.send("\r")
    child.expect("Reassess at")
    child.expect("remaining")  # the live countdown ticks
    child.send("\r")  # continue early
    child.expect("Resolved\\?")
    child.send("y")
    child.expect("Outcome: Resolved")
    child.expect("Log: ")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    events = events_of(only_log(tmp_path))
    assert [e["event"] for e in events] == ["start"] + ["answer"] * 6 + ["outcome"]
    assert events[0]["face"] == "terminal"
    assert events[5].get("early") is True


def test_ctrl_c_in_the_terminal_interrupts_with_exit_3(tmp_path: Path) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "aesthetic_protocols", "every-kind"], env=env_for(tmp_path),
                          dimensions=(40, 100), encoding="utf-8", timeout=20)
    child.expect("Enter when done")
    child.sendintr()
    child.expect("Resume with: protocol resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3
    assert events_of(only_log(tmp_path))[-1] == {**events_of(only_log(tmp_path))[-1], "event": "interrupted",
                                                 "reason": "Ctrl-C"}


def _spawn_plain(tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "aesthetic_protocols", "every-kind", "--plain"],
                            env=env_for(tmp_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _answer(proc: subprocess.Popen[str], line: str, until: str) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    while until not in proc.stdout.readline():
        pass


def _wait_for(proc: subprocess.Popen[str], text: str) -> None:
    assert proc.stdout is not None
    while text not in proc.stdout.readline():
        pass


def test_sigkill_mid_session_then_resume_keeps_every_answered_step(tmp_path: Path) -> None:
    proc = _spawn_plain(tmp_path)
    _wait_for(proc, "Enter when done")
    _answer(proc, "", "answer: y, n")
    _answer(proc, "y", "enter a number")
    _answer(proc, "3", "Enter when done")  # the prompt after '3' is shown only once '3' is synced
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    log = only_log(tmp_path)
    assert [e.get("answer") for e in events_of(log) if e["event"] == "answer"] == ["", "y", "3"]
    resumed = subprocess.run([sys.executable, "-m", "aesthetic_protocols", "resume", log.stem, "--plain"],
                             env=env_for(tmp_path), input="\n\ny\n", capture_output=True, text=True, timeout=30)
    assert resumed.returncode == 0, resumed.stderr
    events = events_of(log)
    assert [(e["event"], e.get("answer")) for e in events] == [
        ("start", None), ("answer", ""), ("answer", "y"), ("answer", "3"), ("resumed", None),
        ("answer", ""), ("answer", ""), ("answer", "y"), ("outcome", None)]
    assert subprocess.run([sys.executable, "-m", "aesthetic_protocols", "log", "verify", str(log)],
                          env=env_for(tmp_path), capture_output=True).returncode == 0


def test_sigterm_interrupts_records_and_exits_3(tmp_path: Path) -> None:
    proc = _spawn_plain(tmp_path)
    _wait_for(proc, "Enter when done")
    _answer(proc, "", "answer: y, n")
    time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 3
    assert "session interrupted (SIGTERM)" in stderr
    assert events_of(only_log(tmp_path))[-1]["reason"] == "SIGTERM"


@pytest.mark.parametrize("env_name", ["NO_COLOR"])
def test_no_color_forces_plain_mode_even_in_a_terminal(tmp_path: Path, env_name: str) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "aesthetic_protocols", "every-kind"],
                          env=env_for(tmp_path, **{env_name: "1"}), dimensions=(40, 100), encoding="utf-8",
                          timeout=20)
    child.expect("At any prompt: back, note: TEXT, time: HH:MM, quit")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3
    assert events_of(only_log(tmp_path))[0]["face"] == "plain"


def test_terminal_face_shows_protocol_text_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    from datetime import UTC, datetime

    from aesthetic_protocols.chairside import TerminalFace
    from aesthetic_protocols.engine import FlagRaised, Session
    from aesthetic_protocols.loader import load_file

    monkeypatch.setenv("COLUMNS", "100")
    protocol = load_file(VALID / "every-kind.yaml").protocol
    node = protocol.nodes["begin"].model_copy(update={"text": "Use [bold]this[/bold] :smile: as typed."})
    protocol = protocol.model_copy(update={"nodes": {**protocol.nodes, "begin": node}})
    session = Session(protocol)
    buffer = io.StringIO()
    face = TerminalFace(file=buffer)
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    face.show(session, now)
    events = [{"event": "red-flag", "node": "begin", "key": "v", "label": "Vision change", "goto": "emergency",
               "ts": "2026-11-27T12:00:00.000Z"}]
    session.apply(FlagRaised("v"), now)
    face.finish(session, events, "/logs/x.jsonl", "x")
    text = buffer.getvalue()
    assert "Use [bold]this[/bold] :smile: as typed." in text
    assert "RED FLAG [v] Vision change -> emergency" in text
    assert "RED FLAGS  [v] Vision change" in text


def test_a_closed_output_pipe_stops_quietly_and_a_walk_records_it(tmp_path: Path) -> None:
    shown = subprocess.run(f"{sys.executable} -m aesthetic_protocols show every-kind | head -1", shell=True,
                           env=env_for(tmp_path), capture_output=True, text=True, executable="/bin/bash")
    assert (shown.stdout, shown.stderr) == ("every-kind 1.0.0 (draft) - Example tree using every node kind\n", "")
    walk = subprocess.Popen([sys.executable, "-m", "aesthetic_protocols", "every-kind", "--plain"],
                            env=env_for(tmp_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert walk.stdout is not None and walk.stdin is not None
    walk.stdout.readline()
    walk.stdout.close()  # the reader goes away
    walk.stdin.write("\n" * 3)
    walk.stdin.close()
    assert walk.wait(timeout=20) == 141
    assert events_of(only_log(tmp_path))[-1]["reason"] == "output closed"


# --- keys typed ahead, line editing and the terminal's mode (terminal face) ------------------------


def _spawn_terminal(tmp_path: Path) -> pexpect.spawn:
    return pexpect.spawn(sys.executable, ["-m", "aesthetic_protocols", "every-kind"], env=env_for(tmp_path),
                         dimensions=(40, 100), encoding="utf-8", timeout=20)


def _answers(tmp_path: Path) -> list[tuple[str, str]]:
    return [(e["node"], e["answer"]) for e in events_of(only_log(tmp_path)) if e["event"] == "answer"]


def test_keys_typed_in_one_burst_are_all_honoured_in_order(tmp_path: Path) -> None:
    child = _spawn_terminal(tmp_path)
    child.expect("Enter when done")
    child.send("\r" + "y" + "2\r" + "\r")  # begin -> assess -> areas -> treat, faster than the screen redraws
    child.expect("Reassess at")
    child.send("\r" + "y")  # continue early, resolved
    child.expect("Outcome: Resolved")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert [e["event"] for e in events_of(only_log(tmp_path))] == ["start"] + ["answer"] * 6 + ["outcome"]
    assert _answers(tmp_path) == [("begin", ""), ("assess", "y"), ("areas", "2"), ("treat", ""), ("wait", ""),
                                  ("better", "y")]


def test_a_note_corrected_with_backspace_is_recorded_corrected(tmp_path: Path) -> None:
    child = _spawn_terminal(tmp_path)
    child.expect("Enter when done")
    # DEL (what Backspace sends) erases one character each, a two-byte UTF-8 character included.
    child.send("N" + "check lfet\x7f\x7f\x7feft side é\x7fè" + "\r" + "Q")
    child.expect("note recorded")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3
    events = events_of(only_log(tmp_path))
    assert [(e["event"], e["node"]) for e in events[1:]] == [("note", "begin"), ("interrupted", "begin")]
    assert events[1]["text"] == "check left side è"
    assert events[2]["reason"] == "quit"


def test_escape_cancels_the_time_and_the_number_and_arrow_keys_are_not_commands(tmp_path: Path) -> None:
    child = _spawn_terminal(tmp_path)
    child.expect("Enter when done")
    child.send("T12:3" + "\x1b"  # Escape at the time prompt: back to the step, nothing noted
               + "\r"  # begin done, with no time attached
               + "\x1b[B"  # the down arrow at a question: its "B" is not the Back command
               + "y"
               + "9" + "\x1b" + "2\r"  # Escape clears the number; 2 is the answer
               + "T09:15\r" + "\r"  # a time that is not cancelled dates the next answer
               + "Q")
    child.expect(r"\(cancelled\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3
    events = events_of(only_log(tmp_path))
    assert [e["event"] for e in events] == ["start", "answer", "answer", "answer", "answer", "interrupted"]
    assert _answers(tmp_path) == [("begin", ""), ("assess", "y"), ("areas", "2"), ("treat", "")]
    assert [e.get("done_at", "")[10:16] for e in events if e["event"] == "answer"] == ["", "", "", "T09:15"]
    assert events[-1]["node"] == "wait"


@pytest.mark.parametrize("ending", ["quit", "Ctrl-C"])
def test_the_terminal_mode_is_restored_when_the_walk_ends(tmp_path: Path, ending: str) -> None:
    before, after = tmp_path / "before.txt", tmp_path / "after.txt"
    script = (f"stty -a > {before}; {sys.executable} -m aesthetic_protocols every-kind; echo exit=$?; "
              f"stty -a > {after}; stty -a")
    child = pexpect.spawn("/bin/bash", ["-c", script], env=env_for(tmp_path), dimensions=(40, 100),
                          encoding="utf-8", timeout=20)
    child.expect("Enter when done")
    if ending == "quit":
        child.send("Q")
    else:
        child.sendintr()
    child.expect("exit=3")
    child.expect(pexpect.EOF)
    child.close()
    printed = after.read_text()
    words = printed.replace(";", " ").split()
    assert "icanon" in words and "echo" in words and "isig" in words
    assert printed == before.read_text()


def test_cbreak_for_the_whole_walk_keeps_isig_and_is_restored_after_an_exception(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import termios

    from aesthetic_protocols.chairside import TerminalFace, _read_key

    master, slave = os.openpty()
    with os.fdopen(slave, "r") as terminal:
        monkeypatch.setattr(sys, "stdin", terminal)
        saved = termios.tcgetattr(slave)
        face = TerminalFace(file=io.StringIO())
        with pytest.raises(RuntimeError), face.active():
            lflag = termios.tcgetattr(slave)[3]
            assert not lflag & termios.ICANON and not lflag & termios.ECHO and lflag & termios.ISIG
            os.write(master, "é".encode() + b"x\x1b\x1b[Bq\x1bOP")
            assert [_read_key(1.0) for _ in range(6)] == ["é", "x", "\x1b", "\x1b[B", "q", "\x1bOP"]
            assert _read_key(0.05) is None
            raise RuntimeError("a bug in the middle of the walk")
        assert termios.tcgetattr(slave) == saved
    os.close(master)


def test_the_line_editor_erases_cancels_and_ends_input(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from aesthetic_protocols.chairside import TerminalFace

    master, slave = os.openpty()
    with os.fdopen(slave, "r") as terminal:
        monkeypatch.setattr(sys, "stdin", terminal)
        shown = io.StringIO()
        face = TerminalFace(file=shown)
        with face.active():
            os.write(master, b"12\x7f3\x04\r" + b"ab\x1b" + b"x\x7f\x04")
            assert face._read_line("> ") == "13"  # Ctrl-D in a non-empty line is ignored
            assert face._read_line("> ") is None  # Escape
            with pytest.raises(EOFError):  # Ctrl-D once the line is empty again
                face._read_line("> ")
    os.close(master)
    assert shown.getvalue().startswith("> 12\b \b3\n> ab\n")
