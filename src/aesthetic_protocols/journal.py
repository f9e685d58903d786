"""Append-only, hash-chained JSONL session log: one event per line, synced before `append` returns.

Each line is the canonical JSON of one event: `seq` (0, 1, ...), `ts` (UTC), `session`, `event`, `prev`
(hash of the previous line or null), the caller's fields, and `hash` (sha256 of the canonical JSON of
the line without `hash`). The chain finds edits, deletions and reordering; the newest lines cut off
the end, and lines added after a close, are found by the close anchor `<session>.head` written beside the
log (marked open while a resumed walk appends). A head hash kept outside the log folder (`verify(head=)`,
or the witness file each close appends to: see `witness`) finds what rewriting the anchor too would hide.

The journal knows one thing of what events mean: an `outcome` ends a walk, so nothing may follow it. It
never imports the UI.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import json
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

# The platform layer (sync, lock, O_NOFOLLOW, private folders) is shared with the cache; its names are
# imported here so that the journal's code and tests keep using them as before.
from aesthetic_protocols.durable import (  # noqa: F401 - is_private is re-exported
    _LOCK_HELD,
    _O_BINARY,
    _O_NONBLOCK,
    _chmod_fd,
    _describe,
    _lock,
    _open,
    _read_fd,
    _sync,
    _sync_dir,
    _unlock,
    _write_all,
    _write_new_file,
    is_private,
    make_private_folder,
)
from aesthetic_protocols.errors import EXIT_USAGE, LogError, NotRecorded, UsageError
from aesthetic_protocols.events import Event, Logged, StartEvent, decode
from aesthetic_protocols.events import parse_ts as parse_ts  # the log's time vocabulary, once read from here
from aesthetic_protocols.plain_data import dataclass

REQUIRED_FIELDS = ("seq", "ts", "session", "event", "prev", "hash")
LOG_DIR_ENV = "AESTHETIC_PROTOCOLS_LOG_DIR"
WITNESS_ENV = "AESTHETIC_PROTOCOLS_WITNESS"  # the witness file each close appends to (see `witness`)


def witness_file(option: Path | str | None = None) -> Path | None:
    """The witness file: `option`, else $AESTHETIC_PROTOCOLS_WITNESS; None when neither is set (or empty).

    Here rather than in `witness`, so that a walk with no witness never imports that module."""
    chosen = os.fspath(option) if option is not None else os.environ.get(WITNESS_ENV, "")
    return Path(chosen) if chosen else None
_SESSION_ID = re.compile(r"[A-Za-z0-9-]{1,200}")  # room left for ".torn-<stamp>" within 255 bytes


class SessionExists(LogError):
    """A new session's log already exists (an id collision): the caller may try a fresh id."""


class InvalidSessionId(LogError, UsageError):
    """A session id that is not `[A-Za-z0-9-]+` (it could name a path): a usage error, exit 2."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class Verification:
    """The result of checking a log: `reason` is one line and never quotes field values."""

    ok: bool
    count: int  # valid events read
    first_bad_line: int | None  # 1-based; the line after the last one for a truncated end
    reason: str | None
    warnings: tuple[str, ...] = ()  # e.g. the clock went backwards: worth a look, not an alteration
    note: str | None = None  # e.g. not closed: lines may still follow


# --- Names and encoding. ----------------------------------------------------------------------------


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive time is ambiguous (local? UTC?); a clinical record must not guess.
        raise ValueError("the clock must return a timezone-aware datetime")
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return _utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _stamp(moment: datetime) -> str:
    return _utc(moment).strftime("%Y%m%dT%H%M%SZ")


def _random_hex(count: int) -> str:
    """`count` random bytes from the OS, as hex: what secrets.token_hex does, without importing secrets
    (and with it hmac, random and base64) at every start."""
    return os.urandom(count).hex()


def new_session_id(protocol_id: str, now: datetime) -> str:
    """A new session id: `<UTC stamp>-<protocol slug>-<4 random hex>`, safe as a file name."""
    slug = re.sub(r"[^a-z0-9-]+", "-", protocol_id.lower()).strip("-")[:100] or "session"
    return f"{_stamp(now)}-{slug}-{_random_hex(2)}"


def default_log_dir() -> Path:
    """The platform's per-user folder for session logs."""
    import platformdirs  # only when no log folder is given: off the start-up path of a configured clinic

    return Path(platformdirs.user_data_dir("aesthetic-protocols", appauthor=False)) / "sessions"


