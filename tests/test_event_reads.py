"""Logs are read back typed: readers take `Logged` records and match on event classes, never string keys.

Outside `events` (the codec) and `journal` (which checks raw lines), no module may read an event or a log
line by a string key (`event["node"]`, `start.get("protocol")`): a renamed field would then pass mypy and
show "?" on the record. The check below finds such reads in the source; it is tested on samples so that
it can fail.
"""

from __future__ import annotations

import ast
import json
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from aesthetic_protocols import events
from aesthetic_protocols.events import AnswerEvent, Logged, StartEvent, UnknownEvent, decode
from aesthetic_protocols.journal import Journal, read_events, verify
from aesthetic_protocols.report.record import session_record, timeline_text

SRC = Path(__file__).parent.parent / "src" / "aesthetic_protocols"
ALLOWED = {"events.py", "journal.py"}  # the codec, and the journal's checks of raw lines
# The names events and log lines go by in the readers (a dict of another kind goes by another name).
EVENTISH = {"event", "events", "e", "start", "end", "outcome", "first", "last", "record", "records", "previous",
            "stop", "line", "lines", "logged", "recorded", "replayed", "item"}
# Every field a log line can hold: the journal's own and each event class's.
FIELDS = {"seq", "ts", "session", "event", "prev", "hash"} | {
    item.name for cls in events._KINDS.values() for item in fields(cls)}


def _root(node: ast.expr) -> str | None:
    """The name an expression starts from: `events[0].x["y"]` -> `events`."""
    while isinstance(node, ast.Subscript | ast.Attribute | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def string_key_reads(source: str) -> list[tuple[int, str]]:
    """Each `x["field"]`, `x.get("field")` or `getattr(x, "field")` read where `x` is an event or log line by
    name and `field` is a field a log line can hold: (line number, the read)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        key: object = None
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and isinstance(node.slice, ast.Constant):
            key, receiver = node.slice.value, node.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
              and node.args and isinstance(node.args[0], ast.Constant)):
            key, receiver = node.args[0].value, node.func.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
              and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)):
            key, receiver = node.args[1].value, node.args[0]
        if isinstance(key, str) and key in FIELDS and _root(receiver) in EVENTISH:
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_no_reader_reads_an_event_by_a_string_key() -> None:
    reads = {f"{path.relative_to(SRC)}:{line}: {text}" for path in SRC.rglob("*.py") if path.name not in ALLOWED
             for line, text in string_key_reads(path.read_text(encoding="utf-8"))}
    assert sorted(reads) == []


def test_the_check_finds_string_key_reads_of_events_and_leaves_other_dicts_alone() -> None:
    source = '''
def reader(event, events, start, row, summary, item, form):
    a = event["node"]
    b = start.get("protocol", "?")
    c = events[0]["hash"]
    d = events[-1].get("ts")
    i = getattr(event, "goto", None)
    j = getattr(os, "O_BINARY", 0)
    e = {k: v for k, v in event.items()}
    row["state"] += "x"          # a log list row, not an event
    f = summary["patient"]       # a summary dict, not an event
    g = item["item"]             # a FHIR item: not a field a log line holds
    h = form["version"]
    event["text"] = "removed"    # writing an export copy is no read
'''
    assert [text for _, text in string_key_reads(source)] == [
        "event['node']", "start.get('protocol', '?')", "events[0]['hash']", "events[-1].get('ts')",
        "getattr(event, 'goto', None)"]


def test_a_line_reads_back_as_its_typed_event_with_the_journal_fields() -> None:
    line = {"seq": 3, "ts": "2026-11-28T09:00:00.000Z", "session": "S", "event": "answer", "prev": "a" * 64,
            "hash": "b" * 64, "node": "assess", "answer": "y", "next": "fine", "early": "yes"}
    logged = decode(line)
    assert logged == Logged(3, "2026-11-28T09:00:00.000Z", "S", "a" * 64, "b" * 64,
                            AnswerEvent("assess", answer="y", next="fine"), line, ignored=("early",))
    assert logged.moment == datetime(2026, 11, 28, 9, tzinfo=UTC)
    assert events.encode(logged) == line  # the JSON export writes the line as it was written


def test_an_unknown_event_is_kept_shown_and_the_log_still_verifies(tmp_path: Path) -> None:
    ticks = iter(datetime(2026, 11, 28, 9, minute, tzinfo=UTC) for minute in range(10))
    with Journal.create(tmp_path, "S1", clock=lambda: next(ticks)) as journal:
        journal.record(StartEvent("a", protocol="p", version="1.0.0"))
        journal.append("decided-by-a-newer-tool", node="a", fact="pregnant")
        journal.append("interrupted", node="a", reason="quit")
    read, verdict = read_events(tmp_path / "S1.jsonl")
    assert verdict.ok and verify(tmp_path / "S1.jsonl").ok
    assert [logged.event for logged in read][1] == UnknownEvent("a", "decided-by-a-newer-tool")
    shown = timeline_text(read, zone=UTC).splitlines()
    assert shown[0] == "session S1: p 1.0.0, interrupted"
    assert shown[3].split(maxsplit=3)[3] == "Unknown event 'decided-by-a-newer-tool' (not read by this version)"
    assert [row.chosen for row in session_record(read, zone=UTC).rows] == [
        "Session started", "Unknown event 'decided-by-a-newer-tool' (not read by this version)",
        "Interrupted (quit)"]


def test_a_field_of_the_wrong_type_is_said_on_its_row_not_shown_as_if_logged(tmp_path: Path) -> None:
    ticks = iter(datetime(2026, 11, 28, 9, minute, tzinfo=UTC) for minute in range(10))
    with Journal.create(tmp_path, "S1", clock=lambda: next(ticks)) as journal:
        journal.record(StartEvent("a", protocol="p", version="1.0.0"))
        journal.append("outcome", node="a", title="Resolved", severity=5)  # an edited line: still in the chain
    read, verdict = read_events(tmp_path / "S1.jsonl")
    assert verdict.ok and read[1].ignored == ("severity",)
    assert [row.chosen for row in session_record(read, zone=UTC).rows][1] == (
        "Outcome reached (?) [unreadable in the log: severity]")


def test_the_fhir_provenance_says_how_many_events_it_could_not_read(tmp_path: Path) -> None:
    from aesthetic_protocols.report.fhir import fhir_bundle

    ticks = iter(datetime(2026, 11, 28, 9, minute, tzinfo=UTC) for minute in range(10))
    with Journal.create(tmp_path, "S1", clock=lambda: next(ticks)) as journal:
        journal.record(StartEvent("a", protocol="p", version="1.0.0"))
        journal.append("decided-by-a-newer-tool", node="a")
    read, _ = read_events(tmp_path / "S1.jsonl")
    entity = fhir_bundle(read)["entry"][2]["resource"]["entity"][1]["what"]
    assert entity["display"] == (f"session log head hash {read[-1].hash} (2 events); 1 of a kind this version does "
                                 "not read (not in the response), session S1")
    assert "not read" not in json.dumps(fhir_bundle(read[:1]))
