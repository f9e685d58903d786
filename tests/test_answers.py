"""An answer event in words: from what the log holds, or from the protocol walked for an old log."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aesthetic_protocols.events import AnswerEvent, from_record
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.model import Protocol
from aesthetic_protocols.report import answers
from aesthetic_protocols.report.answers import Said

RECORDS = load_file(Path(__file__).parent / "fixtures" / "valid" / "records.yaml").protocol
EVERY_KIND = load_file(Path(__file__).parent / "fixtures" / "valid" / "every-kind.yaml").protocol


def _answer(line: dict[str, object]) -> AnswerEvent:
    """An answer line as the journal reads it back: the readers take typed events."""
    event = from_record({"event": "answer", **line})
    assert isinstance(event, AnswerEvent)
    return event


def said(line: dict[str, object], protocol: Protocol | None = None) -> Said:
    return answers.said(_answer(line), protocol)


def field_type(line: dict[str, object], protocol: Protocol | None) -> str | None:
    return answers.field_type(_answer(line), protocol)


def withheld(line: dict[str, object], protocol: Protocol | None) -> bool:
    return answers.withheld(_answer(line), protocol)


def test_an_option_reads_as_its_label_from_the_log_or_the_protocol() -> None:
    new = {"node": "assess", "answer": "y", "title": "What do you see?", "label": "Blanching"}
    assert said(new) == Said("What do you see?", "Blanching", "option", "y")
    assert said({"node": "assess", "answer": "y"}, EVERY_KIND) == Said("What do you see?", "Blanching", "option", "y")
    assert said({"node": "assess", "answer": "y"}).label == "answered y"  # an old log, its protocol not found


def test_an_input_and_a_done_read_in_words() -> None:
    words = said({"node": "areas", "answer": "2"}, EVERY_KIND)
    assert (words.label, words.value, words.unit, words.kind) == ("2 areas", 2, "areas", "input")
    assert said({"node": "begin", "answer": "", "label": "done"}).label == "Done"
    assert said({"node": "wait", "answer": ""}, EVERY_KIND).label == "Continued"


@pytest.mark.parametrize("value", [None, "s", "Saline"])
def test_a_choice_field_reads_as_its_label_whether_the_log_kept_the_key_or_the_label(value: str | None) -> None:
    event = {"node": "given", "answer": "s", "field": "diluent"} | ({} if value is None else {"value": value})
    words = said(event, RECORDS)
    assert (words.label, words.key, words.value, words.value_text) == ("Diluent", "s", "Saline", "Saline")


def test_a_field_left_empty_and_a_number_with_its_unit() -> None:
    empty = said({"node": "product", "answer": "", "field": "batch", "label": "Batch number"})
    assert empty.empty and empty.value_text == "(left empty)"
    volume = said({"node": "product", "answer": "0.5", "field": "volume", "value": 0.5, "unit": "mL"})
    assert volume.value_text == "0.5 mL"
    assert said({"node": "x", "answer": "3", "field": "n", "value": 3.0, "unit": "U"}).value_text == "3 U"


def test_time_date_and_text_values_are_withheld_when_anonymised_numbers_and_choices_are_not() -> None:
    def event(field: str, value: object) -> dict[str, object]:
        return {"node": "product", "answer": str(value), "field": field, "value": value}

    assert [field_type(event(f, v), None) for f, v in
            (("a", "14:05"), ("b", "2026-11-27"), ("c", "Juvederm"), ("d", 0.5))] == ["time", "date", "text", "number"]
    assert withheld(event("injected_at", "14:05"), RECORDS) and withheld(event("treated_on", "2026-11-27"), RECORDS)
    assert withheld(event("product", "Juvederm"), RECORDS) and not withheld(event("volume", 0.5), RECORDS)
    assert not withheld(event("batch", ""), RECORDS)  # left empty: nothing to remove
    assert not withheld({"node": "given", "answer": "s", "field": "diluent", "value": "Saline"}, RECORDS)
    assert not withheld({"node": "assess", "answer": "y"}, None)


def test_a_choice_field_reads_in_words_from_the_log_alone() -> None:
    event = {"event": "answer", "node": "given", "field": "diluent", "answer": "l", "value": "l",
             "choice": "Lidocaine 1%", "label": "Diluent", "title": "Record what was given", "next": "fine"}
    words = said(event)  # no protocol found: the log's own words
    assert (words.label, words.value, words.key) == ("Diluent", "Lidocaine 1%", "l")


_WORDS = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz ,;-"), max_size=20)


@settings(max_examples=60, deadline=None)
@given(_WORDS, st.times(), st.dates(), _WORDS, st.booleans())
def test_a_clock_time_or_a_date_anywhere_in_a_text_looks_dated(before: str, moment: time, day: date,
                                                                after: str, use_day: bool) -> None:
    stamp = day.isoformat() if use_day else moment.strftime("%H:%M")
    assert answers.looks_dated(f"{before}{stamp}{after}")


@pytest.mark.parametrize("text", ["Juvederm Voluma", "Restylane Lyft 20 mg/mL", "left nasolabial fold",
                                  "Teosyal RHA 4", "0.25 mL", "may recur", "upper lip, tear trough"])
def test_a_product_a_site_or_a_volume_does_not_look_dated(text: str) -> None:
    assert not answers.looks_dated(text)
