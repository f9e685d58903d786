"""The session log: modes, the hash chain, sync before return, fatal write failures, locks, tampering,
torn-tail recovery and survival of kill -9."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aesthetic_protocols import durable, journal
from aesthetic_protocols.errors import EXIT_USAGE, LogError, NotRecorded, UsageError
from aesthetic_protocols.events import encode
from aesthetic_protocols.journal import (
    LOG_DIR_ENV,
    Journal,
    canonical,
    is_private,
    log_path,
    new_session_id,
    read_events,
    resolve_log_dir,
    verify,
)

SID = "20261127T121530Z-vascular-occlusion-3f9a"
POSIX = os.name == "posix"
posix_only = pytest.mark.skipif(not POSIX, reason="POSIX modes, symlinks and signals")


def ticking_clock(start: datetime | None = None) -> Callable[[], datetime]:
    moment = [start or datetime(2026, 11, 27, 12, 15, 30, 123456, tzinfo=UTC)]

    def clock() -> datetime:
        moment[0] += timedelta(seconds=1)
        return moment[0]

    return clock


def write_session(log_dir: Path, n: int = 6, *, close: bool = True) -> Path:
    """A log of n events; close=False leaves it as a crash would (no anchor, lock dropped)."""
    j = Journal.create(log_dir, SID, clock=ticking_clock())
    j.append("start", protocol="vascular-occlusion", version="1.0.0", sha256="0" * 64)
    for i in range(1, n):
        j.append("answer", node=f"node-{i}", answer=f"secret-value-{i}")
    if close:
        j.close()
    else:
        assert j._fd is not None
        os.close(j._fd)  # the kernel drops the lock, as when the process dies
        j._fd = None
    return Path(j.path)


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def resume(path: Path, **kwargs: Any) -> tuple[Journal, list[dict[str, Any]], bytes | None]:
    """What a caller does: read the log read-only, (check it), then reopen at the head it saw."""
    events, _ = read_events(path)
    return Journal.reopen(path, expect_head=events[-1].hash if events else None, **kwargs)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "sessions"


@pytest.fixture(params=[0o000, 0o277], ids=["umask-000", "umask-277"])
def odd_umask(request: pytest.FixtureRequest) -> Iterator[None]:
    # A permissive and an owner-stripping umask: the modes must be set explicitly, not inherited.
    old = os.umask(request.param)
    try:
        yield
    finally:
        os.umask(old)


# --- names ------------------------------------------------------------------------------------------


def test_new_session_id_is_utc_stamp_slug_and_random_hex() -> None:
    now = datetime(2026, 11, 27, 13, 15, 30, tzinfo=timezone(timedelta(hours=1)))
    sid = new_session_id("vascular-occlusion", now)
    assert re.fullmatch(r"20261127T121530Z-vascular-occlusion-[0-9a-f]{4}", sid)
    assert log_path(Path("x"), sid) == Path("x") / f"{sid}.jsonl"
    assert re.fullmatch(r"[A-Za-z0-9-]+", new_session_id("../Odd Name!", now))


@pytest.mark.parametrize("bad", ["", "../etc", "a/b", "a.b", "a b", "x\x00", "é", "a" * 201])
def test_log_path_refuses_ids_that_are_not_slugs(bad: str) -> None:
    with pytest.raises(LogError) as info:
        log_path(Path("logs"), bad)
    assert isinstance(info.value, UsageError)
    assert info.value.exit_code == EXIT_USAGE


def test_canonical_is_sorted_compact_utf8() -> None:
    assert canonical({"b": 1, "a": "é", "c": None}) == '{"a":"é","b":1,"c":null}'.encode()


def test_default_log_dir_ends_in_sessions() -> None:
    d = journal.default_log_dir()
    assert d.name == "sessions" and "aesthetic-protocols" in str(d)


# --- writing ----------------------------------------------------------------------------------------


@posix_only
@pytest.mark.usefixtures("odd_umask")
def test_create_append_close_modes_format_and_chain(log_dir: Path) -> None:
    path = write_session(log_dir, 4)
    assert stat.S_IMODE(log_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    head_file = log_dir / f"{SID}.head"
    assert stat.S_IMODE(head_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in log_dir.iterdir()) == [f"{SID}.head", f"{SID}.jsonl"]

    raw = lines_of(path)
    assert len(raw) == 4 and all(line.endswith(b"\n") for line in raw)
    prev = None
    for i, line in enumerate(raw):
        record = json.loads(line)
        assert canonical(record) + b"\n" == line
        assert set(journal.REQUIRED_FIELDS) <= record.keys()
        assert record["seq"] == i and record["session"] == SID and record["prev"] == prev
        body = {k: v for k, v in record.items() if k != "hash"}
        assert record["hash"] == hashlib.sha256(canonical(body)).hexdigest()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["ts"])
        prev = record["hash"]
    assert json.loads(head_file.read_bytes()) == {"session": SID, "seq": 3, "hash": prev}


@posix_only
def test_an_existing_folder_is_never_narrowed(log_dir: Path) -> None:
    # e.g. --log-dir ~ or a project folder: the user's choice of mode is not ours to change.
    log_dir.mkdir(mode=0o700)
    log_dir.chmod(0o755)
    path = write_session(log_dir, 2)
    assert stat.S_IMODE(log_dir.stat().st_mode) == 0o755
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and verify(path).ok


@posix_only
@pytest.mark.usefixtures("odd_umask")
def test_missing_folders_are_made_0700_parents_too(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    log_dir = tmp_path / "a" / "b" / "sessions"
    write_session(log_dir, 1)
    for folder in (tmp_path / "a", tmp_path / "a" / "b", log_dir):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755  # it existed: not ours to narrow


@posix_only
@pytest.mark.parametrize("mode", [0o1777, 0o777, 0o770, 0o702])
def test_a_folder_others_can_write_is_refused_and_left_alone(log_dir: Path, mode: int) -> None:
    log_dir.mkdir(mode=0o700)
    log_dir.chmod(mode)
    with pytest.raises(LogError) as info:
        Journal.create(log_dir, SID)
    message = info.value.message
    assert "\n" not in message and "writable by group or others" in message and "private folder" in message
    assert stat.S_IMODE(log_dir.stat().st_mode) == mode
    assert list(log_dir.iterdir()) == []


@posix_only
def test_a_folder_of_another_user_is_refused(log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log_dir.mkdir(mode=0o700)
    monkeypatch.setattr(os, "getuid", lambda: log_dir.stat().st_uid + 1)
    with pytest.raises(LogError, match=r"is not owned by you; use a private folder"):
        Journal.create(log_dir, SID)
    monkeypatch.undo()
    assert list(log_dir.iterdir()) == []


def test_a_file_where_the_folder_belongs_is_refused(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"keep me\n")
    with pytest.raises(LogError, match=r"the log folder .* is not a folder"):
        Journal.create(notes, SID)
    assert notes.read_bytes() == b"keep me\n"


def test_windows_fallback_makes_no_mode_or_owner_check(log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Where there are no uids (Windows) st_mode is only the read-only flag: nothing to check.
    log_dir.mkdir(mode=0o700)
    log_dir.chmod(0o777)
    monkeypatch.delattr(os, "getuid", raising=False)
    assert is_private(log_dir)
    Journal.create(log_dir, SID).close()


@posix_only
def test_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "mine"
    mine.write_bytes(b"")
    for mode, private in [(0o600, True), (0o644, True), (0o700, True), (0o620, False), (0o602, False)]:
        mine.chmod(mode)
        assert is_private(mine) is private, oct(mode)
    assert not is_private(tmp_path / "missing")
    mine.chmod(0o600)
    monkeypatch.setattr(os, "getuid", lambda: mine.stat().st_uid + 1)
    assert not is_private(mine)


# --- the log folder ---------------------------------------------------------------------------------


def test_resolve_log_dir_option_then_env_then_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal, "default_log_dir", lambda: tmp_path / "default")
    monkeypatch.delenv(LOG_DIR_ENV, raising=False)
    assert resolve_log_dir(None) == tmp_path / "default"
    monkeypatch.setenv(LOG_DIR_ENV, str(tmp_path / "env"))
    assert resolve_log_dir(None) == tmp_path / "env"
    assert resolve_log_dir(tmp_path / "option") == tmp_path / "option"
    assert resolve_log_dir(str(tmp_path / "text")) == tmp_path / "text"
    assert not any((tmp_path / name).exists() for name in ("default", "env", "option", "text"))  # made by create


def test_resolve_log_dir_refuses_an_empty_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOG_DIR_ENV, raising=False)
    with pytest.raises(UsageError, match=r"^--log-dir needs a folder$") as info:
        resolve_log_dir("")
    assert info.value.exit_code == EXIT_USAGE
    monkeypatch.setenv(LOG_DIR_ENV, "")
    with pytest.raises(UsageError, match=r"^--log-dir needs a folder \(AESTHETIC_PROTOCOLS_LOG_DIR is set") as info:
        resolve_log_dir(None)
    assert info.value.exit_code == EXIT_USAGE


def test_resolve_log_dir_refuses_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"keep me\n")
    with pytest.raises(UsageError, match=r"^the log folder .*notes\.txt is not a folder$") as info:
        resolve_log_dir(notes)
    assert info.value.exit_code == EXIT_USAGE
    monkeypatch.setenv(LOG_DIR_ENV, str(notes))
    with pytest.raises(UsageError, match="is not a folder"):
        resolve_log_dir(None)
    assert notes.read_bytes() == b"keep me\n"


def test_ts_is_utc_whatever_the_clock_zone(log_dir: Path) -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    j = Journal.create(log_dir, SID, clock=lambda: datetime(2026, 11, 27, 17, 45, 30, 5000, tzinfo=ist))
    assert j.append("start")["ts"] == "2026-11-27T12:15:30.005Z"
    j.close()


def test_naive_clock_is_refused_before_writing(log_dir: Path) -> None:
    j = Journal.create(log_dir, SID, clock=lambda: datetime(2026, 11, 27, 12, 0))
    with pytest.raises(ValueError):
        j.append("start")
    assert j.path.read_bytes() == b""
    j.close()


def test_create_refuses_an_existing_log(log_dir: Path) -> None:
    path = write_session(log_dir, 2)
    before = path.read_bytes()
    with pytest.raises(LogError, match="already exists"):
        Journal.create(log_dir, SID)
    assert path.read_bytes() == before


def test_append_returns_only_after_sync(log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_sync = journal._sync
    calls: list[tuple[int, int]] = []

    def recording_sync(fd: int) -> None:
        calls.append((fd, os.fstat(fd).st_size))
        real_sync(fd)

    monkeypatch.setattr(journal, "_sync", recording_sync)
    j = Journal.create(log_dir, SID)
    for n in range(1, 6):
        j.append("answer", node="a", answer="y")
        assert len(calls) == n  # synced once per event, before append returned
        # ...after the whole line was written: the file then held exactly n lines
        assert calls[-1][1] == j.path.stat().st_size and j.path.read_bytes().count(b"\n") == n
    assert {fd for fd, _ in calls} == {j._fd}
    j.close()


def test_one_os_write_per_event(log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    j = Journal.create(log_dir, SID)
    real_write = os.write
    writes: list[int] = []

    def counting_write(fd: int, data: Any) -> int:
        if fd == j._fd:
            writes.append(len(data))
        return real_write(fd, data)

    monkeypatch.setattr(journal.os, "write", counting_write)
    for _ in range(3):
        j.append("answer", node="a", answer="y")
    assert len(writes) == 3
    j.close()


def test_a_short_write_is_completed(log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    j = Journal.create(log_dir, SID)
    real_write = os.write

    def short_write(fd: int, data: Any) -> int:
        if fd == j._fd and len(data) > 5:
            return real_write(fd, bytes(data[:5]))
        return real_write(fd, data)

    monkeypatch.setattr(journal.os, "write", short_write)
    j.append("start", note="x" * 40)
    j.append("answer", node="a", answer="y")
    monkeypatch.undo()
    j.close()
    assert verify(j.path).ok and len(lines_of(j.path)) == 2


def test_sync_failure_is_fatal_and_never_retried(log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    j = Journal.create(log_dir, SID)
    j.append("start")
    j.append("answer", node="a", answer="y")
    before = j.path.read_bytes()

    def failing_sync(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(journal, "_sync", failing_sync)
    with pytest.raises(NotRecorded, match="step NOT recorded") as info:
        j.append("answer", node="b", answer="n")
    assert "EIO" in info.value.message
    monkeypatch.undo()  # even with a healthy disk again, the journal stays broken
    with pytest.raises(NotRecorded, match="step NOT recorded"):
        j.append("answer", node="c", answer="n")
    j.close()
    # The failed line is cut back off: "NOT recorded" is true, and a resume never replays it.
    assert j.path.read_bytes() == before
    assert not (log_dir / f"{SID}.head").exists()  # no anchor for a log whose end is uncertain


def test_write_failure_is_fatal_and_never_retried(log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    j = Journal.create(log_dir, SID)
    j.append("start")
    before = j.path.read_bytes()
    real_write = os.write

    def failing_write(fd: int, data: Any) -> int:
        if fd == j._fd:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(journal.os, "write", failing_write)
    with pytest.raises(NotRecorded, match=r"step NOT recorded.*ENOSPC"):
        j.append("answer", node="a", answer="y")
    monkeypatch.undo()
    with pytest.raises(NotRecorded, match="step NOT recorded"):
        j.append("answer", node="a", answer="y")
    j.close()
    assert j.path.read_bytes() == before
    assert verify(j.path).ok


def test_unserialisable_event_is_not_recorded_but_log_stays_usable(log_dir: Path) -> None:
    j = Journal.create(log_dir, SID)
    j.append("start")
    for bad in (object(), float("nan"), "lone \ud800 surrogate"):
        with pytest.raises(NotRecorded, match="step NOT recorded") as info:
            j.append("note", text=bad)
        assert "surrogate" not in info.value.message
    j.append("note", text="fine")
    j.close()
    assert verify(j.path) == journal.Verification(True, 2, None, None)


def test_reserved_field_names_are_refused(log_dir: Path) -> None:
    j = Journal.create(log_dir, SID)
    with pytest.raises(ValueError, match="hash"):
        j.append("answer", hash="forged")
    j.close()


def test_append_after_close_and_close_twice(log_dir: Path) -> None:
    j = Journal.create(log_dir, SID)
    j.append("start")
    j.close()
    j.close()
    with pytest.raises(NotRecorded):
        j.append("answer")


# --- O_NOFOLLOW and the lock ------------------------------------------------------------------------


@posix_only
@pytest.mark.parametrize("dangling", [False, True])
def test_create_refuses_a_symlink_and_leaves_its_target(log_dir: Path, tmp_path: Path, dangling: bool) -> None:
    log_dir.mkdir(mode=0o700)
    target = tmp_path / "target.txt"
    if not dangling:
        target.write_bytes(b"precious\n")
        target.chmod(0o644)
    (log_dir / f"{SID}.jsonl").symlink_to(target)
    with pytest.raises(LogError):
        Journal.create(log_dir, SID)
    if dangling:
        assert not target.exists()
    else:
        assert target.read_bytes() == b"precious\n"
        assert stat.S_IMODE(target.stat().st_mode) == 0o644


@posix_only
def test_reopen_refuses_a_symlink(log_dir: Path, tmp_path: Path) -> None:
    real = write_session(log_dir, 2)
    link = tmp_path / f"{SID}.jsonl"
    link.symlink_to(real)
    with pytest.raises(LogError, match="symbolic link"):
        resume(link)


def test_second_writer_is_refused_until_close(log_dir: Path) -> None:
    j = Journal.create(log_dir, SID)
    j.append("start")
    with pytest.raises(LogError, match="session is open in another walker"):
        resume(j.path)
    j.close()
    j2, events, torn = resume(j.path)
    with pytest.raises(LogError, match="session is open in another walker"):
        resume(j.path)
    j2.close()
    assert len(events) == 1 and torn is None


# --- verification -----------------------------------------------------------------------------------


def forge(record: dict[str, Any], **changes: Any) -> bytes:
    forged = {**record, **changes}
    forged["hash"] = hashlib.sha256(canonical({k: v for k, v in forged.items() if k != "hash"})).hexdigest()
    return bytes(canonical(forged)) + b"\n"


def edit_value(lines: list[bytes]) -> list[bytes]:
    lines[2] = lines[2].replace(b"secret-value-2", b"secret-value-X")
    return lines


def delete_middle(lines: list[bytes]) -> list[bytes]:
    del lines[2]
    return lines


def swap(lines: list[bytes]) -> list[bytes]:
    lines[2], lines[3] = lines[3], lines[2]
    return lines


def move_to_end(lines: list[bytes]) -> list[bytes]:
    lines.append(lines.pop(1))
    return lines


def insert_forged(lines: list[bytes]) -> list[bytes]:
    record = json.loads(lines[3])
    lines.insert(3, forge(record, answer="forged", prev="0" * 64))
    return lines


def torn_tail(lines: list[bytes]) -> list[bytes]:
    lines[-1] = lines[-1][: len(lines[-1]) // 2]
    return lines


def truncate_end(lines: list[bytes]) -> list[bytes]:
    return lines[:-2]


def rewrite_from_line_5(lines: list[bytes]) -> list[bytes]:
    # A consistent re-chaining of the last two lines: only the close anchor can tell.
    first = json.loads(lines[4])
    new4 = forge(first, answer="forged")
    second = json.loads(lines[5])
    new5 = forge(second, prev=json.loads(new4)["hash"])
    return [*lines[:4], new4, new5]


@pytest.mark.parametrize(
    ("tamper", "line", "reason"),
    [
        (edit_value, 3, "line 3: hash does not match its content (edited)"),
        (delete_middle, 3, "line 3: seq 3 where 2 expected (deleted or reordered line)"),
        (swap, 3, "line 3: seq 3 where 2 expected (deleted or reordered line)"),
        (move_to_end, 2, "line 2: seq 2 where 1 expected (deleted or reordered line)"),
        (insert_forged, 4, "line 4: prev does not match the hash of line 3"),
        (torn_tail, 6, "line 6: torn last line (no newline)"),
        (truncate_end, 5, "log ends at line 4 but its close anchor records 6 events (truncated)"),
        (rewrite_from_line_5, 6, "line 6: hash differs from the close anchor (rewritten)"),
    ],
)
def test_verify_finds_the_first_bad_line(
    log_dir: Path, tamper: Callable[[list[bytes]], list[bytes]], line: int, reason: str
) -> None:
    path = write_session(log_dir, 6)
    assert verify(path) == journal.Verification(True, 6, None, None)
    path.write_bytes(b"".join(tamper(lines_of(path))))
    result = verify(path)
    assert not result.ok
    assert result.first_bad_line == line
    assert result.reason is not None and result.reason.startswith(reason)
    assert result.count == line - 1
    assert "secret" not in result.reason and "forged" not in result.reason


def test_non_canonical_bytes_with_the_same_values_are_found(log_dir: Path) -> None:
    j = Journal.create(log_dir, SID)
    j.append("start")
    j.append("note", text="bell\x1f")
    j.close()
    data = j.path.read_bytes()
    assert b"\\u001f" in data
    j.path.write_bytes(data.replace(b"\\u001f", b"\\u001F"))  # parses to the same text, same hash
    result = verify(j.path)
    assert (result.ok, result.first_bad_line, result.reason) == (
        False,
        2,
        "line 2: not in canonical form (edited)",
    )


def test_read_events_does_not_modify_and_returns_the_valid_prefix(log_dir: Path) -> None:
    path = write_session(log_dir, 4)
    data = path.read_bytes()[:-10]
    path.write_bytes(data)
    events, result = read_events(path)
    assert [e.seq for e in events] == [0, 1, 2]
    assert result.first_bad_line == 4
    assert path.read_bytes() == data


def test_a_folder_is_not_a_session_log(tmp_path: Path) -> None:
    with pytest.raises(LogError, match=r"is a folder, not a session log$") as info:
        verify(tmp_path)
    assert "\n" not in info.value.message
    with pytest.raises(LogError, match="is a folder"):
        read_events(tmp_path)


@posix_only
def test_a_device_is_not_a_session_log() -> None:
    # /dev/null used to read as an intact log of 0 events.
    with pytest.raises(LogError, match=r"is not a regular file, not a session log$"):
        verify(Path(os.devnull))


def _within(seconds: float, call: Callable[[], Any], unblock: Callable[[], None]) -> Any:
    """call() in a thread; fail (instead of hanging the suite) if it blocks."""
    import threading

    result: list[Any] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as exc:  # handed to the test
            result.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        unblock()
        worker.join(seconds)
        pytest.fail("blocked reading a FIFO")
    return result[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_a_fifo_is_refused_without_blocking(log_dir: Path) -> None:
    fifo = log_dir / "fifo.jsonl"
    log_dir.mkdir(mode=0o700)
    os.mkfifo(fifo)

    def unblock(target: Path) -> Callable[[], None]:
        return lambda: os.close(os.open(target, os.O_WRONLY | os.O_NONBLOCK))

    outcome = _within(5, lambda: verify(fifo), unblock(fifo))
    assert isinstance(outcome, LogError) and "not a regular file" in outcome.message
    # A FIFO planted as the close anchor: the log is reported altered, without waiting.
    path = write_session(log_dir, 2)
    anchor = log_dir / f"{SID}.head"
    anchor.unlink()
    os.mkfifo(anchor)
    result = _within(5, lambda: verify(path), unblock(anchor))
    assert isinstance(result, journal.Verification)
    assert (result.ok, result.reason) == (False, "its close anchor cannot be read")


def test_an_unreadable_log_is_one_line(log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_session(log_dir, 2)
    real_open = os.open

    def denied(name: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(name) == path:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(name))
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(LogError, match=r"^cannot read session log .*: EACCES \(") as info:
        verify(path)
    assert "\n" not in info.value.message


@posix_only
@pytest.mark.skipif(POSIX and os.geteuid() == 0, reason="root reads a mode-000 file")
def test_a_mode_000_log_is_one_line(log_dir: Path) -> None:
    path = write_session(log_dir, 2)
    path.chmod(0)
    try:
        with pytest.raises(LogError, match="EACCES"):
            verify(path)
    finally:
        path.chmod(0o600)


def test_missing_log_is_a_log_error(tmp_path: Path) -> None:
    with pytest.raises(LogError):
        verify(tmp_path / "nope.jsonl")
    with pytest.raises(LogError):
        Journal.reopen(tmp_path / "nope.jsonl", expect_head=None)


# --- resume -----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("odd_umask")
def test_reopen_sets_a_torn_tail_aside_and_keeps_the_prefix(log_dir: Path) -> None:
    path = write_session(log_dir, 5, close=False)
    # Simulate a crash mid-write: no anchor, the last line cut short.
    data = path.read_bytes()
    valid, cut = data[: data.rindex(b"\n", 0, -1) + 1], data[:-7]
    torn = cut[len(valid) :]
    path.write_bytes(cut)

    j, events, got = resume(path, clock=lambda: datetime(2026, 11, 27, 13, 0, tzinfo=UTC))
    assert got == torn
    side = log_dir / f"{SID}.torn-20261127T130000Z"
    assert side.read_bytes() == torn
    if POSIX:
        assert stat.S_IMODE(side.stat().st_mode) == 0o600
    assert path.read_bytes() == valid
    assert [e.seq for e in events] == [0, 1, 2, 3]
    assert j.seq == 4 and j.head == events[-1].hash

    record = j.append("recovered", torn_bytes=len(torn))
    assert record["seq"] == 4 and record["prev"] == events[-1].hash
    j.close()
    assert path.read_bytes().startswith(valid)
    assert verify(path) == journal.Verification(True, 5, None, None)


def test_reopen_of_a_complete_last_line_without_newline_sets_it_aside(log_dir: Path) -> None:
    path = write_session(log_dir, 3, close=False)
    data = path.read_bytes()
    path.write_bytes(data[:-1])
    j, events, torn = resume(path)
    j.close()
    assert len(events) == 2 and torn == data[data.rindex(b"\n", 0, -1) + 1 : -1]


def test_two_recoveries_in_one_second_keep_both_side_files(log_dir: Path) -> None:
    path = write_session(log_dir, 3, close=False)
    at = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    for garbage in (b'{"seq":', b'{"oops'):
        with path.open("ab") as f:
            f.write(garbage)
        j, _, torn = resume(path, clock=lambda: at)
        j.close()
        assert torn == garbage
    assert sorted(p.name for p in log_dir.glob("*.torn-*")) == [
        f"{SID}.torn-20261127T130000Z",
        f"{SID}.torn-20261127T130000Z-2",
    ]


@pytest.mark.parametrize("tamper", [edit_value, delete_middle, truncate_end])
def test_reopen_refuses_a_log_altered_before_its_tail(
    log_dir: Path, tamper: Callable[[list[bytes]], list[bytes]]
) -> None:
    path = write_session(log_dir, 6)
    altered = b"".join(tamper(lines_of(path)))
    path.write_bytes(altered)
    events, _ = read_events(path)
    with pytest.raises(LogError, match="cannot resume"):
        Journal.reopen(path, expect_head=events[-1].hash)
    assert path.read_bytes() == altered
    assert not list(log_dir.glob("*.torn-*"))
    assert not verify(path).ok
    if POSIX:  # the refused reopen released its lock and its descriptor
        import fcntl

        with path.open("rb") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)


@pytest.mark.parametrize(
    "content",
    [b"remember the milk", b"first line\nlast line", b"", b"\n", b'{"seq":0,"prev":null}', b"\xff\xfe"],
    ids=["one-line", "two-lines", "empty", "blank", "half-an-event", "binary"],
)
@pytest.mark.parametrize("head", [None, "0" * 64])
def test_reopen_of_a_file_without_valid_events_changes_nothing(
    tmp_path: Path, content: bytes, head: str | None
) -> None:
    # `protocol resume notes.txt` once emptied notes.txt: its only line looked like a torn tail.
    notes = tmp_path / "notes.txt"
    notes.write_bytes(content)
    with pytest.raises(LogError, match="holds no valid session events") as info:
        Journal.reopen(notes, expect_head=head)
    assert "\n" not in info.value.message
    assert snapshot(tmp_path) == {"notes.txt": content}


def test_reopen_refuses_a_head_the_caller_did_not_see(log_dir: Path) -> None:
    path = write_session(log_dir, 5, close=False)
    path.write_bytes(path.read_bytes()[:-7])  # a torn tail: the one thing reopen would change
    before = snapshot(log_dir)
    events, _ = read_events(path)
    for stale in (events[-2].hash, None, "0" * 64):
        with pytest.raises(LogError, match="changed since it was read"):
            Journal.reopen(path, expect_head=stale)
        assert snapshot(log_dir) == before
    j, _, torn = Journal.reopen(path, expect_head=events[-1].hash)  # the lock was released each time
    j.close()
    assert torn is not None


def test_reopen_refuses_when_another_walker_resumed_in_between(log_dir: Path) -> None:
    path = write_session(log_dir, 4, close=False)
    path.write_bytes(path.read_bytes()[:-5])
    mine, _ = read_events(path)  # this walker reads, checks, ...
    other, _, _ = resume(path)  # ...another one resumes first and moves on
    other.append("answer", node="n", answer="y")
    other.close()
    after_other = snapshot(log_dir)
    with pytest.raises(LogError, match="changed since it was read"):
        Journal.reopen(path, expect_head=mine[-1].hash)
    assert snapshot(log_dir) == after_other and verify(path).ok


def test_a_refused_resume_leaves_a_torn_finished_log_alone(log_dir: Path) -> None:
    # The caller reads first, sees the outcome and never calls reopen: the torn tail stays as it was.
    j = Journal.create(log_dir, SID)
    j.append("start")
    j.append("outcome", node="resolved")
    j.close()
    with path_of(j).open("ab") as f:
        f.write(b'{"seq":2,')
    before = snapshot(log_dir)
    events, verdict = read_events(path_of(j))
    assert [e.event.kind for e in events] == ["start", "outcome"] and verdict.first_bad_line == 3
    assert snapshot(log_dir) == before


def test_reopen_of_an_empty_log_is_refused(log_dir: Path) -> None:
    Journal.create(log_dir, SID).close()
    with pytest.raises(LogError, match="no valid session events"):
        resume(log_dir / f"{SID}.jsonl")
    assert (log_dir / f"{SID}.jsonl").read_bytes() == b""


def path_of(j: Journal) -> Path:
    return Path(j.path)


# --- properties -------------------------------------------------------------------------------------

field_names = st.text(min_size=1, max_size=12).filter(lambda k: k not in journal.REQUIRED_FIELDS)
field_values = st.one_of(
    st.text(max_size=30),
    st.integers(),
    st.none(),
    st.booleans(),
    st.lists(st.one_of(st.text(max_size=10), st.integers()), max_size=3),
)
event_lists = st.lists(
    # Not "outcome": it ends a walk, and anything after it is an alteration (tested on its own below).
    st.tuples(st.text(min_size=1, max_size=12).filter(lambda e: e != "outcome"),
              st.dictionaries(field_names, field_values, max_size=4)),
    min_size=1,
    max_size=6,
)
fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def write_events(directory: Path, events: list[tuple[str, dict[str, Any]]]) -> tuple[Path, list[Any]]:
    j = Journal.create(directory, SID, clock=ticking_clock())
    written = [j.append(name, **fields) for name, fields in events]
    j.close()
    return j.path, written


@fast
@given(events=event_lists)
def test_round_trip(events: list[tuple[str, dict[str, Any]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path, written = write_events(Path(tmp), events)
        got, result = read_events(path)
        assert result.ok and result.count == len(events)
        assert [encode(line) for line in got] == written  # read back typed; each line as written
        for (name, fields), record in zip(events, [encode(line) for line in got], strict=True):
            assert record["event"] == name
            assert {k: record[k] for k in fields} == fields


@fast
@given(events=event_lists, data=st.data())
def test_any_flipped_byte_is_found_at_or_before_its_line(
    events: list[tuple[str, dict[str, Any]]], data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path, _ = write_events(Path(tmp), events)
        lines = lines_of(path)
        index = data.draw(st.integers(0, len(lines) - 1), label="line")
        offset = data.draw(st.integers(0, len(lines[index]) - 1), label="byte")
        mask = data.draw(st.integers(1, 255), label="xor")
        line = bytearray(lines[index])
        line[offset] ^= mask
        lines[index] = bytes(line)
        path.write_bytes(b"".join(lines))
        result = verify(path)
        assert not result.ok
        assert result.first_bad_line is not None and result.first_bad_line <= index + 1


@fast
@given(events=event_lists, data=st.data())
def test_any_deleted_line_is_found(events: list[tuple[str, dict[str, Any]]], data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path, _ = write_events(Path(tmp), events)
        lines = lines_of(path)
        index = data.draw(st.integers(0, len(lines) - 1), label="line")
        del lines[index]
        path.write_bytes(b"".join(lines))
        result = verify(path)
        assert not result.ok and result.first_bad_line == index + 1


# --- kill -9 ----------------------------------------------------------------------------------------

CHILD = """
import sys
from pathlib import Path
from aesthetic_protocols.journal import Journal

