"""Listings for trainers and CI: `protocol list`, `validate` in text/JSON/GitHub form, `log list`."""

from __future__ import annotations

import json
from datetime import tzinfo
from typing import Any

from aesthetic_protocols.errors import Problem, Severity
from aesthetic_protocols.report.clock import stamp, zone_note
from aesthetic_protocols.report.templating import visible
from aesthetic_protocols.tree import Protocol


def protocol_row(protocol: Protocol) -> dict[str, Any]:
    """One `protocol list` row."""
    return {"id": protocol.id, "title": protocol.title, "version": protocol.version,
            "status": str(protocol.status),
            "next_review": protocol.review.next_review.isoformat() if protocol.review.next_review else None}


def protocol_table(rows: list[dict[str, Any]]) -> str:
    """`protocol list` as aligned columns; the title last, so a long one never pushes the others."""
    header = ("ID", "VERSION", "STATUS", "NEXT REVIEW", "TITLE")
    table = [header] + [(r["id"], r["version"], r["status"], r["next_review"] or "-", r["title"]) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    return "".join("  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True))
                   + "  " + row[-1] + "\n" for row in table)


def _github_escape(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def problems_json(problems: list[Problem], files: int) -> str:
    """`validate --format json`: counts and every problem."""
    errors = sum(p.severity is Severity.ERROR for p in problems)
    items = [{"path": p.path, "line": p.line, "column": p.column, "severity": str(p.severity), "rule": p.rule,
              "message": p.message} for p in problems]
    return json.dumps({"files": files, "errors": errors, "warnings": len(problems) - errors, "problems": items},
                      indent=2, ensure_ascii=False) + "\n"


def problems_github(problems: list[Problem]) -> str:
    """`validate --format github`: workflow annotations, one a line."""
    return "".join(f"::{p.severity} file={_github_escape(p.path, True)},line={p.line},col={p.column},"
                   f"title={_github_escape(p.rule, True)}::{_github_escape(p.message)}\n" for p in problems)


def problems_text(problems: list[Problem]) -> str:
    """`validate`: `PATH:LINE:COL: error[RULE]: message`, one a line."""
    return "".join(f"{p}\n" for p in problems)


def session_list(summaries: list[dict[str, Any]], zone: tzinfo | None = None) -> str:
    """`log list`: newest first; started (local time, the offset said once above), session, protocol and
    version, how it ended, patient reference."""
    ordered = sorted(summaries, key=lambda r: str(r["started"]), reverse=True)
    note = zone_note((r["started"] for r in ordered), zone)
    lines = [f"{stamp(r['started'], zone)[:16] or '?':<16}  {r['session']}  {r['protocol']} {r['version']}  "
             f"{r['state']}" + (f"  patient {r['patient']}" if r["patient"] else "") for r in ordered]
    return "".join(visible(line) + "\n" for line in ([f"started ({note})", *lines] if note else lines))
