"""The walker: what survives SIGKILL and SIGTERM, resume, the end of a walk, and the one clock."""

from __future__ import annotations

import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aesthetic_protocols import durable
from aesthetic_protocols.errors import NotRecorded
from aesthetic_protocols.events import encode
from aesthetic_protocols.faces.plain import PlainFace
from aesthetic_protocols.journal import Journal, new_session_id
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.walker import WalkResult, interrupted_sessions, resume_walk, start_walk

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


class FakeClock:
    """A clock that moves only when told: the walk's one clock, shared by engine, journal and face."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def plain(lines: str) -> PlainFace:
    return PlainFace(stdin=io.StringIO(lines), stdout=io.StringIO())


# --- in process: the one clock, the end of a walk ------------------------------------------------------


def test_one_clock_stamps_the_log_the_wait_and_the_screen(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    loaded = load_file(VALID / "every-kind.yaml")
    face = plain("\ny\n1\n\nquit\n")
    outcome = start_walk(loaded, tmp_path, face=face, clock=clock)
    assert not outcome.result.finished and outcome.result.reason == "quit"
    events = events_of(outcome.log)
    assert [encode(line) for line in outcome.events] == events  # every line of the session, as written
    assert {e["ts"] for e in events} == {"2026-11-28T09:00:00.000Z"}
    assert next(e for e in events if e["event"] == "wait-started")["due"] == "2026-11-28T10:00:00.000Z"
    assert "reassessment due at 10:00" in face.stdout.getvalue()  # type: ignore[attr-defined]
    assert face.clock is clock  # handed to the face by the walker


def first_answer_and_lines(tmp_path: Path, at: datetime, lines: str) -> tuple[dict[str, Any], list[str]]:
    """Walk every-kind in plain mode on a clock stopped at `at`: the first answer logged, and what was said."""
    face = plain(lines)
    outcome = start_walk(load_file(VALID / "every-kind.yaml"), tmp_path, face=face, clock=FakeClock(at))
    answer = next(e for e in events_of(outcome.log) if e["event"] == "answer")
    return answer, face.stdout.getvalue().splitlines()  # type: ignore[attr-defined]


def test_a_time_noted_names_the_day_when_it_is_not_today(tmp_path: Path) -> None:
    answer, said = first_answer_and_lines(tmp_path, datetime(2026, 11, 28, 0, 1, tzinfo=UTC),
                                          "time: 23:59\ntime: 00:00\n\nquit\n")
    assert "time noted: this step was done at 23:59 on 2026-11-27 (yesterday)" in said
    assert "time noted: this step was done at 00:00" in said
    assert answer["done_at"] == "2026-11-28T00:00:00.000Z"


def test_a_time_a_few_minutes_ahead_is_refused_on_the_screen(tmp_path: Path) -> None:
    answer, said = first_answer_and_lines(tmp_path, datetime(2026, 11, 28, 9, 0, tzinfo=UTC), "time: 09:05\n\nquit\n")
    assert "that time is later than now" in said
    assert not any(line.startswith("time noted") for line in said)
    assert "done_at" not in answer


def test_an_interrupted_walk_names_the_step_by_its_title_and_resumes_by_its_short_id(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logs = tmp_path / "logs"
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(logs))  # the usual folder
    face = plain("Brand X\nquit\n")
    outcome = start_walk(load_file(VALID / "records.yaml"), logs, face=face)
    short = outcome.session_id.rsplit("-", 1)[-1]
    said = face.stdout.getvalue().splitlines()  # type: ignore[attr-defined]
    at = said.index("Interrupted at Record the product")
    assert said[at + 1:at + 3] == [f"Resume with: protocol resume {short}",
                                   "Timeline (elapsed, step, what was recorded):"]
    assert outcome.resume_ref == short
    resumed = resume_walk(short, logs, [VALID], face=plain("quit\n"))
    assert resumed.session_id == outcome.session_id and resumed.log == outcome.log
    twin = logs / f"20991231T000000Z-records-{short}.jsonl"  # another session ending the same way
    twin.write_bytes(b"")
    assert outcome.resume_ref == outcome.session_id


def test_a_walk_outside_the_usual_folder_resumes_by_its_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path / "usual"))
    outcome = start_walk(load_file(VALID / "every-kind.yaml"), tmp_path / "elsewhere", face=plain("quit\n"))
    assert outcome.resume_ref == str(outcome.log)


def test_a_walk_result_is_finished_exactly_when_it_names_an_outcome() -> None:
    assert WalkResult("fine").finished and WalkResult("fine").reason is None
    assert not WalkResult(None, "quit").finished


def test_a_resumed_wait_keeps_its_due_time_and_says_when_it_is_overdue(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    loaded = load_file(VALID / "every-kind.yaml")
    first = start_walk(loaded, tmp_path, face=plain("\ny\n1\n\nquit\n"), clock=clock)
    clock.now += timedelta(minutes=75)
    face = plain("\ny\n")
    resumed = resume_walk(first.log.stem, tmp_path, [VALID], face=face, clock=clock)
    assert resumed.result.finished
    assert "Wait 60 min: reassessment due at 10:00 (overdue)" in face.stdout.getvalue()  # type: ignore[attr-defined]
    events = events_of(first.log)
    assert [e["event"] for e in events].count("wait-started") == 1
    resumed_event = next(e for e in events if e["event"] == "resumed")
    assert resumed_event["tool"] == "0.2.0" and resumed_event["node"] == "wait"
    wait_answer = next(e for e in events if e["event"] == "answer" and e["node"] == "wait")
    assert "early" not in wait_answer  # 75 minutes after it began: not early


def test_resume_records_the_outcome_the_last_answer_reached(tmp_path: Path) -> None:
    loaded = load_file(VALID / "every-kind.yaml")
    outcome = start_walk(loaded, tmp_path, face=plain("\nn\n"))
    log = outcome.log
    lines = log.read_bytes().splitlines(keepends=True)
    assert json.loads(lines[-1])["event"] == "outcome"
    log.write_bytes(b"".join(lines[:-1]))  # as if killed between the last answer and the outcome
    log.with_suffix(".head").unlink()
    assert [s.session_id for s in interrupted_sessions(tmp_path)] == [log.stem]
    face = plain("")
    resumed = resume_walk(log.stem, tmp_path, [VALID], face=face)
    assert resumed.result.finished and resumed.result.outcome == "fine"
    assert [e["event"] for e in events_of(log)][-2:] == ["resumed", "outcome"]
    assert events_of(log)[-1]["title"] == "Resolved" and events_of(log)[-1]["severity"] == "resolved"
    assert "Outcome: Resolved (resolved)" in face.stdout.getvalue()  # type: ignore[attr-defined]
    assert interrupted_sessions(tmp_path) == []


def test_a_signal_while_the_outcome_is_recorded_adds_nothing_after_it(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    real_append = Journal.append

    def append_then_sigterm(self: Journal, event: str, **fields: Any) -> dict[str, Any]:
        record = real_append(self, event, **fields)
        if event == "outcome":
            os.kill(os.getpid(), signal.SIGTERM)  # arrives while recording: the walker only notes it
        return record

    monkeypatch.setattr(Journal, "append", append_then_sigterm)
    outcome = start_walk(load_file(VALID / "every-kind.yaml"), tmp_path, face=plain("\nn\n"))
    assert outcome.result.finished
    assert [e["event"] for e in events_of(outcome.log)][-1] == "outcome"  # no `interrupted` after the outcome


def test_a_failed_close_shows_the_outcome_first_and_leaves_no_temp_file(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(fd: int, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(durable, "_write_all", full_disk)  # the anchor's write, not the log's own lines
    face = plain("\nn\n")
    with pytest.raises(NotRecorded, match="close anchor NOT written"):
        start_walk(load_file(VALID / "every-kind.yaml"), tmp_path, face=face)
    assert "Outcome: Resolved (resolved)" in face.stdout.getvalue()  # type: ignore[attr-defined]
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".jsonl"]  # no .head, no .head.tmp-*
    assert events_of(next(tmp_path.glob("*.jsonl")))[-1]["event"] == "outcome"


def test_a_session_id_that_already_names_a_log_is_replaced_by_a_fresh_one(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    taken = "20261128T090000Z-every-kind-aaaa"
    (tmp_path / f"{taken}.jsonl").write_text("")
    ids = iter([taken, taken, "20261128T090000Z-every-kind-bbbb"])
    monkeypatch.setattr("aesthetic_protocols.walker.new_session_id", lambda protocol, now: next(ids))
    outcome = start_walk(load_file(VALID / "every-kind.yaml"), tmp_path, face=plain("\nn\n"))
    assert outcome.session_id == "20261128T090000Z-every-kind-bbbb" and outcome.result.finished
    assert (tmp_path / f"{taken}.jsonl").read_text() == ""


def test_journal_and_engine_share_the_clock_given(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 28, 23, 59, tzinfo=UTC))
    journal = Journal.create(tmp_path, new_session_id("x", clock()), clock)
    assert journal.append("note", node="a", text="t")["ts"] == "2026-11-28T23:59:00.000Z"
    journal.close()


# --- real processes: kill -9 and signals -----------------------------------------------------------------


def _spawn_plain(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "aesthetic_protocols", *args, "--plain"],
                            env=env_for(tmp_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _answer(proc: subprocess.Popen[str], line: str, until: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    _wait_for(proc, until)


_READ_SECONDS = 20  # a prompt that never comes (its words changed) fails here, naming it, instead of hanging
_LINES: dict[int, queue.Queue[str]] = {}  # pid -> the child's output lines, read by a thread of its own


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    if proc.pid not in _LINES:
        lines: queue.Queue[str] = queue.Queue()
        stdout = proc.stdout
        assert stdout is not None

        def pump() -> None:
            for line in iter(stdout.readline, ""):
                lines.put(line)
            lines.put("")  # end of output

        threading.Thread(target=pump, daemon=True).start()
        _LINES[proc.pid] = lines
    return _LINES[proc.pid]


def _wait_for(proc: subprocess.Popen[str], text: str) -> None:
    """Read the child's lines until one holds `text`; fail after _READ_SECONDS or at its end of output."""
    lines = _lines(proc)
    deadline = time.monotonic() + _READ_SECONDS
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no line with {text!r} within {_READ_SECONDS} s; read: {seen[-5:]}") from None
        if line == "":
            raise AssertionError(f"output ended before a line with {text!r}; read: {seen[-5:]}")
        seen.append(line)
        if text in line:
            return


