"""Shell completion's words: protocol ids on the search path, and session ids (full and short) in the log folder.

The CLI hands these to typer's completion callbacks; they never fail (a completion that raises would print a
traceback into the user's shell), they only offer less.
"""

from __future__ import annotations

from aesthetic_protocols.errors import ProtocolsError


def protocol_ids(incomplete: str) -> list[str]:
    """The protocol ids on the search path (with `AESTHETIC_PROTOCOLS_PATH`) that start with `incomplete`."""
    from aesthetic_protocols.search import discover, search_path

    try:
        found = discover(search_path())
    except (ProtocolsError, OSError):
        return []
    return sorted(name for name in found if name.startswith(incomplete))


def session_ids(incomplete: str) -> list[str]:
    """The sessions in the log folder (drills included): short ids and full ids that start with `incomplete`,
    newest first."""
    from aesthetic_protocols.journal import drill_folder, resolve_log_dir, short_id

    try:
        log_dir = resolve_log_dir(None)
        names = [path.stem for folder in (log_dir, drill_folder(log_dir)) if folder.is_dir()
                 for path in folder.glob("*.jsonl")]
    except (ProtocolsError, OSError):
        return []
    names.sort(reverse=True)  # ids begin with their UTC start time: newest first
    words = [short_id(name) for name in names] + names
    return [word for word in dict.fromkeys(words) if word.startswith(incomplete)]