j = Journal.create(Path(sys.argv[1]), sys.argv[2])
while True:
    record = j.append("answer", node="n", answer="y" * 200)
    print(record["seq"], flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_9_keeps_every_acknowledged_event(log_dir: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(log_dir), SID], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    acknowledged = [int(child.stdout.readline()) for _ in range(30)]
    os.kill(child.pid, signal.SIGKILL)
    acknowledged += [int(line) for line in child.communicate(timeout=10)[0].split()]
    assert child.returncode == -signal.SIGKILL

    path = log_dir / f"{SID}.jsonl"
    events, _ = read_events(path)
    assert set(acknowledged) <= {e.seq for e in events}
    j, resumed, _torn = resume(path)  # the dead child's lock went with it
    assert [e.seq for e in resumed] == list(range(len(resumed)))
    assert set(acknowledged) <= {e.seq for e in resumed}
    j.append("recovered")
    j.close()
    assert verify(path).ok


# --- issue 9: what verify finds beyond the chain ------------------------------------------------------


def anchor_of(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.with_name(f"{path.stem}.head").read_bytes())
    return loaded


def chained_after(lines: list[bytes], *events: dict[str, Any]) -> list[bytes]:
    """Forged events correctly chained after the last line (what an editor with the format can do)."""
    out = list(lines)
    for fields in events:
        last = json.loads(out[-1])
        record = {"seq": last["seq"] + 1, "ts": last["ts"], "session": last["session"], "prev": last["hash"],
                  **fields}
        out.append(forge(record))
    return out


def rechained(lines: list[bytes], start: int) -> list[bytes]:
    """Lines from `start` on re-hashed into a consistent chain after an edit."""
    out = list(lines[:start])
    for line in lines[start:]:
        record = json.loads(line)
        record["prev"] = json.loads(out[-1])["hash"] if out else None
        out.append(forge(record))
    return out


def write_head(path: Path, lines: list[bytes], **extra: Any) -> None:
    last = json.loads(lines[-1])
    path.with_name(f"{path.stem}.head").write_bytes(
        canonical({"session": last["session"], "seq": last["seq"], "hash": last["hash"], **extra}) + b"\n")


def test_events_appended_after_the_close_are_found_with_the_head_untouched(log_dir: Path) -> None:
    path = write_session(log_dir, 6)
    path.write_bytes(b"".join(chained_after(lines_of(path), {"event": "answer", "node": "x", "answer": "y"},
                                            {"event": "outcome", "node": "resolved"})))
    result = verify(path)
    assert (result.ok, result.first_bad_line, result.reason) == (
        False, 7, "line 7: 2 event(s) after the close anchor (appended after the log was closed)")


def test_an_event_after_the_outcome_is_found(log_dir: Path) -> None:
    j = Journal.create(log_dir, SID, clock=ticking_clock())
    j.append("start")
    j.append("outcome", node="resolved")
    path = path_of(j)
    os.close(j._fd or -1)  # no close: no anchor to compare with
    j._fd = None
    path.write_bytes(b"".join(chained_after(lines_of(path), {"event": "note", "node": "n", "text": "later"})))
    result = verify(path)
    assert (result.ok, result.first_bad_line, result.reason) == (
        False, 3, "line 3: an event after the outcome (appended)")


def test_a_session_that_differs_from_the_file_name_is_found(log_dir: Path) -> None:
    path = write_session(log_dir, 3)
    other = log_dir / "20261127T000000Z-other-0000.jsonl"
    path.rename(other)
    path.with_name(f"{SID}.head").rename(other.with_name(f"{other.stem}.head"))
    result = verify(other)
    assert (result.ok, result.first_bad_line, result.reason) == (
        False, 1, "line 1: session differs from the file name")


def test_a_head_naming_another_session_is_found(log_dir: Path) -> None:
    path = write_session(log_dir, 3)
    head = path.with_name(f"{SID}.head")
    head.write_bytes(head.read_bytes().replace(SID.encode(), b"20261127T000000Z-other-0000"))
    result = verify(path)
    assert (result.ok, result.reason) == (False, "its close anchor belongs to another session")


def test_an_empty_log_is_not_intact(log_dir: Path) -> None:
    Journal.create(log_dir, SID).close()
    result = verify(log_dir / f"{SID}.jsonl")
    assert (result.ok, result.first_bad_line, result.reason) == (False, 1, "line 1: the log holds no events")


def test_a_resumed_walk_marks_its_anchor_open_until_it_closes(log_dir: Path) -> None:
    path = write_session(log_dir, 4)
    j, _, _ = resume(path)
    assert anchor_of(path)["open"] is True and anchor_of(path)["seq"] == 3
    j.append("resumed", node="n")
    j.append("answer", node="n", answer="y")
    live = verify(path)  # a walk in progress (or one killed before closing) is not an alteration
    assert (live.ok, live.count) == (True, 6)
    assert live.note == "not closed: a walk in progress, or one that stopped without closing"
    j.close()
    assert "open" not in anchor_of(path) and anchor_of(path)["seq"] == 5
    assert verify(path) == journal.Verification(True, 6, None, None)


def test_a_clock_going_backwards_is_a_warning(log_dir: Path) -> None:
    times = iter([datetime(2026, 11, 27, 12, 0, s, tzinfo=UTC) for s in (1, 5, 3, 9)])
    j = Journal.create(log_dir, SID, clock=lambda: next(times))
    for name in ("start", "answer", "answer", "answer"):
        j.append(name)
    j.close()
    result = verify(path_of(j))
    assert result.ok
    assert result.warnings == ("line 3: its time is before line 2's (the clock went backwards)",)


def test_a_line_being_written_is_not_called_altered(log_dir: Path) -> None:
    import threading

    path = write_session(log_dir, 3, close=False)
    j, _, _ = resume(path)
    whole = j.append("answer", node="n", answer="y")
    data = path.read_bytes()
    line = canonical(whole) + b"\n"
    path.write_bytes(data[: -len(line)] + line[:10])  # the reader arrives mid-write...

    def finish() -> None:
        path.write_bytes(data)  # ...and the write completes a moment later

    timer = threading.Timer(0.005, finish)
    timer.start()
    try:
        result = verify(path)
    finally:
        timer.join()
        j.close()
    assert result.ok and result.count == 4


def test_a_set_aside_on_a_full_disk_leaves_no_empty_side_file(log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_session(log_dir, 3, close=False)
    with path.open("ab") as f:
        f.write(b'{"seq":3,')

    def full(fd: int, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(durable, "_write_all", full)  # the side file is written through the platform layer
    with pytest.raises(NotRecorded, match="torn last line NOT set aside"):
        resume(path)
    assert not list(log_dir.glob("*.torn-*"))


def test_a_write_that_fails_is_cut_back_off(log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    j = Journal.create(log_dir, SID)
    j.append("start")
    before = j.path.read_bytes()

    def half_then_full(fd: int, data: bytes) -> None:
        os.write(fd, data[:7])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(journal, "_write_all", half_then_full)
    with pytest.raises(NotRecorded, match="step NOT recorded: ENOSPC"):
        j.append("answer", node="a", answer="y")
    j.close()
    assert j.path.read_bytes() == before


def test_head_given_on_the_command_line(log_dir: Path) -> None:
    path = write_session(log_dir, 5)
    lines = lines_of(path)
    last, earlier = json.loads(lines[-1])["hash"], json.loads(lines[2])["hash"]
    assert verify(path, head=last).ok
    later = verify(path, head=earlier)
    assert (later.ok, later.first_bad_line, later.reason) == (
        False, 4, "line 4: 2 event(s) after the head hash given (appended)")
    unknown = verify(path, head="0" * 64)
    assert (unknown.ok, unknown.first_bad_line, unknown.reason) == (
        False, 6, "the head hash given is not in the log (truncated or rewritten)")


# --- tamper properties over random logs: the local checks, and the outside anchors (--head, the witness) --

answer_events = st.lists(st.tuples(st.sampled_from(["answer", "note", "back", "wait-started"]),
                                   st.dictionaries(st.sampled_from(["node", "answer", "text"]),
                                                   st.text(max_size=8), max_size=3)),
                         min_size=1, max_size=8)


def closed_log(directory: Path, events: list[tuple[str, dict[str, Any]]], ends: bool,
               witness: Path | None = None, session: str = SID, protocol: str = "p") -> tuple[Path, str]:
    """A random closed log (ending in an outcome when `ends`), its witness written; returns (path, head)."""
    j = Journal.create(directory, session, clock=ticking_clock())
    j.witness = witness
    j.append("start", protocol=protocol, version="1.0.0")
    for name, fields in events:
        j.append(name, **fields)
    if ends:
        j.append("outcome", node="resolved")
    head = j.head
    j.close()
    assert head is not None
    return path_of(j), head


def witnessed_log(folder: Path, events: list[tuple[str, dict[str, Any]]], ends: bool) -> tuple[Path, str, Path]:
    witness = folder / "witness"
    path, head = closed_log(folder / "logs", events, ends, witness)
    return path, head, witness


@fast
@given(events=answer_events, ends=st.booleans(), extra=st.integers(1, 3))
def test_property_appended_events_are_found_without_any_outside_anchor(
    events: list[tuple[str, dict[str, Any]]], ends: bool, extra: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path, _ = closed_log(Path(tmp), events, ends)
        n = len(lines_of(path))
        forged = [{"event": "answer", "node": "x", "answer": str(i)} for i in range(extra)]
        path.write_bytes(b"".join(chained_after(lines_of(path), *forged)))
        result = verify(path)
        assert not result.ok and result.first_bad_line == n + 1


@fast
@given(events=answer_events, ends=st.booleans(), data=st.data())
def test_property_truncation_with_the_head_rewritten_or_deleted_is_found_by_the_outside_anchors(
    events: list[tuple[str, dict[str, Any]]], ends: bool, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path, head, witness = witnessed_log(Path(tmp), events, ends)
        lines = lines_of(path)
        keep = data.draw(st.integers(1, len(lines) - 1), label="keep")
        path.write_bytes(b"".join(lines[:keep]))
        if data.draw(st.booleans(), label="delete head"):
            path.with_name(f"{SID}.head").unlink()
        else:
            write_head(path, lines[:keep])
        assert not verify(path, witness=witness).ok
        assert not verify(path, head=head).ok


@fast
@given(events=answer_events, extra=st.integers(1, 3))
def test_property_events_appended_with_the_head_rewritten_or_deleted_are_found_by_the_witness(
    events: list[tuple[str, dict[str, Any]]], extra: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path, head, witness = witnessed_log(Path(tmp), events, False)
        forged = [{"event": "answer", "node": "x", "answer": str(i)} for i in range(extra)]
        path.write_bytes(b"".join(chained_after(lines_of(path), *forged)))
        head_file = path.with_name(f"{SID}.head")
        write_head(path, lines_of(path))  # first the anchor rewritten to the new end: only outside anchors tell
        assert verify(path).ok
        assert verify(path, witness=witness).reason == (
            f"line {len(lines_of(path)) - extra + 1}: {extra} event(s) after the head hash the witness records "
            "(appended)")
        head_file.unlink()  # then deleted
        assert verify(path).ok  # alone, it looks like a walk that stopped without closing
        result = verify(path, witness=witness)
        assert (result.ok, result.reason) == (
            False, "its close anchor is missing, yet the witness records a close (deleted)")
        assert not verify(path, head=head).ok


@fast
@given(events=answer_events, ends=st.booleans(), data=st.data())
def test_property_an_edit_rechained_with_the_head_rewritten_is_found_by_the_outside_anchors(
    events: list[tuple[str, dict[str, Any]]], ends: bool, data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path, head, witness = witnessed_log(Path(tmp), events, ends)
        lines = lines_of(path)
        index = data.draw(st.integers(1, len(lines) - 1), label="edited line")
        record = json.loads(lines[index])
        record["forged"] = True
        lines[index] = forge(record)
        lines = rechained(lines, index + 1)
        path.write_bytes(b"".join(lines))
        write_head(path, lines)
        assert verify(path).ok  # the chain and the rewritten .head agree: only an outside anchor can tell
        result = verify(path, witness=witness)
        assert not result.ok and result.reason == "the head hash the witness records is not in the log " \
                                                  "(truncated or rewritten)"
        assert not verify(path, head=head).ok


@fast
@given(mine=answer_events, theirs=answer_events, rewrite_session=st.booleans())
def test_property_another_sessions_log_and_head_copied_in_are_found(
    mine: list[tuple[str, dict[str, Any]]], theirs: list[tuple[str, dict[str, Any]]], rewrite_session: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        witness = folder / "witness"
        path, _ = closed_log(folder / "logs", mine, True, witness)
        other, _ = closed_log(folder / "logs", theirs, True, witness, session="20261127T000000Z-other-0000",
                              protocol="q")
        lines = lines_of(other)
        if rewrite_session:  # and, going further, re-chained under this session's name
            lines = rechained([line.replace(other.stem.encode(), SID.encode()) for line in lines], 0)
        path.write_bytes(b"".join(lines))
        write_head(path, lines)
        assert not verify(path, witness=witness).ok
        if not rewrite_session:
            assert not verify(path).ok  # the session field names the other file


def test_existing_log_looks_in_the_log_folder_then_its_drills_folder(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    main = folder / "20261128T080000Z-ptosis-a1b2.jsonl"
    drill = journal.drill_folder(folder) / "20261128T090000Z-ptosis-c3d4.jsonl"
    for path in (main, drill):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}\n")
    assert journal.drill_folder(folder) == folder / "drills"
    assert journal.existing_log(main.stem, folder) == main
    assert journal.existing_log("a1b2", folder) == main  # the short id on the screen
    assert journal.existing_log("c3d4", folder) == drill
    assert journal.existing_log("20261128T09", folder) == drill  # a unique start of the id
    assert journal.existing_log("drills/" + drill.name, folder) == drill  # a path from the log folder
    assert journal.existing_log(str(main), tmp_path / "elsewhere") == main


@pytest.mark.parametrize("ref", ["P-001", "20261128T07", "no/such/P-001.jsonl"])
def test_existing_log_refuses_a_missing_log_without_echoing_what_was_typed(tmp_path: Path, ref: str) -> None:
    folder = tmp_path / "logs"
    (folder / "drills").mkdir(parents=True)
    with pytest.raises(UsageError) as caught:
        journal.existing_log(ref, folder)
    assert ref not in caught.value.message and "P-001" not in caught.value.message
    expected = ("no session log at the path given" if "/" in ref
                else f"no session log matches that id in {folder} (nor in {folder / 'drills'})")
    assert caught.value.message == expected


def test_sessions_lists_readable_logs_marking_drills_and_altered_ones(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    for where, name in ((folder, "A"), (journal.drill_folder(folder), "B")):
        with Journal.create(where, name, clock=lambda: datetime(2026, 11, 28, 8, tzinfo=UTC)) as log:
            log.append("start", node="a", protocol="p", version="1", sha256="0" * 64)
            log.append("note", node="a", text="calm")
    (folder / "empty.jsonl").write_text("")
    altered = folder / "A.jsonl"
    altered.write_text(altered.read_text().replace('"calm"', '"CALM"'))
    assert [(s.path.name, s.intact, s.drill) for s in journal.sessions(folder)] == [("A.jsonl", False, False)]
    assert [(s.path.name, s.drill) for s in journal.sessions(folder, drills=True)] == [("A.jsonl", False),
                                                                                       ("B.jsonl", True)]
    assert journal.drill_count(folder) == 1 and journal.drill_count(tmp_path / "none") == 0
