from __future__ import annotations

import copy
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from aesthetic_protocols import SUBCOMMANDS
from aesthetic_protocols.checks import RULES, validate_path
from aesthetic_protocols.cli import app
from aesthetic_protocols.errors import InvalidProtocol
from aesthetic_protocols.loader import build, load_file, parse_source
from aesthetic_protocols.model import STEERING_RE, Protocol, protocol_schema
from aesthetic_protocols.search import protocol_files
from aesthetic_protocols.source import Source

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_schema_is_current() -> None:
    committed = json.loads((ROOT / "protocols" / "protocol.schema.json").read_text())
    assert committed == protocol_schema(), "run: protocol schema > protocols/protocol.schema.json"


def test_every_bundled_file_starts_with_the_schema_modeline() -> None:
    for path in protocol_files(ROOT / "protocols"):
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
    assert commands == SUBCOMMANDS  # a stale reserved id would refuse a good protocol id for nothing


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


# --- issue 9: text that cannot steer a terminal, bounded numbers, a schema that agrees with the tool ---------

VALID = ROOT / "tests" / "fixtures" / "valid"
STEERING = ["\x1b", "\x07", "\x00", "\r", "\x7f", "\x9b", "\u202e", "\u2066", "\x08",
            # invisible and direction characters (issue 16): zero-width, LRM/RLM/ALM, separators, BOM, tags
            "\u200b", "\u200c", "\u200d", "\u2060", "\u200e", "\u200f", "\u061c", "\u2028", "\u2029",
            "\ufeff", "\U000e0001", "\U000e0041", "\U000e007f", "\u180e", "\u206f"]
# The fields that hold words for people (every other string field is an id, a key or a word from a list).
TEXT_FIELDS = {"title", "text", "citation", "url", "approved_by", "label", "detail", "unit", "beyond_text",
               "disagreement", "headline", "summary", "changes", "steps"}


