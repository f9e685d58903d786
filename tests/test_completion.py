"""Shell completion as bash asks for it: the console entry run with `_PROTOCOL_COMPLETE=complete_bash`,
COMP_WORDS and COMP_CWORD set, one offered word a line on stdout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

VALID = Path(__file__).parent / "fixtures" / "valid"
ENTRY = Path(sys.executable).with_name("protocol")
ALL_IDS = ["every-kind", "nodules", "pre-treatment-check", "ptosis", "vascular-occlusion"]
SESSIONS = ["20261206T101010Z-ptosis-ab12", "20261206T111010Z-nodules-cd34"]


def _complete(line: str, logs: Path, extra_env: dict[str, str] | None = None,
              command: list[str] | None = None) -> tuple[list[str], str]:
    """The words bash would be offered for `line` (the cursor at its end), and what went to stderr."""
    words = line.split(" ")
    env = {"PATH": "/usr/bin:/bin", "_PROTOCOL_COMPLETE": "complete_bash", "COMP_WORDS": line,
           "COMP_CWORD": str(len(words) - 1), "AESTHETIC_PROTOCOLS_PATH": str(VALID),
           "AESTHETIC_PROTOCOLS_LOG_DIR": str(logs), **(extra_env or {})}
    done = subprocess.run(command or [str(ENTRY)], capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.split(), done.stderr


@pytest.fixture()
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    (folder / "drills").mkdir(parents=True)
    (folder / f"{SESSIONS[0]}.jsonl").touch()
    (folder / "drills" / f"{SESSIONS[1]}.jsonl").touch()
    return folder


def test_va_completes_to_the_protocol_id_and_val_to_the_command(logs: Path) -> None:
    assert _complete("protocol va", logs) == (["vascular-occlusion"], "")
    assert _complete("protocol val", logs) == (["validate"], "")


def test_the_first_word_offers_every_command_and_every_protocol_id(logs: Path) -> None:
    offered, _ = _complete("protocol ", logs)
    assert {"run", "resume", "log", "show", "card", "drill", "diff", "validate"} <= set(offered)
    assert set(ALL_IDS) <= set(offered)


@pytest.mark.parametrize("command", ["show", "graph", "card", "drill", "run", "diff", "scenarios"])
def test_commands_taking_a_protocol_offer_its_ids(logs: Path, command: str) -> None:
    assert _complete(f"protocol {command} p", logs)[0] == ["pre-treatment-check", "ptosis"]


def test_the_second_version_of_diff_is_a_protocol_id_too(logs: Path) -> None:
    assert _complete("protocol diff ptosis n", logs)[0] == ["nodules"]


def test_after_a_protocol_id_the_words_are_runs_options(logs: Path) -> None:
    assert _complete("protocol ptosis --pa", logs)[0] == ["--patient"]


def test_log_subcommands_are_offered(logs: Path) -> None:
    assert _complete("protocol log ", logs)[0] == ["list", "show", "verify", "export", "replay"]


@pytest.mark.parametrize("command", ["resume", "abandon", "log show", "log verify", "log export", "log replay"])
def test_session_commands_offer_the_session_ids_drills_included(logs: Path, command: str) -> None:
    assert _complete(f"protocol {command} ", logs)[0] == SESSIONS


def test_a_short_id_is_completed_as_typed(logs: Path) -> None:
    assert _complete("protocol log show ab", logs)[0] == ["ab12"]
    assert _complete("protocol resume 2026120", logs)[0] == SESSIONS


def test_the_log_folder_typed_on_the_line_is_the_one_listed(logs: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "20261201T090000Z-ptosis-ffff.jsonl").touch()
    assert _complete(f"protocol log show --log-dir {other} ", logs)[0] == ["20261201T090000Z-ptosis-ffff"]


@pytest.mark.parametrize("log_dir", ["/nonexistent/folder", "/etc/hostname", ""])
def test_a_bad_log_folder_offers_nothing_and_says_nothing(logs: Path, log_dir: str) -> None:
    assert _complete("protocol log show ", logs, {"AESTHETIC_PROTOCOLS_LOG_DIR": log_dir}) == ([], "")


_PROBE = """
import atexit, os, sys
atexit.register(lambda: print("HEAVY", *sorted(set(sys.modules) & HEAVY), file=sys.stderr))
HEAVY = {"yaml", "jinja2", "rich", "aesthetic_protocols.model", "aesthetic_protocols.loader"}
from aesthetic_protocols.launch import main
main([])
"""


# typer itself imports pydantic; completion adds no parser, model or renderer to it.
def test_completing_writes_nothing_and_imports_no_parser(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    offered, stderr = _complete("protocol log show ", logs, command=[sys.executable, "-c", _PROBE])
    assert offered == []
    assert stderr == "HEAVY\n"
    assert not logs.exists()  # no log folder made, nothing written
    offered, stderr = _complete("protocol show pt", logs, command=[sys.executable, "-c", _PROBE])
    assert (offered, stderr) == (["ptosis"], "HEAVY\n")


def test_a_completion_call_with_a_command_line_never_starts_a_walk(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    env = {"PATH": "/usr/bin:/bin", "_PROTOCOL_COMPLETE": "complete_bash", "COMP_WORDS": "protocol every-kind ",
           "COMP_CWORD": "2", "AESTHETIC_PROTOCOLS_PATH": str(VALID), "AESTHETIC_PROTOCOLS_LOG_DIR": str(logs)}
    done = subprocess.run([str(ENTRY), "every-kind", "--plain"], input="\n", capture_output=True, text=True,
                          env=env, timeout=30)
    assert (done.returncode, done.stderr) == (0, "")
    assert not logs.exists()
