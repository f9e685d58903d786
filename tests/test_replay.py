"""`protocol log replay`: past sessions re-walked on another version of their protocol."""

from __future__ import annotations

import copy
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aesthetic_protocols.cli import app
from aesthetic_protocols.diff import diff_protocols
from aesthetic_protocols.model import Protocol
from aesthetic_protocols.recorded import recorded_steps
from aesthetic_protocols.replay import replay_events
from tests.strategies import protocol_data

ROOT = Path(__file__).resolve().parents[1]
OLD = ROOT / "tests" / "fixtures" / "v0.1.0"
VO = OLD / "vascular-occlusion.yaml"
SARAH = ["", "", "y", "h", "n", "h", "1", "", "n", "", "r"]
NECROSIS = ["", "", "y", "h", "n", "h", "3", "", "n", "", "x"]
NITRO = ["", "", "y", "h", "n", "h", "2", "", "g", "", "n", "", "r"]
EYE = ["", "v", ""]


@pytest.fixture()
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_PATH", str(OLD))  # the sessions are walked on the 0.1.0 trees
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    return CliRunner()


def walk(runner: CliRunner, answers: list[str], protocol: str = "vascular-occlusion") -> str:
    """A real plain-mode session on the 0.1.0 tree; returns its session id."""
    result = runner.invoke(app, [protocol, "--plain"], input="".join(f"{a}\n" for a in answers))
    assert result.exit_code == 0, result.output
    return next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("Session "))


def edited(tmp_path: Path, change: Any, name: str = "new.yaml", version: str = "0.2.0") -> str:
    data = copy.deepcopy(yaml.safe_load(VO.read_text(encoding="utf-8")))
    data["version"] = version
    change(data["nodes"], data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return str(path)


def replay(runner: CliRunner, *args: str) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["log", "replay", *args])
    return result.exit_code, result.stdout.splitlines()


def test_the_same_version_replays_the_same(runner: CliRunner) -> None:
    session = walk(runner, SARAH)
    assert replay(runner, session, "--against", "vascular-occlusion") == (0, [
        f"session {session} (vascular-occlusion 0.1.0 -> 0.1.0)",
        "same path and outcome: resolved (resolved)"])


def remove_nitroglycerin(nodes: dict[str, Any], data: dict[str, Any]) -> None:
    nodes["adjuncts"]["options"] = [o for o in nodes["adjuncts"]["options"] if o["key"] != "g"]
    del nodes["adjunct-nitroglycerin"]


def test_an_option_no_longer_offered(runner: CliRunner, tmp_path: Path) -> None:
    session = walk(runner, NITRO)
    assert replay(runner, session, "--against", edited(tmp_path, remove_nitroglycerin)) == (1, [
        f"session {session} (vascular-occlusion 0.1.0 -> 0.2.0)",
        "diverges at adjuncts: option [g] is no longer offered",
        "outcome: resolved (resolved) then, no outcome now (the answer recorded at 'adjuncts' no longer applies)",
        "changed instructions on the walked path:",
        "  adjuncts: options[g] removed: \"Topical nitroglycerin\" -> adjunct-nitroglycerin"])


def test_a_target_changed_and_the_outcome_it_now_reaches(runner: CliRunner, tmp_path: Path) -> None:
    def skip_the_pulse(nodes: dict[str, Any], data: dict[str, Any]) -> None:
        nodes["areas"]["next"] = "adjuncts"
        nodes["massage-response"]["options"][1]["next"] = "hyaluronidase-pulse"

    session = walk(runner, SARAH)
    code, lines = replay(runner, session, "--against", edited(tmp_path, skip_the_pulse))
    assert (code, lines[1:3]) == (1, [
        "diverges at areas: the step now leads to adjuncts (was hyaluronidase-pulse)",
        "outcome: resolved (resolved) then, resolved (resolved) now"])


def test_a_target_changed_to_another_outcome(runner: CliRunner, tmp_path: Path) -> None:
    def resolved_goes_to_follow_up(nodes: dict[str, Any], data: dict[str, Any]) -> None:
        nodes["reassess"]["options"][0]["next"] = "no-signs"

    session = walk(runner, SARAH)
    code, lines = replay(runner, session, "--against", edited(tmp_path, resolved_goes_to_follow_up))
    assert (code, lines[1:3]) == (1, ["diverges at reassess: option [r] now leads to no-signs (was resolved)",
                                      "outcome: resolved (resolved) then, no-signs (follow-up) now"])


