"""A cache of validated protocols, so the chairside walk starts without parsing or validating YAML.

The key is the sha256 of the protocol file's bytes together with the tool's own model and rule sources, the
file name and today's date (a review can fall due overnight), so any change to any of them misses. Entries
are pickles in a 0700 folder of the user's own; an entry not owned by the user, or writable by others, is
ignored, and any failure to read or write the cache falls back to the full load. `load_valid` is the way in:
it imports the parser and the rules only on a miss.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from datetime import date
from pathlib import Path

from aesthetic_protocols import __version__
from aesthetic_protocols.durable import is_private, make_private_folder  # shared with the logs
from aesthetic_protocols.errors import Problem
from aesthetic_protocols.source import MAX_BYTES, Loaded

CACHE_ENV = "AESTHETIC_PROTOCOLS_CACHE_DIR"
_CODE = ("model.py", "checks.py", "loader.py", "source.py")


def load_valid(path: Path, today: date, display: str | None = None) -> tuple[Loaded, list[Problem]]:
    """A protocol fit to walk or show: raises InvalidProtocol on any error; returns the warnings.

    A file already validated today under this code comes from the cache without parsing or validating.
    """
    try:
        raw = path.read_bytes() if path.stat().st_size <= MAX_BYTES else b""
    except OSError:
        raw = b""
    entry = key(raw, display or str(path), today) if raw else None
    hit = get(entry) if entry else None
    if hit is not None:
        return hit
    from aesthetic_protocols.checks import load_checked  # only on a miss: the parser and the rules

    loaded, problems = load_checked(path, today, display)
    if entry and hashlib.sha256(raw).hexdigest() == loaded.source.sha256:  # unchanged while we read it
        put(entry, loaded, problems)
    return loaded, problems


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


def get(entry_key: str) -> tuple[Loaded, list[Problem]] | None:
    """A cached (loaded protocol, warnings), or None."""
    folder = cache_dir()
    if folder is None or not is_private(folder):
        return None
    path = folder / f"{entry_key}.pickle"
    if not is_private(path):
        return None
    try:
        with path.open("rb") as handle:
            value = pickle.load(handle)
    except Exception:  # a corrupt or stale entry is only a miss
        return None
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], Loaded):
        return value[0], list(value[1])
    return None


def put(entry_key: str, loaded: Loaded, warnings: list[Problem]) -> None:
    """Store an entry atomically; never fails the caller."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        if folder.exists() and not is_private(folder):
            return  # never leave pickles where someone else could swap them
        # Parents too, each 0700 whatever the umask (mkdir(parents=True) would leave them 0777 under 000).
        if not folder.exists() and make_private_folder(folder) is not None:
            return
        import tempfile  # only when writing: a warm start never does

        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(handle, "wb") as out:
            pickle.dump((loaded, warnings), out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, folder / f"{entry_key}.pickle")
    except OSError:
        return

