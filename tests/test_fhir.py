"""The FHIR export: a Bundle that the R4 models of fhir.resources (its R4B package) accept, with typed answers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from aesthetic_protocols.cli import app
from aesthetic_protocols.engine import Session
from aesthetic_protocols.events import iso_utc
from aesthetic_protocols.journal import read_events
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.logged_protocol import LoggedProtocol, find_logged_protocol
from aesthetic_protocols.model import Protocol
from aesthetic_protocols.report.fhir import fhir_bundle, questionnaire, response_items
from tests.sessions import EXPORT_DIR, NASTY_NOTE, random_walk, sarah, write_log
from tests.strategies import protocol_data

VALID = Path(__file__).parent / "fixtures" / "valid"
MODELS = {"Questionnaire": Questionnaire, "QuestionnaireResponse": QuestionnaireResponse, "Provenance": Provenance}
# The records fixture walked in plain mode: every field type, a skipped optional field, a default accepted.
RECORDS_INPUT = "Juvederm <X> & *y*\n\n0.5\n14:05\n2026-11-27\n2\nnote: left side\n\ns\n\n"


def validated(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Validate the Bundle and each resource with the R4 models; the resources by type."""
    Bundle.model_validate(bundle)
    resources = {entry["resource"]["resourceType"]: entry["resource"] for entry in bundle["entry"]}
    for kind, resource in resources.items():
        MODELS[kind].model_validate(resource)
    return resources


@pytest.fixture()
def records_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(VALID))
    walked = CliRunner().invoke(app, ["records", "--patient", "R-9", "--practitioner", "Dr Q"], input=RECORDS_INPUT)
    assert walked.exit_code == 0, walked.output
    (log,) = (tmp_path / "logs").glob("*.jsonl")
    return log


def export(log: Path, *options: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["log", "export", str(log), "--format", "fhir", *options])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_a_walk_with_record_fields_exports_a_valid_bundle_with_typed_answers(records_log: Path) -> None:
    bundle = export(records_log)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Questionnaire", "QuestionnaireResponse",
                                                                        "Provenance"]
    form, response, provenance = validated(bundle).values()
    assert (form["url"], form["version"], form["status"]) == (
        "https://aesthetic-protocols.invalid/fhir/Questionnaire/records", "1.0.0", "draft")
    assert response["questionnaire"] == "https://aesthetic-protocols.invalid/fhir/Questionnaire/records|1.0.0"
    assert response["status"] == "completed"
    assert response["subject"] == {"identifier": {"system": "https://aesthetic-protocols.invalid/fhir/sid/"
                                                            "patient-reference", "value": "R-9"},
                                   "display": "patient R-9"}
    assert response["author"] == {"display": "Dr Q"}
    answers = {item["linkId"]: (item["text"], item.get("answer")) for group in response["item"]
               for item in group.get("item", [group])}
    assert answers["product.product"] == ("Product name", [{"valueString": "Juvederm <X> & *y*"}])
    assert answers["product.batch"] == ("Batch number", None)
    assert answers["product.volume"] == ("Volume injected", [{"valueDecimal": 0.5}])
    assert answers["product.injected_at"] == ("Time of injection", [{"valueTime": "14:05:00"}])
    assert answers["product.treated_on"] == ("Date of treatment", [{"valueDate": "2026-11-27"}])
    assert answers["areas.answer"] == ("Areas affected", [{"valueInteger": 2}])
    assert answers["treat.answer"] == ("Done", [{"valueBoolean": True}])
    assert answers["given.diluent"][1] == [{"valueCoding": {
        "system": "https://aesthetic-protocols.invalid/fhir/Questionnaire/records/options/given.diluent",
        "code": "s", "display": "Saline"}}]
    assert answers["given.dose_given"] == ("Dose given", [{"valueInteger": 1000}])
    assert answers["walk.notes.text"] == ("Note", [{"valueString": "left side"}])
    assert answers["walk.outcome"][1][0]["valueCoding"]["display"] == "Resolved"
    events, _ = read_events(records_log)
    entities = [entity["what"] for entity in provenance["entity"]]
    assert entities[0]["identifier"]["value"] == events[0].event.sha256
    assert entities[1]["identifier"]["value"] == events[-1].hash
    assert provenance["target"] == [{"reference": bundle["entry"][1]["fullUrl"]}]
    assert [agent["who"]["display"] for agent in provenance["agent"]] == ["Dr Q", "aesthetic-protocols 0.2.0"]


