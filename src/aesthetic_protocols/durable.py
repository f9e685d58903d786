"""The platform layer the session log and the protocol cache share: durable writes, locks, private folders.

Every difference between Linux, macOS and Windows lives here, in small branches: how data reaches stable
storage (fdatasync, F_FULLFSYNC, fsync), how a symlink is refused (O_NOFOLLOW or a check first), how one
writer is enforced (flock or msvcrt.locking), and what "private to this user" means (uid and mode bits,
or the ACLs on Windows). Nothing here knows what a session or a protocol is.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from pathlib import Path

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

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


def _describe(exc: OSError) -> str:
    """An OSError in one line: its errno name and text (never the path's contents)."""
    name = errno.errorcode.get(exc.errno or 0, "error")
    return f"{name} ({exc.strerror or exc})"


def _read_fd(fd: int) -> bytes:
    """Everything in the open file, from its start."""
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
    """Create `path` (must not exist), 0600, with `data`, synced; on failure nothing is left behind."""
    fd = _open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        _chmod_fd(fd, 0o600)
        _write_all(fd, data)
        _sync(fd)
    except BaseException:
        os.close(fd)
        # A half-written file (a full disk, a failed sync) must not stay behind as if it were whole.
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    os.close(fd)


def sync_folder(folder: Path) -> None:
    """Make the names just created in `folder` durable (a no-op where folders cannot be synced: Windows)."""
    _sync_dir(folder)


def write_new_file(path: Path, data: bytes) -> None:
    """Create `path` (it must not exist; a symlink there is refused), 0600, with `data`, synced, and its name
    synced into its folder; on failure nothing is left behind. OSError when it cannot be done."""
    _write_new_file(path, data)
    _sync_dir(path.parent)


def make_private_folder(folder: Path) -> str | None:
    """Make the missing folders of `folder` 0700; then why `folder` is not a private folder, or None.

    Only folders made here are chmod-ed: an existing one (the user's home, a project) is never narrowed
    behind the user's back, only reported. OSError for anything else. On Windows there is no mode or
    ownership check (see _not_private).
    """
    missing: list[Path] = []
    here = folder
    while not os.path.lexists(here) and here.parent != here:
        missing.append(here)
        here = here.parent
    for made in reversed(missing):  # parents first, each 0700 (XDG asks the same of data folders)
        try:
            os.mkdir(made, 0o700)
        except FileExistsError:
            continue  # made meanwhile by someone else: not ours to chmod; `folder` is checked below
        _chmod_new_dir(made)  # at once: a umask like 0o277 would leave the owner unable to go on
    st = folder.stat()  # also for a folder made here: it could have been swapped since
    if not stat.S_ISDIR(st.st_mode):
        return "not a folder"
    return _not_private(st)
