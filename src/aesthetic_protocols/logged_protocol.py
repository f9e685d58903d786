"""The protocol a session log ran under, found again on the search path for its export.

A record needs the protocol for what the log does not hold (an outcome's instructions, the questions
of a FHIR Questionnaire). The file found now may not be the file walked: its sha256 is compared with
the one in the log's start event, and the result is said in one line on the export.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from aesthetic_protocols.errors import ProtocolsError
from aesthetic_protocols.events import Logged, StartEvent, decode_all
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.tree import Protocol


@dataclass(frozen=True)
class LoggedProtocol:
    """The protocol file found for a log (None if none could be loaded) and how it relates to the log."""

    protocol: Protocol | None
    sha256: str | None  # of the file found now
    same: bool  # the file found is byte for byte the one walked (same sha256 as the log's)
    check: str  # one line for the export, e.g. "the protocol file found matches the log's sha256"


def find_logged_protocol(lines: Sequence[Logged | Mapping[str, Any]], dirs: Sequence[Path],
                         today: date) -> LoggedProtocol:
    """Load the start event's protocol id from the search path and compare its sha256 with the log's."""
    from aesthetic_protocols.cache import load_valid
    from aesthetic_protocols.search import resolve_id

    start = decode_all(lines[:1])[0].event if lines else None
    protocol_id = start.protocol if isinstance(start, StartEvent) else ""
    logged_sha = start.sha256 if isinstance(start, StartEvent) else ""
    if not protocol_id:
        return LoggedProtocol(None, None, False, "the log names no protocol: labels come from the log alone")
    try:
        loaded, _ = load_valid(resolve_id(protocol_id, dirs).path, today)
    except ProtocolsError:
        return LoggedProtocol(None, None, False, f"protocol {protocol_id} was not found on the search path (or is "
                                                 "invalid): labels come from the log alone")
    found = loaded.source.sha256
    if not logged_sha:
        return LoggedProtocol(loaded.protocol, found, False,
                              f"the log holds no sha256 of its protocol file; protocol {protocol_id} "
                              f"{loaded.protocol.version} as found now (sha256 {found}) is used")
    if found != logged_sha:
        return LoggedProtocol(loaded.protocol, found, False,
                              f"the protocol file found now differs from the one walked (sha256 {found}, "
                              f"version {loaded.protocol.version}); instructions shown are from the file found now")
    return LoggedProtocol(loaded.protocol, found, True, "the protocol file found matches the log's sha256")