def test_the_questionnaire_is_the_protocol_version_with_typed_items(records_log: Path) -> None:
    form = export(records_log)["entry"][0]["resource"]
    groups = {item["linkId"]: item for item in form["item"]}
    assert [i["type"] for i in groups["product"]["item"]] == ["string", "string", "decimal", "time", "date"]
    assert groups["product"]["item"][0]["maxLength"] == 40
    assert groups["given"]["item"][1]["type"] == "integer"
    assert groups["areas"]["item"][0]["extension"] == [
        {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 1},
        {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 4},
        {"url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit", "valueCoding": {"display": "areas"}}]
    assert [o["valueCoding"]["code"] for o in groups["walk.outcome"]["answerOption"]] == ["fine", "emergency"]
    assert groups["walk.red-flags"]["item"][0]["answerOption"][0]["valueCoding"]["display"] == "Vision change"


def test_anonymised_drops_subject_practitioner_session_and_notes(records_log: Path) -> None:
    bundle = export(records_log, "--anonymise")
    _, response = validated(bundle).values()
    text = json.dumps(bundle)
    for secret in ("R-9", "Dr Q", records_log.stem, "left side"):
        assert secret not in text
    assert "subject" not in response and "author" not in response and "identifier" not in bundle
    events, _ = read_events(records_log)
    assert not any(event.ts in text for event in events)  # no session times: the day is identifying too
    assert "authored" not in response and "timestamp" not in bundle
    # No Provenance: R4 requires its `recorded` instant, and an anonymised bundle carries no time at all.
    fixed = fhir_bundle(events, anonymise=True, now=datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert [entry["resource"]["resourceType"] for entry in fixed["entry"]] == ["Questionnaire", "QuestionnaireResponse"]
    assert "2027" not in json.dumps(fixed)


def test_a_back_step_withdraws_its_answer_and_red_flags_and_notes_are_items(tmp_path: Path) -> None:
    events, _ = read_events(write_log(tmp_path / "logs", "S1", sarah()))
    flag = {"node": "filler-type", "key": "v", "label": "Eye", "goto": "eye-actions"}
    flagged, _ = read_events(write_log(tmp_path / "logs", "S2", [*sarah()[:4], ("red-flag", flag)]))
    for log in (events, flagged):
        validated(fhir_bundle(log, find_logged_protocol(log, [EXPORT_DIR], date(2026, 11, 28))))
    response = fhir_bundle(events, find_logged_protocol(events, [EXPORT_DIR], date(2026, 11, 28)))["entry"][1]
    items = response["resource"]["item"]
    adjuncts = [item["item"][0]["answer"][0]["valueCoding"]["code"] for item in items if item["linkId"] == "adjuncts"]
    assert adjuncts == ["n"]  # the aspirin answer was stepped back over
    notes = [item["item"][0]["answer"][0]["valueString"] for item in items if item["linkId"] == "walk.notes"]
    assert notes == [NASTY_NOTE.replace("\x1b", "\u241b")]  # the note as typed, its escape shown as a symbol
    flags = fhir_bundle(flagged)["entry"][1]["resource"]["item"]
    assert flags[-1]["linkId"] == "walk.red-flags" and flags[-1]["item"][0]["answer"][0]["valueCoding"]["code"] == "v"
    assert fhir_bundle(flagged)["entry"][1]["resource"]["status"] == "in-progress"


def test_without_its_protocol_the_bundle_still_validates_and_says_why(tmp_path: Path) -> None:
    events, _ = read_events(write_log(tmp_path / "logs", "S1", sarah()))
    logged = find_logged_protocol(events, [tmp_path / "nothing"], date(2026, 11, 28))
    form, response, provenance = validated(fhir_bundle(events, logged)).values()
    assert "item" not in form and form["version"] == "0.1.0"
    assert form["description"].startswith("Protocol file not available: protocol vascular-occlusion was not found")
    assert response["item"][2]["item"][0]["answer"][0]["valueCoding"]["display"] == "Yes: one or more of these signs"
    assert "not found on the search path" in provenance["entity"][0]["what"]["display"]


def test_the_models_refuse_what_r4_does_not_allow(records_log: Path) -> None:
    bundle = export(records_log)
    bundle["entry"][1]["resource"]["authored"] = "yesterday"  # not an R4 dateTime
    with pytest.raises(ValidationError):
        QuestionnaireResponse.model_validate(bundle["entry"][1]["resource"])
    del bundle["entry"][2]["resource"]["agent"]  # Provenance.agent is 1..*
    with pytest.raises(ValidationError):
        Provenance.model_validate(bundle["entry"][2]["resource"])


def test_a_protocol_file_changed_since_the_walk_is_said_in_the_bundle(tmp_path: Path) -> None:
    walk = sarah()
    walk[0][1]["sha256"] = "0" * 64
    events, _ = read_events(write_log(tmp_path / "logs", "S1", walk))
    form, _, provenance = validated(fhir_bundle(events, find_logged_protocol(events, [EXPORT_DIR],
                                                                           date(2026, 11, 28)))).values()
    assert "Export note: the protocol file found now differs from the one walked" in form["description"]
    protocol_entity = provenance["entity"][0]["what"]
    assert protocol_entity["identifier"]["value"] == "0" * 64  # the file the session ran under
    assert "differs from the one walked" in protocol_entity["display"]


def _link_ids(items: list[dict[str, Any]]) -> list[str]:
    return [link for item in items for link in [item["linkId"], *_link_ids(item.get("item", []))]]


@settings(max_examples=40, deadline=None)
@given(data=protocol_data(), choices=st.lists(st.integers(min_value=0, max_value=10_000), max_size=40))
def test_any_tree_and_walk_give_a_valid_bundle_whose_answers_are_questions_of_its_questionnaire(
        data: dict[str, Any], choices: list[int]) -> None:
    protocol = Protocol.model_validate(data)
    events = random_walk(protocol, choices)
    bundle = fhir_bundle(events, LoggedProtocol(protocol, "0" * 64, True, "the protocol file found matches"))
    form, response, _ = validated(bundle).values()
    asked = _link_ids(form["item"])
    assert len(asked) == len(set(asked))
    assert set(_link_ids(response["item"])) <= set(asked)


@pytest.mark.parametrize("value", [None, "Saline", "s"])
def test_a_choice_field_is_coded_by_its_key_whether_the_log_keeps_the_key_or_the_label(
        tmp_path: Path, value: str | None) -> None:
    from aesthetic_protocols.loader import load_file

    loaded = load_file(VALID / "records.yaml")
    answer = {"node": "given", "answer": "s", "next": "given", "title": "Record what was given", "label": "Diluent",
              "field": "diluent"} | ({} if value is None else {"value": value})
    events, _ = read_events(write_log(tmp_path / "logs", "S1", [
        ("start", {"node": "product", "protocol": "records", "version": "1.0.0", "sha256": loaded.source.sha256}),
        ("answer", answer)]))
    bundle = fhir_bundle(events, LoggedProtocol(loaded.protocol, loaded.source.sha256, True, "matches"))
    (group,) = validated(bundle)["QuestionnaireResponse"]["item"]
    assert group["item"][0]["answer"][0]["valueCoding"]["code"] == "s"
    assert group["item"][0]["answer"][0]["valueCoding"]["display"] == "Saline"


def test_a_decision_is_no_question_and_its_result_is_in_the_response() -> None:
    decide = load_file(Path(__file__).parent / "fixtures" / "valid" / "decide.yaml").protocol
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    session = Session(decide)
    events: list[dict[str, Any]] = [{"event": "start", "ts": iso_utc(now), "protocol": "decide", "node": None}]
    for line in ["t", "y", "2030-01-01", "", ""]:
        events += [{"event": e.kind, "ts": iso_utc(now), **e.payload()}
                   for e in session.apply(session.interpret(line), now)]  # type: ignore[arg-type]
    (group,) = [item for item in questionnaire(decide, events[0], "ok")["item"] if item["linkId"] == "check"]
    assert group["item"] == [{"linkId": "check.decision", "text": "Decided by the protocol (not asked)",
                              "type": "string", "readOnly": True}]
    (answered,) = [item for item in response_items(events, decide, False) if item["linkId"] == "check"]
    assert answered["item"] == [{"linkId": "check.decision", "text": "Decided by the protocol (not asked)",
                                 "answer": [{"valueString": "Toxin is planned for a patient who is pregnant or "
                                                            "breastfeeding."}]}]
    backed = [*events[:-2], {"event": "back", "ts": iso_utc(now), "node": "deferred", "to": "product"}]
    assert [item for item in response_items(backed, decide, False) if item["linkId"] == "check"] == []


def test_anonymised_keeps_the_teaching_fields_and_masks_the_others(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(Path(__file__).parent / "fixtures" / "teaching"))
    walked = CliRunner().invoke(app, ["teaching", "--patient", "R-7"],
                                input="Voluma\nleft nasolabial fold\n0.8\nBN-4471\n14:05\n\n")
    assert walked.exit_code == 0, walked.output
    (log,) = (tmp_path / "logs").glob("*.jsonl")
    bundle = export(log, "--anonymise")
    _, response = validated(bundle).values()
    items = {item["linkId"]: item for group in response["item"] for item in group.get("item", [group])}
    assert items["product.product"]["answer"] == [{"valueString": "Voluma"}]
    assert items["product.site"]["answer"] == [{"valueString": "left nasolabial fold"}]
    assert items["product.volume"]["answer"] == [{"valueDecimal": 0.8}]
    masked = [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "masked"}]
    for link in ("product.batch", "product.injected_at"):
        assert "answer" not in items[link] and items[link]["extension"] == masked
    assert "R-7" not in json.dumps(bundle) and "14:05" not in json.dumps(bundle)
