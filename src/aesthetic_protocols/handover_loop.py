"""The walker's handover loop: after an outcome with `until_handover`, log, time and hand over.

Runs until the patient is handed over (`h`), the walk is interrupted, or a red flag leads the walk to a
step that is not an open outcome (the walker then walks on, and comes back here at the next open outcome).
Every event is synced before the next prompt and fed back into the state from the line the journal wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Protocol

from aesthetic_protocols.engine import DoneAt, Invalid, Note, Quit, Session, WalkError
from aesthetic_protocols.handover import Handover, HandoverReading, LogIt

if TYPE_CHECKING:
    from aesthetic_protocols.events import Logged
    from aesthetic_protocols.journal import Journal

Guard = Callable[[Callable[[], None], Callable[[], HandoverReading]], HandoverReading | Quit]


class HandoverFace(Protocol):
    """What the loop needs from a face: draw the handover screen, read one key or line, say a message."""

    def show_handover(self, state: Handover, now: datetime) -> None: ...
    def read_handover(self, state: Handover, now: datetime) -> HandoverReading: ...
    def say(self, message: str) -> None: ...


def handover_loop(session: Session, journal: Journal, face: HandoverFace, clock: Callable[[], datetime],
                  recorded: list[Logged], guard: Guard) -> None:
    """Run the handover screen; return when handed over, interrupted, or the walk left the open outcome."""
    state = Handover.replay(session, recorded)
    while state.open:
        now = clock()
        reading = guard(partial(face.show_handover, state, now), partial(face.read_handover, state, now))
        if isinstance(reading, Invalid):
            face.say(reading.reason)
            continue
        try:
            events = state.apply(reading, clock())
        except WalkError as exc:
            face.say(str(exc))
            continue
        for event in events:
            line = journal.record(event)  # NotRecorded propagates: the walk stops
            recorded.append(line)
            state.observe(line)
        if isinstance(reading, LogIt) and events:
            face.say(f"logged at {_local(state.entries[-1].at, now)}: {state.entries[-1].label}")
        elif isinstance(reading, DoneAt) and session.pending_at is not None:
            face.say(f"time noted: the next entry is logged at {_local(session.pending_at, now)}")
        elif isinstance(reading, Note):
            face.say("note recorded")
        elif events and events[0].kind == "logged":
            face.say("log entry withdrawn (kept in the log, struck through in the record)")


def _local(moment: datetime, now: datetime) -> str:
    return f"{moment.astimezone(now.tzinfo):%H:%M}"
