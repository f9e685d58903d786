"""The rules on facts, decisions and gated waits, each a small function reporting through `add(rule, path, msg)`.

Called by `checks.check` (which owns the rule table). Conditions are located at their `fact:` value.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

from aesthetic_protocols.facts import Condition, Fact, comparison_problem, comparisons, fits, kit_conditions
from aesthetic_protocols.loader import MAX_PROBLEMS
from aesthetic_protocols.nodes import fact_edges, prompts, successors
from aesthetic_protocols.tree import (
    TEACHING_TYPES,
    DecideNode,
    InputNode,
    OutcomeNode,
    OutcomeSeverity,
    Protocol,
    QuestionNode,
    RecordNode,
    WaitNode,
)

# Only the first MAX_PROBLEMS problems of a rule (in file order) can ever be shown (see `checks._Finder`): past
# them a rule's problems are counted, and no path is searched for their message. One search per problem made
# these rules quadratic: a 1 MiB file of decide nodes took a minute.
Where = tuple[str | int, ...]
Add = Callable[[str, Where, str], None]
# An edge of the walk: its target and the facts taken along it.
Edge = tuple[str, frozenset[str]]


def fact_table(protocol: Protocol) -> dict[str, Fact]:
    """Every fact of the tree, typed: the declared ones, input variables (numbers) and record field ids."""
    table = dict(protocol.facts)
    for node in protocol.nodes.values():
        if isinstance(node, InputNode):
            table.setdefault(node.variable, Fact(type="number"))
        elif isinstance(node, RecordNode):
            for record_field in node.fields:
                kind = "text" if record_field.type == "photo" else record_field.type  # a photo: known or not
                table.setdefault(record_field.id, Fact(type=kind,
                                                       choices=[c.key for c in record_field.choices]))
    return table


def _conditions(protocol: Protocol) -> Iterator[tuple[str, int, Condition, Where]]:
    """(decide node, rule index, comparison, its path) for every comparison of every decide rule."""
    for nid, node in protocol.nodes.items():
        if isinstance(node, DecideNode):
            for index, rule in enumerate(node.rules):
                for part, below in comparisons(rule.when):
                    yield nid, index, part, ("nodes", nid, "rules", index, "when", *below)


def check_conditions(protocol: Protocol, add: Add) -> None:
    """unknown-fact, condition-type, fact-field-unique: each comparison against the fact table."""
    table = fact_table(protocol)
    field_count: dict[str, int] = {}
    for node in protocol.nodes.values():
        if isinstance(node, RecordNode):
            for record_field in node.fields:
                field_count[record_field.id] = field_count.get(record_field.id, 0) + 1
    for _, _, part, where in _conditions(protocol):
        problem = comparison_problem(part, table)
        if problem is not None:
            add(problem[0], (*where, "fact"), problem[1])
        elif field_count.get(str(part.fact), 0) > 1:
            add("fact-field-unique", (*where, "fact"),
                "this record field id is used by more than one field; a fact read by a decide is one field")


def check_fact_names(protocol: Protocol, add: Add) -> None:
    """fact-conflict: one name, one type: a declared fact, an input variable and record fields sharing a name
    agree on its type."""
    typed: dict[str, str] = {name: fact.type for name, fact in protocol.facts.items()}
    for nid, node in protocol.nodes.items():
        named: list[tuple[str, str, Where]] = []
        if isinstance(node, InputNode):
            named = [(node.variable, "number", ("nodes", nid, "variable"))]
        elif isinstance(node, RecordNode):
            named = [(f.id, f.type, ("nodes", nid, "fields", i, "id")) for i, f in enumerate(node.fields)]
        here: set[str] = set()  # a name twice in one record node is rule record-field-duplicate
        for name, kind, where in named:
            if name in here:
                continue
            here.add(name)
            if typed.setdefault(name, kind) != kind:
                add("fact-conflict", where, f"this name is already a {typed[name]} fact; one name, one type")


def check_sets(protocol: Protocol, add: Add) -> None:
    """set-fact: an option sets only declared facts, with values of their type."""
    for nid, node in protocol.nodes.items():
        if isinstance(node, QuestionNode):
            for index, option in enumerate(node.options):
                for name, value in option.set.items():
                    where = ("nodes", nid, "options", index, "set", name)
                    fact = protocol.facts.get(name)
                    if fact is None:
                        add("set-fact", where, "sets a fact not declared under `facts:`")
                    elif not fits(fact, value):
                        add("set-fact", where, f"sets a value that is not a {fact.type} of this fact")


# The red flags are edges from every prompt. They go through one hub node instead of being copied to each
# prompt: 21,000 flags on a chain of 6,000 nodes were 126 million edges, and validating the file took 24 GB.
# No protocol can name this node (ids are slugs), and it never shows in a path.
FLAG_HUB = "<red flags>"


def walk_edges(protocol: Protocol) -> dict[str, list[Edge]]:
    """Each node's edges with the facts set along them; every prompt has one edge to FLAG_HUB, whose edges
    are the red flags' distinct targets."""
    flags = list(dict.fromkeys(flag.goto for flag in protocol.red_flags if flag.goto in protocol.nodes))
    graph: dict[str, list[Edge]] = {}
    for nid, node in protocol.nodes.items():
        graph[nid] = [(target, sets) for target, sets in fact_edges(node) if target in protocol.nodes]
        if flags and prompts(node):
            graph[nid].append((FLAG_HUB, frozenset()))
    graph[FLAG_HUB] = [(goto, frozenset()) for goto in flags]
    return graph


