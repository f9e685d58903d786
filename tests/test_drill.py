"""Drills: the simulated clock, the debrief against a scenario, and `protocol drill` end to end."""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyte
import pytest
from rich.console import Console
from typer.testing import CliRunner

from aesthetic_protocols.cli import app
from aesthetic_protocols.drill import SimulatedClock, debrief
from aesthetic_protocols.engine import Invalid, Quit, Session
from aesthetic_protocols.errors import UsageError
from aesthetic_protocols.faces.drill import terminal_face
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.model import Protocol, WaitAnswer
from aesthetic_protocols.report.drill import debrief_text
from aesthetic_protocols.scenarios import Scenario, load_scenarios, typed_line

ROOT = Path(__file__).resolve().parents[1]
OLD = ROOT / "tests" / "fixtures" / "v0.1.0"
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def vo() -> Protocol:
    return load_file(OLD / "vascular-occlusion.yaml").protocol


def seed(name: str) -> Scenario:
    suite = load_scenarios(OLD / "vascular-occlusion.scenarios.yaml")
    return next(s for s in suite.scenarios if s.name == name)


def drill_events(protocol: Protocol, answers: list[str], seconds: float = 30) -> list[dict[str, Any]]:
    """What a drill's log holds: its answers through the engine, `seconds` of simulated time apart."""
    session = Session(protocol)
    events: list[dict[str, Any]] = [{"event": "start", "ts": T0.isoformat(), "drill": True, "node": protocol.start}]
    for index, line in enumerate(answers, start=1):
        reading = session.interpret(line)
        assert not isinstance(reading, Invalid | Quit)
        moment = T0 + timedelta(seconds=seconds * index)
        events += [{"event": event.kind, **event.payload(), "ts": moment.isoformat()}
                   for event in session.apply(reading, moment)]
    return events


def with_target(scenario: Scenario, **target: Any) -> Scenario:
    return Scenario.model_validate({**scenario.model_dump(), "targets": [target]})


def test_the_scenario_walked_as_written_is_met() -> None:
    sarah = seed("sarah")
    result = debrief(vo(), sarah, drill_events(vo(), [typed_line(a) for a in sarah.answers]))
    assert result.met
    assert debrief_text(result).splitlines() == [
        "DRILL DEBRIEF vascular-occlusion / sarah",
        "path: the scenario's path (11 steps)",
        "outcome: resolved (resolved), as the scenario",
        "red flags: none in the scenario, none raised",
        "debrief: met"]


def test_the_wrong_branch_is_not_met_and_names_the_node() -> None:
    answers = ["", "", "y", "h", "n", "m", "", "h", "1", "", "n", "", "r"]  # massage first: not the scenario's way
    result = debrief(vo(), seed("sarah"), drill_events(vo(), answers))
    assert not result.met and result.left_at == "first-line"
    assert debrief_text(result).splitlines() == [
        "DRILL DEBRIEF vascular-occlusion / sarah",
        "path: LEFT the scenario's path at first-line: answered m (Massage, tapping and warmth first) -> "
        "massage-warmth; the scenario answered h (Straight to hyaluronidase) -> areas",
        "outcome: resolved (resolved), as the scenario",
        "red flags: none in the scenario, none raised",
        "debrief: NOT met"]


def test_a_missed_red_flag_and_another_outcome() -> None:
    eye = seed("eye-emergency")
    result = debrief(vo(), eye, drill_events(vo(), ["", "", "n"]))
    lines = debrief_text(result).splitlines()
    assert lines[1:] == [
        "path: LEFT the scenario's path at assess: went on -> signs; the scenario raised red flag v -> eye-actions",
        "outcome: no-signs (follow-up); the scenario reaches eye-emergency (emergency)",
        "red flags: MISSED v",
        "debrief: NOT met"]


@pytest.mark.parametrize(("seconds", "verdict"), [(60, "met (5 min 00 s)"), (200, "MISSED (16 min 40 s)")])
def test_time_targets_met_or_missed_with_their_figure(seconds: float, verdict: str) -> None:
    sarah = with_target(seed("sarah"), node="hyaluronidase-pulse", within_minutes=15, after="signs")
    result = debrief(vo(), sarah, drill_events(vo(), [typed_line(a) for a in sarah.answers], seconds))
    line = f"time: hyaluronidase-pulse within 15 min of signs: {verdict}"
    assert line in debrief_text(result).splitlines()
    assert result.met is verdict.startswith("met")


