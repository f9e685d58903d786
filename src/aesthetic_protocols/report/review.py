"""The protocol as people read it: walking order, a compact outline, the Markdown review document, JSON."""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Mapping

from aesthetic_protocols.clinic import fill_contacts
from aesthetic_protocols.facts import date_form_text
from aesthetic_protocols.nodes import branches, detail, steps, successors, then
from aesthetic_protocols.report.templating import md_escape, visible
from aesthetic_protocols.tree import AnyNode, OutcomeNode, Protocol, QuestionNode, RecordField, RecordNode

# What `treatment: true` means to a reader (rule `resolved-needs-due-wait`).
TREATMENT_NOTE = "treatment step: a wait and a recheck come before any resolved outcome"


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
    from aesthetic_protocols.rebuild import dump

    return json.dumps(dump(protocol), indent=2, ensure_ascii=False)


def node_detail(node: AnyNode) -> str:
    """The node's figures in a few words (see `nodes.detail`)."""
    return detail(node)


def sets_text(sets: Mapping[str, object]) -> str:
    """An option's `set:` in words: `treatment = toxin, pregnant = true`."""
    return ", ".join(f"{name} = {str(value).lower() if isinstance(value, bool) else value}"
                     for name, value in sets.items())


def handover_lines(node: AnyNode) -> list[str]:
    """An outcome until handover, for review: each log key, each timer, then `h`."""
    block = node.until_handover if isinstance(node, OutcomeNode) else None
    if block is None:
        return []
    return ["Until handover (the walk stays open):",
            *(f"log [{item.key}] {item.label}" for item in block.log),
            *(f"timer: {timer.label}, every {timer.every_minutes} min from [{timer.from_}]" for timer in block.timers),
            "[h] handed over: the clock time and to whom"]


def field_text(record_field: RecordField) -> str:
    """A record field in one line: `Volume injected (number, mL, 0-5, 1 decimal; optional; default: dose)`."""
    parts: list[str] = [record_field.type]
    if record_field.unit:
        parts.append(record_field.unit)
    if (bounds := record_field.bounds_text()) is not None:
        parts.append(bounds)
    if record_field.decimals:
        parts.append(f"{record_field.decimals} decimal(s)")
    if record_field.choices:
        parts.append(" / ".join(f"{c.key}: {c.label}" for c in record_field.choices))
    if record_field.max_ahead_minutes is not None:
        parts.append(f"at most {record_field.max_ahead_minutes} min after now")
    if record_field.not_before is not None:
        parts.append(f"not before {date_form_text(record_field.not_before)}")
    if record_field.not_after is not None:
        parts.append(f"not after {date_form_text(record_field.not_after)}")
    extra = "required" if record_field.required else "optional"
    if record_field.default:
        extra += f"; default: {record_field.default}"
    return f"{record_field.label} ({', '.join(parts)}; {extra})"


def outline(protocol: Protocol) -> str:
    """A compact text outline of the tree, one node a paragraph."""
    lines = [f"{protocol.id} {protocol.version} ({protocol.status}) - {protocol.title}", f"start: {protocol.start}"]
    for flag in protocol.red_flags:
        lines.append(f"red flag [{flag.key}] {flag.label} -> {flag.goto}")
    for name, fact in protocol.facts.items():
        lines.append(f"fact {name}: {fact.type}" + (f" ({', '.join(fact.choices)})" if fact.choices else ""))
    for nid in node_order(protocol):
        node = protocol.nodes[nid]
        detail = node_detail(node)
        head = f"{nid}  {node.kind}  {node.title}" + (f"  ({detail})" if detail else "")
        if (following := then(node)) is not None:
            head += f" -> {following}"
        lines += ["", head]
        if node.headline:
            lines.append(f"  ! {node.headline}")
        if node.text:
            lines.append(f"  {node.text}")
        if isinstance(node, QuestionNode):
            lines += [f"  [{o.key}] {o.label}" + (f" ({o.detail})" if o.detail else "") + f" -> {o.next}"
                      + (f"  (sets {sets_text(o.set)})" if o.set else "") for o in node.options]
        lines += [f"  - {step}" for step in steps(node)]
        if isinstance(node, RecordNode):
            lines += [f"  * {f.id}: {field_text(f)}" for f in node.fields]
        lines += [f"  {words} -> {target}" for words, target in branches(node)]
        lines += [f"  {line}" for line in handover_lines(node)]
        if node.requires:
            lines.append(f"  only after: {', '.join(node.requires)}")
        if node.treatment:
            lines.append(f"  {TREATMENT_NOTE}")
        if node.disagreement:
            lines.append(f"  sources disagree: {node.disagreement}")
        if node.refs:
            lines.append(f"  sources: {', '.join(node.refs)}")
    # A file from before the text-control rule, or built by other code, must not steer the terminal.
    return "".join(visible(part) + "\n" for line in lines for part in line.split("\n"))


_LINK = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]+")


def _paragraph(text: str) -> str:
    """A paragraph of protocol text as Markdown that shows exactly its characters, line breaks kept."""
    return "  \n".join(md_escape(line) for line in text.split("\n"))


