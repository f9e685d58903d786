"""Session logs for the export tests, written with the real Journal.

They run under a frozen copy of the vascular-occlusion tree (tests/fixtures/export/), so the words the
record looks up in the protocol do not change when the bundled tree is revised.

`sarah()` is the vascular-occlusion walk of the `sarah` scenario as the walker now logs it (titles,
labels, values, units, the dose shown, a time correction, an early continue, a back step, a note with
characters that mean something in Markdown and HTML); `old_style()` is the same walk as older versions
logged it (keys only). Times advance 30 s an event from 08:00 UTC.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from aesthetic_protocols.engine import Answer, Back, FlagRaised, Note, Session
from aesthetic_protocols.journal import Journal
from aesthetic_protocols.model import InputNode, Protocol, QuestionNode

START = datetime(2026, 11, 28, 8, 0, 0, tzinfo=UTC)
NASTY_NOTE = "site <flooded> & *bold* # | `code` \x1b[31m"
EXPORT_DIR = Path(__file__).parent / "fixtures" / "export"
VO_FILE = EXPORT_DIR / "vascular-occlusion.yaml"


def vo_sha256() -> str:
    return hashlib.sha256(VO_FILE.read_bytes()).hexdigest()


def write_log(folder: Path, session: str, events: list[tuple[str, dict[str, Any]]]) -> Path:
    """Append the events to a new log, 30 s apart from START; returns the log's path."""
    ticks: Iterator[datetime] = (START + timedelta(seconds=30 * i) for i in count())
    journal = Journal.create(folder, session, clock=lambda: next(ticks))
    with journal:
        for name, fields in events:
            journal.append(name, **fields)
    return journal.path


def _start(**extra: Any) -> tuple[str, dict[str, Any]]:
    return ("start", {"node": "stop-injecting", "protocol": "vascular-occlusion", "version": "0.1.0",
                      "sha256": vo_sha256(), "status": "draft", "title": "Vascular occlusion after dermal filler",
                      "tool": "0.1.0", "face": "plain", **extra})


