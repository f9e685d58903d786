"""Training drills: the chairside walk on a simulated clock, logged apart, and a debrief against a scenario.

A drill is the real walk (walker, engine, journal, faces) with two differences: its one clock is a
`SimulatedClock` (waits pass at `speed` times real time, or at once when continued), and its log lives in
`LOG_DIR/drills/` with `"drill": true` in the start event, apart from clinical sessions. With a scenario,
`debrief` compares the drill's log with the scenario's run (the scenario runner's own path): the path, the
outcome and its severity, the red flags raised or missed, and the scenario's time targets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from aesthetic_protocols.engine import Taken
from aesthetic_protocols.errors import UsageError
from aesthetic_protocols.events import AnswerEvent, Logged, OutcomeEvent, decode_all
from aesthetic_protocols.handover_debrief import handover_lines
from aesthetic_protocols.journal import drill_folder, parse_ts, read_events
from aesthetic_protocols.model import Scenario, ScenarioFile, TimeTarget
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.recorded import Lines, outcome_event, recorded_steps
from aesthetic_protocols.scenarios import load_scenarios, run_scenario
from aesthetic_protocols.tree import OutcomeNode, Protocol, QuestionNode

if TYPE_CHECKING:
    from aesthetic_protocols.source import Loaded
    from aesthetic_protocols.walker import Face, Outcome

MAX_SPEED = 3600.0  # an hour a second: a 60-minute wait in one second


class SimulatedClock:
    """A drill's one clock: from `start`, simulated time runs `speed` times faster than real time, and
    `skip_to` moves it ahead at once (a wait continued before it is due has then passed)."""

    def __init__(self, speed: float, start: datetime | None = None,
                 real: Callable[[], float] = time.monotonic) -> None:
        if not 0 < speed <= MAX_SPEED:
            raise UsageError(f"--speed takes a number above 0 and at most {MAX_SPEED:g}")
        self.speed = speed
        self._real = real
        self._real_origin = real()
        self._origin = start or datetime.now().astimezone()
        self._skipped = timedelta(0)

    def __call__(self) -> datetime:
        return self._origin + timedelta(seconds=(self._real() - self._real_origin) * self.speed) + self._skipped

    def skip_to(self, moment: datetime) -> None:
        """Move simulated time on to `moment` (never back)."""
        now = self()
        if moment > now:
            self._skipped += moment - now


def find_scenario(suite: ScenarioFile, name: str) -> Scenario:
    """A scenario of a file by name; UsageError naming the ones there are."""
    found = next((s for s in suite.scenarios if s.name == name), None)
    if found is None:
        names = ", ".join(s.name for s in suite.scenarios)
        raise UsageError(f"no scenario of that name for {suite.protocol}; there are: {names}")
    return found


def scenario_named(path: Path, name: str) -> Scenario:
    """The scenario `name` from the scenario file at `path` (UsageError if the file or the name is missing)."""
    if not path.is_file():
        raise UsageError(f"no scenarios for this protocol ({path.name} not found)")
    return find_scenario(load_scenarios(path), name)


# --- the debrief -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetCheck:
    """One time target: the figure (seconds from its reference to the first answer at its node) and the verdict."""

    node: str
    after: str | None
    within_minutes: int
    seconds: float | None  # None: the node (or its reference) was never answered
    met: bool


@dataclass(frozen=True)
class Debrief:
    """A drill compared with its scenario."""

    protocol: str
    scenario: str
    steps: int  # steps on the drill's path
    left_at: str | None  # where the drill left the scenario's path (None: the same path)
    did: str | None  # what the trainee did there
    expected: str | None  # what the scenario does there
    outcome: str | None
    severity: str | None
    expected_outcome: str
    expected_severity: str | None
    flags_raised: tuple[str, ...]
    flags_missed: tuple[str, ...]
    flags_extra: tuple[str, ...]
    targets: tuple[TargetCheck, ...]
    handover: tuple[str, ...] = ()  # an emergency until handover: times to each entry, timers met (in words)

    @property
    def outcome_met(self) -> bool:
        return (self.outcome, self.severity) == (self.expected_outcome, self.expected_severity)

    @property
    def met(self) -> bool:
        """Same path, the scenario's outcome and severity, no red flag missed, every time target met."""
        return (self.left_at is None and self.outcome_met and not self.flags_missed and not self.flags_extra
                and all(t.met for t in self.targets))


