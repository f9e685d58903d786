"""The loader: YAML -> Protocol through the size, encoding, event and schema gates, every problem located at
`file:line:col`; hostile files rejected fast with one located line; random valid trees load clean and a
planted defect is reported at its line."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aesthetic_protocols.checks import validate_path
from aesthetic_protocols.cli import app
from aesthetic_protocols.errors import InvalidProtocol
from aesthetic_protocols.loader import load_file, parse_source
from aesthetic_protocols.model import ActionNode, InputNode, OutcomeNode, QuestionNode, WaitNode
from aesthetic_protocols.tree import STEERING_RE

Writer = Callable[[str, "str | bytes"], Path]

TESTS = Path(__file__).parent
REPO = TESTS.parent
VALID = TESTS / "fixtures" / "valid"
INVALID = TESTS / "fixtures" / "invalid"
TODAY = date(2026, 6, 1)
TEXT_HINT = "must be text (quote it: YAML reads yes/no/on/off as booleans and 1.10 as a number)"
PROBLEM_LINE = re.compile(r"^(?P<path>.+):(?P<line>\d+):(?P<col>\d+): (?:error|warning)\[(?P<rule>[a-z-]+)\]: .+$")

# A small valid protocol; hostile tests splice their payload into it.
BASE = """\
id: demo
title: Demo
version: 1.0.0
status: draft
references:
  R1: {citation: "Source one."}
start: begin
nodes:
  begin:
    kind: action
    title: Begin
    refs: [R1]
    next: done
  done:
    kind: outcome
    title: Done
    severity: resolved
    refs: [R1]
