"""Protocol -> outline, Markdown review document, Mermaid / DOT flowchart, JSON; session log -> record.

Pure functions from data to text; the CLI prints what they return.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator
from typing import Any

from aesthetic_protocols.engine import parse_ts
from aesthetic_protocols.errors import Problem, Severity
from aesthetic_protocols.model import (
    ActionNode,
    AnyNode,
    InputNode,
    OutcomeNode,
    Protocol,
    QuestionNode,
    WaitNode,
    successors,
)


def node_order(protocol: Protocol) -> list[str]:
    """Nodes in walking order: breadth-first from the start, then red-flag targets, then the rest."""
    order: list[str] = []
    seen: set[str] = set()
    entries = [protocol.start] + [flag.goto for flag in protocol.red_flags] + list(protocol.nodes)
    for entry in entries:
        if entry in seen or entry not in protocol.nodes:
            continue
        seen.add(entry)
        queue = deque([entry])
        while queue:
            nid = queue.popleft()
            order.append(nid)
            for nxt in successors(protocol.nodes[nid]):
                if nxt not in seen and nxt in protocol.nodes:
                    seen.add(nxt)
                    queue.append(nxt)
    return order


def protocol_json(protocol: Protocol) -> str:
    """The validated model with defaults filled in (`show --format json`)."""
    return json.dumps(protocol.model_dump(mode="json"), indent=2, ensure_ascii=False)


def _detail(node: AnyNode) -> str:
    if isinstance(node, InputNode):
        unit = f" {node.unit}" if node.unit else ""
        return f"{node.variable}: {node.min}..{node.max}{unit}"
    if isinstance(node, WaitNode):
        return f"{node.minutes} min"
    if isinstance(node, OutcomeNode):
        return str(node.severity)
    return ""


def outline(protocol: Protocol) -> str:
    """A compact text outline of the tree, one node a paragraph."""
    lines = [f"{protocol.id} {protocol.version} ({protocol.status}) - {protocol.title}", f"start: {protocol.start}"]
    for flag in protocol.red_flags:
        lines.append(f"red flag [{flag.key}] {flag.label} -> {flag.goto}")
    for nid in node_order(protocol):
        node = protocol.nodes[nid]
        detail = _detail(node)
        head = f"{nid}  {node.kind}  {node.title}" + (f"  ({detail})" if detail else "")
        if isinstance(node, ActionNode | InputNode | WaitNode):
            head += f" -> {node.next}"
        lines += ["", head]
        if node.text:
            lines.append(f"  {node.text}")
        if isinstance(node, QuestionNode):
            lines += [f"  [{o.key}] {o.label}" + (f" ({o.detail})" if o.detail else "") + f" -> {o.next}"
                      for o in node.options]
        if isinstance(node, ActionNode | WaitNode | OutcomeNode):
            lines += [f"  - {step}" for step in node.steps]
        if node.requires:
            lines.append(f"  only after: {', '.join(node.requires)}")
        if node.disagreement:
            lines.append(f"  sources disagree: {node.disagreement}")
        if node.refs:
            lines.append(f"  sources: {', '.join(node.refs)}")
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(protocol: Protocol) -> str:
    """The review document a clinical lead reads and signs: every node in order, with full sources."""
    review = protocol.review
    out = [f"# {protocol.title}", "",
           f"- **Protocol id:** `{protocol.id}`",
           f"- **Version:** {protocol.version}",
           f"- **Status:** {protocol.status}" + (" (reference content, not approved for clinical use)"
                                                  if protocol.status != "approved" else ""),
           f"- **Approved by:** {review.approved_by or 'not approved'}"
           + (f" on {review.approved_on}" if review.approved_on else ""),
           f"- **Last reviewed:** {review.last_reviewed or 'never'}",
           f"- **Next review:** {review.next_review or 'not set'}", ""]
    if protocol.summary:
        out += [protocol.summary, ""]
    if protocol.red_flags:
        out += ["## Red flags (offered at every step)", ""]
        out += [f"- **[{f.key}]** {f.label} -> {_anchor(protocol, f.goto)}" for f in protocol.red_flags]
        out.append("")
    if protocol.derived:
        out += ["## Derived values", ""]
        for name, d in protocol.derived.items():
            limit = f", up to {d.variable} = {d.max_input}; beyond: {d.beyond_text}" if d.max_input else ""
            out.append(f"- `{{{name}}}` = {d.variable} x {d.times} {d.unit}{limit}")
        out.append("")
    out += ["## Steps", ""]
    disagreements: list[str] = []
    for number, nid in enumerate(node_order(protocol), start=1):
        node = protocol.nodes[nid]
        detail = _detail(node)
        out += [f"### {number}. {node.title}", "",
                f"`{nid}` - {node.kind}" + (f" ({detail})" if detail else ""), ""]
        if node.text:
            out += [node.text, ""]
        if isinstance(node, QuestionNode):
            for option in node.options:
                extra = f" - {option.detail}" if option.detail else ""
                refs = f" [{', '.join(option.refs)}]" if option.refs else ""
                out.append(f"- **[{option.key}]** {option.label}{extra}{refs} -> {_anchor(protocol, option.next)}")
            out.append("")
        if isinstance(node, ActionNode | WaitNode | OutcomeNode) and node.steps:
            out += [f"- [ ] {step}" for step in node.steps]
            out.append("")
        if isinstance(node, ActionNode | InputNode | WaitNode):
            out += [f"Next: {_anchor(protocol, node.next)}", ""]
        if node.requires:
            out += [f"Only after: {', '.join(node.requires)}", ""]
        if node.disagreement:
            out += [f"> **Sources disagree:** {node.disagreement}", ""]
            disagreements.append(f"- {node.title} (`{nid}`): {node.disagreement}")
        if node.refs:
            out += [f"Sources: {', '.join(node.refs)}", ""]
    if disagreements:
        out += ["## Where sources disagree", "", *disagreements, ""]
    out += ["## References", ""]
    for key, ref in protocol.references.items():
        url = f" <{ref.url}>" if ref.url else ""
        out.append(f"- **{key}**: {_md_escape(ref.citation)}{url}")
    out += ["", "## Sign-off", "", "| Role | Name | Signature | Date |", "|---|---|---|---|",
            "| Clinical lead | | | |", "| Reviewer | | | |", ""]
    return "\n".join(out)


def _anchor(protocol: Protocol, nid: str) -> str:
    node = protocol.nodes.get(nid)
    return f"{node.title} (`{nid}`)" if node else f"`{nid}`"


# --- flowcharts ------------------------------------------------------------------------------------


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", " ")


_MERMAID_SHAPES = {
    "question": ('{"', '"}'),
    "action": ('["', '"]'),
    "input": ('[/"', '"/]'),
    "wait": ('(["', '"])'),
    "outcome": ('[["', '"]]'),
}


def mermaid(protocol: Protocol) -> str:
    """Mermaid flowchart source that renders on code-hosting sites."""
    ids = {nid: f"n{index}" for index, nid in enumerate(node_order(protocol))}
    lines = ["flowchart TD"]
    for nid, short in ids.items():
        node = protocol.nodes[nid]
        left, right = _MERMAID_SHAPES[node.kind]
        detail = _detail(node)
        label = node.title + (f" ({detail})" if detail else "")
        lines.append(f"    {short}{left}{_mermaid_text(label)}{right}")
    for source, target, label in _edges(protocol):
        text = f'|"{_mermaid_text(label)}"|' if label else ""
        lines.append(f"    {ids[source]} -->{text} {ids[target]}")
    if protocol.red_flags:
        lines.append('    rf(("any step"))')
        for flag in protocol.red_flags:
            if flag.goto in ids:
                lines.append(f'    rf -.->|"{_mermaid_text(flag.key + ": " + flag.label)}"| {ids[flag.goto]}')
    lines.append("    classDef outcome stroke-width:3px")
    outcome_ids = [ids[n] for n in ids if isinstance(protocol.nodes[n], OutcomeNode)]
    if outcome_ids:
        lines.append(f"    class {','.join(outcome_ids)} outcome")
    return "\n".join(lines) + "\n"


def _edges(protocol: Protocol) -> Iterator[tuple[str, str, str]]:
    for nid in node_order(protocol):
        node = protocol.nodes[nid]
        if isinstance(node, QuestionNode):
            for option in node.options:
                if option.next in protocol.nodes:
                    yield nid, option.next, f"{option.key}: {option.label}"
        else:
            for target in successors(node):
                if target in protocol.nodes:
                    yield nid, target, ""


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_DOT_SHAPES = {"question": "diamond", "action": "box", "input": "parallelogram", "wait": "ellipse",
               "outcome": "doubleoctagon"}


def dot(protocol: Protocol) -> str:
    """Graphviz DOT source."""
    lines = [f"digraph {_dot_text(protocol.id)} {{", "    rankdir=TB;", "    node [fontname=Helvetica];"]
    for nid in node_order(protocol):
        node = protocol.nodes[nid]
        detail = _detail(node)
        label = node.title + (f"\n({detail})" if detail else "")
        lines.append(f"    {_dot_text(nid)} [label={_dot_text(label)}, shape={_DOT_SHAPES[node.kind]}];")
    for source, target, label in _edges(protocol):
        attrs = f" [label={_dot_text(label)}]" if label else ""
        lines.append(f"    {_dot_text(source)} -> {_dot_text(target)}{attrs};")
    if protocol.red_flags:
        lines.append('    "any step" [shape=plaintext];')
        for flag in protocol.red_flags:
            if flag.goto in protocol.nodes:
                label = _dot_text(f"{flag.key}: {flag.label}")
                lines.append(f'    "any step" -> {_dot_text(flag.goto)} [style=dashed, color=red, label={label}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def protocol_row(protocol: Protocol) -> dict[str, Any]:
    """One `protocol list` row."""
    return {"id": protocol.id, "title": protocol.title, "version": protocol.version,
            "status": str(protocol.status),
            "next_review": protocol.review.next_review.isoformat() if protocol.review.next_review else None}


# --- session records -------------------------------------------------------------------------------

_TIMELINE_EVENTS = ("start", "answer", "red-flag", "back", "note", "outcome", "interrupted", "resumed",
                    "protocol-changed", "torn-tail-recovered")


def session_summary(events: list[dict[str, Any]]) -> dict[str, Any]:
    """One `log list` row: when, which protocol and version, how it ended, the patient reference."""
    start = events[0] if events and events[0].get("event") == "start" else {}
    end = next((e for e in reversed(events) if e.get("event") in {"outcome", "interrupted"}), None)
    if end is None:
        state = "open"
    elif end.get("event") == "outcome":
        state = f"{end.get('node')} ({end.get('severity')})"
    else:
        state = "interrupted"
    return {"session": start.get("session", events[0].get("session") if events else ""),
            "started": start.get("ts", ""), "protocol": start.get("protocol", "?"),
            "version": start.get("version", "?"), "state": state, "patient": start.get("patient", "")}


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: Any) -> str:
    """Text from a log made safe for a terminal: control characters (escape sequences) become '?'."""
    return _CONTROL.sub("?", str(text))


def describe(event: dict[str, Any], anonymise: bool = False) -> str:
    """A short human description of one event, for timelines (anonymised: no clock times, no note text)."""
    kind = event.get("event")
    if kind == "start":
        return f"started {event.get('protocol')} {event.get('version')} ({event.get('status')})"
    if kind == "answer":
        answer = event.get("answer")
        text = f"answered {answer}" if answer else "done"
        if event.get("done_at"):
            text += " (time corrected)" if anonymise else f" (done at {event['done_at']})"
        if event.get("early"):
            text += " (continued before the wait ended)"
        return text
    if kind == "red-flag":
        return f"RED FLAG [{event.get('key')}] {event.get('label')} -> {event.get('goto')}"
    if kind == "back":
        return f"back to {event.get('to')}"
    if kind == "note":
        return "note: [removed]" if anonymise else f"note: {printable(event.get('text'))}"
    if kind == "outcome":
        return f"OUTCOME {event.get('title')} ({event.get('severity')})"
    if kind == "interrupted":
        return f"interrupted ({event.get('reason')})"
    if kind == "protocol-changed":
        return f"protocol changed: {event.get('old_version')} -> {event.get('version')} (resumed with --force)"
    if kind == "torn-tail-recovered":
        return f"torn last line ({event.get('bytes')} bytes) set aside on resume"
    return str(kind)


def timeline(events: list[dict[str, Any]], anonymise: bool = False) -> list[dict[str, str]]:
    """Rows of clock time (UTC), elapsed since the start, node and what happened."""
    first = parse_ts(events[0].get("ts")) if events else None
    rows = []
    for event in events:
        if event.get("event") not in _TIMELINE_EVENTS:
            continue
        moment = parse_ts(event.get("ts"))
        since = ("" if first is None or moment is None
                 else clock_text(int((moment - first).total_seconds()), signed=True))
        what = describe(event, anonymise)
        rows.append({"time": "" if anonymise or moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC"),
                     "elapsed": since, "node": str(event.get("node") or ""), "what": what})
    return rows


def clock_text(seconds: int, signed: bool = False) -> str:
    """A duration: `MM:SS` (`H:MM:SS` from an hour); signed, always `+H:MM:SS` (timeline columns align)."""
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if signed:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def timeline_text(events: list[dict[str, Any]]) -> str:
    """`log show`: a header and one line per event."""
    summary = session_summary(events)
    lines = [f"session {summary['session']}: {summary['protocol']} {summary['version']}, {summary['state']}"]
    if summary["patient"]:
        lines.append(f"patient reference: {summary['patient']}")
    start = events[0] if events else {}
    if start.get("practitioner"):
        lines.append(f"practitioner: {start['practitioner']}")
    for row in timeline(events):
        lines.append(f"{row['time']}  {row['elapsed']:>9}  {row['node']:<24}  {row['what']}")
    return "".join(printable(line) + "\n" for line in lines)  # a log may hold anything: show no escapes


def _record_header(events: list[dict[str, Any]], anonymise: bool) -> list[tuple[str, str]]:
    start = events[0] if events else {}
    summary = session_summary(events)
    fields = [("Protocol", f"{start.get('title', '')} ({summary['protocol']} {summary['version']}, "
                           f"{start.get('status', '?')})"),
              ("Protocol file sha256", str(start.get("sha256", ""))),
              ("Ended", summary["state"]),
              ("Log head hash", str(events[-1].get("hash", "")) if events else "")]
    if not anonymise:
        fields.insert(0, ("Session", str(summary["session"])))
        fields.insert(1, ("Started", str(summary["started"])))
        if summary["patient"]:
            fields.append(("Patient reference", str(summary["patient"])))
        if start.get("practitioner"):
            fields.append(("Practitioner", str(start["practitioner"])))
    return fields


def record_markdown(events: list[dict[str, Any]], anonymise: bool = False) -> str:
    """The session as a Markdown record (anonymised: no ids, names, dates or note text)."""
    out = ["# Session record" + (" (anonymised)" if anonymise else ""), ""]
    out += [f"- **{name}:** {value}" for name, value in _record_header(events, anonymise)]
    out += ["", "| Time | Elapsed | Step | What |", "|---|---|---|---|"]
    for row in timeline(events, anonymise):
        out.append(f"| {row['time']} | {row['elapsed']} | {row['node']} | {_md_escape(row['what'])} |")
    return "\n".join(out) + "\n"


def record_html(events: list[dict[str, Any]], anonymise: bool = False) -> str:
    """The session as a standalone HTML page (escaped; prints without truncating answers)."""
    from html import escape

    title = "Session record" + (" (anonymised)" if anonymise else "")
    head = "".join(f"<tr><th>{escape(n)}</th><td>{escape(v)}</td></tr>" for n, v in _record_header(events, anonymise))
    rows = "".join(f"<tr><td>{escape(r['time'])}</td><td>{escape(r['elapsed'])}</td><td>{escape(r['node'])}</td>"
                   f"<td>{escape(r['what'])}</td></tr>" for r in timeline(events, anonymise))
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title><style>body{{font-family:sans-serif}}td,th{{border:1px solid #999;"
            "padding:4px;vertical-align:top;white-space:pre-wrap}}table{border-collapse:collapse}</style></head>"
            f"<body><h1>{title}</h1><table>{head}</table><h2>Timeline</h2><table><tr><th>Time</th><th>Elapsed</th>"
            f"<th>Step</th><th>What</th></tr>{rows}</table></body></html>\n")


_PERSONAL_FIELDS = ("patient", "practitioner", "session", "ts", "done_at", "prev", "hash")


def record_json(events: list[dict[str, Any]], anonymise: bool = False) -> str:
    """The events as JSON; anonymised drops identities, clock times and note text (keeps elapsed)."""
    if not anonymise:
        return json.dumps(events, indent=2, ensure_ascii=False)
    first = parse_ts(events[0].get("ts")) if events else None
    cleaned = []
    for event in events:
        moment = parse_ts(event.get("ts"))
        item = {k: v for k, v in event.items() if k not in _PERSONAL_FIELDS}
        if first is not None and moment is not None:
            item["elapsed_s"] = int((moment - first).total_seconds())
        if item.get("event") == "note":
            item["text"] = "[removed]"
        cleaned.append(item)
    return json.dumps(cleaned, indent=2, ensure_ascii=False)


# --- trainer and CI output ---------------------------------------------------------------------------


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


def session_list(summaries: list[dict[str, Any]]) -> str:
    """`log list`: newest first; started, session, protocol and version, how it ended, patient reference."""
    ordered = sorted(summaries, key=lambda r: str(r["started"]), reverse=True)
    return "".join(printable(f"{r['started']}  {r['session']}  {r['protocol']} {r['version']}  {r['state']}"
                             + (f"  patient {r['patient']}" if r["patient"] else "")) + "\n" for r in ordered)
