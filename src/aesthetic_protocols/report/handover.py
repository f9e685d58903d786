"""The handover sheet: one page, SBAR (situation, background, assessment, actions), from a session's log.

`protocol log export S --format handover` (md, or html with `--format handover-html`), and on screen at `h`.
Read from the log alone, in its own words: the answers, the record fields (the background is found by
field id or label), the red flags (withdrawn ones struck through, with both times), the decisions that
stand and their `because`, every entry logged until handover with its clock time, and
the handover itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from datetime import datetime, tzinfo

from aesthetic_protocols.events import (
    AnswerEvent,
    BackEvent,
    DecidedEvent,
    HandoverEvent,
    Logged,
    LoggedEvent,
    NoteEvent,
    OutcomeEvent,
    Readable,
    RedFlagEvent,
    decode_all,
    parse_ts,
)
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.recorded import Lines, decisions, standing, start_event, step_event, withdrawn_flags
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
    decisions: list[Item] = field(default_factory=list)  # each decision that stands, with its `because`
    actions: list[Item] = field(default_factory=list)
    handed_to: str = "not recorded"
    handed_at: str = "not yet handed over"
    session: str = ""
    anonymised: bool = False


def handover_sheet(lines: Lines, anonymise: bool = False, zone: tzinfo | None = None) -> Sheet:
    """The SBAR sheet of a session's log."""
    events = decode_all(lines)
    clock = Clock(events, zone)
    start = start_event(events)

    def at(moment: datetime | str | None) -> str:
        when = parse_ts(moment) if isinstance(moment, str) else moment
        return clock.elapsed(when) if anonymise else clock.time(when, seconds=False)

    flags = withdrawn_flags(events)
    emergencies = [e for i, e in enumerate(events) if isinstance(e.event, OutcomeEvent) and e.event.until_handover
                   and not _by_withdrawn_flag(events, i, flags)]
    outcome = emergencies[-1] if emergencies else next(
        (e for e in reversed(events) if isinstance(e.event, OutcomeEvent)), None)
    first = outcome  # the emergency that stands (one reached by a red flag withdrawn at once is no longer it)
    ended = first.event if first is not None and isinstance(first.event, OutcomeEvent) else None
    raised = next((e for e in events if isinstance(e.event, RedFlagEvent) and ended is not None
                   and e.event.goto == ended.node and e.seq not in flags), None)
    protocol = start.protocol or "?"
    sheet = Sheet(protocol=f"{start.title or protocol} ({protocol} {start.version or '?'})",
                  emergency=(f"{ended.title} ({ended.severity or '-'})" if ended is not None
                             else "no outcome reached (-)"),
                  recognised=at((raised or first).moment) if first is not None else "",
                  background=_background(events, anonymise), session=events[0].session if events else "",
                  anonymised=anonymise,
                  emergencies=[Item(at(e.moment), _title(e.event)) for e in emergencies],
                  patient=REMOVED if anonymise and start.patient else str(start.patient or "not given"),
                  date="" if anonymise or clock.start is None else clock.start.strftime("%Y-%m-%d"))
    for logged in standing(events):
        answer = logged.event
        if isinstance(answer, AnswerEvent) and not answer.field and answer.label not in ("done", None):
            sheet.signs.append(Item(at(logged.moment), f"{answer.title or answer.node}: {answer.label}"))
    withdrawing = {e.event.withdraws: e for e in reversed(events)  # the first line withdrawing each entry
                   if isinstance(e.event, LoggedEvent) and e.event.withdraws is not None}
    standing_decisions = {id(event) for event in decisions(events)}  # a Back withdraws a decision too
    for logged in events:
        match logged.event:
            case DecidedEvent(because=because, title=title, node=node) if id(logged.event) in standing_decisions:
                sheet.decisions.append(Item(at(logged.moment), f"{title or node}: {because or 'no rule held'}"))
            case RedFlagEvent(key=key, label=label):
                back = flags.get(logged.seq)
                sheet.red_flags.append(Item(at(logged.moment), f"[{key or '?'}] {label}",
                                            at(back.moment) if back is not None else ""))
            case NoteEvent(text=text) if not anonymise:
                sheet.notes.append(Item(at(logged.moment), text))
            case LoggedEvent(withdraws=None, label=label, time=time):
                gone = withdrawing.get(logged.seq)
                sheet.actions.append(Item(at(time or logged.moment), label,
                                          at(gone.moment) if gone is not None else ""))
            case HandoverEvent(time=time, to=to):
                sheet.handed_at = at(time or logged.moment)
                sheet.handed_to = REMOVED if anonymise and to else str(to or "not recorded")
            case _:
                pass
    return sheet


