"""The record and the cards printed to PDF by a real browser (headless Chromium), read back with pypdf.

Without a `chromium` on PATH these tests skip, saying why; CI installs it and sets
AESTHETIC_PROTOCOLS_REQUIRE_BROWSER=1, which makes a missing browser a failure instead of a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from aesthetic_protocols.journal import read_events
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.logged_protocol import find_logged_protocol
from aesthetic_protocols.report.card import card_data, card_html
from aesthetic_protocols.report.record import record_html
from aesthetic_protocols.search import bundled_dir, protocol_files
from tests.sessions import EXPORT_DIR, sarah, write_log

REQUIRE_ENV = "AESTHETIC_PROTOCOLS_REQUIRE_BROWSER"


def chromium() -> str:
    """The browser's path; skip (or, where CI requires the browser, fail) when there is none."""
    found = shutil.which("chromium")
    if found is None:
        reason = "no 'chromium' on PATH: install the Debian package chromium to print the record and cards"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{reason} ({REQUIRE_ENV}=1: CI must run this test)")
        pytest.skip(reason)
    return found


def print_pdf(html: str, folder: Path, name: str) -> PdfReader:
    """Print a page to PDF as a user would from the browser (A4 from the page's own @page rule)."""
    browser = chromium()
    source = folder / f"{name}.html"
    source.write_text(html, encoding="utf-8")
    pdf = folder / f"{name}.pdf"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={folder / 'profile'}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    source.as_uri()], capture_output=True, timeout=180, check=True)
    return PdfReader(pdf)


def text_of(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _type_sizes(page: Any) -> list[tuple[float, str]]:
    """Each piece of text on a page with its printed size in points (the font size through both matrices)."""
    sizes: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            sizes.append((round(size * abs(tm[3] * cm[3]), 2), text.strip()))

    page.extract_text(visitor_text=visit)
    return sizes


@pytest.mark.parametrize("path", list(protocol_files(bundled_dir())), ids=lambda p: p.stem)
def test_every_bundled_card_prints_a_wall_side_readable_at_a_metre_and_a_details_side(path: Path,
                                                                                     tmp_path: Path) -> None:
    loaded = load_file(path)
    card = card_data(loaded.protocol, loaded.source.sha256)
    reader = print_pdf(card_html(loaded.protocol, loaded.source.sha256), tmp_path, path.stem)
    assert len(reader.pages) == 2
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)  # A4
    text = text_of(reader)
    assert loaded.protocol.title.split()[0] in text and loaded.source.sha256[:12] in text
    assert ("DRAFT" in text) == (str(loaded.protocol.status) == "draft")
    wall = _type_sizes(reader.pages[0])
    assert min(size for size, _ in wall) >= 10.0  # body type at least 10 pt
    large = " ".join(" ".join(text for size, text in wall if size >= 13.95).split())  # headings 14 pt (rounded)
    assert "MAIN PATH" in large and loaded.protocol.title in large
    assert ("RED FLAGS: AT ANY STEP" in large) == bool(card.flags)
    # The wall side holds every red flag's whole emergency path and every main-path step's headline (compared
    # without spaces and hyphens: a word broken at its hyphen, "vascular-|occlusion", is read back without it).
    def bare(text: str) -> str:
        return re.sub(r"[\s-]", "", text)

    wall_text = bare(reader.pages[0].extract_text())
    for flag in card.flags:
        for action in flag.actions:
            for line in [action.headline or action.title, *action.lines, *action.wall_timers]:
                assert bare(line) in wall_text, line
    # The main path's steps that say what to do (a headline) or end the walk are on the wall side too, unless
    # the red flags' paths fill it (vascular-occlusion 0.3.0: then the wall side says the main path is overleaf).
    overleaf_only = bare("MAIN PATH overleaf, step by step: the red flags' emergency paths fill this side")
    assert (overleaf_only in wall_text) == (path.stem == "vascular-occlusion")
    for step in card.steps:
        if step.on_wall and overleaf_only not in wall_text:
            assert bare(step.headline or step.title) in wall_text
    # Every step is overleaf, numbered, with its title.
    details = bare(reader.pages[1].extract_text())
    for step in card.steps:
        assert bare(f"{step.number}.{step.title}") in details, step.title