def test_a_new_step_the_session_never_answered(runner: CliRunner, tmp_path: Path) -> None:
    def insert_a_check(nodes: dict[str, Any], data: dict[str, Any]) -> None:
        nodes["check-kit"] = {"kind": "action", "title": "Check the kit", "steps": ["Open the emergency kit."],
                              "refs": ["ACE-KIT-2018"], "next": "filler-type"}
        nodes["signs"]["options"][0]["next"] = "check-kit"

    session = walk(runner, SARAH)
    code, lines = replay(runner, session, "--against", edited(tmp_path, insert_a_check))
    assert (code, lines[1:3]) == (1, [
        "diverges at signs: option [y] now leads to check-kit (was filler-type)",
        "outcome: resolved (resolved) then, no outcome now (would now ask at 'check-kit', which that session did "
        "not answer there)"])


def test_a_number_now_out_of_range(runner: CliRunner, tmp_path: Path) -> None:
    def two_areas_at_most(nodes: dict[str, Any], data: dict[str, Any]) -> None:
        nodes["areas"]["max"] = 2

    session = walk(runner, NECROSIS)
    code, lines = replay(runner, session, "--against", edited(tmp_path, two_areas_at_most))
    assert (code, lines[1]) == (1, "diverges at areas: the answer 3 is now out of range (1-2)")


def test_a_red_flag_no_longer_offered(runner: CliRunner, tmp_path: Path) -> None:
    def new_key(nodes: dict[str, Any], data: dict[str, Any]) -> None:
        data["red_flags"][0]["key"] = "e"

    session = walk(runner, EYE)
    code, lines = replay(runner, session, "--against", edited(tmp_path, new_key))
    assert (code, lines[1]) == (1, "diverges at assess: red flag [v] is no longer offered")


def test_same_path_other_severity_and_changed_dose(runner: CliRunner, tmp_path: Path) -> None:
    def more_urgent(nodes: dict[str, Any], data: dict[str, Any]) -> None:
        nodes["refer-necrosis"]["severity"] = "emergency"
        data["derived"]["pulse_dose"]["times"] = 450

    session = walk(runner, NECROSIS)
    assert replay(runner, session, "--against", edited(tmp_path, more_urgent)) == (1, [
        f"session {session} (vascular-occlusion 0.1.0 -> 0.2.0)",
        "same path; outcome: refer-necrosis (refer) then, refer-necrosis (emergency) now",
        "changed instructions on the walked path:",
        "  hyaluronidase-pulse: {pulse_dose}: dose now 450 U per areas, up to 3 (was 500 U per areas, up to 3)",
        "  refer-necrosis: severity: \"refer\" -> \"emergency\""])


def test_wording_changes_alone_keep_the_path_the_same(runner: CliRunner, tmp_path: Path) -> None:
    def reworded(nodes: dict[str, Any], data: dict[str, Any]) -> None:
        nodes["stop-now"] = nodes.pop("stop-injecting")  # renamed: still the same step
        data["start"] = "stop-now"
        nodes["wait-60"]["steps"][0] = "Keep monitoring refill, colour and pain."

    session = walk(runner, SARAH)
    assert replay(runner, session, "--against", edited(tmp_path, reworded)) == (0, [
        f"session {session} (vascular-occlusion 0.1.0 -> 0.2.0)",
        "same path and outcome: resolved (resolved)",
        "changed instructions on the walked path:",
        "  wait-60: steps 1: Keep monitoring refill, colour and pain[-, and keep recording-]."])


def test_the_walked_tree_not_on_the_search_path(runner: CliRunner, tmp_path: Path) -> None:
    walked = tmp_path / "walked"
    walked.mkdir()
    edited(tmp_path, lambda nodes, data: data.update(title="A local edit"), "walked/vascular-occlusion.yaml", "0.1.5")
    result = runner.invoke(app, ["vascular-occlusion", "--plain", "--protocols", str(walked)],
                           input="".join(f"{a}\n" for a in SARAH))
    assert result.exit_code == 0
    shutil.rmtree(walked)  # the tree that session was walked on is gone
    session = next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("Session "))
    assert replay(runner, session, "--against", str(VO)) == (0, [
        f"session {session} (vascular-occlusion 0.1.5 -> 0.1.0)",
        "same path and outcome: resolved (resolved)",
        "changed instructions: unknown (the tree this session was walked on, vascular-occlusion 0.1.5, is not on "
        "the search path or does not load)"])


