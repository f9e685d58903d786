"""A protocol diff as text (terminal), Markdown (attached to a clinical sign-off) or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aesthetic_protocols.diff import Change, NodeDiff, ProtocolDiff, Segment, word_diff
from aesthetic_protocols.report.templating import md_escape, visible


def _value(value: Any) -> str:
    """A dumped value in a few words: a text quoted, an option or red flag as `"label" -> target`."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        if "label" in value:  # an option, a red flag, a record field or a choice: by its label
            target = value.get("next", value.get("goto"))
            return f'"{value["label"]}"' + (f" -> {target}" if target else "")
        if "citation" in value:
            return f'"{value["citation"]}"'
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, list):
        return ", ".join(_value(item) for item in value) if value else "(none)"
    if value is None:
        return "(none)"
    return json.dumps(value, ensure_ascii=False)


# Unchanged words kept on each side of a change; the rest of a long text is cut to "...".
_CONTEXT = 6


def _context(words: tuple[Segment, ...]) -> list[Segment]:
    """The word diff with long unchanged runs cut to a few words of context around each change."""
    out: list[Segment] = []
    last = len(words) - 1
    for index, (op, text) in enumerate(words):
        kept = text.split()
        if op != "=" or len(kept) <= 2 * _CONTEXT:
            out.append((op, text))
            continue
        lead = " " if text.startswith(" ") else ""
        head = kept[:_CONTEXT] if index > 0 else []
        tail = kept[-_CONTEXT:] if index < last else []
        out.append((op, lead + " ".join([*head, "...", *tail]) + (" " if index < last and not tail else "")))
    return out


def _plain(change: Change) -> bool:
    """A change better read as `old -> new`: not a text, a single word (a version, a severity), or nothing
    in common (a title replaced)."""
    single = isinstance(change.old, str) and isinstance(change.new, str) and not any(
        c.isspace() for c in change.old + change.new)
    return not change.words or single or all(op != "=" for op, _ in change.words)


def _marked(words: tuple[Segment, ...], marks: dict[str, str], escape: Callable[[str], str]) -> str:
    """The runs with their marks around the words and the space before each run kept outside them."""
    out = []
    for op, text in _context(words):
        lead = " " if text.startswith(" ") else ""
        out.append(lead + marks[op].format(escape(text.strip())))
    return "".join(out)


def _words_text(words: tuple[Segment, ...]) -> str:
    """git's plain word diff: [-removed-] and {+added+}, long unchanged runs cut."""
    return _marked(words, {"=": "{}", "-": "[-{}-]", "+": "{{+{}+}}"}, str)


def word_diff_text(old: str, new: str) -> str:
    """Two texts as git's plain word diff (the transcripts' diff shows a changed step this way)."""
    return _words_text(word_diff(old, new))


def change_text(change: Change) -> str:
    """One change in a line: `where: old -> new`, `where added: ...`, or its word diff."""
    where = change.where
    tag = " (source)" if _is_source(change) else ""
    if change.where.startswith("{"):
        return f"{where}: dose now {change.new} (was {change.old})"
    if change.added:
        return f"{where} added: {_value(change.new)}{tag}"
    if change.removed:
        return f"{where} removed: {_value(change.old)}{tag}"
    if not _plain(change):
        return f"{where}: {_words_text(change.words)}{tag}"
    return f"{where}: {_value(change.old)} -> {_value(change.new)}{tag}"


def _is_source(change: Change) -> bool:
    """A change to the sources only (a citation, a node's refs): listed, but not clinical."""
    return not change.clinical and ("refs" in change.where or change.where.startswith("reference"))


def _node_head(node: NodeDiff) -> str:
    what = f"renamed from {node.was}" if node.status == "renamed" else node.status
    return f"node {node.node} {what} ({node.kind}: {node.title})"


def _header(result: ProtocolDiff) -> str:
    old = f"{result.old_id} {result.old_version}"
    new = result.new_version if result.new_id == result.old_id else f"{result.new_id} {result.new_version}"
    return f"{old} -> {new}: {result.clinical_count} clinical change(s), {result.other_count} other"


