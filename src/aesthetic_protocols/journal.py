"""Append-only, hash-chained JSONL session log: one event per line, synced before `append` returns.

Each line is the canonical JSON of one event: `seq` (0, 1, ...), `ts` (UTC), `session`, `event`, `prev`
(hash of the previous line or null), the caller's fields, and `hash` (sha256 of the canonical JSON of
the line without `hash`). The chain finds edits, deletions and reordering; the newest lines cut off
the end are found by the close anchor `<session>.head` written beside the log.

The journal does not know what events mean, and never imports the UI.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from aesthetic_protocols.errors import EXIT_USAGE, LogError, NotRecorded, UsageError

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

REQUIRED_FIELDS = ("seq", "ts", "session", "event", "prev", "hash")
LOG_DIR_ENV = "AESTHETIC_PROTOCOLS_LOG_DIR"
_SESSION_ID = re.compile(r"[A-Za-z0-9-]{1,200}")  # room left for ".torn-<stamp>" within 255 bytes


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


# --- Platform differences: all of them live here. --------------------------------------------------

# Windows has neither O_NOFOLLOW (see _open for the fallback) nor text-free I/O by default.
_O_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
_O_BINARY: int = getattr(os, "O_BINARY", 0)
# A reader opens without blocking: opening a FIFO for reading would otherwise wait for a writer forever.
_O_NONBLOCK: int = getattr(os, "O_NONBLOCK", 0)
# Windows locks are mandatory byte ranges: lock one byte far past any real log, so other processes
# can still read the log (`protocol log show`) while a walker holds it.
_WIN_LOCK_OFFSET = 0x7FFFFFFF
_LOCK_HELD = {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, errno.EDEADLK}


def _sync(fd: int) -> None:
    """Force the file's data (and its size) to stable storage before the caller goes on."""
    if sys.platform == "darwin":
        # macOS fsync() stops at the drive's volatile cache; F_FULLFSYNC asks the drive to flush it.
        try:
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
            return
        except OSError as exc:
            # Some filesystems (SMB, exFAT) refuse it; a plain fsync is then the best on offer.
            if exc.errno not in (errno.ENOTSUP, errno.EINVAL, errno.ENOTTY):
                raise
        os.fsync(fd)
    elif hasattr(os, "fdatasync"):
        os.fdatasync(fd)  # data and size, without the mtime-only metadata write
    else:
        os.fsync(fd)


def _sync_dir(directory: Path) -> None:
    """Make a newly created or replaced name in `directory` durable (not possible on Windows)."""
    if sys.platform == "win32":
        return
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        # Some network filesystems cannot sync a folder; the file's own sync is all there is.
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _open(path: Path, flags: int, mode: int = 0o600) -> int:
    """os.open that never follows a symlink at `path` itself."""
    if not _O_NOFOLLOW and path.is_symlink():
        # Fallback where O_NOFOLLOW is missing (Windows): check first. A race remains, but creating
        # a symlink there needs admin rights or developer mode.
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))
    return os.open(path, flags | _O_NOFOLLOW | _O_BINARY, mode)


def _chmod_fd(fd: int, mode: int) -> None:
    """Set `mode` whatever the umask (Windows has no fchmod before 3.13; its ACLs govern instead)."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)


def _lock(fd: int) -> None:
    """Take the one-writer lock without waiting; OSError if another walker holds it."""
    if sys.platform == "win32":
        # No flock on Windows: msvcrt locks a byte range from the current position.
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        os.lseek(fd, 0, os.SEEK_SET)
    else:
        # flock belongs to the open file description: a second open, even in this process, is refused,
        # and the kernel drops it when the process dies (kill -9 included).
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _not_private(st: os.stat_result) -> str | None:
    """Why a file or folder with this status is not private to the current user, or None if it is."""
    if not hasattr(os, "getuid"):
        # Windows fallback: no uids, and st_mode is only the read-only flag (every writable file shows
        # 0o666), so neither check means anything there and none is made. The ACLs govern instead: the
        # default folders under the user's profile are private to the user.
        return None
    if st.st_uid != os.getuid():
        return "not owned by you"
    if st.st_mode & 0o022:
        return "writable by group or others"
    return None


def _chmod_new_dir(folder: Path) -> None:
    """Set 0700 on a folder just made by this process, whatever the umask cut from mkdir's mode."""
    if sys.platform == "win32":
        return  # the mode is only a read-only flag there; the inherited ACLs govern
    try:
        # Through a descriptor that refuses a symlink: never chmod whatever was swapped in meanwhile.
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _O_NOFOLLOW)
    except PermissionError:
        os.chmod(folder, 0o700)  # a umask that took the owner's own read bit: only the path is left
        return
    try:
        os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