def test_back_steps_are_undone_before_the_replay(runner: CliRunner, tmp_path: Path) -> None:
    # Nitroglycerin chosen, then taken back: the option's removal does not touch this session's path.
    session = walk(runner, [*NITRO[:8], "g", "back", "n", "", "r"])
    code, lines = replay(runner, session, "--against", edited(tmp_path, remove_nitroglycerin))
    assert (code, lines[1]) == (0, "same path and outcome: resolved (resolved)")


def test_all_sessions_as_a_table_and_json(runner: CliRunner, tmp_path: Path) -> None:
    sessions = [walk(runner, answers) for answers in (SARAH, NITRO, NECROSIS)]
    drills = tmp_path / "logs" / "drills"
    drills.mkdir(mode=0o700)
    shutil.copy(tmp_path / "logs" / f"{sessions[1]}.jsonl", drills / f"{sessions[1]}.jsonl")  # its own name
    new = edited(tmp_path, remove_nitroglycerin)
    code, lines = replay(runner, "--all", "--against", new)
    assert code == 1
    assert lines[0].split() == ["session", "outcome", "then", "outcome", "now", "replayed", "on", "0.2.0"]
    rows = {line.split("  ")[0]: line for line in lines[1:4]}
    assert sorted(rows) == sorted(sessions)
    assert rows[sessions[0]].endswith("  same; changed instructions at 1 step(s)")  # adjuncts lost an option
    assert rows[sessions[1]].endswith("diverges at adjuncts: option [g] is no longer offered; changed instructions at "
                                      "1 step(s)")
    assert lines[-1] == ("of 3 vascular-occlusion session(s), 1 would now reach another outcome, 1 would take "
                         "another path, 3 walked steps whose instructions changed")
    code, lines = replay(runner, "--all", "--drills", "--against", new)
    assert lines[-1].startswith("of 4 vascular-occlusion session(s), 2 would now reach another outcome")
    data = json.loads(runner.invoke(app, ["log", "replay", "--all", "--against", new, "--format", "json"]).stdout)
    assert (data["sessions"], data["same"], data["other_outcome"], data["diverge"]) == (3, 2, 1, 1)
    diverged = next(r for r in data["results"] if r["session"] == sessions[1])
    assert diverged["divergence"] == {"node": "adjuncts", "reason": "option [g] is no longer offered",
                                                "then": "adjunct-nitroglycerin", "now": None}


def test_all_same_exits_0(runner: CliRunner) -> None:
    for answers in (SARAH, NECROSIS):
        walk(runner, answers)
    code, lines = replay(runner, "--all", "--against", str(VO))
    assert (code, lines[-1]) == (0, "of 2 vascular-occlusion session(s), 0 would now reach another outcome, "
                                    "0 would take another path, 0 walked steps whose instructions changed")


@pytest.mark.parametrize(("args", "message"), [
    (["S1", "--all", "--against", "vascular-occlusion"], "log replay takes either SESSION or --all"),
    (["--against", "vascular-occlusion"], "log replay takes either SESSION or --all"),
    (["--all"], "log replay needs --against ID|PATH (the version to replay on)"),
    (["--all", "--against", "no-such-protocol"], "no protocol with that id on the search path; see 'protocol list'"),
])
def test_usage_errors_exit_2(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["log", "replay", *args])
    assert (result.exit_code, result.output.splitlines()[-1]) == (2, f"protocol: {message}")


def test_a_session_of_another_protocol_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    session = walk(runner, SARAH)
    result = runner.invoke(app, ["log", "replay", session, "--against", "ptosis"])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1].endswith("a session of vascular-occlusion, not of ptosis")


def test_a_drill_is_found_by_a_unique_start_of_its_id(runner: CliRunner) -> None:
    result = runner.invoke(app, ["drill", "vascular-occlusion", "--plain", "--speed", "600"],
                           input="".join(f"{a}\n" for a in SARAH))
    session = next(line.split()[-1] for line in result.stdout.splitlines() if line.startswith("DRILL | Session "))
    assert replay(runner, session[:-2], "--against", str(VO)) == (0, [
        f"session {session} (vascular-occlusion 0.1.0 -> 0.1.0)",
        "same path and outcome: resolved (resolved)"])


