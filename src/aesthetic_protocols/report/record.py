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
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field, replace
from datetime import datetime, tzinfo
from typing import Any, assert_never

from aesthetic_protocols.engine import Session, WalkError
from aesthetic_protocols.events import (
    AbandonedEvent,
    AnswerEvent,
    BackEvent,
    DecidedEvent,
    EarlyCancelledEvent,
    HandoverEvent,
    InterruptedEvent,
    Logged,
    LoggedEvent,
    NoteEvent,
    OutcomeEvent,
    ProtocolChangedEvent,
    RedFlagEvent,
    ResumedEvent,
    StartEvent,
    TornTailEvent,
    UnknownEvent,
    WaitStartedEvent,
    decode_all,
    encode,
)
from aesthetic_protocols.journal import parse_ts
from aesthetic_protocols.logged_protocol import LoggedProtocol
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.recorded import (
    Lines,
    ending,
    outcome_event,
    photo_answers,
    recorded_steps,
    standing,
    start_event,
    withdrawn_flags,
)
from aesthetic_protocols.report.answers import REMOVED, Said, field_type, in_words, said, teaching, withheld
from aesthetic_protocols.report.clock import Clock, offset_text, stamp
from aesthetic_protocols.report.templating import visible
from aesthetic_protocols.tree import (
    PLACEHOLDER_RE,
    ActionNode,
    AnyNode,
    InputNode,
    OutcomeNode,
    Protocol,
    WaitNode,
)


def _started(events: Sequence[Logged]) -> Logged | None:
    """The first line when it is the start event."""
    return events[0] if events and isinstance(events[0].event, StartEvent) else None


def _or(text: str, unknown: str = "?") -> str:
    """A start field as shown: `unknown` when the log left it out."""
    return text or unknown


def session_summary(lines: Lines) -> dict[str, Any]:
    """One `log list` row: when, which protocol and version, how it ended, the patient reference."""
    events = decode_all(lines)
    start, first = start_event(events), _started(events)
    end = ending(events)
    if end is None:
        state = "open"
    elif isinstance(end, OutcomeEvent):  # the outcome's title as the walker showed it (an old log: its id)
        state = f"{end.title or end.node} ({end.severity or None})"
        if end.until_handover and not any(isinstance(e.event, HandoverEvent) for e in events):
            state += ", open until handover"
    elif isinstance(end, AbandonedEvent):
        state = "abandoned"
    else:
        state = "interrupted"
    return {"session": first.session if first else events[0].session if events else "",
            "started": first.ts if first else "", "protocol": _or(start.protocol),
            "version": _or(start.version), "state": state, "patient": start.patient or ""}


def describe(row: Row) -> str:
    """A timeline row as one line of words, as the record says it (`log show`, the walker's end screen)."""
    what = row.chosen
    if row.values:
        what += f": {row.values}" if row.is_field else f" ({row.values})"
    if row.notes:
        what += f": {row.notes}"
    return what + (f" ({row.corrected})" if row.corrected else "")


def timeline(lines: Lines, anonymise: bool = False, logged: LoggedProtocol | None = None,
             zone: tzinfo | None = None, walked: Protocol | None = None) -> list[dict[str, str]]:
    """Rows of local date and clock time, elapsed since the start, the step's title and what happened in
    words: the record's own rows (`logged`, the protocol walked, words what an old log lacks). A face at the
    end of its own walk passes `walked`, the very protocol it walked: a step never answered (where the walk
    was interrupted) is then named by its title, not its node id; the words stay the log's own."""
    if walked is not None and logged is None:
        logged = LoggedProtocol(walked, None, False, "the protocol walked: its titles only")
    events = decode_all(lines)
    clock = Clock(events, zone)
    return [{"time": "" if anonymise else stamp(event.ts, zone), "elapsed": row.elapsed, "node": row.step,
             "what": describe(row)} for event, row in _rows(events, _Reader(logged, anonymise), clock, anonymise)]


