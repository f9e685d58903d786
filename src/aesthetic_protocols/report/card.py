"""The protocol as a two-sided quick-reference card for the emergency kit (`protocol card ID`).

The wall side (page 1), readable pinned on a wall at a metre: title, version, status and the file's sha256
(short); the red flags, each with its full emergency steps (and the timers kept until handover); the main
path's headlines as numbered steps, decisions pointing at step numbers. The details side (page 2): the doses
as the tree states them, with their hedges; every step with its checklist, what to enter and record; the
source keys. The HTML card's type is fitted to its page by a few lines of script run by the printing browser:
the wall side never below 10 pt (headings 14 pt), the details side as large as fits.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import field
from typing import assert_never

from aesthetic_protocols.clinic import fill_contacts
from aesthetic_protocols.nodes import branches, successors, then
from aesthetic_protocols.nodes import steps as node_steps
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.tree import (
    PLACEHOLDER_RE,
    ActionNode,
    AnyNode,
    DecideNode,
    InputNode,
    OutcomeNode,
    Protocol,
    QuestionNode,
    RecordField,
    RecordNode,
    WaitNode,
)

SHORT_SHA = 12
# The details side's type size for a card of N characters of text: about sqrt(CARD_TEXT / N) pt fills one A4
# page in two columns (measured on the bundled trees' cards); the browser's fitting script then fine-tunes.
CARD_TEXT = 320_000
LARGEST, SMALLEST = 14.0, 6.0


@dataclass(frozen=True)
class Choice:
    """One answer at a decision point and where it leads (a step number, or a title off the main path)."""

    key: str
    label: str
    goes_to: str


@dataclass(frozen=True)
class Step:
    """One numbered step of the main path."""

    number: int
    node_id: str
    kind: str
    title: str
    headline: str
    lines: list[str]  # the checklist, or what to enter, when there is no headline to say it
    choices: list[Choice]
    then: str  # where it leads next ("" for a decision or an ending)
    severity: str = ""  # outcomes only
    flag: str = ""  # the key of a red flag whose emergency path, printed whole on the wall side, holds this step

    @property
    def on_wall(self) -> bool:
        """Whether the wall side lists it: a step that says what to do (a headline) or an ending. Questions,
        records and decisions without a headline are overleaf with their answers."""
        return bool(self.headline or self.severity)


@dataclass(frozen=True)
class FlagAction:
    """One step of a red flag's emergency path: its title, headline, every line of its checklist (or what to
    record), and the timers to keep until handover."""

    title: str
    headline: str
    lines: list[str]
    timers: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)  # the node ids this step of the path prints
    # The wall side's timers: each in words, the log by its keys (what each key records is overleaf, in full).
    wall_timers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FlagBox:
    """A red flag and what to do: its target's headline (or its steps), then where that path ends."""

    key: str
    label: str
    target: str
    headline: str
    lines: str  # the target's checklist as running text, when it has no headline
    ends: str
    actions: list[FlagAction] = field(default_factory=list)  # the whole emergency path, step by step


@dataclass(frozen=True)
class Dose:
    """A dose as the tree states it: the rule, and the text around it with its hedges."""

    name: str
    rule: str
    where: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Card:
    """Everything on the card, as text."""

    id: str
    title: str
    version: str
    status: str
    draft: bool
    sha256: str
    sha_short: str
    flags: list[FlagBox]
    doses: list[Dose]
    steps: list[Step]
    sources: list[str]

    @property
    def size(self) -> float:
        """The starting type size in pt (quarter points): large for a short tree, smaller for a long one."""
        texts = [self.title, *(f.label + f.target + f.headline + f.lines + f.ends for f in self.flags),
                 *(d.name + d.rule + " ".join(d.where) for d in self.doses),
                 *(s.title + s.headline + " ".join(s.lines) + " ".join(c.label + c.goes_to for c in s.choices)
                   + s.then for s in self.steps), " ".join(self.sources)]
        chars = max(1, sum(len(text) for text in texts))
        return max(SMALLEST, min(LARGEST, int((CARD_TEXT / chars) ** 0.5 * 4) / 4))


def _main_path(protocol: Protocol) -> list[str]:
    """Nodes reachable from the start, breadth first (the order a walk meets them)."""
    order, seen = [], {protocol.start}
    queue = deque([protocol.start])
    while queue:
        nid = queue.popleft()
        if nid not in protocol.nodes:
            continue
        order.append(nid)
        for nxt in successors(protocol.nodes[nid]):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return order


def _times(protocol: Protocol, name: str) -> str:
    derived = protocol.derived[name]
    return f"{derived.times} {derived.unit} \u00d7 {derived.variable.replace('_', ' ')}"  # the multiplication sign


def _rule(protocol: Protocol, name: str) -> str:
    derived = protocol.derived[name]
    text = _times(protocol, name)
    if derived.max_input is not None:
        text += f" (up to {derived.max_input}; beyond: {derived.beyond_text})"
    return text


