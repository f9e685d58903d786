"""The chairside walk as a use case: start or resume a session, walk it, record its end.

The walker drives the engine and the journal and talks to a face (faces/plain.py, faces/terminal.py),
all on ONE clock given by the caller (the CLI's real clock, or a drill's simulated one). It imports
neither rich nor typer. Public API:

    start_walk(loaded, log_dir, *, face, clock=local_now, patient=None, practitioner=None, drill=False,
               witness=None)
    resume_walk(session_ref, log_dir, dirs, *, face, clock=local_now, force=False, today=None, witness=None)
    interrupted_sessions(log_dir)

Both walks return an `Outcome`; interruptions are results, not exceptions. The clock is handed to the
engine (every command's `now`), the journal (every line's `ts`) and the face (`Face.intro`: the elapsed
time and a wait's countdown). Every event is synced before the next prompt; Ctrl-C and SIGTERM are
honoured only between log writes.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import field
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Protocol, TypeVar

from aesthetic_protocols import __version__
from aesthetic_protocols.engine import (
    Answer,
    Command,
    DoneAt,
    Invalid,
    Note,
    PhotoOffered,
    Quit,
    Reading,
    Session,
    WalkError,
)
from aesthetic_protocols.errors import LogError, ProtocolsError, UsageError
from aesthetic_protocols.events import (
    AbandonedEvent,
    Logged,
    ProtocolChangedEvent,
    ResumedEvent,
    StartEvent,
    TornTailEvent,
)
from aesthetic_protocols.journal import (
    LOG_DIR_ENV,
    Journal,
    SessionExists,
    find_log,
    new_session_id,
    read_events,
    resolve_log_dir,
    short_id,
    witness_contradicts,
)
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.recorded import outcome_written, walk_over

if TYPE_CHECKING:
    from aesthetic_protocols.clinic import LoadedClinic
    from aesthetic_protocols.handover import Handover, HandoverReading
    from aesthetic_protocols.sessions import OpenSession, interrupted_sessions
    from aesthetic_protocols.source import Loaded
    from aesthetic_protocols.tree import Protocol as Tree

__all__ = ["OpenSession", "interrupted_sessions", "resume_walk", "start_walk"]


def __getattr__(name: str) -> object:
    """`OpenSession` and `interrupted_sessions` from `sessions`, loaded on first use (PEP 562): a new walk
    never lists the open sessions."""
    if name in ("OpenSession", "interrupted_sessions"):
        from aesthetic_protocols import sessions

        return getattr(sessions, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

Clock = Callable[[], datetime]
"""The one clock of a walk: returns the practitioner's local time, timezone-aware."""


def local_now() -> datetime:
    """The real wall clock, timezone-aware (the journal stores UTC)."""
    return datetime.now().astimezone()