def is_private(path: Path) -> bool:
    """True if `path` exists, is the current user's (where there are uids) and no one else may write it."""
    try:
        st = path.stat()
    except (OSError, ValueError):  # ValueError: a NUL in the name
        return False
    return _not_private(st) is None


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


def new_session_id(protocol_id: str, now: datetime) -> str:
    """A new session id: `<UTC stamp>-<protocol slug>-<4 random hex>`, safe as a file name."""
    slug = re.sub(r"[^a-z0-9-]+", "-", protocol_id.lower()).strip("-")[:100] or "session"
    return f"{_stamp(now)}-{slug}-{secrets.token_hex(2)}"


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


def _anchor_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.head")


def canonical(obj: dict[str, Any]) -> bytes:
    """The one byte form of a record that is hashed and written: sorted keys, no spaces, UTF-8."""
    # allow_nan=False: NaN/Infinity are not JSON, and other tools reading the record would reject it.
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def _hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


def _describe(exc: OSError) -> str:
    name = errno.errorcode.get(exc.errno or 0, "error")
    return f"{name} ({exc.strerror or exc})"


def parse_ts(value: Any) -> datetime | None:
    """A log timestamp (UTC ISO-8601, `Z` or an offset) as an aware datetime; None if it is not one."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return None


# --- Reading and verifying. -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scan:
    events: list[dict[str, Any]]
    valid_len: int  # bytes of the valid prefix
    bad_line: int | None
    reason: str | None
    bad_is_last: bool  # the first bad line is the file's last line (a torn tail, recoverable)


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


def _scan(data: bytes) -> _Scan:
    events: list[dict[str, Any]] = []
    pos = 0
    prev: str | None = None
    session: str | None = None
    while pos < len(data):
        lineno = len(events) + 1
        end = data.find(b"\n", pos)
        if end == -1:
            return _Scan(events, pos, lineno, f"line {lineno}: torn last line (no newline)", True)
        record, problem = _check_line(data[pos:end], len(events), prev, session)
        if record is None:
            return _Scan(events, pos, lineno, f"line {lineno}: {problem}", end + 1 == len(data))
        events.append(record)
        prev, session = record["hash"], record["session"]
        pos = end + 1
    return _Scan(events, pos, None, None, False)


def _check_anchor(path: Path, events: list[dict[str, Any]]) -> tuple[int | None, str] | None:
    """The valid events against the close anchor, if there is one: None or (bad line, reason)."""
    try:
        raw = _read_regular(_anchor_path(path))
    except FileNotFoundError:
        return None
    except OSError:
        return None, "its close anchor cannot be read"
    try:
        anchor = json.loads(raw.decode("utf-8"))
        seq, head, session = anchor["seq"], anchor["hash"], anchor["session"]
    except (ValueError, TypeError, KeyError):
        return None, "its close anchor is malformed"
    if type(seq) is not int or seq < 0 or not isinstance(head, str):
        return None, "its close anchor is malformed"
    if events and session != events[0]["session"]:
        return None, "its close anchor belongs to another session"
    if seq >= len(events):
        return (
            len(events) + 1,
            f"log ends at line {len(events)} but its close anchor records {seq + 1} events (truncated)",
        )
    if events[seq]["hash"] != head:
        return seq + 1, f"line {seq + 1}: hash differs from the close anchor (rewritten)"
    return None


def _verification(path: Path, scan: _Scan) -> tuple[list[dict[str, Any]], Verification]:
    """The valid prefix (everything before the first bad line) and the verdict."""
    if scan.bad_line is not None:
        return scan.events, Verification(False, len(scan.events), scan.bad_line, scan.reason)
    problem = _check_anchor(path, scan.events)
    if problem is not None:
        bad_line, reason = problem
        events = scan.events if bad_line is None else scan.events[: bad_line - 1]
        return events, Verification(False, len(events), bad_line, reason)
    return scan.events, Verification(True, len(scan.events), None, None)


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


def read_events(path: Path) -> tuple[list[dict[str, Any]], Verification]:
    """Parse a log without changing it: the valid prefix of events, and the verdict on the whole file.

    LogError (one line) if it is missing, a folder, not a regular file, or unreadable.
    """
    try:
        data = _read_regular(path)
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
    return _verification(path, _scan(data))


def verify(path: Path) -> Verification:
    """Check every line's JSON, fields, seq, session, prev and hash, then the close anchor."""
    return read_events(path)[1]