def diff_text(result: ProtocolDiff) -> str:
    """The diff as terminal lines; nothing at all when the two versions are the same."""
    if result.same:
        return ""
    lines = [_header(result)]
    lines += [f"error: {problem}" for problem in result.problems]
    for group in (result.protocol, result.red_flags, result.derived, result.references):
        lines += [change_text(change) for change in group]
    for node in result.nodes:
        lines.append(_node_head(node))
        lines += [f"  {change_text(change)}" for change in node.changes]
    return "".join(f"{visible(line)}\n" for line in lines)  # an old version may hold what today's refuses


# --- Markdown ----------------------------------------------------------------------------------------

def _md_value(value: Any) -> str:
    return md_escape(_value(value))


def _md_words(words: tuple[Segment, ...]) -> str:
    return _marked(words, {"=": "{}", "-": "~~{}~~", "+": "**{}**"}, md_escape)


def _md_change(change: Change) -> str:
    where = f"`{change.where}`"
    tag = " *(source, not clinical)*" if _is_source(change) else ""
    if change.where.startswith("{"):
        body = f"{where}: dose now {md_escape(str(change.new))} (was {md_escape(str(change.old))})"
    elif change.added:
        body = f"{where} added: {_md_value(change.new)}"
    elif change.removed:
        body = f"{where} removed: {_md_value(change.old)}"
    elif not _plain(change):
        body = f"{where}: {_md_words(change.words)}"
    else:
        body = f"{where}: {_md_value(change.old)} → {_md_value(change.new)}"
    return f"- {body}{tag}"


def diff_markdown(result: ProtocolDiff) -> str:
    """The diff as a Markdown document a clinical lead attaches to the sign-off of the new version."""
    if result.same:
        return ""
    title = (f"{result.old_id} {result.old_version} → {result.new_version}" if result.old_id == result.new_id
             else f"{result.old_id} {result.old_version} → {result.new_id} {result.new_version}")
    lines = [f"# Changes: {md_escape(title)}", "",
             f"**{result.clinical_count} clinical change(s)**, {result.other_count} other (sources, metadata).",
             "Removed words are struck through, added words are bold.", ""]
    lines += [f"> **Error:** {md_escape(problem)}" for problem in result.problems]
    if result.problems:
        lines.append("")
    sections = (("Protocol", result.protocol), ("Red flags", result.red_flags), ("Doses", result.derived),
                ("Sources", result.references))
    for heading, group in sections:
        if group:
            lines += [f"## {heading}", "", *(_md_change(change) for change in group), ""]
    if result.nodes:
        lines += ["## Steps", ""]
        for node in result.nodes:
            what = f"renamed from `{node.was}`" if node.status == "renamed" else node.status
            lines += [f"### `{node.node}`: {md_escape(node.title)} ({node.kind}), {what}", ""]
            if node.changes:
                lines += [*(_md_change(change) for change in node.changes), ""]
    lines += ["## Sign-off", "", "| | |", "|---|---|", "| Reviewed by | |", "| Role | |", "| Date | |",
              "| Signature | |", ""]
    return "\n".join(lines)


# --- JSON --------------------------------------------------------------------------------------------


def change_data(change: Change) -> dict[str, Any]:
    """One change as plain data, with its word diff when it is a text."""
    out: dict[str, Any] = {"where": change.where, "old": change.old, "new": change.new, "clinical": change.clinical}
    if change.words:
        out["words"] = [{"op": op, "text": text} for op, text in change.words]
    return out


def diff_data(result: ProtocolDiff) -> dict[str, Any]:
    """The diff as plain data (what `--format json` prints)."""
    return {
        "old": {"id": result.old_id, "version": result.old_version},
        "new": {"id": result.new_id, "version": result.new_version},
        "same": result.same,
        "clinical_changes": result.clinical_count,
        "other_changes": result.other_count,
        "problems": list(result.problems),
        "protocol": [change_data(c) for c in result.protocol],
        "red_flags": [change_data(c) for c in result.red_flags],
        "doses": [change_data(c) for c in result.derived],
        "references": [change_data(c) for c in result.references],
        "nodes": [{"node": n.node, "status": n.status, "kind": n.kind, "title": n.title, "was": n.was,
                   "clinical": n.clinical, "changes": [change_data(c) for c in n.changes]} for n in result.nodes],
    }


def diff_json(result: ProtocolDiff) -> str:
    """`diff --format json`: the diff as one JSON document (empty output when the versions are the same)."""
    if result.same:
        return ""
    return json.dumps(diff_data(result), indent=2, ensure_ascii=False) + "\n"