def timeline_text(records: Lines, logged: LoggedProtocol | None = None,
                  zone: tzinfo | None = None) -> str:
    """`log show`: a header (when it started, in local time with its offset) and one line per event, in the
    record's words and clock times."""
    events = decode_all(records)
    summary = session_summary(events)
    clock = Clock(events, zone)
    lines = [f"session {summary['session']}: {summary['protocol']} {summary['version']}, {summary['state']}"]
    if summary["patient"]:
        lines.append(f"patient reference: {summary['patient']}")
    first = events[0].event if events else None
    if isinstance(first, StartEvent) and first.practitioner:
        lines.append(f"practitioner: {first.practitioner}")
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
    withdrawn: bool = False  # taken back by a later Back: printed struck through, "see correction"


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
    photographs: list[Figure] = field(default_factory=list)
    footer: str = ""  # printed at the foot of every page, beside "page X of Y"


@dataclass(frozen=True)
class Figure:
    """A photograph in the HTML record: its field, capture time and hash, and a downscaled copy (or none)."""

    label: str
    captured: str
    sha256: str
    uri: str | None


def figures(events: Lines, photos: Mapping[str, bytes], anonymise: bool = False) -> list[Figure]:
    """The photographs the standing answers took, each with its preview when its bytes are at hand
    (anonymised: without their capture times)."""
    from aesthetic_protocols.photo import preview_uri

    out = []
    for _, event in photo_answers(standing(events)):
        digest = str(event.photo_sha256)
        captured = None if anonymise else event.photo_captured
        data = photos.get(digest)
        out.append(Figure(event.label or "Photograph",
                          f"taken {str(captured).replace('T', ' ')} (camera time)" if captured
                          else "capture time removed" if anonymise else "no capture time",
                          digest, preview_uri(data) if data is not None else None))
    return out


# --- the record ---------------------------------------------------------------------------------------


class _Reader:
    """Reads events in words, with the protocol's help where the log lacks the words (old logs)."""

    def __init__(self, logged: LoggedProtocol | None, anonymise: bool = False) -> None:
        self.protocol = logged.protocol if logged else None
        # Words the log lacks are taken from the protocol only if it is the very file walked.
        self.same = bool(logged and logged.same)
        self.anonymise = anonymise
        self.titles: dict[str, str] = {}  # titles the log gives a node (for its events that carry none)
        self.withdrawn: dict[int, Logged] = {}  # red flag's seq -> the back that withdrew it
        self.withdrawn_entries: dict[int, Logged] = {}  # log entry's seq -> the entry withdrawing it

    def shown(self, logged: Logged, event: AnswerEvent, before: Sequence[Logged]) -> list[str]:
        """Derived values shown with an answer (a dose): as logged, or for an old log worked out again from
        the protocol walked and the steps that stood then (`before`: the events before this one)."""
        if event.shown:
            return [f"{in_words(name)}: {text}" for name, text in event.shown.items()]
        node = self.node(event.node) if self.same else None
        if node is None or self.protocol is None or "shown" in logged.ignored:  # logged, but unreadable
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

    def said(self, event: AnswerEvent) -> Said:
        """The answer in words (the protocol's words only if it is the very file walked)."""
        return said(event, self.protocol if self.same else None)

    def answer(self, event: AnswerEvent) -> tuple[str, str]:
        """(what was chosen in words, values recorded) for an answer event."""
        words = self.said(event)
        chosen = words.label + (" (continued before the wait was due)" if words.early else "")
        if words.kind != "field":
            return chosen, ""
        hidden = self.anonymise and not words.empty and withheld(event, self.protocol)
        return chosen, REMOVED if hidden else words.value_text

    def is_value(self, event: AnswerEvent) -> bool:
        """A recorded value (record field or input), as opposed to a choice or a done."""
        return self.said(event).kind in ("field", "input")


