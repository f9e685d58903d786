"""Past sessions replayed on another version: one session in lines, all of them as a table, or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aesthetic_protocols.replay import Replayed
from aesthetic_protocols.report.diff import change_data, change_text
from aesthetic_protocols.timeline import printable


def _ending(outcome: str | None, severity: str | None) -> str:
    return f"{outcome} ({severity})" if outcome else "no outcome"


def replay_text(result: Replayed) -> str:
    """One session: the same path and outcome, or where it now goes elsewhere and where it would end."""
    lines = [f"session {result.session} ({result.protocol} {result.version_then} -> {result.version_now})"]
    if result.divergence is None:
        lines.append("same path" + (" and outcome: " if not result.other_outcome else "; outcome: ")
                     + (_ending(result.outcome_then, result.severity_then) if not result.other_outcome else
                        f"{_ending(result.outcome_then, result.severity_then)} then, "
                        f"{_ending(result.outcome_now, result.severity_now)} now"))
    else:
        where = result.divergence
        lines.append(f"diverges at {where.node}: {where.reason}")
        now = _ending(result.outcome_now, result.severity_now)
        lines.append(f"outcome: {_ending(result.outcome_then, result.severity_then)} then, {now} now"
                     + (f" ({result.stopped})" if result.stopped else ""))
    if not result.wording_known:
        lines.append(f"changed instructions: unknown (the tree this session was walked on, "
                     f"{result.protocol} {result.version_then}, is not on the search path or does not load)")
    elif result.changed:
        lines.append("changed instructions on the walked path:")
        for node, changes in result.changed:
            lines += [f"  {node}: {change_text(change)}" for change in changes]
    return "".join(printable(line) + "\n" for line in lines)


def _row(result: Replayed) -> tuple[str, str, str, str]:
    then = _ending(result.outcome_then, result.severity_then)
    now = _ending(result.outcome_now, result.severity_now)
    if result.divergence is not None:
        what = f"diverges at {result.divergence.node}: {result.divergence.reason}"
    elif result.other_outcome:
        what = "same path, other outcome"
    else:
        what = "same"
    if result.changed:
        what += f"; changed instructions at {len(result.changed)} step(s)"
    return result.session, then, now, what


def replay_table(results: Sequence[Replayed], protocol: str, version: str) -> str:
    """All sessions of a protocol replayed: one row each and the sum ("of 120 sessions, 7 would now ...")."""
    rows = [("session", "outcome then", "outcome now", "replayed on " + version), *map(_row, results)]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=False)) + "  " + row[3]
             for row in rows]
    other = sum(r.other_outcome for r in results)
    diverge = sum(r.divergence is not None for r in results)
    changed = sum(bool(r.changed) for r in results)
    lines.append(f"of {len(results)} {protocol} session(s), {other} would now reach another outcome, "
                 f"{diverge} would take another path, {changed} walked steps whose instructions changed")
    return "".join(printable(line.rstrip()) + "\n" for line in lines)


def replay_data(result: Replayed) -> dict[str, Any]:
    """One replayed session as plain data."""
    where = result.divergence
    return {
        "session": result.session, "log": result.log, "protocol": result.protocol, "started": result.started,
        "drill": result.drill,
        "version_then": result.version_then, "version_now": result.version_now, "same": result.same,
        "outcome_then": result.outcome_then, "severity_then": result.severity_then,
        "outcome_now": result.outcome_now, "severity_now": result.severity_now,
        "other_outcome": result.other_outcome,
        "divergence": None if where is None else {"node": where.node, "reason": where.reason, "then": where.then,
                                                  "now": where.now},
        "stopped": result.stopped,
        "wording_known": result.wording_known,
        "changed": [{"node": node, "changes": [change_data(c) for c in changes]} for node, changes in result.changed],
    }


def replay_json(results: Sequence[Replayed], protocol: str, version: str) -> str:
    """`log replay --format json`: the sum and every session."""
    return json.dumps({
        "protocol": protocol, "version": version, "sessions": len(results),
        "same": sum(r.same for r in results), "other_outcome": sum(r.other_outcome for r in results),
        "diverge": sum(r.divergence is not None for r in results),
        "results": [replay_data(r) for r in results],
    }, indent=2, ensure_ascii=False) + "\n"
