"""The session record: words, values, outcome instructions, corrections, anonymising, old logs, escaping."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aesthetic_protocols.cli import app
from aesthetic_protocols.events import AnswerEvent, Logged
from aesthetic_protocols.journal import read_events
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.logged_protocol import LoggedProtocol, find_logged_protocol
from aesthetic_protocols.model import InputNode, Protocol
from aesthetic_protocols.recorded import standing
from aesthetic_protocols.report.answers import withheld
from aesthetic_protocols.report.listing import session_list
from aesthetic_protocols.report.record import (
    record_html,
    record_json,
    record_markdown,
    session_record,
    session_summary,
    timeline,
    timeline_text,
)
from tests.sessions import EXPORT_DIR, VO_FILE, old_style, random_walk, record_fields, sarah, write_log
from tests.strategies import protocol_data

VALID = Path(__file__).parent / "fixtures" / "valid"
PLUS_ONE = timezone(timedelta(hours=1))


def events_of(tmp_path: Path, events: list[tuple[str, dict[str, Any]]], name: str = "S1") -> list[Logged]:
    read, verification = read_events(write_log(tmp_path / "logs", name, events))
    assert verification.ok
    return read


def found(events: list[Logged]) -> LoggedProtocol:
    return find_logged_protocol(events, [EXPORT_DIR], date(2026, 11, 28))


def section(text: str, title: str) -> list[str]:
    """The lines of one `## title` section, without blank lines."""
    body = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in body.splitlines() if line]


def test_the_timeline_says_what_was_chosen_in_words_with_values_and_corrections(tmp_path: Path) -> None:
    events = events_of(tmp_path, sarah())
    text = record_markdown(events, logged=found(events), integrity="intact (17 events)", zone=PLUS_ONE)
    # The note is a row of its own, across the row; the answer a Back took back and the time a
    # correction replaced are struck through, pointing to the correction.
    assert section(text, "Timeline") == [
        "| Time | Elapsed | Step | Chosen | Values |",
        "|---|---|---|---|---|",
        "| 09:00:00 | +0:00:00 | Vascular occlusion after dermal filler | Session started | vascular-occlusion 0.1.0 |",
        "| 09:00:30 | +0:00:30 | Stop injecting | Done |  |",
        "| 09:01:00 | +0:01:00 | Recognise and record before treating | Done |  |",
        "| 09:01:30 | +0:01:30 | Signs of impaired blood supply? | Yes: one or more of these signs |  |",
        "| 09:02:00 | +0:02:00 | Which filler was injected? | Hyaluronic acid (HA) |  |",
        "| 09:02:30 | +0:02:30 | **Note** at Bee or wasp venom allergy?: site \\<flooded\\> \\& \\*bold\\* \\# "
        "\\| \\`code\\` \u241b\\[31m | | |",
        "| 09:03:00 | +0:03:00 | Bee or wasp venom allergy? | No |  |",
        "| 09:03:30 | +0:03:30 | Massage and warmth first, or straight to hyaluronidase? | Straight to hyaluronidase "
        "|  |",
        "| 09:04:00 | +0:04:00 | How many areas are ischaemic? | 2 areas |  |",
        "| ~~09:04:30~~ (see correction) | +0:04:30 | Give a hyaluronidase pulse | Done (time corrected: done at "
        "09:02, recorded later) | pulse dose: 1000 U |",
        "| 09:05:00 | +0:05:00 | Consider an adjunct? (optional, weak evidence) | ~~Aspirin~~ (taken back: see "
        "correction) |  |",
        "| 09:05:30 | +0:05:30 | Adjunct: decide on aspirin | Back to: Consider an adjunct? (optional, weak evidence) "
        "|  |",
        "| 09:06:00 | +0:06:00 | Consider an adjunct? (optional, weak evidence) | No adjunct (now): continue to the "
        "60-minute reassessment |  |",
        "| 09:06:30 | +0:06:30 | Reassess at 60 minutes | Wait started: 60 min | due at 10:06:30 |",
        "| 09:07:00 | +0:07:00 | Reassess at 60 minutes | Continued (continued before the wait was due) |  |",
        "| 09:07:30 | +0:07:30 | Reassess refill, colour and pain | Resolved: normal refill, normal colour, no pain "
        "|  |",
        "| 09:08:00 | +0:08:00 | Resolved: follow-up plan | Outcome reached (resolved) |  |",
    ]
    assert "Times are local clock times, UTC+01:00; elapsed is since the session started." in text.splitlines()
    assert section(text, "Back steps and time corrections") == [
        "- 09:04:30: Give a hyaluronidase pulse: time corrected: done at 09:02, recorded later",
        "- 09:05:30: Adjunct: decide on aspirin: Back to: Consider an adjunct? (optional, weak evidence)"]


def test_the_header_names_who_which_version_and_the_hashes(tmp_path: Path) -> None:
    events = events_of(tmp_path, sarah())
    text = record_markdown(events, logged=found(events), integrity="intact (17 events)", zone=PLUS_ONE)
    lines = text.splitlines()
    assert lines[:3] == ["# Session record", "",
                         "> **DRAFT PROTOCOL: reference content, not approved by a clinician.** Check every step "
                         "against your local protocol."]
    head = events[-1].hash
    for line in ["- **Patient reference:** R-0042", "- **Practitioner:** Dr A Nurse",
                 "- **Protocol:** Vascular occlusion after dermal filler",
                 "- **Protocol id and version:** vascular-occlusion 0.1.0",
                 "- **Status:** DRAFT: reference content, not approved by a clinician",
                 f"- **Protocol file sha256:** {events[0].event.sha256}",
                 "- **Protocol check:** the protocol file found matches the log's sha256",
                 "- **Session:** S1", "- **Started:** 2026-11-28 09:00:00 UTC+01:00",
                 f"- **Log head hash:** {head}", "- **Log integrity:** intact (17 events)"]:
        assert line in lines
    assert lines[-1].startswith("Signature: ____")


def test_the_outcome_carries_its_severity_and_the_protocols_instructions(tmp_path: Path) -> None:
    events = events_of(tmp_path, sarah())
    text = record_markdown(events, logged=found(events), zone=UTC)
    assert section(text, "Outcome") == [
        "**Resolved: follow-up plan** (severity: resolved)",
        "Refill, colour and pain are normal. Hyaluronidase's effect lasts 24-48 h; keep monitoring until the area is "
        "fully resolved.",
        "- Record the final CRT, colour and pain, and the total hyaluronidase given.",
        "- Monitor until resolved, daily at first.",
        "- A suspected late occlusion needs an in-person review.",
        "- Give the patient an emergency number.",
        "- Refer any necrosis.",
        "\\_From protocol vascular-occlusion 0.1.0\\_".replace("\\_", "_"),
    ]
    assert section(text, "Data recorded")[2] == ("| How many areas are ischaemic? | areas | 2 areas | "
                                                 "08:04:00 | +0:04:00 |")
    assert section(text, "Red flags raised") == ["None."]


def test_the_data_table_keeps_what_stands_after_a_back_step_and_shows_record_fields(tmp_path: Path) -> None:
    record = session_record(events_of(tmp_path, record_fields()), zone=UTC)
    assert [(c.step, c.item, c.value) for c in record.captured] == [
        ("Record the product", "Product", "Juvederm <Volbella>"),
        ("Record the product", "Volume injected", "0.5 mL"),
        ("Record the product", "Time injected", "14:05"),
        ("Record the product", "Batch", "(left empty)")]


def test_red_flags_are_listed_and_highlighted(tmp_path: Path) -> None:
    flag = {"node": "signs", "key": "v", "label": "Eye: vision loss", "goto": "eye-actions"}
    walk = [*sarah()[:3], ("red-flag", flag),
            ("answer", {"node": "eye-actions", "answer": "", "next": "eye-emergency"}),
            ("outcome", {"node": "eye-emergency", "title": "Emergency referral: eye", "severity": "emergency"})]
    events = events_of(tmp_path, walk)
    text = record_markdown(events, logged=found(events), zone=UTC)
    assert section(text, "Red flags raised") == [
        "- 08:01:30: RED FLAG \\[v\\] Eye: vision loss (at: Signs of impaired blood supply?; went to: EYE EMERGENCY: "
        "refer immediately)"]
    assert section(text, "Outcome")[:2] == [
        "**Emergency referral: eye** (severity: emergency)",
        "Immediate transfer to emergency ophthalmology or the emergency department."]
    html = record_html(events, logged=found(events), zone=UTC)
    assert '<tr class="flag"><td class="clock">08:01:30</td>' in html


def test_anonymised_drops_identity_clock_columns_and_notes_and_says_so(tmp_path: Path) -> None:
    events = events_of(tmp_path, sarah())
    text = record_markdown(events, anonymise=True, logged=found(events), zone=UTC)
    for secret in ("R-0042", "Dr A Nurse", "S1", "flooded", " 08:0", "2026-11-28"):
        assert secret not in text
    assert ("**Removed for anonymity:** patient reference, practitioner, session id, dates and clock times (elapsed "
            "times kept), values of time, date and free-text record fields (0), free-text notes (1).") \
        in text.splitlines()
    assert section(text, "Timeline")[:3] == ["| Elapsed | Step | Chosen | Values |", "|---|---|---|---|",
                                             "| +0:00:00 | Vascular occlusion after dermal filler | Session started | "
                                             "vascular-occlusion 0.1.0 |"]
    assert "| ~~+0:04:30~~ (see correction) | Give a hyaluronidase pulse | Done (time corrected: done 2 min before " \
           "it was recorded) | pulse dose: 1000 U |" in text.splitlines()
    html = record_html(events, anonymise=True, logged=found(events), zone=UTC)
    assert "<th>Time</th>" not in html and "<th>Notes</th>" not in html and "R-0042" not in html
    assert "flooded" not in html and "<th>Elapsed</th>" in html


def test_an_old_log_reads_in_words_from_the_protocol_it_ran_under(tmp_path: Path) -> None:
    events = events_of(tmp_path, old_style())
    text = record_markdown(events, logged=found(events), zone=UTC)
    rows = section(text, "Timeline")
    assert rows[5] == ("| 08:01:30 | +0:01:30 | Signs of impaired blood supply? | Yes: one or more of these signs "
                       "|  |")
    assert rows[9] == "| 08:03:30 | +0:03:30 | How many areas are ischaemic? | 2 areas |  |"
    assert rows[12] == "| 08:05:00 | +0:05:00 | Reassess at 60 minutes | Continued |  |"
    assert rows[10] == "| 08:04:00 | +0:04:00 | Give a hyaluronidase pulse | Done | pulse dose: 1000 U |"
    assert section(text, "Outcome")[0] == "**Resolved: follow-up plan** (severity: resolved)"


def test_an_old_log_without_its_protocol_still_exports_what_it_holds(tmp_path: Path) -> None:
    events = events_of(tmp_path, old_style())
    text = record_markdown(events, logged=find_logged_protocol(events, [tmp_path / "none"], date(2026, 11, 28)),
                           zone=UTC)
    rows = section(text, "Timeline")
    assert rows[5] == "| 08:01:30 | +0:01:30 | signs | answered y |  |"
    assert section(text, "Outcome") == [
        "**resolved** (severity: resolved)",
        "_Instructions unavailable: protocol vascular-occlusion was not found on the search path (or is invalid): "
        "labels come from the log alone_"]


def test_a_protocol_file_changed_since_the_walk_is_said_in_the_header_and_the_outcome(tmp_path: Path) -> None:
    changed = tmp_path / "protocols"
    changed.mkdir()
    source = VO_FILE.read_text()
    (changed / "vascular-occlusion.yaml").write_text(source.replace('version: "0.1.0"', 'version: "0.2.0"'))
    events = events_of(tmp_path, sarah())
    logged = find_logged_protocol(events, [EXPORT_DIR, changed], date(2026, 11, 28))
    assert not logged.same
    text = record_markdown(events, logged=logged, zone=UTC)
    check = [line for line in text.splitlines() if line.startswith("- **Protocol check:**")]
    assert re.fullmatch(r"- \*\*Protocol check:\*\* WARNING: the protocol file found now differs from the one walked "
                        r"\(sha256 [0-9a-f]{64}, version 0\.2\.0\); instructions shown are from the file found now",
                        check[0])
    assert section(text, "Outcome")[-1].startswith("_From protocol vascular-occlusion 0.2.0 (the protocol file found")


def test_a_log_without_a_sha256_is_said_so(tmp_path: Path) -> None:
    walk = old_style()
    del walk[0][1]["sha256"]
    events = events_of(tmp_path, walk)
    logged = found(events)
    assert not logged.same and logged.check.startswith("the log holds no sha256 of its protocol file")
    assert "- **Protocol file sha256:** not recorded in the log" in record_markdown(events, logged=logged).splitlines()


def test_an_interrupted_session_has_no_outcome_and_says_why(tmp_path: Path) -> None:
    events = events_of(tmp_path, [*sarah()[:4], ("interrupted", {"node": "filler-type", "reason": "quit"})])
    text = record_markdown(events, logged=found(events), zone=UTC)
    assert section(text, "Outcome") == ["**No outcome reached**", "_The session was interrupted (quit); resumable._"]
    assert "| 08:02:00 | +0:02:00 | Which filler was injected? | Interrupted (quit) |  |" in text.splitlines()


def test_notes_and_protocol_text_come_out_literally_in_html(tmp_path: Path) -> None:
    events = events_of(tmp_path, sarah(patient="R-<b>1</b>"))
    html = record_html(events, logged=found(events), zone=UTC)
    assert ('<td class="text" colspan="3"><span class="label">Note</span> at Bee or wasp venom allergy?: '
            'site &lt;flooded&gt; &amp; *bold* # | `code` \u241b[31m</td>') in html
    assert "Patient R-&lt;b&gt;1&lt;/b&gt;" in html and "<b>1</b>" not in html
    assert "\x1b" not in html


def test_a_session_across_midnight_and_a_clock_change_shows_the_date_and_offset_where_they_change(
        tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    events = events_of(tmp_path, sarah())
    events = [replace(event, ts=f"2026-10-24T{20 + index:02d}:00:00.000Z" if index < 4  # hours apart: 00:00,
                      else f"2026-10-25T{index - 4:02d}:00:00Z")  # 01:00 ... across the end of summer time
              for index, event in enumerate(events)]
    rows = section(record_markdown(events, zone=ZoneInfo("Europe/London")), "Timeline")
    assert [row.split(" | ")[0] for row in rows[2:8]] == [
        "| 21:00:00", "| 22:00:00", "| 23:00:00", "| 2026-10-25 00:00:00", "| 2026-10-25 01:00:00",
        "| 2026-10-25 01:00:00 (UTC+00:00)"]


@pytest.mark.parametrize("render", [record_markdown, record_html])
def test_an_empty_or_startless_log_still_renders(render: Any) -> None:
    assert "Session record" in render([{"seq": 0, "event": "answer", "node": "x", "answer": "y"}])


def test_the_record_says_how_to_check_the_log_later_and_marks_a_drill(tmp_path: Path) -> None:
    walk = sarah()
    walk[0][1]["drill"] = True
    events = events_of(tmp_path, walk)
    lines = record_markdown(events, logged=found(events), zone=UTC).splitlines()
    assert f"- **Check the log later:** protocol log verify S1 --head {events[-1].hash}" in lines
    assert "> **TRAINING DRILL: not a patient record.**" in lines
    assert "| 08:00:00 | +0:00:00 | Vascular occlusion after dermal filler | Session started (training drill) | " \
           "vascular-occlusion 0.1.0 |" in lines
    html = record_html(events, logged=found(events), zone=UTC)
    assert '<div class="banner">TRAINING DRILL: not a patient record</div>' in html


def test_export_warns_when_the_protocol_file_is_not_the_one_walked(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from aesthetic_protocols.cli import app

    walk = sarah()
    walk[0][1]["sha256"] = "0" * 64
    log = write_log(tmp_path / "logs", "S1", walk)
    result = CliRunner().invoke(app, ["log", "export", str(log), "--format", "html", "--protocols", str(EXPORT_DIR)])
    assert result.exit_code == 0
    assert re.fullmatch(r"protocol: warning: the protocol file found now differs from the one walked "
                        r"\(sha256 [0-9a-f]{64}, version 0\.1\.0\); instructions shown are from the file found now\n",
                        result.stderr)
    assert "<th>Protocol check</th><td>WARNING: the protocol file found now differs" in result.stdout


@settings(max_examples=40, deadline=None)
@given(data=protocol_data(), choices=st.lists(st.integers(min_value=0, max_value=10_000), max_size=40))
def test_any_tree_and_walk_give_a_record_with_a_row_per_event_and_only_standing_values(
        data: dict[str, Any], choices: list[int]) -> None:
    protocol = Protocol.model_validate(data)
    events = random_walk(protocol, choices)
    record = session_record(events, LoggedProtocol(protocol, "0" * 64, True, "matches"), zone=UTC)
    assert len(record.rows) == len(events)
    assert [row.chosen for row in record.red_flags] == [
        row.chosen for row in record.rows if row.chosen.startswith("RED FLAG")]
    standing_inputs = [e for e in standing(events)
                       if isinstance(e.event, AnswerEvent) and isinstance(protocol.nodes[str(e.event.node)], InputNode)]
    assert len(record.captured) == len(standing_inputs)
    text = record_markdown(events, logged=LoggedProtocol(protocol, "0" * 64, True, "matches"), zone=UTC)
    assert len(section(text, "Timeline")) == len(events) + 2


# The records fixture walked in plain mode: a text, a skipped text, a number, a time, a date, an input, a choice.
RECORDS_INPUT = "Juvederm <X> & *y*\n\n0.5\n14:05\n2026-11-27\n2\nnote: left side\n\ns\n\n"


@pytest.fixture()
def records_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(VALID))
    walked = CliRunner().invoke(app, ["records", "--patient", "R-9"], input=RECORDS_INPUT)
    assert walked.exit_code == 0, walked.output
    (log,) = (tmp_path / "logs").glob("*.jsonl")
    return log


@pytest.mark.parametrize("fmt", ["md", "html", "json", "fhir"])
def test_anonymised_removes_time_date_and_free_text_record_values_in_every_format(records_log: Path,
                                                                                   fmt: str) -> None:
    result = CliRunner().invoke(app, ["log", "export", str(records_log), "--format", fmt, "--anonymise"])
    assert result.exit_code == 0, result.output
    for secret in ("14:05", "2026-11-27", "Juvederm", "left side", "R-9"):
        assert secret not in result.stdout, secret
    assert "0.5" in result.stdout and "Saline" in result.stdout  # numbers and choices are kept
    if fmt == "md":
        lines = result.stdout.splitlines()
        assert "| Record the product | Time of injection | \\[removed\\] | +0:00:00 |" in lines
        assert "| Record the product | Date of treatment | \\[removed\\] | +0:00:00 |" in lines
        assert "| Record the product | Product name | \\[removed\\] | +0:00:00 |" in lines
        assert ("**Removed for anonymity:** patient reference, practitioner, session id, dates and clock times "
                "(elapsed times kept), values of time, date and free-text record fields (3), "
                "free-text notes (1).") in lines
    if fmt == "fhir":
        items = {item["linkId"]: item for group in json.loads(result.stdout)["entry"][1]["resource"]["item"]
                 for item in group.get("item", [group])}
        masked = [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "masked"}]
        for link in ("product.product", "product.injected_at", "product.treated_on"):
            assert "answer" not in items[link] and items[link]["extension"] == masked
        assert "extension" not in items["product.batch"]  # left empty: nothing was removed


def test_not_anonymised_the_record_keeps_time_and_date_values(records_log: Path) -> None:
    result = CliRunner().invoke(app, ["log", "export", str(records_log)])
    assert "| Record the product | Time of injection | 14:05 |" in result.stdout
    assert "| Record the product | Date of treatment | 2026-11-27 |" in result.stdout


def test_log_show_reads_as_the_export_does_with_step_titles_and_field_labels(tmp_path: Path) -> None:
    events = events_of(tmp_path, sarah())
    lines = timeline_text(events, found(events)).splitlines()
    steps = [line.split("  ", 2)[-1].strip() for line in lines[3:]]
    assert "Which filler was injected?                               Hyaluronic acid (HA)" in steps
    assert "Bee or wasp venom allergy?                               Note: site <flooded> & *bold* # | `code` " \
           "\u241b[31m" in steps  # an escape code shows as a symbol, as in the export
    assert "Give a hyaluronidase pulse                               Done (pulse dose: 1000 U) (time corrected: " \
           "done at 08:02, recorded later)" in steps
    exported = section(record_markdown(events, logged=found(events), zone=UTC), "Timeline")
    assert "| 08:02:00 | +0:02:00 | Which filler was injected? | Hyaluronic acid (HA) |  |" in exported


def test_log_show_names_record_fields_by_label_and_a_skipped_one_as_left_empty(records_log: Path) -> None:
    shown = CliRunner().invoke(app, ["log", "show", str(records_log)]).stdout.splitlines()
    what = [line.split("  +0:00:00  ", 1)[-1] for line in shown[3:]]
    assert what[1:4] == ["Record the product                             Product name: Juvederm <X> & *y*",
                         "Record the product                             Batch number: (left empty)",
                         "Record the product                             Volume injected: 0.5 mL"]
    assert "Record what was given                          Diluent: Saline" in what


def test_an_old_log_shows_in_words_when_its_protocol_is_found_and_as_logged_otherwise(tmp_path: Path) -> None:
    events = events_of(tmp_path, old_style())
    worded = timeline_text(events, found(events))
    assert "Which filler was injected?" in worded and "Hyaluronic acid (HA)" in worded
    bare = timeline_text(events)
    assert "  filler-type  " in bare and "answered h" in bare


@pytest.fixture()
def paris(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This computer's local time is Paris (UTC+01:00 in November)."""
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("paris")
def test_log_show_log_list_and_the_export_give_one_local_clock_time_with_the_offset_said_once(
        tmp_path: Path) -> None:
    events = events_of(tmp_path, sarah())
    shown = timeline_text(events, found(events)).splitlines()
    assert shown[3] == "started: 2026-11-28 09:00:00 UTC+01:00 (times below are local)"
    assert shown[8].startswith("09:02:00   +0:02:00  Which filler was injected?  ")
    exported = record_markdown(events, logged=found(events))
    assert "- **Started:** 2026-11-28 09:00:00 UTC+01:00" in exported.splitlines()
    assert "| 09:02:00 | +0:02:00 | Which filler was injected? | Hyaluronic acid (HA) |  |" in exported
    assert session_list([session_summary(events)]).splitlines() == [
        "started (times are local, UTC+01:00)",
        "2026-11-28 09:00  S1  vascular-occlusion 0.1.0  Resolved: follow-up plan (resolved)  patient R-0042"]
    assert timeline(events)[0]["time"] == "2026-11-28 09:00:00"


