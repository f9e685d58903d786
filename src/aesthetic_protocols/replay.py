"""Past sessions re-walked on another version of their protocol: where each would now go elsewhere.

A session's log records every answer and red flag with where it led. Its answers (with `back`s undone)
are fed through the engine on the other version: the same path and outcome; or the first node where the
walk now goes elsewhere and why (an option no longer offered, a target changed, a number now out of
range, a red flag removed), and the outcome it would now reach if the remaining answers still apply
(each answer is kept for the node it was given at). The instructions on the walked path that changed
wording or dose come from `diff`, against the tree the session was walked on (found on the search path
by its sha256; when it is not there, that part is unknown and said so).
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Sequence
from dataclasses import field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aesthetic_protocols.diff import Change, ProtocolDiff, diff_protocols, load_version, node_changes
from aesthetic_protocols.engine import Answer, Command, FlagRaised, Session, Taken, WalkError, kit_readings
from aesthetic_protocols.errors import LogError, ProtocolsError
from aesthetic_protocols.events import AnswerEvent, RedFlagEvent, StartEvent, decode, decode_all
from aesthetic_protocols.journal import DRILLS, drill_folder, read_events
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.recorded import Lines, outcome_event, recorded_steps, start_event
from aesthetic_protocols.search import PROTOCOL_SUFFIX
from aesthetic_protocols.source import Loaded
from aesthetic_protocols.tree import InputNode, OutcomeNode, Protocol, QuestionNode, RecordNode


@dataclass(frozen=True)
class Divergence:
    """The first node where the walk would now go elsewhere: why, where it went then, where it goes now
    (None when the recorded answer no longer applies there)."""

    node: str
    reason: str
    then: str | None
    now: str | None


@dataclass(frozen=True)
class Replayed:
    """One session replayed on another version."""

    session: str
    log: str
    protocol: str
    started: str
    version_then: str
    version_now: str
    outcome_then: str | None
    severity_then: str | None
    outcome_now: str | None
    severity_now: str | None
    divergence: Divergence | None = None
    stopped: str | None = None  # why the answers after the divergence stop leading anywhere
    changed: tuple[tuple[str, tuple[Change, ...]], ...] = ()
    wording_known: bool = True  # False: the tree the session was walked on is not on the search path
    drill: bool = False
    renamed_outcome: str | None = None  # the outcome reached then, by its id in the new version if renamed

    @property
    def other_outcome(self) -> bool:
        """The session would now end at another outcome, or at another severity, or nowhere."""
        then = self.renamed_outcome or self.outcome_then
        return (self.outcome_now, self.severity_now) != (then, self.severity_then)

    @property
    def same(self) -> bool:
        """Same path and same outcome (changed wording on the path does not count)."""
        return self.divergence is None and not self.other_outcome


# Replays never wait: a wait's due time is irrelevant to where the walk goes.
_REPLAY_NOW = datetime(2000, 1, 1, 12, 0, tzinfo=UTC)


def _command(step: Taken) -> Command:
    return FlagRaised(step.value) if step.how == "flag" else Answer(step.value)


def _apply(session: Session, step: Taken) -> str:
    """Where the step leads on this version (WalkError if the recorded answer does not fit here now)."""
    event = session.apply(_command(step), _REPLAY_NOW)[0]
    return event.goto if isinstance(event, RedFlagEvent) else event.next if isinstance(event, AnswerEvent) else ""


def _refused(session: Session, step: Taken) -> str:
    """Why a recorded answer no longer fits its node, in words."""
    node = session.node
    if step.how == "flag":
        return f"red flag [{step.value}] is no longer offered"
    if isinstance(node, QuestionNode):
        return f"option [{step.value}] is no longer offered"
    if isinstance(node, InputNode):
        return f"the answer {step.value} is now out of range ({node.min}-{node.max})"
    if isinstance(node, RecordNode) and session.field is not None:
        return f"the value recorded for '{session.field.id}' no longer fits the field"
    return f"the step is now a {node.kind} node, and the recorded answer does not fit it"


def _moved(step: Taken, now: str, protocol: Protocol) -> str:
    """Why a recorded answer now leads elsewhere, in words."""
    gone = "" if step.next in protocol.nodes else f"; {step.next} was removed"
    if step.how == "flag":
        what = f"red flag [{step.value}]"
    elif isinstance(protocol.nodes[step.node], QuestionNode):
        what = f"option [{step.value}]"
    else:
        what = "the step"
    return f"{what} now leads to {now} (was {step.next}{gone})"


def _rewalk(protocol: Protocol, steps: Sequence[Taken], kit_logged: dict[str, str]) \
        -> tuple[Session, Divergence | None, str | None]:
    """Feed the steps through the engine: the session at the end, the first divergence, and why the
    walk after it stops short of an outcome (None when it reaches one, or when nothing diverged). Kit
    conditions read the kit as the session's log recorded it (`kit_logged`)."""
    session = Session(protocol, kit_logged=kit_logged)
    session.begin(_REPLAY_NOW)  # a tree that starts with a decision routes it before the first answer
    for index, step in enumerate(steps):
        if session.current != step.node:  # only at the start: every later move is checked below
            moved = Divergence(session.current, f"the protocol now starts at {session.current} (was {step.node})",
                               step.node, session.current)
            return session, moved, _continue(session, steps[index:])
        try:
            now = _apply(session, step)
        except WalkError:
            refused = Divergence(step.node, _refused(session, step), step.next, None)
            return session, refused, f"the answer recorded at '{step.node}' no longer applies"
        if now != step.next:
            divergence = Divergence(step.node, _moved(step, now, protocol), step.next, now)
            return session, divergence, _continue(session, steps[index + 1:])
    return session, None, None


