"""Word-boundary wrapping at the window's width: listings under their last column, items under their first word."""

from __future__ import annotations

import io
import re

import pytest
from typer.testing import CliRunner

from aesthetic_protocols.cli import app
from aesthetic_protocols.report.wrapping import window_width, wrap_line, wrap_text


def test_a_listing_goes_on_under_its_last_column() -> None:
    line = "pre-treatment-check  0.2.0    draft   2027-11-28   Before treatment: history, consent and emergency kit"
    assert wrap_line(line, 80) == ["pre-treatment-check  0.2.0    draft   2027-11-28   Before treatment: history,",
                                   "                                                   consent and emergency kit"]


def test_an_item_goes_on_under_its_first_word_and_words_are_never_split() -> None:
    rows = wrap_line("  - Aspirate while withdrawing the needle or cannula, if possible.", 40)
    assert rows == ["  - Aspirate while withdrawing the", "    needle or cannula, if possible."]
    assert wrap_text("short\n", 40) == "short\n"
    assert wrap_text("x" * 50, None) == "x" * 50  # a pipe: as it is


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_width_is_the_terminal_s_and_a_pipe_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "72")
    assert window_width(Terminal()) == 72
    assert window_width(io.StringIO()) is None


def test_protocol_list_in_a_60_column_window_breaks_between_words(monkeypatch: pytest.MonkeyPatch) -> None:
    wide = CliRunner().invoke(app, ["list"]).stdout
    monkeypatch.setattr("aesthetic_protocols.report.wrapping.window_width", lambda stream: 60)
    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 0
    assert all(len(line) <= 60 for line in result.stdout.splitlines())
    assert len(result.stdout.splitlines()) > len(wide.splitlines())
    words = set(re.findall(r"[A-Za-z-]+", wide))
    assert set(re.findall(r"[A-Za-z-]+", result.stdout)) == words  # no word cut in two