def _did(protocol: Protocol, step: Taken) -> str:
    """A step in words: `answered h (Straight to hyaluronidase) -> areas`, `raised red flag v -> eye-actions`."""
    if step.how == "flag":
        return f"raised red flag {step.value} -> {step.next}"
    node = protocol.nodes.get(step.node)
    if isinstance(node, QuestionNode):
        label = next((o.label for o in node.options if o.key == step.value), "")
        return f"answered {step.value} ({label}) -> {step.next}"
    return f"went on -> {step.next}" if step.value == "" else f"entered {step.value} -> {step.next}"


def _first_answer(events: Sequence[Logged], node: str) -> datetime | None:
    """When `node` was first answered (its corrected time if given), or reached if it is the outcome."""
    for logged in events:
        event = logged.event
        if isinstance(event, AnswerEvent | OutcomeEvent) and event.node == node:
            done_at = event.done_at if isinstance(event, AnswerEvent) else None
            return parse_ts(done_at) or logged.moment
    return None


def _check(target: TimeTarget, events: Sequence[Logged]) -> TargetCheck:
    since = (events[0].moment if events and target.after is None
             else _first_answer(events, target.after) if target.after is not None else None)
    done = _first_answer(events, target.node)
    seconds = (done - since).total_seconds() if since is not None and done is not None else None
    met = seconds is not None and seconds <= target.within_minutes * 60
    return TargetCheck(target.node, target.after, target.within_minutes, seconds, met)


def debrief(protocol: Protocol, scenario: Scenario, lines: Lines) -> Debrief:
    """Compare a finished drill's log with the scenario's own run through the scenario runner."""
    events = decode_all(lines)
    # The log's steps are its answers and red flags; a decide node's routing is no step taken by the person
    # (its `decided` event follows from them), so the scenario's own decide steps are left out of the match.
    expected = [step for step in run_scenario(protocol, scenario).trail if step.how != "decide"]
    walked = recorded_steps(events)
    left_at = did = should = None
    for mine, theirs in zip(walked, expected, strict=False):
        if (mine.node, mine.how, mine.next) != (theirs.node, theirs.how, theirs.next):
            left_at, did, should = mine.node, _did(protocol, mine), _did(protocol, theirs)
            break
    else:
        if len(walked) != len(expected):  # a path that stops short (or runs on) leaves at its last common node
            index = min(len(walked), len(expected))
            left_at = (walked or expected)[index - 1].next if index else protocol.start
            did = _did(protocol, walked[index]) if index < len(walked) else "stopped there"
            should = _did(protocol, expected[index]) if index < len(expected) else "ends there"
    end = outcome_event(events)
    goal = protocol.nodes.get(scenario.outcome)
    expected_severity = (str(scenario.severity) if scenario.severity is not None
                         else str(goal.severity) if isinstance(goal, OutcomeNode) else None)
    theirs_flags = [t.value for t in expected if t.how == "flag"]
    mine_flags = [s.value for s in walked if s.how == "flag"]
    return Debrief(
        protocol=protocol.id, scenario=scenario.name, steps=len(walked), left_at=left_at, did=did, expected=should,
        outcome=str(end.node) if end else None,
        severity=(end.severity or None) if end else None,
        expected_outcome=scenario.outcome, expected_severity=expected_severity,
        flags_raised=tuple(k for k in dict.fromkeys(mine_flags) if k in theirs_flags),
        flags_missed=tuple(k for k in dict.fromkeys(theirs_flags) if k not in mine_flags),
        flags_extra=tuple(k for k in dict.fromkeys(mine_flags) if k not in theirs_flags),
        targets=tuple(_check(target, events) for target in scenario.targets),
        handover=tuple(handover_lines(protocol, events)))


# --- the drill itself --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrillEnd:
    """How a drill ended: the walk's outcome (finished or interrupted) and the debrief, if a scenario was set."""

    outcome: Outcome
    debrief: Debrief | None


def run_drill(loaded: Loaded, log_dir: Path, *, face: Face, clock: SimulatedClock,
              scenario: Scenario | None = None) -> DrillEnd:
    """Walk the protocol as a drill (the walker's own walk, on the simulated clock, logged in drills/), then
    debrief it against the scenario. An interrupted drill has no debrief."""
    from aesthetic_protocols.walker import start_walk

    outcome = start_walk(loaded, drill_folder(log_dir), face=face, clock=clock, drill=True)
    if not outcome.result.finished or scenario is None:
        return DrillEnd(outcome, None)
    events, _ = read_events(outcome.log)
    return DrillEnd(outcome, debrief(loaded.protocol, scenario, events))