def test_a_walked_tree_that_no_longer_validates_leaves_the_wording_unknown(
        runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from aesthetic_protocols import replay as replay_module
    from aesthetic_protocols.errors import InvalidProtocol, Problem, Severity

    session = walk(runner, SARAH)

    def refused(ref: str, dirs: Any, today: Any) -> Any:  # the walked tree only: --against loads as before
        raise InvalidProtocol([Problem(ref, 1, 1, Severity.ERROR, "schema", "a rule added since")])

    monkeypatch.setattr(replay_module, "load_version", refused)
    code, lines = replay(runner, session, "--against", str(VO))
    assert (code, lines[-1]) == (0, "changed instructions: unknown (the tree this session was walked on, "
                                    "vascular-occlusion 0.1.0, is not on the search path or does not load)")


# --- properties over random trees and walks --------------------------------------------------------------


def random_walk(protocol: Any, draw: Any, steps: int = 30) -> list[dict[str, Any]]:
    """A walk through the engine with answers drawn at random; its events as the log holds them."""
    from aesthetic_protocols.engine import Answer, FlagRaised, Session
    from aesthetic_protocols.model import InputNode, QuestionNode

    session = Session(protocol)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    events = [{"event": "start", "ts": moment.isoformat(), "node": protocol.start}]
    while not session.finished and steps:
        steps -= 1
        node = session.node
        if draw(st.integers(0, 9)) == 0:
            command: Any = FlagRaised("z")
        elif isinstance(node, QuestionNode):
            command = Answer(draw(st.sampled_from([o.key for o in node.options])))
        elif isinstance(node, InputNode):
            command = Answer(str(draw(st.integers(node.min, node.max))))
        else:
            command = Answer("")
        events += [{"event": e.kind, **e.payload(), "ts": moment.isoformat()} for e in session.apply(command, moment)]
    return events


@settings(max_examples=60, deadline=None)
@given(protocol_data(), st.data())
def test_a_session_replayed_on_its_own_tree_is_the_same(data: dict[str, Any], draw: st.DataObject) -> None:
    protocol = Protocol.model_validate(data)
    events = random_walk(protocol, draw.draw)
    result = replay_events(events, protocol, diff_protocols(protocol, protocol))
    assert result.same and result.divergence is None and not result.changed


@settings(max_examples=60, deadline=None)
@given(protocol_data(), st.data())
def test_a_removed_option_diverges_exactly_the_sessions_that_took_it(data: dict[str, Any],
                                                                     draw: st.DataObject) -> None:
    questions = [nid for nid, node in data["nodes"].items() if node["kind"] == "question" and len(node["options"]) > 1]
    assume(questions)
    protocol = Protocol.model_validate(data)
    events = random_walk(protocol, draw.draw)
    node_id = draw.draw(st.sampled_from(questions))
    gone = data["nodes"][node_id]["options"][-1]
    changed = copy.deepcopy(data)
    changed["nodes"][node_id]["options"].pop()
    result = replay_events(events, Protocol.model_validate(changed), None)
    took = any(step.node == node_id and step.value == gone["key"] for step in recorded_steps(events))
    assert (result.divergence is not None) == took
    if took:
        assert result.divergence is not None
        assert result.divergence.reason == f"option [{gone['key']}] is no longer offered"


def test_a_rewalk_reads_the_kit_as_the_log_recorded_it() -> None:
    from aesthetic_protocols.engine import Session
    from aesthetic_protocols.events import iso_utc
    from aesthetic_protocols.loader import load_file

    tree = load_file(Path(__file__).parent / "fixtures" / "contacts" / "kit-check.yaml").protocol

    class Expired:
        def kit_expired(self, item: str, today: object) -> bool:
            return item == "hyaluronidase"

        def kit_present(self, item: str) -> bool:
            return True

    now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    walked = Session(tree, kit=Expired())
    log = [{"event": "start", "ts": iso_utc(now), "node": None, "protocol": "kit-check", "version": "1.0.0"}]
    log += [{"event": e.kind, "ts": iso_utc(now), **e.payload()} for e in walked.begin(now)]
    # The new version sends the expired-hyaluronidase alarm elsewhere: the engine's replay refuses the logged
    # decision, and the rewalk still reads the kit as logged (an alarm), so it ends where the new rule leads,
    # not where "no clinic file" would (the hand check).
    data = tree.model_dump(mode="json", by_alias=True)
    data["nodes"]["kit-file"]["rules"][0]["next"] = "go"
    replayed = replay_events(log, Protocol.model_validate(data), None)
    assert replayed.outcome_then == "kit-expired" and replayed.outcome_now == "go"