def _unset_path(protocol: Protocol, graph: dict[str, list[Edge]], goal: str, fact: str) -> list[str] | None:
    """A path from the start to `goal` along which `fact` is never set (None when every path sets it)."""
    if protocol.start not in protocol.nodes:
        return None
    parent: dict[str, str | None] = {protocol.start: None}
    queue = deque([protocol.start])
    while queue:
        here = queue.popleft()
        if here == goal:
            path: list[str] = []
            step: str | None = here
            while step is not None:
                path.append(step)
                step = parent[step]
            return [nid for nid in path[::-1] if nid != FLAG_HUB]
        for target, sets in graph[here]:
            if fact not in sets and target not in parent:
                parent[target] = here
                queue.append(target)
    return None


def _maybe_unset(protocol: Protocol, graph: dict[str, list[Edge]], facts: list[str]) -> dict[str, int]:
    """For each node, the facts (bit i: facts[i]) that some path from the start reaches it without setting:
    one pass over the graph for every fact at once, instead of one search per decide and fact."""
    if protocol.start not in protocol.nodes:
        return {}
    bits = {name: 1 << index for index, name in enumerate(facts)}
    unset = {protocol.start: (1 << len(facts)) - 1}
    queue, queued = deque([protocol.start]), {protocol.start}
    while queue:
        here = queue.popleft()
        queued.discard(here)
        for target, sets in graph[here]:
            carried = unset[here]
            for name in sets:
                carried &= ~bits.get(name, 0)
            before = unset.get(target, 0)
            if carried | before != before:
                unset[target] = carried | before
                if target not in queued:
                    queued.add(target)
                    queue.append(target)
    return unset


def path_words(path: list[str]) -> str:
    """A path as `a -> b -> c`; a long one as its first and last seven steps around how many are left out."""
    if len(path) <= 15:
        return " -> ".join(path)
    return f"{' -> '.join(path[:7])} -> ... ({len(path) - 14} more) -> {' -> '.join(path[-7:])}"


def check_definite(protocol: Protocol, add: Add) -> None:
    """fact-unset: a fact a decide reads is set on every path reaching it, unless its rule asks `known`."""
    graph = walk_edges(protocol)
    table = fact_table(protocol)
    read = list(dict.fromkeys(str(part.fact) for _, _, part, _ in _conditions(protocol)))
    unset = _maybe_unset(protocol, graph, read)
    bit = {name: 1 << index for index, name in enumerate(read)}
    reported: set[tuple[str, str]] = set()
    for nid, index, part, where in _conditions(protocol):
        fact = str(part.fact)
        rule = protocol.nodes[nid]
        assert isinstance(rule, DecideNode)
        asks_known = any(p.fact == fact and p.known is not None for p, _ in comparisons(rule.rules[index].when))
        if asks_known or (nid, fact) in reported or fact not in table:  # an unknown fact is its own rule
            continue
        if not unset.get(nid, 0) & bit[fact]:
            continue
        reported.add((nid, fact))
        path = _unset_path(protocol, graph, nid, fact) if len(reported) <= MAX_PROBLEMS else None
        shown = f"not set on the path {path_words(path)}" if path is not None else "not set on every path"
        add("fact-unset", (*where, "fact"), f"may be unset here: {shown} (set it on every path, or ask `known` first)")


def check_decide_loops(protocol: Protocol, add: Add) -> None:
    """decide-loop: a decide node cannot route back to itself through decide nodes alone (no prompt between)."""
    decides = {nid: [t for t in dict.fromkeys(successors(node)) if isinstance(protocol.nodes.get(t), DecideNode)]
               for nid, node in protocol.nodes.items() if isinstance(node, DecideNode)}
    looping = _on_loops(decides)
    for count, nid in enumerate(nid for nid in decides if nid in looping):
        loop = _loop(decides, nid) if count < MAX_PROBLEMS else None
        shown = f": {path_words(loop)}" if loop is not None else ""
        add("decide-loop", ("nodes", nid), f"routes back to itself with no prompt between{shown}")


def _loop(decides: dict[str, list[str]], nid: str) -> list[str] | None:
    """The shortest way from `nid` back to itself through decide nodes alone, if there is one."""
    parent: dict[str, str] = {}
    queue = deque([nid])
    while queue:
        here = queue.popleft()
        for target in decides[here]:
            if target == nid:
                loop = [here]
                while loop[-1] != nid:
                    loop.append(parent[loop[-1]])
                return [*loop[::-1], nid]
            if target not in parent:
                parent[target] = here
                queue.append(target)
    return None


