"""The plain face: one line per prompt; a record's fields one line each; the headline right after the title."""

from __future__ import annotations

import io
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aesthetic_protocols.faces.plain import PlainFace
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.walker import start_walk

VALID = Path(__file__).parent / "fixtures" / "valid"


class Clock:
    """Moves a minute at every reading, so elapsed times and the log's times differ step by step."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=15)
        return self.now


def walk(name: str, lines: str, tmp_path: Path) -> list[str]:
    face = PlainFace(stdin=io.StringIO(lines), stdout=io.StringIO())
    start_walk(load_file(VALID / f"{name}.yaml"), tmp_path, face=face, clock=Clock())
    text = face.stdout.getvalue()  # type: ignore[attr-defined]
    return [re.sub(r"^\[\d\d:\d\d\]", "[mm:ss]", line) for line in text.splitlines()]


def test_a_record_is_asked_field_by_field_one_line_each(tmp_path: Path) -> None:
    lines = walk("records", "Brand X\n\n0.50\n25:00\n9:05\n\n2\n\nl\n\n", tmp_path)
    start = lines.index("[mm:ss] Record the product (record)")
    assert lines[start:start + 8] == [
        "[mm:ss] Record the product (record)",
        "Red flags: !v = Vision change",
        "Product name: text, at most 40 characters; required; red flag here: ! then its key (!v)",
        "Batch number: text, at most 120 characters; optional (Enter = skip); red flag here: ! then its key (!v)",
        "Volume injected: number in mL, 0-10, up to 1 decimal; required",
        "Time of injection: time HH:MM; optional (Enter = skip)",
        "give the time as HH:MM (24-hour)",
        "Time of injection: time HH:MM; optional (Enter = skip)",
    ]
    given = lines.index("[mm:ss] Record what was given (record)")
    assert lines[given + 2:given + 4] == [
        "Diluent: choice s = Saline, l = Lidocaine 1% (or 1-2); required",
        "Dose given: number in U, 0-3000; Enter = 1000 U (dose, as shown)",
    ]


def test_the_headline_follows_the_title(tmp_path: Path) -> None:
    lines = walk("records", "Brand X\n\n1\n\n\n2\nv\n", tmp_path)
    treat = lines.index("[mm:ss] Treat (action)")
    assert lines[treat + 1] == "Give 1000 U now"
    outcome = lines.index("Outcome: Emergency referral (emergency)")
    assert lines[outcome + 1] == "Call an ambulance now"


def test_back_into_a_record_from_the_next_step_shows_the_record_again(tmp_path: Path) -> None:
    lines = walk("records", "Brand X\n\n1\n\n\nback\n\nquit\n", tmp_path)
    again = [i for i, line in enumerate(lines) if line == "[mm:ss] Record the product (record)"][1]
    assert lines[again + 1:again + 3] == ["Red flags: v = Vision change",
                                          "Date of treatment: date YYYY-MM-DD; optional (Enter = skip)"]


def test_a_decision_shows_its_because_line_on_the_next_screen(tmp_path: Path) -> None:
    lines = walk("decide", "t\ny\n2030-01-01\n\n\n", tmp_path)
    outcome = lines.index("Outcome: Toxin deferred (follow-up)")
    assert lines[outcome + 1] == "Decided: Toxin is planned for a patient who is pregnant or breastfeeding."
    assert "Is it safe to go ahead?" not in "\n".join(lines[:outcome])  # a decide asks nothing


def test_an_early_continue_is_confirmed_or_kept_waiting(tmp_path: Path) -> None:
    lines = walk("decide", "f\nn\n2030-01-01\n\n\n\n\nno\n\ny\n", tmp_path)
    treat = lines.index("[mm:ss] Treat (action)")
    assert lines[treat + 1] == "Source: R1"  # `otherwise` gives no because line
    wait = lines.index("[mm:ss] Recheck at 30 minutes (wait)")
    asked = "Continue before the recheck is due? y = yes, continue early; any other line = keep waiting"
    assert lines[wait + 4:wait + 10] == [
        "Enter to continue when reassessed (you may continue early)", asked,
        "Enter to continue when reassessed (you may continue early)", asked,
        "", "Outcome: Continued early, refer (refer)"]
    assert [line.split("  ")[-1].strip() for line in lines if "Recheck at 30 minutes  " in line][1:] == [
        "Continue early asked, not confirmed: kept waiting",
        "continued early, confirmed (continued before the wait was due)"]


def test_a_bare_letter_at_a_text_field_is_text_and_bang_raises_the_flag(tmp_path: Path) -> None:
    # One red-flag rule in both faces: `v` at "Product name" is the product's name; `!v` raises the flag.
    lines = walk("records", "v\n!v\n", tmp_path)
    assert lines[lines.index("[mm:ss] Record the product (record)") + 3].startswith("Batch number: text")
    assert "[mm:ss] Vision change: emergency (outcome)" in lines or any(
        line.startswith("Outcome: ") for line in lines)
    flagged = (tmp_path / next(p.name for p in tmp_path.glob("*.jsonl"))).read_text()
    assert '"value":"v"' in flagged.replace(" ", "") and '"event":"red-flag"' in flagged.replace(" ", "")


def test_the_header_states_the_red_flag_rule_when_a_tree_has_text_fields(tmp_path: Path) -> None:
    lines = walk("records", "quit\n", tmp_path)
    assert "At a text field a bare letter is text: a red flag there is ! then its key (!v)" in lines


def test_hints_name_the_command_that_works(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from aesthetic_protocols.faces import command_name, record_hint

    started = tmp_path / ".venv" / "bin" / "protocol"
    started.parent.mkdir(parents=True)
    started.write_text("")
    started.chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(started)])
    monkeypatch.setenv("PATH", "/nonexistent")
    assert command_name() == str(started)  # not on PATH: the path it was started by
    assert record_hint("1f2e") == f"Record: {started} log export 1f2e --format html > record.html (then print it)"
    monkeypatch.setenv("PATH", str(started.parent))
    assert command_name() == "protocol"


def test_the_end_timeline_names_the_step_a_walk_stopped_at_by_its_title(tmp_path: Path) -> None:
    # Interrupted at a step never answered: the log holds no title for it, the walked protocol does.
    lines = walk("records", "quit\n", tmp_path)
    row = next(line for line in lines if line.endswith("Interrupted (quit)"))
    assert row.split()[1:4] == ["Record", "the", "product"], row