"""


def patched(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"fragment {old!r} must occur once"
    return text.replace(old, new)


def shown(problems: list[Any]) -> list[str]:
    return [str(p) for p in problems]


# --- the valid fixture and Source.where ------------------------------------------------------------------


def test_every_kind_fixture_loads_clean() -> None:
    path = VALID / "every-kind.yaml"
    loaded = load_file(path, "every-kind.yaml")
    protocol = loaded.protocol
    assert protocol.id == "every-kind"
    assert protocol.version == "1.0.0"
    assert list(protocol.nodes) == ["begin", "assess", "areas", "treat", "wait", "better", "fine", "refer",
                                    "emergency"]
    kinds = {type(node) for node in protocol.nodes.values()}
    assert kinds == {ActionNode, QuestionNode, InputNode, WaitNode, OutcomeNode}
    assert protocol.review.next_review == date(2099, 1, 1)
    assert validate_path(path, TODAY, "every-kind.yaml") == []


def test_where_maps_pydantic_locs_to_the_keys_line_and_column() -> None:
    source = parse_source(VALID / "every-kind.yaml", "every-kind.yaml")
    assert source.path == "every-kind.yaml"
    assert source.where(()) == (2, 1)  # the root mapping starts after the schema comment
    assert source.where(("id",)) == (2, 1)
    assert source.where(("version",)) == (4, 1)
    assert source.where(("review", "next_review")) == (7, 37)
    assert source.where(("nodes", "assess")) == (23, 3)
    # pydantic's loc carries the union tag ("question"); it is skipped, the rest is followed.
    assert source.where(("nodes", "assess", "question", "options", 1, "next")) == (29, 36)
    assert source.where(("nodes", "assess", "question", "options", 1)) == (29, 9)
    # A missing field, or an index past the end: the nearest part that exists.
    assert source.where(("nodes", "begin", "action", "nope")) == (17, 3)
    assert source.where(("nodes", "assess", "question", "options", 7, "next")) == (27, 5)
    assert source.where(("red_flags", 0, "goto")) == (15, 38)


# --- invalid fixtures: one file each, the exact problem lines ------------------------------------------

INVALID_CASES: dict[str, list[str]] = {
    "unknown-field.yaml": [
        "9:3: error[schema]: missing required field 'next'",
        "13:5: error[schema]: unknown field 'nxt'",
    ],
    "boolean-label.yaml": [f"14:18: error[schema]: nodes.ask.options[1].label: {TEXT_HINT}"],
    "number-version.yaml": [f"3:1: error[schema]: version: {TEXT_HINT}"],
    "number-title.yaml": [f"2:1: error[schema]: title: {TEXT_HINT}"],
    "date-text.yaml": [f"12:5: error[schema]: nodes.done.text: {TEXT_HINT}"],
    "missing-field.yaml": ["9:3: error[schema]: missing required field 'severity'"],
    "unknown-kind.yaml": [
        "10:11: error[schema]: nodes.begin.kind: unknown node kind; "
        "expected question, action, input, wait, record, decide or outcome"
    ],
    "bad-slug-id.yaml": ["1:1: error[schema]: id: must be a slug: lower-case letters, digits and '-'"],
    "number-node-id.yaml": [
        "14:3: error[schema]: nodes: keys must be text (quote a key YAML would read as a number or yes/no)"],
}


def test_every_invalid_fixture_has_an_expectation() -> None:
    assert sorted(p.name for p in INVALID.glob("*.yaml")) == sorted(INVALID_CASES)


@pytest.mark.parametrize("name", sorted(INVALID_CASES))
def test_invalid_fixture_reports_exact_lines(name: str) -> None:
    display = f"tests/fixtures/invalid/{name}"
    problems = validate_path(INVALID / name, TODAY, display)
    assert shown(problems) == [f"{display}:{tail}" for tail in INVALID_CASES[name]]


def test_invalid_fixture_via_load_file_raises_with_the_first_problem() -> None:
    with pytest.raises(InvalidProtocol) as caught:
        load_file(INVALID / "unknown-field.yaml", "unknown-field.yaml")
    assert caught.value.message == "unknown-field.yaml:9:3: error[schema]: missing required field 'next' (and 1 more)"
    assert caught.value.exit_code == 1


# --- hostile inputs through the real CLI --------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    name: str
    content: str | bytes
    expected: str  # the problem line after "PATH:"


def _laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghi"
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    return "\n".join(lines) + "\n"


def _aliased_tree() -> str:
    # Node bodies and their steps built from nested aliases: harmless-looking, explosive when walked.
    steps = ["  s0: &s0 [Stop, Stop, Stop, Stop, Stop, Stop, Stop, Stop]"]
    steps += [f"  s{i}: &s{i} [{', '.join([f'*s{i - 1}'] * 8)}]" for i in range(1, 8)]
    return patched("nodes:\n", "x-steps:\n" + "\n".join(steps) + "\nnodes:\n").replace(
        "    refs: [R1]\n    next: done", "    refs: [R1]\n    steps: *s7\n    next: done"
    ) + "  again: &body {kind: outcome, title: Done, severity: resolved, refs: [R1]}\n  more: *body\n"


def _big() -> bytes:
    padding = b"# padding line of a file far over the size limit\n" * (12 * 1024 * 1024 // 50 + 1)
    return padding + BASE.encode()


BIG = _big()


def _hostile_cases() -> list[Hostile]:
    return [
        Hostile("billion-laughs.yaml", _laughs(),
                "1:4: error[yaml-anchor]: anchors (&name) are not allowed in protocols"),
        Hostile("aliased-tree.yaml", _aliased_tree(),
                "9:7: error[yaml-anchor]: anchors (&name) are not allowed in protocols"),
        Hostile("self-alias.yaml", patched("title: Demo", "title: &a [*a]"),
                "2:8: error[yaml-anchor]: anchors (&name) are not allowed in protocols"),
        Hostile("bare-alias.yaml", patched("title: Demo", "title: *undefined"),
                "2:8: error[yaml-alias]: aliases (*name) are not allowed in protocols"),
        Hostile("duplicate-keys.yaml", patched("    next: done\n", "    next: done\n    next: begin\n"),
                "14:5: error[duplicate-key]: duplicate key; first defined at line 13"),
        Hostile("retype-no.yaml", patched("title: Begin", "title: no"),
                f"11:5: error[schema]: nodes.begin.title: {TEXT_HINT}"),
        Hostile("retype-sexagesimal.yaml", patched("title: Done", "title: 1:10"),
                f"16:5: error[schema]: nodes.done.title: {TEXT_HINT}"),
        Hostile("retype-float.yaml", patched("version: 1.0.0", "version: 3.10"),
                f"3:1: error[schema]: version: {TEXT_HINT}"),
        Hostile("retype-date.yaml", patched("title: Demo", "title: 2026-11-01"),
                f"2:1: error[schema]: title: {TEXT_HINT}"),
        Hostile("tabs.yaml", patched("    title: Begin", "\ttitle: Begin"),
                "11:1: error[yaml-syntax]: found a tab character that violates indentation"),
        Hostile("empty.yaml", "", "1:1: error[yaml-empty]: file is empty"),
        Hostile("comments-only.yaml", "# nothing here\n\n", "1:1: error[yaml-empty]: file is empty"),
        Hostile("top-level-list.yaml", "- id: demo\n- title: Demo\n",
                "1:1: error[yaml-not-mapping]: a protocol file is a mapping of fields"),
        Hostile("binary.yaml", bytes(range(256)) * 4, "2:118: error[encoding]: file is not valid UTF-8"),
        # The column counts characters, as YAML marks do: "é" is two bytes but one column.
        Hostile("bad-utf8.yaml", patched("title: Begin", "title: Bégin @@").encode().replace(b"@@", b"\xff"),
                "11:18: error[encoding]: file is not valid UTF-8"),
        Hostile("nul.yaml", patched("title: Done", "title: Do\x00ne"),
                "16:14: error[encoding]: file contains a NUL byte"),
        Hostile("two-documents.yaml", BASE + "---\nid: other\n",
                "19:1: error[yaml-documents]: a protocol file holds one document"),
        Hostile("merge-key.yaml", patched("    title: Done\n", "    title: Done\n    <<: {kind: outcome}\n"),
                "17:5: error[yaml-merge]: merge keys (<<) are not allowed"),
        Hostile("deep-lines.yaml", patched("title: Demo", "title:\n" + " [\n" * 100 + " ]\n" * 100),
                "66:2: error[yaml-depth]: nesting deeper than 64 levels"),
        Hostile("complex-key.yaml", patched("title: Demo", "? [a, b]\n: Demo"),
                "2:3: error[yaml-key]: mapping keys must be plain text"),
        Hostile("huge.yaml", BIG, f"1:1: error[file-size]: file is {len(BIG)} bytes; the limit is 1048576"),
    ]


HOSTILE = _hostile_cases()


def invoke_validate(*args: str) -> tuple[Any, float]:
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["validate", *args])
    return result, time.perf_counter() - started


def assert_one_problem(result: Any, path: Path, expected: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    problem_lines = [line for line in result.stdout.splitlines() if PROBLEM_LINE.match(line)]
    assert problem_lines == [f"{path}:{expected}"]
    assert result.stdout.splitlines() == problem_lines
    assert result.stderr == "1 file(s) checked: 1 error(s), 0 warning(s)\n"


@pytest.mark.parametrize("case", HOSTILE, ids=[case.name for case in HOSTILE])
def test_hostile_input_is_one_located_line_exit_1_and_fast(case: Hostile, write: Writer) -> None:
    path = write(case.name, case.content)
    result, elapsed = invoke_validate(str(path))
    assert_one_problem(result, path, case.expected)
    assert elapsed < 1.0


def test_python_tag_is_refused_and_never_runs(write: Writer, tmp_path: Path) -> None:
    witness = tmp_path / "ran"
    payload = f'title: !!python/object/apply:os.system ["touch {witness}"]'
    path = write("tag.yaml", patched("title: Demo", payload))
    result, elapsed = invoke_validate(str(path))
    assert_one_problem(result, path, "2:8: error[yaml-tag]: explicit tags (!tag, !!type) are not allowed")
    assert elapsed < 1.0
    assert not witness.exists()


def test_any_explicit_tag_is_refused(write: Writer) -> None:
    path = write("str-tag.yaml", patched("version: 1.0.0", "version: !!str 1.10"))
    result, _ = invoke_validate(str(path))
    assert_one_problem(result, path, "3:10: error[yaml-tag]: explicit tags (!tag, !!type) are not allowed")


def test_30000_deep_flow_nesting_is_refused_without_a_crash(tmp_path: Path) -> None:
    # The C composer segfaults near 25,000 levels: run in a child so a crash (-11) fails this test only.
    path = tmp_path / "deep.yaml"
    path.write_text("nodes: " + "[" * 30_000 + "]" * 30_000 + "\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "aesthetic_protocols", "validate", str(path)],
                          capture_output=True, text=True, timeout=60, env=env, check=False)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    # Our event gate fires at the 65th level (column 72); libyaml >= 0.2.5 stops first, at its own bound
    # of 1,000 levels, while scanning ahead on one line. Either way: one yaml-depth line.
    message = "error[yaml-depth]: nesting deeper than 64 levels"
    assert proc.stdout in {f"{path}:1:72: {message}\n", f"{path}:1:1007: {message}\n"}
    assert proc.stderr == "1 file(s) checked: 1 error(s), 0 warning(s)\n"
    assert elapsed < 10.0  # includes the interpreter's start-up


# --- error text never echoes input values -------------------------------------------------------------

MARKER = "SECRET-PATIENT-NAME"
ECHO_CASES = {
    "wrong-type": patched("    next: done\n", f"    next: done\n    steps: {MARKER}\n"),
    "wrong-int": patched("kind: action\n", f"kind: input\n    variable: v\n    min: {MARKER}\n    max: 3\n"),
    "node-not-mapping": patched("title: Done\n    severity: resolved\n    refs: [R1]\n", "title: Done\n")
    .replace("  done:\n    kind: outcome\n    title: Done\n", f"  done: {MARKER}\n"),
    "pattern": patched("version: 1.0.0", f"version: {MARKER}"),
    "slug-pattern": patched("start: begin", f"start: {MARKER}"),
    "bad-kind": patched("kind: action", f"kind: {MARKER}"),
    "bad-enum": patched("severity: resolved", f"severity: {MARKER}"),
    "bad-status": patched("status: draft", f"status: {MARKER}"),
    "too-long": patched("title: Begin", f"title: {MARKER * 30}"),
    "unterminated-quote": patched("title: Demo", f'title: "{MARKER}'),
    "mapping-in-scalar": patched("title: Demo", f"title: {MARKER}: x"),
    "bad-escape": patched("title: Demo", f'title: "{MARKER} \\q"'),
    "bad-flow": patched("title: Begin", f"title: [{MARKER}"),
    "reserved-indicator": patched("title: Demo", f"title: @{MARKER}"),
    "bad-directive": f"%{MARKER} x\n---\n" + BASE,
    "tag": patched("title: Demo", f"title: !{MARKER} x"),
    "quoted-tag-handle": patched("title: Demo", f"title: !{MARKER.lower()}!x y"),
}


@pytest.mark.parametrize("case", sorted(ECHO_CASES))
def test_problem_messages_never_echo_values(case: str, write: Writer) -> None:
    path = write("demo.yaml", ECHO_CASES[case])
    problems = validate_path(path, TODAY, "demo.yaml")
    assert problems, "the planted value must cause a problem"
    for problem in problems:
        assert MARKER not in problem.message
        assert MARKER.lower() not in problem.message.lower()


# --- issue 9: every missing field, impossible dates, kind at its value, key forms, no quadratic time --------


def test_every_missing_field_is_named(write: Writer) -> None:
    path = write("bare.yaml", "id: bare\n")
    problems = shown(validate_path(path, TODAY, "bare.yaml"))
    assert problems == [f"bare.yaml:1:1: error[schema]: missing required field '{name}'"
                        for name in ("title", "version", "status", "start", "nodes")]


def test_impossible_date_is_named_with_its_field(write: Writer) -> None:
    path = write("date.yaml", patched("status: draft\n", "status: draft\nreview: {approved_on: 2026-02-30}\n"))
    assert shown(validate_path(path, TODAY, "date.yaml")) == [
        "date.yaml:5:10: error[schema]: review.approved_on: is not a real date (YYYY-MM-DD)"]


def test_an_impossible_date_where_text_belongs_gets_the_text_hint(write: Writer) -> None:
    path = write("date.yaml", patched("title: Demo", "title: 2026-02-30"))
    assert shown(validate_path(path, TODAY, "date.yaml")) == [f"date.yaml:2:1: error[schema]: title: {TEXT_HINT}"]


def test_unknown_kind_is_located_at_its_value(write: Writer) -> None:
    path = write("kind.yaml", patched("kind: action", "kind:   acton"))
    assert shown(validate_path(path, TODAY, "kind.yaml"))[0].startswith(
        "kind.yaml:10:13: error[schema]: nodes.begin.kind: unknown node kind; expected question, ")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  begin:\n", "  Bad_Id:\n",
     "9:3: error[schema]: nodes: a node id must be a slug: lower-case letters, digits and '-'"),
    ("  R1: {", "  bad key!: {",
     "6:3: error[schema]: references: a reference key must be letters, digits, '.', '_' or '-', "
     "starting with a letter or digit"),
    ("start: begin\n", "start: begin\nderived: {Dose: {variable: v, times: 1, unit: U}}\n",
     "8:11: error[schema]: derived: a derived value's name must be a lower-case name (letters, digits, _)"),
    ("id: demo\n", "id: demo\non: push\n", "2:1: error[schema]: protocol: keys must be text "
     "(quote a key YAML would read as a number or yes/no)"),
])
def test_key_of_the_wrong_form_gets_its_own_message(old: str, new: str, expected: str, write: Writer) -> None:
    path = write("keys.yaml", patched(old, new))
    assert f"keys.yaml:{expected}" in shown(validate_path(path, TODAY, "keys.yaml"))


def test_unknown_key_with_control_characters_is_not_echoed(write: Writer) -> None:
    path = write("esc.yaml", patched("    next: done\n", '    next: done\n    "\\e]52;c;aGk=\\a": x\n'))
    assert shown(validate_path(path, TODAY, "esc.yaml")) == [
        "esc.yaml:14:5: error[schema]: unknown field (a name with other characters)"]


def test_a_path_through_a_hostile_key_is_not_echoed(write: Writer) -> None:
    path = write("key.yaml", patched("  begin:\n    kind: action\n    title: Begin\n",
                                     '  "x\\e[2Jy":\n    kind: action\n    title: 7\n'))
    messages = [p.message for p in validate_path(path, TODAY, "key.yaml")]
    assert "nodes.(name with other characters).title: must be text (quote it: YAML reads yes/no/on/off as " \
           "booleans and 1.10 as a number)" in messages
    assert not any("\x1b" in message for message in messages)


@pytest.mark.parametrize("value", ["0x" + "f" * 4000, "1" * 5000, ":".join(["59"] * 200)])
def test_a_number_too_long_is_named_at_its_field(value: str, write: Writer) -> None:
    text = patched("kind: action\n", f"kind: input\n    variable: v\n    min: 1\n    max: {value}\n")
    path = write("long.yaml", text)
    assert shown(validate_path(path, TODAY, "long.yaml")) == [
        "long.yaml:13:5: error[schema]: nodes.begin.max: is a number longer than 64 characters"]


def test_a_1_mib_base_60_scalar_validates_in_under_2_seconds(write: Writer) -> None:
    value = ":".join(["59"] * ((1024 * 1024 - len(BASE) - 100) // 3))
    path = write("b60.yaml", patched("title: Demo", f"title: Demo\nnotes: {value}"))
    started = time.perf_counter()
    problems = shown(validate_path(path, TODAY, "b60.yaml"))
    assert time.perf_counter() - started < 2.0
    assert problems == ["b60.yaml:3:1: error[schema]: unknown field 'notes'"]


# --- hypothesis: random valid trees load clean; a planted defect is found at its line ------------------

ID_RE = r"[a-z0-9][a-z0-9-]{0,11}"  # at most 12 characters: the planted MISSING id can never be drawn
MISSING = "zz-missing-target"
OPTION_KEYS = "abcdefghijklmnopqrstuvwxy"  # the red flag uses z
# Valid text: no placeholders' braces, and none of the characters that steer a terminal (rule text-control).
# Cf holds the direction and zero-width characters, the BOM and the tags; Zl and Zp the separators. The rule's
# ranges also hold code points no category names yet (Cn: U+2065, most of the tag block U+E0000-U+E007F).
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cf", "Zl", "Zp"),
                             exclude_characters="{}\u180e"),
               min_size=1, max_size=30).filter(lambda text: STEERING_RE.search(text) is None)
REFS = st.lists(st.sampled_from(["R1", "R2", "R3"]), min_size=1, max_size=3, unique=True)


@st.composite
def valid_protocols(draw: st.DrawFn, min_nodes: int = 1) -> dict[str, Any]:
    """A random valid protocol: a random spanning tree from the start (parent index < child index), kinds
    fitted to the number of children, leaves that are not outcomes jump to a later node (so every node can
    still finish), and questions with random extra options to any node, earlier (loops) or later."""
    n = draw(st.integers(min_nodes, 30))
    ids = draw(st.lists(st.from_regex(ID_RE, fullmatch=True), min_size=n + 1, max_size=n + 1, unique=True))
    children: list[list[int]] = [[] for _ in range(n)]
    for child in range(1, n):
        parent = draw(st.integers(0, child - 1))
        if len(children[parent]) >= 12:
            parent = child - 1  # has no child yet: children always come later
        children[parent].append(child)
    variables: list[str] = []
    nodes: dict[str, dict[str, Any]] = {}
    for index in range(n):
        count = len(children[index])
        if count >= 2:
            kind = "question"
        elif count == 1:
            kind = draw(st.sampled_from(["question", "action", "input", "wait"]))
        elif index == n - 1:
            kind = "outcome"
        else:
            kind = draw(st.sampled_from(["question", "action", "input", "wait", "outcome"]))
        targets = [ids[c] for c in children[index]]
        if kind != "outcome" and not targets:
            targets = [ids[draw(st.integers(index + 1, n - 1))]]
        node: dict[str, Any] = {"kind": kind, "title": draw(TEXT)}
        if kind == "question":
            targets += [ids[t] for t in draw(st.lists(st.integers(0, n - 1), max_size=3))]
            node["options"] = []
            for key, target in zip(OPTION_KEYS, targets, strict=False):
                option: dict[str, Any] = {"key": key, "label": draw(TEXT), "next": target}
                if draw(st.booleans()):
                    option["refs"] = draw(REFS)
                node["options"].append(option)
        elif kind == "action":
            node.update(steps=draw(st.lists(TEXT, max_size=3)), refs=draw(REFS), next=targets[0])
        elif kind == "input":
            low = draw(st.integers(-1000, 1000))
            variables.append(f"v{index}")
            node.update(variable=f"v{index}", min=low, max=low + draw(st.integers(0, 1000)), next=targets[0])
        elif kind == "wait":
            node.update(minutes=draw(st.integers(1, 24 * 60)), refs=draw(REFS), next=targets[0])
        else:
            node.update(severity=draw(st.sampled_from(["resolved", "follow-up", "refer", "emergency"])),
                        refs=draw(REFS))
        if index > 0 and draw(st.booleans()):
            node["requires"] = [ids[0]]  # every path passes the start
        nodes[ids[index]] = node
    if variables:
        holder = nodes[ids[draw(st.integers(0, n - 1))]]
        holder["text"] = f"Recorded: {{{draw(st.sampled_from(variables))}}}"
    data: dict[str, Any] = {"id": "random-tree", "title": draw(TEXT), "version": "1.0.0"}
    if draw(st.booleans()):
        data["status"] = "approved"
        data["review"] = {"approved_by": draw(TEXT), "approved_on": date(2026, 1, 1),
                          "next_review": draw(st.dates(TODAY, date(2100, 1, 1)))}
    else:
        data["status"] = draw(st.sampled_from(["draft", "retired"]))
    data["references"] = {ref: {"citation": draw(TEXT)} for ref in ("R1", "R2", "R3")}
    data["start"] = ids[0]
    if draw(st.booleans()):
        flag_target = ids[n]
        severity = draw(st.sampled_from(["refer", "emergency"]))
        nodes[flag_target] = {"kind": "outcome", "title": draw(TEXT), "severity": severity, "refs": draw(REFS)}
        data["red_flags"] = [{"key": "z", "label": draw(TEXT), "goto": flag_target, "severity": severity}]
    data["nodes"] = nodes
    return data


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def check_text(text: str) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random-tree.yaml"
        path.write_text(text, encoding="utf-8")
        return shown(validate_path(path, TODAY, "random-tree.yaml"))


def next_lines(text: str, target: str) -> list[str]:
    """`line:col` of every `next:` key whose value is `target`, read from the dumped text."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"^( *(?:- )?)next: (.+)$", line)
        if match and yaml.safe_load(match.group(2)) == target:
            found.append(f"{number}:{len(match.group(1)) + 1}")
    return found