def test_a_target_from_the_start_never_reached() -> None:
    target = with_target(seed("non-ha-referral"), node="hyaluronidase-pulse", within_minutes=15)
    result = debrief(vo(), target, drill_events(vo(), [typed_line(a) for a in target.answers]))
    assert "time: hyaluronidase-pulse within 15 min of the start: MISSED (not reached)" in debrief_text(result)
    assert not result.met


def test_the_simulated_clock_runs_at_its_speed_and_skips_ahead() -> None:
    real = [100.0]
    clock = SimulatedClock(600, T0, real=lambda: real[0])
    real[0] += 1.5
    assert clock() == T0 + timedelta(minutes=15)
    clock.skip_to(T0 + timedelta(minutes=60))
    assert clock() == T0 + timedelta(minutes=60)
    clock.skip_to(T0)  # never back
    real[0] += 0.1
    assert clock() == T0 + timedelta(minutes=61)


@pytest.mark.parametrize("speed", [0, -1, 3601])
def test_a_speed_out_of_bounds_is_a_usage_error(speed: float) -> None:
    with pytest.raises(UsageError, match="--speed takes a number above 0 and at most 3600"):
        SimulatedClock(speed)


def test_a_target_at_an_outcome_counts_its_arrival() -> None:
    eye = with_target(seed("eye-emergency"), node="eye-emergency", within_minutes=2)
    result = debrief(vo(), eye, drill_events(vo(), [typed_line(a) for a in eye.answers], 30))
    assert "time: eye-emergency within 2 min of the start: met (1 min 30 s)" in debrief_text(result)


# --- `protocol drill` end to end ---------------------------------------------------------------------------

SEEDS = ("sarah", "maria", "robert", "intravascular-injection-caught-before-signs")
ON_0_1_0 = ["--protocols", str(OLD)]  # the trees as released in 0.1.0: these answers stay valid as trees change


