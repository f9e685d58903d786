"""Session logs as records: a `log list` row, the timeline, `log show`, and the md/html/json exports.

The record a clinician files (`record_markdown`, `record_html`) says who, which protocol version, what
was chosen in words, the data captured, the outcome with its instructions, red flags, corrections and a
signature line. `session_record` turns a log's events (and the protocol found for them, if any) into
plain data, rendered through templates that escape everything they are given. Old logs, without the
words and values the walker now records, still export sensibly: what the log lacks is looked up in the
protocol when the file found is the one walked, and otherwise shown as logged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from aesthetic_protocols.engine import Session, Taken, WalkError
from aesthetic_protocols.journal import parse_ts
from aesthetic_protocols.logged_protocol import LoggedProtocol
from aesthetic_protocols.model import (
    PLACEHOLDER_RE,
    ActionNode,
    AnyNode,
    InputNode,
    OutcomeNode,
    QuestionNode,
    RecordField,
    RecordNode,
    WaitNode,
)
from aesthetic_protocols.timeline import clock_text, printable, timeline


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


@dataclass(frozen=True)
class Row:
    """One timeline row: clock time, elapsed, step title, what was chosen in words, values, notes."""

    time: str
    elapsed: str
    step: str
    chosen: str
    values: str
    notes: str
    kind: str  # start | answer | flag | back | note | outcome | wait | event (for styling)
    corrected: str = ""  # a time correction, in words


@dataclass(frozen=True)
class Captured:
    """One recorded value (a record field or an input) as it stands after any back steps."""

    step: str
    item: str
    value: str
    time: str
    elapsed: str


@dataclass(frozen=True)
class Ending:
    """How the session ended: the outcome with its instructions, or why there is none."""

    title: str
    severity: str  # "" when no outcome was reached
    headline: str
    text: str
    steps: list[str]
    source: str  # where the instructions come from, or why there are none


@dataclass
class Record:
    """Everything the record shows, as text (rendered by the md and html templates)."""

    title: str
    anonymised: bool
    draft: bool
    drill: bool
    patient: str
    protocol: str  # title and version, for the header repeated on every printed page
    header: list[tuple[str, str]]
    times: str  # the one statement of the time zone (or that times are elapsed only)
    rows: list[Row]
    captured: list[Captured]
    ending: Ending
    red_flags: list[Row]
    corrections: list[Row]
    removed: list[str] = field(default_factory=list)


# --- small text helpers ---------------------------------------------------------------------------------


def _offset_text(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def _elapsed(seconds: float) -> str:
    return clock_text(int(seconds), signed=True)


def _words(name: str) -> str:
    return name.replace("_", " ").replace("-", " ")


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Clock:
    """Log times (UTC) as local clock times: the date and offset are stated once, then only on change."""

    def __init__(self, events: Sequence[dict[str, Any]], zone: tzinfo | None) -> None:
        self.zone = zone
        self.first = next((m for m in (parse_ts(e.get("ts")) for e in events) if m is not None), None)
        self.start = self.local(self.first) if self.first else None

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def time(self, moment: datetime | None) -> str:
        if moment is None or self.start is None:
            return ""
        here = self.local(moment)
        text = here.strftime("%H:%M:%S")
        if here.date() != self.start.date():
            text = here.strftime("%Y-%m-%d ") + text
        if here.utcoffset() != self.start.utcoffset():
            text += f" ({_offset_text(here)})"
        return text

    def elapsed(self, moment: datetime | None) -> str:
        if moment is None or self.first is None:
            return ""
        return _elapsed((moment - self.first).total_seconds())


# --- the record ---------------------------------------------------------------------------------------


def record_field(node: AnyNode | None, field_id: Any) -> RecordField | None:
    """The field `field_id` of a record node (None for another node kind or an unknown id)."""
    if isinstance(node, RecordNode):
        return next((item for item in node.fields if item.id == field_id), None)
    return None


class _Reader:
    """Reads events in words, with the protocol's help where the log lacks the words (old logs)."""

    def __init__(self, logged: LoggedProtocol | None) -> None:
        self.protocol = logged.protocol if logged else None
        # Words the log lacks are taken from the protocol only if it is the very file walked.
        self.same = bool(logged and logged.same)
        self.standing: list[Taken] = []  # the steps that stand so far (for doses an old log did not keep)

    def observe(self, event: dict[str, Any]) -> None:
        """Follow the walk: an answer or red flag is a step taken; `back` withdraws the last one."""
        kind = event.get("event")
        if kind == "answer":
            how = "field" if event.get("field") else "answer"
            self.standing.append(Taken(str(event.get("node")), how, str(event.get("answer", "")),
                                       str(event.get("next"))))
        elif kind == "red-flag":
            self.standing.append(Taken(str(event.get("node")), "flag", str(event.get("key")), str(event.get("goto"))))
        elif kind == "back" and self.standing:
            self.standing.pop()

    def shown(self, event: dict[str, Any]) -> list[str]:
        """Derived values shown with an answer (a dose): as logged, or for an old log worked out again from
        the protocol walked and the answers that stood then."""
        logged = event.get("shown")
        if isinstance(logged, dict):
            return [f"{_words(str(name))}: {text}" for name, text in logged.items()]
        node = self.node(event.get("node")) if self.same else None
        if node is None or self.protocol is None or "shown" in event:
            return []
        texts = [node.text or "", node.headline or "", *(node.steps if isinstance(node, ActionNode | WaitNode) else [])]
        names = [name for text in texts for name in PLACEHOLDER_RE.findall(text) if name in self.protocol.derived]
        if not names:
            return []
        then = Session(self.protocol, trail=list(self.standing))
        return [f"{_words(name)}: {then.render('{' + name + '}')}" for name in dict.fromkeys(names)]

    def node(self, node_id: Any) -> AnyNode | None:
        if self.protocol is None or not isinstance(node_id, str):
            return None
        return self.protocol.nodes.get(node_id)

    def title(self, node_id: Any, logged: Any = None) -> str:
        if isinstance(logged, str) and logged:
            return logged
        node = self.node(node_id)
        return node.title if node is not None else str(node_id or "")

    def answer(self, event: dict[str, Any]) -> tuple[str, str]:
        """(what was chosen in words, values recorded) for an answer event."""
        node = self.node(event.get("node")) if self.same else None
        answer = str(event.get("answer", ""))
        label = event.get("label")
        values: list[str] = []
        if event.get("field"):
            item = record_field(node, event["field"])
            value = event.get("value", answer)
            if item is not None and item.type == "choice":  # the key as its label
                value = next((c.label for c in item.choices if c.key == value), value)
            if value in ("", None):
                values.append("(left empty)")
            else:
                unit = event.get("unit") or (item.unit if item is not None else None)
                values.append(f"{_number(value)} {unit}" if unit else _number(value))
            chosen = str(label) if label else item.label if item is not None else _words(str(event["field"]))
        elif isinstance(label, str) and label:
            chosen = label[:1].upper() + label[1:]  # "done" as a row of its own reads "Done"
        elif isinstance(node, QuestionNode):
            chosen = next((o.label for o in node.options if o.key == answer), f"option {answer}")
        elif isinstance(node, InputNode):
            chosen = f"{answer} {node.unit}" if node.unit else answer
        elif answer == "":
            chosen = "Continued" if isinstance(node, WaitNode) else "Done"
        else:
            chosen = f"answered {answer}"
        if event.get("early"):
            chosen += " (continued before the wait was due)"
        return chosen, "; ".join(values)

    def is_value(self, event: dict[str, Any]) -> bool:
        """A recorded value (record field or input), as opposed to a choice or a done."""
        if event.get("field") or "value" in event:
            return True
        return isinstance(self.node(event.get("node")), InputNode)