def _entered(protocol: Protocol, name: str) -> tuple[str, str]:
    """A value entered during the walk in words ("the number of areas", "the weight entered"), and the stem
    of the counted unit ("area") that may follow the placeholder in the text ("{areas} area(s)")."""
    unit = next((node.unit or "" for node in protocol.nodes.values()
                 if isinstance(node, InputNode) and node.variable == name), "")
    if unit.isalpha() and len(unit) > 2:  # a counted thing (areas, syringes), not a measure (mL, U, kg)
        return f"the number of {unit}", unit.removesuffix("s")
    return f"the {name.replace('_', ' ')} entered", ""


def _fill(protocol: Protocol, text: str) -> str:
    """`{name}` placeholders as the card can state them, in words: a derived value's rule, an entered value
    described ("the number of areas"; a counted unit right after it is then left out)."""
    for name in dict.fromkeys(PLACEHOLDER_RE.findall(text)):
        if name in protocol.derived:
            text = text.replace(f"{{{name}}}", _times(protocol, name))
            continue
        words, stem = _entered(protocol, name)
        after = rf"(?:\s+{re.escape(stem)}\w*(?:\(s\))?)?" if stem else ""
        text = re.sub(rf"\{{{re.escape(name)}\}}{after}", words.replace("\\", "\\\\"), text)
    return fill_contacts(text, protocol.contacts)


def _headline(protocol: Protocol, node: AnyNode) -> str:
    return _fill(protocol, node.headline or "")


def _field_text(protocol: Protocol, item: RecordField) -> str:
    """A field to record, with its unit and the value it offers: a derived value by its name (the card's doses
    section gives its rule), an entered one in words ("the number of areas")."""
    default = item.default or ""
    said = default.replace("_", " ") if default in protocol.derived else _entered(protocol, default)[0]
    offered = f"default: {said}" if default else ""
    extra = [part for part in (item.unit, offered) if part]
    return item.label + (f" ({', '.join(extra)})" if extra else "")


def _lines(protocol: Protocol, node: AnyNode) -> list[str]:
    """What a step says when it has no headline: its checklist, what to enter, or what to record."""
    match node:
        case InputNode():
            unit = f" {node.unit}" if node.unit else ""
            return [f"Enter {node.variable.replace('_', ' ')}: {node.min} to {node.max}{unit}"]
        case RecordNode():
            return ["Record: " + "; ".join(_field_text(protocol, f) for f in node.fields)]
        case ActionNode() | WaitNode() | OutcomeNode() | QuestionNode() | DecideNode():
            return [_fill(protocol, step) for step in node_steps(node)]
        case _:
            assert_never(node)


def _handover(node: AnyNode, keys_only: bool = False) -> str:
    """An outcome until handover in one line: each timer beside the step it times, what to log, then `h`.
    `keys_only`: the log by its keys alone (the wall side, where the checklist above already says each drug)."""
    block = node.until_handover if isinstance(node, OutcomeNode) else None
    if block is None:
        return ""
    logged = {item.key for item in block.log}
    # A timer counts from a log entry, named by its key: the log that follows says the entry in words.
    timers = [f"{t.label}: every {t.every_minutes} min from [{t.from_}]" if t.from_ in logged
              else f"{t.label}: every {t.every_minutes} min" for t in block.timers]
    logs = ", ".join(f"[{item.key}] {item.label}" for item in block.log)
    if keys_only and block.log:
        logs = " ".join(f"[{item.key}]" for item in block.log) + " (each key's entry: overleaf)"
    return "Until handover: " + "; ".join([*timers, *([f"log {logs}"] if logs else []), "[h] handed over"])


def _sentences(lines: list[str]) -> str:
    """Checklist lines as running text: each ends with a full stop unless it has its own."""
    return " ".join(line if line.endswith((".", "!", "?")) else line + "." for line in lines)


def _uses(node: AnyNode, name: str) -> bool:
    texts = [node.text or "", node.headline or "", *node_steps(node)]
    return any(f"{{{name}}}" in text for text in texts)


def _steps(protocol: Protocol, main: list[str], flagged: dict[str, str]) -> list[Step]:
    """The main path, numbered; decisions and the next step point at step numbers. `flagged`: the node ids of
    the red flags' emergency paths (printed whole on the wall side), with the flag's key."""
    numbers = {nid: index for index, nid in enumerate(main, start=1)}

    def where(nid: str) -> str:
        if nid in numbers:
            return f"step {numbers[nid]}"
        node = protocol.nodes.get(nid)
        return node.title if node else nid

    steps = []
    for nid in main:
        node = protocol.nodes[nid]
        headline = _headline(protocol, node)
        choices = ([Choice(o.key, o.label, where(o.next)) for o in node.options]
                   if isinstance(node, QuestionNode) else [])
        choices += [Choice("", words, where(target)) for words, target in branches(node)]  # decide rules, early
        lines = [] if headline and not isinstance(node, InputNode) else _lines(protocol, node)
        if isinstance(node, WaitNode):
            lines = [f"Wait {node.minutes} min, then reassess.", *lines]
        lines += [f"Until handover: {line}" for line in until_handover(protocol, node)]
        following = then(node)
        then_text = where(following) if following is not None else ""
        steps.append(Step(numbers[nid], nid, node.kind, node.title, headline, lines, choices, then_text,
                          str(node.severity) if isinstance(node, OutcomeNode) else "", flagged.get(nid, "")))
    return steps