def _correction(event: AnswerEvent | RedFlagEvent, moment: datetime | None, clock: Clock, anonymise: bool) -> str:
    done_at = parse_ts(event.done_at)
    if done_at is None:
        return ""
    if anonymise or moment is None:
        minutes = round((moment - done_at).total_seconds() / 60) if moment is not None else 0
        return f"time corrected: done {minutes} min before it was recorded"
    # The date is said when it is not the session's: a time typed as "yesterday" must read so on the record.
    return f"time corrected: done at {clock.time(done_at, seconds=False)}, recorded later"


def _row(logged: Logged, before: Sequence[Logged], reader: _Reader, clock: Clock, anonymise: bool) -> Row | None:
    event = logged.event
    moment = logged.moment
    time = "" if anonymise else clock.time(moment)
    elapsed = clock.elapsed(moment)
    step = reader.title(event.node, event.title if isinstance(event, AnswerEvent | OutcomeEvent | StartEvent) else None)
    corrected = _correction(event, moment, clock, anonymise) if isinstance(event, AnswerEvent | RedFlagEvent) else ""

    # A field of the wrong type (an edited or foreign line) was read as its default: the row says so.
    unreadable = f" [unreadable in the log: {', '.join(logged.ignored)}]" if logged.ignored else ""

    def row(chosen: str, values: str = "", notes: str = "", style: str = "event", title: str = step,
            is_field: bool = False) -> Row:
        return Row(time, elapsed, title, chosen + unreadable, values, notes, style, corrected, is_field)

    match event:
        case StartEvent():
            what = f"{_or(event.protocol)} {_or(event.version)}"
            return row("Session started" + (" (training drill)" if event.drill else ""), what,
                       style="start", title=event.title or reader.title(event.node))
        case AnswerEvent():
            chosen, values = reader.answer(event)
            return row(chosen, "; ".join([part for part in (values, *reader.shown(logged, event, before)) if part]),
                       style="answer", is_field=bool(event.field))
        case WaitStartedEvent():
            due = parse_ts(event.due)
            when = clock.elapsed(due) if anonymise else clock.time(due)
            return row(f"Wait started: {event.minutes} min", f"due at {when}" if when else "", style="wait")
        case RedFlagEvent():
            target = reader.title(event.goto)
            flag = f"RED FLAG [{_or(event.key)}] {event.label}"
            back = reader.withdrawn.get(logged.seq)
            if back is not None:  # raised by mistake: struck through, with both times
                gone = back.moment
                when = clock.elapsed(gone) if anonymise else clock.time(gone)
                return row(f"{flag} (withdrawn at {when})", f"went to: {target}", style="withdrawn")
            return row(flag, f"went to: {target}", style="flag")
        case LoggedEvent() | HandoverEvent():
            return _handover_row(logged, event, reader, clock, anonymise, row)
        case BackEvent():
            return row(f"Back to: {reader.title(event.to)}", style="back")
        case NoteEvent():
            return None if anonymise else row("Note", notes=event.text, style="note")
        case OutcomeEvent():
            return row(f"Outcome reached ({_or(event.severity)})", style="outcome")
        case InterruptedEvent():
            return row(f"Interrupted ({_or(event.reason)})")
        case AbandonedEvent():  # `protocol abandon`: closed for good without an outcome (a reason is free text)
            return row("Abandoned (closed without an outcome)", notes="" if anonymise else event.reason,
                       style="outcome")
        case ResumedEvent():
            return row("Resumed")
        case ProtocolChangedEvent():
            return row(f"Protocol changed: {event.old_version or '?'} -> {_or(event.version)} "
                       "(resumed with --force)", f"sha256 {_or(event.sha256)}")
        case TornTailEvent():
            return row(f"A torn last line ({event.bytes} bytes) was set aside on resume")
        case DecidedEvent():  # a decide node's routing: why, and the facts it read
            read = "; ".join(f"{name} = {value}" for name, value in event.facts.items())
            return row(f"Decided: {event.because or 'no rule held (otherwise)'}", read, style="answer")
        case EarlyCancelledEvent():
            return row("Continue early asked, not confirmed: kept waiting", style="wait")
        case UnknownEvent():  # a newer tool's event, or an edited line: shown, never dropped
            return row(f"Unknown event {event.name!r} (not read by this version)")
        case _:
            assert_never(event)


