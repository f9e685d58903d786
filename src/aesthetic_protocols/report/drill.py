"""A drill's debrief as lines a trainer discusses with the trainee."""

from __future__ import annotations

from aesthetic_protocols.drill import Debrief, TargetCheck
from aesthetic_protocols.report.templating import visible


def _duration(seconds: float) -> str:
    """`3 min 20 s` (simulated time)."""
    whole = round(seconds)
    minutes, rest = divmod(abs(whole), 60)
    sign = "-" if whole < 0 else ""
    return f"{sign}{minutes} min {rest:02d} s"


def _target_line(target: TargetCheck) -> str:
    since = f"of {target.after}" if target.after else "of the start"
    head = f"time: {target.node} within {target.within_minutes} min {since}"
    if target.seconds is None:
        return f"{head}: MISSED (not reached)"
    return f"{head}: {'met' if target.met else 'MISSED'} ({_duration(target.seconds)})"


def _ending(outcome: str | None, severity: str | None) -> str:
    return f"{outcome} ({severity})" if outcome else "no outcome"


def debrief_text(result: Debrief) -> str:
    """The debrief, one finding a line, ending with the verdict."""
    lines = [f"DRILL DEBRIEF {result.protocol} / {result.scenario}"]
    if result.left_at is None:
        lines.append(f"path: the scenario's path ({result.steps} steps)")
    else:
        lines.append(f"path: LEFT the scenario's path at {result.left_at}: {result.did}; "
                     f"the scenario {result.expected}")
    expected = _ending(result.expected_outcome, result.expected_severity)
    if result.outcome_met:
        lines.append(f"outcome: {expected}, as the scenario")
    else:
        lines.append(f"outcome: {_ending(result.outcome, result.severity)}; the scenario reaches {expected}")
    if not (result.flags_raised or result.flags_missed or result.flags_extra):
        lines.append("red flags: none in the scenario, none raised")
    else:
        parts = [f"raised {', '.join(result.flags_raised)}" if result.flags_raised else "",
                 f"MISSED {', '.join(result.flags_missed)}" if result.flags_missed else "",
                 f"raised but not in the scenario {', '.join(result.flags_extra)}" if result.flags_extra else ""]
        lines.append("red flags: " + "; ".join(p for p in parts if p))
    lines += [_target_line(target) for target in result.targets]
    lines += list(result.handover)
    lines.append("debrief: met" if result.met else "debrief: NOT met")
    return "".join(visible(line) + "\n" for line in lines)
