"""The sessions in a log folder that can be resumed, and closing one for good (`protocol abandon`).

Each is listed by what a person recognises: the patient reference, the protocol, the title of the step it
stands at (after any Back), when it began, and whether a walker holds it open elsewhere now.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from aesthetic_protocols.errors import LogError, ProtocolsError, UsageError
from aesthetic_protocols.events import (
    AbandonedEvent,
    AnswerEvent,
    Logged,
    OutcomeEvent,
    RedFlagEvent,
    StartEvent,
    TornTailEvent,
)
from aesthetic_protocols.journal import Journal, find_log, lock_held, read_events, utc_now
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.recorded import standing, walk_over

TitleOf = Callable[[str, str], str | None]
"""(protocol id, node id) -> the step's title, when the protocol can be found."""


@dataclass(frozen=True)
class OpenSession:
    """A session that has not reached its outcome: what `protocol resume` without an id offers."""

    session_id: str
    started: str  # UTC ISO, as logged
    protocol: str
    node: str  # where it stands now (after any Back)
    path: Path
    patient: str | None = None
    title: str | None = None  # the title of the step it stands at
    open_elsewhere: bool = False  # a walker holds its lock now


def standing_node(events: list[Logged]) -> str:
    """The node a log's walk stands at: where the last step that stands led (backs undone), else the start."""
    steps = standing(events)
    if steps:
        last = steps[-1].event
        if isinstance(last, RedFlagEvent):
            return last.goto
        if isinstance(last, AnswerEvent):
            return last.next
    return str(events[0].event.node) if events else ""


def _title(events: list[Logged], protocol: str, node: str, title_of: TitleOf | None) -> str | None:
    """The step's title as the log recorded it when it was answered there, else from the protocol."""
    for logged in reversed(events):
        event = logged.event
        if isinstance(event, AnswerEvent) and event.node == node and event.title:
            return event.title
    return title_of(protocol, node) if title_of is not None else None


def interrupted_sessions(log_dir: Path, title_of: TitleOf | None = None) -> list[OpenSession]:
    """The sessions in `log_dir` that can be resumed (not over for good: no final outcome, no handover, not
    abandoned), newest first."""
    found = []
    for path in log_dir.glob("*.jsonl") if log_dir.is_dir() else []:
        try:
            events, _ = read_events(path)
        except ProtocolsError:
            continue
        start = events[0].event if events else None
        if not isinstance(start, StartEvent) or walk_over(events):
            continue
        protocol, node = start.protocol, standing_node(events)
        found.append(OpenSession(events[0].session, events[0].ts, protocol, node, path, start.patient or None,
                                 _title(events, protocol, node, title_of), lock_held(path)))
    return sorted(found, key=lambda s: s.started, reverse=True)


def abandon_session(session_ref: str, log_dir: Path, reason: str = "",
                    clock: Callable[[], datetime] = utc_now) -> Path:
    """Record `abandoned` (with the reason) in an interrupted session's log and close it: it is over, without
    an outcome, and no longer offered for resuming. The log stays verifiable (the event is chained and the
    close anchor written). LogError when a walker holds it open; UsageError when it already ended."""
    path = find_log(session_ref, log_dir)
    if not path.exists():
        raise UsageError("no session log matches that id")
    events, _ = read_events(path)
    if not events or not isinstance(events[0].event, StartEvent):
        raise LogError(f"{path}: not a session log (it does not begin with a start event)")
    if any(isinstance(logged.event, AbandonedEvent) for logged in events):
        raise UsageError(f"{path}: this session was already abandoned")
    if walk_over(events):
        what = ("reached its outcome" if any(isinstance(logged.event, OutcomeEvent) for logged in events)
                else "ended")
        raise UsageError(f"{path}: this session {what}; there is nothing to abandon")
    journal, _, torn = Journal.reopen(path, clock, expect_head=events[-1].hash)
    with journal:
        if torn is not None:
            journal.record(TornTailEvent(None, bytes=len(torn), sha256=hashlib.sha256(torn).hexdigest()))
        journal.record(AbandonedEvent(standing_node(events), reason=reason))
    return path
