"""Rules beyond the schema, each with a stable id. Every rule is linear in the size of the tree.

The rules read the validated model and point into the file through `Source.where`, so a trainer sees
`file:line:col` for a dangling `next:` exactly as for a YAML typo.
"""

from __future__ import annotations

import gc
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from aesthetic_protocols import SUBCOMMANDS
from aesthetic_protocols.errors import InvalidProtocol, Problem, Severity
from aesthetic_protocols.fact_checks import FACT_RULES
from aesthetic_protocols.loader import MAX_PROBLEMS, build, build_model, more_problems, parse_source
from aesthetic_protocols.model import ScenarioFile
from aesthetic_protocols.nodes import steps, successors, targets
from aesthetic_protocols.plain_data import dataclass
from aesthetic_protocols.search import SCENARIO_SUFFIX, file_id
from aesthetic_protocols.source import MAX_BYTES, Loaded, PathKey, Source
from aesthetic_protocols.tree import (
    CONTACT_RE,
    HEADLINE_MAX,
    NOT_ENTERED,
    PLACEHOLDER_RE,
    AnyNode,
    InputNode,
    OutcomeNode,
    OutcomeSeverity,
    Protocol,
    QuestionNode,
    RecordNode,
    Status,
    WaitNode,
)

# Outcome severities from least to most urgent: a red flag may lead only to outcomes at least as urgent as its
# own `severity`.
URGENCY = {severity: rank for rank, severity in enumerate(OutcomeSeverity)}


@dataclass(frozen=True)
class Rule:
    """A rule's stable id, its severity and what it finds."""

    id: str
    severity: Severity
    summary: str


RULES: dict[str, Rule] = {rule.id: rule for rule in (
    Rule("unknown-start", Severity.ERROR, "`start` names no node"),
    Rule("unknown-target", Severity.ERROR, "a `next` or `goto` names no node"),
    Rule("unknown-requirement", Severity.ERROR, "`requires` names no node"),
    Rule("unreachable", Severity.ERROR, "a node cannot be reached from `start` (or a red flag)"),
    Rule("trap", Severity.ERROR, "no outcome can be reached from a node (a dead end or a closed loop)"),
    Rule("wait-no-exit", Severity.ERROR, "a `wait` lies on no path that can still reach an outcome"),
    Rule("no-outcome", Severity.ERROR, "the protocol has no outcome node"),
    Rule("duplicate-option-key", Severity.ERROR, "two options of one question share a key"),
    Rule("duplicate-red-flag-key", Severity.ERROR, "two red flags share a key"),
    Rule("red-flag-key-collision", Severity.ERROR, "a red flag's key is also an option key or a record choice key"),
    Rule("red-flag-target", Severity.ERROR, "a red flag can lead to an outcome less urgent than its `severity`"),
    Rule("resolved-needs-due-wait", Severity.ERROR,
         "a `resolved` outcome can be reached from a `treatment: true` step without some wait's full time "
         "(its `next`), or a wait after a treatment step that can reach one has no `early`"),
    Rule("unknown-fact", Severity.ERROR, "a condition names no fact (declared, input variable or record field)"),
    Rule("condition-type", Severity.ERROR, "a condition's comparison does not fit its fact's type"),
    Rule("set-fact", Severity.ERROR, "an option sets an undeclared fact, or a value not of the fact's type"),
    Rule("kit-negated", Severity.ERROR, "a kit condition under `not` (no clinic file would read as a kit in order)"),
    Rule("fact-unset", Severity.ERROR, "a fact a decide reads is not set on every path reaching it"),
    Rule("decide-loop", Severity.ERROR, "a decide node routes back to itself with no prompt between"),
    Rule("fact-field-unique", Severity.ERROR, "a record field id read by a condition is used by two fields"),
    Rule("fact-conflict", Severity.ERROR,
         "a declared fact, an input variable or a record field share a name, not a type"),
    Rule("record-field-now", Severity.ERROR, "a bound against now on a field of another type"),
    Rule("record-field-teaching", Severity.ERROR, "`teaching` on a time, date or photo field"),
    Rule("unknown-reference", Severity.ERROR, "a `refs` key is not defined under `references`"),
    Rule("missing-citation", Severity.ERROR, "an action, wait or outcome node cites no reference"),
    Rule("duplicate-requirement", Severity.ERROR, "a `requires` list names the same node twice"),
    Rule("requires-before", Severity.ERROR, "a node can be reached without passing a node it `requires`"),
    Rule("unknown-variable", Severity.ERROR, "a `{name}` in text is neither an input variable nor derived"),
    Rule("unknown-contact", Severity.ERROR, "a `{contact:KEY}` in text has no default words under `contacts`"),
    Rule("contact-placement", Severity.ERROR,
         "a `{contact:KEY}` in an option or field label, where it would be shown as written"),
    Rule("input-bounds", Severity.ERROR, "an input's `min` is above its `max`"),
    Rule("id-mismatch", Severity.ERROR, "`id` differs from the file name"),
    Rule("reserved-id", Severity.ERROR, "`id` is a subcommand name, so `protocol ID` could not run it"),
    Rule("approved-without-approver", Severity.ERROR, "`status: approved` without `review.approved_by`/`approved_on`"),
    Rule("review-overdue", Severity.WARNING, "`review.next_review` is in the past"),
    Rule("scenario-protocol", Severity.ERROR, "a scenario file names a protocol other than the one beside it"),
    Rule("record-field-duplicate", Severity.ERROR, "two fields of one record node share an id"),
    Rule("record-field-unit", Severity.ERROR, "a number field has no unit"),
    Rule("record-field-bounds", Severity.ERROR, "a field's `min` is above its `max`"),
    Rule("record-field-choices", Severity.ERROR, "a choice field has no choices, or two choices share a key"),
    Rule("record-field-default", Severity.ERROR, "a field's `default` names no input variable or derived value"),
    Rule("handover-log-key", Severity.ERROR,
         "an `until_handover` log key is used twice, or is a red flag's key or `h` (handed over)"),
    Rule("handover-timer-from", Severity.ERROR, "an `until_handover` timer's `from` names none of its log keys"),
    Rule("handover-missing", Severity.WARNING,
         "an emergency outcome whose steps say to repeat something or to go on until transfer has no "
         "`until_handover` block (its timers and drug log)"),
    Rule("headline-length", Severity.ERROR,
         f"a headline can render longer than {HEADLINE_MAX} characters once its {{variables}} are filled"),
)}