@pytest.fixture()
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("AESTHETIC_PROTOCOLS_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("AESTHETIC_PROTOCOLS_PATH", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    return CliRunner()


def bundled_seed(name: str) -> tuple[str, Scenario]:
    """The protocol and scenario of a seed case, from the bundled scenario files (whatever their version)."""
    for path in sorted((ROOT / "protocols").glob("*.scenarios.yaml")):
        suite = load_scenarios(path)
        found = next((s for s in suite.scenarios if s.name == name), None)
        if found is not None:
            return suite.protocol, found
    raise AssertionError(f"no seed scenario {name}")


def typed(answers: Sequence[str | int | WaitAnswer]) -> str:
    return "".join(f"{typed_line(answer)}\n" for answer in answers)


@pytest.mark.parametrize("name", SEEDS)
def test_each_seed_case_drilled_at_600x_is_met_within_5_s(runner: CliRunner, tmp_path: Path, name: str) -> None:
    protocol, scenario = bundled_seed(name)
    began = time.monotonic()
    result = runner.invoke(app, ["drill", protocol, "--scenario", name, "--speed", "600", "--plain"],
                           input=typed(scenario.answers))
    took = time.monotonic() - began
    assert result.exit_code == 0, result.output
    assert took < 5, f"{took:.1f} s"
    lines = result.stdout.splitlines()
    assert lines[0] == f"DRILL | DRILL (scenario {name}, 600x time): training, not a real session"
    debrief_at = lines.index(f"DRILL DEBRIEF {protocol} / {name}")
    assert all(line.startswith("DRILL | ") for line in lines[:debrief_at - 1] if line)  # nothing looks real
    assert lines[-1] == "debrief: met"
    logs = list((tmp_path / "logs" / "drills").glob("*.jsonl"))
    assert len(logs) == 1 and not list((tmp_path / "logs").glob("*.jsonl"))  # apart from clinical logs
    start = json.loads(logs[0].read_text().splitlines()[0])
    assert (start["event"], start["drill"], start["protocol"]) == ("start", True, protocol)


def test_a_wrong_branch_is_not_met_and_names_the_node(runner: CliRunner) -> None:
    answers = ["", "", "y", "h", "n", "m", "", "h", "1", "", "n", "", "r"]  # massage first, unlike sarah
    result = runner.invoke(app, ["drill", "vascular-occlusion", "--scenario", "sarah", "--speed", "600", "--plain",
                                 *ON_0_1_0], input=typed(answers))
    assert result.exit_code == 1
    debrief_lines = result.stdout.splitlines()[-5:]
    assert debrief_lines[1].startswith("path: LEFT the scenario's path at first-line: answered m (")
    assert debrief_lines[-1] == "debrief: NOT met"


def test_a_drill_without_a_scenario_ends_at_its_outcome(runner: CliRunner) -> None:
    result = runner.invoke(app, ["drill", "vascular-occlusion", "--plain", *ON_0_1_0], input=typed(["", "", "n"]))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "DRILL | DRILL (1x time): training, not a real session"
    assert "DEBRIEF" not in result.stdout


def test_an_interrupted_drill_exits_3(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["drill", "vascular-occlusion", "--scenario", "sarah", "--plain", *ON_0_1_0],
                           input=typed(["", "", "y"]))
    assert result.exit_code == 3
    assert result.output.splitlines()[-1].startswith("protocol: drill interrupted (end of input); its log is kept: ")
    assert len(list((tmp_path / "logs" / "drills").glob("*.jsonl"))) == 1


def test_drills_stay_out_of_log_list_unless_asked(runner: CliRunner) -> None:
    runner.invoke(app, ["drill", "vascular-occlusion", "--plain", *ON_0_1_0], input=typed(["", "", "n"]))
    runner.invoke(app, ["vascular-occlusion", "--plain", *ON_0_1_0], input=typed(["", "", "n"]))
    clinical = runner.invoke(app, ["log", "list"]).stdout.splitlines()
    assert clinical[0].startswith("started (times are local, UTC")
    assert len(clinical) == 2 and "[DRILL]" not in clinical[1]
    both = runner.invoke(app, ["log", "list", "--drills"]).stdout.splitlines()[1:]
    drill = "No signs of occlusion now: monitor (follow-up) [DRILL]"
    assert len(both) == 2 and sum(line.endswith(drill) for line in both) == 1


def test_log_list_says_where_the_drill_logs_are_when_there_are_only_drills(runner: CliRunner,
                                                                           tmp_path: Path) -> None:
    runner.invoke(app, ["drill", "vascular-occlusion", "--plain", *ON_0_1_0], input=typed(["", "", "n"]))
    listed = runner.invoke(app, ["log", "list"])
    assert listed.exit_code == 0 and listed.stdout == ""
    assert listed.stderr == f"no session logs in {tmp_path / 'logs'} (1 drill logs: see --drills)\n"


def test_time_targets_from_the_scenario_file(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "protocols"
    folder.mkdir()
    (folder / "vascular-occlusion.yaml").write_bytes((OLD / "vascular-occlusion.yaml").read_bytes())
    sarah = seed("sarah")
    (folder / "vascular-occlusion.scenarios.yaml").write_text(
        "protocol: vascular-occlusion\nscenarios:\n"
        f"  - name: sarah\n    answers: {[typed_line(a) for a in sarah.answers]}\n    outcome: resolved\n"
        "    targets:\n"
        "      - {node: hyaluronidase-pulse, within_minutes: 15, after: signs}\n"
        "      - {node: reassess, within_minutes: 30}\n", encoding="utf-8")
    result = runner.invoke(app, ["drill", "vascular-occlusion", "--scenario", "sarah", "--plain",
                                 "--protocols", str(folder)], input=typed(sarah.answers))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"time: hyaluronidase-pulse within 15 min of signs: met \(0 min 0\d s\)", lines[-3])
    # The 60-minute wait passed at once when continued: simulated time moved on by its 60 minutes.
    assert re.fullmatch(r"time: reassess within 30 min of the start: MISSED \(60 min 0\d s\)", lines[-2])
    assert lines[-1] == "debrief: NOT met"


@pytest.mark.parametrize(("args", "message"), [
    (["--scenario", "nobody"], "no scenario of that name for vascular-occlusion; there are: sarah, "),
    (["--speed", "0"], "--speed takes a number above 0 and at most 3600"),
])
def test_drill_usage_errors_exit_2(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["drill", "vascular-occlusion", "--plain", *ON_0_1_0, *args], input="")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1].startswith(f"protocol: {message}")


def test_the_terminal_face_pins_a_drill_bar(tmp_path: Path) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, height=30, force_terminal=True, color_system="standard",
                      highlight=False, markup=False, emoji=False, legacy_windows=False)
    clock = SimulatedClock(60, T0)
    face = terminal_face(clock, "sarah", console=console, interactive=False)
    session = Session(vo())
    session.begin(T0)
    face.intro(session, "20261128T090000Z-vascular-occlusion-1f2e", T0, False)
    face.show(session, T0)
    terminal = pyte.Screen(100, 30)
    terminal.set_mode(pyte.modes.LNM)
    pyte.Stream(terminal).feed(buffer.getvalue().rstrip("\n"))
    assert terminal.display[0].rstrip() == "DRILL (scenario sarah, 60x time): training, not a real session"
    assert terminal.display[1].startswith("Vascular occlusion after dermal filler v0.1.0")
