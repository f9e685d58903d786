from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aesthetic_protocols import walker
from aesthetic_protocols.cli import app
from aesthetic_protocols.errors import InvalidProtocol
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.model import Protocol
from aesthetic_protocols.scenarios import Scenario, load_scenarios, run_scenario, typed_line

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "valid" / "every-kind.yaml"
BUNDLED = ROOT / "protocols"


@pytest.fixture()
def protocol() -> Protocol:
    return load_file(FIXTURE).protocol


def scenario(answers: list[str | int], outcome: str = "fine", **extra: list[str]) -> Scenario:
    return Scenario.model_validate({"name": "case", "answers": answers, "outcome": outcome, **extra})


@pytest.mark.parametrize(("answers", "outcome", "extra", "reason"), [
    (["", "y", 2, "", "", "y"], "fine", {"visits": ["treat"], "avoids": ["refer"]}, None),
    (["", "y"], "fine", {}, "answers ran out at 'areas' before an outcome"),
    (["", "n"], "refer", {}, "reached 'fine', expected 'refer'"),
    (["", "n", ""], "fine", {}, "reached 'fine' with 1 answer(s) left over"),
    (["", "maybe"], "fine", {}, "answer 2 at 'assess': answer with one of y, n (or 1-2)"),
    (["", "y", "9"], "fine", {}, "answer 3 at 'areas': out of range: enter a whole number from 1 to 4"),
    (["", "n"], "fine", {"visits": ["treat"]}, "did not visit treat"),
    (["", "n"], "fine", {"avoids": ["assess"]}, "visited assess, which it must avoid"),
    (["quit"], "fine", {}, "answer 1 quits the walk"),
    (["v"], "emergency", {}, None),
    (["", "n"], "nowhere", {}, "outcome 'nowhere' is not a node of every-kind"),
])
def test_scenario_results(protocol: Protocol, answers: list[str | int], outcome: str,
                          extra: dict[str, list[str]], reason: str | None) -> None:
    result = run_scenario(protocol, scenario(answers, outcome, **extra))
    assert result.passed is (reason is None)
    if reason is not None:
        assert result.reason == reason


def test_scenarios_command_reports_each_and_coverage(tmp_path: Path) -> None:
    folder = tmp_path / "trees"
    folder.mkdir()
    (folder / "every-kind.yaml").write_text(FIXTURE.read_text())
    (folder / "every-kind.scenarios.yaml").write_text(
        "protocol: every-kind\nscenarios:\n"
        "  - {name: quick, answers: ['', n], outcome: fine}\n"
        "  - {name: wrong, answers: ['', n], outcome: refer}\n")
    result = CliRunner().invoke(app, ["scenarios", "every-kind", "--protocols", str(folder)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "FAIL every-kind: no transcripts (every-kind.transcripts.yaml not found); run: protocol scenarios --update",
        "PASS every-kind/quick: reached 'fine'",
        "FAIL every-kind/wrong: reached 'fine', expected 'refer'",
        "every-kind: 2 scenario(s); 3/9 nodes visited (33%); never visited: areas, better, emergency, refer, "
        "treat, wait",
        "scenarios: 1 passed, 2 failed",
    ]


def test_a_malformed_scenario_file_is_located(tmp_path: Path) -> None:
    path = tmp_path / "x.scenarios.yaml"
    path.write_text("protocol: every-kind\nscenarios:\n  - {name: a, answers: [yes], outcome: fine}\n")
    with pytest.raises(Exception, match=r"x.scenarios.yaml:3:\d+: error\[schema\]"):
        load_scenarios(path)


def test_the_bundled_scenarios_all_pass_and_name_the_seed_cases() -> None:
    result = CliRunner().invoke(app, ["scenarios"])
    assert result.exit_code == 0, result.stdout
    names = {line.split()[1].rstrip(":") for line in result.stdout.splitlines() if line.startswith("PASS ")}
    assert {"vascular-occlusion/sarah", "vascular-occlusion/intravascular-injection-caught-before-signs",
            "ptosis/maria", "pre-treatment-check/maria-aminoglycoside", "nodules/robert"} <= names
    assert "FAIL" not in result.stdout


def test_the_intravascular_teaching_case_walks_and_exports_anonymised(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    suite = load_scenarios(ROOT / "protocols" / "vascular-occlusion.scenarios.yaml")
    case = next(s for s in suite.scenarios if s.name == "intravascular-injection-caught-before-signs")
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path))
    # The 60-minute wait is gated (`early:`): the clock runs an hour on at every reading, so each Enter there
    # comes when the wait is due, as it does in the scenario.
    moments = (datetime(2026, 12, 1, 8, 0, tzinfo=UTC) + timedelta(minutes=61 * n) for n in count())
    monkeypatch.setattr(walker, "local_now", lambda: next(moments))
    runner = CliRunner()
    walked = runner.invoke(app, ["vascular-occlusion", "--patient", "CLINIC-0042", "--practitioner", "Dr Example"],
                           input="".join(f"{typed_line(answer)}\n" for answer in case.answers))
    assert walked.exit_code == 0, walked.output
    (log,) = tmp_path.glob("*.jsonl")
    record = runner.invoke(app, ["log", "export", log.stem, "--format", "md", "--anonymise"]).stdout
    assert record.startswith("# Session record (anonymised)\n")
    # Caught before signs: observed to the due time and rechecked, never an immediate "monitor".
    assert "| Observe, then recheck | Continued |  |" in record
    assert "| Observation time is up: recheck | Recheck now |  |" in record
    assert "| No signs after observation: safety net | Outcome reached (follow-up) |  |" in record
    assert "free-text notes (1)" in record
    for identifying in ("CLINIC-0042", "Dr Example", log.stem, "blood in the hub"):
        assert identifying not in record


