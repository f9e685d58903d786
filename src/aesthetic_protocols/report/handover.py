"""The handover sheet: one page, SBAR (situation, background, assessment, actions), from a session's log.

`protocol log export S --format handover` (md, or html with `--format handover-html`), and on screen at `h`.
Read from the log alone, in its own words: the answers, the record fields (the background is found by
field id or label), the red flags (withdrawn ones struck through, with both times), the decisions and
their `because`, every entry logged until handover with its clock time, and the handover itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from aesthetic_protocols.events import parse_ts
from aesthetic_protocols.recorded import standing, withdrawn_flags
from aesthetic_protocols.report.answers import REMOVED
from aesthetic_protocols.report.clock import Clock

# The background a receiving team asks for first, each found by a record field's id or label (first match).
BACKGROUND = (
    ("Product", ("product",)),
    ("Site", ("site",)),
    ("Volume", ("volume",)),
    ("Time of injection", ("injected_at", "time of the injection", "time of injection")),
    ("Allergies", ("allerg",)),
)


@dataclass(frozen=True)
class Item:
    """One line of the sheet: when (local clock time), what, and whether it was withdrawn (struck through)."""

    time: str
    text: str
    withdrawn: str = ""  # when it was withdrawn ("" when it stands)


@dataclass
class Sheet:
    """The handover sheet as text, for the md and html templates."""

    protocol: str
    emergency: str
    recognised: str
    background: list[tuple[str, str]]
    emergencies: list[Item] = field(default_factory=list)  # each emergency reached (not withdrawn), in order
    notes: list[Item] = field(default_factory=list)
    patient: str = "not given"
    date: str = ""
    signs: list[Item] = field(default_factory=list)
    red_flags: list[Item] = field(default_factory=list)
    decisions: list[Item] = field(default_factory=list)
    actions: list[Item] = field(default_factory=list)
    handed_to: str = "not recorded"
    handed_at: str = "not yet handed over"
    session: str = ""
    anonymised: bool = False


def handover_sheet(events: Sequence[dict[str, Any]], anonymise: bool = False, zone: tzinfo | None = None) -> Sheet:
    """The SBAR sheet of a session's log."""
    clock = Clock(events, zone)
    start = events[0] if events else {}

    def at(value: Any) -> str:
        moment = parse_ts(value)
        return clock.elapsed(moment) if anonymise else clock.time(moment, seconds=False)

    flags = withdrawn_flags(events)
    emergencies = [e for i, e in enumerate(events) if e.get("event") == "outcome" and e.get("until_handover") is True
                   and not _by_withdrawn_flag(events, i, flags)]
    outcome = emergencies[-1] if emergencies else next((e for e in reversed(events) if e.get("event") == "outcome"), {})
    first = outcome  # the emergency that stands (one reached by a red flag withdrawn at once is no longer it)
    raised = next((e for e in events if e.get("event") == "red-flag" and e.get("goto") == first.get("node")
                   and e.get("seq") not in flags), None)
    sheet = Sheet(protocol=f"{start.get('title') or start.get('protocol', '?')} ({start.get('protocol', '?')} "
                           f"{start.get('version', '?')})",
                  emergency=f"{outcome.get('title', 'no outcome reached')} ({outcome.get('severity', '-')})",
                  recognised=at((raised or first).get("ts")) if first else "",
                  background=_background(events, anonymise), session=str(start.get("session", "")),
                  anonymised=anonymise,
                  emergencies=[Item(at(e.get("ts")), str(e.get("title") or e.get("node"))) for e in emergencies],
                  patient=REMOVED if anonymise and start.get("patient") else str(start.get("patient") or "not given"),
                  date="" if anonymise or clock.start is None else clock.start.strftime("%Y-%m-%d"))
    for event in standing(events):
        if event.get("event") == "answer" and not event.get("field") and event.get("label") not in ("done", None):
            what = f"{event.get('title', event.get('node'))}: {event.get('label')}"
            sheet.signs.append(Item(at(event.get("ts")), what))
    for event in events:
        kind = event.get("event")
        if kind == "red-flag":
            back = flags.get(event["seq"]) if type(event.get("seq")) is int else None
            sheet.red_flags.append(Item(at(event.get("ts")), f"[{event.get('key', '?')}] {event.get('label', '')}",
                                        at(back.get("ts")) if back is not None else ""))
        elif kind == "note" and not anonymise:
            sheet.notes.append(Item(at(event.get("ts")), str(event.get("text", ""))))
        elif kind == "decided":
            sheet.decisions.append(Item(at(event.get("ts")), str(event.get("because") or event.get("node"))))
        elif kind == "logged" and type(event.get("withdraws")) is not int:
            gone = next((e for e in events if e.get("event") == "logged" and e.get("withdraws") == event.get("seq")),
                        None)
            sheet.actions.append(Item(at(event.get("time") or event.get("ts")), str(event.get("label", "")),
                                      at(gone.get("ts")) if gone is not None else ""))
        elif kind == "handover":
            sheet.handed_at = at(event.get("time") or event.get("ts"))
            to = event.get("to")
            sheet.handed_to = REMOVED if anonymise and to else str(to or "not recorded")
    return sheet