def resolve_log_dir(option: Path | str | None) -> Path:
    """The log folder: `option`, else $AESTHETIC_PROTOCOLS_LOG_DIR, else `default_log_dir()`.

    UsageError for an empty value or an existing path that is not a folder. A missing folder is fine:
    `Journal.create` makes it. (Pass `--log-dir` as text: `Path("")` is already `.`.)
    """
    if option is not None:
        chosen = os.fspath(option)
    elif (env := os.environ.get(LOG_DIR_ENV)) is not None:
        chosen = env
    else:
        return _must_be_folder(default_log_dir())
    if not chosen:
        # Empty is a slip (an unset shell variable in `--log-dir=$DIR`), not a wish for the current folder.
        where = "" if option is not None else f" ({LOG_DIR_ENV} is set but empty)"
        raise UsageError(f"--log-dir needs a folder{where}")
    return _must_be_folder(Path(chosen))


def _must_be_folder(path: Path) -> Path:
    try:
        st = path.stat()
    except (OSError, ValueError):
        return path  # missing (create makes it), or unreachable (create then says why)
    if not stat.S_ISDIR(st.st_mode):
        raise UsageError(f"the log folder {path} is not a folder")
    return path


def log_path(log_dir: Path, session_id: str) -> Path:
    """`log_dir/<session_id>.jsonl`; an id that could name another path is refused."""
    if not _SESSION_ID.fullmatch(session_id):
        raise InvalidSessionId("a session id is letters, digits and '-' only (at most 200)")
    return log_dir / f"{session_id}.jsonl"


def _is_path(session_ref: str) -> bool:
    return session_ref.endswith(".jsonl") or os.sep in session_ref or "/" in session_ref


def find_log(session_ref: str, log_dir: Path) -> Path:
    """The log of a session: a path (ends in .jsonl or holds a slash), a session id, a unique start of an
    id, or the short id the walker shows (`short_id`). UsageError when several sessions match; when none
    does, the path the id would have (the caller says it is missing)."""
    if _is_path(session_ref):
        return Path(session_ref)
    path = log_path(log_dir, session_ref)
    if path.exists() or not log_dir.is_dir():
        return path
    matches = sorted(p.stem for p in log_dir.glob("*.jsonl")
                     if p.stem.startswith(session_ref) or short_id(p.stem) == session_ref)
    if len(matches) > 1:
        shown = ", ".join(matches[:5]) + (" ..." if len(matches) > 5 else "")
        raise UsageError(f"{len(matches)} sessions match that id: {shown}; give more of it")
    return log_dir / f"{matches[0]}.jsonl" if matches else path


DRILLS = "drills"  # drill logs live in LOG_DIR/drills/, apart from clinical sessions


def drill_folder(log_dir: Path) -> Path:
    """Where drill logs live: apart from clinical sessions, never listed with them unless asked."""
    return log_dir / DRILLS


def existing_log(session_ref: str, log_dir: Path) -> Path:
    """The log of an existing session, found as `find_log` finds it in the log folder, else in its drills
    folder (a relative path is tried as given, then from the log folder). UsageError naming the folder
    when none matches: never what was typed, which may be a patient reference typed by mistake."""
    if _is_path(session_ref):
        found = next((p for p in (Path(session_ref), log_dir / session_ref) if p.is_file()), None)
        if found is None:
            raise UsageError("no session log at the path given")
        return found
    for folder in (log_dir, drill_folder(log_dir)):
        path = find_log(session_ref, folder)
        if path.is_file():
            return path
    raise UsageError(f"no session log matches that id in {log_dir} (nor in {drill_folder(log_dir)})")


@dataclass(frozen=True)
class Listed:
    """One session log in a log folder: its readable events and whether its chain is intact."""

    path: Path
    events: list[Logged]
    intact: bool
    drill: bool  # a drill's log (in the drills folder, or marked so in its start event)


def _log_names(folder: Path) -> list[str]:
    # Not glob: it says nothing of a folder it cannot read, and "no session logs" would then be untrue.
    try:
        return sorted(name for name in os.listdir(folder) if name.endswith(".jsonl")) if folder.is_dir() else []
    except OSError as exc:
        raise LogError(f"cannot read the log folder {folder}: {exc.strerror or exc}") from exc


