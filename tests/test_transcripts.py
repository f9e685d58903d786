"""Transcripts: each scenario's walk in words, `{wait: due}` / `{wait: early}` on the simulated clock, the
transcript file beside the scenarios (`--update` writes it, `scenarios` checks it with a word diff)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aesthetic_protocols.cli import app
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.model import Protocol, Scenario
from aesthetic_protocols.scenarios import run_scenario
from aesthetic_protocols.transcripts import compare, read_file, render_file, transcript_path, word_diff

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "valid" / "every-kind.yaml"
BUNDLED = ROOT / "protocols"

WALK = [
    "Stop and prepare → done",
    "What do you see? [y Blanching / n Neither] → y Blanching",
    "Areas affected [1-4 areas] → 2 areas",
    "Treat → done",
]


@pytest.fixture()
def protocol() -> Protocol:
    return load_file(FIXTURE).protocol


def walk(protocol: Protocol, answers: list[object], outcome: str = "fine") -> tuple[bool, str, list[str]]:
    result = run_scenario(protocol, Scenario.model_validate({"name": "case", "answers": answers, "outcome": outcome}))
    return result.passed, result.reason, list(result.transcript)


def test_a_walk_in_words_with_the_wait_run_its_full_time(protocol: Protocol) -> None:
    passed, _, lines = walk(protocol, ["", "y", 2, "", {"wait": "due"}, "y"])
    assert passed
    assert lines == [*WALK, "Reassess in 60 minutes [wait 60 min] → waited the full time",
                     "Resolved? [y Yes / n No / r Refer] → y Yes", "OUTCOME (resolved) Resolved"]


def test_a_wait_continued_early_says_so(protocol: Protocol) -> None:
    passed, _, lines = walk(protocol, ["", "y", 2, "", {"wait": "early"}, "y"])
    assert passed
    assert lines[4] == "Reassess in 60 minutes [wait 60 min] → continued early, before it was due"


def test_a_wait_answer_at_a_prompt_that_is_no_wait_fails(protocol: Protocol) -> None:
    assert walk(protocol, [{"wait": "due"}]) == (
        False, "answer 1 at 'begin': {wait: due} answers a wait only", [])


def test_due_waits_move_the_simulated_clock_on(protocol: Protocol) -> None:
    """Two due waits: the second begins when the first was due, so its due time is 2 h after the start."""
    result = run_scenario(protocol, Scenario.model_validate(
        {"name": "case", "answers": ["", "y", 1, "", {"wait": "due"}, "n", "", {"wait": "due"}, "y"],
         "outcome": "fine"}))
    dues = [step.due for step in result.trail if step.due is not None]
    assert [(due - dues[0]).total_seconds() / 60 for due in dues] == [0, 60]


def test_red_flags_notes_and_back_are_lines_of_their_own(protocol: Protocol) -> None:
    passed, _, lines = walk(protocol, ["note: pale", "", "back", "", "v"], "emergency")
    assert passed
    assert lines == ["Stop and prepare → note: pale", "Stop and prepare → done",
                     "What do you see? [y Blanching / n Neither] → back to Stop and prepare",
                     "Stop and prepare → done",
                     "What do you see? [y Blanching / n Neither] → RED FLAG v Vision change → Emergency referral",
                     "OUTCOME (emergency) Emergency referral"]


def test_headlines_show_their_values_filled_in(tmp_path: Path) -> None:
    text = FIXTURE.read_text().replace("    title: Treat\n", "    title: Treat\n    headline: \"Give {dose} now\"\n")
    (tmp_path / "every-kind.yaml").write_text(text)
    _, _, lines = walk(load_file(tmp_path / "every-kind.yaml").protocol, ["", "y", 2, ""])
    assert lines[3] == "Treat — Give 1000 U now → done"


def test_the_file_is_stable_block_style_and_reads_back() -> None:
    text = render_file("demo", {"a": ['Say "hi" → done', "Ünïcode"], "b": []})
    assert text.splitlines()[2:] == ["protocol: demo", "scenarios:", "  a:", '    - "Say \\"hi\\" → done"',
                                     '    - "Ünïcode"', "  b: []"]


def test_read_back(tmp_path: Path) -> None:
    path = tmp_path / "demo.transcripts.yaml"
    path.write_text(render_file("demo", {"a": ["one: two", "three"]}), encoding="utf-8")
    assert read_file(path) == {"a": ["one: two", "three"]}
    path.write_text("protocol: demo\nscenarios: [1]\n")
    with pytest.raises(Exception, match=r"is not a transcript file"):
        read_file(path)


def test_the_word_diff_marks_words_removed_and_added() -> None:
    old = ["Give 500 U now → done", "Wait 60 min", "Outcome"]
    new = ["Give 5000 U now → done", "Outcome", "Extra step"]
    assert word_diff(old, new) == ["step 1: Give [-500-] {+5000+} U now → done", "step 2 removed: Wait 60 min",
                                   "step 3 added: Extra step"]


def test_compare_names_scenarios_added_and_gone() -> None:
    assert compare({"a": ["x"], "gone": ["y"]}, {"a": ["x"], "new": ["z"]}) == {
        "new": ["not in the transcript file"], "gone": ["in the transcript file but no longer a scenario"]}


def test_transcript_path_is_beside_the_scenarios() -> None:
    assert transcript_path(Path("p/ptosis.scenarios.yaml")) == Path("p/ptosis.transcripts.yaml")


def trees(tmp_path: Path) -> Path:
    folder = tmp_path / "trees"
    folder.mkdir()
    (folder / "every-kind.yaml").write_text(FIXTURE.read_text())
    (folder / "every-kind.scenarios.yaml").write_text(
        "protocol: every-kind\nscenarios:\n"
        "  - {name: treated, answers: ['', y, 2, '', {wait: due}, y], outcome: fine}\n"
        "  - {name: quick, answers: ['', n], outcome: fine}\n")
    return folder


def test_update_writes_then_scenarios_check_and_a_change_fails_with_its_word_diff(tmp_path: Path) -> None:
    folder = trees(tmp_path)
    runner = CliRunner()
    missing = runner.invoke(app, ["scenarios", "--protocols", str(folder), "every-kind"])
    assert missing.exit_code == 1
    assert missing.stdout.splitlines()[0] == ("FAIL every-kind: no transcripts (every-kind.transcripts.yaml not "
                                              "found); run: protocol scenarios --update")
    written = runner.invoke(app, ["scenarios", "--update", "--protocols", str(folder), "every-kind"])
    assert written.exit_code == 0
    assert "every-kind: wrote every-kind.transcripts.yaml" in written.stdout.splitlines()
    assert read_file(folder / "every-kind.transcripts.yaml")["quick"] == [
        "Stop and prepare → done", "What do you see? [y Blanching / n Neither] → n Neither",
        "OUTCOME (resolved) Resolved"]
    assert runner.invoke(app, ["scenarios", "--protocols", str(folder), "every-kind"]).exit_code == 0
    again = runner.invoke(app, ["scenarios", "--update", "--protocols", str(folder), "every-kind"])
    assert "wrote" not in again.stdout  # unchanged: not rewritten

    tree = folder / "every-kind.yaml"
    tree.write_text(tree.read_text().replace("minutes: 60", "minutes: 240").replace("label: \"Neither\"",
                                                                                     "label: \"Blanching\"", 1)
                    .replace("label: \"Blanching\"", "label: \"Neither\"", 1))
    changed = runner.invoke(app, ["scenarios", "--protocols", str(folder), "every-kind"])
    assert changed.exit_code == 1
    assert changed.stdout.splitlines() == [
        "FAIL every-kind/treated: the transcript differs (if the change is meant: protocol scenarios --update)",
        "  step 2: What do you see? [y [-Blanching-] {+Neither+} / n [-Neither-] {+Blanching+}] → y [-Blanching-] "
        "{+Neither+}",
        "  step 5: Reassess in 60 minutes [wait [-60-] {+240+} min] → waited the full time",
        "FAIL every-kind/quick: the transcript differs (if the change is meant: protocol scenarios --update)",
        "  step 2: What do you see? [y [-Blanching-] {+Neither+} / n [-Neither-] {+Blanching+}] → n [-Neither-] "
        "{+Blanching+}",
        "every-kind: 2 scenario(s); 7/9 nodes visited (78%); never visited: emergency, refer",
        "scenarios: 0 passed, 2 failed",
    ]


def test_a_transcript_file_is_neither_a_protocol_nor_validated(tmp_path: Path) -> None:
    folder = trees(tmp_path)
    runner = CliRunner()
    runner.invoke(app, ["scenarios", "--update", "--protocols", str(folder), "every-kind"])
    listed = runner.invoke(app, ["list", "--format", "json", "--protocols", str(folder)])
    assert "transcripts" not in listed.stdout
    assert runner.invoke(app, ["validate", str(folder)]).exit_code == 0


def test_the_bundled_transcripts_are_current_and_every_scenario_has_one() -> None:
    for path in sorted(BUNDLED.glob("*.scenarios.yaml")):
        assert transcript_path(path).is_file(), f"run: protocol scenarios --update ({path.name})"
    result = CliRunner().invoke(app, ["scenarios"])
    assert result.exit_code == 0 and "transcript" not in result.stdout


def test_a_failing_scenario_reports_its_failure_not_its_transcript(tmp_path: Path) -> None:
    folder = trees(tmp_path)
    runner = CliRunner()
    runner.invoke(app, ["scenarios", "--update", "--protocols", str(folder), "every-kind"])
    scenarios = folder / "every-kind.scenarios.yaml"
    scenarios.write_text(scenarios.read_text().replace("answers: ['', n]", "answers: ['', y]"))
    result = runner.invoke(app, ["scenarios", "--protocols", str(folder), "every-kind"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["PASS every-kind/treated: reached 'fine'",
                                          "FAIL every-kind/quick: answers ran out at 'areas' before an outcome",
                                          "every-kind: 2 scenario(s); 7/9 nodes visited (78%); never visited: "
                                          "emergency, refer",
                                          "scenarios: 1 passed, 1 failed"]


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True),
                       st.lists(st.text(st.characters(exclude_categories=["Cs"]), max_size=40), max_size=4),
                       max_size=3))
def test_any_lines_read_back_as_written(tmp_path_factory: pytest.TempPathFactory,
                                        transcripts: dict[str, list[str]]) -> None:
    path = tmp_path_factory.mktemp("t") / "demo.transcripts.yaml"
    path.write_text(render_file("demo", transcripts), encoding="utf-8")
    assert read_file(path) == transcripts


def test_an_emergency_until_handover_says_so_and_its_log_and_handover_have_words() -> None:
    from aesthetic_protocols.engine import Session
    from aesthetic_protocols.events import HandoverEvent, LoggedEvent
    from aesthetic_protocols.transcripts import event_words

    emergency = load_file(ROOT / "tests" / "fixtures" / "handover" / "emergency.yaml").protocol
    passed, _, lines = walk(emergency, ["", "Filler X", "Chin", "0.5", "13:40", "penicillin", "a"], "anaphylaxis")
    assert passed
    assert lines[-1].startswith("OUTCOME (emergency) EMERGENCY: anaphylaxis")
    # What the open outcome logs and times is in words, so a changed drug label or interval shows in review.
    assert lines[-1].endswith(" (goes on until handover; log: d Adrenaline 500 micrograms IM given, o Oxygen "
                              "started; timers: Repeat adrenaline if no better every 5 min from d)")
    session = Session(emergency)
    node = emergency.nodes["anaphylaxis"]
    assert event_words(LoggedEvent("anaphylaxis", key="d", label="Adrenaline given"), node, session) == \
        "logged: Adrenaline given"
    assert event_words(LoggedEvent("anaphylaxis", key="d", label="Adrenaline given", withdraws=4), node,
                       session) == "log entry withdrawn: Adrenaline given"
    assert event_words(HandoverEvent("anaphylaxis", to="Paramedic crew"), node, session) == \
        "handed over to Paramedic crew"
    assert event_words(HandoverEvent("anaphylaxis"), node, session) == "handed over"


@pytest.mark.parametrize("name", ["no", "on", "y", "null", "2026-12-06", "1", "0x1f", "1e3"])
def test_a_name_yaml_would_retype_is_written_quoted_and_reads_back(tmp_path: Path, name: str) -> None:
    path = tmp_path / "demo.transcripts.yaml"
    path.write_text(render_file("demo", {name: ["a line"], "sarah": []}), encoding="utf-8")
    assert read_file(path) == {name: ["a line"], "sarah": []}
    assert f'  "{name}":\n' in path.read_text() and "  sarah: []\n" in path.read_text()