@settings(max_examples=40, deadline=None)
@given(valid_protocols())
def test_random_valid_protocols_validate_clean(data: dict[str, Any]) -> None:
    assert check_text(dump(data)) == []


@settings(max_examples=40, deadline=None)
@given(valid_protocols(min_nodes=2), st.data())
def test_random_retargeted_edge_is_reported_at_its_next_line(data: dict[str, Any], choose: st.DataObject) -> None:
    movable = [nid for nid, node in data["nodes"].items() if node["kind"] != "outcome"]
    node = data["nodes"][choose.draw(st.sampled_from(movable))]
    if node["kind"] == "question":
        choose.draw(st.sampled_from(node["options"]))["next"] = MISSING
    else:
        node["next"] = MISSING
    text = dump(data)
    (position,) = next_lines(text, MISSING)
    problems = check_text(text)
    assert [p for p in problems if "[unknown-target]" in p] == [
        f"random-tree.yaml:{position}: error[unknown-target]: next names no node"
    ]
    assert not [p for p in problems if "[schema]" in p]


@settings(max_examples=40, deadline=None)
@given(valid_protocols(min_nodes=2), st.data())
def test_random_removed_target_is_reported_at_every_next_naming_it(data: dict[str, Any],
                                                                    choose: st.DataObject) -> None:
    flags = {flag["goto"] for flag in data.get("red_flags", [])}
    removable = [nid for nid in list(data["nodes"])[1:] if nid not in flags]
    removed = choose.draw(st.sampled_from(removable))
    del data["nodes"][removed]
    text = dump(data)
    positions = next_lines(text, removed)
    assert positions  # its parent in the spanning tree points at it
    problems = check_text(text)
    assert [p for p in problems if "[unknown-target]" in p] == [
        f"random-tree.yaml:{position}: error[unknown-target]: next names no node" for position in positions
    ]