def sessions(log_dir: Path, drills: bool = False) -> list[Listed]:
    """The session logs in the log folder (and its drills folder when asked) that hold any readable event,
    each read and checked. LogError when a folder exists but cannot be read."""
    found = []
    for folder in [log_dir, drill_folder(log_dir)] if drills else [log_dir]:
        for name in _log_names(folder):
            events, verification = read_events(folder / name)
            if events:
                found.append(Listed(folder / name, events, verification.ok,
                                    folder != log_dir or _drill(events[0])))
    return found


def _drill(first: Logged) -> bool:
    return isinstance(first.event, StartEvent) and first.event.drill


def drill_count(log_dir: Path) -> int:
    """How many drill logs the drills folder holds (not read: `log list` only says they are there)."""
    return len(_log_names(drill_folder(log_dir)))


def lock_held(path: Path) -> bool:
    """Whether a walker holds the log open now (its lock is taken): "open elsewhere". Never waits."""
    try:
        fd = _open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        _lock(fd)
    except OSError as exc:
        return sys.platform == "win32" or exc.errno in _LOCK_HELD
    else:
        with contextlib.suppress(OSError):
            _unlock(fd)
        return False
    finally:
        os.close(fd)


def short_id(session_id: str) -> str:
    """The part of a session id the walker shows on its screen (the random tail); `find_log` accepts it."""
    return session_id.rsplit("-", 1)[-1]


def _anchor_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.head")


def canonical(obj: dict[str, Any]) -> bytes:
    """The one byte form of a record that is hashed and written: sorted keys, no spaces, UTF-8."""
    # allow_nan=False: NaN/Infinity are not JSON, and other tools reading the record would reject it.
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def _hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


# --- Reading and verifying. -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scan:
    events: list[dict[str, Any]]
    valid_len: int  # bytes of the valid prefix
    bad_line: int | None
    reason: str | None
    bad_is_last: bool  # the first bad line is the file's last line (a torn tail, recoverable)
    warnings: tuple[str, ...] = ()


def _reject_constant(name: str) -> Any:
    raise ValueError(name)  # NaN/Infinity: never written by canonical(), so never valid


def _check_line(
    raw: bytes, index: int, prev: str | None, session: str | None
) -> tuple[dict[str, Any] | None, str | None]:
    """One line against the chain so far: (record, None) or (None, problem). Never quotes values."""
    try:
        record = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        return None, "not valid UTF-8"
    except (ValueError, RecursionError):
        return None, "not valid JSON"
    if not isinstance(record, dict):
        return None, "not a JSON object"
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    if missing:
        return None, f"missing field(s) {', '.join(missing)}"
    seq = record["seq"]
    if type(seq) is not int:
        return None, "seq is not an integer"
    if seq != index:
        return None, f"seq {seq} where {index} expected (deleted or reordered line)"
    for name in ("session", "ts", "event", "hash"):
        if not isinstance(record[name], str):
            return None, f"{name} is not a string"
    if session is not None and record["session"] != session:
        return None, "session differs from line 1"
    if record["prev"] != prev:
        if index == 0:
            return None, "prev is not null on the first line"
        return None, f"prev does not match the hash of line {index} (inserted, deleted or reordered line)"
    try:
        expected, exact = _hash(record), canonical(record)
    except (ValueError, TypeError, RecursionError):
        return None, "not canonical JSON"
    if record["hash"] != expected:
        return None, "hash does not match its content (edited)"
    if exact != raw:
        # Same values in other bytes (e.g. a \u escape re-cased): not what was hashed and written.
        return None, "not in canonical form (edited)"
    return record, None


