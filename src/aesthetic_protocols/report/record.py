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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from aesthetic_protocols.engine import Session, WalkError
from aesthetic_protocols.journal import parse_ts
from aesthetic_protocols.logged_protocol import LoggedProtocol
from aesthetic_protocols.model import (
    PLACEHOLDER_RE,
    ActionNode,
    AnyNode,
    InputNode,
    OutcomeNode,
    WaitNode,
)
from aesthetic_protocols.recorded import ending, outcome_event, recorded_steps, standing, withdrawn_flags
from aesthetic_protocols.report.answers import REMOVED, Said, in_words, said, withheld
from aesthetic_protocols.report.clock import Clock, offset_text, stamp
from aesthetic_protocols.report.templating import visible


def session_summary(events: list[dict[str, Any]]) -> dict[str, Any]:
    """One `log list` row: when, which protocol and version, how it ended, the patient reference."""
    start = events[0] if events and events[0].get("event") == "start" else {}
    end = ending(events)
    if end is None:
        state = "open"
    elif end.get("event") == "outcome":  # the outcome's title as the walker showed it (an old log: its id)
        state = f"{end.get('title') or end.get('node')} ({end.get('severity')})"
        if end.get("until_handover") is True and not any(e.get("event") == "handover" for e in events):
            state += ", open until handover"
    else:
        state = "interrupted"
    return {"session": start.get("session", events[0].get("session") if events else ""),
            "started": start.get("ts", ""), "protocol": start.get("protocol", "?"),
            "version": start.get("version", "?"), "state": state, "patient": start.get("patient", "")}


def describe(row: Row) -> str:
    """A timeline row as one line of words, as the record says it (`log show`, the walker's end screen)."""
    what = row.chosen
    if row.values:
        what += f": {row.values}" if row.is_field else f" ({row.values})"
    if row.notes:
        what += f": {row.notes}"
    return what + (f" ({row.corrected})" if row.corrected else "")


def timeline(events: list[dict[str, Any]], anonymise: bool = False, logged: LoggedProtocol | None = None,
             zone: tzinfo | None = None) -> list[dict[str, str]]:
    """Rows of local date and clock time, elapsed since the start, the step's title and what happened in
    words: the record's own rows (`logged`, the protocol walked, words what an old log lacks)."""
    clock = Clock(events, zone)
    return [{"time": "" if anonymise else stamp(event.get("ts"), zone), "elapsed": row.elapsed, "node": row.step,
             "what": describe(row)} for event, row in _rows(events, _Reader(logged, anonymise), clock, anonymise)]


def timeline_text(events: list[dict[str, Any]], logged: LoggedProtocol | None = None,
                  zone: tzinfo | None = None) -> str:
    """`log show`: a header (when it started, in local time with its offset) and one line per event, in the
    record's words and clock times."""
    summary = session_summary(events)
    clock = Clock(events, zone)
    lines = [f"session {summary['session']}: {summary['protocol']} {summary['version']}, {summary['state']}"]
    if summary["patient"]:
        lines.append(f"patient reference: {summary['patient']}")
    start = events[0] if events else {}
    if start.get("practitioner"):
        lines.append(f"practitioner: {start['practitioner']}")
    if clock.start is not None:
        lines.append(f"started: {clock.started()} (times below are local)")
    rows = [row for _, row in _rows(events, _Reader(logged), clock, False)]
    width = max((len(row.step) for row in rows), default=0)
    for row in rows:
        lines.append(f"{row.time}  {row.elapsed:>9}  {row.step:<{width}}  {describe(row)}".rstrip())
    return "".join(visible(line) + "\n" for line in lines)  # a log may hold anything: show no escapes


@dataclass(frozen=True)
class Row:
    """One timeline row: clock time, elapsed, step title, what was chosen in words, values, notes."""

    time: str
    elapsed: str
    step: str
    chosen: str
    values: str
    notes: str
    kind: str  # start | answer | flag | withdrawn | logged | withdrawn-entry | back | note | outcome | wait | event
    corrected: str = ""  # a time correction, in words
    is_field: bool = False  # a record field: `chosen` is its label, `values` its value


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


# --- the record ---------------------------------------------------------------------------------------


