"""A cache of validated protocols, so the chairside walk starts without parsing or validating YAML.

The key is the sha256 of the protocol file's bytes together with the tool's own model and rule sources, the
file name and today's date (a review can fall due overnight), so any change to any of them misses. Entries
are JSON (data only, never code: no pickle) read back by `rebuild` without running the validators. The
folder must be the user's own with no access for group or others (0700, as it is made); an entry must be a
regular file of the user's with no access for group or others, at most 8 MiB, carrying its own key and the
file's sha256. Anything else (a folder or entry cloned from a repository, another user's file, a symlink,
a corrupt entry) is ignored and rebuilt, never trusted; any failure to read or write the cache falls back
to the full load. `load_valid` is the way in: it imports the parser and the rules only on a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from aesthetic_protocols import __version__
from aesthetic_protocols.clinic_data import LoadedClinic
from aesthetic_protocols.durable import is_private, make_private_folder  # shared with the logs
from aesthetic_protocols.errors import Problem, Severity
from aesthetic_protocols.source import MAX_BYTES, Loaded, Source

CACHE_ENV = "AESTHETIC_PROTOCOLS_CACHE_DIR"
FORMAT = "aesthetic-protocols-cache/3"
SUFFIX = ".json"
MAX_ENTRY = 8 * 1024 * 1024  # far beyond the dump of a 1 MiB protocol; a larger entry is not ours
_CODE = ("model.py", "conditions.py", "tree.py", "facts.py", "checks.py", "loader.py", "source.py", "rebuild.py",
         "cache.py", "clinic_file.py", "clinic_data.py")


def load_valid(path: Path, today: date, display: str | None = None) -> tuple[Loaded, list[Problem]]:
    """A protocol fit to walk or show: raises InvalidProtocol on any error; returns the warnings.

    A file already validated today under this code comes from the cache without parsing or validating. Hit or
    miss, the protocol is the walk's plain classes (`tree`), rebuilt from the same JSON, never the validated
    pydantic models: every reader sees one kind of object.
    """
    try:
        raw = path.read_bytes() if path.stat().st_size <= MAX_BYTES else b""
    except OSError:
        raw = b""
    entry = key(raw, display or str(path), today) if raw else None
    hit = get(entry, hashlib.sha256(raw).hexdigest()) if entry else None
    if hit is not None:
        return hit
    from aesthetic_protocols.checks import load_checked  # only on a miss: the parser and the rules
    from aesthetic_protocols.rebuild import dump, rebuild
    from aesthetic_protocols.tree import Protocol

    loaded, problems = load_checked(path, today, display)
    if entry and hashlib.sha256(raw).hexdigest() == loaded.source.sha256:  # unchanged while we read it
        put(entry, loaded, problems)
    return Loaded(rebuild(Protocol, dump(loaded.protocol)), loaded.source), problems


def load_valid_clinic(path: Path, today: date) -> LoadedClinic:
    """A validated clinic file (raises InvalidProtocol on any error); one already validated today under this
    code comes from the cache, rebuilt as `clinic_data` classes, without the parser or pydantic."""
    try:
        raw = path.read_bytes() if path.stat().st_size <= MAX_BYTES else b""
    except OSError:
        raw = b""
    digest = hashlib.sha256(raw).hexdigest()
    entry_key = key(raw, f"clinic:{path}", today) if raw else None
    entry = _entry(entry_key) if entry_key else None
    if (isinstance(entry, dict) and entry.get("format") == FORMAT and entry.get("key") == entry_key
            and entry.get("sha256") == digest and isinstance(entry.get("path"), str)):
        from aesthetic_protocols.clinic_data import Clinic
        from aesthetic_protocols.rebuild import NotRebuilt, rebuild

        try:
            return LoadedClinic(rebuild(Clinic, entry["clinic"]), Source(path=entry["path"], data=None, sha256=digest))
        except (NotRebuilt, ValueError, TypeError, KeyError, RecursionError):
            pass
    from aesthetic_protocols.clinic_file import load

    loaded = load(path)
    if entry_key and loaded.sha256 == digest:
        from aesthetic_protocols.rebuild import dump

        entry = {"format": FORMAT, "key": entry_key, "path": loaded.source.path, "sha256": digest,
                 "clinic": dump(loaded.clinic)}
        _store(entry_key, lambda: json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode())
    return loaded


def _entry(entry_key: str) -> Any:
    """The JSON of an entry in a trusted folder, or None (no folder, no entry, not ours, not JSON)."""
    folder = cache_dir()
    if folder is None or not _trusted_folder(folder):
        return None
    raw = _read_entry(folder / f"{entry_key}{SUFFIX}")
    try:
        return None if raw is None else json.loads(raw)
    except (ValueError, RecursionError):
        return None


def cache_dir() -> Path | None:
    """The cache folder; None when caching is off (`AESTHETIC_PROTOCOLS_CACHE_DIR=off`)."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    import platformdirs

    return Path(platformdirs.user_cache_dir("aesthetic-protocols", appauthor=False)) / "protocols"


