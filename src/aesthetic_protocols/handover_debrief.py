"""A drill's handover in figures: time from recognition to each entry logged, and each timer met or not.

Recognition is the arrival at the emergency outcome that stood at the handover (its `outcome` event).
A timer is met at each period when its `from` key was logged again before it ran out; a period that ran
out before the next entry (or before the handover) is said as such, with how long it went on.
"""

from __future__ import annotations

from datetime import datetime

from aesthetic_protocols.events import HandoverEvent, LoggedEvent, OutcomeEvent, decode_all, parse_ts
from aesthetic_protocols.recorded import Lines
from aesthetic_protocols.tree import OutcomeNode, Protocol


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(abs(seconds)), 60)
    return f"{'-' if seconds < 0 else ''}{minutes} min {rest:02d} s"


def handover_lines(protocol: Protocol, lines: Lines) -> list[str]:
    """The debrief's handover lines (none when the drill reached no outcome with `until_handover`)."""
    events = decode_all(lines)
    arrival = next((e for e in reversed(events)
                    if isinstance(e.event, OutcomeEvent) and e.event.until_handover), None)
    node = protocol.nodes.get(str(arrival.event.node)) if arrival is not None else None
    recognised = arrival.moment if arrival is not None else None
    if arrival is None or not isinstance(node, OutcomeNode) or node.until_handover is None or recognised is None:
        return []
    logged = [(e.seq, e.event) for e in events if isinstance(e.event, LoggedEvent)]
    withdrawn = {event.withdraws for _, event in logged}
    entries = [(event.key, event.label, parse_ts(event.time) or recognised) for seq, event in logged
               if event.node == arrival.event.node and event.withdraws is None and seq not in withdrawn]
    handed = next((parse_ts(e.event.time) for e in events if isinstance(e.event, HandoverEvent)), None)
    lines_out = [f"handover: {node.title} recognised; handed over "
                 + (f"{_duration((handed - recognised).total_seconds())} later" if handed else "not recorded")]
    lines_out += [f"logged: {label}, {_duration((at - recognised).total_seconds())} after recognition"
                  for _, label, at in entries]
    for timer in node.until_handover.timers:
        times = [at for key, _, at in entries if key == timer.from_]
        lines_out.append(_timer_line(timer.label, timer.every_minutes, recognised, times, handed))
    return lines_out


def _timer_line(label: str, every: int, recognised: datetime, times: list[datetime], handed: datetime | None) -> str:
    """`timer: Repeat adrenaline (every 5 min): met 2 of 2 (4 min 00 s, 4 min 30 s)`, or what ran out."""
    starts, gaps, ran_out = [recognised, *times], [], 0
    for begin, end in zip(starts, [*times, handed], strict=False):
        if end is None:
            continue
        gap = (end - begin).total_seconds()
        if gap > every * 60:
            ran_out += 1
        if end is not handed:
            gaps.append(gap)
    met = sum(1 for gap in gaps if gap <= every * 60)
    said = ", ".join(_duration(gap) for gap in gaps) or "no entry"
    verdict = f"met {met} of {len(gaps)}" if gaps else "never logged"
    late = f"; ran out {ran_out} time(s) before the next entry or the handover" if ran_out else ""
    return f"timer: {label} (every {every} min): {verdict} ({said}){late}"