class Stop(Exception):
    """Ctrl-C, SIGTERM or end of input while waiting for an answer: end as interrupted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Face(Protocol):
    """What the walk needs from a face: show the current step, read a command, keep a message in view."""

    name: str  # recorded in the start event: "plain" or "terminal"

    def intro(self, session: Session, session_id: str, started: datetime, resumed: bool,
              clock: Clock | None = None) -> None: ...
    def active(self) -> AbstractContextManager[None]: ...
    def show(self, session: Session, now: datetime) -> None: ...
    def read(self, session: Session, now: datetime) -> Reading: ...
    def say(self, message: str) -> None: ...
    def finish(self, session: Session, events: list[Logged], log: str, resume_ref: str) -> None: ...
    # The handover screen (see handover_loop): after an outcome with `until_handover`.
    def show_handover(self, state: Handover, now: datetime) -> None: ...
    def read_handover(self, state: Handover, now: datetime) -> HandoverReading: ...


@dataclass(frozen=True)
class WalkResult:
    """How a walk ended: at an outcome (its node id), or interrupted and why."""

    outcome: str | None
    reason: str | None = None

    @property
    def finished(self) -> bool:
        """Whether the walk reached an outcome."""
        return self.outcome is not None


class _Signals:
    """SIGINT/SIGTERM raise `Stop` only while waiting for input, never in the middle of a log write."""

    def __init__(self) -> None:
        self.reading = False
        self.pending: str | None = None

    def handler(self, signum: int, frame: FrameType | None) -> None:
        self.pending = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
        if self.reading:
            raise Stop(self.pending)

    @contextmanager
    def installed(self) -> Iterator[None]:
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        for sig in previous:
            signal.signal(sig, self.handler)
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    @contextmanager
    def reading_input(self) -> Iterator[None]:
        if self.pending:
            raise Stop(self.pending)
        self.reading = True
        try:
            yield
        finally:
            self.reading = False


def walk(session: Session, journal: Journal, face: Face, clock: Clock = local_now,
         recorded: list[Logged] | None = None, signals: _Signals | None = None,
         photos: Path | None = None) -> WalkResult:
    """Run the walk to an outcome or an interruption; every event is synced before the next prompt.

    `signals` are installed by a caller that wants Ctrl-C and SIGTERM honoured from before the log exists;
    `photos` is the folder a camera or phone syncs to (Enter at a photo field takes its newest image).
    """
    recorded = [] if recorded is None else recorded

    def record(command: Command) -> None:
        for event in session.apply(command, clock()):
            recorded.append(journal.record(event))  # NotRecorded propagates: the walk stops

    own = signals is None
    signals = signals or _Signals()
    with signals.installed() if own else nullcontext():
        try:
            desk = _PhotoDesk(journal.path, photos)
            result = _step_loop(session, face, clock, record, signals, desk)
            while session.open_outcome and not session.interrupted:  # an emergency goes on until handover
                from aesthetic_protocols.handover_loop import handover_loop

                handover_loop(session, journal, face, clock, recorded, lambda show, read: guarded(signals, show, read))
                result = (_step_loop(session, face, clock, record, signals, desk) if not session.finished
                          else WalkResult(None, session.interruption) if session.interrupted
                          else WalkResult(session.current))
            return result
        except ProtocolsError:
            raise  # the log itself failed: nothing more can be recorded
        except Exception:
            # A bug must not leave the session looking open: record where it stopped, then let the CLI say so.
            if (not session.finished or session.open_outcome) and not session.interrupted:
                record(Quit("internal error"))
            raise


def _step_loop(session: Session, face: Face, clock: Clock, record: Callable[[Command], None],
               signals: _Signals, desk: _PhotoDesk | None = None) -> WalkResult:
    while not session.finished:
        now = clock()
        if desk is not None:
            desk.at(session)

        def take_photo(reading: Reading) -> Reading:
            if isinstance(reading, PhotoOffered):  # taken outside the input read: a signal waits for the copy
                return desk.take(reading, session, face) if desk is not None else Invalid("no photographs here")
            return reading

        reading = guarded(signals, partial(face.show, session, now), partial(face.read, session, now), take_photo)
        if isinstance(reading, Invalid):
            face.say(reading.reason)
            continue
        try:
            record(reading)
        except WalkError as exc:
            face.say(str(exc))
            continue
        if isinstance(reading, DoneAt) and session.pending_at is not None:
            face.say(f"time noted: this step was done at {_day_and_time(session.pending_at, now)}")
        elif isinstance(reading, Note):
            face.say("note recorded")
        if not session.interrupted and not session.finished and signals.pending:
            # A signal arrived while recording: honoured now the log is whole. A walk that has just reached
            # its outcome is complete; nothing may follow the outcome in its log.
            record(Quit(signals.pending))
        if session.interrupted:
            return WalkResult(None, session.interruption)
    return WalkResult(session.current)


class _PhotoDesk:
    """Takes the photographs of `photo` fields: the file named (or the newest in the photos folder since the
    step began) is read, checked and copied into the evidence folder before its answer is recorded."""

    def __init__(self, log: Path, photos: Path | None) -> None:
        self.log = log
        self.photos = photos
        self.step: tuple[str, int] | None = None
        self.began = time.time()  # files' times are the real clock's, whatever the walk's clock is

    def at(self, session: Session) -> None:
        """Note when the current step began (a new node, or the next field of a record)."""
        step = (session.current, len(session.trail))
        if step != self.step:
            self.step, self.began = step, time.time()

    def take(self, offered: PhotoOffered, session: Session, face: Face) -> Reading:
        from aesthetic_protocols import photo

        record_field = session.field
        required = record_field is not None and record_field.required
        path = photo.typed_path(offered.value)
        from_folder = path is None
        if path is None:
            path = photo.newest_since(self.photos, self.began) if self.photos is not None else None
            if path is None:
                if not required:
                    return Answer("")  # an optional photograph skipped
                none_new = " (none new in the photos folder since this step began)" if self.photos else ""
                return Invalid(f"a photograph is required: paste or drag its file{none_new}")
        try:
            taken = photo.read(path)
        except photo.PhotoRefused as exc:
            return Invalid(f"photograph not taken: {exc}")
        name = photo.store(taken, self.log)  # synced before the answer that names it is written
        captured = f", taken {taken.captured.replace('T', ' ')}" if taken.captured else ", no capture time"
        shown = path.name if from_folder and path.name.isprintable() and len(path.name) <= 80 else "the file"
        face.say(f"photograph: {shown}, {photo.size_words(len(taken.data))}{captured}")
        return Answer(name, photo=taken.facts())


R = TypeVar("R")


def guarded(signals: _Signals, show: Callable[[], None], read: Callable[[], R],
            then: Callable[[R], R] | None = None) -> R | Quit:
    """Show a prompt and read its answer (then `then` it, once the input is read: a photograph is copied
    with signals held); Ctrl-C, SIGTERM, end of input or a closed output read as Quit."""
    try:
        show()
        with signals.reading_input():
            reading = read()
        return then(reading) if then is not None else reading
    except (Stop, EOFError, KeyboardInterrupt, BrokenPipeError) as exc:
        return Quit(exc.reason if isinstance(exc, Stop) else "end of input" if isinstance(exc, EOFError)
                    else "output closed" if isinstance(exc, BrokenPipeError) else "Ctrl-C")


def _day_and_time(moment: datetime, now: datetime) -> str:
    """`HH:MM`, with the date when it is not today's: `23:59 on 2026-11-26 (yesterday)`."""
    if moment.date() == now.date():
        return f"{moment:%H:%M}"
    yesterday = " (yesterday)" if moment.date() == now.date() - timedelta(days=1) else ""
    return f"{moment:%H:%M} on {moment:%Y-%m-%d}{yesterday}"


