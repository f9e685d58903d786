"""A drill's handover in figures: time from recognition to each entry logged, and each timer met or not.

Recognition is the arrival at the emergency outcome that stood at the handover (its `outcome` event).
A timer is met at each period when its `from` key was logged again before it ran out; a period that ran
out before the next entry (or before the handover) is said as such, with how long it went on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from aesthetic_protocols.events import parse_ts
from aesthetic_protocols.model import OutcomeNode, Protocol


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(abs(seconds)), 60)
    return f"{'-' if seconds < 0 else ''}{minutes} min {rest:02d} s"


def handover_lines(protocol: Protocol, events: Sequence[Mapping[str, Any]]) -> list[str]:
    """The debrief's handover lines (none when the drill reached no outcome with `until_handover`)."""
    arrival = next((e for e in reversed(events) if e.get("event") == "outcome" and e.get("until_handover") is True),
                   None)
    node = protocol.nodes.get(str(arrival.get("node"))) if arrival is not None else None
    recognised = parse_ts(arrival.get("ts")) if arrival is not None else None
    if arrival is None or not isinstance(node, OutcomeNode) or node.until_handover is None or recognised is None:
        return []
    withdrawn = {e.get("withdraws") for e in events if e.get("event") == "logged"}
    entries = [(str(e.get("key")), str(e.get("label")), parse_ts(e.get("time")) or recognised) for e in events
               if e.get("event") == "logged" and e.get("node") == arrival.get("node")
               and e.get("withdraws") is None and e.get("seq") not in withdrawn]
    handed = next((parse_ts(e.get("time")) for e in events if e.get("event") == "handover"), None)
    lines = [f"handover: {node.title} recognised; handed over "
             + (f"{_duration((handed - recognised).total_seconds())} later" if handed else "not recorded")]
    lines += [f"logged: {label}, {_duration((at - recognised).total_seconds())} after recognition"
              for _, label, at in entries]
    for timer in node.until_handover.timers:
        times = [at for key, _, at in entries if key == timer.from_]
        lines.append(_timer_line(timer.label, timer.every_minutes, recognised, times, handed))
    return lines


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