def _handover_row(logged: Logged, event: LoggedEvent | HandoverEvent, reader: _Reader, clock: Clock,
                  anonymise: bool, row: Callable[..., Row]) -> Row:
    """A log entry made until handover (struck through once withdrawn, with both times), or the handover."""
    moment = parse_ts(event.time)
    when = clock.elapsed(moment) if anonymise else clock.time(moment)
    if isinstance(event, HandoverEvent):
        to = "" if anonymise or not event.to else f" to {event.to}"
        return row(f"Handed over{to}", f"at {when}", style="outcome")
    if event.withdraws is not None:
        return row(f"Log entry withdrawn: {event.label}", style="back")
    gone = reader.withdrawn_entries.get(logged.seq)
    if gone is not None:
        at = gone.moment
        return row(f"Logged: {event.label} (withdrawn at {clock.elapsed(at) if anonymise else clock.time(at)})",
                   f"at {when}", style="withdrawn-entry")
    return row(f"Logged: {event.label}", f"at {when}", style="logged")


def _rows(events: Sequence[Logged], reader: _Reader, clock: Clock,
          anonymise: bool) -> list[tuple[Logged, Row]]:
    """Each event that makes a timeline row, with its row."""
    reader.titles = {str(e.event.node): e.event.title for e in events
                     if isinstance(e.event, AnswerEvent) and e.event.title is not None}
    reader.withdrawn = withdrawn_flags(events)
    reader.withdrawn_entries = {e.event.withdraws: e for e in events
                                if isinstance(e.event, LoggedEvent) and e.event.withdraws is not None}
    rows = []
    for index, event in enumerate(events):
        row = _row(event, events[:index], reader, clock, anonymise)  # a dose is worked out from the steps before
        if row is not None:
            rows.append((event, row))
    return rows


def _printed(pairs: list[tuple[Logged, Row]], stands: Sequence[Logged]) -> list[tuple[Logged, Row]]:
    """The record's rows, an answer a later Back took back marked withdrawn (printed struck through)."""
    kept = {id(logged) for logged in stands}  # the same objects: `standing` passes read events through
    return [(logged, replace(row, withdrawn=True) if isinstance(logged.event, AnswerEvent)
             and id(logged) not in kept else row) for logged, row in pairs]


def _ending(events: Sequence[Logged], logged: LoggedProtocol | None) -> Ending:
    outcome = outcome_event(events)
    if outcome is None:
        stop = ending(events)
        why = (f"interrupted ({_or(stop.reason)}); resumable" if isinstance(stop, InterruptedEvent)
               else f"abandoned ({_or(stop.reason)}); closed without an outcome" if isinstance(stop, AbandonedEvent)
               else "still open: no outcome recorded")
        return Ending("No outcome reached", "", "", "", [], f"The session was {why}.")
    protocol = logged.protocol if logged else None
    node = protocol.nodes.get(str(outcome.node)) if protocol else None
    title = outcome.title or (node.title if node else outcome.node or "")
    severity = str(outcome.severity or (node.severity if isinstance(node, OutcomeNode) else "?"))
    if protocol is None or not isinstance(node, OutcomeNode):
        return Ending(title, severity, "", "", [], "Instructions unavailable: " + (logged.check if logged else
                                                                                      "no protocol file was looked up"))
    render = _renderer(events, logged)
    headline = node.headline or ""
    source = (f"From protocol {protocol.id} {protocol.version}" +
              ("" if logged and logged.same else f" ({logged.check if logged else ''})"))
    return Ending(title, severity, render(headline), render(node.text or ""), [render(s) for s in node.steps], source)


def _renderer(events: Sequence[Logged], logged: LoggedProtocol | None) -> Any:
    """Fill `{variables}` in the outcome's text with the session's values (the walk replayed)."""
    if logged is None or logged.protocol is None:
        return str
    try:
        session = Session.replay(logged.protocol, events)
    except (WalkError, ValueError, KeyError):
        return str
    return session.render