def test_sigkill_mid_session_then_resume_keeps_every_answered_step(tmp_path: Path) -> None:
    proc = _spawn_plain(tmp_path, "every-kind")
    _wait_for(proc, "Enter when done")
    _answer(proc, "", "answer: y, n")
    _answer(proc, "y", "enter a number")
    _answer(proc, "3", "Enter when done")  # the prompt after '3' is shown only once '3' is synced
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    log = only_log(tmp_path)
    assert [e.get("answer") for e in events_of(log) if e["event"] == "answer"] == ["", "y", "3"]
    resumed = subprocess.run([sys.executable, "-m", "aesthetic_protocols", "resume", log.stem[:20], "--plain"],
                             env=env_for(tmp_path), input="\n\ny\n", capture_output=True, text=True, timeout=30)
    assert resumed.returncode == 0, resumed.stderr
    events = events_of(log)
    assert [(e["event"], e.get("answer")) for e in events] == [
        ("start", None), ("answer", ""), ("answer", "y"), ("answer", "3"), ("resumed", None),
        ("answer", ""), ("wait-started", None), ("answer", ""), ("answer", "y"), ("outcome", None)]
    assert subprocess.run([sys.executable, "-m", "aesthetic_protocols", "log", "verify", str(log)],
                          env=env_for(tmp_path), capture_output=True, timeout=120).returncode == 0


