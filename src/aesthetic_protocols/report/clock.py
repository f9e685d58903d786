"""Every clock time a person reads: local time, with its UTC offset stated once, and durations.

The log keeps UTC (`ts`, ISO with Z); what is shown is the reader's local time (`zone`, by default this
computer's, as set by TZ), so `log list`, `log show`, the record and the walker's screens agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo
from typing import Any

from aesthetic_protocols.events import Logged
from aesthetic_protocols.journal import parse_ts


def clock_text(seconds: int, signed: bool = False) -> str:
    """A duration: `MM:SS` (`H:MM:SS` from an hour); signed, always `+H:MM:SS` (timeline columns align)."""
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if signed:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def offset_text(moment: datetime) -> str:
    """The moment's UTC offset in words: `UTC+01:00`."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def local(moment: datetime, zone: tzinfo | None = None) -> datetime:
    """A moment in local time (`zone`, by default this computer's)."""
    return moment.astimezone(zone)


def stamp(value: Any, zone: tzinfo | None = None) -> str:
    """A log time as a local date and clock time, `YYYY-MM-DD HH:MM:SS` ("" if it is no time)."""
    moment = parse_ts(value)
    return "" if moment is None else local(moment, zone).strftime("%Y-%m-%d %H:%M:%S")


def zone_note(values: Iterable[Any], zone: tzinfo | None = None) -> str:
    """The one statement of the offset for a list of log times: `times are local, UTC+01:00` (each offset
    in use when a clock change falls among them; "" when there is no valid time)."""
    offsets = dict.fromkeys(offset_text(local(m, zone)) for m in map(parse_ts, values) if m is not None)
    return f"times are local, {' / '.join(offsets)}" if offsets else ""


class Clock:
    """Log times (UTC) as local clock times for one session: the date and offset are stated once (from its
    first valid time), then only where they change."""

    def __init__(self, events: Iterable[Logged], zone: tzinfo | None = None) -> None:
        self.zone = zone
        self.first = next((m for m in (e.moment for e in events) if m is not None), None)
        self.start = self.local(self.first) if self.first else None

    def local(self, moment: datetime) -> datetime:
        """A moment in this clock's zone."""
        return local(moment, self.zone)

    def started(self) -> str:
        """When the session started, with the date and offset: `2026-11-28 09:00:00 UTC+01:00`."""
        return "" if self.start is None else self.start.strftime("%Y-%m-%d %H:%M:%S ") + offset_text(self.start)

    def time(self, moment: datetime | None, seconds: bool = True) -> str:
        """`HH:MM:SS` (or `HH:MM`), with the date if it is not the start's, and the offset if it is not the
        start's."""
        if moment is None or self.start is None:
            return ""
        here = self.local(moment)
        text = here.strftime("%H:%M:%S" if seconds else "%H:%M")
        if here.date() != self.start.date():
            text = here.strftime("%Y-%m-%d ") + text
        if here.utcoffset() != self.start.utcoffset():
            text += f" ({offset_text(here)})"
        return text

    def elapsed(self, moment: datetime | None) -> str:
        """Time since the session started, `+H:MM:SS`."""
        if moment is None or self.first is None:
            return ""
        return clock_text(int((moment - self.first).total_seconds()), signed=True)
