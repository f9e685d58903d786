"""Drills: the simulated clock, the debrief against a scenario, and `protocol drill` end to end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aesthetic_protocols.drill import SimulatedClock, debrief
from aesthetic_protocols.engine import Invalid, Quit, Session
from aesthetic_protocols.errors import UsageError
from aesthetic_protocols.loader import load_file
from aesthetic_protocols.model import Protocol
from aesthetic_protocols.report.drill import debrief_text
from aesthetic_protocols.scenarios import Scenario, load_scenarios

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
    result = debrief(vo(), sarah, drill_events(vo(), [str(a) for a in sarah.answers]))
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
    result = debrief(vo(), sarah, drill_events(vo(), [str(a) for a in sarah.answers], seconds))
    line = f"time: hyaluronidase-pulse within 15 min of signs: {verdict}"
    assert line in debrief_text(result).splitlines()
    assert result.met is verdict.startswith("met")


def test_a_target_from_the_start_never_reached() -> None:
    target = with_target(seed("non-ha-referral"), node="hyaluronidase-pulse", within_minutes=15)
    result = debrief(vo(), target, drill_events(vo(), [str(a) for a in target.answers]))
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
    result = debrief(vo(), eye, drill_events(vo(), [str(a) for a in eye.answers], 30))
    assert "time: eye-emergency within 2 min of the start: met (1 min 30 s)" in debrief_text(result)