def _header(events: Sequence[Logged], logged: LoggedProtocol | None,
            integrity: str | None, clock: Clock, anonymise: bool) -> list[tuple[str, str]]:
    protocol = logged.protocol if logged else None
    start, first = start_event(events), _started(events)
    session = first.session if first else ""
    status = str(start.status or (protocol.status if protocol else "unknown"))
    status_text = ("DRAFT: reference content, not approved by a clinician" if status == "draft" else status)
    head = events[-1].hash if events else ""
    fields = [("Patient reference", start.patient or "not given"),
              ("Practitioner", start.practitioner or "not given"),
              ("Protocol", start.title or (protocol.title if protocol else _or(start.protocol))),
              ("Protocol id and version", f"{_or(start.protocol)} {_or(start.version)}"),
              ("Status", status_text),
              ("Protocol file sha256", start.sha256 or "not recorded in the log"),
              ("Protocol check", "not looked up" if logged is None else logged.check if logged.same
               else f"WARNING: {logged.check}"),
              ("Session", session),
              ("Started", clock.started()),
              ("Log head hash", head),
              ("Log integrity", integrity or "not checked"),
              ("Recorded with", f"aesthetic-protocols {_or(start.tool)}"
               + (f", {start.face} face" if start.face else ""))]
    if start.clinic_sha256:  # the clinic file whose contacts the screens showed
        fields.insert(fields.index(("Session", session)), ("Clinic file sha256", start.clinic_sha256))
    if head and session:
        fields.insert(fields.index(("Log head hash", head)) + 1,
                      ("Check the log later", f"protocol log verify {session} --head {head}"))
    if anonymise:
        hidden = {"Patient reference", "Practitioner", "Session", "Started", "Check the log later"}
        fields = [(name, value) for name, value in fields if name not in hidden]
    return fields


def session_record(lines: Lines, logged: LoggedProtocol | None = None,
                   anonymise: bool = False, integrity: str | None = None, zone: tzinfo | None = None) -> Record:
    """The record of one session as plain data. `zone` defaults to this computer's local time zone."""
    events = decode_all(lines)
    start = start_event(events)
    clock = Clock(events, zone)
    reader = _Reader(logged, anonymise)
    rows = [row for _, row in _printed(_rows(events, reader, clock, anonymise), standing(events))]
    captured = []
    for logged_step in standing(events):
        event = logged_step.event
        if isinstance(event, AnswerEvent) and reader.is_value(event):
            chosen, values = reader.answer(event)
            moment = logged_step.moment
            step = reader.title(event.node, event.title)
            node = reader.node(event.node)
            entered = in_words(node.variable) if isinstance(node, InputNode) else "number entered"
            item, value = (chosen, values) if event.field else (entered, chosen)
            captured.append(Captured(step, item, value, "" if anonymise else clock.time(moment),
                                     clock.elapsed(moment)))
    protocol = logged.protocol if logged else None
    status = str(start.status or (protocol.status if protocol else ""))
    removed = []
    if anonymise:
        notes = sum(1 for e in events if isinstance(e.event, NoteEvent))
        hidden = sum(1 for e in events if isinstance(e.event, AnswerEvent) and withheld(e.event, protocol)
                     and not e.event.photo_sha256)
        kept = _kept_for_teaching(events, protocol)
        fields = f"values of time, date and free-text record fields ({hidden})" + (
            f", except text fields marked for teaching (kept: {', '.join(kept)})" if kept else "")
        removed = ["patient reference", "practitioner", "session id", "dates and clock times (elapsed times kept)",
                   fields, f"free-text notes ({notes})"]
        photographs = len(photo_answers(standing(events)))
        if photographs:
            removed.append(f"photographs' capture times ({photographs})")
    if clock.start is None:
        times = "No valid times in the log."
    elif anonymise:
        times = "Times are elapsed since the session started (clock times removed)."
    else:
        times = f"Times are local clock times, {offset_text(clock.start)}; elapsed is since the session started."
    return Record(
        title="Session record" + (" (anonymised)" if anonymise else ""),
        anonymised=anonymise, draft=status == "draft", drill=start.drill,
        patient="" if anonymise else start.patient or "",
        protocol=f"{start.title or (protocol.title if protocol else _or(start.protocol))} {start.version}".strip(),
        header=_header(events, logged, integrity, clock, anonymise),
        times=times, rows=rows, captured=captured, ending=_ending(events, logged),
        red_flags=[row for row in rows if row.kind in ("flag", "withdrawn")],
        corrections=[row for row in rows if row.kind == "back" or row.corrected],
        removed=removed,
        footer=" · ".join(part for part in (f"Patient {start.patient}" if start.patient and not anonymise else "",
                                            "Session record" + (" (anonymised)" if anonymise else "")) if part))