def _by_withdrawn_flag(events: Sequence[dict[str, Any]], index: int, flags: dict[int, Any]) -> bool:
    """Whether the outcome event at `index` was reached by a red flag withdrawn at once."""
    before = next((e for e in reversed(events[:index]) if e.get("event") in ("answer", "red-flag", "back")), None)
    return before is not None and before.get("event") == "red-flag" and before.get("seq") in flags


def _background(events: Sequence[dict[str, Any]], anonymise: bool) -> list[tuple[str, str]]:
    """Product, site, volume, time of injection and allergies, from the record fields that stand."""
    fields = [e for e in standing(events) if e.get("event") == "answer" and e.get("field")]
    rows = []
    for title, needles in BACKGROUND:
        found = next((e for e in fields if any(n in str(e.get("field", "")).lower()
                                                 or n in str(e.get("label", "")).lower() for n in needles)), None)
        value = found.get("value") if found is not None else None
        if value in (None, ""):
            rows.append((title, "not recorded"))
            continue
        unit = found.get("unit") if found is not None else None
        text = f"{value:g}" if isinstance(value, float) else str((found or {}).get("choice") or value)
        # Anonymised, free text and clock times lose their values, as in the record: all but the volume.
        hidden = anonymise and isinstance(value, str)
        rows.append((title, REMOVED if hidden else f"{text} {unit}" if unit else text))
    return rows


def handover_markdown(events: Sequence[dict[str, Any]], anonymise: bool = False, zone: tzinfo | None = None) -> str:
    """The sheet in Markdown."""
    from aesthetic_protocols.report.templating import render

    return render("handover.md.j2", sheet=handover_sheet(events, anonymise, zone))


def handover_html(events: Sequence[dict[str, Any]], anonymise: bool = False, zone: tzinfo | None = None) -> str:
    """The sheet as one printable HTML page (A4)."""
    from aesthetic_protocols.report.templating import render

    return render("handover.html.j2", sheet=handover_sheet(events, anonymise, zone))


def handover_text(events: Sequence[dict[str, Any]], zone: tzinfo | None = None) -> list[str]:
    """The sheet as plain lines, for the walker's screen at `h`."""
    sheet = handover_sheet(events, zone=zone)

    def item(entry: Item) -> str:
        gone = f" (WITHDRAWN at {entry.withdrawn})" if entry.withdrawn else ""
        return f"  {entry.time}  {entry.text}{gone}"

    lines = ["HANDOVER (SBAR)", f"S: protocol {sheet.protocol}"]
    lines += [f"  {e.time}  emergency recognised: {e.text}" for e in sheet.emergencies]
    lines.append("B: " + "; ".join(f"{name}: {value}" for name, value in sheet.background))
    lines.append("A: assessment (signs, red flags, decisions):")
    lines += [item(e) for e in sheet.signs]
    lines += [item(Item(e.time, f"RED FLAG {e.text}", e.withdrawn)) for e in sheet.red_flags]
    lines += [item(Item(e.time, f"decided: {e.text}", e.withdrawn)) for e in sheet.decisions]
    lines += [item(Item(e.time, f"note: {e.text}")) for e in sheet.notes]
    lines.append("Actions (every drug and intervention logged):")
    lines += [item(e) for e in sheet.actions] or ["  none logged"]
    lines.append(f"Handed over to {sheet.handed_to} at {sheet.handed_at}")
    return lines