def _read_fd(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    """One os.write; more only if the kernel wrote less (a short write, e.g. a nearly full disk)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, "write made no progress")
        view = view[written:]


def _write_new_file(path: Path, data: bytes) -> None:
    """Create `path` (must not exist), 0600, with `data`, synced."""
    fd = _open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        _chmod_fd(fd, 0o600)
        _write_all(fd, data)
        _sync(fd)
    finally:
        os.close(fd)


def _keep_aside(path: Path, torn: bytes, stamp: str) -> Path:
    """Copy a torn tail to `<session>.torn-<stamp>` (a new name each time), durable before returning."""
    base = f"{path.stem}.torn-{stamp}"
    for attempt in range(1, 100):
        side = path.with_name(base if attempt == 1 else f"{base}-{attempt}")
        try:
            _write_new_file(side, torn)
        except FileExistsError:
            continue
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
    """Make the missing folders of `log_dir` 0700, then check that `log_dir` is private.

    Only folders made here are chmod-ed: an existing one (the user's home, a project) is never narrowed
    behind the user's back, but refused (LogError) if others could plant, swap or delete logs in it.
    OSError for anything else. On Windows there is no mode or ownership check (see _not_private).
    """
    missing: list[Path] = []
    folder = log_dir
    while not os.path.lexists(folder) and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):  # parents first, each 0700 (XDG asks the same of data folders)
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            continue  # made meanwhile by someone else: not ours to chmod; log_dir is checked below
        _chmod_new_dir(folder)  # at once: a umask like 0o277 would leave the owner unable to go on
    st = log_dir.stat()  # also for a folder made here: it could have been swapped since
    if not stat.S_ISDIR(st.st_mode):
        raise LogError(f"the log folder {log_dir} is not a folder")
    problem = _not_private(st)
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

    @property
    def head(self) -> str | None:
        """The hash of the last event, or None before the first."""
        return self._head

    @property
    def seq(self) -> int:
        """The seq the next event will get."""
        return self._seq

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
            raise LogError(f"session log already exists: {path}") from exc
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
    ) -> tuple[Journal, list[dict[str, Any]], bytes | None]:
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
    ) -> tuple[Journal, list[dict[str, Any]], bytes | None]:
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
        return cls(path, session, fd, clock, head, len(scan.events)), scan.events, torn

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
            _write_all(self._fd, line)
            _sync(self._fd)
        except OSError as exc:
            self._failure = _describe(exc)
            raise NotRecorded(f"step NOT recorded: {self._failure}") from exc
        except BaseException:
            # Interrupted (Ctrl-C) between write and sync: the file may hold the line or part of it,
            # so this journal must not write again; reopen() sorts it out on resume.
            self._failure = "interrupted while writing"
            raise
        self._seq += 1
        self._head = record["hash"]
        return record

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
        finally:
            with contextlib.suppress(OSError):
                _unlock(fd)
            with contextlib.suppress(OSError):  # every line is already synced
                os.close(fd)

    def _write_anchor(self) -> None:
        """Replace `<session>.head` atomically: a reader sees the old anchor or the new, never half."""
        target = _anchor_path(self.path)
        tmp = target.with_name(f"{target.name}.tmp-{secrets.token_hex(4)}")
        anchor = {"session": self.session_id, "seq": self._seq - 1, "hash": self._head}
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
