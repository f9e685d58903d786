"""The entry point: `protocol ID` before typer, the closest ids for an unknown one, choosing a session."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aesthetic_protocols.cli import app
from aesthetic_protocols.launch import main, unknown_id_message

VALID = Path(__file__).parent / "fixtures" / "valid"
V010 = Path(__file__).parent / "fixtures" / "v0.1.0"
KNOWN = ["every-kind", "nodules", "pre-treatment-check", "ptosis", "vascular-occlusion"]


@pytest.fixture()
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(VALID))
    monkeypatch.setenv("NO_COLOR", "1")
    return CliRunner()


@pytest.mark.parametrize(("typed", "hint"), [
    ("VO", "did you mean vascular-occlusion?"),
    ("vascular", "did you mean vascular-occlusion?"),
    ("ptosys", "did you mean ptosis?"),
    ("nodule", "did you mean nodules?"),
    ("lst", "did you mean the command 'protocol list'?"),
    ("valdate", "did you mean the command 'protocol validate'?"),
])
def test_an_unknown_id_gets_the_closest_ids_or_command(typed: str, hint: str) -> None:
    message = unknown_id_message(typed, KNOWN)
    assert message == (f"no protocol with that id on the search path; {hint} (protocols: every-kind, nodules, "
                       "pre-treatment-check, ptosis, vascular-occlusion)")


def test_an_unknown_id_never_repeats_what_was_typed() -> None:
    assert "Jane" not in unknown_id_message("Jane-Smith", KNOWN)


def test_the_cli_suggests_and_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(app, ["ptosys"])
    assert result.exit_code == 2
    assert result.stderr.startswith("protocol: no protocol with that id on the search path; did you mean ptosis?")
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert result.stderr == ("protocol: which protocol? protocol run ID, with ID one of: decide, every-kind, nodules, "
                             "pre-treatment-check, ptosis, records, vascular-occlusion\n")


def test_resume_without_an_id_lists_the_interrupted_sessions_newest_first(runner: CliRunner,
                                                                          tmp_path: Path) -> None:
    runner.invoke(app, ["every-kind"], input="\nquit\n")
    runner.invoke(app, ["every-kind"], input="\nn\n")  # finished: not offered
    runner.invoke(app, ["every-kind", "--patient", "P-17"], input="\ny\n2\nback\nquit\n")  # back at areas
    result = runner.invoke(app, ["resume"])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 3
    # Patient reference, protocol, the title of the step it stands at (after the Back), time, short id.
    assert lines[0].startswith(" 1  ") and ' UTC  patient P-17  every-kind  at "Areas affected"  (id ' in lines[0]
    assert ' UTC  no patient ref  every-kind  at "What do you see?"  (id ' in lines[1]
    assert lines[2] == "protocol: which session? protocol resume ID (the short id above, or the session id)"
    short = lines[0].rsplit("(id ", 1)[1].rstrip(")")
    resumed = runner.invoke(app, ["resume", short], input="2\n\n\ny\n")
    assert resumed.exit_code == 0, resumed.output


def test_resume_with_no_interrupted_session_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["resume"])
    assert result.exit_code == 2 and result.stderr.startswith("protocol: no interrupted sessions in ")


def test_an_ambiguous_start_of_an_id_names_the_sessions(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["every-kind"], input="quit\n")
    runner.invoke(app, ["every-kind"], input="quit\n")
    result = runner.invoke(app, ["resume", "20"])
    assert result.exit_code == 2
    assert result.stderr.startswith("protocol: 2 sessions match that id: ")
    assert result.stderr.rstrip().endswith("; give more of it")


_PROBE = """
import atexit, sys
atexit.register(lambda: print("typer" in sys.modules, "pydantic.main" in sys.modules, file=sys.stderr))
from aesthetic_protocols.launch import main
main(sys.argv[1:])
"""


def test_protocol_id_starts_without_importing_typer(tmp_path: Path) -> None:
    env = {"AESTHETIC_PROTOCOLS_PATH": str(VALID), "AESTHETIC_PROTOCOLS_LOG_DIR": str(tmp_path / "logs"),
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", _PROBE, "every-kind", "--plain"], input="quit\n",
                          capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines()[-1].startswith("False")  # typer was never imported


_MODULES_AT_EXIT = """
import atexit, gc, sys
atexit.register(lambda: print("MODULES", *sorted(sys.modules), file=sys.stderr))
atexit.register(lambda: print("COLLECTOR", gc.isenabled(), gc.get_freeze_count() > 0, file=sys.stderr))
from aesthetic_protocols.launch import main
main(sys.argv[1:])
"""
# What the chairside start must not import once the protocol is in the cache: the parser and the rules (a
# cache hit needs neither), the renderers (the end screen is a timeline), typer, the terminal face's rich,
# importlib.resources (the bundled folder is a plain path), the witness when none is configured, and the
# handover screen's state and the photograph intake (only an until_handover outcome or a photo field needs them),
# the clinic file's models (only a clinic file found needs them), and the open-session listing (`resume`).
# No pydantic at all: a protocol from the cache is rebuilt as the walk's own classes (`tree`), not as the
# file format's models, which only validating a file needs.
# The end screen's timeline in words needs `report.record` (and what it reads: answers, clock, templating for
# escaping, logged_protocol); nothing else of the report package, and no parser, rules, template engine or UI.
HEAVY = ("aesthetic_protocols.checks", "aesthetic_protocols.loader", "aesthetic_protocols.report.graph",
         "aesthetic_protocols.report.review", "aesthetic_protocols.report.listing", "aesthetic_protocols.report.card",
         "aesthetic_protocols.report.fhir", "aesthetic_protocols.report.diff", "aesthetic_protocols.witness",
         "jinja2", "markupsafe", "typer", "rich", "yaml", "importlib.resources", "zipfile", "tempfile",
         "aesthetic_protocols.handover", "aesthetic_protocols.photo", "aesthetic_protocols.clinic_file",
         "aesthetic_protocols.sessions", "pydantic", "pydantic_core", "aesthetic_protocols.model",
         "aesthetic_protocols.conditions")


def _warm_walk_modules(tmp_path: Path, env: dict[str, str]) -> tuple[set[str], str]:
    """The modules a warm-cache plain walk of vascular-occlusion has loaded at exit, and its stderr."""
    env = {"AESTHETIC_PROTOCOLS_LOG_DIR": str(tmp_path / "logs"), "PATH": "/usr/bin:/bin",
           "AESTHETIC_PROTOCOLS_CACHE_DIR": str(tmp_path / "cache"), **env}
    walk = [sys.executable, "-c", _MODULES_AT_EXIT, "vascular-occlusion", "--plain"]
    first = subprocess.run(walk, input="quit\n", capture_output=True, text=True, env=env, timeout=60)
    assert first.returncode == 3, first.stderr
    assert "aesthetic_protocols.checks" in first.stderr.split()  # the cold start parsed and checked
    warm = subprocess.run(walk, input="quit\n", capture_output=True, text=True, env=env, timeout=60)
    assert warm.returncode == 3, warm.stderr
    (line,) = [line for line in warm.stderr.splitlines() if line.startswith("MODULES ")]
    loaded = set(line.split()[1:])
    assert {"aesthetic_protocols.walker", "aesthetic_protocols.faces.plain", "aesthetic_protocols.tree"} <= loaded
    return loaded, warm.stderr


def _heavy(loaded: set[str]) -> list[str]:
    return sorted(name for name in loaded for heavy in HEAVY if name == heavy or name.startswith(f"{heavy}."))


def test_a_warm_cache_plain_walk_imports_no_heavy_module(tmp_path: Path) -> None:
    # A tree that names no contacts and reads no kit (vascular-occlusion 0.1.0): no clinic file lookup at all.
    loaded, stderr = _warm_walk_modules(tmp_path, {"AESTHETIC_PROTOCOLS_PATH": str(V010)})
    assert _heavy(loaded) == []
    assert not {"platformdirs", "aesthetic_protocols.clinic", "aesthetic_protocols.clinic_file"} & loaded
    # What the start made was frozen, out of the collector's way, and the collector runs again for the walk.
    assert "COLLECTOR True True" in stderr.splitlines()


def test_a_warm_walk_of_a_tree_naming_contacts_adds_only_the_clinic_file_lookup(tmp_path: Path) -> None:
    # The bundled vascular-occlusion names contacts, so the walk looks for the clinic file in the config folder
    # (platformdirs, which imports tempfile on Unix); no clinic file is there, so nothing is parsed.
    loaded, stderr = _warm_walk_modules(tmp_path, {"XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert _heavy(loaded) == ["tempfile"]
    assert {"platformdirs", "aesthetic_protocols.clinic"} <= loaded
    assert "COLLECTOR True True" in stderr.splitlines()


def test_a_chairside_start_that_fails_leaves_the_collector_running(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(VALID))
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path / "logs"))
    with pytest.raises(SystemExit) as exited:
        main(["no-such-protocol", "--plain"])
    assert exited.value.code == 2
    assert gc.isenabled()


def test_a_session_open_in_another_walker_is_listed_as_open_elsewhere(runner: CliRunner, tmp_path: Path) -> None:
    from aesthetic_protocols.durable import _lock
    from aesthetic_protocols.journal import lock_held

    runner.invoke(app, ["every-kind"], input="quit\n")
    (log,) = (tmp_path / "logs").glob("*.jsonl")
    assert not lock_held(log)
    fd = os.open(log, os.O_RDWR)
    try:
        _lock(fd)
        assert lock_held(log)
        lines = runner.invoke(app, ["resume"]).stderr.splitlines()
        assert lines[0].endswith(")  OPEN ELSEWHERE")
        refused = runner.invoke(app, ["abandon", log.stem])
        assert refused.exit_code != 0 and "open in another walker" in refused.stderr
    finally:
        os.close(fd)


def test_abandon_records_the_event_closes_the_log_and_hides_it(runner: CliRunner, tmp_path: Path) -> None:
    runner.invoke(app, ["every-kind"], input="\nquit\n")
    (log,) = (tmp_path / "logs").glob("*.jsonl")
    result = runner.invoke(app, ["abandon", log.stem[-4:], "--reason", "patient left; seen elsewhere"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"abandoned; the log is closed: {log}\n"
    last = json.loads(log.read_text().splitlines()[-1])
    assert (last["event"], last["node"], last["reason"]) == ("abandoned", "assess", "patient left; seen elsewhere")
    assert runner.invoke(app, ["log", "verify", log.stem]).exit_code == 0
    assert runner.invoke(app, ["resume"]).stderr.startswith("protocol: no interrupted sessions in ")
    again = runner.invoke(app, ["abandon", log.stem])
    assert again.exit_code == 2 and "already abandoned" in again.stderr


def test_an_abandoned_session_reads_as_abandoned_not_resumable(runner: CliRunner, tmp_path: Path) -> None:
    from aesthetic_protocols.events import AbandonedEvent
    from aesthetic_protocols.journal import read_events
    from aesthetic_protocols.recorded import ending
    from aesthetic_protocols.report.record import session_summary

    runner.invoke(app, ["every-kind"], input="\nquit\n")
    (log,) = (tmp_path / "logs").glob("*.jsonl")
    assert runner.invoke(app, ["abandon", log.stem, "--reason", "seen elsewhere"]).exit_code == 0
    events, _ = read_events(log)
    assert ending(events) == AbandonedEvent("assess", reason="seen elsewhere")
    assert session_summary(events)["state"] == "abandoned"
    record = runner.invoke(app, ["log", "export", log.stem, "--format", "html"]).stdout
    assert "abandoned (seen elsewhere); closed without an outcome" in record
    assert "resumable" not in record
    resumed = runner.invoke(app, ["resume", log.stem, "--plain"])
    assert resumed.exit_code == 2 and "this session was abandoned; nothing to resume" in resumed.stderr