# `ts` is written in one fixed-width UTC form, so comparing the text compares the times.
_TS_FORM = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def _scan(data: bytes, name: str | None = None) -> _Scan:
    """Check every line in order; `name`: the session id the file's name gives (None: not checked)."""
    events: list[dict[str, Any]] = []
    warnings: list[str] = []
    pos = 0
    prev: str | None = None
    session: str | None = None
    while pos < len(data):
        lineno = len(events) + 1
        end = data.find(b"\n", pos)
        if end == -1:
            return _Scan(events, pos, lineno, f"line {lineno}: torn last line (no newline)", True, tuple(warnings))
        record, problem = _check_line(data[pos:end], len(events), prev, session)
        if record is None:
            return _Scan(events, pos, lineno, f"line {lineno}: {problem}", end + 1 == len(data), tuple(warnings))
        if not events and name is not None and record["session"] != name:
            # A log copied in under another session's name (with its own .head) is whole but not this session.
            return _Scan(events, pos, lineno, f"line {lineno}: session differs from the file name", False,
                         tuple(warnings))
        if events and _ended(events[-1]):
            # The outcome ends a walk (an emergency that goes on until handover: the handover does), so
            # nothing is written after it: a later line was added afterwards.
            what = "the handover" if events[-1]["event"] == "handover" else "the outcome"
            return _Scan(events, pos, lineno, f"line {lineno}: an event after {what} (appended)", False,
                         tuple(warnings))
        if events and _TS_FORM.fullmatch(record["ts"]) and _TS_FORM.fullmatch(events[-1]["ts"]) \
                and record["ts"] < events[-1]["ts"]:
            warnings.append(f"line {lineno}: its time is before line {lineno - 1}'s (the clock went backwards)")
        events.append(record)
        prev, session = record["hash"], record["session"]
        pos = end + 1
    return _Scan(events, pos, None, None, False, tuple(warnings))


def _ended(event: dict[str, Any]) -> bool:
    """Whether a walk ends at this line: a handover, or an outcome that is not an emergency until handover."""
    if event["event"] == "handover":
        return True
    return event["event"] == "outcome" and not (event.get("severity") == "emergency"
                                                and event.get("until_handover") is True)


@dataclass(frozen=True)
class _Anchor:
    """`<session>.head`: the head at the last close; `open` once a resume has begun appending after it."""

    session: str
    seq: int
    hash: str
    open: bool


def _read_anchor(path: Path) -> _Anchor | str | None:
    """The close anchor beside a log: None if there is none, the problem (one line) if it is bad."""
    try:
        raw = _read_regular(_anchor_path(path))
    except FileNotFoundError:
        return None
    except OSError:
        return "its close anchor cannot be read"
    try:
        anchor = json.loads(raw.decode("utf-8"))
        seq, head, session = anchor["seq"], anchor["hash"], anchor["session"]
        is_open = anchor.get("open", False)
    except (ValueError, TypeError, KeyError, AttributeError):
        return "its close anchor is malformed"
    if type(seq) is not int or seq < 0 or not isinstance(head, str) or not isinstance(session, str) \
            or not isinstance(is_open, bool):
        return "its close anchor is malformed"
    return _Anchor(session, seq, head, is_open)


def _check_anchor(path: Path, events: list[dict[str, Any]]) -> tuple[int | None, str] | None:
    """The valid events against the close anchor, if there is one: None or (bad line, reason)."""
    return _anchor_problem(path, events, _read_anchor(path))


def _anchor_problem(
    path: Path, events: list[dict[str, Any]], anchor: _Anchor | str | None
) -> tuple[int | None, str] | None:
    if anchor is None:
        return None
    if isinstance(anchor, str):
        return None, anchor
    if anchor.session != path.stem or (events and anchor.session != events[0]["session"]):
        return None, "its close anchor belongs to another session"
    seq = anchor.seq
    if seq >= len(events):
        return (
            len(events) + 1,
            f"log ends at line {len(events)} but its close anchor records {seq + 1} events (truncated)",
        )
    if events[seq]["hash"] != anchor.hash:
        return seq + 1, f"line {seq + 1}: hash differs from the close anchor (rewritten)"
    if not anchor.open and seq < len(events) - 1:
        after = len(events) - 1 - seq
        return seq + 2, f"line {seq + 2}: {after} event(s) after the close anchor (appended after the log was closed)"
    return None


