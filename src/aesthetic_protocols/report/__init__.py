"""Renderers from data to text: the CLI prints what they return. Pure functions; no printing here.

- `review`: walking order, outline, the Markdown review document, JSON.
- `graph`: Mermaid and DOT flowcharts.
- `record`: session records (timeline, `log show`, md/html/json exports).
- `answers`: an answer event in words (record, `log show`, FHIR); `clock`: every clock time shown.
- `listing`: `protocol list`, `validate` output, `log list`.

The names below are loaded on first use (PEP 562): a walk's end screen imports `report.record` for its
timeline without paying for the flowcharts, the review document or the listings.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aesthetic_protocols.report.clock import clock_text
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
        describe,
        record_html,
        record_json,
        record_markdown,
        session_summary,
        timeline,
        timeline_text,
    )
    from aesthetic_protocols.report.review import markdown, node_order, outline, protocol_json

_WHERE = {
    "clock_text": "clock", "dot": "graph", "mermaid": "graph", "problems_github": "listing",
    "problems_json": "listing", "problems_text": "listing", "protocol_row": "listing", "protocol_table": "listing",
    "session_list": "listing", "describe": "record", "record_html": "record", "record_json": "record",
    "record_markdown": "record", "session_summary": "record", "timeline": "record", "timeline_text": "record",
    "markdown": "review", "node_order": "review", "outline": "review", "protocol_json": "review",
}

__all__ = [
    "clock_text", "describe", "dot", "markdown", "mermaid", "node_order", "outline", "problems_github",
    "problems_json", "problems_text", "protocol_json", "protocol_row", "protocol_table", "record_html",
    "record_json", "record_markdown", "session_list", "session_summary", "timeline", "timeline_text",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
