"""Bash completion through typer's completion callbacks: protocol ids (first, at the top level), subcommands,
session ids and short ids, as the shell asks for them (COMP_WORDS, COMP_CWORD, _PROTOCOL_COMPLETE)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aesthetic_protocols.completion import protocol_ids, session_ids

BUNDLED = Path(__file__).parents[1] / "protocols"
SESSION = "20261128T090000Z-vascular-occlusion-1f2e"


def complete(words: str, tmp_path: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "AESTHETIC_PROTOCOLS_PATH"}
    env.update(_PROTOCOL_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=str(len(words.split(" ")) - 1),
               AESTHETIC_PROTOCOLS_LOG_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "aesthetic_protocols"], env=env, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.fixture()
def logs(tmp_path: Path) -> Path:
    tmp_path.chmod(0o700)
    (tmp_path / f"{SESSION}.jsonl").write_text("")
    return tmp_path


def test_protocol_va_tab_gives_the_protocol_not_validate(logs: Path) -> None:
    assert complete("protocol va", logs) == ["vascular-occlusion"]
    assert complete("protocol val", logs) == ["validate"]  # no id starts so: the subcommands
    assert complete("protocol card p", logs) == ["pre-treatment-check", "ptosis"]


def test_session_ids_and_short_ids_are_offered(logs: Path) -> None:
    assert complete("protocol log show ", logs) == ["1f2e", SESSION]
    assert complete("protocol resume 1", logs) == ["1f2e"]
    assert complete("protocol abandon 2026", logs) == [SESSION]


def test_the_callbacks_never_fail(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path / "missing"))
    assert session_ids("") == []
    assert "nodules" in protocol_ids("")