_KILL_BEFORE_OUTCOME = """
import os, signal, sys
from aesthetic_protocols.journal import Journal
record = Journal.record
def record_then_die(self, event):
    if event.kind == "outcome":  # killed after the last answer was synced, before the outcome line
        os.kill(os.getpid(), signal.SIGKILL)
    return record(self, event)
Journal.record = record_then_die
from aesthetic_protocols.launch import main
main(sys.argv[1:])
"""


def test_kill_9_between_the_last_answer_and_the_outcome_then_resume_records_the_outcome(tmp_path: Path) -> None:
    killed = subprocess.run([sys.executable, "-c", _KILL_BEFORE_OUTCOME, "every-kind", "--plain"],
                            env=env_for(tmp_path), input="\nn\n", capture_output=True, text=True, timeout=30)
    assert killed.returncode == -signal.SIGKILL
    log = only_log(tmp_path)
    assert [e["event"] for e in events_of(log)] == ["start", "answer", "answer"]
    listed = subprocess.run([sys.executable, "-m", "aesthetic_protocols", "log", "list"], env=env_for(tmp_path),
                            capture_output=True, text=True, timeout=120)
    assert " open" in listed.stdout
    resumed = subprocess.run([sys.executable, "-m", "aesthetic_protocols", "resume", log.stem.rsplit("-", 1)[1],
                              "--plain"], env=env_for(tmp_path), input="", capture_output=True, text=True, timeout=30)
    assert resumed.returncode == 0, resumed.stderr
    assert "Outcome: Resolved (resolved)" in resumed.stdout
    assert [e["event"] for e in events_of(log)] == ["start", "answer", "answer", "resumed", "outcome"]
    listed = subprocess.run([sys.executable, "-m", "aesthetic_protocols", "log", "list"], env=env_for(tmp_path),
                            capture_output=True, text=True, timeout=120)
    assert "  Resolved (resolved)" in listed.stdout  # the outcome by its title