def key(raw: bytes, name: str, today: date) -> str:
    """The cache key of a protocol file's bytes under this version of the code, today."""
    digest = hashlib.sha256()
    for part in (__version__.encode(), name.encode(), today.isoformat().encode(), raw):
        digest.update(len(part).to_bytes(8, "big") + part)
    here = Path(__file__).parent
    for module in _CODE:
        digest.update((here / module).read_bytes())
    return digest.hexdigest()


def _closed(st: os.stat_result) -> bool:
    """No access at all for group or others (where there are modes): a cloned 0755/0644 tree is not ours."""
    return not hasattr(os, "getuid") or not st.st_mode & 0o077


def _read_entry(path: Path) -> bytes | None:
    """The entry's bytes if it is a regular file of ours, closed to others and not too large; else None."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_ENTRY or not _closed(st):
            return None
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(MAX_ENTRY + 1)
        return data if len(data) <= MAX_ENTRY else None
    except OSError:
        return None
    finally:
        os.close(fd)


def _trusted_folder(folder: Path) -> bool:
    try:
        return is_private(folder) and _closed(folder.stat())
    except OSError:
        return False


def get(entry_key: str, sha256: str | None = None) -> tuple[Loaded, list[Problem]] | None:
    """A cached (loaded protocol, warnings), or None (a miss, a corrupt or a foreign entry)."""
    entry = _entry(entry_key)
    if entry is None:
        return None
    try:
        return _decode(entry, entry_key, sha256)
    except (ValueError, TypeError, KeyError, RecursionError):  # corrupt or planted: only a miss
        return None


def _decode(entry: Any, entry_key: str, sha256: str | None) -> tuple[Loaded, list[Problem]] | None:
    if not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("key") != entry_key:
        return None
    if sha256 is not None and entry.get("sha256") != sha256:
        return None
    from aesthetic_protocols.rebuild import rebuild
    from aesthetic_protocols.tree import Protocol

    protocol = rebuild(Protocol, entry["protocol"])
    path, digest = entry["path"], entry["sha256"]
    if not isinstance(path, str) or not isinstance(digest, str):
        return None
    warnings = [Problem(str(p), int(line), int(column), Severity(severity), str(rule), str(message))
                for p, line, column, severity, rule, message in entry["warnings"]]
    return Loaded(protocol, Source(path=path, data=None, sha256=digest)), warnings


def _encode(entry_key: str, loaded: Loaded, warnings: list[Problem]) -> bytes:
    from aesthetic_protocols.rebuild import dump

    entry = {
        "format": FORMAT,
        "key": entry_key,
        "path": loaded.source.path,
        "sha256": loaded.source.sha256,
        "protocol": dump(loaded.protocol),
        "warnings": [[p.path, p.line, p.column, str(p.severity), p.rule, p.message] for p in warnings],
    }
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()


def put(entry_key: str, loaded: Loaded, warnings: list[Problem]) -> None:
    """Store an entry atomically; never fails the caller."""
    _store(entry_key, lambda: _encode(entry_key, loaded, warnings))


def _store(entry_key: str, encoded: Callable[[], bytes]) -> None:
    """Write an entry atomically where only we can read or swap it; never fails the caller."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        if folder.exists() and not _trusted_folder(folder):
            return  # never write where someone else could read or swap entries
        # Parents too, each 0700 whatever the umask (mkdir(parents=True) would leave them 0777 under 000).
        if not folder.exists() and make_private_folder(folder) is not None:
            return
        data = encoded()
        import tempfile  # only when writing: a warm start never does

        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")  # 0600, ours
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, folder / f"{entry_key}{SUFFIX}")
    except (OSError, ValueError):
        return