def _continue(session: Session, rest: Sequence[Taken]) -> str | None:
    """After a divergence: walk on, answering each node with the answer the session gave at that node
    (in order, for a node visited more than once). Returns why it stops, or None at an outcome."""
    answers: dict[str, deque[Taken]] = {}
    for step in rest:
        answers.setdefault(step.node, deque()).append(step)
    while not session.finished:
        waiting = answers.get(session.current)
        if not waiting:
            return f"would now ask at '{session.current}', which that session did not answer there"
        step = waiting.popleft()
        try:
            _apply(session, step)
        except WalkError:
            return f"the answer recorded at '{session.current}' no longer applies"
    return None


def replay_events(lines: Lines, protocol: Protocol, diff: ProtocolDiff | None,
                  log: str = "", drill: bool = False) -> Replayed:
    """Replay one session's events on `protocol`; `diff` is from the tree it was walked on (None: unknown)."""
    events = decode_all(lines)
    first = events[0] if events else None
    start = start_event(events)
    end = outcome_event(events)
    # Nodes renamed with the same content are the same step: the recorded path is read in the new ids.
    renames = diff.renames if diff is not None else {}
    steps = [Taken(renames.get(s.node, s.node), s.how, s.value, renames.get(s.next, s.next))
             for s in recorded_steps(events)]
    try:  # the engine's own replay: a session that walks the same way needs nothing more
        session, divergence, stopped = Session.replay(protocol, events), None, None
    except WalkError:
        session, divergence, stopped = _rewalk(protocol, steps, kit_readings(events))
    outcome = session.node if session.finished else None
    walked = list(dict.fromkeys([*(s.node for s in steps), *([steps[-1].next] if steps else [])]))
    changed: list[tuple[str, tuple[Change, ...]]] = []
    if diff is not None:
        changed = [(node, found) for node in walked if (found := node_changes(diff, node))]
    return Replayed(
        session=first.session if first else "", log=log, protocol=start.protocol,
        started=first.ts if first else "",
        version_then=start.version or "?", version_now=protocol.version,
        outcome_then=str(end.node) if end else None,
        severity_then=(end.severity or None) if end else None,
        outcome_now=session.current if outcome is not None else None,
        severity_now=str(outcome.severity) if isinstance(outcome, OutcomeNode) else None,
        divergence=divergence, stopped=stopped, changed=tuple(changed), wording_known=diff is not None,
        drill=drill or start.drill,
        renamed_outcome=renames.get(str(end.node)) if end else None)


@dataclass
class Versions:
    """The version replayed against, and each walked-on tree found by its sha256 (with its diff)."""

    against: Loaded
    dirs: Sequence[Path]
    today: date
    _diffs: dict[str, ProtocolDiff | None] = field(default_factory=dict)

    def diff_from(self, sha256: Any) -> ProtocolDiff | None:
        """The diff from the tree with this sha256 (a file on the search path) to the version replayed against."""
        if not isinstance(sha256, str):
            return None
        if sha256 not in self._diffs:
            path = _file_with_sha(sha256, self.dirs)
            try:
                walked = load_version(str(path), self.dirs, self.today)[0] if path is not None else None
            except ProtocolsError:  # valid when walked, refused by today's checks: its wording is unknown
                walked = None
            self._diffs[sha256] = diff_protocols(walked.protocol, self.against.protocol) if walked else None
        return self._diffs[sha256]


def _file_with_sha(sha256: str, dirs: Sequence[Path]) -> Path | None:
    for folder in dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name.endswith(PROTOCOL_SUFFIX) and path.is_file():
                try:
                    if hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
                        return path
                except OSError:
                    continue
    return None


def replay_log(path: Path, versions: Versions) -> Replayed:
    """Replay one session log on the version in `versions` (LogError for a log that is no session)."""
    events, _ = read_events(path)
    start = events[0].event if events else None
    if not isinstance(start, StartEvent):
        raise LogError(f"{path}: not a session log (it does not begin with a start event)")
    return replay_events(events, versions.against.protocol, versions.diff_from(start.sha256 or None), str(path),
                         drill=path.parent.name == DRILLS)


def session_logs(log_dir: Path, protocol_id: str, drills: bool) -> list[Path]:
    """Every session log of a protocol in the log folder (and its drills/ folder when asked), oldest first."""
    folders = [log_dir, drill_folder(log_dir)] if drills else [log_dir]
    found: list[Path] = []
    for folder in folders:
        for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
            if _protocol_of(path) == protocol_id:
                found.append(path)
    return found


def _protocol_of(path: Path) -> str | None:
    """The protocol id on a log's first line, read without checking the whole log."""
    try:
        with path.open("rb") as handle:
            first = json.loads(handle.readline())
    except (OSError, ValueError):
        return None
    start = decode(first).event if isinstance(first, dict) else None
    return start.protocol if isinstance(start, StartEvent) else None


def replay_all(log_dir: Path, versions: Versions, drills: bool) -> tuple[list[Replayed], list[str]]:
    """Every session of the protocol in the log folder, replayed, oldest first; and why each unreadable log was
    skipped."""
    results: list[Replayed] = []
    skipped: list[str] = []
    for path in session_logs(log_dir, versions.against.protocol.id, drills):
        try:
            results.append(replay_log(path, versions))
        except ProtocolsError as exc:
            skipped.append(exc.message)
    return sorted(results, key=lambda r: (r.started, r.session)), skipped