def test_a_time_correction_on_another_day_says_the_date(tmp_path: Path) -> None:
    walk = sarah()
    for name, fields in walk:
        if name == "answer" and fields.get("done_at"):
            fields["done_at"] = "2026-11-27T08:02+00:00"  # a time typed ahead of the clock, taken as yesterday
    events = events_of(tmp_path, walk)
    text = record_markdown(events, logged=found(events), zone=UTC)
    assert "Done (time corrected: done at 2026-11-27 08:02, recorded later)" in text


# --- issue 16: invisible and direction characters from an old log are shown, never acted on -----------------

SLIPPED = "dose \u202e0005\u202c U\u200b\u200e\u200f\u061c\u2028\u2029\ufeff\U000e0041\x1b[2J"
UNSEEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
                    "\U000e0000-\U000e007f]")


def test_every_renderer_shows_invisible_characters_that_slipped_into_an_old_log(tmp_path: Path) -> None:
    from aesthetic_protocols.engine import Session
    from aesthetic_protocols.faces.plain import PlainFace
    from aesthetic_protocols.report.fhir import fhir_bundle

    walk = sarah()
    walk.insert(2, ("note", {"node": "assess", "text": SLIPPED}))
    walk.insert(3, ("field", {"node": "assess", "field": "what", "value": SLIPPED}))
    events = events_of(tmp_path, walk)
    outputs = {"log show": timeline_text(events, logged=found(events)),
               "md": record_markdown(events, logged=found(events), zone=UTC),
               "html": record_html(events, logged=found(events), zone=UTC),
               "fhir": json.dumps(fhir_bundle(events, found(events)), ensure_ascii=False)}
    import io

    face = PlainFace(stdin=io.StringIO(), stdout=io.StringIO())
    protocol = found(events).protocol
    assert protocol is not None
    face.finish(Session(protocol), events, "LOG", "ref")
    outputs["end of walk"] = face.stdout.getvalue()  # type: ignore[attr-defined]
    for name, text in outputs.items():
        assert UNSEEN.search(text.replace("\n", "").replace("\t", "")) is None, name
        shown = text.replace("&lt;", "<").replace("&gt;", ">").replace("\\<", "<").replace("\\>", ">")
        assert "<U+202E>0005<U+202C>" in shown, name