def test_sigterm_interrupts_records_and_exits_3(tmp_path: Path) -> None:
    proc = _spawn_plain(tmp_path, "every-kind")
    _wait_for(proc, "Enter when done")
    _answer(proc, "", "answer: y, n")
    time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 3
    assert "session interrupted (SIGTERM)" in stderr
    assert events_of(only_log(tmp_path))[-1]["reason"] == "SIGTERM"


def test_a_closed_output_pipe_stops_quietly_and_a_walk_records_it(tmp_path: Path) -> None:
    shown = subprocess.run(f"{sys.executable} -m aesthetic_protocols show every-kind | head -1", shell=True,
                           env=env_for(tmp_path), capture_output=True, text=True, executable="/bin/bash", timeout=120)
    assert (shown.stdout, shown.stderr) == ("every-kind 1.0.0 (draft) - Example tree using every node kind\n", "")
    walk = _spawn_plain(tmp_path, "every-kind")
    assert walk.stdout is not None and walk.stdin is not None
    walk.stdout.readline()
    walk.stdout.close()  # the reader goes away
    walk.stdin.write("\n" * 3)
    walk.stdin.close()
    assert walk.wait(timeout=20) == 141
    assert events_of(only_log(tmp_path))[-1]["reason"] == "output closed"


# --- issue 16: bytes that are no text refused at the prompt, the walk goes on -----------------------------


@pytest.mark.parametrize("encoding", [None, "utf-8"])  # the locale's decoder, and a strict one forced
def test_undecodable_bytes_at_a_prompt_are_refused_and_the_walk_goes_on(tmp_path: Path, encoding: str | None) -> None:
    env = env_for(tmp_path) | ({"PYTHONIOENCODING": encoding} if encoding else {})
    typed = (b"note: caf\xe9\n"  # a note in Latin-1
             b"Restyl\xe9ne\n"  # a product name in Latin-1 at a record field
             b"Restylane\n\n0.5\n\n\n2\n\nl\n1500\n")
    done = subprocess.run([sys.executable, "-m", "aesthetic_protocols", "records", "--plain"], input=typed,
                          capture_output=True, env=env, timeout=60, check=False)
    assert (done.returncode, done.stderr) == (0, b""), done.stderr
    out = done.stdout.decode("utf-8").splitlines()
    assert out.count("not valid text: type it again") == 2
    assert "Outcome: Resolved (resolved)" in out
    events = events_of(only_log(tmp_path))
    assert not [e for e in events if e["event"] == "note"]  # nothing was written for the refused lines
    assert [e["value"] for e in events if e.get("field") == "product"] == ["Restylane"]