def test_a_broken_scenario_file_fails_alone_and_the_others_still_run(tmp_path: Path) -> None:
    folder = tmp_path / "trees"
    folder.mkdir()
    for name in ("every-kind", "second"):
        (folder / f"{name}.yaml").write_text(FIXTURE.read_text().replace("id: every-kind", f"id: {name}"))
    (folder / "every-kind.scenarios.yaml").write_text("protocol: second\nscenarios:\n"
                                                      "  - {name: a, answers: ['', n], outcome: fine}\n")
    (folder / "second.scenarios.yaml").write_text("protocol: second\nscenarios:\n"
                                                  "  - {name: b, answers: ['', n], outcome: fine}\n")
    assert CliRunner().invoke(app, ["scenarios", "second", "--update", "--protocols", str(folder)]).exit_code == 0
    result = CliRunner().invoke(app, ["scenarios", "every-kind", "second", "--protocols", str(folder)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL every-kind: ") and "error[scenario-protocol]" in lines[0]
    assert lines[1:] == ["PASS second/b: reached 'fine'",
                         "second: 1 scenario(s); 3/9 nodes visited (33%); never visited: areas, better, emergency, "
                         "refer, treat, wait",
                         "scenarios: 1 passed, 1 failed"]


def test_a_time_target_off_the_scenario_path_fails(protocol: Protocol) -> None:
    quick = Scenario.model_validate({"name": "case", "answers": ["", "n"], "outcome": "fine",
                                     "targets": [{"node": "treat", "within_minutes": 15, "after": "fine"}]})
    result = run_scenario(protocol, quick)
    assert (result.passed, result.reason) == (False, "a time target names treat, which this path never reaches")
    on_path = Scenario.model_validate({"name": "case", "answers": ["", "n"], "outcome": "fine",
                                       "targets": [{"node": "fine", "within_minutes": 15}]})
    assert run_scenario(protocol, on_path).passed


# --- issue 9: the scenario files' own schema ---------------------------------------------------------------

SCHEMA_MODELINE = "# yaml-language-server: $schema=scenario.schema.json"


def test_the_committed_scenario_schema_is_current() -> None:
    from aesthetic_protocols.model import scenario_schema

    committed = json.loads((BUNDLED / "scenario.schema.json").read_text())
    assert committed == scenario_schema(), "run: protocol schema --scenarios > protocols/scenario.schema.json"
    assert committed["title"] == "aesthetic-protocols scenario file"


def test_protocol_schema_scenarios_prints_it() -> None:
    result = CliRunner().invoke(app, ["schema", "--scenarios"])
    assert result.exit_code == 0 and json.loads(result.stdout) == json.loads(
        (BUNDLED / "scenario.schema.json").read_text())


@pytest.mark.parametrize("path", sorted(BUNDLED.glob("*.scenarios.yaml")), ids=lambda p: p.name)
def test_every_bundled_scenario_file_passes_the_schema_and_may_carry_its_modeline(path: Path) -> None:
    import jsonschema

    first = path.read_text().splitlines()[0]
    assert first == SCHEMA_MODELINE  # editors find the schema from the file's first line
    schema = json.loads((BUNDLED / "scenario.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(path.read_text()))


def test_the_scenario_schema_refuses_what_the_tool_refuses() -> None:
    import jsonschema

    schema = json.loads((BUNDLED / "scenario.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    good = {"protocol": "ptosis", "scenarios": [{"name": "a", "answers": ["", 2, {"wait": "due"}], "outcome": "done"}]}
    assert list(validator.iter_errors(good)) == []
    for bad in ({**good, "extra": 1}, {**good, "scenarios": []},
                {**good, "scenarios": [{"name": "a", "answers": [{"wait": "soon"}], "outcome": "done"}]},
                {**good, "scenarios": [{"name": "a", "answers": [{"wait": "due", "x": 1}], "outcome": "done"}]},
                {**good, "scenarios": [{"name": "Bad Name", "answers": [], "outcome": "done"}]},
                {**good, "scenarios": [{"name": "a", "answers": [], "outcome": "done", "severity": "mild"}]}):
        assert list(validator.iter_errors(bad)), bad


def test_a_wait_answer_is_one_line_typed_and_its_mistakes_are_named_as_such(tmp_path: Path) -> None:
    assert [typed_line(a) for a in scenario(["", 2, {"wait": "due"}, {"wait": "early"}]).answers] == ["", "2", "", ""]
    path = tmp_path / "x.scenarios.yaml"
    path.write_text("protocol: x\nscenarios:\n  - {name: a, answers: [{wait: soon}, yes], outcome: fine}\n")
    with pytest.raises(InvalidProtocol) as caught:
        load_scenarios(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:3:26: error[schema]: scenarios[0].answers[0].wait: Input should be 'due' or 'early'",
        f"{path}:3:39: error[schema]: scenarios[0].answers[1]: must be text (quote it: YAML reads yes/no/on/off "
        "as booleans and 1.10 as a number)"]