# No absolute time or date in an anonymised export: a clock time (08:02, 8:02:30), a date (2026-11-28) or an ISO
# moment; elapsed times (+0:02:00) and durations ("60 min") are what is left.
ABSOLUTE = re.compile(r"\d{4}-\d{2}-\d{2}|(?<![+\d:])\d{1,2}:\d{2}(?::\d{2})?|T\d{2}:\d{2}|\b20\d\d\b")


@pytest.mark.parametrize("walk", [sarah, record_fields])
def test_no_absolute_time_or_date_anywhere_in_an_anonymised_export(tmp_path: Path, walk: Any) -> None:
    from aesthetic_protocols.report.fhir import record_fhir

    events = events_of(tmp_path, walk())
    logged = found(events)
    for name, render in [("md", record_markdown), ("html", record_html), ("json", record_json),
                         ("fhir", record_fhir)]:
        text = render(events, True, logged)
        assert ABSOLUTE.search(text) is None, (name, ABSOLUTE.search(text))
        assert ABSOLUTE.search(render(events, False, logged)) is not None, name  # the regex does find them
    due = [e for e in json.loads(record_json(events, True, logged)) if e["event"] == "wait-started"]
    assert [e.get("due_elapsed_s") for e in due] == ([3990] if walk is sarah else [])


