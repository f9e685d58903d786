"""`protocol diff`: node-by-node changes between two versions, their renderers, the version-bump check."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from aesthetic_protocols.cli import app
from aesthetic_protocols.diff import diff_protocols, word_diff
from aesthetic_protocols.model import Protocol
from aesthetic_protocols.report.diff import diff_markdown, diff_text
from aesthetic_protocols.search import file_id, protocol_files
from tests.strategies import protocol_data

ROOT = Path(__file__).resolve().parents[1]
OLD = ROOT / "tests" / "fixtures" / "v0.1.0"
BUNDLED = sorted(file_id(path) for path in protocol_files(ROOT / "protocols"))


@pytest.fixture()
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("AESTHETIC_PROTOCOLS_PATH", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    return CliRunner()


def tree(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((OLD / f"{name}.yaml").read_text(encoding="utf-8"))
    return data


def dump(data: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def edited_vo() -> dict[str, Any]:
    """The 0.1.0 vascular-occlusion tree with one change of every sort a content update makes."""
    data = copy.deepcopy(tree("vascular-occlusion"))
    nodes = data["nodes"]
    data["derived"]["pulse_dose"]["times"] = 1000
    pulse = nodes["hyaluronidase-pulse"]
    pulse["text"] = pulse["text"].replace("1 area 500 U", "1 area 1000 U")
    pulse["steps"].insert(2, "Use a 30G needle.")
    nodes["adjuncts"]["options"] = [o for o in nodes["adjuncts"]["options"] if o["key"] != "g"]
    del nodes["adjunct-nitroglycerin"]
    nodes["stop-now"] = nodes.pop("stop-injecting")
    data["start"] = "stop-now"
    nodes["refer-necrosis"]["severity"] = "emergency"
    nodes["signs"]["refs"] = ["CMAC-VO-2021"]
    data["references"]["NEW-2026"] = {"citation": "A new source."}
    data["red_flags"][0]["label"] = "Eye: any vision change"
    return data


def test_identical_files_exit_0_with_no_output(runner: CliRunner, tmp_path: Path) -> None:
    for name in BUNDLED:
        copied = shutil.copy(OLD / f"{name}.yaml", tmp_path / "old.yaml")  # any file name: git show REV:path
        result = runner.invoke(app, ["diff", str(copied), str(OLD / f"{name}.yaml")])
        assert (result.exit_code, result.stdout) == (0, ""), name


def test_reformatting_is_no_change(runner: CliRunner, tmp_path: Path) -> None:
    # Key order, quoting, folding and comments differ; the guidance does not.
    again = dump(tree("ptosis"), tmp_path / "again.yaml")
    for fmt in ("text", "markdown", "json"):
        result = runner.invoke(app, ["diff", str(OLD / "ptosis.yaml"), str(again), "--format", fmt])
        assert (result.exit_code, result.stdout) == (0, "")


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_tree_against_its_0_1_0_version(runner: CliRunner, name: str) -> None:
    """The content update: whatever it changed is listed, node by node, and clinical changes bump the version."""
    result = runner.invoke(app, ["diff", str(OLD / f"{name}.yaml"), name])
    lines = result.stdout.splitlines()
    if result.exit_code == 0:
        assert lines == []
        return
    assert result.exit_code == 1
    head = re.fullmatch(rf"{name} 0\.1\.0 -> (\S+): (\d+) clinical change\(s\), (\d+) other", lines[0])
    assert head, lines[0]
    assert not [line for line in lines if line.startswith("error:")], "a clinical change without a version bump"
    for line in lines[1:]:  # a node's head, one of its changes (indented), or a protocol-level change
        assert re.match(r"node \S+ (changed|added|removed|renamed from \S+) \(|  \S|"
                        r"[a-z][\w\[\]. -]*?( added| removed)?: ", line), line


def test_every_sort_of_change_is_listed(runner: CliRunner, tmp_path: Path) -> None:
    new = dump(edited_vo(), tmp_path / "new.yaml")
    result = runner.invoke(app, ["diff", str(OLD / "vascular-occlusion.yaml"), str(new)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "vascular-occlusion 0.1.0 -> 0.1.0: 9 clinical change(s), 3 other",
        "error: clinical changes without a version change (still 0.1.0): bump the version",
        "red flag[v].label: Eye: {+any+} vision [-loss or blur, eye pain, double vision, drooping lid or the eye "
        "will not move-] {+change+}",
        "dose[pulse_dose].times: 500 -> 1000",
        "reference[NEW-2026] added: \"A new source.\" (source)",
        "node signs changed (question: Signs of impaired blood supply?)",
        "  refs 2 removed: \"ACE-VO-2020\" (source)",
        "  refs 3 removed: \"CPD-VO\" (source)",
        "node hyaluronidase-pulse changed (action: Give a hyaluronidase pulse)",
        "  text: ... seen): {pulse_dose}. Reported scheme: 1 area [-500-] {+1000+} U, 2 areas 1000 U, 3 ...",
        "  steps 3 added: \"Use a 30G needle.\"",
        "  {pulse_dose}: dose now 1000 U per areas, up to 3 (was 500 U per areas, up to 3)",
        "node adjuncts changed (question: Consider an adjunct? (optional, weak evidence))",
        "  options[g] removed: \"Topical nitroglycerin\" -> adjunct-nitroglycerin",
        "node refer-necrosis changed (outcome: Refer: necrosis or no response)",
        "  severity: \"refer\" -> \"emergency\"",
        "node stop-now renamed from stop-injecting (action: Stop injecting)",
        "node adjunct-nitroglycerin removed (action: Adjunct: decide on topical nitroglycerin)",
    ]


def test_a_version_bump_clears_the_error(runner: CliRunner, tmp_path: Path) -> None:
    data = edited_vo()
    data["version"] = "0.2.0"
    result = runner.invoke(app, ["diff", str(OLD / "vascular-occlusion.yaml"), str(dump(data, tmp_path / "n.yaml"))])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == ["vascular-occlusion 0.1.0 -> 0.2.0: 9 clinical change(s), 4 other",
                                              "version: \"0.1.0\" -> \"0.2.0\""]


def test_sources_only_need_no_version_bump(runner: CliRunner, tmp_path: Path) -> None:
    data = tree("nodules")
    data["references"]["NEW-2026"] = {"citation": "A new source."}
    result = runner.invoke(app, ["diff", str(OLD / "nodules.yaml"), str(dump(data, tmp_path / "n.yaml"))])
    assert (result.exit_code, result.stdout.splitlines()) == (1, [
        "nodules 0.1.0 -> 0.1.0: 0 clinical change(s), 1 other",
        "reference[NEW-2026] added: \"A new source.\" (source)"])


def test_a_version_going_down_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    data = tree("nodules")
    data["version"] = "0.0.9"
    result = runner.invoke(app, ["diff", str(OLD / "nodules.yaml"), str(dump(data, tmp_path / "n.yaml"))])
    assert result.stdout.splitlines()[1] == "error: the version goes down (0.1.0 -> 0.0.9)"


def test_markdown_is_a_sign_off_document(runner: CliRunner, tmp_path: Path) -> None:
    new = dump(edited_vo(), tmp_path / "new.yaml")
    result = runner.invoke(app, ["diff", str(OLD / "vascular-occlusion.yaml"), str(new), "--format", "markdown"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "# Changes: vascular-occlusion 0.1.0 → 0.1.0"
    assert "> **Error:** clinical changes without a version change (still 0.1.0): bump the version" in lines
    assert "- `severity`: \"refer\" → \"emergency\"" in lines
    assert ("- `text`: ... seen): {pulse\\_dose}. Reported scheme: 1 area ~~500~~ **1000** U, 2 areas 1000 U, "
            "3 ..." in lines)
    assert "### `stop-now`: Stop injecting (action), renamed from `stop-injecting`" in lines
    assert lines[-6:] == ["| | |", "|---|---|", "| Reviewed by | |", "| Role | |", "| Date | |", "| Signature | |"]


def test_json_carries_the_word_diff(runner: CliRunner, tmp_path: Path) -> None:
    new = dump(edited_vo(), tmp_path / "new.yaml")
    result = runner.invoke(app, ["diff", str(OLD / "vascular-occlusion.yaml"), str(new), "--format", "json"])
    data = json.loads(result.stdout)
    assert (data["same"], data["clinical_changes"], data["other_changes"]) == (False, 9, 3)
    pulse = next(n for n in data["nodes"] if n["node"] == "hyaluronidase-pulse")
    text = next(c for c in pulse["changes"] if c["where"] == "text")
    assert {"op": "-", "text": " 500"} in text["words"] and {"op": "+", "text": " 1000"} in text["words"]
    assert [(n["node"], n["status"], n["was"]) for n in data["nodes"] if n["status"] != "changed"] == [
        ("stop-now", "renamed", "stop-injecting"), ("adjunct-nitroglycerin", "removed", None)]


def test_ids_resolve_on_the_search_path(runner: CliRunner) -> None:
    result = runner.invoke(app, ["diff", "ptosis", "ptosis"])
    assert (result.exit_code, result.stdout) == (0, "")


@pytest.mark.parametrize(("args", "message"), [
    (["diff", "ptosis"], "Missing argument 'NEW'."),
    (["diff", "ptosis", "no-such-protocol"], "no protocol with that id on the search path; see 'protocol list'"),
    (["diff", "ptosis", "missing/ptosis.yaml"], "no such protocol file: missing/ptosis.yaml"),
    (["diff", "ptosis", "ptosis", "--format", "pdf"], None),
])
def test_usage_errors_exit_2(runner: CliRunner, args: list[str], message: str | None) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    if message:
        assert result.output.splitlines()[-1] == f"protocol: {message}"


def test_an_invalid_tree_exits_1_naming_the_problem(runner: CliRunner, tmp_path: Path) -> None:
    data = tree("nodules")
    data["start"] = "nowhere"
    result = runner.invoke(app, ["diff", str(OLD / "nodules.yaml"), str(dump(data, tmp_path / "bad.yaml"))])
    assert result.exit_code == 1
    assert "error[unknown-start]" in result.output


# --- the core -----------------------------------------------------------------------------------------


def test_word_diff_marks_words_kept_removed_and_added() -> None:
    assert word_diff("Give 500 U per area now", "Give 1000 U  per area, at once") == (
        ("=", "Give"), ("-", " 500"), ("+", " 1000"), ("=", " U per area"), ("-", " now"), ("+", ", at once"))


@given(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=12),
       st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=12))
def test_word_diff_rebuilds_both_texts(old: list[str], new: list[str]) -> None:
    words = word_diff(" ".join(old), " ".join(new))
    # Up to the space at a run's edge: a kept run carries the new text's spacing.
    assert "".join(t for op, t in words if op != "+").split() == old
    assert "".join(t for op, t in words if op != "-").split() == new


def protocol(data: dict[str, Any]) -> Protocol:
    return Protocol.model_validate(data)


@given(protocol_data())
def test_a_protocol_against_itself_is_the_same(data: dict[str, Any]) -> None:
    result = diff_protocols(protocol(data), protocol(copy.deepcopy(data)))
    assert result.same and diff_text(result) == "" and diff_markdown(result) == ""


@given(protocol_data(), st.data())
def test_a_renamed_node_is_one_rename(data: dict[str, Any], draw: st.DataObject) -> None:
    chosen = draw.draw(st.sampled_from(sorted(data["nodes"])))
    mapping = {nid: f"new-{nid}" if nid == chosen else nid for nid in data["nodes"]}

    def moved(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: mapping[v] if k in {"next", "goto", "start"} else moved(v) for k, v in value.items()}
        return [moved(item) for item in value] if isinstance(value, list) else value

    renamed = moved(data)
    renamed["nodes"] = {mapping[nid]: node for nid, node in renamed["nodes"].items()}
    result = diff_protocols(protocol(data), protocol(renamed))
    assert [(n.node, n.status, n.was) for n in result.nodes] == [(f"new-{chosen}", "renamed", chosen)]
    assert not result.protocol and not result.red_flags and result.clinical_count == 1



def test_record_fields_and_headlines_compare_by_id(runner: CliRunner, tmp_path: Path) -> None:
    records = ROOT / "tests" / "fixtures" / "valid" / "records.yaml"
    data = yaml.safe_load(records.read_text(encoding="utf-8"))
    data["version"] = "1.1.0"
    given = data["nodes"]["given"]["fields"]
    given[0]["choices"][1]["label"] = "Lidocaine 1% without adrenaline"
    given[1]["max"] = 1500
    given.append({"id": "site", "label": "Site", "type": "text", "required": False})
    data["nodes"]["treat"]["headline"] = "Give {dose} now, then massage"
    result = runner.invoke(app, ["diff", str(records), str(dump(data, tmp_path / "records.yaml"))])
    assert (result.exit_code, result.stdout.splitlines()) == (1, [
        "records 1.0.0 -> 1.1.0: 4 clinical change(s), 1 other",
        "version: \"1.0.0\" -> \"1.1.0\"",
        "node treat changed (action: Treat)",
        "  headline: Give {dose} now{+, then massage+}",
        "node given changed (record: Record what was given)",
        "  fields[diluent].choices[l].label: Lidocaine 1% {+without adrenaline+}",
        "  fields[dose_given].max: 3000 -> 1500",
        "  fields[site] added: \"Site\"",
    ])


def test_an_old_version_that_fails_a_newer_rule_is_still_compared_with_a_warning(runner: CliRunner) -> None:
    # 0.1.0 nodules sent a red flag to a referral; today's red-flag-target wants an emergency outcome.
    result = runner.invoke(app, ["diff", str(OLD / "nodules.yaml"), "nodules"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"protocol: warning: {OLD / 'nodules.yaml'} fails 1 rule check(s) of this tool (first: red-flag-target); "
        "it is compared as written. See: protocol validate PATH"]
    assert result.stdout.startswith("nodules 0.1.0 -> 0.3.0: ")



def test_the_text_diff_shows_invisible_characters_of_an_old_version_as_symbols() -> None:
    old = protocol(tree("vascular-occlusion"))
    # Built around validation: an old file, or another tool's, may hold what today's rules refuse.
    text = diff_text(diff_protocols(old, old.model_copy(update={"title": "Dose 5\u202e00 U\u200b"})))
    assert "Dose 5<U+202E>00 U<U+200B>" in text and "\u202e" not in text and "\u200b" not in text
