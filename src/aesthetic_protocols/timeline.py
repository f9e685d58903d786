"""A session's timeline: one row per event, with its clock time, the time since the start and what happened.

The end screen of a walk shows it, `log show` prints it and the records build on it. Apart from the report
package, so that a walk's end screen needs none of the renderers.
"""

from __future__ import annotations

import re
from typing import Any

from aesthetic_protocols.journal import parse_ts

_TIMELINE_EVENTS = ("start", "answer", "red-flag", "back", "note", "outcome", "interrupted", "resumed",
                    "protocol-changed", "torn-tail-recovered")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: Any) -> str:
    """Text from a log made safe for a terminal: control characters (escape sequences) become '?'."""
    return _CONTROL.sub("?", str(text))


def describe(event: dict[str, Any], anonymise: bool = False) -> str:
    """A short human description of one event, for timelines (anonymised: no clock times, no note text)."""
    kind = event.get("event")
    if kind == "start":
        return f"started {event.get('protocol')} {event.get('version')} ({event.get('status')})"
    if kind == "answer":
        answer = event.get("answer")
        text = f"answered {answer}" if answer else "done"
        if event.get("done_at"):
            text += " (time corrected)" if anonymise else f" (done at {event['done_at']})"
        if event.get("early"):
            text += " (continued before the wait ended)"
        return text
    if kind == "red-flag":
        return f"RED FLAG [{event.get('key')}] {event.get('label')} -> {event.get('goto')}"
    if kind == "back":
        return f"back to {event.get('to')}"
    if kind == "note":
        return "note: [removed]" if anonymise else f"note: {printable(event.get('text'))}"
    if kind == "outcome":
        return f"OUTCOME {event.get('title')} ({event.get('severity')})"
    if kind == "interrupted":
        return f"interrupted ({event.get('reason')})"
    if kind == "protocol-changed":
        return f"protocol changed: {event.get('old_version')} -> {event.get('version')} (resumed with --force)"
    if kind == "torn-tail-recovered":
        return f"torn last line ({event.get('bytes')} bytes) set aside on resume"
    return str(kind)


def timeline(events: list[dict[str, Any]], anonymise: bool = False) -> list[dict[str, str]]:
    """Rows of clock time (UTC), elapsed since the start, node and what happened."""
    first = parse_ts(events[0].get("ts")) if events else None
    rows = []
    for event in events:
        if event.get("event") not in _TIMELINE_EVENTS:
            continue
        moment = parse_ts(event.get("ts"))
        since = ("" if first is None or moment is None
                 else clock_text(int((moment - first).total_seconds()), signed=True))
        what = describe(event, anonymise)
        rows.append({"time": "" if anonymise or moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC"),
                     "elapsed": since, "node": str(event.get("node") or ""), "what": what})
    return rows


def clock_text(seconds: int, signed: bool = False) -> str:
    """A duration: `MM:SS` (`H:MM:SS` from an hour); signed, always `+H:MM:SS` (timeline columns align)."""
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if signed:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
