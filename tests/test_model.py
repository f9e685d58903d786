from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from aesthetic_protocols import SUBCOMMANDS
from aesthetic_protocols.checks import RULES
from aesthetic_protocols.cli import app
from aesthetic_protocols.model import Protocol, protocol_schema

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "protocols" / "protocol.schema.json").read_text())
    assert committed == protocol_schema(), "run: protocol schema > protocols/protocol.schema.json"


def test_every_bundled_file_starts_with_the_schema_modeline() -> None:
    for path in (ROOT / "protocols").glob("*.yaml"):
        if not path.name.endswith(".scenarios.yaml"):
            assert path.read_text().splitlines()[0] == "# yaml-language-server: $schema=./protocol.schema.json"


def test_the_schema_forbids_unknown_fields_everywhere() -> None:
    schema = protocol_schema()
    for name, definition in schema["$defs"].items():  # type: ignore[attr-defined]
        if definition.get("type") == "object" and "properties" in definition:
            assert definition.get("additionalProperties") is False, name


def test_the_readme_documents_every_rule() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", readme, re.MULTILINE))
    assert set(RULES) <= documented


def test_reserved_ids_are_exactly_the_subcommands() -> None:
    from typer.main import get_command

    commands = set(get_command(app).commands)  # type: ignore[attr-defined]
    assert commands <= SUBCOMMANDS


@pytest.mark.parametrize("field", ["label", "title"])
def test_text_fields_refuse_booleans_and_numbers(field: str) -> None:
    data = {"id": "x", "title": "X", "version": "1.0.0", "status": "draft", "start": "a",
            "nodes": {"a": {"kind": "question", "title": "Q", "options": [{"key": "y", "label": "Yes", "next": "a"}]}}}
    if field == "label":
        data["nodes"]["a"]["options"][0]["label"] = False  # type: ignore[index]
    else:
        data["title"] = 3.1
    with pytest.raises(ValidationError):
        Protocol.model_validate(data)