def test_the_html_record_strikes_through_a_value_taken_back_and_a_corrected_time(tmp_path: Path) -> None:
    events = events_of(tmp_path, sarah())
    html = record_html(events, logged=found(events), zone=UTC)
    assert ('<td><s>Aspirin</s><span class="see">taken back: see correction</span></td>') in html
    assert '<td class="clock"><s>08:04:30</s><span class="see">see correction</span></td>' in html
    assert "<th>Notes</th>" not in html  # notes are rows of their own, not a narrow column


def test_every_printed_page_names_the_patient_and_its_number_in_the_footer(tmp_path: Path) -> None:
    events = events_of(tmp_path, sarah(patient='R-"1"</style>'))
    html = record_html(events, logged=found(events), zone=UTC)
    # A CSS escape is at most 6 hex digits: \\000022 then "1"; nothing typed can end the string or the style.
    assert ('@bottom-left { content: "Patient R-\\0000221\\000022\\00003c\\00002fstyle\\00003e · Session record";'
            ) in html
    assert '@bottom-right { content: "page " counter(page) " of " counter(pages);' in html
    assert "</style>" not in html.split("<style>")[1].split("</style>")[0]


TEACHING = Path(__file__).parent / "fixtures" / "teaching"


def anonymised(log: Path, fmt: str = "md") -> str:
    """`log export LOG --format FMT --anonymise`, which must succeed."""
    result = CliRunner().invoke(app, ["log", "export", str(log), "--format", fmt, "--anonymise"])
    assert result.exit_code == 0, result.output
    return result.stdout