def markdown(protocol: Protocol, sha256: str | None = None) -> str:
    """The review document a clinical lead reads and signs: every node in order, with full sources.

    Every text from the file is escaped: what is signed reads exactly as the file says, never as markup
    (a `<script>`, an `*emphasis*` or a table pipe in a label is shown, not obeyed). With the file's `sha256`,
    the sign-off names it, so a signature is tied to exact content."""
    t = md_escape
    review = protocol.review
    out = [f"# {t(protocol.title)}", "",
           f"- **Protocol id:** `{protocol.id}`",
           f"- **Version:** {t(protocol.version)}",
           f"- **Status:** {protocol.status}" + (" (reference content, not approved for clinical use)"
                                                  if protocol.status != "approved" else ""),
           f"- **Approved by:** {t(review.approved_by or 'not approved')}"
           + (f" on {review.approved_on}" if review.approved_on else ""),
           f"- **Last reviewed:** {review.last_reviewed or 'never'}",
           f"- **Next review:** {review.next_review or 'not set'}", ""]
    if protocol.summary:
        out += [_paragraph(protocol.summary), ""]
    if protocol.changes:
        out += ["## Changes in this version", "", _paragraph(protocol.changes), ""]
    if protocol.red_flags:
        out += ["## Red flags (offered at every step)", ""]
        out += [f"- **[{f.key}]** {t(f.label)} -> {_anchor(protocol, f.goto)}" for f in protocol.red_flags]
        out.append("")
    if protocol.facts:
        out += ["## Facts", ""]
        out += [f"- `{name}` ({fact.type}{': ' + ', '.join(fact.choices) if fact.choices else ''})"
                + (f": {t(fact.label)}" if fact.label else "") for name, fact in protocol.facts.items()]
        out.append("")
    if protocol.derived:
        out += ["## Derived values", ""]
        for name, d in protocol.derived.items():
            limit = f", up to {d.variable} = {d.max_input}; beyond: {t(d.beyond_text)}" if d.max_input else ""
            out.append(f"- `{{{name}}}` = {d.variable} x {d.times} {t(d.unit)}{limit}")
        out.append("")
    if protocol.contacts:
        out += ["## Contacts", ""]
        out += [f"- `{{contact:{key}}}`: {t(words)}" for key, words in protocol.contacts.items()]
        out.append("")

    def w(text: str) -> str:
        return fill_contacts(text, protocol.contacts)

    out += ["## Steps", ""]
    disagreements: list[str] = []
    for number, nid in enumerate(node_order(protocol), start=1):
        node = protocol.nodes[nid]
        detail = node_detail(node)
        out += [f"### {number}. {t(w(node.title))}", "",
                f"`{nid}` - {node.kind}" + (f" ({t(detail)})" if detail else ""), ""]
        if node.headline:
            out += [f"**Headline:** {t(w(node.headline))}", ""]
        if node.text:
            out += [_paragraph(w(node.text)), ""]
        if isinstance(node, QuestionNode):
            for option in node.options:
                extra = f" - {_paragraph(option.detail)}" if option.detail else ""
                refs = f" [{', '.join(option.refs)}]" if option.refs else ""
                sets = f" (sets {t(sets_text(option.set))})" if option.set else ""
                out.append(f"- **[{option.key}]** {t(w(option.label))}{extra}{refs} -> {_anchor(protocol, option.next)}"
                           + sets)
            out.append("")
        if steps(node):
            out += [f"- [ ] {t(w(step))}" for step in steps(node)]
            out.append("")
        if isinstance(node, RecordNode):
            out += [f"- Record `{f.id}`: {t(field_text(f))}" for f in node.fields]
            out.append("")
        if branches(node):
            out += [f"- {t(words)} -> {_anchor(protocol, target)}" for words, target in branches(node)]
            out.append("")
        if handover_lines(node):
            out += [f"- {t(line)}" for line in handover_lines(node)]
            out.append("")
        if (following := then(node)) is not None:
            out += [f"Next: {_anchor(protocol, following)}", ""]
        if node.requires:
            out += [f"Only after: {', '.join(node.requires)}", ""]
        if node.treatment:
            out += [TREATMENT_NOTE[0].upper() + TREATMENT_NOTE[1:], ""]
        if node.disagreement:
            out += [f"> **Sources disagree:** {_paragraph(node.disagreement)}", ""]
            disagreements.append(f"- {t(node.title)} (`{nid}`): {_paragraph(node.disagreement)}")
        if node.refs:
            out += [f"Sources: {', '.join(node.refs)}", ""]
    if disagreements:
        out += ["## Where sources disagree", "", *disagreements, ""]
    out += ["## References", ""]
    for key, ref in protocol.references.items():
        # An ordinary web address stays a link; anything else is shown as text.
        url = "" if not ref.url else f" <{ref.url}>" if _LINK.fullmatch(ref.url) else f" ({t(ref.url)})"
        out.append(f"- **{key}**: {_paragraph(ref.citation)}{url}")
    out += ["", "## Sign-off", ""]
    if sha256:
        out += [f"Signing approves exactly this file: `{protocol.id}.yaml` version {t(protocol.version)}, "
                f"sha256 `{sha256}`.", ""]
    out += ["| Role | Name | Signature | Date |", "|---|---|---|---|",
            "| Clinical lead | | | |", "| Reviewer | | | |", ""]
    return "\n".join(out)


def _anchor(protocol: Protocol, nid: str) -> str:
    node = protocol.nodes.get(nid)
    return f"{md_escape(node.title)} (`{nid}`)" if node else f"`{nid}`"