# --- starting and resuming a walk ------------------------------------------------------------------

_PATIENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_ID_TRIES = 5  # a new session id colliding with an existing log: try fresh ids this many times


def check_patient_ref(ref: str | None) -> None:
    """A pseudonymous reference only (a record number), never a name; the error never echoes it."""
    if ref is not None and not _PATIENT_RE.match(ref):
        raise UsageError("--patient takes a pseudonymous reference (letters, digits, '.', '_', '-', no spaces, "
                         "at most 40), never a name")


@dataclass
class Outcome:
    """A finished or interrupted walk, its session id, its log, and the lines written (or read, on resume)."""

    result: WalkResult
    session_id: str
    log: Path
    events: list[Logged] = field(default_factory=list)

    @property
    def resume_ref(self) -> str:
        """What to give `protocol resume`: the short id when the log is in the usual folder, else its path."""
        if LOG_DIR_ENV not in os.environ and "platformdirs" not in sys.modules:
            # The platform's default folder was never looked up in this run, so the log is not in it; looking
            # it up now would only cost start-up time (a walk with --log-dir never needs it).
            return str(self.log)
        try:
            usual = resolve_log_dir(None)
        except ProtocolsError:
            usual = None
        if usual is None or self.log.parent.resolve() != usual.resolve():
            return str(self.log)
        short = short_id(self.session_id)
        # The short id the screen shows, unless another log in the folder ends the same way.
        others = [p for p in self.log.parent.glob(f"*-{short}.jsonl") if p.stem != self.session_id]
        return self.session_id if others else short


def start_walk(loaded: Loaded, log_dir: Path, *, face: Face, clock: Clock = local_now, patient: str | None = None,
               practitioner: str | None = None, drill: bool = False, witness: Path | None = None,
               clinic: LoadedClinic | None = None, photos: Path | None = None) -> Outcome:
    """Create the session log, record the start, walk, close the log (anchor written), show the end.

    `clock` is the walk's one clock (engine, journal and face all read it); `drill` marks a training walk;
    `witness` is the file the close appends `session head` to (`journal.witness_file()`), if any; `clinic` the
    clinic file whose contacts the screens show (its sha256 goes into the start event).
    """
    check_patient_ref(patient)
    signals = _Signals()
    with signals.installed():  # from before the log exists: a Ctrl-C now is recorded at the first prompt
        protocol = loaded.protocol
        journal = _new_journal(log_dir, protocol.id, clock)
        journal.witness = witness
        session = Session(with_clinic(protocol, clinic), kit=clinic.clinic if clinic is not None else None)
        start = StartEvent(protocol.start, protocol=protocol.id, version=protocol.version,
                           sha256=loaded.source.sha256, status=str(protocol.status), title=protocol.title,
                           tool=__version__, face=face.name, patient=patient, practitioner=practitioner,
                           drill=drill, clinic_sha256=clinic.sha256 if clinic is not None else None)
        try:
            recorded = [journal.record(start)]
            recorded += [journal.record(event) for event in session.begin(clock())]
        except BaseException:
            journal.close()
            raise
        started = recorded[0].moment or clock()
        return _walk_to_end(session, journal, face, clock, recorded, signals, journal.session_id, started,
                            resumed=False, photos=photos)


def with_clinic(protocol: Tree, clinic: LoadedClinic | None) -> Tree:
    """The protocol whose contacts say the clinic's label and phone where the clinic file has them."""
    if clinic is None or not protocol.contacts:
        return protocol
    from aesthetic_protocols.clinic import with_contacts

    return with_contacts(protocol, clinic.clinic)