def teaching_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: str) -> Path:
    """The teaching fixture walked in plain mode: product, site, volume, batch, time of injection."""
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(TEACHING))
    walked = CliRunner().invoke(app, ["teaching", "--patient", "R-7"],
                                input=f"Voluma\n{site}\n0.8\nBN-4471\n14:05\n\n")
    assert walked.exit_code == 0, walked.output
    (log,) = (tmp_path / "logs").glob("*.jsonl")
    return log


@pytest.mark.parametrize("fmt", ["md", "html", "json", "fhir"])
def test_anonymised_keeps_the_teaching_fields_and_drops_identity_batch_and_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    log = teaching_log(tmp_path, monkeypatch, "left nasolabial fold")
    text = anonymised(log, fmt)
    assert [kept for kept in ("Voluma", "left nasolabial fold", "0.8") if kept not in text] == []
    assert [secret for secret in ("R-7", "BN-4471", "14:05", log.stem) if secret in text] == []
    if fmt == "md":
        assert {"| Record the product | Product | Voluma | +0:00:00 |",
                "| Record the product | Injection site | left nasolabial fold | +0:00:00 |",
                "| Record the product | Batch number | \\[removed\\] | +0:00:00 |",
                "**Removed for anonymity:** patient reference, practitioner, session id, dates and clock times "
                "(elapsed times kept), values of time, date and free-text record fields (2), except text fields "
                "marked for teaching (kept: Product, Injection site), free-text notes (0)."} <= set(text.splitlines())