def _title(event: Readable) -> str:
    return (event.title if isinstance(event, OutcomeEvent) else "") or str(event.node)


def _by_withdrawn_flag(events: Sequence[Logged], index: int, flags: dict[int, Logged]) -> bool:
    """Whether the outcome event at `index` was reached by a red flag withdrawn at once."""
    before = next((e for e in reversed(events[:index])
                   if isinstance(e.event, AnswerEvent | RedFlagEvent | BackEvent)), None)
    return before is not None and isinstance(before.event, RedFlagEvent) and before.seq in flags


def _background(events: Sequence[Logged], anonymise: bool) -> list[tuple[str, str]]:
    """Product, site, volume, time of injection and allergies, from the record fields that stand."""
    fields = [e for e in (step_event(logged) for logged in standing(events))
              if isinstance(e, AnswerEvent) and e.field]
    rows = []
    for title, needles in BACKGROUND:
        found = next((e for e in fields if any(n in (e.field or "").lower() or n in (e.label or "").lower()
                                               for n in needles)), None)
        value = found.value if found is not None else None
        if found is None or value is None or value == "":
            rows.append((title, "not recorded"))
            continue
        unit = found.unit
        text = f"{value:g}" if isinstance(value, float) else str(found.choice or value)
        # Anonymised, free text and clock times lose their values, as in the record: all but the volume.
        hidden = anonymise and isinstance(value, str)
        rows.append((title, REMOVED if hidden else f"{text} {unit}" if unit else text))
    return rows


def handover_markdown(lines: Lines, anonymise: bool = False, zone: tzinfo | None = None) -> str:
    """The sheet in Markdown."""
    from aesthetic_protocols.report.templating import render

    return render("handover.md.j2", sheet=handover_sheet(lines, anonymise, zone))


def handover_html(lines: Lines, anonymise: bool = False, zone: tzinfo | None = None) -> str:
    """The sheet as one printable HTML page (A4)."""
    from aesthetic_protocols.report.templating import render

    return render("handover.html.j2", sheet=handover_sheet(lines, anonymise, zone))


def handover_text(lines: Lines, zone: tzinfo | None = None) -> list[str]:
    """The sheet as plain lines, for the walker's screen at `h`."""
    sheet = handover_sheet(lines, zone=zone)

    def item(entry: Item) -> str:
        gone = f" (WITHDRAWN at {entry.withdrawn})" if entry.withdrawn else ""
        return f"  {entry.time}  {entry.text}{gone}"

    out = ["HANDOVER (SBAR)", f"S: protocol {sheet.protocol}"]
    out += [f"  {e.time}  emergency recognised: {e.text}" for e in sheet.emergencies]
    out.append("B: " + "; ".join(f"{name}: {value}" for name, value in sheet.background))
    out.append("A: assessment (signs, red flags, decisions):")
    out += [item(e) for e in sheet.signs]
    out += [item(Item(e.time, f"RED FLAG {e.text}", e.withdrawn)) for e in sheet.red_flags]
    out += [item(Item(e.time, f"decided: {e.text}", e.withdrawn)) for e in sheet.decisions]
    out += [item(Item(e.time, f"note: {e.text}")) for e in sheet.notes]
    out.append("Actions (every drug and intervention logged):")
    out += [item(e) for e in sheet.actions] or ["  none logged"]
    out.append(f"Handed over to {sheet.handed_to} at {sheet.handed_at}")
    return out