def _answer(node: str, answer: str, nxt: str, title: str, label: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    return ("answer", {"node": node, "answer": answer, "next": nxt, "title": title, "label": label, **extra})


def sarah(patient: str = "R-0042", practitioner: str = "Dr A Nurse") -> list[tuple[str, dict[str, Any]]]:
    """The sarah scenario as the walker logs it now, with a back step and a nasty note."""
    return [
        _start(patient=patient, practitioner=practitioner),
        _answer("stop-injecting", "", "assess", "Stop injecting", "done"),  # the walker's word, lower case
        _answer("assess", "", "signs", "Recognise and record before treating", "Done"),
        _answer("signs", "y", "filler-type", "Signs of impaired blood supply?", "Yes: one or more of these signs"),
        _answer("filler-type", "h", "venom-allergy", "Which filler was injected?", "Hyaluronic acid (HA)"),
        ("note", {"node": "venom-allergy", "text": NASTY_NOTE}),
        _answer("venom-allergy", "n", "first-line", "Bee or wasp venom allergy?", "No"),
        _answer("first-line", "h", "areas", "Massage and warmth first, or straight to hyaluronidase?",
                "Straight to hyaluronidase"),
        _answer("areas", "2", "hyaluronidase-pulse", "How many areas are ischaemic?", "2 areas", value=2,
                unit="areas"),
        _answer("hyaluronidase-pulse", "", "adjuncts", "Give a hyaluronidase pulse", "Done",
                shown={"pulse_dose": "1000 U"}, done_at="2026-11-28T08:02+00:00"),
        _answer("adjuncts", "a", "adjunct-aspirin", "Consider an adjunct? (optional, weak evidence)", "Aspirin"),
        ("back", {"node": "adjunct-aspirin", "to": "adjuncts"}),
        _answer("adjuncts", "n", "wait-60", "Consider an adjunct? (optional, weak evidence)",
                "No adjunct (now): continue to the 60-minute reassessment"),
        ("wait-started", {"node": "wait-60", "minutes": 60, "due": "2026-11-28T09:06:30.000Z"}),
        _answer("wait-60", "", "reassess", "Reassess at 60 minutes", "continued", early=True),
        _answer("reassess", "r", "resolved", "Reassess refill, colour and pain",
                "Resolved: normal refill, normal colour, no pain"),
        ("outcome", {"node": "resolved", "title": "Resolved: follow-up plan", "severity": "resolved"}),
    ]


def old_style() -> list[tuple[str, dict[str, Any]]]:
    """The same walk as older versions logged it: keys and numbers only, no words, no values."""
    start = _start(patient="R-0042")
    keys = [("stop-injecting", "", "assess"), ("assess", "", "signs"), ("signs", "y", "filler-type"),
            ("filler-type", "h", "venom-allergy"), ("venom-allergy", "n", "first-line"), ("first-line", "h", "areas"),
            ("areas", "2", "hyaluronidase-pulse"), ("hyaluronidase-pulse", "", "adjuncts"),
            ("adjuncts", "n", "wait-60"), ("wait-60", "", "reassess"), ("reassess", "r", "resolved")]
    return [start, *[("answer", {"node": n, "answer": a, "next": x}) for n, a, x in keys],
            ("outcome", {"node": "resolved", "severity": "resolved"})]


def record_fields() -> list[tuple[str, dict[str, Any]]]:
    """A log with record-field answers (typed values), as the walker writes them for a `record` node."""
    return [
        _start(patient="R-0042"),
        ("answer", {"node": "record-product", "answer": "Juvederm <Volbella>", "next": "record-product",
                    "title": "Record the product", "label": "Product", "field": "product",
                    "value": "Juvederm <Volbella>"}),
        ("answer", {"node": "record-product", "answer": "0.5", "next": "record-product", "title": "Record the product",
                    "label": "Volume injected", "field": "volume", "value": 0.5, "unit": "mL"}),
        ("answer", {"node": "record-product", "answer": "14:05", "next": "record-product",
                    "title": "Record the product", "label": "Time injected", "field": "injected_at",
                    "value": "14:05"}),
        ("answer", {"node": "record-product", "answer": "", "next": "signs", "title": "Record the product",
                    "label": "Batch", "field": "batch", "value": ""}),
    ]


def random_walk(protocol: Protocol, choices: list[int]) -> list[dict[str, Any]]:
    """A walk of any tree driven by `choices` (answers, red flags, backs, notes), as logged events with seq,
    ts and a stand-in hash; the start event first."""
    session = Session(protocol)
    events: list[dict[str, Any]] = [{"event": "start", "node": protocol.start, "protocol": protocol.id,
                                     "version": protocol.version, "sha256": "0" * 64,
                                     "status": str(protocol.status), "title": protocol.title}]
    for choice in choices:
        if session.finished:
            break
        node = session.node
        command: Answer | Back | FlagRaised | Note
        if choice % 11 == 0 and session.trail:
            command = Back()
        elif choice % 13 == 0:
            command = Note(f"note <{choice}> & *{choice}*")
        elif choice % 7 == 0 and protocol.red_flags:
            command = FlagRaised(protocol.red_flags[0].key)
        elif isinstance(node, QuestionNode):
            command = Answer(node.options[choice % len(node.options)].key)
        elif isinstance(node, InputNode):
            command = Answer(str(node.min))
        else:
            command = Answer("")
        # The engine's events are dicts, or event objects with `kind` and `payload()` where it has them.
        events += [{"event": e.kind, **e.payload()} if hasattr(e, "payload") else e
                   for e in session.apply(command, START)]
    for seq, event in enumerate(events):
        event.update(seq=seq, ts=f"2026-11-28T08:{seq // 60 % 60:02d}:{seq % 60:02d}.000Z", hash=f"{seq:064x}")
    return events