@pytest.mark.parametrize("site", ["left cheek 14:02", "cheek, 9h30", "cheek 6/12", "cheek, 6 Dec", "cheek 2026"])
def test_a_teaching_text_that_reads_like_a_date_or_time_is_withheld_anyway(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: str) -> None:
    log = teaching_log(tmp_path, monkeypatch, site)
    for fmt in ("md", "json"):
        text = anonymised(log, fmt)
        assert site not in text and "cheek" not in text and "Voluma" in text
    lines = anonymised(log).splitlines()
    assert "| Record the product | Injection site | \\[removed\\] | +0:00:00 |" in lines
    assert any("(3), except text fields marked for teaching (kept: Product)," in line for line in lines)


def test_a_teaching_text_with_a_control_character_is_withheld() -> None:
    protocol = load_file(TEACHING / "teaching.yaml").protocol
    event = AnswerEvent(node="product", field="site", answer="cheek\x1b[2J", value="cheek\x1b[2J")
    plain = AnswerEvent(node="product", field="site", answer="cheek", value="cheek")
    assert withheld(event, protocol) and not withheld(plain, protocol)
    assert withheld(plain, None)  # without the tree walked, nothing says the field is for teaching


def test_the_bundled_trees_keep_product_and_site_in_an_anonymised_teaching_record() -> None:
    from aesthetic_protocols.loader import load_file
    from aesthetic_protocols.model import RecordNode
    from aesthetic_protocols.search import protocol_files

    lesson = {"product", "product_2", "site", "sites", "volume"}
    marked = {}
    for path in protocol_files(Path(__file__).parents[1] / "protocols"):
        for node in load_file(path).protocol.nodes.values():
            if isinstance(node, RecordNode):
                marked.update({(path.stem, f.id): f.teaching for f in node.fields if f.id in lesson})
    assert marked and all(marked.values()), [key for key, kept in marked.items() if not kept]
    assert ("vascular-occlusion", "site") in marked and ("ptosis", "sites") in marked
