"""Scenario tests kept beside the trees: answers in order, the outcome they must reach, nodes to visit or avoid.

`protocols/<id>.scenarios.yaml` is read through the same strict gates as a protocol, and each scenario is
run through the real engine exactly as a plain-mode practitioner would type it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from datetime import UTC, date, datetime
from pathlib import Path

from aesthetic_protocols.cache import load_valid
from aesthetic_protocols.checks import validate_path
from aesthetic_protocols.engine import Answer, Command, Invalid, Quit, Session, Taken, WalkError
from aesthetic_protocols.errors import InvalidProtocol, ProtocolsError
from aesthetic_protocols.events import Event
from aesthetic_protocols.loader import build_model, parse_source
from aesthetic_protocols.model import Scenario, ScenarioFile, WaitAnswer
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.search import SCENARIO_SUFFIX, discover, file_id, resolve_id
from aesthetic_protocols.transcripts import compare, prompt_words, read_file, render_file, step_lines, transcript_path
from aesthetic_protocols.tree import OutcomeNode, Protocol, WaitNode


@dataclass(frozen=True)
class Result:
    """One scenario's verdict, its reason, the nodes it visited and its steps (for drill debriefs)."""

    protocol: str
    name: str
    passed: bool
    reason: str
    visited: tuple[str, ...]
    trail: tuple[Taken, ...] = ()
    transcript: tuple[str, ...] = ()  # the walk in words, one line per step (`transcripts`)


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


# The simulated clock's start: scenarios are deterministic and never wait in real time. Time stands still
# but where a `{wait: due}` answer runs a wait its full time.
_SCENARIO_NOW = datetime(2000, 1, 1, 12, 0, tzinfo=UTC)


def wait_commands(session: Session, how: WaitAnswer, now: datetime) -> tuple[list[Command], datetime]:
    """A `{wait: due}` or `{wait: early}` answer at the current wait: what is typed, and the simulated time.

    due: the clock moves on to the wait's due time, then Enter continues. early: Enter before it is due.
    """
    due = session.due()
    if how.wait == "due":
        return [Answer("")], max(now, due) if due is not None else now
    node = session.node
    confirm = [Answer("y")] if isinstance(node, WaitNode) and node.early is not None else []
    return [Answer(""), *confirm], now  # a wait with `early:` asks to confirm, and the scenario does


def typed_line(answer: str | int | WaitAnswer) -> str:
    """The plain-mode line for a scenario answer: a wait's `{wait: ...}` is one line that continues (a pipe
    never waits in real time; a drill's clock moves on to the due time)."""
    return "" if isinstance(answer, WaitAnswer) else str(answer)


def run_scenario(protocol: Protocol, scenario: Scenario) -> Result:
    """Feed a scenario's answers through the engine; pass if it ends at the named outcome."""
    session = Session(protocol, kit=scenario.kit)
    now = _SCENARIO_NOW
    lines: list[str] = []

    def fail(reason: str) -> Result:
        return Result(protocol.id, scenario.name, False, reason, tuple(session.visited), tuple(session.trail),
                      tuple(lines))

    if scenario.outcome not in protocol.nodes:
        return fail(f"outcome '{scenario.outcome}' is not a node of {protocol.id}")
    lines += step_lines("", session.node, session.begin(now), session)
    for index, raw in enumerate(scenario.answers, start=1):
        if session.finished:
            return fail(f"reached '{session.current}' with {len(scenario.answers) - index + 1} answer(s) left over")
        commands: list[Command]
        if isinstance(raw, WaitAnswer):
            if not isinstance(session.node, WaitNode):
                return fail(f"answer {index} at '{session.current}': {{wait: {raw.wait}}} answers a wait only")
            commands, now = wait_commands(session, raw, now)
        else:
            reading = session.interpret(str(raw), now)
            if isinstance(reading, Invalid):
                return fail(f"answer {index} at '{session.current}': {reading.reason}")
            if isinstance(reading, Quit):
                return fail(f"answer {index} quits the walk")
            commands = [reading]
        prompt, asked = prompt_words(session), session.node
        events: list[Event] = []
        try:
            for command in commands:
                events += session.apply(command, now)
        except WalkError as exc:
            return fail(f"answer {index} at '{session.current}': {exc}")
        lines += step_lines(prompt, asked, events, session)
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
                  tuple(session.trail), tuple(lines))


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


def run_suites(ids: Sequence[str], dirs: Sequence[Path], today: date, update: bool = False) -> SuiteReport:
    """Run the scenario files beside the protocols named (all on the search path when none): one line per
    scenario and a coverage line per protocol. Each walk is also checked against its transcript (the word
    diff of a differing one follows its line, indented); `update` rewrites the transcript files instead.
    A broken protocol or scenario file is a failure of its own, reported in its line; the other protocols
    still run. An unknown id is a usage error."""
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
            differs = _transcripts(protocol_id, results, transcript_path(path), update, report)
        except ProtocolsError as exc:
            report.lines.append(f"FAIL {protocol_id}: {exc.message}")
            report.failed += 1
            continue
        for result in results:
            diff = differs.pop(result.name, [])
            diff = diff if result.passed else []  # a failed walk says why; its transcript would only repeat it
            passed = result.passed and not diff
            reason = TRANSCRIPT_DIFFERS if diff else result.reason
            report.lines.append(f"{'PASS' if passed else 'FAIL'} {protocol_id}/{result.name}: {reason}")
            report.lines += [f"  {line}" for line in diff]
            report.passed += passed
            report.failed += not passed
        for name, diff in differs.items():  # in the transcript file, no longer a scenario
            report.lines.append(f"FAIL {protocol_id}/{name}: {diff[0]}")
            report.failed += 1
        unvisited = sorted(set(protocol.nodes) - coverage.visited)
        never = f"; never visited: {', '.join(unvisited)}" if unvisited else ""
        report.lines.append(f"{protocol_id}: {len(results)} scenario(s); {len(coverage.visited)}/{coverage.nodes} "
                            f"nodes visited ({coverage.share:.0%}){never}")
    report.lines.append(f"scenarios: {report.passed} passed, {report.failed} failed")
    return report


TRANSCRIPT_DIFFERS = "the transcript differs (if the change is meant: protocol scenarios --update)"


def _transcripts(protocol_id: str, results: Sequence[Result], path: Path, update: bool,
                 report: SuiteReport) -> dict[str, list[str]]:
    """Check the walks against the transcript file (scenario -> word diff, for those that differ), or with
    `update` write the file (only when its text changes, said in the report). A missing file is a failure
    of its own line; the scenarios are still reported."""
    walked = {result.name: list(result.transcript) for result in results}
    if update:
        text = render_file(protocol_id, walked)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
            report.lines.append(f"{protocol_id}: wrote {path.name}")
        return {}
    if not path.is_file():
        report.lines.append(f"FAIL {protocol_id}: no transcripts ({path.name} not found); "
                            "run: protocol scenarios --update")
        report.failed += 1
        return {}
    return compare(read_file(path), walked)
