"""Shell completion's words: protocol ids on the search path, session ids and short ids in the log folder.

Called by typer while the shell waits for a TAB, so: only names are listed (no file is parsed, pydantic is not
imported), nothing is written, and any problem gives no words rather than a message or a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

Words = Callable[..., list[str]]


def quiet(words: Callable[[Any, str], Iterable[str]]) -> Words:
    """A completion callback that never fails: a folder it cannot read, a bad option, anything, gives no words
    (a traceback in the middle of a command line being typed helps no one)."""

    def callback(ctx: Any, incomplete: str) -> list[str]:
        try:
            return sorted(set(words(ctx, incomplete)))
        except Exception:  # completion must stay silent whatever happens
            return []

    return callback


def _param(ctx: Any, name: str) -> Any:
    """A value already typed on the command line (`--log-dir`, `--protocols`); None when not given."""
    params = getattr(ctx, "params", None) or {}
    return params.get(name)


def protocol_id_words(ctx: Any, incomplete: str) -> list[str]:
    """The protocol ids on the search path (with any `--protocols` folders typed) that start with `incomplete`."""
    from aesthetic_protocols.search import discover, search_path

    extra = [Path(folder) for folder in _param(ctx, "protocols") or []]
    return [found for found in discover(search_path(extra)) if found.startswith(incomplete)]


def session_words(ctx: Any, incomplete: str) -> list[str]:
    """Session ids in the log folder (and its drills folder) that start with `incomplete`; the short ids the
    walker shows (the random tail) once one is being typed."""
    from aesthetic_protocols.journal import drill_folder, resolve_log_dir, short_id

    folder = resolve_log_dir(_param(ctx, "log_dir"))
    ids = [name[: -len(".jsonl")] for place in (folder, drill_folder(folder)) if place.is_dir()
           for name in os.listdir(place) if name.endswith(".jsonl")]
    words = [session_id for session_id in ids if session_id.startswith(incomplete)]
    if incomplete:
        words += [short_id(session_id) for session_id in ids if short_id(session_id).startswith(incomplete)]
    return words


complete_protocol_id = quiet(protocol_id_words)
complete_session = quiet(session_words)