def standing_steps(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answers and red flags that stand: each `back` withdraws the step taken last."""
    standing: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind in ("answer", "red-flag"):
            standing.append(event)
        elif kind == "back" and standing:
            standing.pop()
    return standing


def _correction(event: dict[str, Any], moment: datetime | None, clock: _Clock, anonymise: bool) -> str:
    done_at = parse_ts(event.get("done_at"))
    if done_at is None:
        return ""
    if anonymise or moment is None:
        minutes = round((moment - done_at).total_seconds() / 60) if moment is not None else 0
        return f"time corrected: done {minutes} min before it was recorded"
    return f"time corrected: done at {clock.local(done_at).strftime('%H:%M')}, recorded later"


def _row(event: dict[str, Any], reader: _Reader, clock: _Clock, anonymise: bool) -> Row | None:
    kind = event.get("event")
    moment = parse_ts(event.get("ts"))
    time = "" if anonymise else clock.time(moment)
    elapsed = clock.elapsed(moment)
    step = reader.title(event.get("node"), event.get("title"))
    corrected = _correction(event, moment, clock, anonymise)

    def row(chosen: str, values: str = "", notes: str = "", style: str = "event", title: str = step) -> Row:
        return Row(time, elapsed, title, chosen, values, notes, style, corrected)

    if kind == "start":
        what = f"{event.get('protocol', '?')} {event.get('version', '?')}"
        return row("Session started" + (" (training drill)" if event.get("drill") else ""), what,
                   style="start", title=str(event.get("title") or reader.title(event.get("node"))))
    if kind == "answer":
        chosen, values = reader.answer(event)
        return row(chosen, "; ".join([part for part in (values, *reader.shown(event)) if part]), style="answer")
    if kind == "wait-started":
        due = parse_ts(event.get("due"))
        when = clock.elapsed(due) if anonymise else clock.time(due)
        return row(f"Wait started: {event.get('minutes', '?')} min", f"due at {when}" if when else "", style="wait")
    if kind == "red-flag":
        target = reader.title(event.get("goto"))
        return row(f"RED FLAG [{event.get('key', '?')}] {event.get('label', '')}", f"went to: {target}", style="flag")
    if kind == "back":
        return row(f"Back to: {reader.title(event.get('to'))}", style="back")
    if kind == "note":
        if anonymise:
            return None
        return row("Note", notes=str(event.get("text", "")), style="note")
    if kind == "outcome":
        return row(f"Outcome reached ({event.get('severity', '?')})", style="outcome")
    if kind == "interrupted":
        return row(f"Interrupted ({event.get('reason', '?')})")
    if kind == "resumed":
        return row("Resumed")
    if kind == "protocol-changed":
        return row(f"Protocol changed: {event.get('old_version', '?')} -> {event.get('version', '?')} "
                   "(resumed with --force)", f"sha256 {event.get('sha256', '?')}")
    if kind == "torn-tail-recovered":
        return row(f"A torn last line ({event.get('bytes', '?')} bytes) was set aside on resume")
    return None


def _ending(events: Sequence[dict[str, Any]], logged: LoggedProtocol | None) -> Ending:
    outcome = next((e for e in reversed(events) if e.get("event") == "outcome"), None)
    if outcome is None:
        stop = next((e for e in reversed(events) if e.get("event") == "interrupted"), None)
        why = f"interrupted ({stop.get('reason', '?')}); resumable" if stop else "still open: no outcome recorded"
        return Ending("No outcome reached", "", "", "", [], f"The session was {why}.")
    protocol = logged.protocol if logged else None
    node = protocol.nodes.get(str(outcome.get("node"))) if protocol else None
    title = str(outcome.get("title") or (node.title if node else outcome.get("node", "")))
    severity = str(outcome.get("severity") or (node.severity if isinstance(node, OutcomeNode) else "?"))
    if protocol is None or not isinstance(node, OutcomeNode):
        return Ending(title, severity, "", "", [], "Instructions unavailable: " + (logged.check if logged else
                                                                                      "no protocol file was looked up"))
    render = _renderer(events, logged)
    headline = node.headline or ""
    source = (f"From protocol {protocol.id} {protocol.version}" +
              ("" if logged and logged.same else f" ({logged.check if logged else ''})"))
    return Ending(title, severity, render(headline), render(node.text or ""), [render(s) for s in node.steps], source)


def _renderer(events: Sequence[dict[str, Any]], logged: LoggedProtocol | None) -> Any:
    """Fill `{variables}` in the outcome's text with the session's values (the walk replayed)."""
    if logged is None or logged.protocol is None:
        return str
    try:
        session = Session.replay(logged.protocol, events)
    except (WalkError, ValueError, KeyError):
        return str
    return session.render


def _header(start: dict[str, Any], events: Sequence[dict[str, Any]], logged: LoggedProtocol | None,
            integrity: str | None, clock: _Clock, anonymise: bool) -> list[tuple[str, str]]:
    protocol = logged.protocol if logged else None
    status = str(start.get("status") or (protocol.status if protocol else "unknown"))
    status_text = ("DRAFT: reference content, not approved by a clinician" if status == "draft" else status)
    head = str(events[-1].get("hash", "")) if events else ""
    fields = [("Patient reference", str(start.get("patient") or "not given")),
              ("Practitioner", str(start.get("practitioner") or "not given")),
              ("Protocol", str(start.get("title") or (protocol.title if protocol else start.get("protocol", "?")))),
              ("Protocol id and version", f"{start.get('protocol', '?')} {start.get('version', '?')}"),
              ("Status", status_text),
              ("Protocol file sha256", str(start.get("sha256") or "not recorded in the log")),
              ("Protocol check", "not looked up" if logged is None else logged.check if logged.same
               else f"WARNING: {logged.check}"),
              ("Session", str(start.get("session", ""))),
              ("Started", "" if clock.start is None else clock.start.strftime("%Y-%m-%d %H:%M:%S ")
               + _offset_text(clock.start)),
              ("Log head hash", head),
              ("Log integrity", integrity or "not checked"),
              ("Recorded with", f"aesthetic-protocols {start.get('tool', '?')}"
               + (f", {start['face']} face" if start.get("face") else ""))]
    if head and start.get("session"):
        fields.insert(fields.index(("Log head hash", head)) + 1,
                      ("Check the log later", f"protocol log verify {start['session']} --head {head}"))
    if anonymise:
        hidden = {"Patient reference", "Practitioner", "Session", "Started", "Check the log later"}
        fields = [(name, value) for name, value in fields if name not in hidden]
    return fields


def session_record(events: Sequence[dict[str, Any]], logged: LoggedProtocol | None = None,
                   anonymise: bool = False, integrity: str | None = None, zone: tzinfo | None = None) -> Record:
    """The record of one session as plain data. `zone` defaults to this computer's local time zone."""
    start = events[0] if events and events[0].get("event") == "start" else {}
    clock = _Clock(events, zone)
    reader = _Reader(logged)
    rows = []
    for event in events:
        row = _row(event, reader, clock, anonymise)
        reader.observe(event)  # after the row: a dose shown is worked out from the steps before it
        if row is not None:
            rows.append(row)
    standing = standing_steps(events)
    captured = []
    for event in standing:
        if event.get("event") == "answer" and reader.is_value(event):
            chosen, values = reader.answer(event)
            moment = parse_ts(event.get("ts"))
            step = reader.title(event.get("node"), event.get("title"))
            node = reader.node(event.get("node"))
            entered = _words(node.variable) if isinstance(node, InputNode) else "number entered"
            item, value = (chosen, values) if event.get("field") else (entered, chosen)
            captured.append(Captured(step, item, value, "" if anonymise else clock.time(moment),
                                     clock.elapsed(moment)))
    protocol = logged.protocol if logged else None
    status = str(start.get("status") or (protocol.status if protocol else ""))
    removed = []
    if anonymise:
        notes = sum(1 for e in events if e.get("event") == "note")
        removed = ["patient reference", "practitioner", "session id", "dates and clock times (elapsed times kept)",
                   f"free-text notes ({notes})"]
    if clock.start is None:
        times = "No valid times in the log."
    elif anonymise:
        times = "Times are elapsed since the session started (clock times removed)."
    else:
        times = f"Times are local clock times, {_offset_text(clock.start)}; elapsed is since the session started."
    return Record(
        title="Session record" + (" (anonymised)" if anonymise else ""),
        anonymised=anonymise, draft=status == "draft", drill=bool(start.get("drill")),
        patient="" if anonymise else str(start.get("patient") or ""),
        protocol=f"{start.get('title') or (protocol.title if protocol else start.get('protocol', '?'))} "
                 f"{start.get('version', '')}".strip(),
        header=_header(start, events, logged, integrity, clock, anonymise),
        times=times, rows=rows, captured=captured, ending=_ending(events, logged),
        red_flags=[row for row in rows if row.kind == "flag"],
        corrections=[row for row in rows if row.kind == "back" or row.corrected],
        removed=removed)


def record_markdown(events: Sequence[dict[str, Any]], anonymise: bool = False, logged: LoggedProtocol | None = None,
                    integrity: str | None = None, zone: tzinfo | None = None) -> str:
    """The session record as Markdown (every value escaped)."""
    from aesthetic_protocols.report.templating import render

    return render("record.md.j2", record=session_record(events, logged, anonymise, integrity, zone))


def record_html(events: Sequence[dict[str, Any]], anonymise: bool = False, logged: LoggedProtocol | None = None,
                integrity: str | None = None, zone: tzinfo | None = None) -> str:
    """The session record as a standalone, printable HTML page (A4, header repeated on every page)."""
    from aesthetic_protocols.report.templating import render

    return render("record.html.j2", record=session_record(events, logged, anonymise, integrity, zone))


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