def _leaf_paths(data: Any, here: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """(path, value) of every scalar in parsed data."""
    if isinstance(data, dict):
        return [leaf for key, value in data.items() for leaf in _leaf_paths(value, (*here, key))]
    if isinstance(data, list):
        return [leaf for index, value in enumerate(data) for leaf in _leaf_paths(value, (*here, index))]
    return [(here, data)]


def _text_paths(data: Any) -> list[tuple[Any, ...]]:
    def named(path: tuple[Any, ...]) -> str:
        return next((part for part in reversed(path) if isinstance(part, str)), "")

    return [path for path, value in _leaf_paths(data) if isinstance(value, str) and named(path) in TEXT_FIELDS]


def _sources() -> list[Source]:
    return [parse_source(VALID / name, name) for name in ("every-kind.yaml", "records.yaml")]


TEXT_CASES = [(index, path) for index, source in enumerate(_sources()) for path in _text_paths(source.data)]


def _planted(source: Source, path: tuple[Any, ...], value: Any) -> Source:
    data = copy.deepcopy(source.data)
    here = data
    for part in path[:-1]:
        here = here[part]
    here[path[-1]] = value
    return Source(source.path, data, source.positions, source.sha256, source.kinds)


def test_the_text_fields_are_found_in_both_fixtures() -> None:
    assert len(TEXT_CASES) > 40


@settings(max_examples=120, deadline=None)
@given(case=st.sampled_from(TEXT_CASES), char=st.sampled_from(STEERING), data=st.data())
def test_every_text_field_refuses_steering_characters_with_a_rule_and_a_place(
    case: tuple[int, tuple[Any, ...]], char: str, data: st.DataObject
) -> None:
    source = _sources()[case[0]]
    path = case[1]
    here: Any = source.data
    for part in path:
        here = here[part]
    at = data.draw(st.integers(0, len(here)), label="at")
    with pytest.raises(InvalidProtocol) as caught:
        build(_planted(source, path, here[:at] + char + here[at:]))
    (problem,) = caught.value.problems
    assert problem.rule == "text-control"
    assert (problem.line, problem.column) == source.where(path)
    assert f"(U+{ord(char):04X})" in problem.message and char not in problem.message


@pytest.mark.parametrize(("path", "accepted"), [
    (("summary",), True), (("nodes", "begin", "text"), True), (("title",), False),
    (("nodes", "begin", "steps", 0), False), (("nodes", "assess", "options", 0, "label"), False),
])
def test_paragraphs_may_hold_newlines_and_tabs_one_line_fields_not(path: tuple[Any, ...], accepted: bool) -> None:
    source = _sources()[0]
    planted = _planted(source, path, "one\n\ttwo")
    if accepted:
        build(planted)
    else:
        with pytest.raises(InvalidProtocol) as caught:
            build(planted)
        assert [p.rule for p in caught.value.problems] == ["text-control"]
        assert caught.value.problems[0].message.endswith(": a one-line field holds a line break or a tab")


@pytest.mark.parametrize(("path", "value", "message"), [
    (("nodes", "areas", "max"), 1_000_001, "nodes.areas.max: beyond the limit of +-1,000,000"),
    (("nodes", "areas", "min"), -1_000_001, "nodes.areas.min: beyond the limit of +-1,000,000"),
    (("nodes", "areas", "max"), 16**4000, "nodes.areas.max: beyond the limit of +-1,000,000"),
    (("derived", "dose", "max_input"), 1_000_001, "derived.dose.max_input: beyond the limit of +-1,000,000"),
    (("derived", "dose", "times"), 10**7, "derived.dose.times: beyond the limit of +-1,000,000"),
    (("derived", "dose", "max_input"), 10_000, "derived.dose: times x max_input is beyond the limit of 1,000,000"),
], ids=["max", "min", "4000-hex-digits", "max_input", "times", "product"])
def test_numbers_are_bounded_with_their_own_rule(path: tuple[Any, ...], value: int, message: str) -> None:
    with pytest.raises(InvalidProtocol) as caught:
        build(_planted(_sources()[0], path, value))
    assert [(p.rule, p.message) for p in caught.value.problems] == [("magnitude", message)]


def test_a_record_field_bound_is_bounded_too() -> None:
    source = _sources()[1]
    path = next(p for p in _number_paths(source.data) if p[-1] == "max")
    with pytest.raises(InvalidProtocol) as caught:
        build(_planted(source, path, 2e6))
    assert [p.rule for p in caught.value.problems] == ["magnitude"]


def _number_paths(data: Any) -> list[tuple[Any, ...]]:
    return [path for path, value in _leaf_paths(data) if isinstance(value, int | float) and not isinstance(value, bool)]


def test_the_schema_keeps_its_title_and_describes_every_field() -> None:
    schema = protocol_schema()
    assert schema["title"] == "aesthetic-protocols protocol file"
    undescribed = [f"{owner}.{name}" for owner, definition in [("Protocol", schema),
                                                               *schema["$defs"].items()]  # type: ignore[attr-defined]
                   for name, field in definition.get("properties", {}).items() if not field.get("description")]
    assert undescribed == []


def _schema_errors(data: dict[str, Any]) -> list[str]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(protocol_schema(), format_checker=jsonschema.FormatChecker())
    return [error.message for error in validator.iter_errors(data)]


def _as_json(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(parse_source(VALID / name).data, default=str))
    return loaded


@pytest.mark.parametrize("name", ["every-kind.yaml", "records.yaml"])
def test_the_schema_accepts_what_the_tool_accepts(name: str) -> None:
    assert _schema_errors(_as_json(name)) == []


@pytest.mark.parametrize(("where", "key"), [("nodes", "Bad_Id"), ("references", "bad key!"), ("derived", "Dose")])
def test_the_schema_holds_mapping_keys_to_the_tool_s_patterns(where: str, key: str) -> None:
    data = _as_json("every-kind.yaml")
    data.setdefault(where, {})
    first = next(iter(data[where].values()), {"variable": "areas", "times": 1, "unit": "U"})
    data[where][key] = first
    assert _schema_errors(data)


def test_the_schema_and_the_tool_read_dates_alike(tmp_path: Path) -> None:
    text = (VALID / "every-kind.yaml").read_text().replace("next_review: 2099-01-01", 'next_review: "2099-01-01"')
    assert '"2099-01-01"' in text
    path = tmp_path / "every-kind.yaml"
    path.write_text(text)
    assert load_file(path).protocol.review.next_review == date(2099, 1, 1)  # quoted, as editors read it
    data = _as_json("every-kind.yaml")
    data["review"]["next_review"] = "2099-02-30"
    assert _schema_errors(data)
    (problem,) = validate_path(_write(tmp_path, text.replace('"2099-01-01"', '"2099-02-30"')), date(2026, 1, 1),
                               "x.yaml")
    assert problem.message == "review.next_review: is not a real date (YYYY-MM-DD)"


def _write(folder: Path, text: str) -> Path:
    path = folder / "every-kind.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("char", STEERING)
def test_the_committed_schema_refuses_each_invisible_or_steering_character_as_the_tool_does(char: str) -> None:
    import jsonschema

    committed = json.loads((ROOT / "protocols" / "protocol.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(committed)
    data = _as_json("every-kind.yaml")
    for field in ("title", "summary"):
        planted = {**data, field: f"dose 5{char}00 U"}
        assert any(error.path and error.path[-1] == field for error in validator.iter_errors(planted))
    assert not list(validator.iter_errors({**data, "title": "café 5 mL, 1-2, 5 µL"}))


def test_the_committed_schema_holds_no_invisible_character_itself() -> None:
    text = (ROOT / "protocols" / "protocol.schema.json").read_text(encoding="utf-8")
    assert STEERING_RE.search(text.replace("\n", "").replace("\t", "")) is None