def _check_outside(
    events: list[dict[str, Any]], known: Iterable[str], what: str, may_continue: bool
) -> tuple[int | None, str] | None:
    """The events against head hashes kept outside the log (the witness's, or one given), oldest first: each
    must still be in the chain (the hash chain makes the log up to it the very prefix that was witnessed),
    in the order they were written, and the log must end at the newest unless a resumed walk may have gone
    on (`may_continue`). A session rewritten from an earlier point (a resume after deleting its end) loses
    the heads witnessed after that point. `known` is read once, as a stream (a witness may be large)."""
    where = {event["hash"]: index for index, event in enumerate(events)}
    last, count, missing = -1, 0, 0
    for hashed in known:
        count += 1
        if missing:
            continue  # only counted, for the message
        index = where.get(hashed)
        if index is None:
            missing = count
        elif index < last:
            return index + 1, f"line {index + 1}: the head hashes {what} are out of order (rewritten)"
        else:
            last = index
    if missing:
        which = "the head hash" if count == 1 else f"head hash {missing} of {count}"
        return (len(events) + 1 if events else None, f"{which} {what} is not in the log (truncated or rewritten)")
    if count and last < len(events) - 1 and not may_continue:
        return last + 2, f"line {last + 2}: {len(events) - 1 - last} event(s) after the head hash {what} (appended)"
    return None


def witness_contradicts(path: Path, events: list[Logged], witness: Path) -> str | None:
    """Why the witness contradicts these events (a witnessed head no longer in the chain: the session was cut
    back and rewritten, e.g. its outcome deleted to walk it again), or None. LogError if it cannot be read."""
    from aesthetic_protocols import witness as witnesses

    if not os.path.lexists(witness):
        return None  # a witness not yet written (its first close creates it) has seen nothing
    lines = [{"hash": item.hash} for item in events]  # the chain's hashes are all the check reads
    problem = _check_outside(lines, witnesses.iter_heads(witness, path.stem), "the witness records", True)
    return None if problem is None else problem[1]


def _verification(
    path: Path, scan: _Scan, head: str | None = None, witness: Path | None = None
) -> tuple[list[dict[str, Any]], Verification]:
    """The valid prefix (everything before the first bad line) and the verdict."""
    warnings = scan.warnings
    if scan.bad_line is not None:
        return scan.events, Verification(False, len(scan.events), scan.bad_line, scan.reason, warnings)
    anchor = _read_anchor(path)
    problem = _anchor_problem(path, scan.events, anchor)
    may_continue = anchor is None or (isinstance(anchor, _Anchor) and anchor.open)
    if problem is None and witness is not None:
        from aesthetic_protocols import witness as witnesses

        stream = witnesses.iter_heads(witness, path.stem)
        first = next(stream, None)
        known = itertools.chain([first], stream) if first is not None else ()
        if first is None and anchor is not None:
            problem = None, f"the witness {witness} holds no entry for this session (closed without it?)"
        elif first is not None and anchor is None:
            # A close writes the anchor before the witness: a witnessed session without one lost it since.
            problem = None, "its close anchor is missing, yet the witness records a close (deleted)"
        else:
            # The witness is written after the anchor: a walk still open (no anchor, or an open one) may be
            # past the witnessed head; a closed log ends at it.
            problem = _check_outside(scan.events, known, "the witness records", may_continue)
    if problem is None and head is not None:
        problem = _check_outside(scan.events, [head], "given", False)
    if problem is not None:
        bad_line, reason = problem
        events = scan.events if bad_line is None else scan.events[: bad_line - 1]
        return events, Verification(False, len(events), bad_line, reason, warnings)
    if not scan.events:
        return scan.events, Verification(False, 0, 1, "line 1: the log holds no events", warnings)
    note = None
    if anchor is None or (isinstance(anchor, _Anchor) and anchor.open):
        note = "not closed: a walk in progress, or one that stopped without closing"
    return scan.events, Verification(True, len(scan.events), None, None, warnings, note)


class _NotRegular(OSError):
    """A path that is neither a regular file nor a folder (a FIFO, a device)."""