def _new_journal(log_dir: Path, protocol_id: str, clock: Clock) -> Journal:
    """A new, locked session log; a session id that already names a log is replaced by a fresh one."""
    for attempt in range(_ID_TRIES):
        try:
            return Journal.create(log_dir, new_session_id(protocol_id, clock()), clock)
        except SessionExists:
            if attempt == _ID_TRIES - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _walk_to_end(session: Session, journal: Journal, face: Face, clock: Clock, recorded: list[Logged],
                 signals: _Signals, session_id: str, started: datetime, resumed: bool,
                 photos: Path | None = None) -> Outcome:
    """What starting and resuming share: walk, close the log, show the end screen.

    A failed close (the anchor not written) is raised only after the end screen: the outcome's instructions
    are what the practitioner needs first.
    """
    failure: ProtocolsError | None = None
    face.intro(session, session_id, started, resumed, clock)  # the face's clock is the walk's clock
    with face.active():
        try:
            result = walk(session, journal, face, clock, recorded, signals, photos)
        except BaseException:
            with suppress(ProtocolsError):  # the walk's own error is the one to report
                journal.close()
            raise
        try:
            journal.close()
        except ProtocolsError as exc:
            failure = exc
        outcome = Outcome(result, session_id, journal.path, recorded)
        signals.reading = True  # Ctrl-C at the end screen only leaves it: everything is recorded
        try:
            face.finish(session, recorded, str(journal.path), outcome.resume_ref)
        except (Stop, EOFError, KeyboardInterrupt):
            pass
        finally:
            signals.reading = False
    if failure is not None:
        raise failure
    return outcome


def resume_walk(session_ref: str, log_dir: Path, dirs: list[Path], *, face: Face, clock: Clock = local_now,
                force: bool = False, today: date | None = None, witness: Path | None = None,
                clinic: LoadedClinic | None = None, photos: Path | None = None) -> Outcome:
    """Replay a session's log through the engine and continue it, appending to the same log.

    Everything is checked on a read-only reading first (a session log, not ended, its protocol found and
    unchanged or `force`, the answers replaying on it); only then is the log reopened for writing, and
    only then is a torn last line set aside. A log whose answers already reach an outcome (a crash before
    the outcome was written) gets its outcome recorded now.
    """
    from aesthetic_protocols.cache import load_valid
    from aesthetic_protocols.search import resolve_id

    path = find_log(session_ref, log_dir)
    if not path.exists():
        raise UsageError(f"no session log at {path}")
    events, _ = read_events(path)
    first = events[0] if events else None
    if first is None or not isinstance(first.event, StartEvent):
        raise LogError(f"{path}: not a session log (it does not begin with a start event)")
    start = first.event
    if walk_over(events):
        abandoned = any(isinstance(logged.event, AbandonedEvent) for logged in events)
        raise UsageError(f"{path}: this session was abandoned; nothing to resume" if abandoned else
                         f"{path}: this session already reached its outcome; nothing to resume")
    if witness is not None and (contradiction := witness_contradicts(path, events, witness)) is not None:
        raise LogError(f"{path}: not resumed: {contradiction}; the witness saw this session further on "
                       "(ended or rewritten), so it cannot be walked again")
    loaded, _ = load_valid(resolve_id(start.protocol, dirs).path, today or clock().date())
    changed = loaded.source.sha256 != start.sha256
    if changed and not force:
        raise LogError(f"{path}: the protocol file changed since this session began (sha256 differs); "
                       "resume with --force to continue under the new version (recorded in the log)")
    try:
        session = Session.replay(with_clinic(loaded.protocol, clinic), events,
                                 kit=clinic.clinic if clinic is not None else None)
    except WalkError as exc:
        raise LogError(f"{path}: the log does not replay on this protocol ({exc})") from None
    signals = _Signals()
    with signals.installed():
        journal, recorded, torn = Journal.reopen(path, clock, expect_head=events[-1].hash)
        journal.witness = witness
        try:
            if torn is not None:
                recorded.append(journal.record(TornTailEvent(None, bytes=len(torn),
                                                             sha256=hashlib.sha256(torn).hexdigest())))
            if changed:
                recorded.append(journal.record(ProtocolChangedEvent(
                    None, old_version=start.version or None, old_sha256=start.sha256 or None,
                    version=loaded.protocol.version, sha256=loaded.source.sha256)))
            recorded.append(journal.record(ResumedEvent(session.current, tool=__version__)))
            if session.finished and not outcome_written(events, session.current):
                # the last answer reached the outcome, but its event was never written
                recorded.append(journal.record(session.outcome_event()))
        except BaseException:
            journal.close()
            raise
        started = first.moment or clock()
        return _walk_to_end(session, journal, face, clock, recorded, signals, first.session,
                            started.astimezone(), resumed=True, photos=photos)