# The rules without which the engine cannot walk a tree or show its text. An older version of a tree, written
# before a newer clinical rule existed, is still compared (`diff`) and re-walked (`log replay`) if it passes
# these; the other rules judge content, which is what those commands are there to show.
WALKABLE_RULES = frozenset({
    "unknown-start", "unknown-target", "unknown-variable", "unknown-contact", "input-bounds", "duplicate-option-key",
    "duplicate-red-flag-key", "red-flag-key-collision", "record-field-duplicate", "record-field-bounds",
    "record-field-choices", "record-field-default", "handover-log-key", "handover-timer-from",
})


class _Finder:
    """Collects problems at the file position of a model path."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[Problem] = []
        # Per rule and list (a `refs:` or `requires:` of 100,000 items): past MAX_PROBLEMS, only counted. They
        # stand after that list's first MAX_PROBLEMS in the file, so they could never be among those shown.
        self.per_list: dict[tuple[str, PathKey], int] = {}
        self.hidden = 0

    def add(self, rule: str, where: PathKey, message: str) -> None:
        key = (rule, where[:-1])
        seen = self.per_list.get(key, 0)
        self.per_list[key] = seen + 1
        if seen >= MAX_PROBLEMS:
            self.hidden += 1
            return
        line, column = self.source.values.get(where) or self.source.where(where)
        self.problems.append(Problem(self.source.path, line, column, RULES[rule].severity, rule, message))

    def sorted(self) -> list[Problem]:
        """Every problem in file order; past MAX_PROBLEMS, one line with the count of the rest."""
        found = sorted(self.problems, key=lambda p: (p.line, p.column, p.rule))
        if not self.hidden:
            return found
        shown = found[:MAX_PROBLEMS]
        return [*shown, more_problems(shown[-1].path, shown[-1], len(found) + self.hidden - len(shown))]


def _reach(starts: Iterable[str], edges: Callable[[str], Iterable[str]],
           blocked: str | None = None) -> set[str]:
    seen = {s for s in starts if s != blocked}
    queue = deque(seen)
    while queue:
        for nxt in edges(queue.popleft()):
            if nxt not in seen and nxt != blocked:
                seen.add(nxt)
                queue.append(nxt)
    return seen


class Dominators:
    """Which nodes every path from the entries passes (Cooper, Harvey and Kennedy, "A Simple, Fast Dominance
    Algorithm", 2001), numbered on the dominator tree so that each question is two comparisons.

    A node no entry reaches is dominated by everything (no path reaches it without passing any node).
    """

    def __init__(self, entries: Iterable[str], edges: Callable[[str], Iterable[str]]) -> None:
        root = ""  # a virtual root before every entry; node ids are non-empty slugs
        order = self._reverse_postorder(root, lambda nid: dict.fromkeys(entries) if nid == root else edges(nid))
        number = {nid: index for index, nid in enumerate(order)}
        preds: dict[str, list[str]] = {nid: [] for nid in order}
        for nid in order:
            for target in (dict.fromkeys(entries) if nid == root else edges(nid)):
                preds[target].append(nid)
        idom: dict[str, str] = {root: root}
        changed = True
        while changed:
            changed = False
            for nid in order[1:]:
                new: str | None = None
                # Nodes a finger has passed for this node: each lies below `new` in the dominator tree (which
                # only moves up), so a finger reaching one has met `new`. Without this, a node with thousands of
                # predecessors down one chain (every decide's `otherwise: end`) walked the chain once for each.
                passed: set[str] = set()
                for pred in preds[nid]:
                    if pred not in idom:
                        continue
                    if new is None:
                        new = pred
                        continue
                    a, b = pred, new
                    while a != b:
                        while number[a] > number[b] and a not in passed:
                            passed.add(a)
                            a = idom[a]
                        if a in passed:
                            a = b
                            break
                        while number[b] > number[a]:
                            passed.add(b)
                            b = idom[b]
                    new = a
                if new is not None and idom.get(nid) != new:
                    idom[nid] = new
                    changed = True
        children: dict[str, list[str]] = {nid: [] for nid in order}
        for nid in order[1:]:
            children[idom[nid]].append(nid)
        self.enter: dict[str, int] = {}
        self.leave: dict[str, int] = {}
        clock = 0
        stack: list[tuple[str, bool]] = [(root, False)]
        while stack:
            nid, done = stack.pop()
            if done:
                self.leave[nid] = clock
            else:
                self.enter[nid] = clock
                stack.append((nid, True))
                stack.extend((child, False) for child in children[nid])
            clock += 1

    @staticmethod
    def _reverse_postorder(root: str, edges: Callable[[str], Iterable[str]]) -> list[str]:
        seen = {root}
        post: list[str] = []
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(edges(root)))]
        while stack:
            nid, rest = stack[-1]
            for target in rest:
                if target not in seen:
                    seen.add(target)
                    stack.append((target, iter(edges(target))))
                    break
            else:
                stack.pop()
                post.append(nid)
        return post[::-1]

    def dominates(self, a: str, b: str) -> bool:
        """Whether every path from an entry to `b` passes `a` (a node dominates itself)."""
        if b not in self.enter:
            return True  # unreachable: no path at all
        if a not in self.enter:
            return False
        return self.enter[a] <= self.enter[b] and self.leave[b] <= self.leave[a]


def _texts(node: AnyNode) -> Iterator[tuple[PathKey, str]]:
    yield ("title",), node.title
    if node.headline:
        yield ("headline",), node.headline
    if node.text:
        yield ("text",), node.text
    for index, step in enumerate(steps(node)):
        yield ("steps", index), step
    if isinstance(node, QuestionNode):
        for index, option in enumerate(node.options):
            yield ("options", index, "label"), option.label
    if isinstance(node, RecordNode):
        for index, record_field in enumerate(node.fields):
            yield ("fields", index, "label"), record_field.label


def _check_record(find: _Finder, nid: str, node: RecordNode, known_names: set[str]) -> None:
    seen: set[str] = set()
    for index, record_field in enumerate(node.fields):
        here: PathKey = ("nodes", nid, "fields", index)
        if record_field.id in seen:
            find.add("record-field-duplicate", (*here, "id"), "this field id is used twice in this record node")
        seen.add(record_field.id)
        if record_field.type == "number" and not record_field.unit:
            find.add("record-field-unit", here, "a number field needs a unit (mL, U, mg...)")
        low, high = record_field.min, record_field.max
        if low is not None and high is not None and low > high:
            find.add("record-field-bounds", (*here, "min"), "min is above max")
        if record_field.type == "choice":
            keys = [choice.key for choice in record_field.choices]
            if not keys:
                find.add("record-field-choices", here, "a choice field needs choices")
            elif len(set(keys)) != len(keys):
                find.add("record-field-choices", (*here, "choices"), "two choices share a key")
        if record_field.default is not None and record_field.default not in known_names:
            find.add("record-field-default", (*here, "default"),
                     "default names neither an input variable nor a derived value")


# Words that say an emergency outcome's care goes on after the outcome is reached.
_GOES_ON = re.compile(r"\brepeat|\buntil (?:transfer|handover|the ambulance)", re.IGNORECASE)


def _check_handover(find: _Finder, protocol: Protocol, nid: str, node: OutcomeNode) -> None:
    """An outcome's `until_handover`: its log keys are one keystroke each, apart from the red flags and `h`
    (the command words are longer than a key, so none can be one); each timer counts from one of them."""
    block = node.until_handover
    assert block is not None
    flags = {flag.key for flag in protocol.red_flags}
    seen: set[str] = set()
    for index, item in enumerate(block.log):
        where = ("nodes", nid, "until_handover", "log", index, "key")
        if item.key in seen:
            find.add("handover-log-key", where, "log key used twice in this handover block")
        elif item.key in flags:
            find.add("handover-log-key", where, "log key is also a red flag's key")
        elif item.key == "h":
            find.add("handover-log-key", where, "log key 'h' is taken: it means handed over")
        seen.add(item.key)
    for index, timer in enumerate(block.timers):
        if timer.from_ not in seen:
            find.add("handover-timer-from", ("nodes", nid, "until_handover", "timers", index, "from"),
                     "timer's `from` names none of this block's log keys")


def _longest_values(protocol: Protocol) -> dict[str, int]:
    """The most characters each `{name}` can show once its input is answered, as `Session.render` fills it.

    An input variable shows its largest or most negative value; a derived value its largest amount inside
    its table and, when the input can go past `max_input`, its `beyond_text`.
    """
    bounds: dict[str, tuple[int, int]] = {}
    for node in protocol.nodes.values():
        if isinstance(node, InputNode):
            low, high = bounds.get(node.variable, (node.min, node.max))
            bounds[node.variable] = (min(low, node.min), max(high, node.max))
    widest: dict[str, int] = {}
    for name, (low, high) in bounds.items():
        widest[name] = max(len(str(low)), len(str(high)))
    for name, derived in protocol.derived.items():
        if derived.variable not in bounds:
            continue
        low, high = bounds[derived.variable]
        top = high if derived.max_input is None else min(high, derived.max_input)
        shown = [f"{amount * derived.times} {derived.unit}" for amount in (low, top) if low <= top]
        if derived.max_input is not None and high > derived.max_input:
            shown.append(derived.beyond_text)
        if shown:  # none when the input's min is above its max (rule `input-bounds`)
            widest[name] = max(map(len, shown))
    return widest


def _check_headlines(find: _Finder, protocol: Protocol, entries: list[str],
                     edges: Callable[[str], Iterable[str]]) -> None:
    """Rule `headline-length`: a headline stays within HEADLINE_MAX characters at its longest rendering."""
    unset_at: dict[str, set[str]] = {}
    widest = _longest_values(protocol)

    def reached_before(variable: str) -> set[str]:
        # Nodes reachable from the start or a red flag without answering an input for `variable`.
        if variable not in unset_at:
            setters = {nid for nid, node in protocol.nodes.items()
                       if isinstance(node, InputNode) and node.variable == variable}
            unset_at[variable] = _reach(entries, lambda nid: () if nid in setters else edges(nid))
        return unset_at[variable]

    for nid, node in protocol.nodes.items():
        headline = node.headline
        if not headline or "{" not in headline:
            continue
        length = len(headline)
        for match in PLACEHOLDER_RE.finditer(headline):
            name = match.group(1)
            variable = protocol.derived[name].variable if name in protocol.derived else name
            # Before its input is answered (or if nothing sets it) a name shows NOT_ENTERED.
            shown = len(NOT_ENTERED) if nid in reached_before(variable) else 0
            length += max(widest.get(name, 0), shown) - len(match.group(0))
        if length > HEADLINE_MAX:
            find.add("headline-length", ("nodes", nid, "headline"),
                     f"can render as {length} characters (at most {HEADLINE_MAX}) with each {{name}} at its "
                     "longest (largest value, beyond_text, or not yet entered): shorten it")


def check(protocol: Protocol, source: Source, today: date, file_stem: str | None = None) -> list[Problem]:
    """Every rule over one validated protocol; problems in file order."""
    find = _Finder(source)
    nodes = protocol.nodes

    # Each node's existing successors, worked out once: every search below reads this table.
    graph = {nid: [t for t in successors(node) if t in nodes] for nid, node in nodes.items()}

    edges = graph.__getitem__

    if file_stem is not None and protocol.id != file_stem:
        find.add("id-mismatch", ("id",), "id differs from the file name (it must equal the name without .yaml)")
    if protocol.id in SUBCOMMANDS:
        find.add("reserved-id", ("id",), "id is a subcommand name; `protocol ID` could not run it")
    if protocol.status is Status.APPROVED and not (protocol.review.approved_by and protocol.review.approved_on):
        find.add("approved-without-approver", ("status",), "approved protocols name review.approved_by and approved_on")
    if protocol.review.next_review is not None and protocol.review.next_review < today:
        find.add("review-overdue", ("review", "next_review"), "review date has passed; review the protocol")

    if protocol.start not in nodes:
        find.add("unknown-start", ("start",), "start names no node")
    outcomes = [nid for nid, node in nodes.items() if isinstance(node, OutcomeNode)]
    if not outcomes:
        find.add("no-outcome", ("nodes",), "the protocol has no outcome node")

    # Targets, references, keys and text, node by node.
    variables = {node.variable for node in nodes.values() if isinstance(node, InputNode)}
    for name, derived in protocol.derived.items():
        if derived.variable not in variables:
            find.add("unknown-variable", ("derived", name, "variable"), "derived value reads no input variable")
    known_names = variables | set(protocol.derived)
    option_keys: set[str] = set()
    references = protocol.references
    # The per-node loop is the hot part of `check` on large trees: it tests the node's kind once and
    # builds a path tuple only when it has something to report.
    for nid, node in nodes.items():
        kind = node.kind
        if kind == "question":
            assert isinstance(node, QuestionNode)
            seen_keys: set[str] = set()
            for index, option in enumerate(node.options):
                if option.key in seen_keys:
                    find.add("duplicate-option-key", ("nodes", nid, "options", index, "key"),
                             "this option key is used twice in this question")
                seen_keys.add(option.key)
                option_keys.add(option.key)
                if option.next not in nodes:
                    find.add("unknown-target", ("nodes", nid, "options", index, "next"), "next names no node")
                for r_index, ref in enumerate(option.refs):
                    if ref not in references:
                        find.add("unknown-reference", ("nodes", nid, "options", index, "refs", r_index),
                                 "this reference is not defined under references")
        else:
            for where, target in targets(node):
                if target not in nodes:
                    find.add("unknown-target", ("nodes", nid, *where), f"{where[-1]} names no node")
        if kind == "input" and node.min > node.max:  # type: ignore[union-attr]
            find.add("input-bounds", ("nodes", nid, "min"), "min is above max")
        if kind == "record":
            assert isinstance(node, RecordNode)
            _check_record(find, nid, node, known_names)
            # A choice is typed at the same prompt as a red flag, and the red flag wins: keep them apart.
            option_keys.update(choice.key for record_field in node.fields for choice in record_field.choices)
        for index, ref in enumerate(node.refs):
            if ref not in references:
                find.add("unknown-reference", ("nodes", nid, "refs", index),
                         "this reference is not defined under references")
        if not node.refs and kind in ("action", "wait", "outcome"):
            find.add("missing-citation", ("nodes", nid), f"{kind} node cites no reference (add refs:)")
        here: PathKey = ("nodes", nid)
        required_seen: set[str] = set()
        repeated: list[int] = []  # reported once per list, at the first repeat: a list of 100,000 repeats is one line
        for index, required in enumerate(node.requires):
            if required not in nodes:
                find.add("unknown-requirement", (*here, "requires", index), "requires names no node")
            elif required in required_seen:
                repeated.append(index)
            required_seen.add(required)
        if repeated:
            more = f" ({len(repeated)} repeats in this list)" if len(repeated) > 1 else ""
            find.add("duplicate-requirement", (*here, "requires", repeated[0]), f"this node is required twice{more}")
        for where, text in _texts(node):
            if "{" not in text:
                continue
            for match in PLACEHOLDER_RE.finditer(text):
                if match.group(1) not in known_names:
                    find.add("unknown-variable", (*here, *where),
                             "a {name} here is neither an input variable nor a derived value")
            for match in CONTACT_RE.finditer(text):
                if where[0] in ("options", "fields"):
                    find.add("contact-placement", (*here, *where), "a {contact:KEY} is filled in a step's title, "
                             "headline, text and steps only; an option or field label shows it as written")
                elif match.group(1) not in protocol.contacts:
                    find.add("unknown-contact", (*here, *where),
                             "a {contact:KEY} here has no default words under contacts")

    flag_keys: set[str] = set()
    too_mild: dict[tuple[str, str], str | None] = {}  # (goto, severity) -> the first too mild outcome reached
    for index, flag in enumerate(protocol.red_flags):
        where = ("red_flags", index)
        if flag.key in flag_keys:
            find.add("duplicate-red-flag-key", (*where, "key"), "this red flag key is used twice")
        flag_keys.add(flag.key)
        if flag.key in option_keys:
            find.add("red-flag-key-collision", (*where, "key"),
                     "this red flag key is also an option or choice key; a keystroke must mean one thing")
        if flag.goto not in nodes:
            find.add("unknown-target", (*where, "goto"), "goto names no node")
            continue
        # One search per distinct (target, severity), however many flags share it.
        ask = (flag.goto, flag.severity)
        if ask not in too_mild:
            from_flag = _reach([flag.goto], edges)
            least = URGENCY[OutcomeSeverity(flag.severity)]
            too_mild[ask] = next((nid for nid in nodes if nid in from_flag  # file order: the same every run
                                  and isinstance(nodes[nid], OutcomeNode)
                                  and URGENCY[nodes[nid].severity] < least), None)  # type: ignore[union-attr]
        reached = too_mild[ask]
        if reached is not None:
            find.add("red-flag-target", (*where, "goto"),
                     f"red flag can lead to outcome '{reached}' of severity {nodes[reached].severity}; "  # type: ignore[union-attr]
                     + ("only emergency outcomes are allowed (a flag that needs only a referral says "
                        "`severity: refer`)" if flag.severity == "emergency"
                        else "only refer or emergency outcomes are allowed"))

    for rule in FACT_RULES:  # facts, decisions, gated waits, record bounds against now
        rule(protocol, find.add)

    # Reachability from the start (and from red flags, offered at every prompt).
    entries = [protocol.start] + [flag.goto for flag in protocol.red_flags]
    reachable = _reach([e for e in entries if e in nodes], edges)
    for node_id in nodes:
        if node_id not in reachable:
            find.add("unreachable", ("nodes", node_id), "node cannot be reached from start or a red flag")

    # Traps: nodes from which no outcome is reachable (reverse search from the outcomes).
    incoming: dict[str, list[str]] = {nid: [] for nid in nodes}
    for source_id in nodes:
        for target in edges(source_id):
            incoming[target].append(source_id)
    can_finish = _reach(outcomes, incoming.__getitem__)
    for nid, node in nodes.items():
        if nid not in can_finish and outcomes:
            if isinstance(node, WaitNode):
                find.add("wait-no-exit", ("nodes", nid), "this wait lies on no path that reaches an outcome")
            else:
                find.add("trap", ("nodes", nid), "no outcome can be reached from this node")

    for nid, node in nodes.items():
        if isinstance(node, OutcomeNode) and node.until_handover is not None:
            _check_handover(find, protocol, nid, node)
        elif isinstance(node, OutcomeNode) and node.severity == "emergency":
            said = next((index for index, step in enumerate(node.steps) if _GOES_ON.search(step)), None)
            if said is not None:
                find.add("handover-missing", ("nodes", nid, "steps", said),
                         "this emergency goes on (repeat, until transfer) but the walk would end here: add "
                         "`until_handover` with its log keys and timers")

    # `requires`: every path from an entry to the node passes the required node, i.e. the required node
    # dominates it. One dominator tree answers every entry of every `requires` list in constant time.
    live_entries = [e for e in entries if e in nodes]
    _check_headlines(find, protocol, live_entries, edges)
    dominates = Dominators(live_entries, edges).dominates
    for nid, node in nodes.items():
        for index, required in enumerate(node.requires):
            if required in nodes and not dominates(required, nid):
                find.add("requires-before", ("nodes", nid, "requires", index),
                         f"can be reached without passing '{required}' first")

    return find.sorted()


_MORE = f"fix the first {MAX_PROBLEMS} and validate again"


def capped(problems: list[Problem]) -> list[Problem]:
    """The first MAX_PROBLEMS problems, then one line saying how many more there are."""
    if len(problems) <= MAX_PROBLEMS + 1 or problems[-1].message.endswith(_MORE):
        return problems
    shown = problems[:MAX_PROBLEMS]
    return [*shown, more_problems(shown[-1].path, shown[-1], len(problems) - MAX_PROBLEMS)]


@contextmanager
def _collector_paused() -> Iterator[None]:
    # Parsing builds millions of small containers with no reference cycles; Python's cycle collector would
    # rescan them again and again (most of the time on large trees). Reference counting still frees them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_collector_paused()
def validate_path(path: Path, today: date, display: str | None = None, max_bytes: int = MAX_BYTES) -> list[Problem]:
    """Parse, validate and check one protocol or scenario file; every problem, located."""
    if path.name.endswith(SCENARIO_SUFFIX):
        return _validate_scenarios(path, display)
    try:
        source = parse_source(path, display, max_bytes)
        protocol = build(source)
    except InvalidProtocol as exc:
        return exc.problems
    return capped(check(protocol, source, today, file_id(path)))


def _validate_scenarios(path: Path, display: str | None) -> list[Problem]:
    try:
        source = parse_source(path, display)
        suite = build_model(ScenarioFile, source)
    except InvalidProtocol as exc:
        return exc.problems
    expected = file_id(path)
    if suite.protocol != expected:
        line, column = source.where(("protocol",))
        return [Problem(source.path, line, column, Severity.ERROR, "scenario-protocol",
                        f"names another protocol than the one beside it ({expected}.yaml)")]
    return []


@_collector_paused()
def load_checked(path: Path, today: date, display: str | None = None) -> tuple[Loaded, list[Problem]]:
    """Parse, validate and check a protocol fit to walk or show: InvalidProtocol on any error; the warnings.

    Callers go through `cache.load_valid`, which serves a file already checked today without this.
    """
    source = parse_source(path, display)
    loaded = Loaded(build(source), source)
    problems = check(loaded.protocol, source, today, file_id(path))
    if any(p.severity is Severity.ERROR for p in problems):
        raise InvalidProtocol(problems)
    return loaded, problems
