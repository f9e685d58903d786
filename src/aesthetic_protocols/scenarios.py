"""Scenario tests kept beside the trees: answers in order, the outcome they must reach, nodes to visit or avoid.

`protocols/<id>.scenarios.yaml` is read through the same strict gates as a protocol, and each scenario is
run through the real engine exactly as a plain-mode practitioner would type it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from aesthetic_protocols.cache import load_valid
from aesthetic_protocols.checks import validate_path
from aesthetic_protocols.engine import Invalid, Quit, Session, Taken, WalkError
from aesthetic_protocols.errors import InvalidProtocol, ProtocolsError
from aesthetic_protocols.loader import build_model, parse_source
from aesthetic_protocols.model import OutcomeNode, Protocol, Scenario, ScenarioFile
from aesthetic_protocols.search import SCENARIO_SUFFIX, discover, file_id, resolve_id


@dataclass(frozen=True)
class Result:
    """One scenario's verdict, its reason, the nodes it visited and its steps (for drill debriefs)."""

    protocol: str
    name: str
    passed: bool
    reason: str
    visited: tuple[str, ...]
    trail: tuple[Taken, ...] = ()


@dataclass
class Coverage:
    """The share of a tree's nodes its scenarios visit."""

    protocol: str
    nodes: int
    visited: set[str] = field(default_factory=set)

    @property
    def share(self) -> float:
        return len(self.visited) / self.nodes if self.nodes else 0.0


def scenario_path(protocol_path: Path) -> Path:
    """The scenario file kept beside a protocol file."""
    return protocol_path.with_name(file_id(protocol_path) + SCENARIO_SUFFIX)


def load_scenarios(path: Path) -> ScenarioFile:
    """Parse a scenario file through the strict YAML gates; InvalidProtocol with located problems."""
    return build_model(ScenarioFile, parse_source(path))


# A fixed clock: scenarios are deterministic and never wait in real time.
_SCENARIO_NOW = datetime(2000, 1, 1, 12, 0, tzinfo=UTC)


def run_scenario(protocol: Protocol, scenario: Scenario) -> Result:
    """Feed a scenario's answers through the engine; pass if it ends at the named outcome."""
    session = Session(protocol)

    def fail(reason: str) -> Result:
        return Result(protocol.id, scenario.name, False, reason, tuple(session.visited), tuple(session.trail))

    if scenario.outcome not in protocol.nodes:
        return fail(f"outcome '{scenario.outcome}' is not a node of {protocol.id}")
    for index, raw in enumerate(scenario.answers, start=1):
        if session.finished:
            return fail(f"reached '{session.current}' with {len(scenario.answers) - index + 1} answer(s) left over")
        reading = session.interpret(str(raw))
        if isinstance(reading, Invalid):
            return fail(f"answer {index} at '{session.current}': {reading.reason}")
        if isinstance(reading, Quit):
            return fail(f"answer {index} quits the walk")
        try:
            # A scenario's Enter at a wait is the wait run to its time (not an early continue to confirm).
            due = session.due()
            session.apply(reading, max(_SCENARIO_NOW, due) if due is not None else _SCENARIO_NOW)
        except WalkError as exc:
            return fail(f"answer {index} at '{session.current}': {exc}")
    if not session.finished:
        return fail(f"answers ran out at '{session.current}' before an outcome")
    if session.current != scenario.outcome:
        return fail(f"reached '{session.current}', expected '{scenario.outcome}'")
    reached = session.node
    if scenario.severity is not None and isinstance(reached, OutcomeNode) and reached.severity != scenario.severity:
        return fail(f"reached '{session.current}' of severity {reached.severity}, expected {scenario.severity}")
    visited = set(session.visited)
    missing = [node for node in scenario.visits if node not in visited]
    if missing:
        return fail(f"did not visit {', '.join(missing)}")
    entered = [node for node in scenario.avoids if node in visited]
    if entered:
        return fail(f"visited {', '.join(entered)}, which it must avoid")
    unreached = [name for target in scenario.targets for name in (target.node, target.after)
                 if name is not None and name not in visited]
    if unreached:
        return fail(f"a time target names {', '.join(unreached)}, which this path never reaches")
    return Result(protocol.id, scenario.name, True, f"reached '{scenario.outcome}'", tuple(session.visited),
                  tuple(session.trail))


def run_file(protocol: Protocol, scenarios: ScenarioFile) -> tuple[list[Result], Coverage]:
    """Every scenario of a file, and the share of the tree's nodes they visit."""
    coverage = Coverage(protocol.id, len(protocol.nodes))
    results = []
    for scenario in scenarios.scenarios:
        result = run_scenario(protocol, scenario)
        coverage.visited.update(result.visited)
        results.append(result)
    return results, coverage


@dataclass
class SuiteReport:
    """What `protocol scenarios` prints, and its counts."""

    lines: list[str] = field(default_factory=list)
    passed: int = 0
    failed: int = 0


def run_suites(ids: Sequence[str], dirs: Sequence[Path], today: date) -> SuiteReport:
    """Run the scenario files beside the protocols named (all on the search path when none): one line per
    scenario and a coverage line per protocol. A broken protocol or scenario file is a failure of its own,
    reported in its line; the other protocols still run. An unknown id is a usage error."""
    report = SuiteReport()
    chosen = list(ids) or sorted(discover(dirs))
    for protocol_id in chosen:
        found = resolve_id(protocol_id, dirs)
        path = scenario_path(found.path)
        if not path.is_file():
            report.lines.append(f"{protocol_id}: no scenarios ({path.name} not found)")
            report.failed += bool(ids)  # asking for a protocol's scenarios that do not exist is a failure
            continue
        try:
            protocol = load_valid(found.path, today)[0].protocol
            problems = validate_path(path, today)
            if problems:
                raise InvalidProtocol(problems)
            results, coverage = run_file(protocol, load_scenarios(path))
        except ProtocolsError as exc:
            report.lines.append(f"FAIL {protocol_id}: {exc.message}")
            report.failed += 1
            continue
        for result in results:
            report.lines.append(f"{'PASS' if result.passed else 'FAIL'} {protocol_id}/{result.name}: {result.reason}")
            report.passed += result.passed
            report.failed += not result.passed
        unvisited = sorted(set(protocol.nodes) - coverage.visited)
        never = f"; never visited: {', '.join(unvisited)}" if unvisited else ""
        report.lines.append(f"{protocol_id}: {len(results)} scenario(s); {len(coverage.visited)}/{coverage.nodes} "
                            f"nodes visited ({coverage.share:.0%}){never}")
    report.lines.append(f"scenarios: {report.passed} passed, {report.failed} failed")
    return report
