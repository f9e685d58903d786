"""The CLI contract: plain-mode walks with exact lines, exit codes, resume, and the log commands."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aesthetic_protocols import journal
from aesthetic_protocols.cli import app
from aesthetic_protocols.errors import EXIT_INTERRUPTED, EXIT_NOT_RECORDED

VALID = Path(__file__).parent / "fixtures" / "valid"


@pytest.fixture()
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(VALID))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    return CliRunner()


def logs(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "logs").glob("*.jsonl"))


def events_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def normalise(text: str) -> list[str]:
    text = re.sub(r"\d{8}T\d{6}Z-([a-z0-9-]+)-[0-9a-f]{4}", r"SESSION-\1", text)
    text = re.sub(r"\[\d\d:\d\d\]", "[mm:ss]", text)
    text = re.sub(r"due at \d\d:\d\d(:\d\d)?", lambda m: "due at HH:MM" + (":ss" if m[1] else ""), text)
    return [line.rstrip() for line in text.splitlines()]


def test_plain_walk_prints_exact_lines_and_exits_0(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["every-kind"], input="\ny\n2\n\n\ny\n")
    assert result.exit_code == 0, result.output
    log = logs(tmp_path)[0]
    assert normalise(result.stdout) == [
        "Example tree using every node kind (protocol every-kind 1.0.0, draft)",
        "DRAFT reference content, not approved by a clinician: check against your local protocol",
        "Red flags, at any prompt: v = Vision change",
        "At any prompt: back, note: TEXT, time: HH:MM, quit",
        "Session SESSION-every-kind",
        "",
        "[mm:ss] Stop and prepare (action)",
        "  - Stop injecting",
        "  - Tell the patient",
        "Source: EX-1",
        "Red flags: v = Vision change",
        "Enter when done",
        "",
        "[mm:ss] What do you see? (question)",
        "  y / 1: Blanching",
        "  n / 2: Neither (weak evidence)",
        "Compare with the other side.",
        "Red flags: v = Vision change",
        "answer: y, n (or 1-2)",
        "",
        "[mm:ss] Areas affected (input)",
        "Red flags: v = Vision change",
        "enter a number from 1 to 4 areas",
        "",
        "[mm:ss] Treat (action)",
        "Give 1000 U across 2 area(s).",
        "Source: EX-1",
        "Red flags: v = Vision change",
        "Enter when done",
        "",
        "[mm:ss] Reassess in 60 minutes (wait)",
        "Wait 60 min: reassessment due at HH:MM",
        "Source: EX-2",
        "Red flags: v = Vision change",
        "Enter to continue when reassessed (you may continue early)",
        "",
        "[mm:ss] Resolved? (question)",
        "  y / 1: Yes",
        "  n / 2: No",
        "  r / 3: Refer",
        "Red flags: v = Vision change",
        "answer: y, n, r (or 1-3)",
        "",
        "Outcome: Resolved (resolved)",
        "  - Review tomorrow",
        "Source: EX-1",
        "Timeline (elapsed, step, what was recorded):",
        "   +0:00:00  Example tree using every node kind  Session started (every-kind 1.0.0)",
        "   +0:00:00  Stop and prepare                    Done",
        "   +0:00:00  What do you see?                    Blanching",
        "   +0:00:00  Areas affected                      2 areas",
        "   +0:00:00  Treat                               Done (dose: 1000 U)",
        "   +0:00:00  Reassess in 60 minutes              Wait started: 60 min (due at HH:MM:ss)",
        "   +0:00:00  Reassess in 60 minutes              Continued (continued before the wait was due)",
        "   +0:00:00  Resolved?                           Yes",
        "   +0:00:00  Resolved                            Outcome reached (resolved)",
        f"Log: {log.parent}/SESSION-every-kind.jsonl",
        f"Record: protocol log export {log.stem.rsplit('-', 1)[1]} --format html > record.html (then print it)",
    ]
    events = events_of(log)
    assert [e["event"] for e in events] == ["start"] + ["answer"] * 4 + ["wait-started"] + ["answer"] * 2 + ["outcome"]
    assert events[0]["protocol"] == "every-kind" and events[0]["version"] == "1.0.0"
    assert len(events[0]["sha256"]) == 64
    assert log.stat().st_mode & 0o777 == 0o600
    assert log.parent.stat().st_mode & 0o777 == 0o700


def test_invalid_answers_repeat_the_prompt_with_the_reason_and_log_nothing(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "every-kind"], input="\ny\n0\nlots\n2\nquit\n")
    assert result.exit_code == EXIT_INTERRUPTED
    lines = normalise(result.stdout)
    start = lines.index("[mm:ss] Areas affected (input)")
    assert lines[start:start + 7] == [
        "[mm:ss] Areas affected (input)",
        "Red flags: v = Vision change",
        "enter a number from 1 to 4 areas",
        "out of range: enter a whole number from 1 to 4",
        "enter a number from 1 to 4 areas",
        "enter a whole number from 1 to 4",
        "enter a number from 1 to 4 areas",
    ]
    answers = [e for e in events_of(logs(tmp_path)[0]) if e["event"] == "answer"]
    assert [a["answer"] for a in answers] == ["", "y", "2"]


def test_eof_interrupts_with_exit_3_and_says_how_to_resume(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["every-kind"], input="\n")
    assert result.exit_code == EXIT_INTERRUPTED
    session = logs(tmp_path)[0].stem.rsplit("-", 1)[-1]  # the short id the screen showed
    assert f"Interrupted at What do you see?\nResume with: protocol resume {session}\n" in result.stdout
    assert result.stdout.count("Resume with:") == 1  # said once (issue 17: it was printed twice)
    # Said once (on the screen), not again on stderr.
    assert result.stderr == f"protocol: session interrupted (end of input); the log is kept (session {session})\n"
    assert events_of(logs(tmp_path)[0])[-1]["event"] == "interrupted"


def test_resume_continues_the_same_log_and_keeps_every_step(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["every-kind", "--patient", "R-0042"], input="\ny\nnote: left side worse\n3\nquit\n")
    log = logs(tmp_path)[0]
    before = log.read_bytes()
    result = runner.invoke(app, ["resume", log.stem], input="\n\nn\n\n\ny\n")
    assert result.exit_code == 0, result.output
    assert log.read_bytes().startswith(before)  # the earlier part is never rewritten
    events = events_of(log)
    assert [(e["event"], e.get("node"), e.get("answer")) for e in events] == [
        ("start", "begin", None), ("answer", "begin", ""), ("answer", "assess", "y"), ("note", "areas", None),
        ("answer", "areas", "3"), ("interrupted", "treat", None), ("resumed", "treat", None),
        ("answer", "treat", ""), ("wait-started", "wait", None), ("answer", "wait", ""), ("answer", "better", "n"),
        ("answer", "treat", ""), ("wait-started", "wait", None), ("answer", "wait", ""), ("answer", "better", "y"),
        ("outcome", "fine", None),
    ]
    assert events[6]["tool"] == "0.2.0"  # the version that continued the session
    assert runner.invoke(app, ["log", "verify", log.stem]).exit_code == 0


def test_resume_refuses_a_changed_protocol_unless_forced(runner: CliRunner, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "trees"
    folder.mkdir()
    tree = folder / "every-kind.yaml"
    shutil.copy(VALID / "every-kind.yaml", tree)
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(folder))
    runner.invoke(app, ["every-kind"], input="\n")
    log = logs(tmp_path)[0]
    tree.write_text(tree.read_text().replace("version: 1.0.0", "version: 1.0.1"))
    refused = runner.invoke(app, ["resume", log.stem], input="y\n")
    assert refused.exit_code == 1
    assert refused.stderr == (f"protocol: {log}: the protocol file changed since this session began (sha256 "
                              "differs); resume with --force to continue under the new version (recorded in the log)\n")
    forced = runner.invoke(app, ["resume", log.stem, "--force"], input="n\n")
    assert forced.exit_code == 0
    changed = [e for e in events_of(log) if e["event"] == "protocol-changed"]
    assert changed[0]["old_version"] == "1.0.0" and changed[0]["version"] == "1.0.1"


def test_resume_sets_a_torn_tail_aside_and_records_it(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["every-kind"], input="\ny\n")
    log = logs(tmp_path)[0]
    anchor = log.with_suffix(".head")
    anchor.unlink()  # as after kill -9: no close anchor
    with log.open("ab") as handle:
        handle.write(b'{"seq":4,"event":"ans')
    assert runner.invoke(app, ["log", "verify", str(log)]).exit_code == 1
    result = runner.invoke(app, ["resume", str(log)], input="2\n\n\n\ny\n")
    assert result.exit_code == 0, result.output
    events = events_of(log)
    assert events[4]["event"] == "torn-tail-recovered" and events[4]["bytes"] == 21
    assert list(tmp_path.glob("logs/*.torn-*"))


def test_a_failed_sync_stops_the_walk_before_the_next_prompt(runner: CliRunner, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real_sync = journal._sync

    def failing_sync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(5, "Input/output error")
        real_sync(fd)

    monkeypatch.setattr(journal, "_sync", failing_sync)
    result = runner.invoke(app, ["every-kind"], input="\ny\n2\n\n\ny\n")
    assert result.exit_code == EXIT_NOT_RECORDED
    assert result.stderr.startswith("protocol: step NOT recorded")
    assert "Areas affected" not in result.stdout  # the prompt after the failed step was never shown
    # The failed line may or may not have reached the disk; nothing after it was written.
    assert [e["event"] for e in events_of(logs(tmp_path)[0])][:2] == ["start", "answer"]
    assert len(events_of(logs(tmp_path)[0])) <= 3


def test_red_flag_at_any_prompt_jumps_to_its_target(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["every-kind"], input="v\n")
    assert result.exit_code == 0
    assert "Outcome: Emergency referral (emergency)" in result.stdout
    assert events_of(logs(tmp_path)[0])[1]["event"] == "red-flag"


def test_back_and_time_are_logged(runner: CliRunner, tmp_path: Path) -> None:
    at = (datetime.now().astimezone() - timedelta(minutes=5)).strftime("%H:%M")  # never ahead of the clock
    result = runner.invoke(app, ["every-kind"], input=f"time: {at}\n\nback\n\nn\n")
    assert result.exit_code == 0
    assert f"time noted: this step was done at {at}" in result.stdout
    events = events_of(logs(tmp_path)[0])
    assert [(e["event"], e["node"]) for e in events][1:4] == [("answer", "begin"), ("back", "assess"),
                                                              ("answer", "begin")]
    assert events[1]["done_at"].endswith(":00.000Z")


@pytest.mark.parametrize(("args", "code", "message"), [
    (["no-such-tree"], 2, "protocol: no protocol with that id on the search path (protocols: decide, every-kind, "
                          "nodules, pre-treatment-check, ptosis, records, vascular-occlusion)\n"),
    (["../etc/passwd"], 2, "protocol: a protocol id is a slug such as vascular-occlusion (lower-case letters, "
                           "digits, '-'), not a path; see 'protocol list'\n"),
    (["every-kind", "--patient", "Jane Doe"], 2,
     "protocol: --patient takes a pseudonymous reference (letters, digits, '.', '_', '-', no spaces, at most 40), "
     "never a name\n"),
    (["show", "nope"], 2, "protocol: no protocol with that id on the search path (protocols: decide, every-kind, "
                          "nodules, pre-treatment-check, ptosis, records, vascular-occlusion)\n"),
    (["validate", "missing.yaml"], 2, "protocol: no such file or folder: missing.yaml\n"),
    (["log", "verify", "nope"], 2, None),
    (["show", "every-kind", "--format", "pdf"], 2, None),
])
def test_usage_errors_are_one_line_and_exit_2(runner: CliRunner, args: list[str], code: int,
                                              message: str | None) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == code
    if message is not None:
        assert result.stderr == message
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Jane" not in result.stderr and "Traceback" not in result.output


def test_an_invalid_protocol_exits_1(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "broken.yaml").write_text("id: broken\ntitle: x\n")
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(folder))
    result = runner.invoke(app, ["broken"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"protocol: {folder / 'broken.yaml'}:1:1: error[schema]: missing required field")


def test_an_internal_error_is_one_line_and_exit_70(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from aesthetic_protocols import report

    def boom(*_: Any) -> str:
        raise RuntimeError("bug")

    monkeypatch.setattr(report, "outline", boom)
    result = runner.invoke(app, ["show", "every-kind"])
    assert result.exit_code == 70
    assert result.stderr == "protocol: internal error (RuntimeError); run again with --debug for details\n"
    debug = runner.invoke(app, ["--debug", "show", "every-kind"])
    assert debug.exit_code == 70 and "Traceback" in debug.stderr


def test_list_shows_every_protocol(runner: CliRunner) -> None:
    result = runner.invoke(app, ["list", "--format", "json"])
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["every-kind"]["version"] == "1.0.0" and rows["every-kind"]["next_review"] == "2099-01-01"
    table = runner.invoke(app, ["list"]).stdout.splitlines()
    assert table[0].split() == ["ID", "VERSION", "STATUS", "NEXT", "REVIEW", "TITLE"]
    assert any(line.split()[:4] == ["every-kind", "1.0.0", "draft", "2099-01-01"] for line in table)


def test_a_later_folder_shadowing_an_id_is_warned(runner: CliRunner, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(VALID / "every-kind.yaml", other / "every-kind.yaml")
    result = runner.invoke(app, ["show", "every-kind", "--protocols", str(other)])
    assert result.exit_code == 0
    assert result.stderr == (f"protocol: warning: 'every-kind' from {other / 'every-kind.yaml'} shadows "
                             f"{VALID / 'every-kind.yaml'}\n")


def test_the_review_document_names_the_file_sha256_beside_the_sign_off(runner: CliRunner) -> None:
    digest = hashlib.sha256((VALID / "every-kind.yaml").read_bytes()).hexdigest()
    lines = runner.invoke(app, ["show", "every-kind", "--format", "markdown"]).stdout.splitlines()
    sign_off = lines.index("## Sign-off")
    assert lines[sign_off + 2] == (f"Signing approves exactly this file: `every-kind.yaml` version 1.0.0, "
                                   f"sha256 `{digest}`.")
    assert lines[sign_off + 4] == "| Role | Name | Signature | Date |"


def test_log_list_show_verify_export(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["every-kind", "--patient", "R-7", "--practitioner", "Dr Who"], input="\nnote: calm\nn\n")
    log = logs(tmp_path)[0]
    listing = runner.invoke(app, ["log", "list"]).stdout.splitlines()
    assert listing[0].startswith("started (times are local, UTC")
    assert len(listing) == 2 and listing[1].endswith(f"{log.stem}  every-kind 1.0.0  Resolved (resolved)  patient R-7")
    shown = runner.invoke(app, ["log", "show", log.stem]).stdout.splitlines()
    assert shown[:3] == [f"session {log.stem}: every-kind 1.0.0, Resolved (resolved)", "patient reference: R-7",
                         "practitioner: Dr Who"]
    assert shown[3].startswith("started: ") and shown[3].endswith(" (times below are local)")
    assert [line.split("  +0:00:00  ")[-1] for line in shown[4:]] == [
        "Example tree using every node kind  Session started (every-kind 1.0.0)",
        "Stop and prepare                    Done",
        "What do you see?                    Note: calm",
        "What do you see?                    Neither",
        "Resolved                            Outcome reached (resolved)"]
    assert runner.invoke(app, ["log", "verify", log.stem]).stdout == f"{log}: intact, 5 events\n"
    anonymous = runner.invoke(app, ["log", "export", log.stem, "--format", "md", "--anonymise"]).stdout
    assert "R-7" not in anonymous and "Dr Who" not in anonymous and "calm" not in anonymous
    assert log.stem not in anonymous and "| +0:00:00 | What do you see? | Neither |  |" in anonymous
    html = runner.invoke(app, ["log", "export", log.stem, "--format", "html"]).stdout
    assert html.startswith("<!doctype html>") and "R-7" in html
    exported = json.loads(runner.invoke(app, ["log", "export", log.stem, "--format", "json", "--anonymise"]).stdout)
    assert all("patient" not in e and "ts" not in e for e in exported)


def test_log_show_verify_export_and_replay_find_a_drill_by_its_short_id(runner: CliRunner, tmp_path: Path) -> None:
    drilled = runner.invoke(app, ["drill", "every-kind", "--plain"], input="\nnote: calm\nn\n")
    assert drilled.exit_code == 0, drilled.output
    (log,) = (tmp_path / "logs" / "drills").glob("*.jsonl")
    short = log.stem.rsplit("-", 1)[-1]
    assert runner.invoke(app, ["log", "show", short]).exit_code == 0
    assert runner.invoke(app, ["log", "verify", short]).stdout == f"{log}: intact, 5 events\n"
    assert runner.invoke(app, ["log", "export", short]).stdout.startswith("# Session record")
    assert runner.invoke(app, ["log", "replay", short, "--against", "every-kind"]).exit_code == 0
    missing = runner.invoke(app, ["log", "show", "P-001"])
    assert missing.exit_code == 2 and "P-001" not in missing.stderr
    assert missing.stderr == (f"protocol: no session log matches that id in {tmp_path / 'logs'} "
                              f"(nor in {tmp_path / 'logs' / 'drills'})\n")


def test_log_verify_names_the_first_bad_line(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["every-kind"], input="\nn\n")
    log = logs(tmp_path)[0]
    lines = log.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace('"answer":""', '"answer":"y"')
    log.write_text("".join(lines))
    result = runner.invoke(app, ["log", "verify", str(log)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{log}:2: altered: ")


def test_version_and_python_m(runner: CliRunner) -> None:
    assert runner.invoke(app, ["--version"]).stdout == "aesthetic-protocols 0.2.0\n"


@pytest.mark.parametrize("argv", [
    ["every-kind"],
    ["every-kind", "--plain"],
    ["every-kind", "--log-dir", "/tmp/l", "--patient", "R1", "--practitioner", "Dr A"],
    ["every-kind", "--log-dir=/tmp/l", "--protocols", "a", "--protocols=b", "--plain"],
])
def test_the_fast_start_reads_run_options_exactly_as_typer_does(argv: list[str]) -> None:
    from typer.main import get_command

    from aesthetic_protocols.launch import fast_run_options as _fast_run_options

    context = get_command(app).commands["run"].make_context("run", list(argv))  # type: ignore[attr-defined]
    expected = {key: list(value) if isinstance(value, tuple) else value
                for key, value in context.params.items() if value not in (None, False, ())}
    assert _fast_run_options(list(argv)) == expected


@pytest.mark.parametrize("argv", [
    ["every-kind", "--help"], ["every-kind", "--patient"], ["every-kind", "--bogus"], ["--plain", "every-kind"],
    ["every-kind", "--patient", "a", "--patient", "b"], ["every-kind", "extra"],
])
def test_anything_unusual_goes_through_typer(argv: list[str]) -> None:
    from aesthetic_protocols.launch import fast_run_options as _fast_run_options

    assert _fast_run_options(argv) is None


def test_resume_changes_nothing_in_a_file_that_is_not_a_session_log(runner: CliRunner, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("important notes line\n")
    result = runner.invoke(app, ["resume", str(notes)])
    assert result.exit_code == 1
    assert result.stderr == f"protocol: {notes}: not a session log (it does not begin with a start event)\n"
    assert notes.read_text() == "important notes line\n" and list(tmp_path.glob("notes.torn*")) == []


def test_resume_of_a_finished_or_missing_session_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["every-kind"], input="\nn\n")
    log = logs(tmp_path)[0]
    before = log.read_bytes()
    finished = runner.invoke(app, ["resume", log.stem])
    assert finished.exit_code == 2
    assert finished.stderr == f"protocol: {log}: this session already reached its outcome; nothing to resume\n"
    assert log.read_bytes() == before
    missing = runner.invoke(app, ["resume", "20260101T000000Z-every-kind-0000"])
    assert missing.exit_code == 2 and missing.stderr.startswith("protocol: no session log at ")


def test_the_resume_hint_names_the_log_when_it_is_not_in_the_usual_folder(runner: CliRunner, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    result = runner.invoke(app, ["every-kind", "--log-dir", str(other)], input="\n")
    (log,) = other.glob("*.jsonl")
    assert result.exit_code == EXIT_INTERRUPTED
    assert f"Resume with: protocol resume {log}" in result.stdout
    assert runner.invoke(app, ["resume", str(log)], input="n\n").exit_code == 0


@pytest.mark.parametrize("value", ["", "file"])
def test_a_log_dir_that_is_empty_or_a_file_is_a_usage_error(runner: CliRunner, tmp_path: Path, value: str) -> None:
    if value:
        (tmp_path / value).write_text("x")
        value = str(tmp_path / value)
    result = runner.invoke(app, ["every-kind", f"--log-dir={value}"], input="\n")
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1


def test_list_marks_a_tree_with_graph_errors_invalid(runner: CliRunner, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "trees"
    folder.mkdir()
    (folder / "every-kind.yaml").write_text((VALID / "every-kind.yaml").read_text().replace(
        "next: assess", "next: nowhere"))
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(folder))
    rows = json.loads(runner.invoke(app, ["list", "--format", "json"]).stdout)
    assert [(row["id"], row["status"]) for row in rows if row["id"] == "every-kind"] == [("every-kind", "invalid")]


def test_validate_an_empty_folder_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["validate", str(tmp_path / "empty")])
    expected = f"protocol: no protocol files (*.yaml) under {tmp_path / 'empty'}\n"
    assert (result.exit_code, result.stderr) == (2, expected)


def test_help_and_version_are_commands(runner: CliRunner) -> None:
    assert runner.invoke(app, ["version"]).stdout == "aesthetic-protocols 0.2.0\n"
    assert "Usage: " in runner.invoke(app, ["help"]).stdout


def test_extra_arguments_are_never_repeated(runner: CliRunner) -> None:
    result = runner.invoke(app, ["every-kind", "--patient", "Jane", "Smith"])
    assert result.exit_code == 2 and "Smith" not in result.stderr


def test_the_fast_start_walks_through_main(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from aesthetic_protocols import cli

    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(VALID))
    monkeypatch.setattr("sys.stdin", io.StringIO("\nn\n"))
    typer_parsed: list[object] = []
    # On the class: Python looks special methods up on the type, so setting `__call__` on the app instance
    # would never be called and the check below could not fail.
    monkeypatch.setattr(type(cli.app), "__call__", lambda *a, **k: typer_parsed.append(a))
    with pytest.raises(SystemExit) as ended:
        cli.main(["every-kind", "--plain"])
    assert ended.value.code == 0 and typer_parsed == []
    cli.main(["list"])  # a command that does go through typer: the same probe sees it
    assert len(typer_parsed) == 1
    assert "Outcome: Resolved (resolved)" in capsys.readouterr().out


def test_a_bug_during_the_walk_is_recorded_as_an_interruption(runner: CliRunner, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from aesthetic_protocols.engine import Session

    def broken(self: Session, line: str) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(Session, "interpret", broken)
    result = runner.invoke(app, ["every-kind"], input="\n")
    assert result.exit_code == 70
    assert events_of(logs(tmp_path)[0])[-1] == {**events_of(logs(tmp_path)[0])[-1], "event": "interrupted",
                                                "node": "begin", "reason": "internal error"}


# --- issue 9: outside anchors, exit 141, unreadable log folders, help -------------------------------------


def test_resume_writes_the_witness_from_the_environment(runner: CliRunner, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    witness = tmp_path / "witness.txt"
    assert runner.invoke(app, ["every-kind"], input="\n").exit_code == EXIT_INTERRUPTED
    assert not witness.exists()
    log = logs(tmp_path)[0]
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_WITNESS", str(witness))
    assert runner.invoke(app, ["resume", log.stem], input="n\n").exit_code == 0
    assert witness.read_text() == f"{log.stem} {events_of(log)[-1]['hash']}\n"


def test_a_walk_writes_the_witness_and_verify_checks_it(runner: CliRunner, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    witness = tmp_path / "usb" / "witness.txt"
    witness.parent.mkdir()
    monkeypatch.delenv("AESTHETIC_PROTOCOLS_WITNESS", raising=False)
    result = runner.invoke(app, ["every-kind", "--witness", str(witness)], input="\nn\n")
    assert result.exit_code == 0, result.output
    assert "AESTHETIC_PROTOCOLS_WITNESS" not in os.environ  # the option is an argument, not a setting left behind
    log = logs(tmp_path)[0]
    head = events_of(log)[-1]["hash"]
    assert witness.read_text() == f"{log.stem} {head}\n"
    ok = runner.invoke(app, ["log", "verify", log.stem, "--witness", str(witness), "--head", head])
    assert (ok.exit_code, ok.stdout) == (0, f"{log}: intact, 4 events\n")
    # The newest line cut off and .head rewritten to match: the chain is consistent, the witness is not.
    lines = log.read_text().splitlines(keepends=True)[:-1]
    log.write_text("".join(lines))
    last = json.loads(lines[-1])
    log.with_suffix(".head").write_bytes(journal.canonical({"session": log.stem, "seq": last["seq"],
                                                            "hash": last["hash"]}) + b"\n")
    assert runner.invoke(app, ["log", "verify", log.stem]).exit_code == 0
    bad = runner.invoke(app, ["log", "verify", log.stem], env={"AESTHETIC_PROTOCOLS_WITNESS": str(witness)})
    assert (bad.exit_code, bad.stdout) == (
        1, f"{log}:4: altered: the head hash the witness records is not in the log (truncated or rewritten)\n")
    given = runner.invoke(app, ["log", "verify", log.stem, "--head", head])
    assert given.exit_code == 1 and "the head hash given is not in the log" in given.stdout


def _finish_then_cut_back(runner: CliRunner, tmp_path: Path, witness: Path) -> tuple[Path, str]:
    """A witnessed walk to its outcome, then its last answer, its outcome and its .head deleted (the attack
    of issue 16): the log alone now reads as an interrupted session. Returns (log, the witnessed head)."""
    assert runner.invoke(app, ["every-kind", "--witness", str(witness)], input="\nn\n").exit_code == 0
    log = logs(tmp_path)[0]
    head = events_of(log)[-1]["hash"]
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:2]))
    log.with_suffix(".head").unlink()
    return log, head


def test_resume_of_a_session_the_witness_saw_end_is_refused(runner: CliRunner, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AESTHETIC_PROTOCOLS_WITNESS", raising=False)
    witness = tmp_path / "witness.txt"
    log, _ = _finish_then_cut_back(runner, tmp_path, witness)
    before = log.read_bytes()
    result = runner.invoke(app, ["resume", log.stem, "--witness", str(witness)], input="y\n")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"protocol: {log}: not resumed: the head hash the witness records is not in the log "
                             "(truncated or rewritten); the witness saw this session further on (ended or "
                             "rewritten), so it cannot be walked again\n")
    assert log.read_bytes() == before and not log.with_suffix(".head").exists()


def test_verify_checks_every_witness_line_of_the_session(runner: CliRunner, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AESTHETIC_PROTOCOLS_WITNESS", raising=False)
    witness = tmp_path / "witness.txt"
    log, _ = _finish_then_cut_back(runner, tmp_path, witness)
    # Walked again without the witness, then its new head added to the witness (what a resume given the
    # witness used to append): the newest witness line matches, the first no longer does.
    assert runner.invoke(app, ["resume", log.stem], input="y\n").exit_code in (0, EXIT_INTERRUPTED)
    with witness.open("a") as out:
        out.write(f"{log.stem} {events_of(log)[-1]['hash']}\n")
    bad = runner.invoke(app, ["log", "verify", log.stem, "--witness", str(witness)])
    assert (bad.exit_code, bad.stdout) == (1, f"{log}:{len(events_of(log)) + 1}: altered: head hash 1 of 2 the "
                                              "witness records is not in the log (truncated or rewritten)\n")


def test_an_interrupted_witnessed_session_resumes_and_verifies(runner: CliRunner, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AESTHETIC_PROTOCOLS_WITNESS", raising=False)
    witness = tmp_path / "witness.txt"
    assert runner.invoke(app, ["every-kind", "--witness", str(witness)], input="\n").exit_code == EXIT_INTERRUPTED
    log = logs(tmp_path)[0]
    assert runner.invoke(app, ["resume", log.stem, "--witness", str(witness)], input="n\n").exit_code == 0
    assert len(witness.read_text().splitlines()) == 2
    ok = runner.invoke(app, ["log", "verify", log.stem, "--witness", str(witness)])
    assert (ok.exit_code, ok.stdout) == (0, f"{log}: intact, {len(events_of(log))} events\n")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_witness_that_is_a_device_is_refused_at_once(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(app, ["every-kind"], input="\nn\n").exit_code == 0
    result = runner.invoke(app, ["log", "verify", logs(tmp_path)[0].stem, "--witness", "/dev/zero"])
    assert (result.exit_code, result.stderr) == (1, "protocol: the witness /dev/zero is not a regular file\n")


def test_verify_head_must_be_a_hash(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["every-kind"], input="\nn\n")
    result = runner.invoke(app, ["log", "verify", logs(tmp_path)[0].stem, "--head", "abc"])
    assert (result.exit_code, result.stderr) == (
        2, "protocol: --head takes a sha256 head hash: 64 hexadecimal digits\n")


def test_verify_of_a_malformed_anchor_names_no_line(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["every-kind"], input="\nn\n")
    log = logs(tmp_path)[0]
    log.with_suffix(".head").write_text("{not json")
    result = runner.invoke(app, ["log", "verify", log.stem])
    assert (result.exit_code, result.stdout) == (1, f"{log}: altered: its close anchor is malformed\n")


def test_verify_warns_when_the_clock_went_backwards(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["every-kind"], input="\nn\n")
    log = logs(tmp_path)[0]
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    lines[1]["ts"] = "2000-01-01T00:00:00.000Z"  # line 2 before line 1
    prev = None
    out = []
    for record in lines:
        record["prev"] = prev
        record["hash"] = journal._hash(record)
        prev = record["hash"]
        out.append(journal.canonical(record) + b"\n")
    log.write_bytes(b"".join(out))
    log.with_suffix(".head").unlink()
    result = runner.invoke(app, ["log", "verify", log.stem])
    assert result.exit_code == 0
    assert result.stderr == "protocol: warning: line 2: its time is before line 1's (the clock went backwards)\n"


def test_log_list_of_an_unreadable_folder_is_an_error(runner: CliRunner, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    folder = tmp_path / "logs"
    folder.mkdir(mode=0o700)
    real = os.listdir

    def unreadable(path: Any) -> list[str]:  # as for a folder without read permission (root reads any)
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "listdir", unreadable)
    result = runner.invoke(app, ["log", "list"])
    assert result.exit_code == 1
    assert result.stderr == f"protocol: cannot read the log folder {folder}: Permission denied\n"


@pytest.mark.parametrize("args", [["list"], ["show", "ptosis"], ["help"], ["--help"], ["log", "--help"],
                                  ["graph", "ptosis"], ["schema"], ["version"]])
def test_every_command_whose_reader_goes_away_exits_141(args: list[str], tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte (`protocol list | true`)
    env = {**os.environ, "AESTHETIC_PROTOCOLS_LOG_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "aesthetic_protocols", *args], stdout=write,
                          stderr=subprocess.PIPE, env=env, timeout=60, check=False)
    os.close(write)
    assert (proc.returncode, proc.stderr) == (141, b"")


def test_flags_say_they_take_no_value_and_every_run_option_has_help(runner: CliRunner) -> None:
    validate_help = runner.invoke(app, ["validate", "--help"]).stdout
    strict = next(line for line in validate_help.splitlines() if "--strict" in line)
    assert "<bool>" not in strict and "no value" in strict
    run_help = runner.invoke(app, ["run", "--help"]).stdout
    practitioner = next(line for line in run_help.splitlines() if "--practitioner" in line)
    assert "NAME" in practitioner and "Who is treating" in practitioner


def test_shell_completion_is_offered(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--show-completion", "bash"], env={"SHELL": "/bin/bash"})
    assert result.exit_code == 0 and "COMPLETE=complete_bash" in result.stdout


# --- issue 14: decide, facts and gated waits at the command line ------------------------------------------

DECIDE = Path(__file__).parent / "fixtures" / "valid" / "decide.yaml"


@pytest.mark.parametrize(("old", "new", "line"), [
    ("{fact: expiry, before: today}", "{fact: expirey, before: today}",
     "demo.yaml:40:22: error[unknown-fact]: names no fact: declare it under `facts:`, or use an input variable or "
     "a record field id"),
    ("{fact: expiry, before: today}", "{fact: expiry, gt: 3}",
     "demo.yaml:40:22: error[condition-type]: `gt` compares numbers, and this fact is a date"),
    ("set: {pregnant: true}", "set: {pregant: true}",
     "demo.yaml:25:62: error[set-fact]: sets a fact not declared under `facts:`"),
    ("    otherwise: treat\n", "",
     "demo.yaml:36:3: error[schema]: missing required field 'otherwise'"),
    ("{fact: expiry, before: today}", "{fact: expiry, before: today, is: 3}",
     "demo.yaml:40:9: error[schema]: nodes.check.rules[0].when: a condition is exactly one form: {fact: F, "
     "is: V} (or in, known, lt, le, gt, ge, before, after), {kit: ITEM, expired: true}, {kit: ITEM, present: "
     "false}, {all: [...]}, {any: [...]} or {not: C}"),
    # The kit forms: an unknown one, a value other than the two alarms, and an item that is no slug.
    ("{fact: expiry, before: today}", "{kit: hyaluronidase, missing: true}",
     "demo.yaml:40:36: error[schema]: unknown field 'missing'"),
    ("{fact: expiry, before: today}", "{kit: hyaluronidase, expired: false}",
     "demo.yaml:40:36: error[schema]: nodes.check.rules[0].when.expired: Input should be True"),
    ("{fact: expiry, before: today}", "{kit: Hyaluronidase, expired: true}",
     "demo.yaml:40:16: error[schema]: nodes.check.rules[0].when.kit: must be a slug: lower-case letters, "
     "digits and '-'"),
])
def test_a_bad_decision_is_one_located_line_and_exit_1(runner: CliRunner, tmp_path: Path, old: str, new: str,
                                                        line: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = DECIDE.read_text().replace("id: decide", "id: demo")
    assert text.count(old) == 1
    (tmp_path / "demo.yaml").write_text(text.replace(old, new))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", "demo.yaml"])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == line
    assert "Traceback" not in result.output


def test_the_graph_draws_a_decide_as_a_diamond_and_an_early_edge_dashed(runner: CliRunner) -> None:
    dot = runner.invoke(app, ["graph", "decide", "--format", "dot", "--protocols", str(DECIDE.parent)]).stdout
    assert ('    "check" [label="Is it safe to go ahead?\\n(2 rule(s), no prompt)", shape=diamond, '
            'peripheries=2];') in dot
    assert '    "recheck" -> "refer" [label="early, confirmed", style=dashed];' in dot
    assert '    "check" -> "treat" [label="otherwise"];' in dot
    mermaid = runner.invoke(app, ["graph", "decide", "--protocols", str(DECIDE.parent)]).stdout
    assert '    n3{"Is it safe to go ahead? (2 rule(s), no prompt)"}' in mermaid
    assert '    n7 -.->|"early, confirmed"| n9' in mermaid


def test_show_outlines_facts_decisions_and_early_edges(runner: CliRunner) -> None:
    shown = runner.invoke(app, ["show", "decide", "--protocols", str(DECIDE.parent)]).stdout.splitlines()
    assert "fact treatment: choice (toxin, filler)" in shown
    assert "  [t] Toxin -> pregnancy  (sets treatment = toxin)" in shown
    assert "  * treated_on: Treatment date (date, not before 90 days ago, not after today; optional)" in shown
    assert "  if expiry before today (The expiry date has passed.) -> do-not-use" in shown
    assert "  otherwise -> treat" in shown
    assert "  early, once confirmed -> refer" in shown