def _on_loops(graph: dict[str, list[str]]) -> set[str]:
    """The nodes on some cycle of `graph`: those of a strongly connected component of two or more, or with an
    edge to themselves (Tarjan's algorithm, without recursion)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[str] = set()
    for root in graph:
        if root in order:
            continue
        work = [(root, 0)]
        while work:
            here, next_edge = work.pop()
            if next_edge == 0:
                order[here] = low[here] = len(order)
                stack.append(here)
                on_stack.add(here)
            edges = graph[here]
            if next_edge < len(edges):
                work.append((here, next_edge + 1))
                target = edges[next_edge]
                if target not in order:
                    work.append((target, 0))
                elif target in on_stack:
                    low[here] = min(low[here], order[target])
                continue
            if low[here] == order[here]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == here:
                        break
                if len(component) > 1 or here in graph[here]:
                    found.update(component)
            if work:
                caller = work[-1][0]
                low[caller] = min(low[caller], low[here])
    return found


def check_due_waits(protocol: Protocol, add: Add) -> None:
    """resolved-needs-due-wait: from a `treatment: true` step, a `resolved` outcome is reached only through some
    wait's `next` (its due edge), never only through `early` edges; a wait after a treatment step that can reach
    one declares `early` (without it, Enter before the time continues to `next`, which would not gate)."""
    nodes = protocol.nodes
    resolved = {nid for nid, n in nodes.items()
                if isinstance(n, OutcomeNode) and n.severity is OutcomeSeverity.RESOLVED}
    after: dict[str, str] = {}  # node -> the treatment step it is reached from with no wait's time run out
    queue: deque[str] = deque()
    for nid, node in nodes.items():
        if node.treatment:
            after.setdefault(nid, nid)
            queue.append(nid)
    while queue:
        here = queue.popleft()
        node = nodes[here]
        onward = ([node.early] if node.early else []) if isinstance(node, WaitNode) else successors(node)
        for target in onward:
            if target in nodes and target not in after:
                after[target] = after[here]
                queue.append(target)
    for nid in resolved:
        if nid in after:
            add("resolved-needs-due-wait", ("nodes", nid, "severity"),
                f"reachable from treatment step '{after[nid]}' without a wait's full time (its `next`) first")
    reaches: dict[str, set[str]] = {nid: set() for nid in nodes}
    for nid, node in nodes.items():
        for target in successors(node):
            if target in reaches:
                reaches[target].add(nid)
    can_resolve = set(resolved)
    queue = deque(resolved)
    while queue:
        for source in reaches[queue.popleft()]:
            if source not in can_resolve:
                can_resolve.add(source)
                queue.append(source)
    treated = _reach_all(protocol, [nid for nid, node in nodes.items() if node.treatment])
    for nid, node in nodes.items():
        if isinstance(node, WaitNode) and node.early is None and nid in can_resolve and nid in treated:
            add("resolved-needs-due-wait", ("nodes", nid, "next"),
                "this wait can reach a resolved outcome: declare `early:` (where continuing before the time "
                "is up leads)")


def _reach_all(protocol: Protocol, starts: list[str]) -> set[str]:
    seen = set(starts)
    queue = deque(starts)
    while queue:
        for target in successors(protocol.nodes[queue.popleft()]):
            if target in protocol.nodes and target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def check_record_bounds(protocol: Protocol, add: Add) -> None:
    """record-field-now: `max_ahead_minutes` only on a time field, `not_after`/`not_before` only on a date;
    record-field-teaching: `teaching` only on a text, number or choice field."""
    for nid, node in protocol.nodes.items():
        if isinstance(node, RecordNode):
            for index, record_field in enumerate(node.fields):
                where = ("nodes", nid, "fields", index)
                if record_field.max_ahead_minutes is not None and record_field.type != "time":
                    add("record-field-now", (*where, "max_ahead_minutes"), "max_ahead_minutes bounds a time field")
                for name in ("not_after", "not_before"):
                    if getattr(record_field, name) is not None and record_field.type != "date":
                        add("record-field-now", (*where, name), f"{name} bounds a date field")
                if record_field.teaching and record_field.type not in TEACHING_TYPES:
                    add("record-field-teaching", (*where, "teaching"),
                        "only a text, number or choice field can be kept in an anonymised record")


def check_kit_negated(protocol: Protocol, add: Add) -> None:
    """kit-negated: a kit condition under `not`. A kit form holds only when the clinic file shows the problem
    and is false without one, so its negation would read "no clinic file" as "in date" or "present"."""
    for nid, node in protocol.nodes.items():
        if isinstance(node, DecideNode):
            for index, rule in enumerate(node.rules):
                for _, below, negated in kit_conditions(rule.when):
                    if negated:
                        add("kit-negated", ("nodes", nid, "rules", index, "when", *below, "kit"),
                            "a kit condition under `not` would read no clinic file as a kit in order; route the "
                            "kit alarm to its own rule and let `otherwise` ask the practitioner")


FACT_RULES = (check_fact_names, check_conditions, check_kit_negated, check_sets, check_definite, check_decide_loops,
              check_due_waits,
              check_record_bounds)