def _read_regular(path: Path) -> bytes:
    """A regular file's bytes; IsADirectoryError or _NotRegular for anything else, without blocking."""
    # Not path.read_bytes(): a FIFO would block for ever, /dev/zero never end, /dev/null look "intact".
    fd = os.open(path, os.O_RDONLY | _O_BINARY | _O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise _NotRegular(errno.EINVAL, "not a regular file", str(path))
        return _read_fd(fd)
    finally:
        os.close(fd)


def read_events(path: Path) -> tuple[list[Logged], Verification]:
    """Parse a log without changing it: the valid prefix of events (typed, see `events.decode`), and the
    verdict on the whole file.

    LogError (one line) if it is missing, a folder, not a regular file, or unreadable.
    """
    data = _read_log(path)
    lines, verification = _verification(path, _scan_settled(path, data))
    return [decode(line) for line in lines], verification


def _read_log(path: Path) -> bytes:
    try:
        return _read_regular(path)
    except FileNotFoundError as exc:
        raise LogError(f"no session log at {path}") from exc
    except IsADirectoryError as exc:
        raise LogError(f"{path} is a folder, not a session log") from exc
    except _NotRegular as exc:
        raise LogError(f"{path} is not a regular file, not a session log") from exc
    except OSError as exc:
        if isinstance(exc, PermissionError) and path.is_dir():  # Windows cannot open a folder at all
            raise LogError(f"{path} is a folder, not a session log") from exc
        raise LogError(f"cannot read session log {path}: {_describe(exc)}") from exc
    except ValueError as exc:  # a NUL in the name
        raise LogError("cannot read session log: the path holds a NUL character") from exc


# A walker writes each line with one write(); a reader that meets a line without its newline looks again
# a moment later before calling it torn, so a line being written is not reported as an alteration.
_SETTLE_TRIES = 3
_SETTLE_SECONDS = 0.02


def _scan_settled(path: Path, data: bytes) -> _Scan:
    scan = _scan(data, path.stem)
    for _ in range(_SETTLE_TRIES):
        if not (scan.bad_is_last and not data.endswith(b"\n")):
            break
        time.sleep(_SETTLE_SECONDS)
        again = _read_log(path)
        if again == data:
            break
        data = again
        scan = _scan(data, path.stem)
    return scan


def verify(path: Path, *, head: str | None = None, witness: Path | None = None) -> Verification:
    """Check every line's JSON, fields, seq, session, prev and hash, then the close anchor, and, when given,
    a head hash kept elsewhere and the witness file."""
    return _verification(path, _scan_settled(path, _read_log(path)), head, witness)[1]


def _keep_aside(path: Path, torn: bytes, stamp: str) -> Path:
    """Copy a torn tail to `<session>.torn-<stamp>` (a new name each time), durable before returning."""
    base = f"{path.stem}.torn-{stamp}"
    for attempt in range(1, 100):
        side = path.with_name(base if attempt == 1 else f"{base}-{attempt}")
        try:
            _write_new_file(side, torn)
        except FileExistsError:
            continue  # a failed write (a full disk) leaves no side file behind: `_write_new_file` removes it
        _sync_dir(path.parent)
        return side
    raise OSError(errno.EEXIST, "too many torn-line files with this stamp")


def _take_lock(fd: int) -> None:
    try:
        _lock(fd)
    except OSError as exc:
        if sys.platform == "win32" or exc.errno in _LOCK_HELD:
            raise LogError("session is open in another walker") from exc
        raise LogError(f"cannot lock the session log: {_describe(exc)}") from exc


def _make_private_dir(log_dir: Path) -> None:
    """Make the missing folders of `log_dir` 0700, then check that `log_dir` is private (LogError if not).

    An existing folder is never narrowed behind the user's back, but refused if others could plant, swap
    or delete logs in it. OSError for anything else.
    """
    problem = make_private_folder(log_dir)
    if problem == "not a folder":
        raise LogError(f"the log folder {log_dir} is not a folder")
    if problem is not None:
        raise LogError(
            f"the log folder {log_dir} is {problem}; use a private folder of your own "
            f"(--log-dir or {LOG_DIR_ENV})"
        )


# --- The writer. ------------------------------------------------------------------------------------


class Journal:
    """An open session log with its lock: append-only, each event synced before `append` returns."""

    def __init__(
        self,
        path: Path,
        session_id: str,
        fd: int,
        clock: Callable[[], datetime],
        head: str | None = None,
        seq: int = 0,
    ) -> None:
        self.path = path
        self.session_id = session_id
        self._fd: int | None = fd
        self._clock = clock
        self._head = head
        self._seq = seq
        self._failure: str | None = None  # once set, nothing more is written (never retried silently)
        self.witness: Path | None = None  # the witness file each close appends `session head` to, if any

    @property
    def head(self) -> str | None:
        """The hash of the last event, or None before the first."""
        return self._head

    @property
    def seq(self) -> int:
        """The seq the next event will get."""
        return self._seq

    def record(self, event: Event) -> Logged:
        """Write one typed event (see `events`) and sync it; returns the line written, read back typed."""
        return decode(self.append(event.kind, **event.payload()))

    @classmethod
    def create(cls, log_dir: Path, session_id: str, clock: Callable[[], datetime] = utc_now) -> Journal:
        """Create and lock a new, empty log; LogError if it exists or the folder is not private.

        A missing folder is made 0700 (parents too); an existing one is used as it is if private.
        """
        path = log_path(log_dir, session_id)
        try:
            _make_private_dir(log_dir)
        except OSError as exc:
            raise LogError(f"cannot create the log folder {log_dir}: {_describe(exc)}") from exc
        try:
            # O_EXCL also refuses an existing symlink at `path`, dangling or not.
            fd = _open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL)
        except FileExistsError as exc:
            raise SessionExists(f"session log already exists: {path}") from exc
        except OSError as exc:
            raise LogError(f"cannot create session log {path}: {_describe(exc)}") from exc
        try:
            _take_lock(fd)
            _chmod_fd(fd, 0o600)
            _sync_dir(log_dir)  # the new name must survive a crash as well as its lines
        except OSError as exc:
            os.close(fd)
            raise LogError(f"cannot create session log {path}: {_describe(exc)}") from exc
        except BaseException:
            os.close(fd)
            raise
        return cls(path, session_id, fd, clock)

    @classmethod
    def reopen(
        cls,
        path: Path,
        clock: Callable[[], datetime] = utc_now,
        *,
        expect_head: str | None,
    ) -> tuple[Journal, list[Logged], bytes | None]:
        """Lock and re-verify a log to resume it; only then is a torn last line copied aside and cut off.

        The caller first reads the log with `read_events` (read-only) and decides it may be resumed;
        `expect_head` is the hash of the last valid event it saw there. LogError, with nothing changed,
        if the log is locked, missing, has no valid events, is broken before its last line, or its valid
        prefix no longer ends at `expect_head` (another walker appended meanwhile; None never matches).
        Returns (journal, valid events, torn bytes or None).
        """
        try:
            fd = _open(path, os.O_RDWR | os.O_APPEND)
        except FileNotFoundError as exc:
            raise LogError(f"no session log at {path}") from exc
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK):  # EMLINK: the BSDs' O_NOFOLLOW answer
                raise LogError(f"session log is a symbolic link, refused: {path}") from exc
            raise LogError(f"cannot open session log {path}: {_describe(exc)}") from exc
        try:
            return cls._resume(path, fd, clock, expect_head)
        except BaseException:
            os.close(fd)
            raise

    @classmethod
    def _resume(
        cls,
        path: Path,
        fd: int,
        clock: Callable[[], datetime],
        expect_head: str | None,
    ) -> tuple[Journal, list[Logged], bytes | None]:
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise LogError(f"not a regular file: {path}")
            _take_lock(fd)
            data = _read_fd(fd)
        except OSError as exc:
            raise LogError(f"cannot read session log {path}: {_describe(exc)}") from exc
        scan = _scan(data)
        # Decide everything before changing anything. A valid first line is seq 0 with prev null
        # (_check_line): without one this is no session log (a text file's only line is no torn tail).
        if not scan.events:
            raise LogError(f"cannot resume {path}: it holds no valid session events")
        # Only a bad LAST line is a crash's torn write.
        if scan.bad_line is not None and not scan.bad_is_last:
            raise LogError(f"cannot resume, the log is altered: {scan.reason}")
        problem = _check_anchor(path, scan.events)
        if problem is not None:
            raise LogError(f"cannot resume, the log is altered: {problem[1]}")
        if scan.events[-1]["hash"] != expect_head:
            # The caller's checks (start event, outcome, protocol) held for what it read; they hold now
            # only if this is still that log, not one another walker has resumed and appended to.
            raise LogError(f"cannot resume {path}: the log changed since it was read (another walker?)")
        torn: bytes | None = None
        if scan.bad_line is not None:
            torn = data[scan.valid_len :]
            try:
                # The copy is durable before the log is cut, so the bytes are never only in memory.
                _keep_aside(path, torn, _stamp(clock()))
                os.ftruncate(fd, scan.valid_len)
                _sync(fd)
            except OSError as exc:
                raise NotRecorded(f"torn last line NOT set aside, log not resumed: {_describe(exc)}") from exc
        session = scan.events[0]["session"] if scan.events else path.stem
        head = scan.events[-1]["hash"] if scan.events else None
        journal = cls(path, session, fd, clock, head, len(scan.events))
        try:
            # Lines will follow the last close: the anchor says so, or `verify` would call them appended.
            journal._write_anchor(still_open=True)
        except OSError as exc:
            raise NotRecorded(f"close anchor NOT updated, log not resumed: {_describe(exc)}") from exc
        return journal, [decode(line) for line in scan.events], torn

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        """Write one event and sync it; returns the record. NotRecorded if it could not be made durable."""
        if self._failure is not None:
            raise NotRecorded(f"step NOT recorded: the log failed earlier ({self._failure})")
        if self._fd is None:
            raise NotRecorded("step NOT recorded: the log is closed")
        clash = sorted(set(REQUIRED_FIELDS) & fields.keys())
        if clash:
            raise ValueError(f"reserved field name(s): {', '.join(clash)}")
        record: dict[str, Any] = {
            "seq": self._seq,
            "ts": _iso(self._clock()),
            "session": self.session_id,
            "event": event,
            "prev": self._head,
            **fields,
        }
        try:
            record["hash"] = _hash(record)
            line = canonical(record) + b"\n"
        except (TypeError, ValueError, RecursionError) as exc:
            # Nothing was written, so the log is still sound; the type name only, never the value.
            raise NotRecorded(f"step NOT recorded: the event is not JSON ({type(exc).__name__})") from exc
        try:
            before = os.fstat(self._fd).st_size
        except OSError as exc:
            self._failure = _describe(exc)
            raise NotRecorded(f"step NOT recorded: {self._failure}") from exc
        try:
            _write_all(self._fd, line)
            _sync(self._fd)
        except OSError as exc:
            self._failure = _describe(exc)
            raise NotRecorded(f"step NOT recorded: {self._failure}{self._take_back(before)}") from exc
        except BaseException:
            # Interrupted (Ctrl-C) between write and sync: the file may hold the line or part of it,
            # so this journal must not write again; reopen() sorts it out on resume.
            self._failure = "interrupted while writing"
            raise
        self._seq += 1
        self._head = record["hash"]
        return record

    def _take_back(self, size: int) -> str:
        """Cut a line whose write or sync failed back off the log, so that "NOT recorded" is true and a
        resume never replays it; if even that fails, say the line may remain, unconfirmed."""
        assert self._fd is not None
        try:
            os.ftruncate(self._fd, size)
        except OSError:
            return "; the line may remain in the log, unconfirmed"
        with contextlib.suppress(OSError):
            _sync(self._fd)
        return ""

    def close(self) -> None:
        """Write the close anchor `<session>.head`, release the lock, close the file. Idempotent."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            # After a failure the file's end is uncertain: no anchor, so reopen() checks the tail itself.
            if self._failure is None and self._head is not None:
                try:
                    self._write_anchor()
                except OSError as exc:
                    raise NotRecorded(f"close anchor NOT written: {_describe(exc)}") from exc
                self._write_witness()
        finally:
            with contextlib.suppress(OSError):
                _unlock(fd)
            with contextlib.suppress(OSError):  # every line is already synced
                os.close(fd)

    def _write_witness(self) -> None:
        """Append `session head` to the witness file, if this journal has one (outside the log folder)."""
        target = self.witness
        if target is None or self._head is None:
            return  # none configured, as in most clinics: the witness module is not even imported
        from aesthetic_protocols import witness

        try:
            witness.record(target, self.session_id, self._head)
        except OSError as exc:
            raise NotRecorded(f"witness {target} NOT written: {_describe(exc)}") from exc

    def _write_anchor(self, still_open: bool = False) -> None:
        """Replace `<session>.head` atomically: a reader sees the old anchor or the new, never half."""
        target = _anchor_path(self.path)
        tmp = target.with_name(f"{target.name}.tmp-{_random_hex(4)}")
        anchor: dict[str, Any] = {"session": self.session_id, "seq": self._seq - 1, "hash": self._head}
        if still_open:
            anchor["open"] = True
        _write_new_file(tmp, canonical(anchor) + b"\n")
        try:
            os.replace(tmp, target)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        _sync_dir(self.path.parent)

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
