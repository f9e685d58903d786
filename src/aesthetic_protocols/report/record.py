"""Session logs as records: a `log list` row, the timeline, `log show`, and the md/html/json exports."""

from __future__ import annotations

import json
import re
from typing import Any

from aesthetic_protocols.journal import parse_ts
from aesthetic_protocols.report.review import md_escape

_TIMELINE_EVENTS = ("start", "answer", "red-flag", "back", "note", "outcome", "interrupted", "resumed",
                    "protocol-changed", "torn-tail-recovered")


def session_summary(events: list[dict[str, Any]]) -> dict[str, Any]:
    """One `log list` row: when, which protocol and version, how it ended, the patient reference."""
    start = events[0] if events and events[0].get("event") == "start" else {}
    end = next((e for e in reversed(events) if e.get("event") in {"outcome", "interrupted"}), None)
    if end is None:
        state = "open"
    elif end.get("event") == "outcome":
        state = f"{end.get('node')} ({end.get('severity')})"
    else:
        state = "interrupted"
    return {"session": start.get("session", events[0].get("session") if events else ""),
            "started": start.get("ts", ""), "protocol": start.get("protocol", "?"),
            "version": start.get("version", "?"), "state": state, "patient": start.get("patient", "")}


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


def timeline_text(events: list[dict[str, Any]]) -> str:
    """`log show`: a header and one line per event."""
    summary = session_summary(events)
    lines = [f"session {summary['session']}: {summary['protocol']} {summary['version']}, {summary['state']}"]
    if summary["patient"]:
        lines.append(f"patient reference: {summary['patient']}")
    start = events[0] if events else {}
    if start.get("practitioner"):
        lines.append(f"practitioner: {start['practitioner']}")
    for row in timeline(events):
        lines.append(f"{row['time']}  {row['elapsed']:>9}  {row['node']:<24}  {row['what']}")
    return "".join(printable(line) + "\n" for line in lines)  # a log may hold anything: show no escapes


def _record_header(events: list[dict[str, Any]], anonymise: bool) -> list[tuple[str, str]]:
    start = events[0] if events else {}
    summary = session_summary(events)
    fields = [("Protocol", f"{start.get('title', '')} ({summary['protocol']} {summary['version']}, "
                           f"{start.get('status', '?')})"),
              ("Protocol file sha256", str(start.get("sha256", ""))),
              ("Ended", summary["state"]),
              ("Log head hash", str(events[-1].get("hash", "")) if events else "")]
    if not anonymise:
        fields.insert(0, ("Session", str(summary["session"])))
        fields.insert(1, ("Started", str(summary["started"])))
        if summary["patient"]:
            fields.append(("Patient reference", str(summary["patient"])))
        if start.get("practitioner"):
            fields.append(("Practitioner", str(start["practitioner"])))
    return fields


def record_markdown(events: list[dict[str, Any]], anonymise: bool = False) -> str:
    """The session as a Markdown record (anonymised: no ids, names, dates or note text)."""
    out = ["# Session record" + (" (anonymised)" if anonymise else ""), ""]
    out += [f"- **{name}:** {value}" for name, value in _record_header(events, anonymise)]
    out += ["", "| Time | Elapsed | Step | What |", "|---|---|---|---|"]
    for row in timeline(events, anonymise):
        out.append(f"| {row['time']} | {row['elapsed']} | {row['node']} | {md_escape(row['what'])} |")
    return "\n".join(out) + "\n"


def record_html(events: list[dict[str, Any]], anonymise: bool = False) -> str:
    """The session as a standalone HTML page (escaped; prints without truncating answers)."""
    from html import escape

    title = "Session record" + (" (anonymised)" if anonymise else "")
    head = "".join(f"<tr><th>{escape(n)}</th><td>{escape(v)}</td></tr>" for n, v in _record_header(events, anonymise))
    rows = "".join(f"<tr><td>{escape(r['time'])}</td><td>{escape(r['elapsed'])}</td><td>{escape(r['node'])}</td>"
                   f"<td>{escape(r['what'])}</td></tr>" for r in timeline(events, anonymise))
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>body{{font-family:sans-serif}}td,th{{border:1px solid #999;"
            "padding:4px;vertical-align:top;white-space:pre-wrap}}table{border-collapse:collapse}</style></head>"
            f"<body><h1>{title}</h1><table>{head}</table><h2>Timeline</h2><table><tr><th>Time</th><th>Elapsed</th>"
            f"<th>Step</th><th>What</th></tr>{rows}</table></body></html>\n")


_PERSONAL_FIELDS = ("patient", "practitioner", "session", "ts", "done_at", "prev", "hash")


def record_json(events: list[dict[str, Any]], anonymise: bool = False) -> str:
    """The events as JSON; anonymised drops identities, clock times and note text (keeps elapsed)."""
    if not anonymise:
        return json.dumps(events, indent=2, ensure_ascii=False)
    first = parse_ts(events[0].get("ts")) if events else None
    cleaned = []
    for event in events:
        moment = parse_ts(event.get("ts"))
        item = {k: v for k, v in event.items() if k not in _PERSONAL_FIELDS}
        if first is not None and moment is not None:
            item["elapsed_s"] = int((moment - first).total_seconds())
        if item.get("event") == "note":
            item["text"] = "[removed]"
        cleaned.append(item)
    return json.dumps(cleaned, indent=2, ensure_ascii=False)