@settings(max_examples=40, deadline=None)
@given(valid_protocols(), st.data())
def test_random_duplicated_node_key_is_reported_at_the_second_one(data: dict[str, Any],
                                                                   choose: st.DataObject) -> None:
    text = dump(data)
    lines = text.splitlines(keepends=True)
    start = lines.index("nodes:\n") + 1
    node_lines = [i for i in range(start, len(lines)) if re.match(r"^  [^ ]", lines[i])]
    assert len(node_lines) == len(data["nodes"])
    duplicate = choose.draw(st.sampled_from(list(data["nodes"])))
    block = dump({duplicate: {"kind": "outcome", "title": "Copy", "severity": "resolved", "refs": ["R1"]}})
    indented = ["  " + line for line in block.splitlines(keepends=True)]
    at = choose.draw(st.sampled_from([*node_lines, len(lines)]))
    edited = lines[:at] + indented + lines[at:]
    key_line = indented[0]
    first, second = (i + 1 for i, line in enumerate(edited) if line == key_line)
    assert check_text("".join(edited)) == [
        f"random-tree.yaml:{second}:3: error[duplicate-key]: duplicate key; first defined at line {first}"
    ]


# --- fuzz: mutated bundled trees never crash, never take 2 s, and what validates also renders ----------------

FUZZ_SOURCES = sorted([*(REPO / "protocols").glob("*.yaml"), *VALID.glob("*.yaml")])
HOSTILE_TOKENS = [
    ":".join(["59"] * 3000), "0x" + "f" * 5000, "1" * 5000, "9" * 70 + ".5", "2026-02-30", "2026-13-01 10:00:00",
    "\x1b[2J\x1b]52;c;aGk=\x07", "\u202eevil", "&a x", "*a", "!!python/object/apply:os.system [x]", "!x y",
    "[" * 300, "{", "? [a, b]", "<<: {}", "no", "~", "1e400", ".nan", "-.inf", "'", '"', "\t", "---", "%YAML 1.1",
    ":", "- ", "null", "", "\x00", "\ufeff", "é", "x" * 5000, "1:10", "3.10", "True: x", "0o777", "-0",
    "9223372036854775808", "1_000_000_000", "{a: *b}", "|\n  block\n", ">-\n x\n",
]