class _Reader:
    """Reads events in words, with the protocol's help where the log lacks the words (old logs)."""

    def __init__(self, logged: LoggedProtocol | None, anonymise: bool = False) -> None:
        self.protocol = logged.protocol if logged else None
        # Words the log lacks are taken from the protocol only if it is the very file walked.
        self.same = bool(logged and logged.same)
        self.anonymise = anonymise
        self.titles: dict[str, str] = {}  # titles the log gives a node (for its events that carry none)
        self.withdrawn: dict[int, dict[str, Any]] = {}  # red flag's seq -> the back that withdrew it
        self.withdrawn_entries: dict[int, dict[str, Any]] = {}  # log entry's seq -> the entry withdrawing it

    def shown(self, event: dict[str, Any], before: Sequence[dict[str, Any]]) -> list[str]:
        """Derived values shown with an answer (a dose): as logged, or for an old log worked out again from
        the protocol walked and the steps that stood then (`before`: the events before this one)."""
        logged = event.get("shown")
        if isinstance(logged, dict):
            return [f"{in_words(str(name))}: {text}" for name, text in logged.items()]
        node = self.node(event.get("node")) if self.same else None
        if node is None or self.protocol is None or "shown" in event:
            return []
        texts = [node.text or "", node.headline or "", *(node.steps if isinstance(node, ActionNode | WaitNode) else [])]
        names = [name for text in texts for name in PLACEHOLDER_RE.findall(text) if name in self.protocol.derived]
        if not names:
            return []
        then = Session(self.protocol, trail=recorded_steps(before))
        return [f"{in_words(name)}: {then.render('{' + name + '}')}" for name in dict.fromkeys(names)]

    def node(self, node_id: Any) -> AnyNode | None:
        if self.protocol is None or not isinstance(node_id, str):
            return None
        return self.protocol.nodes.get(node_id)

    def title(self, node_id: Any, logged: Any = None) -> str:
        if isinstance(logged, str) and logged:
            return logged
        node = self.node(node_id)
        return node.title if node is not None else self.titles.get(str(node_id), str(node_id or ""))

    def said(self, event: dict[str, Any]) -> Said:
        """The answer in words (the protocol's words only if it is the very file walked)."""
        return said(event, self.protocol if self.same else None)

    def answer(self, event: dict[str, Any]) -> tuple[str, str]:
        """(what was chosen in words, values recorded) for an answer event."""
        words = self.said(event)
        chosen = words.label + (" (continued before the wait was due)" if words.early else "")
        if words.kind != "field":
            return chosen, ""
        hidden = self.anonymise and not words.empty and withheld(event, self.protocol)
        return chosen, REMOVED if hidden else words.value_text

    def is_value(self, event: dict[str, Any]) -> bool:
        """A recorded value (record field or input), as opposed to a choice or a done."""
        return self.said(event).kind in ("field", "input")


def _correction(event: dict[str, Any], moment: datetime | None, clock: Clock, anonymise: bool) -> str:
    done_at = parse_ts(event.get("done_at"))
    if done_at is None:
        return ""
    if anonymise or moment is None:
        minutes = round((moment - done_at).total_seconds() / 60) if moment is not None else 0
        return f"time corrected: done {minutes} min before it was recorded"
    # The date is said when it is not the session's: a time typed as "yesterday" must read so on the record.
    return f"time corrected: done at {clock.time(done_at, seconds=False)}, recorded later"


def _row(event: dict[str, Any], before: Sequence[dict[str, Any]], reader: _Reader, clock: Clock,
         anonymise: bool) -> Row | None:
    kind = event.get("event")
    moment = parse_ts(event.get("ts"))
    time = "" if anonymise else clock.time(moment)
    elapsed = clock.elapsed(moment)
    step = reader.title(event.get("node"), event.get("title"))
    corrected = _correction(event, moment, clock, anonymise)

    def row(chosen: str, values: str = "", notes: str = "", style: str = "event", title: str = step,
            is_field: bool = False) -> Row:
        return Row(time, elapsed, title, chosen, values, notes, style, corrected, is_field)

    if kind == "start":
        what = f"{event.get('protocol', '?')} {event.get('version', '?')}"
        return row("Session started" + (" (training drill)" if event.get("drill") else ""), what,
                   style="start", title=str(event.get("title") or reader.title(event.get("node"))))
    if kind == "answer":
        chosen, values = reader.answer(event)
        return row(chosen, "; ".join([part for part in (values, *reader.shown(event, before)) if part]), style="answer",
                   is_field=bool(event.get("field")))
    if kind == "wait-started":
        due = parse_ts(event.get("due"))
        when = clock.elapsed(due) if anonymise else clock.time(due)
        return row(f"Wait started: {event.get('minutes', '?')} min", f"due at {when}" if when else "", style="wait")
    if kind == "red-flag":
        target = reader.title(event.get("goto"))
        flag = f"RED FLAG [{event.get('key', '?')}] {event.get('label', '')}"
        back = reader.withdrawn.get(event["seq"]) if type(event.get("seq")) is int else None
        if back is not None:  # raised by mistake: struck through, with both times
            gone = parse_ts(back.get("ts"))
            when = clock.elapsed(gone) if anonymise else clock.time(gone)
            return row(f"{flag} (withdrawn at {when})", f"went to: {target}", style="withdrawn")
        return row(flag, f"went to: {target}", style="flag")
    if kind in ("logged", "handover"):
        return _handover_row(event, reader, clock, anonymise, row)
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


