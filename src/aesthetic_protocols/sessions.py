"""The sessions in a log folder that can be resumed, and closing one for good (`protocol abandon`).

Each is listed by what a person recognises: the patient reference, the protocol, the title of the step it
stands at (after any Back), when it began, and whether a walker holds it open elsewhere now.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aesthetic_protocols.errors import LogError, ProtocolsError, UsageError
from aesthetic_protocols.events import (
    ABANDONED,
    ANSWER,
    OUTCOME,
    RED_FLAG,
    START,
    AbandonedEvent,
    TornTailEvent,
)
from aesthetic_protocols.journal import Journal, find_log, lock_held, read_events, utc_now
from aesthetic_protocols.recorded import standing

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


def standing_node(events: list[dict[str, object]]) -> str:
    """The node a log's walk stands at: where the last step that stands led (backs undone), else the start."""
    steps = standing(events)
    if steps:
        last = steps[-1]
        return str(last.get("goto") if last.get("event") == RED_FLAG else last.get("next"))
    return str(events[0].get("node")) if events else ""


def _title(events: list[dict[str, object]], protocol: str, node: str, title_of: TitleOf | None) -> str | None:
    """The step's title as the log recorded it when it was answered there, else from the protocol."""
    for event in reversed(events):
        if event.get("event") == ANSWER and event.get("node") == node and isinstance(event.get("title"), str):
            return str(event["title"])
    return title_of(protocol, node) if title_of is not None else None


def interrupted_sessions(log_dir: Path, title_of: TitleOf | None = None) -> list[OpenSession]:
    """The sessions in `log_dir` that can be resumed (no outcome, not abandoned), newest first."""
    found = []
    for path in log_dir.glob("*.jsonl") if log_dir.is_dir() else []:
        try:
            events, _ = read_events(path)
        except ProtocolsError:
            continue
        if not events or events[0].get("event") != START:
            continue
        if any(e.get("event") in (OUTCOME, ABANDONED) for e in events):
            continue
        first = events[0]
        protocol, node = str(first.get("protocol")), standing_node(events)
        patient = first.get("patient")
        found.append(OpenSession(str(first.get("session")), str(first.get("ts")), protocol, node, path,
                                 patient if isinstance(patient, str) else None,
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
    if not events or events[0].get("event") != START:
        raise LogError(f"{path}: not a session log (it does not begin with a start event)")
    if any(event.get("event") == OUTCOME for event in events):
        raise UsageError(f"{path}: this session reached its outcome; there is nothing to abandon")
    if any(event.get("event") == ABANDONED for event in events):
        raise UsageError(f"{path}: this session was already abandoned")
    journal, _, torn = Journal.reopen(path, clock, expect_head=str(events[-1].get("hash")))
    with journal:
        if torn is not None:
            journal.record(TornTailEvent(None, bytes=len(torn), sha256=hashlib.sha256(torn).hexdigest()))
        journal.record(AbandonedEvent(standing_node(events), reason=reason))
    return path