def _ends(protocol: Protocol, target: AnyNode, target_id: str) -> str:
    """Where a red flag's path ends when it runs on without a decision (e.g. the emergency referral)."""
    follow: AnyNode | None = target
    seen = {target_id}
    while follow is not None and not isinstance(follow, OutcomeNode | QuestionNode):
        nxt = successors(follow)[0]
        if nxt in seen:
            return ""
        seen.add(nxt)
        follow = protocol.nodes.get(nxt)
    if isinstance(follow, OutcomeNode) and follow is not target:
        return f"{follow.title} ({follow.severity})"
    return ""


def until_handover(protocol: Protocol, node: AnyNode) -> list[str]:
    """What an outcome kept open until handover asks, in words: each timer with the entry it counts from
    (e.g. "Repeat adrenaline if no better: every 5 min from Adrenaline given"), then what to log and `h`.
    Both sides of the card print them under the step."""
    line = _handover(node)
    return [line.removeprefix("Until handover: ")] if line else []


def wall_until_handover(node: AnyNode) -> list[str]:
    """`until_handover` as the wall side prints it: the timers in words, the log by its keys."""
    line = _handover(node, keys_only=True)
    return [line.removeprefix("Until handover: ")] if line else []


def _emergency_path(protocol: Protocol, goto: str) -> list[FlagAction]:
    """A red flag's path step by step, from its target to the outcome or decision it runs on to: each step's
    headline and its whole checklist (a record step: what to record)."""
    actions: list[FlagAction] = []
    seen: set[str] = set()
    node = protocol.nodes.get(goto)
    while node is not None and goto not in seen and not isinstance(node, QuestionNode):
        seen.add(goto)
        headline, lines, timers = _headline(protocol, node), _lines(protocol, node), until_handover(protocol, node)
        if actions and not headline:  # a step without a headline (what to record) goes on with the one before
            actions[-1].lines.extend(lines)
            actions[-1].timers.extend(timers)
            actions[-1].nodes.append(goto)
            actions[-1].wall_timers.extend(wall_until_handover(node))
        else:
            actions.append(FlagAction(node.title, headline, lines, timers, [goto], wall_until_handover(node)))
        nexts = successors(node)
        if isinstance(node, OutcomeNode) or not nexts:
            break
        goto = nexts[0]
        node = protocol.nodes.get(goto)
    return actions


def _flags(protocol: Protocol) -> list[FlagBox]:
    """Each red flag with what to do: its target's headline (or its checklist), where that path ends, and the
    whole path step by step."""
    flags = []
    for flag in protocol.red_flags:
        target = protocol.nodes.get(flag.goto)
        if target is None:
            continue
        headline = _headline(protocol, target)
        flags.append(FlagBox(flag.key, flag.label, target.title, headline,
                             "" if headline else _sentences(_lines(protocol, target)),
                             _ends(protocol, target, flag.goto), _emergency_path(protocol, flag.goto)))
    return flags


def _doses(protocol: Protocol, main: list[str]) -> list[Dose]:
    """Each derived value (a dose): its rule, and what the steps using it say, with where sources disagree."""
    doses = []
    for name in protocol.derived:
        said = []
        for node in (protocol.nodes[nid] for nid in main if _uses(protocol.nodes[nid], name)):
            said.append(f"{node.title}: " + _sentences([_fill(protocol, text) for text in (node.headline, node.text)
                                                         if text]))
            if node.disagreement:
                said.append(f"Sources disagree: {node.disagreement}")
        doses.append(Dose(name.replace("_", " "), _rule(protocol, name), said))
    return doses


def card_data(protocol: Protocol, sha256: str) -> Card:
    """The card of a protocol file (`sha256` of the file, shown short)."""
    main = _main_path(protocol)
    flags = _flags(protocol)
    flagged = {nid: flag.key for flag in reversed(flags) for action in flag.actions for nid in action.nodes}
    for action in (action for flag in flags for action in flag.actions):
        if not set(action.nodes) <= set(main):  # a step only a red flag reaches has no details step overleaf:
            action.wall_timers[:] = action.timers  # the wall side says its log in words
    return Card(protocol.id, protocol.title, protocol.version, str(protocol.status), str(protocol.status) == "draft",
                sha256, sha256[:SHORT_SHA], flags, _doses(protocol, main), _steps(protocol, main, flagged),
                list(protocol.references))


def card_markdown(protocol: Protocol, sha256: str) -> str:
    """The card as Markdown (every value escaped)."""
    from aesthetic_protocols.report.templating import render

    return render("card.md.j2", card=card_data(protocol, sha256))


def card_html(protocol: Protocol, sha256: str) -> str:
    """The card as a standalone HTML page that prints on two A4 pages: the wall side, then the details."""
    from aesthetic_protocols.report.templating import render

    return render("card.html.j2", card=card_data(protocol, sha256))
