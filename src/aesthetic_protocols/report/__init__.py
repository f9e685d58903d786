"""Renderers from data to text: the CLI prints what they return. Pure functions; no printing here.

- `review`: walking order, outline, the Markdown review document, JSON.
- `graph`: Mermaid and DOT flowcharts.
- `record`: session records (timeline, `log show`, md/html/json exports).
- `listing`: `protocol list`, `validate` output, `log list`.
"""

from __future__ import annotations

from aesthetic_protocols.report.graph import dot, mermaid
from aesthetic_protocols.report.listing import (
    problems_github,
    problems_json,
    problems_text,
    protocol_row,
    protocol_table,
    session_list,
)
from aesthetic_protocols.report.record import (
    record_html,
    record_json,
    record_markdown,
    session_summary,
    timeline_text,
)
from aesthetic_protocols.report.review import markdown, node_order, outline, protocol_json
from aesthetic_protocols.timeline import clock_text, describe, printable, timeline

__all__ = [
    "clock_text",
    "describe",
    "dot",
    "markdown",
    "mermaid",
    "node_order",
    "outline",
    "printable",
    "problems_github",
    "problems_json",
    "problems_text",
    "protocol_json",
    "protocol_row",
    "protocol_table",
    "record_html",
    "record_json",
    "record_markdown",
    "session_list",
    "session_summary",
    "timeline",
    "timeline_text",
]