def test_the_printed_record_says_what_was_chosen_the_dose_the_instructions_and_draft(tmp_path: Path) -> None:
    events, _ = read_events(write_log(tmp_path / "logs", "S1", sarah()))
    logged = find_logged_protocol(events, [EXPORT_DIR], date(2026, 11, 28))
    reader = print_pdf(record_html(events, logged=logged, integrity="intact"), tmp_path, "record")
    text = text_of(reader)
    for words in ("Yes: one or more of these signs", "Hyaluronic acid (HA)", "Straight to hyaluronidase", "2 areas",
                  "pulse dose: 1000 U", "Resolved: normal refill, normal colour, no pain",
                  "Monitor until resolved, daily at first.", "Give the patient an emergency number.",
                  "DRAFT PROTOCOL", "Signature", events[-1].hash[:16]):
        assert words in text, words
    assert len(reader.pages) >= 2
    for page in reader.pages:  # the running header repeats the patient reference on every page
        assert "Patient R-0042" in page.extract_text()
    assert "Aspirin taken back: see correction" in text and "08:04:30 see correction" in text  # struck through
    _assert_paged_and_full(reader, "Patient R-0042 · Session record")


def _long_note() -> str:
    """A 1,990-character note of numbered phrases, each findable on its own in the printed text."""
    phrases = [f"observation {n}: refill slower over the left nasolabial fold, colour mottled" for n in range(1, 40)]
    text = "; ".join(phrases)[:1990]
    assert len(text) == 1990
    return text


def _lowest_body_text(page: Any) -> float:
    """The height (points above the page's foot) of the lowest text on a page, the running footer apart."""
    heights: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            heights.append(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])

    page.extract_text(visitor_text=visit)
    return min(height for height in heights if height > FOOTER_TOP)


FOOTER_TOP = 30.0  # points: the running footer ("page X of Y") prints in the bottom margin, below this


def _assert_paged_and_full(reader: PdfReader, who: str) -> None:
    """Every page says "page X of Y" and whose record it is; no page but the last is mostly empty."""
    pages = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        text = " ".join(page.extract_text().split())
        assert f"page {number} of {pages}" in text
        assert who in text
        if number < pages:  # the body runs into the page's lowest quarter
            assert _lowest_body_text(page) < float(page.mediabox.height) / 4, number


def test_a_long_note_prints_in_full_across_the_page_on_numbered_pages(tmp_path: Path) -> None:
    note = _long_note()
    events = sarah()
    events.insert(7, ("note", {"node": "first-line", "text": note}))
    logged_events, _ = read_events(write_log(tmp_path / "logs", "S1", events))
    logged = find_logged_protocol(logged_events, [EXPORT_DIR], date(2026, 11, 28))
    reader = print_pdf(record_html(logged_events, logged=logged, integrity="intact"), tmp_path, "long-note")
    # The body's text, page after page, without what repeats on every page (footer, running header, the
    # timeline's column heads), so a phrase running over a page break reads on.
    repeated = {"Patient R-0042 · Session record", "Time Elapsed Step Chosen Values",
                "Patient R-0042 Vascular occlusion after dermal filler 0.1.0 · DRAFT"}
    pages = [page.extract_text().replace(f"page {number} of {len(reader.pages)}", "", 1)
             for number, page in enumerate(reader.pages, start=1)]
    text = " ".join(line for page in pages for line in page.split("\n") if line not in repeated)
    text = " ".join(text.split())
    for phrase in note.split("; ")[:-1]:  # the last is cut at 1,990 characters
        assert phrase in text, phrase
    assert len(reader.pages) <= 3
    _assert_paged_and_full(reader, "Patient R-0042")


def test_the_printed_anonymised_record_names_nobody(tmp_path: Path) -> None:
    events, _ = read_events(write_log(tmp_path / "logs", "S1", sarah()))
    logged = find_logged_protocol(events, [EXPORT_DIR], date(2026, 11, 28))
    text = text_of(print_pdf(record_html(events, anonymise=True, logged=logged), tmp_path, "anonymised"))
    assert "R-0042" not in text and "Dr A Nurse" not in text and "flooded" not in text
    assert "Removed for anonymity" in text and "pulse dose: 1000 U" in text
    _assert_paged_and_full(PdfReader(tmp_path / "anonymised.pdf"), "Session record (anonymised)")


def test_without_a_browser_the_tests_skip_locally_and_fail_where_ci_requires_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="install the Debian package chromium"):
        chromium()
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="CI must run this test"):
        chromium()