def _handover_row(event: dict[str, Any], reader: _Reader, clock: Clock, anonymise: bool,
                  row: Callable[..., Row]) -> Row:
    """A log entry made until handover (struck through once withdrawn, with both times), or the handover."""
    moment = parse_ts(event.get("time"))
    when = clock.elapsed(moment) if anonymise else clock.time(moment)
    if event.get("event") == "handover":
        to = "" if anonymise or not event.get("to") else f" to {event.get('to')}"
        return row(f"Handed over{to}", f"at {when}", style="outcome")
    label = str(event.get("label", ""))
    if type(event.get("withdraws")) is int:
        return row(f"Log entry withdrawn: {label}", style="back")
    gone = reader.withdrawn_entries.get(event["seq"]) if type(event.get("seq")) is int else None
    if gone is not None:
        moment = parse_ts(gone.get("ts"))
        return row(f"Logged: {label} (withdrawn at {clock.elapsed(moment) if anonymise else clock.time(moment)})",
                   f"at {when}", style="withdrawn-entry")
    return row(f"Logged: {label}", f"at {when}", style="logged")


def _rows(events: Sequence[dict[str, Any]], reader: _Reader, clock: Clock,
          anonymise: bool) -> list[tuple[dict[str, Any], Row]]:
    """Each event that makes a timeline row, with its row."""
    reader.titles = {str(e.get("node")): e["title"] for e in events
                     if e.get("event") == "answer" and isinstance(e.get("title"), str)}
    reader.withdrawn = withdrawn_flags(events)
    reader.withdrawn_entries = {e["withdraws"]: e for e in events
                                if e.get("event") == "logged" and type(e.get("withdraws")) is int}
    rows = []
    for index, event in enumerate(events):
        row = _row(event, events[:index], reader, clock, anonymise)  # a dose is worked out from the steps before
        if row is not None:
            rows.append((event, row))
    return rows


def _ending(events: Sequence[dict[str, Any]], logged: LoggedProtocol | None) -> Ending:
    outcome = outcome_event(events)
    if outcome is None:
        stop = ending(events)
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
            integrity: str | None, clock: Clock, anonymise: bool) -> list[tuple[str, str]]:
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
              ("Started", clock.started()),
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
    clock = Clock(events, zone)
    reader = _Reader(logged, anonymise)
    rows = []
    rows = [row for _, row in _rows(events, reader, clock, anonymise)]
    captured = []
    for event in standing(events):
        if event.get("event") == "answer" and reader.is_value(event):
            chosen, values = reader.answer(event)
            moment = parse_ts(event.get("ts"))
            step = reader.title(event.get("node"), event.get("title"))
            node = reader.node(event.get("node"))
            entered = in_words(node.variable) if isinstance(node, InputNode) else "number entered"
            item, value = (chosen, values) if event.get("field") else (entered, chosen)
            captured.append(Captured(step, item, value, "" if anonymise else clock.time(moment),
                                     clock.elapsed(moment)))
    protocol = logged.protocol if logged else None
    status = str(start.get("status") or (protocol.status if protocol else ""))
    removed = []
    if anonymise:
        notes = sum(1 for e in events if e.get("event") == "note")
        hidden = sum(1 for e in events if e.get("event") == "answer" and withheld(e, protocol))
        removed = ["patient reference", "practitioner", "session id", "dates and clock times (elapsed times kept)",
                   f"values of time, date and free-text record fields ({hidden})", f"free-text notes ({notes})"]
    if clock.start is None:
        times = "No valid times in the log."
    elif anonymise:
        times = "Times are elapsed since the session started (clock times removed)."
    else:
        times = f"Times are local clock times, {offset_text(clock.start)}; elapsed is since the session started."
    return Record(
        title="Session record" + (" (anonymised)" if anonymise else ""),
        anonymised=anonymise, draft=status == "draft", drill=bool(start.get("drill")),
        patient="" if anonymise else str(start.get("patient") or ""),
        protocol=f"{start.get('title') or (protocol.title if protocol else start.get('protocol', '?'))} "
                 f"{start.get('version', '')}".strip(),
        header=_header(start, events, logged, integrity, clock, anonymise),
        times=times, rows=rows, captured=captured, ending=_ending(events, logged),
        red_flags=[row for row in rows if row.kind in ("flag", "withdrawn")],
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


def record_json(events: list[dict[str, Any]], anonymise: bool = False, logged: LoggedProtocol | None = None) -> str:
    """The events as JSON; anonymised drops identities, clock times, note text and the values of time, date
    and free-text record fields (keeps elapsed)."""
    if not anonymise:
        return json.dumps(events, indent=2, ensure_ascii=False)
    protocol = logged.protocol if logged else None
    first = parse_ts(events[0].get("ts")) if events else None
    cleaned = []
    for event in events:
        moment = parse_ts(event.get("ts"))
        item = {k: v for k, v in event.items() if k not in _PERSONAL_FIELDS}
        if first is not None and moment is not None:
            item["elapsed_s"] = int((moment - first).total_seconds())
        if item.get("event") == "note":
            item["text"] = REMOVED
        if item.get("event") == "answer" and withheld(event, protocol):
            item.update({key: REMOVED for key in ("answer", "value") if key in item})
        cleaned.append(item)
    return json.dumps(cleaned, indent=2, ensure_ascii=False)