def _kept_for_teaching(events: Sequence[Logged], protocol: Protocol | None) -> list[str]:
    """The labels of the text fields an anonymised record keeps (marked `teaching`), each once, in order."""
    labels: list[str] = []
    for logged_line in events:
        event = logged_line.event
        if (isinstance(event, AnswerEvent) and field_type(event, protocol) == "text" and teaching(event, protocol)
                and event.value not in ("", None) and not withheld(event, protocol)):
            label = said(event, protocol).label
            labels += [] if label in labels else [label]
    return labels


def record_markdown(events: Lines, anonymise: bool = False, logged: LoggedProtocol | None = None,
                    integrity: str | None = None, zone: tzinfo | None = None) -> str:
    """The session record as Markdown (every value escaped)."""
    from aesthetic_protocols.report.templating import render

    return render("record.md.j2", record=session_record(events, logged, anonymise, integrity, zone))


def record_html(events: Lines, anonymise: bool = False, logged: LoggedProtocol | None = None,
                integrity: str | None = None, zone: tzinfo | None = None,
                photos: Mapping[str, bytes] | None = None) -> str:
    """The session record as a standalone, printable HTML page (A4, header repeated on every page). With
    `photos` (bytes by sha256), each photograph is embedded downscaled, with its capture time and hash."""
    from aesthetic_protocols.report.templating import render

    record = session_record(events, logged, anonymise, integrity, zone)
    if photos is not None:
        record.photographs = figures(events, photos, anonymise)
    return render("record.html.j2", record=record)


_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T")  # how the log writes a moment (ts, due)
_PERSONAL_FIELDS = ("patient", "practitioner", "session", "ts", "done_at", "prev", "hash")


def record_json(lines: Lines, anonymise: bool = False, logged: LoggedProtocol | None = None) -> str:
    """The events as JSON, each line as written; anonymised drops identities, clock times, note text and the
    values of time, date and free-text record fields, and gives every other moment (a wait's `due`) as
    `<key>_elapsed_s`, seconds from the start: no absolute time or date is left."""
    events = decode_all(lines)
    if not anonymise:
        return json.dumps([encode(event) for event in events], indent=2, ensure_ascii=False)
    protocol = logged.protocol if logged else None
    first = events[0].moment if events else None
    cleaned = []
    for logged_line in events:
        moment, event = logged_line.moment, logged_line.event
        item = {k: v for k, v in encode(logged_line).items() if k not in _PERSONAL_FIELDS}
        if first is not None and moment is not None:
            item["elapsed_s"] = int((moment - first).total_seconds())
        for key, value in list(item.items()):  # any other instant (a wait's `due`) as seconds from the start
            when = parse_ts(value) if isinstance(value, str) and _INSTANT.match(value) else None
            if when is not None:
                del item[key]
                if first is not None:
                    item[f"{key}_elapsed_s"] = int((when - first).total_seconds())
        if isinstance(event, NoteEvent):
            item["text"] = REMOVED
        if isinstance(event, AnswerEvent) and withheld(event, protocol):
            item.update({key: REMOVED for key in ("answer", "value", "photo_captured") if key in item})
        cleaned.append(item)
    return json.dumps(cleaned, indent=2, ensure_ascii=False)