NUMBER_LINE = re.compile(r"^(\s*(?:- )?(?:min|max|times|max_input|minutes|decimals|max_length): ).*$", re.DOTALL)
# Near the size limit: YAML 1.1 base-60 that took 50 s to build before (quadratic), and numbers too long to print.
BIG_BASE_60 = ":".join(["59"] * 330_000)
HOSTILE_NUMBERS = ["0x" + "f" * 4000, "1" * 5000, BIG_BASE_60, "1000001", "-1000001", "1e400", "99999999999999999999",
                   "1e6", "0", "-1", "0.5", ".inf", "2026-01-01"]


@st.composite
def mutated_trees(draw: st.DrawFn) -> tuple[str, str]:
    path = draw(st.sampled_from(FUZZ_SOURCES))
    lines = path.read_text().splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "value", "insert", "truncate", "indent",
                                     "number", "number", "number", "key"]))
        i = draw(st.integers(0, len(lines) - 1))
        numbers = [n for n, line in enumerate(lines) if NUMBER_LINE.match(line)]
        if kind == "number" and numbers:  # the fields whose size the walker and the reports depend on
            n = draw(st.sampled_from(numbers))
            lines[n] = NUMBER_LINE.sub(lambda m: m.group(1) + draw(st.sampled_from(HOSTILE_NUMBERS)), lines[n])
        elif kind == "key":  # an unknown key with a hostile name, where a key can stand
            indent = len(lines[i]) - len(lines[i].lstrip(" "))
            lines.insert(i, " " * indent + f'"{draw(st.sampled_from(HOSTILE_TOKENS))}": x\n')
        elif kind == "delete" and len(lines) > 1:
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "value":
            key, colon, _ = lines[i].partition(": ")
            token = draw(st.sampled_from(HOSTILE_TOKENS))
            lines[i] = f"{key}{colon or ': '}{token}\n"
        elif kind == "insert":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.sampled_from(HOSTILE_TOKENS)) + lines[i][at:]
        elif kind == "truncate":
            lines = lines[: i + 1]
        else:
            lines[i] = " " * draw(st.integers(0, 9)) + lines[i].lstrip(" ")
    return path.name, "".join(lines)


def _renders(protocol: Any) -> None:
    """What `show`, `graph` and the walker do with a tree that validates: none of it may crash."""
    from aesthetic_protocols import report
    from aesthetic_protocols.engine import Session

    for render in (report.outline, report.markdown, report.mermaid, report.dot, report.protocol_json):
        render(protocol)
    session = Session(protocol)
    for node in protocol.nodes.values():
        for text in (node.title, node.text or "", node.headline or ""):
            session.render(text)


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(case=mutated_trees())
def test_fuzz_mutated_bundled_trees_never_crash_or_stall(case: tuple[str, str]) -> None:
    name, text = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        started = time.perf_counter()
        problems = validate_path(path, TODAY, name)  # anything raised here would be exit 70
        elapsed = time.perf_counter() - started
        assert elapsed < 2.0, f"{name}: {elapsed:.2f} s"
        for problem in problems:
            assert PROBLEM_LINE.match(str(problem)), str(problem)
            assert "\x1b" not in problem.message and "\u202e" not in problem.message
        if not name.endswith(".scenarios.yaml") and not any(p.severity == "error" for p in problems):
            _renders(load_file(path, name).protocol)
