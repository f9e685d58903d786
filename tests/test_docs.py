"""The documentation in docs/ keeps up with the code: every field, every node kind, every rule with an
example, and a complete example that validates and whose scenario passes."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, TypeAdapter

from aesthetic_protocols import model
from aesthetic_protocols.checks import RULES, validate_path
from aesthetic_protocols.conditions import Fact
from aesthetic_protocols.loader import load_file, node_kinds
from aesthetic_protocols.scenarios import Scenario, ScenarioFile, run_scenario
from aesthetic_protocols.transcripts import render_file

ROOT = Path(__file__).resolve().parents[1]
FORMAT = (ROOT / "docs" / "protocol-format.md").read_text()
LOG = (ROOT / "docs" / "log.md").read_text()
GATE_RULES = ["file-size", "read", "encoding", "yaml-syntax", "yaml-empty", "yaml-not-mapping", "yaml-documents",
              "yaml-depth", "yaml-anchor", "yaml-alias", "yaml-tag", "yaml-merge", "yaml-key", "duplicate-key",
              "schema", "text-control", "magnitude"]
MODELS: list[type[BaseModel]] = [model.Protocol, model.Review, model.Reference, model.Derived, model.RedFlag,
                                 model.Option, model.NodeBase, model.QuestionNode, model.ActionNode, model.InputNode,
                                 model.WaitNode, model.RecordNode, model.RecordField, model.Choice, model.OutcomeNode,
                                 model.DecideNode, model.Rule, Fact, ScenarioFile, Scenario, model.WaitAnswer]


def _table_names() -> set[str]:
    """Every name in the first column of a table row: `| `min`, `max` | ...` gives min and max."""
    names: set[str] = set()
    for line in FORMAT.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([a-z_-]+)`", line.split("|")[1]))
    return names


@pytest.mark.parametrize("owner", MODELS, ids=lambda m: m.__name__)
def test_every_field_is_documented(owner: type[BaseModel]) -> None:
    assert set(owner.model_fields) - _table_names() == set()


def test_every_node_kind_has_its_section() -> None:
    for kind in node_kinds():
        assert f"### `{kind}`:" in FORMAT, kind
    assert "`headline`" in FORMAT


@pytest.mark.parametrize("rule", [*RULES, *GATE_RULES])
def test_every_rule_is_documented_with_an_example(rule: str) -> None:
    (row,) = [line for line in FORMAT.splitlines() if line.startswith(f"| `{rule}` |")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert all(cells) and len(cells) >= 3, row  # what it finds, and an example


def _example(language: str, after: str) -> str:
    block = re.search(rf"{re.escape(after)}.*?```{language}\n(.*?)```", FORMAT, re.S)
    assert block is not None
    return block.group(1)


def test_the_complete_example_validates_and_its_scenario_passes(tmp_path: Path) -> None:
    path = tmp_path / "vascular-occlusion.yaml"
    path.write_text(_example("yaml", "## A complete example"))
    assert [str(p) for p in validate_path(path, date(2026, 12, 1), path.name)] == []
    scenarios = ScenarioFile.model_validate(yaml.safe_load(_example("yaml", "## Scenario files")))
    protocol = load_file(path).protocol
    for scenario in scenarios.scenarios:
        assert run_scenario(protocol, scenario).passed, scenario.name


def test_the_transcript_example_is_the_example_scenario_walked_in_words(tmp_path: Path) -> None:
    path = tmp_path / "vascular-occlusion.yaml"
    path.write_text(_example("yaml", "## A complete example"))
    (scenario,) = ScenarioFile.model_validate(yaml.safe_load(_example("yaml", "## Scenario files"))).scenarios
    walked = run_scenario(load_file(path).protocol, scenario)
    assert _example("yaml", "### Transcripts") == render_file("vascular-occlusion", {"sarah": list(walked.transcript)})


def test_the_log_page_says_what_verify_cannot_tell() -> None:
    assert "## What it cannot tell" in LOG
    assert "rewrite the log, its `.head` and the witness together" in LOG
    for option in ("--head HASH", "--witness PATH", "AESTHETIC_PROTOCOLS_WITNESS"):
        assert option in LOG


def test_the_readme_points_to_the_docs() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docs/protocol-format.md" in readme and "docs/log.md" in readme


def test_every_clinic_field_and_rule_is_documented() -> None:
    from aesthetic_protocols import clinic

    page = (ROOT / "docs" / "clinic.md").read_text()
    named = {name for line in page.splitlines() if line.startswith("| `")
             for name in re.findall(r"`([a-z_-]+)`", line.split("|")[1])}
    for owner in (clinic.Clinic, clinic.ClinicInfo, clinic.Contact, clinic.KitItem, clinic.Practitioner):
        assert set(owner.model_fields) - named == set(), owner.__name__
    assert {"kit-missing", "kit-expired", "kit-expiring"} <= named
    assert "docs/clinic.md" in (ROOT / "README.md").read_text()


def test_a_log_is_verified_from_the_documented_rules_alone_without_the_tool(tmp_path: Path) -> None:
    import subprocess
    import sys

    from aesthetic_protocols.journal import Journal, verify

    block = re.search(r"### Checking a log without this tool.*?```python\n(.*?)```", LOG, re.S)
    assert block is not None
    checker = tmp_path / "check.py"
    checker.write_text(block.group(1) + "assert not any(m.startswith('aesthetic_protocols') for m in sys.modules)\n")
    journal = Journal.create(tmp_path / "logs", "20261127T090000Z-p-0000")
    with journal:
        journal.append("start", node="a", title="Café \u2028 \x1b[2J \"q\" \\ / \u00e9\U0001f600", tool="0.2.0")
        journal.append("answer", node="a", value=0.5, whole=1.0, small=1e-07, large=1e16, count=-12,
                       nested={"z": [1, None, True, False], "a": {"\u00e9": "x", "e": "\t\b\f\r\n\x00\x7f"}})
        journal.append("note", node="a", text="dose 5\u202e00 U \ufeff")
    log = journal.path
    assert verify(log).ok

    def run() -> str:
        # -I -S: isolated, no site-packages: only the standard library can be imported, never this tool.
        done = subprocess.run([sys.executable, "-I", "-S", str(checker), str(log)], capture_output=True, text=True,
                              timeout=60, check=True)
        return done.stdout

    assert run() == "intact, 3 events\n"
    raw = log.read_bytes()
    log.write_bytes(raw.replace(b"0.5", b"0.6"))
    assert run() == "line 2: hash does not match its content\n"
    log.write_bytes(raw.replace(b'"count":-12', b'"count": -12'))
    assert run() == "line 2: not canonical JSON\n"


def test_the_examples_of_decide_facts_early_and_bounds_validate() -> None:
    node = TypeAdapter(model.Node)
    for after in ("### `decide`:", "### `wait`:"):
        for item in yaml.safe_load(_example("yaml", after)).values():
            node.validate_python(item)
    for fact in yaml.safe_load(_example("yaml", "### Facts and decisions")).values():
        assert {name: Fact.model_validate(value) for name, value in fact.items()}
    fields = yaml.safe_load(_example("yaml", "### `record`:"))["fields"]
    assert [model.RecordField.model_validate(field).max_ahead_minutes for field in fields] == [30, None]
    form = next(line for line in FORMAT.splitlines() if line.startswith("| `{fact: F, before: D}`"))
    assert "`{days_ago: N}`" in form and "`today`" in form


def test_the_teaching_example_is_the_teaching_fixture_and_validates() -> None:
    example = yaml.safe_load(_example("yaml", "A teaching record keeps"))["fields"]
    fields = [model.RecordField.model_validate(item) for item in example]
    assert [item.id for item in fields if item.teaching] == ["product", "site", "volume"]
    fixture = yaml.safe_load((ROOT / "tests" / "fixtures" / "teaching" / "teaching.yaml").read_text())
    assert fixture["nodes"]["product"]["fields"] == example
